#include "traces/replay.h"

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <optional>

#include "kernel_model/fault.h"
#include "kernel_model/opdef.h"
#include "kernel_model/profile.h"

namespace uringsim::traces {

namespace {

uint32_t load_acquire(const uint8_t* base, uint32_t off) {
  return __atomic_load_n(reinterpret_cast<const uint32_t*>(base + off), __ATOMIC_ACQUIRE);
}
void store_release(uint8_t* base, uint32_t off, uint32_t v) {
  __atomic_store_n(reinterpret_cast<uint32_t*>(base + off), v, __ATOMIC_RELEASE);
}

size_t sqe_size(const io_uring_params& p) { return (p.flags & IORING_SETUP_SQE128) ? 128 : 64; }
size_t cqe_size(const io_uring_params& p) { return (p.flags & IORING_SETUP_CQE32) ? 32 : 16; }

// A CQE as read from a target's CQ.
struct SeenCqe {
  uint64_t user_data = 0;
  int32_t res = 0;
  uint32_t flags = 0;
  std::array<uint64_t, 2> big{0, 0};
  bool has_big = false;
  std::string reason;
};

struct ReplayRing {
  int actual_fd = -1;
  RingMaps maps;
  // The CQ tail where the last call's comparison stopped reading. A CQE posted between
  // calls (Linux runs task work when the replayer returns from writing a peer's bytes)
  // belongs to the next call, as the recorder lists it (FORMAT.md).
  std::optional<uint32_t> cq_read_up_to;

  // Where the next call's CQEs start: after what was already compared, if anything was.
  uint32_t next_cq_start(uint32_t tail_now) const {
    if (!cq_read_up_to) return tail_now;
    const uint32_t pending = tail_now - *cq_read_up_to;
    return pending <= maps.params.cq_entries ? *cq_read_up_to : tail_now;
  }
};

class Replayer {
 public:
  Replayer(const Trace& t, Target& target, const ReplayOptions& opt, ReplayResult* out)
      : t_(t), target_(target), opt_(opt), out_(*out) {}

  void run() {
    if (opt_.update) out_.updated = t_;
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < t_.events.size(); ++i) {
      const Event& e = t_.events[i];
      line_ = e.line;
      event_index_ = i;
      target_.reset_scratch();
      if (const auto* s = std::get_if<SetupEvent>(&e.body)) {
        setup(*s);
        compare_model_time(e);
      } else if (const auto* en = std::get_if<EnterEvent>(&e.body)) {
        enter(*en);
        compare_model_time(e);
      } else if (const auto* r = std::get_if<RegisterEvent>(&e.body)) {
        do_register(*r);
        compare_model_time(e);
      } else if (const auto* m = std::get_if<MemoryEvent>(&e.body)) {
        const uint64_t at = target_.region_address(m->region) + m->offset;
        if (m->address) {
          // A pointer the application stored in its memory: where the target put it.
          const uint64_t value = resolve(*m->address);
          uint8_t le[8];
          for (int b = 0; b < 8; ++b) le[b] = static_cast<uint8_t>(value >> (8 * b));
          if (!target_.write_memory(at, le, sizeof le)) {
            diverge("memory: cannot write an address at %s+%llu on the target", m->region.c_str(),
                    (unsigned long long)m->offset);
          }
        } else if (!target_.write_memory(at, m->bytes.data(), m->bytes.size())) {
          diverge("memory: cannot write %zu bytes at %s+%llu on the target", m->bytes.size(), m->region.c_str(),
                  (unsigned long long)m->offset);
        }
      } else if (const auto* p = std::get_if<PeerEvent>(&e.body)) {
        std::string why;
        if (!target_.peer_send(p->fd, p->bytes, &why)) diverge("peer of fd %d: %s", p->fd, why.c_str());
      } else if (const auto* c = std::get_if<CloseEvent>(&e.body)) {
        auto it = rings_.find(c->fd);
        if (it != rings_.end()) {
          target_.close_ring(it->second.actual_fd);
          rings_.erase(it);
        }
      }
    }
    out_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    check_peers();
  }

 private:
  void diverge(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    va_list ap;
    va_start(ap, fmt);
    char buf[4096];
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    Divergence d;
    d.line = line_;
    d.message = strprintf("%s:%d: %s", t_.path.empty() ? "<trace>" : t_.path.c_str(), line_, buf);
    out_.divergences.push_back(std::move(d));
  }

  Event& updated_event() { return out_.updated.events[event_index_]; }

  // What each socket's peer received over the whole replay (FORMAT.md, "Sockets");
  // --update writes it (bytes, or their SHA-256 past 4 KiB).
  void check_peers() {
    for (size_t i = 0; i < t_.files.size(); ++i) {
      const FileDecl& f = t_.files[i];
      if (!f.is_socket()) continue;
      const std::string got = target_.peer_received(f.fd);
      line_ = f.line;
      const std::string wrong = check_peer_receives(f, got);
      if (!wrong.empty()) diverge("%s", wrong.c_str());
      if (!opt_.update) continue;
      FileDecl& u = out_.updated.files[i];
      u.peer_receives.reset();
      u.peer_receives_sha256.clear();
      if (got.size() > 4096) {
        u.peer_receives_sha256 = sha256_hex(reinterpret_cast<const uint8_t*>(got.data()), got.size());
      } else {
        u.peer_receives = got;
      }
    }
  }

  // The cost model's charge for the call (FORMAT.md, model_time_ns): compared when the
  // trace and the target both have one; --update writes it.
  void compare_model_time(const Event& e) {
    const std::optional<uint64_t> ns = target_.last_call_model_ns();
    if (!ns) return;
    if (e.model_time_ns && *e.model_time_ns != *ns) {
      diverge("model time: the call cost %llu ns on the cost model, trace expects %llu ns", (unsigned long long)*ns,
              (unsigned long long)*e.model_time_ns);
    }
    if (opt_.update) updated_event().model_time_ns = *ns;
  }

  uint64_t resolve(const Address& a) {
    if (a.absolute()) return a.value;
    return target_.region_address(a.region) + a.value;
  }

  int map_fd(int trace_fd) {
    if (trace_fd < 0) return trace_fd;
    auto it = rings_.find(trace_fd);
    if (it != rings_.end()) return it->second.actual_fd;
    for (const FileDecl& f : t_.files) {
      if (f.fd == trace_fd) return target_.file_fd(trace_fd);
    }
    return target_.closed_fd(trace_fd);
  }

  // The bytes of a payload, addresses resolved and fds mapped.
  std::vector<uint8_t> payload_bytes(const Payload& p) {
    std::vector<uint8_t> out;
    switch (p.kind) {
      case Payload::Kind::kNone: break;
      case Payload::Kind::kIovecs:
        out.resize(16 * p.iovecs.size());
        for (size_t i = 0; i < p.iovecs.size(); ++i) {
          const uint64_t base = resolve(p.iovecs[i].base);
          std::memcpy(out.data() + 16 * i, &base, 8);
          std::memcpy(out.data() + 16 * i + 8, &p.iovecs[i].len, 8);
        }
        break;
      case Payload::Kind::kFds:
        out.resize(4 * p.fds.size());
        for (size_t i = 0; i < p.fds.size(); ++i) {
          const int32_t fd = map_fd(p.fds[i]);
          std::memcpy(out.data() + 4 * i, &fd, 4);
        }
        break;
      case Payload::Kind::kBytes: out = p.bytes; break;
      case Payload::Kind::kClone: {
        out = p.bytes;
        io_uring_clone_buffers c{};
        std::memcpy(&c, out.data(), std::min(out.size(), sizeof c));
        if (!(c.flags & IORING_REGISTER_SRC_REGISTERED)) {
          c.src_fd = static_cast<uint32_t>(map_fd(static_cast<int32_t>(c.src_fd)));
          std::memcpy(out.data(), &c, std::min(out.size(), sizeof c));
        }
        break;
      }
    }
    return out;
  }

  // Writes a payload at `at` (resolved), or into scratch when `at` is unset; returns
  // the address to pass.
  uint64_t place_payload(const Payload& p, const std::optional<Address>& at, const char* what) {
    if (p.empty()) return at ? resolve(*at) : 0;
    const std::vector<uint8_t> bytes = payload_bytes(p);
    const uint64_t addr = at ? resolve(*at) : target_.scratch(std::max<size_t>(bytes.size(), 8));
    if (!bytes.empty() && !target_.write_memory(addr, bytes.data(), bytes.size())) {
      // A payload aimed at an address the target does not own (a deliberately bad
      // pointer) is not written: the kernel will fault on it as recorded.
      (void)what;
    }
    return addr;
  }

  std::string reason_suffix(const std::string& r) { return r.empty() ? std::string() : " (" + target_.name() + ": " + r + ")"; }

  // Setup's return is an fd, a name: only success vs the errno is compared.
  // `trace_note`: what the trace itself says about its value (enter: batch_end_note).
  void compare_ret(const char* call, int64_t expected, int64_t actual, bool is_fd,
                   const std::string& trace_note = std::string()) {
    const bool same = is_fd ? (expected >= 0) == (actual >= 0) && (expected >= 0 || expected == actual)
                            : expected == actual;
    if (same) return;
    const std::string reason = actual < 0 ? target_.last_call_reason() : std::string();
    diverge("%s: returned %s, trace expects %s%s%s", call, describe_result(actual).c_str(),
            is_fd && expected >= 0 ? "an fd" : describe_result(expected).c_str(), reason_suffix(reason).c_str(),
            trace_note.c_str());
  }

  // An enter whose trace consumed fewer SQEs than the target did: the trace's batch
  // ended at a failed prep (no IORING_SETUP_SUBMIT_ALL). Names that SQE -- read back
  // from the SQ both sides share -- and the trace's reason for its failure, so the
  // divergence says why the counts differ.
  static std::string batch_end_note(const RingMaps& m, uint32_t sq_head_before, const EnterEvent& e, int64_t actual) {
    if (e.ret <= 0 || actual <= e.ret || m.sq_ring == nullptr || m.sqes == nullptr) return std::string();
    const io_uring_params& p = m.params;
    const uint32_t pos = (sq_head_before + static_cast<uint32_t>(e.ret) - 1) & (p.sq_entries - 1);
    uint32_t slot = pos;
    if (!(p.flags & IORING_SETUP_NO_SQARRAY)) {
      slot = reinterpret_cast<const uint32_t*>(m.sq_ring + p.sq_off.array)[pos];
    }
    if (slot >= p.sq_entries) return std::string();
    uint64_t user_data = 0;
    std::memcpy(&user_data, m.sqes + size_t{slot} * sqe_size(p) + offsetof(io_uring_sqe, user_data), sizeof user_data);
    for (const CqeRecord& c : e.cqes) {
      if (c.user_data == user_data && c.res < 0 && !c.reason.empty()) {
        return strprintf(" (trace: its batch ended at user_data %llu, whose prep failed: %s)",
                         (unsigned long long)user_data, c.reason.c_str());
      }
    }
    return std::string();
  }

  void setup(const SetupEvent& s) {
    uint64_t params_addr = 0;
    if (s.params) {
      params_addr = target_.scratch(sizeof(io_uring_params));
      target_.write_memory(params_addr, &*s.params, sizeof(io_uring_params));
    } else if (s.params_addr) {
      params_addr = resolve(*s.params_addr);
    }
    ++out_.calls;
    const int64_t ret = target_.setup(s.entries, params_addr);
    const std::string call = strprintf("setup(entries %u)", s.entries);
    compare_ret(call.c_str(), s.ret, ret, true);
    io_uring_params p{};
    const bool have_params = ret >= 0 && target_.read_memory(params_addr, &p, sizeof p);
    if (have_params) {
      for (const ParamsField& f : params_fields()) {
        auto it = s.params_out.find(f.path);
        if (it == s.params_out.end()) continue;
        const uint32_t got = params_get(p, f.offset);
        if (got != it->second) {
          diverge("%s: params.%s is %u (0x%x), trace expects %llu (0x%llx)", call.c_str(), f.path, got, got,
                  (unsigned long long)it->second, (unsigned long long)it->second);
        }
      }
    }
    if (ret >= 0) {
      ReplayRing ring;
      ring.actual_fd = static_cast<int>(ret);
      std::string why;
      if (!have_params || !target_.map_ring(ring.actual_fd, p, &ring.maps, &why)) {
        diverge("%s: cannot map the ring: %s", call.c_str(), have_params ? why.c_str() : "params unreadable");
      } else if (s.ret >= 0) {
        rings_[static_cast<int>(s.ret)] = ring;
      } else {
        orphans_.push_back(ring.actual_fd);
      }
    }
    if (opt_.update) {
      auto& u = std::get<SetupEvent>(updated_event().body);
      if (ret < 0) {
        u.ret = ret;
      } else if (s.ret < 0) {
        u.ret = next_free_fd_name();  // the ring now exists: give it a name
      }
      u.reason = ret < 0 ? target_.last_call_reason() : std::string();
      u.params_out.clear();
      if (have_params) {
        if (s.params_out.empty()) {
          u.params_out["sq_entries"] = p.sq_entries;
          u.params_out["cq_entries"] = p.cq_entries;
        } else {
          for (const auto& [path, v] : s.params_out) {
            for (const ParamsField& f : params_fields()) {
              if (path == f.path) u.params_out[path] = params_get(p, f.offset);
            }
          }
        }
      }
    }
  }

  int next_free_fd_name() {
    int fd = 1000;
    for (;;) {
      bool used = rings_.count(fd) != 0;
      for (const FileDecl& f : t_.files) used = used || f.fd == fd;
      if (!used) return fd;
      ++fd;
    }
  }

  // Writes one SQE into SQ slot `slot`, addresses and fds rewritten for the target.
  void write_sqe(const RingMaps& m, uint32_t slot, const SqeRecord& s) {
    const size_t size = sqe_size(m.params);
    uint8_t bytes[128];
    std::memcpy(bytes, s.bytes.data(), 128);
    io_uring_sqe q;
    std::memcpy(&q, bytes, 64);
    // PROVIDE_BUFFERS / REMOVE_BUFFERS keep a buffer count in `fd`; everywhere else a
    // non-negative fd without FIXED_FILE names a descriptor of the trace.
    const bool fd_is_count = q.opcode == IORING_OP_PROVIDE_BUFFERS || q.opcode == IORING_OP_REMOVE_BUFFERS;
    if (!(q.flags & IOSQE_FIXED_FILE) && q.fd >= 0 && !fd_is_count) q.fd = map_fd(q.fd);
    if (s.addr) q.addr = resolve(*s.addr);
    if (s.addr3) q.addr3 = resolve(*s.addr3);
    if (s.iovecs.kind == Payload::Kind::kIovecs) {
      std::optional<Address> at;
      if (s.addr || q.addr != 0) at = Address{"", q.addr};
      q.addr = place_payload(s.iovecs, at, "iovecs");
    }
    std::memcpy(bytes, &q, 64);
    std::memcpy(m.sqes + size_t{slot} * size, bytes, size);
  }

  std::vector<SeenCqe> read_cqes(int trace_fd, const ReplayRing& r, uint32_t from, uint32_t to) {
    std::vector<SeenCqe> out;
    const io_uring_params& p = r.maps.params;
    const uint32_t mask = load_acquire(r.maps.cq_ring, p.cq_off.ring_mask);
    const size_t size = cqe_size(p);
    (void)trace_fd;
    for (uint32_t i = from; i != to; ++i) {
      const uint8_t* c = r.maps.cq_ring + p.cq_off.cqes + size_t{i & mask} * size;
      SeenCqe s;
      std::memcpy(&s.user_data, c, 8);
      std::memcpy(&s.res, c + 8, 4);
      std::memcpy(&s.flags, c + 12, 4);
      if (size == 32) {
        std::memcpy(s.big.data(), c + 16, 16);
        s.has_big = true;
      }
      s.reason = target_.take_cqe_reason(r.actual_fd, s.user_data, s.res, s.flags);
      out.push_back(std::move(s));
    }
    return out;
  }

  std::string describe_cqe(const SeenCqe& c) {
    return strprintf("res %s flags 0x%x", describe_result(c.res).c_str(), c.flags);
  }
  std::string describe_cqe(const CqeRecord& c) {
    return strprintf("res %s flags 0x%x", describe_result(c.res).c_str(), c.flags);
  }

  // The SQE of this call whose user_data is `ud` (first not yet used), for messages.
  const SqeRecord* sqe_for(const std::vector<SqeRecord>* sqes, uint64_t ud) {
    if (sqes == nullptr) return nullptr;
    for (const SqeRecord& s : *sqes) {
      if (!s.dropped && s.sqe().user_data == ud) return &s;
    }
    return nullptr;
  }

  std::string sqe_text(const std::vector<SqeRecord>* sqes, uint64_t ud) {
    const SqeRecord* s = sqe_for(sqes, ud);
    return s == nullptr ? std::string() : " [" + describe_sqe(*s) + "]";
  }

  static bool same(const CqeRecord& e, const SeenCqe& a) {
    if (e.user_data != a.user_data || e.res != a.res || e.flags != a.flags) return false;
    if (e.big_cqe && a.has_big && *e.big_cqe != a.big) return false;
    return true;
  }

  // The trace's reason for an unmatched expected CQE, as " (trace: ...)". When several
  // expected CQEs are equal (a reused user_data), which of them the multiset match left
  // over is arbitrary, so every distinct reason among them is shown.
  static std::string trace_reasons(const std::vector<CqeRecord>& expected, const CqeRecord& e) {
    std::vector<const std::string*> reasons;
    for (const CqeRecord& x : expected) {
      if (x.user_data != e.user_data || x.res != e.res || x.flags != e.flags || x.big_cqe != e.big_cqe) continue;
      if (x.reason.empty()) continue;
      bool seen = false;
      for (const std::string* r : reasons) seen |= *r == x.reason;
      if (!seen) reasons.push_back(&x.reason);
    }
    if (reasons.empty()) return std::string();
    if (reasons.size() == 1) return " (trace: " + *reasons[0] + ")";
    std::string out = " (trace, one of the equal CQEs: ";
    for (size_t i = 0; i < reasons.size(); ++i) out += (i ? " | " : "") + *reasons[i];
    return out + ")";
  }

  // Compares one call's CQEs (traces/FORMAT.md, "How a replay compares"):
  //  1. as a multiset of (user_data, res, flags[, big_cqe]);
  //  2. then order, only inside the groups Linux orders: each link chain of this
  //     call's SQEs (chain order), and the NOPs of this call that are in no chain and
  //     not IOSQE_ASYNC (they complete inline, in submission order).
  void compare_cqes(const std::string& call, const std::vector<CqeRecord>& expected, const std::vector<SeenCqe>& actual,
                    const std::vector<SqeRecord>* sqes) {
    std::vector<int> match(expected.size(), -1);  // expected index -> actual index
    std::vector<bool> used(actual.size(), false);
    for (size_t i = 0; i < expected.size(); ++i) {
      for (size_t j = 0; j < actual.size(); ++j) {
        if (!used[j] && same(expected[i], actual[j])) {
          match[i] = static_cast<int>(j);
          used[j] = true;
          break;
        }
      }
    }
    // Mismatches: pair leftovers by user_data first, then report what is missing/extra.
    for (size_t i = 0; i < expected.size(); ++i) {
      if (match[i] >= 0) continue;
      const CqeRecord& e = expected[i];
      int pair = -1;
      for (size_t j = 0; j < actual.size(); ++j) {
        if (!used[j] && actual[j].user_data == e.user_data) {
          pair = static_cast<int>(j);
          break;
        }
      }
      if (pair >= 0) {
        used[static_cast<size_t>(pair)] = true;
        const SeenCqe& a = actual[static_cast<size_t>(pair)];
        std::string extra;
        if (e.res == a.res && e.flags == a.flags) extra = " (big_cqe differs)";
        diverge("%s: CQE user_data %llu%s: trace expects %s, got %s%s%s%s", call.c_str(), (unsigned long long)e.user_data,
                sqe_text(sqes, e.user_data).c_str(), describe_cqe(e).c_str(), describe_cqe(a).c_str(), extra.c_str(),
                reason_suffix(a.reason).c_str(), trace_reasons(expected, e).c_str());
      } else {
        // The trace's reason for the missing CQE says why its source answered so (it
        // may be an SQE of an earlier call, which sqe_text cannot name).
        diverge("%s: CQE user_data %llu%s: trace expects %s, but no such CQE appeared%s", call.c_str(),
                (unsigned long long)e.user_data, sqe_text(sqes, e.user_data).c_str(), describe_cqe(e).c_str(),
                trace_reasons(expected, e).c_str());
      }
    }
    for (size_t j = 0; j < actual.size(); ++j) {
      if (used[j]) continue;
      const SeenCqe& a = actual[j];
      diverge("%s: unexpected CQE user_data %llu%s: %s%s", call.c_str(), (unsigned long long)a.user_data,
              sqe_text(sqes, a.user_data).c_str(), describe_cqe(a).c_str(), reason_suffix(a.reason).c_str());
    }
    if (sqes == nullptr) return;
    check_order(call, expected, match, *sqes);
  }

  void check_order(const std::string& call, const std::vector<CqeRecord>& expected, const std::vector<int>& match,
                   const std::vector<SqeRecord>& sqes) {
    // Group of each SQE: link chains get ids 1.., inline NOPs group 0, others -1.
    std::vector<int> group(sqes.size(), -1);
    std::vector<size_t> chain_len;
    int chain = 0;
    bool in_chain = false;
    for (size_t k = 0; k < sqes.size(); ++k) {
      if (sqes[k].dropped) {
        in_chain = false;
        continue;
      }
      const io_uring_sqe q = sqes[k].sqe();
      const bool links = (q.flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)) != 0;
      if (in_chain || links) {
        if (!in_chain) {
          ++chain;
          chain_len.push_back(0);
        }
        group[k] = chain;
        ++chain_len[static_cast<size_t>(chain - 1)];
        in_chain = links;
      } else if (q.opcode == IORING_OP_NOP && !(q.flags & IOSQE_ASYNC)) {
        group[k] = 0;
      }
    }
    // Attribute each expected CQE to an SQE by user_data (first unattributed).
    std::vector<bool> taken(sqes.size(), false);
    std::map<int, std::vector<size_t>> members;  // group -> expected indices, in trace order
    for (size_t i = 0; i < expected.size(); ++i) {
      for (size_t k = 0; k < sqes.size(); ++k) {
        if (taken[k] || sqes[k].dropped || sqes[k].sqe().user_data != expected[i].user_data) continue;
        taken[k] = true;
        if (group[k] >= 0 && match[i] >= 0) members[group[k]].push_back(i);
        break;
      }
    }
    for (const auto& [g, idx] : members) {
      for (size_t n = 1; n < idx.size(); ++n) {
        if (match[idx[n]] > match[idx[n - 1]]) continue;
        std::string order;
        for (size_t i : idx) order += strprintf(" %llu", (unsigned long long)expected[i].user_data);
        diverge("%s: CQEs out of order: %s (user_data%s) must complete in that order, but user_data %llu came "
                "before user_data %llu",
                call.c_str(), g == 0 ? "NOPs completed inline" : "a link chain", order.c_str(),
                (unsigned long long)expected[idx[n]].user_data, (unsigned long long)expected[idx[n - 1]].user_data);
        break;
      }
    }
  }

  void compare_ring(const std::string& call, const RingExpect& want, const ReplayRing& r, RingExpect* got) {
    const io_uring_params& p = r.maps.params;
    got->sq_flags = load_acquire(r.maps.sq_ring, p.sq_off.flags);
    got->dropped = load_acquire(r.maps.sq_ring, p.sq_off.dropped);
    got->cq_overflow = load_acquire(r.maps.cq_ring, p.cq_off.overflow);
    auto check = [&](const char* name, const std::optional<uint32_t>& w, uint32_t g) {
      if (w && *w != g) diverge("%s: ring %s is %u, trace expects %u", call.c_str(), name, g, *w);
    };
    check("sq_flags", want.sq_flags, *got->sq_flags);
    check("dropped", want.dropped, *got->dropped);
    check("cq_overflow", want.cq_overflow, *got->cq_overflow);
  }

  static std::vector<CqeRecord> to_records(const std::vector<SeenCqe>& seen) {
    std::vector<CqeRecord> out;
    for (const SeenCqe& s : seen) {
      CqeRecord c;
      c.user_data = s.user_data;
      c.res = s.res;
      c.flags = s.flags;
      if (s.has_big) c.big_cqe = s.big;
      c.reason = s.reason;
      out.push_back(std::move(c));
    }
    return out;
  }

  void enter(const EnterEvent& e) {
    auto it = rings_.find(e.fd);
    ReplayRing* ring = it == rings_.end() ? nullptr : &it->second;
    const int fd = ring != nullptr ? ring->actual_fd : map_fd(e.fd);
    const std::string call = strprintf("enter(fd %d, to_submit %u, min_complete %u, flags 0x%x)", e.fd, e.to_submit,
                                       e.min_complete, e.flags);
    uint32_t cq_tail_before = 0;
    if (ring != nullptr && ring->maps.sq_ring != nullptr) {
      const RingMaps& m = ring->maps;
      const io_uring_params& p = m.params;
      const uint32_t mask = load_acquire(m.sq_ring, p.sq_off.ring_mask);
      uint32_t tail = *reinterpret_cast<uint32_t*>(m.sq_ring + p.sq_off.tail);
      const bool no_array = (p.flags & IORING_SETUP_NO_SQARRAY) != 0;
      for (const SqeRecord& s : e.sqes) {
        const uint32_t pos = tail & mask;
        if (s.dropped) {
          if (no_array) {
            diverge("%s: a dropped SQ entry needs an SQ array, and this ring has NO_SQARRAY", call.c_str());
          } else {
            reinterpret_cast<uint32_t*>(m.sq_ring + p.sq_off.array)[pos] = s.sq_index;
          }
        } else {
          if (!no_array) reinterpret_cast<uint32_t*>(m.sq_ring + p.sq_off.array)[pos] = pos;
          write_sqe(m, pos, s);
        }
        ++tail;
      }
      store_release(m.sq_ring, p.sq_off.tail, tail);
      cq_tail_before = ring->next_cq_start(load_acquire(m.cq_ring, p.cq_off.tail));
      store_release(m.cq_ring, p.cq_off.head, e.cq_head ? *e.cq_head : cq_tail_before);
    } else if (!e.sqes.empty()) {
      diverge("%s: fd %d is not a ring this replay set up; its %zu SQEs cannot be queued", call.c_str(), e.fd,
              e.sqes.size());
    }
    const uint64_t arg = e.arg ? resolve(*e.arg) : 0;
    ++out_.calls;
    out_.sqes += e.sqes.size();
    const bool mapped = ring != nullptr && ring->maps.sq_ring != nullptr;
    const uint32_t sq_head_before = mapped ? load_acquire(ring->maps.sq_ring, ring->maps.params.sq_off.head) : 0;
    const int64_t ret = target_.enter(fd, e.to_submit, e.min_complete, e.flags, arg, e.argsz);
    compare_ret(call.c_str(), e.ret, ret, false,
                mapped ? batch_end_note(ring->maps, sq_head_before, e, ret) : std::string());
    std::vector<SeenCqe> seen;
    RingExpect got;
    if (ring != nullptr && ring->maps.cq_ring != nullptr) {
      target_.settle(ring->maps, cq_tail_before, static_cast<uint32_t>(e.cqes.size()));
      const uint32_t tail_after = load_acquire(ring->maps.cq_ring, ring->maps.params.cq_off.tail);
      seen = read_cqes(e.fd, *ring, cq_tail_before, tail_after);
      ring->cq_read_up_to = tail_after;
      compare_ring(call, e.ring, *ring, &got);
    }
    out_.cqes += seen.size();
    compare_cqes(call, e.cqes, seen, &e.sqes);
    if (opt_.update) {
      auto& u = std::get<EnterEvent>(updated_event().body);
      u.ret = ret;
      u.reason = ret < 0 ? target_.last_call_reason() : std::string();
      u.cqes = to_records(seen);
      if (e.ring.sq_flags || (got.sq_flags && *got.sq_flags != 0)) u.ring.sq_flags = got.sq_flags;
      if (e.ring.dropped || (got.dropped && *got.dropped != 0)) u.ring.dropped = got.dropped;
      if (e.ring.cq_overflow || (got.cq_overflow && *got.cq_overflow != 0)) u.ring.cq_overflow = got.cq_overflow;
    }
  }

  void do_register(const RegisterEvent& r) {
    auto it = rings_.find(r.fd);
    ReplayRing* ring = it == rings_.end() ? nullptr : &it->second;
    const int fd = ring != nullptr ? ring->actual_fd : map_fd(r.fd);
    const char* name = register_op_name(r.opcode & ~IORING_REGISTER_USE_REGISTERED_RING);
    const std::string call = name != nullptr ? strprintf("register(fd %d, %s, nr_args %u)", r.fd, name, r.nr_args)
                                             : strprintf("register(fd %d, opcode %u, nr_args %u)", r.fd, r.opcode, r.nr_args);
    const uint64_t arg = place_payload(r.payload, r.arg, "arg");
    uint32_t cq_tail_before = 0;
    if (ring != nullptr && ring->maps.cq_ring != nullptr) {
      cq_tail_before = ring->next_cq_start(load_acquire(ring->maps.cq_ring, ring->maps.params.cq_off.tail));
    }
    ++out_.calls;
    const int64_t ret = target_.do_register(fd, r.opcode, arg, r.nr_args);
    compare_ret(call.c_str(), r.ret, ret, false);
    std::vector<SeenCqe> seen;
    if (ring != nullptr && ring->maps.cq_ring != nullptr) {
      const uint32_t tail_after = load_acquire(ring->maps.cq_ring, ring->maps.params.cq_off.tail);
      seen = read_cqes(r.fd, *ring, cq_tail_before, tail_after);
      ring->cq_read_up_to = tail_after;
    }
    out_.cqes += seen.size();
    compare_cqes(call, r.cqes, seen, nullptr);
    if (opt_.update) {
      auto& u = std::get<RegisterEvent>(updated_event().body);
      u.ret = ret;
      u.reason = ret < 0 ? target_.last_call_reason() : std::string();
      u.cqes = to_records(seen);
    }
  }

  const Trace& t_;
  Target& target_;
  const ReplayOptions& opt_;
  ReplayResult& out_;
  int line_ = 0;
  size_t event_index_ = 0;
  std::map<int, ReplayRing> rings_;  // trace fd -> ring on the target
  std::vector<int> orphans_;         // rings the trace did not expect to exist
};

}  // namespace

ReplayResult replay(const Trace& trace, Target& target, const ReplayOptions& options) {
  ReplayResult result;
  std::string why;
  if (trace.header.shape) {
    auto* sim = dynamic_cast<SimTarget*>(&target);
    const Profile* p = sim == nullptr ? nullptr
                       : sim->override_profile() != nullptr ? sim->override_profile()
                                                            : find_profile(trace.header.profile);
    if (p == nullptr) {
      result.skipped = true;
      result.skip_reason = "a shape trace (imported from perf) carries no memory contents and no SQE addresses, "
                           "so only the simulator's shape check can replay it";
      return result;
    }
    return replay_shape(trace, *p);
  }
  if (!target.prepare(trace, &why)) {
    result.skipped = true;
    result.skip_reason = why;
    return result;
  }
  Replayer r(trace, target, options, &result);
  r.run();
  return result;
}

double replay_events_per_second(const Trace& trace, double min_seconds, std::string* error) {
  double seconds = 0;
  size_t calls = 0;
  do {
    SimTarget sim;
    ReplayResult r = replay(trace, sim);
    if (!r.ok()) {
      if (error != nullptr) {
        *error = r.skipped ? r.skip_reason : r.divergences.front().message;
      }
      return 0;
    }
    seconds += r.seconds;
    calls += r.calls;
    if (r.calls == 0) break;
  } while (seconds < min_seconds);
  return seconds > 0 ? static_cast<double>(calls) / seconds : 0;
}

}  // namespace uringsim::traces
