// Explain mode (see explain.h).
//
// JSON Lines keys (stable; new keys may be added, none renamed):
//   every object: "seq" (block number, 1-based; events inside a call share its seq),
//                 "event": setup | enter | register | wait | ring_destroyed |
//                          sqe | cqe | dropped | fault
//   syscall objects (setup, enter, register, wait) also carry "time_ns", the model
//   clock (0 when the host does not run it). Events outside any syscall (a parked
//   request completed by Kernel::progress) come without a syscall object, under a
//   seq of their own.
//   setup:    entries, params_addr, params_in{flags, flags_names, cq_entries,
//             sq_thread_cpu, sq_thread_idle, wq_fd}, ret, [ring, params_out{sq_entries,
//             cq_entries, features, features_names}], [error{errno, reason}], memlock
//   enter:    fd, ring, to_submit, min_complete, flags, flags_names, ret, must_wait,
//             [wait_nr], [error], [sq{head_before, head_after, tail_before, tail_after,
//             dropped_before, dropped_after, flags}, cq{head_before, head_after,
//             tail_before, tail_after, ready, overflow_backlog}]
//   register: fd, ring, opcode, opcode_name, arg, nr_args, ret, [error], memlock
//   wait:     ring, ret, [cq{...}]
//   sqe:      ring, slot, opcode_name, fields[{name, value, raw, [note]}]
//   cqe:      ring, user_data, res, [errno], flags, flags_names, fields[...],
//             overflowed (went to the overflow backlog), [reason]
//   dropped:  ring, sq_index, sq_entries
//   fault:    call, errno, reason
//   memlock:  {uid, locked_pages, limit_bytes (null: unlimited), charged}
#include "traces/explain.h"

#include <unistd.h>

#include <cinttypes>
#include <cstring>
#include <nlohmann/json.hpp>

#include "kernel_model/fault.h"
#include "traces/decode.h"
#include "traces/trace.h"

namespace uringsim::traces {

namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kBold = "\033[1m";
constexpr const char* kRed = "\033[31m";
constexpr const char* kBoldRed = "\033[1;31m";
constexpr const char* kGreen = "\033[32m";
constexpr const char* kReset = "\033[0m";

std::string hex(uint64_t v) { return strprintf("0x%" PRIx64, v); }

// "8 KiB", "64 MiB", "100 bytes".
std::string bytes_text(uint64_t n) {
  constexpr uint64_t kKiB = 1024, kMiB = kKiB * 1024, kGiB = kMiB * 1024;
  if (n >= kGiB && n % kGiB == 0) return strprintf("%" PRIu64 " GiB", n / kGiB);
  if (n >= kMiB && n % kMiB == 0) return strprintf("%" PRIu64 " MiB", n / kMiB);
  if (n >= kKiB && n % kKiB == 0) return strprintf("%" PRIu64 " KiB", n / kKiB);
  return strprintf("%" PRIu64 " bytes", n);
}

Json fields_json(const std::vector<Field>& fields) {
  Json out = Json::array();
  for (const Field& f : fields) {
    Json j = {{"name", f.name}, {"value", f.value}, {"raw", f.raw}};
    if (!f.note.empty()) j["note"] = f.note;
    out.push_back(std::move(j));
  }
  return out;
}

Json error_json(const Fault& f) {
  const char* name = errno_name_of(f.err);
  return Json{{"errno", name != nullptr ? name : std::to_string(f.err)}, {"reason", f.reason}};
}

// "0->2" when it moved, "2" when it did not.
std::string moved(uint64_t before, uint64_t after) {
  if (before == after) return std::to_string(after);
  return std::to_string(before) + "->" + std::to_string(after);
}

}  // namespace

std::optional<ExplainFormat> parse_explain_format(std::string_view name) {
  if (name == "text") return ExplainFormat::kText;
  if (name == "json") return ExplainFormat::kJson;
  return std::nullopt;
}

ExplainObserver::ExplainObserver(Kernel& kernel, FILE* out, ExplainOptions options)
    : kernel_(kernel), file_(out), format_(options.format) {
  const bool tty = out != nullptr && isatty(fileno(out)) == 1;
  color_ = format_ == ExplainFormat::kText &&
           (options.color == ColorMode::kAlways || (options.color == ColorMode::kAuto && tty));
}

ExplainObserver::ExplainObserver(Kernel& kernel, std::ostream& out, ExplainOptions options)
    : kernel_(kernel), stream_(&out), format_(options.format) {
  color_ = format_ == ExplainFormat::kText && options.color == ColorMode::kAlways;
}

// --- output -------------------------------------------------------------------------

void ExplainObserver::emit(std::string_view text) {
  if (file_ != nullptr) {
    std::fwrite(text.data(), 1, text.size(), file_);
    std::fflush(file_);
  } else if (stream_ != nullptr) {
    stream_->write(text.data(), static_cast<std::streamsize>(text.size()));
    stream_->flush();
  }
}

std::string ExplainObserver::paint(Style style, const std::string& text) const {
  if (!color_ || style == Style::kPlain) return text;
  const char* code = kBold;
  switch (style) {
    case Style::kCall: code = kBold; break;
    case Style::kCallError: code = kBoldRed; break;
    case Style::kCqe: code = kGreen; break;
    case Style::kError: code = kRed; break;
    case Style::kPlain: break;
  }
  return std::string(code) + text + kReset;
}

void ExplainObserver::begin_call() {
  ++seq_;
  in_call_ = true;
  pending_.clear();
  call_fault_.reset();
}

void ExplainObserver::nested(Lines text, std::string json) {
  if (format_ == ExplainFormat::kJson) {
    pending_.emplace_back(Style::kPlain, std::move(json));
  } else {
    for (auto& line : text) pending_.push_back(std::move(line));
  }
}

bool ExplainObserver::open_async_block() {
  if (in_call_) return false;
  begin_call();
  return true;
}

void ExplainObserver::close_async_block(bool opened, RingId ring) {
  if (!opened) return;
  flush_block(Style::kCall, strprintf("ring %u, outside any syscall:", ring), "");
}

std::string ExplainObserver::time_text() {
  const uint64_t now = kernel_.now_ns();
  if (now == 0) return "";  // the host does not run the model clock (tests, replays)
  if (first_now_ns_ == 0) first_now_ns_ = now;
  return strprintf(" [t=+%.3f ms]", static_cast<double>(now - first_now_ns_) / 1e6);
}

namespace {

// Nanoseconds for people: "850 ns", "17.2 µs", "738.1 ms", "1.25 s".
std::string duration_text(uint64_t ns) {
  if (ns < 1000) return strprintf("%" PRIu64 " ns", ns);
  if (ns < 1000000) return strprintf("%.1f µs", static_cast<double>(ns) / 1e3);
  if (ns < 1000000000) return strprintf("%.1f ms", static_cast<double>(ns) / 1e6);
  return strprintf("%.2f s", static_cast<double>(ns) / 1e9);
}

}  // namespace

std::string ExplainObserver::model_time_text() {
  return "model time: " + duration_text(kernel_.last_call_model_ns()) + " (total " +
         duration_text(kernel_.model_time_ns()) + ")";
}

void ExplainObserver::flush_block(Style style, std::string call_text, std::string call_json) {
  std::string out;
  if (format_ == ExplainFormat::kJson) {
    if (!call_json.empty()) out += call_json + "\n";
    for (auto& [s, line] : pending_) out += line + "\n";
  } else {
    out += paint(style, strprintf("#%" PRIu64 " ", seq_) + call_text) + time_text() + "\n";
    for (auto& [s, line] : pending_) out += "  " + paint(s, line) + "\n";
  }
  pending_.clear();
  in_call_ = false;
  emit(out);
}

// --- ring state ---------------------------------------------------------------------

std::optional<ExplainObserver::RingState> ExplainObserver::snapshot(RingId ring) {
  if (ring == kNoRing) return std::nullopt;
  Context* ctx = kernel_.context(ring);
  if (ctx == nullptr) return std::nullopt;
  const Ring& r = ctx->ring();
  RingState s;
  s.sq_head = r.sq_head();
  s.sq_tail = r.sq_tail();
  s.cq_head = r.cq_head();
  s.cq_tail = r.cq_tail();
  s.dropped = r.dropped();
  s.sq_flags = r.sq_flags();
  s.cq_ready = r.cq_ready();
  s.overflow_backlog = r.overflow_backlog();
  return s;
}

std::optional<ExplainObserver::RingState> ExplainObserver::refresh(RingId ring, RingState* before) {
  std::optional<RingState> now = snapshot(ring);
  if (!now) return now;
  auto it = last_.find(ring);
  // The application owns the SQ tail and the CQ head and does not move them while
  // its call runs: their "before" is their value now. The kernel's words (SQ head, CQ
  // tail, dropped, backlog) are as explain mode last saw them.
  RingState b = it != last_.end() ? it->second : RingState{};
  b.sq_tail = now->sq_tail;
  b.cq_head = now->cq_head;
  if (before != nullptr) *before = b;
  last_[ring] = *now;
  return now;
}

std::string ExplainObserver::state_text(const RingState& b, const RingState& a) const {
  std::string s = "SQ head " + moved(b.sq_head, a.sq_head) + " tail " + moved(b.sq_tail, a.sq_tail);
  if (a.dropped != b.dropped) s += " dropped " + moved(b.dropped, a.dropped);
  s += " | CQ head " + moved(b.cq_head, a.cq_head) + " tail " + moved(b.cq_tail, a.cq_tail);
  s += strprintf(" (%u ready)", a.cq_ready);
  if (a.overflow_backlog != 0 || b.overflow_backlog != 0)
    s += " | overflow backlog " + moved(b.overflow_backlog, a.overflow_backlog);
  if (a.sq_flags != 0) s += " | sq flags " + sq_ring_flag_names(a.sq_flags);
  return s;
}

ExplainObserver::Owner ExplainObserver::owner_of(const Caller& caller, RingId ring) const {
  Context* ctx = ring == kNoRing ? nullptr : kernel_.context(ring);
  return Owner{caller.creds.uid, caller.creds.memlock_limit,
               ctx != nullptr ? ctx->charges_memlock() : !caller.creds.cap_ipc_lock};
}

std::string ExplainObserver::memlock_text(const Owner& o) const {
  const uint64_t pages = kernel_.accounting().locked_pages(o.uid);
  std::string s = strprintf("memlock: uid %u has %" PRIu64 " page%s (%s) locked, RLIMIT_MEMLOCK %s", o.uid,
                            pages, pages == 1 ? "" : "s", bytes_text(pages * kPageSize).c_str(),
                            o.memlock_limit == kUnlimited ? "unlimited" : bytes_text(o.memlock_limit).c_str());
  if (!o.charged) s += " (CAP_IPC_LOCK: nothing is charged)";
  return s;
}

namespace {

Json memlock_json(Kernel& kernel, uint32_t uid, uint64_t limit, bool charged) {
  return Json{{"uid", uid},
              {"locked_pages", kernel.accounting().locked_pages(uid)},
              {"limit_bytes", limit == kUnlimited ? Json(nullptr) : Json(limit)},
              {"charged", charged}};
}

}  // namespace

// --- syscalls -----------------------------------------------------------------------

void ExplainObserver::before_setup(const Caller& caller, uint32_t, uint64_t params_addr) {
  begin_call();
  setup_in_.reset();
  io_uring_params p;
  if (params_addr != 0 && caller.memory != nullptr && caller.memory->read(params_addr, &p, sizeof p))
    setup_in_ = p;
}

void ExplainObserver::after_setup(const Caller& caller, uint32_t entries, uint64_t params_addr,
                                  int64_t ret) {
  const RingId ring = ret >= 0 ? static_cast<RingId>(ret) : kNoRing;
  std::optional<io_uring_params> out;
  io_uring_params p;
  if (ret >= 0 && caller.memory != nullptr && caller.memory->read(params_addr, &p, sizeof p)) out = p;
  if (ret >= 0) refresh(ring, nullptr);
  const Owner owner = owner_of(caller, ring);
  if (ret >= 0) owners_[ring] = owner;

  if (format_ == ExplainFormat::kJson) {
    Json j = {{"seq", seq_}, {"event", "setup"}, {"time_ns", kernel_.now_ns()}, {"model_ns", kernel_.last_call_model_ns()}, {"model_total_ns", kernel_.model_time_ns()}, {"entries", entries},
              {"params_addr", hex(params_addr)}};
    if (setup_in_) {
      j["params_in"] = Json{{"flags", setup_in_->flags},
                            {"flags_names", setup_flag_names(setup_in_->flags)},
                            {"cq_entries", setup_in_->cq_entries},
                            {"sq_thread_cpu", setup_in_->sq_thread_cpu},
                            {"sq_thread_idle", setup_in_->sq_thread_idle},
                            {"wq_fd", setup_in_->wq_fd}};
    }
    j["ret"] = ret;
    if (ret >= 0) j["ring"] = ring;
    if (out) {
      j["params_out"] = Json{{"sq_entries", out->sq_entries},
                             {"cq_entries", out->cq_entries},
                             {"features", out->features},
                             {"features_names", feature_names(out->features)}};
    }
    if (call_fault_) j["error"] = error_json(*call_fault_);
    j["memlock"] = memlock_json(kernel_, owner.uid, owner.memlock_limit, owner.charged);
    flush_block(Style::kPlain, "", j.dump());
    setup_in_.reset();
    return;
  }

  std::string call = strprintf("io_uring_setup(entries=%u, params=%s", entries, hex(params_addr).c_str());
  if (setup_in_) {
    const io_uring_params& in = *setup_in_;
    call += " {flags=" + setup_flag_names(in.flags);
    if (in.flags & IORING_SETUP_CQSIZE) call += strprintf(" cq_entries=%u", in.cq_entries);
    if (in.flags & IORING_SETUP_SQPOLL) call += strprintf(" sq_thread_idle=%u", in.sq_thread_idle);
    if (in.flags & IORING_SETUP_SQ_AFF) call += strprintf(" sq_thread_cpu=%u", in.sq_thread_cpu);
    if (in.flags & IORING_SETUP_ATTACH_WQ) call += strprintf(" wq_fd=%u", in.wq_fd);
    call += "}";
  }
  call += ") = " + result_text(ret);
  if (ret >= 0) call += strprintf(" (ring %" PRId64 ")", ret);
  if (out) {
    pending_.emplace_back(Style::kPlain,
                          strprintf("params out: sq_entries=%u cq_entries=%u features=%s",
                                    out->sq_entries, out->cq_entries, feature_names(out->features).c_str()));
    pending_.emplace_back(Style::kPlain,
                          strprintf("offsets: sq_off.array=%u cq_off.cqes=%u", out->sq_off.array,
                                    out->cq_off.cqes));
  }
  pending_.emplace_back(Style::kPlain, memlock_text(owner));
  pending_.emplace_back(Style::kPlain, model_time_text());
  flush_block(ret < 0 ? Style::kCallError : Style::kCall, call, "");
  setup_in_.reset();
}

void ExplainObserver::before_enter(const Caller&, int fd, uint32_t to_submit, uint32_t min_complete,
                                   uint32_t flags) {
  begin_call();
  call_fd_ = fd;
  call_to_submit_ = to_submit;
  call_min_complete_ = min_complete;
  call_flags_ = flags;
}

void ExplainObserver::after_enter(const Caller&, RingId ring, const EnterResult& r) {
  RingState before;
  std::optional<RingState> after = refresh(ring, &before);

  if (format_ == ExplainFormat::kJson) {
    Json j = {{"seq", seq_},
              {"event", "enter"},
              {"time_ns", kernel_.now_ns()},
              {"model_ns", kernel_.last_call_model_ns()},
              {"model_total_ns", kernel_.model_time_ns()},
              {"fd", call_fd_},
              {"ring", ring == kNoRing ? Json(nullptr) : Json(ring)},
              {"to_submit", call_to_submit_},
              {"min_complete", call_min_complete_},
              {"flags", call_flags_},
              {"flags_names", enter_flag_names(call_flags_)},
              {"ret", r.ret},
              {"must_wait", r.must_wait}};
    if (r.must_wait) j["wait_nr"] = r.wait_nr;
    if (call_fault_) j["error"] = error_json(*call_fault_);
    if (after) {
      j["sq"] = Json{{"head_before", before.sq_head}, {"head_after", after->sq_head},
                     {"tail_before", before.sq_tail}, {"tail_after", after->sq_tail},
                     {"dropped_before", before.dropped}, {"dropped_after", after->dropped},
                     {"flags", sq_ring_flag_names(after->sq_flags)}};
      j["cq"] = Json{{"head_before", before.cq_head}, {"head_after", after->cq_head},
                     {"tail_before", before.cq_tail}, {"tail_after", after->cq_tail},
                     {"ready", after->cq_ready}, {"overflow_backlog", after->overflow_backlog}};
    }
    flush_block(Style::kPlain, "", j.dump());
    return;
  }

  std::string call = strprintf("io_uring_enter(fd=%d", call_fd_);
  if (ring != kNoRing) call += strprintf(" ring=%u", ring);
  call += strprintf(", to_submit=%u, min_complete=%u, flags=%s)", call_to_submit_, call_min_complete_,
                    enter_flag_names(call_flags_).c_str());
  if (r.must_wait) {
    call += strprintf(" submitted %" PRId64 ", waits for %u CQE%s", r.ret, r.wait_nr, r.wait_nr == 1 ? "" : "s");
  } else {
    call += " = " + result_text(r.ret);
  }
  if (after) pending_.emplace_back(Style::kPlain, state_text(before, *after));
  pending_.emplace_back(Style::kPlain, model_time_text());
  flush_block(r.ret < 0 ? Style::kCallError : Style::kCall, call, "");
}

void ExplainObserver::after_wait(RingId ring, int64_t ret) {
  begin_call();
  RingState before;
  std::optional<RingState> after = refresh(ring, &before);
  if (format_ == ExplainFormat::kJson) {
    Json j = {{"seq", seq_}, {"event", "wait"}, {"time_ns", kernel_.now_ns()}, {"ring", ring}, {"ret", ret}};
    if (after) {
      j["cq"] = Json{{"head_before", before.cq_head}, {"head_after", after->cq_head},
                     {"tail_before", before.cq_tail}, {"tail_after", after->cq_tail},
                     {"ready", after->cq_ready}, {"overflow_backlog", after->overflow_backlog}};
    }
    flush_block(Style::kPlain, "", j.dump());
    return;
  }
  std::string call = strprintf("io_uring_enter on ring %u: wait done = %s", ring, result_text(ret).c_str());
  if (after) pending_.emplace_back(Style::kPlain, state_text(before, *after));
  flush_block(ret < 0 ? Style::kCallError : Style::kCall, call, "");
}

void ExplainObserver::before_register(const Caller&, int fd, uint32_t, uint64_t, uint32_t) {
  begin_call();
  call_fd_ = fd;
}

void ExplainObserver::after_register(const Caller& caller, RingId ring, uint32_t opcode, uint64_t arg,
                                     uint32_t nr_args, int64_t ret) {
  if (ring != kNoRing) refresh(ring, nullptr);
  const Owner owner = owner_of(caller, ring);
  const bool registered_ring = opcode & IORING_REGISTER_USE_REGISTERED_RING;
  const uint32_t op = opcode & ~static_cast<uint32_t>(IORING_REGISTER_USE_REGISTERED_RING);
  const char* name = register_op_name(op);
  if (format_ == ExplainFormat::kJson) {
    Json j = {{"seq", seq_},
              {"event", "register"},
              {"time_ns", kernel_.now_ns()},
              {"model_ns", kernel_.last_call_model_ns()},
              {"model_total_ns", kernel_.model_time_ns()},
              {"fd", call_fd_},
              {"ring", ring == kNoRing ? Json(nullptr) : Json(ring)},
              {"opcode", op},
              {"opcode_name", name != nullptr ? Json(name) : Json(nullptr)},
              {"use_registered_ring", registered_ring},
              {"arg", hex(arg)},
              {"nr_args", nr_args},
              {"ret", ret}};
    if (call_fault_) j["error"] = error_json(*call_fault_);
    j["memlock"] = memlock_json(kernel_, owner.uid, owner.memlock_limit, owner.charged);
    flush_block(Style::kPlain, "", j.dump());
    return;
  }
  std::string opname = name != nullptr ? strprintf("%s (%u)", name, op) : strprintf("%u (unknown)", op);
  if (registered_ring) opname += "|USE_REGISTERED_RING";
  std::string call = strprintf("io_uring_register(fd=%d", call_fd_);
  if (ring != kNoRing) call += strprintf(" ring=%u", ring);
  call += strprintf(", opcode=%s, arg=%s, nr_args=%u) = %s", opname.c_str(), hex(arg).c_str(), nr_args,
                    result_text(ret).c_str());
  pending_.emplace_back(Style::kPlain, memlock_text(owner));
  pending_.emplace_back(Style::kPlain, model_time_text());
  flush_block(ret < 0 ? Style::kCallError : Style::kCall, call, "");
}

void ExplainObserver::on_ring_destroyed(RingId ring) {
  last_.erase(ring);
  std::optional<Owner> owner;
  if (auto it = owners_.find(ring); it != owners_.end()) {
    owner = it->second;
    owners_.erase(it);
  }
  // The host tears rings down between calls; should one go inside a call, it is an
  // event of that call rather than a block of its own.
  const bool own = !in_call_;
  if (own) begin_call();
  const std::string what = strprintf("ring %u destroyed: its pins and memlock charges are returned", ring);
  if (format_ == ExplainFormat::kJson) {
    Json j = {{"seq", seq_}, {"event", "ring_destroyed"}, {"ring", ring}};
    if (owner) j["memlock"] = memlock_json(kernel_, owner->uid, owner->memlock_limit, owner->charged);
    if (own) {
      flush_block(Style::kPlain, "", j.dump());
    } else {
      nested({}, j.dump());
    }
    return;
  }
  if (!own) pending_.emplace_back(Style::kCall, what);
  if (owner) pending_.emplace_back(Style::kPlain, memlock_text(*owner));
  if (own) flush_block(Style::kCall, what, "");
}

// --- inside a call ------------------------------------------------------------------

void ExplainObserver::on_sqe(RingId ring, const Request& req) {
  const bool own = open_async_block();
  Context* ctx = kernel_.context(ring);
  const uint32_t setup_flags = ctx != nullptr ? ctx->setup_flags() : 0;
  const std::vector<Field> fields = decode_sqe(req.sqe, setup_flags, req.sqe_ext);
  const char* name = opcode_name(req.sqe.opcode);
  if (format_ == ExplainFormat::kJson) {
    Json j = {{"seq", seq_},
              {"event", "sqe"},
              {"ring", ring},
              {"slot", req.sqe_index},
              {"opcode_name", name != nullptr ? Json(name) : Json(nullptr)},
              {"fields", fields_json(fields)}};
    nested({}, j.dump());
  } else {
    nested({{Style::kPlain, strprintf("SQE slot %u: ", req.sqe_index) + fields_line(fields)}}, "");
  }
  close_async_block(own, ring);
}

void ExplainObserver::on_cqe(RingId ring, const Cqe& cqe, const Fault* why) {
  const bool own = open_async_block();
  Context* ctx = kernel_.context(ring);
  // The CQE was just posted: it sits in the overflow backlog iff the backlog is not
  // empty (Ring::post queues behind any backlog, and only there when the CQ is full).
  const bool overflowed = ctx != nullptr && ctx->ring().has_overflow();
  const bool big = (ctx != nullptr && ctx->ring().layout().cqe_size == 32) || (cqe.flags & IORING_CQE_F_32);
  // decode_cqe reads a CQE as it sits in the ring, big_cqe[] following the header.
  alignas(16) unsigned char raw[32] = {};
  std::memcpy(raw, &cqe.user_data, 8);
  std::memcpy(raw + 8, &cqe.res, 4);
  std::memcpy(raw + 12, &cqe.flags, 4);
  std::memcpy(raw + 16, cqe.big, 16);
  const std::vector<Field> fields = decode_cqe(*reinterpret_cast<const io_uring_cqe*>(raw), big);
  const bool failed = cqe.res < 0;

  if (format_ == ExplainFormat::kJson) {
    Json j = {{"seq", seq_}, {"event", "cqe"}, {"ring", ring}, {"user_data", hex(cqe.user_data)}, {"res", cqe.res}};
    if (failed) {
      const char* name = errno_name_of(-cqe.res);
      j["errno"] = name != nullptr ? Json(name) : Json(nullptr);
    }
    j["flags"] = cqe.flags;
    j["flags_names"] = cqe_flag_names(cqe.flags & ((cqe.flags & IORING_CQE_F_BUFFER) ? 0xffffu : ~0u));
    j["fields"] = fields_json(fields);
    j["overflowed"] = overflowed;
    if (why != nullptr) j["reason"] = why->reason;
    nested({}, j.dump());
  } else {
    std::string line = "CQE " + fields_line(fields);
    if (overflowed) line += " -> overflow backlog (CQ full)";
    Lines lines = {{failed ? Style::kError : Style::kCqe, line}};
    if (why != nullptr) lines.emplace_back(Style::kError, "  why: " + why->reason);
    nested(std::move(lines), "");
  }
  close_async_block(own, ring);
}

void ExplainObserver::on_dropped(RingId ring, uint32_t sq_index) {
  const bool own = open_async_block();
  Context* ctx = kernel_.context(ring);
  const uint32_t entries = ctx != nullptr ? ctx->ring().layout().sq_entries : 0;
  if (format_ == ExplainFormat::kJson) {
    nested({}, Json{{"seq", seq_}, {"event", "dropped"}, {"ring", ring}, {"sq_index", sq_index},
                    {"sq_entries", entries}}
                   .dump());
  } else {
    nested({{Style::kError, strprintf("SQ array entry %u >= sq_entries %u: dropped (counted in sq dropped, "
                                      "not submitted; the batch stops here)",
                                      sq_index, entries)}},
           "");
  }
  close_async_block(own, ring);
}

void ExplainObserver::on_syscall_fault(const char* call, const Fault& f) {
  if (f.err == 0) {  // a note: the call succeeded, but not as Linux would have got there
    if (format_ == ExplainFormat::kJson) {
      nested({}, Json{{"seq", seq_}, {"event", "note"}, {"call", call}, {"reason", f.reason}}.dump());
    } else {
      nested({{Style::kPlain, "note: " + f.reason}}, "");
    }
    return;
  }
  call_fault_ = f;
  const char* name = errno_name_of(f.err);
  const std::string err = name != nullptr ? name : std::to_string(f.err);
  if (format_ == ExplainFormat::kJson) {
    nested({}, Json{{"seq", seq_}, {"event", "fault"}, {"call", call}, {"errno", err}, {"reason", f.reason}}.dump());
  } else {
    nested({{Style::kError, strprintf("error: %s: %s", err.c_str(), f.reason.c_str())}}, "");
  }
}

}  // namespace uringsim::traces
