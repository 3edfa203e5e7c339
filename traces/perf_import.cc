#include "traces/perf_import.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "kernel_model/opdef.h"
#include "kernel_model/profile.h"

namespace uringsim::traces {
namespace {

// One `perf script` sample line, split: "comm tid [cpu] secs.usecs: [period] sys:event: args".
struct PerfLine {
  std::string comm;
  int pid = 0;
  std::string timestamp;
  std::string system;
  std::string event;
  std::vector<std::string> args;  // the argument text split at spaces, ',' and '='
};

bool is_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool is_timestamp(std::string_view s) {  // "1234.567890:"
  if (s.size() < 3 || s.back() != ':') return false;
  s.remove_suffix(1);
  const size_t dot = s.find('.');
  return dot != std::string_view::npos && is_digits(s.substr(0, dot)) && is_digits(s.substr(dot + 1));
}

std::vector<std::string> split_ws(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// Parses the fixed part of a sample line. The comm may contain spaces, so the line is
// read from the "[cpu]" token: comm ... tid [cpu] timestamp: [period] sys:event: args.
bool split_perf_line(std::string_view line, PerfLine* out, std::string* what) {
  const std::vector<std::string> tok = split_ws(line);
  size_t cpu = tok.size();
  for (size_t i = 0; i < tok.size(); ++i) {
    const std::string& t = tok[i];
    if (t.size() >= 3 && t.front() == '[' && t.back() == ']' && is_digits(std::string_view(t).substr(1, t.size() - 2))) {
      cpu = i;
      break;
    }
  }
  if (cpu == tok.size() || cpu < 1 || cpu + 2 >= tok.size()) {
    *what = "not a perf script sample line (expected: COMM TID [CPU] SECS.USECS: SYSTEM:EVENT: ARGS)";
    return false;
  }
  std::string pid = tok[cpu - 1];
  if (const size_t slash = pid.find('/'); slash != std::string::npos) pid = pid.substr(0, slash);  // pid/tid
  if (!is_digits(pid) || cpu < 2) {
    *what = "expected COMM and a TID before [" + tok[cpu].substr(1, tok[cpu].size() - 2) + "]";
    return false;
  }
  out->pid = std::atoi(pid.c_str());
  for (size_t i = 0; i + 1 < cpu; ++i) out->comm += (i ? " " : "") + tok[i];
  if (!is_timestamp(tok[cpu + 1])) {
    *what = "expected a timestamp SECS.USECS: after [CPU], got '" + tok[cpu + 1] + "'";
    return false;
  }
  out->timestamp = tok[cpu + 1].substr(0, tok[cpu + 1].size() - 1);
  size_t ev = cpu + 2;
  if (ev < tok.size() && is_digits(tok[ev])) ++ev;  // a sample period
  if (ev >= tok.size()) {
    *what = "expected SYSTEM:EVENT: after the timestamp";
    return false;
  }
  const std::string& name = tok[ev];
  const size_t colon = name.find(':');
  if (colon == std::string::npos || colon == 0 || name.back() != ':' || colon + 2 > name.size()) {
    *what = "expected SYSTEM:EVENT: after the timestamp, got '" + name + "'";
    return false;
  }
  out->system = name.substr(0, colon);
  out->event = name.substr(colon + 1, name.size() - colon - 2);
  // The arguments: everything after the event name, with ',' and '=' as separators.
  const size_t at = line.find(name, line.find(tok[cpu + 1]) + tok[cpu + 1].size());
  std::string args(line.substr(at + name.size()));
  for (char& c : args) {
    if (c == ',' || c == '=') c = ' ';
  }
  out->args = split_ws(args);
  return true;
}

std::optional<int64_t> parse_int(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty() || s.size() > 16 + (base == 10 ? 4 : 0)) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    v = v * base + d;
  }
  return neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
}

class Importer {
 public:
  Importer(const std::string& name, const PerfImportOptions& options, Trace* out, PerfImportStats* stats)
      : name_(name), out_(out), stats_(stats) {
    *out_ = Trace{};
    out_->header.profile = options.profile;
    out_->header.creator = "uringsim import-perf";
    out_->header.shape = true;
    out_->header.note = "imported from perf script output " + name +
                        "; replayed in shape mode (traces/FORMAT.md, \"Imported traces\")";
  }

  bool line(std::string_view text, int lineno, TraceError* err) {
    lineno_ = lineno;
    err_ = err;
    PerfLine l;
    std::string what;
    if (!split_perf_line(text, &l, &what)) return fail("", what);
    ++stats_->lines;
    if (l.system != "io_uring") {
      ++stats_->skipped_events;
      return true;
    }
    line_ = &l;
    bool used = true;
    bool ok = true;
    const std::string& e = l.event;
    if (e == "io_uring_create") {
      ok = on_create();
    } else if (e == "io_uring_register") {
      ok = on_register();
    } else if (e == "io_uring_submit_req" || e == "io_uring_submit_sqe") {
      ok = on_submit();
    } else if (e == "io_uring_req_failed") {
      ok = on_req_failed();
    } else if (e == "io_uring_file_get") {
      ok = on_file_get();
    } else if (e == "io_uring_complete") {
      ok = on_complete();
    } else if (e == "io_uring_cqe_overflow") {
      ok = on_overflow();
    } else if (e == "io_uring_link" || e == "io_uring_fail_link" || e == "io_uring_queue_async_work" ||
               e == "io_uring_defer" || e == "io_uring_poll_arm" || e == "io_uring_task_add") {
      ok = on_request_note();
    } else if (e == "io_uring_short_write" || e == "io_uring_local_work_run") {
      ok = on_ring_note();
    } else if (e == "io_uring_cqring_wait") {
      // The task waits for CQEs: its submissions of this call are over.
      std::string ctx;
      if (!str("ring", &ctx)) return false;
      ring(ctx).open_enter = -1;
    } else {
      used = false;  // io_uring_task_work_run, io_uring_add_to_prev, ...
    }
    line_ = nullptr;
    if (!ok) return false;
    if (used) {
      ++stats_->io_uring_events;
    } else {
      ++stats_->skipped_events;
    }
    return true;
  }

  bool finish(TraceError* err) {
    if (stats_->io_uring_events == 0) {
      *err = TraceError{name_, lineno_, "", "no io_uring:* events (record them with: perf record -e 'io_uring:*' -- PROG)"};
      return false;
    }
    return true;
  }

 private:
  struct Ring {
    int fd = -1;
    int open_enter = -1;  // index in events of the enter still taking SQEs, or -1
    int last_enter = -1;  // index in events of the ring's latest enter, or -1
    int enter_pid = 0;
    double last_submit = 0;  // timestamp (s) of the open enter's latest submission
    std::set<std::string> batch_reqs;  // request pointers submitted in the open enter
  };
  struct ReqRef {
    size_t event = 0;
    size_t sqe = 0;
  };

  bool fail(const std::string& field, const std::string& what) {
    *err_ = TraceError{name_, lineno_, field, what};
    return false;
  }

  // The value after the key words `key` ("sq size" is two words), or nullopt.
  std::optional<std::string> raw(std::string_view key) const {
    const std::vector<std::string> words = split_ws(key);
    const std::vector<std::string>& a = line_->args;
    for (size_t i = 0; i + words.size() < a.size(); ++i) {
      bool match = true;
      for (size_t k = 0; k < words.size() && match; ++k) match = a[i + k] == words[k];
      if (match) return a[i + words.size()];
    }
    return std::nullopt;
  }
  bool str(std::string_view key, std::string* out) {
    std::optional<std::string> v = raw(key);
    if (!v) return fail(std::string(key), "missing in " + line_->event);
    *out = *v;
    return true;
  }
  bool num(std::string_view key, int64_t* out) {
    std::optional<std::string> v = raw(key);
    if (!v) return fail(std::string(key), "missing in " + line_->event);
    std::optional<int64_t> n = parse_int(*v);
    if (!n) return fail(std::string(key), "expected an integer, got '" + *v + "'");
    *out = *n;
    return true;
  }
  bool opt_num(std::string_view key, int64_t* out) {
    if (!raw(key)) return true;
    return num(key, out);
  }
  // "req 0x..." (most events) or "request 0x..." (queue_async_work, defer, link).
  bool req(std::string* out) {
    if (raw("req")) return str("req", out);
    return str("request", out);
  }
  // The opcode: a number (older kernels) or a name (newer: "opcode READ_FIXED").
  bool opcode(uint8_t* out) {
    const char* key = raw("opcode") ? "opcode" : "op";
    std::string v;
    if (!str(key, &v)) return false;
    if (std::optional<int64_t> n = parse_int(v)) {
      if (*n < 0 || *n > 255) return fail(key, "opcode " + v + " is out of range");
      *out = static_cast<uint8_t>(*n);
      return true;
    }
    if (std::optional<uint8_t> op = parse_op(v)) {
      *out = *op;
      return true;
    }
    // io_uring_get_opcode() prints "INVALID" for opcodes it does not know; the number
    // is lost. 255 exists in no profile, so the shape check expects -EINVAL.
    if (v == "INVALID" || v == "UNKNOWN") {
      *out = 255;
      return true;
    }
    return fail(key, "unknown opcode name '" + v + "'");
  }

  Ring& ring(const std::string& ctx) {
    auto it = rings_.find(ctx);
    if (it != rings_.end()) return it->second;
    // A ring created before perf started: give it a setup of its own.
    Ring r;
    r.fd = next_fd();
    Event ev;
    ev.line = lineno_;
    SetupEvent s;
    s.entries = 1;
    s.params = io_uring_params{};
    s.ret = r.fd;
    ev.body = s;
    ev.note = "ring " + ctx + ": its io_uring_create was not traced (created before perf started)";
    out_->events.push_back(std::move(ev));
    return rings_.emplace(ctx, r).first->second;
  }
  int next_fd() {
    while (used_fds_.count(fd_counter_)) ++fd_counter_;
    used_fds_.insert(fd_counter_);
    return fd_counter_++;
  }

  bool on_create() {
    std::string ctx;
    int64_t fd, sq, cq, flags;
    if (!str("ring", &ctx) || !num("fd", &fd) || !num("sq size", &sq) || !num("cq size", &cq) ||
        !num("flags", &flags)) {
      return false;
    }
    if (fd < 0) return fail("fd", "a created ring has fd >= 0");
    // A ring context pointer is reused after the ring is freed: a new create starts a new ring.
    int name = static_cast<int>(fd);
    if (used_fds_.count(name)) name = next_fd();
    used_fds_.insert(name);
    Event ev;
    ev.line = lineno_;
    SetupEvent s;
    s.entries = static_cast<uint32_t>(sq);
    io_uring_params p{};
    p.flags = static_cast<uint32_t>(flags);
    if (p.flags & IORING_SETUP_CQSIZE) p.cq_entries = static_cast<uint32_t>(cq);
    s.params = p;
    s.ret = name;
    s.params_out["sq_entries"] = static_cast<uint64_t>(sq);
    s.params_out["cq_entries"] = static_cast<uint64_t>(cq);
    ev.body = s;
    out_->events.push_back(std::move(ev));
    Ring r;
    r.fd = name;
    rings_[ctx] = r;
    return true;
  }

  bool on_register() {
    std::string ctx;
    int64_t op, ret, files = 0, bufs = 0;
    if (!str("ring", &ctx) || !num("opcode", &op) || !num("ret", &ret) || !opt_num("nr_user_files", &files) ||
        !opt_num("nr_user_bufs", &bufs)) {
      return false;
    }
    Ring& r = ring(ctx);
    r.open_enter = -1;
    Event ev;
    ev.line = lineno_;
    RegisterEvent reg;
    reg.fd = r.fd;
    reg.opcode = static_cast<uint32_t>(op);
    reg.ret = ret;
    ev.body = reg;
    ev.note = "after the call: nr_user_files " + std::to_string(files) + ", nr_user_bufs " + std::to_string(bufs);
    out_->events.push_back(std::move(ev));
    return true;
  }

  // The enter the next SQE of `r` goes into: the open one when the same task is still
  // submitting, else a new one.
  EnterEvent& enter_for_submit(Ring& r) {
    // perf does not see io_uring_enter: submissions of one task more than 50 us apart
    // are taken to be separate calls (one call submits its SQEs back to back).
    const double now = std::strtod(line_->timestamp.c_str(), nullptr);
    const bool gap = now - r.last_submit > 50e-6;
    r.last_submit = now;
    if (r.open_enter < 0 || r.enter_pid != line_->pid || gap) {
      Event ev;
      ev.line = lineno_;
      EnterEvent en;
      en.fd = r.fd;
      en.flags = IORING_ENTER_GETEVENTS;
      ev.body = en;
      ev.note = "grouped from perf events of " + line_->comm + " (" + std::to_string(line_->pid) + ") from " +
                line_->timestamp;
      out_->events.push_back(std::move(ev));
      r.open_enter = r.last_enter = static_cast<int>(out_->events.size() - 1);
      r.enter_pid = line_->pid;
      r.batch_reqs.clear();
    }
    return std::get<EnterEvent>(out_->events[r.open_enter].body);
  }

  SqeRecord& add_sqe(Ring& r, const std::string& reqp, const io_uring_sqe& sqe) {
    EnterEvent& en = enter_for_submit(r);
    SqeRecord s;
    s.line = lineno_;
    std::memcpy(s.bytes.data(), &sqe, sizeof(sqe));
    en.sqes.push_back(s);
    en.to_submit = static_cast<uint32_t>(en.sqes.size());
    en.ret = static_cast<int64_t>(en.sqes.size());
    reqs_[reqp] = ReqRef{static_cast<size_t>(r.open_enter), en.sqes.size() - 1};
    r.batch_reqs.insert(reqp);
    return en.sqes.back();
  }

  SqeRecord* find_req(const std::string& reqp) {
    auto it = reqs_.find(reqp);
    if (it == reqs_.end()) return nullptr;
    auto* en = std::get_if<EnterEvent>(&out_->events[it->second.event].body);
    if (en == nullptr || it->second.sqe >= en->sqes.size()) return nullptr;
    return &en->sqes[it->second.sqe];
  }

  static void add_note(std::string* note, const std::string& what) {
    *note += (note->empty() ? "" : "; ") + what;
  }

  bool on_submit() {
    std::string ctx, reqp;
    int64_t user_data, flags;
    uint8_t op;
    if (!str("ring", &ctx) || !req(&reqp) || !num("user_data", &user_data) || !opcode(&op) ||
        !num("flags", &flags)) {
      return false;
    }
    Ring& r = ring(ctx);
    io_uring_sqe sqe{};
    sqe.opcode = op;
    // The low request flags (REQ_F_FIXED_FILE ... REQ_F_CQE_SKIP) are the IOSQE_* bits.
    sqe.flags = static_cast<uint8_t>(flags & 0x7f);
    sqe.user_data = static_cast<uint64_t>(user_data);
    SqeRecord& s = add_sqe(r, reqp, sqe);
    int64_t sq_thread = 0;
    if (!opt_num("sq_thread", &sq_thread)) return false;
    if (sq_thread != 0) add_note(&s.note, "submitted by the SQPOLL thread");
    return true;
  }

  bool on_req_failed() {
    std::string ctx, reqp;
    int64_t user_data, flags, prio = 0, off = 0, addr = 0, len = 0, rw_flags = 0, buf_index = 0, personality = 0,
                                file_index = 0, addr3 = 0, error;
    uint8_t op;
    if (!str("ring", &ctx) || !req(&reqp) || !num("user_data", &user_data) || !opcode(&op) ||
        !num("flags", &flags) || !opt_num("prio", &prio) || !opt_num("off", &off) || !opt_num("addr", &addr) ||
        !opt_num("len", &len) || !opt_num("rw_flags", &rw_flags) || !opt_num("buf_index", &buf_index) ||
        !opt_num("personality", &personality) || !opt_num("file_index", &file_index) ||
        !opt_num("error", &error)) {
      return false;
    }
    if (raw("addr3")) {  // printed without 0x: "addr3=%llx"
      std::optional<int64_t> v = parse_int("0x" + *raw("addr3"));
      if (!v) return fail("addr3", "expected a hex number, got '" + *raw("addr3") + "'");
      addr3 = *v;
    }
    Ring& r = ring(ctx);
    io_uring_sqe sqe{};
    sqe.opcode = op;
    sqe.flags = static_cast<uint8_t>(flags);
    sqe.ioprio = static_cast<uint16_t>(prio);
    sqe.off = static_cast<uint64_t>(off);
    sqe.addr = static_cast<uint64_t>(addr);
    sqe.len = static_cast<uint32_t>(len);
    sqe.rw_flags = static_cast<uint32_t>(rw_flags);
    sqe.user_data = static_cast<uint64_t>(user_data);
    sqe.buf_index = static_cast<uint16_t>(buf_index);
    sqe.personality = static_cast<uint16_t>(personality);
    sqe.file_index = static_cast<uint32_t>(file_index);
    sqe.addr3 = static_cast<uint64_t>(addr3);
    // Linux fails the request in io_init_req, before io_uring_submit_req would have
    // fired; an already traced SQE for this request is completed with the fields.
    SqeRecord* s = find_req(reqp);
    if (s != nullptr && r.batch_reqs.count(reqp)) {
      const int32_t fd = s->sqe().fd;
      sqe.fd = fd;
      std::memcpy(s->bytes.data(), &sqe, sizeof(sqe));
    } else {
      s = &add_sqe(r, reqp, sqe);
    }
    add_note(&s->note, "failed in submission with " + std::to_string(error) + " (io_uring_req_failed)");
    return true;
  }

  bool on_file_get() {
    std::string ctx, reqp;
    int64_t fd;
    if (!str("ring", &ctx) || !num("fd", &fd)) return false;
    if (!raw("req")) return true;  // older kernels: "ring %p, fd %d" names no request
    if (!req(&reqp)) return false;
    ring(ctx);
    if (SqeRecord* s = find_req(reqp)) {
      io_uring_sqe sqe = s->sqe();
      sqe.fd = static_cast<int32_t>(fd);
      std::memcpy(s->bytes.data(), &sqe, sizeof(sqe));
    }
    return true;
  }

  bool on_complete() {
    std::string ctx, reqp;
    int64_t user_data, res, cflags, extra1 = 0, extra2 = 0;
    if (!str("ring", &ctx) || !num("user_data", &user_data) || !num("result", &res) || !num("cflags", &cflags) ||
        !opt_num("extra1", &extra1) || !opt_num("extra2", &extra2)) {
      return false;
    }
    if (res < INT32_MIN || res > INT32_MAX) return fail("result", "out of range for a CQE res");
    Ring& r = ring(ctx);
    if (raw("req") && !req(&reqp)) return false;
    // A completion of a request not submitted in the open enter ends that enter.
    if (r.open_enter >= 0 && !r.batch_reqs.count(reqp)) r.open_enter = -1;
    if (r.last_enter < 0) {
      Event ev;
      ev.line = lineno_;
      EnterEvent en;
      en.fd = r.fd;
      en.flags = IORING_ENTER_GETEVENTS;
      ev.body = en;
      ev.note = "completions of requests submitted before perf started";
      out_->events.push_back(std::move(ev));
      r.last_enter = static_cast<int>(out_->events.size() - 1);
    }
    CqeRecord c;
    c.line = lineno_;
    c.user_data = static_cast<uint64_t>(user_data);
    c.res = static_cast<int32_t>(res);
    c.flags = static_cast<uint32_t>(cflags);
    if (raw("extra1") && (extra1 != 0 || extra2 != 0)) {
      c.big_cqe = std::array<uint64_t, 2>{static_cast<uint64_t>(extra1), static_cast<uint64_t>(extra2)};
    }
    std::get<EnterEvent>(out_->events[r.last_enter].body).cqes.push_back(c);
    if (!(c.flags & IORING_CQE_F_MORE)) reqs_.erase(reqp);
    return true;
  }

  bool on_overflow() {
    std::string ctx;
    int64_t user_data, res;
    if (!str("ring", &ctx) || !num("user_data", &user_data) || !num("res", &res)) return false;
    Ring& r = ring(ctx);
    if (r.last_enter >= 0) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "CQE user_data 0x%llx res %lld went to the overflow list",
                    static_cast<unsigned long long>(user_data), static_cast<long long>(res));
      add_note(&out_->events[r.last_enter].note, buf);
    }
    return true;
  }

  bool on_request_note() {
    std::string ctx, reqp;
    if (!str("ring", &ctx) || !req(&reqp)) return false;
    ring(ctx);
    const std::string& e = line_->event;
    std::string what;
    if (e == "io_uring_link") {
      std::string after;
      if (!str("after", &after)) return false;
      what = "linked after request " + after;
    } else if (e == "io_uring_fail_link") {
      std::string link;
      if (!str("link", &link)) return false;
      // The note goes to the cancelled request: it is the one whose CQE says -ECANCELED.
      if (SqeRecord* s = find_req(link)) add_note(&s->note, "cancelled: request " + reqp + " before it in the chain failed");
      return true;
    } else if (e == "io_uring_queue_async_work") {
      std::string kind = "an io-wq";
      for (size_t i = 1; i < line_->args.size(); ++i) {
        if (line_->args[i] == "queue") kind = "the " + line_->args[i - 1] + " io-wq";
      }
      what = "punted to " + kind + " queue";
    } else if (e == "io_uring_defer") {
      what = "deferred (IOSQE_IO_DRAIN or a drain in progress)";
    } else if (e == "io_uring_poll_arm") {
      what = "poll armed" + (raw("events") ? ", events " + *raw("events") : std::string());
    } else {
      what = "task work queued" + (raw("mask") ? ", mask " + *raw("mask") : std::string());
    }
    if (SqeRecord* s = find_req(reqp)) add_note(&s->note, what);
    return true;
  }

  bool on_ring_note() {
    std::string ctx;
    if (!str("ring", &ctx)) return false;
    Ring& r = ring(ctx);
    std::string what;
    if (line_->event == "io_uring_short_write") {
      std::string fpos, wanted, got;
      if (!str("fpos", &fpos) || !str("wanted", &wanted) || !str("got", &got)) return false;
      what = "short write at " + fpos + ": wanted " + wanted + ", got " + got;
    } else {
      std::string count;
      if (!str("count", &count)) return false;
      what = "ran " + count + " local task work items (DEFER_TASKRUN)";
    }
    if (r.last_enter >= 0) add_note(&out_->events[r.last_enter].note, what);
    return true;
  }

  std::string name_;
  Trace* out_;
  PerfImportStats* stats_;
  int lineno_ = 0;
  TraceError* err_ = nullptr;
  const PerfLine* line_ = nullptr;
  std::map<std::string, Ring> rings_;  // by ring context pointer
  std::map<std::string, ReqRef> reqs_;  // in-flight requests by pointer
  std::set<int> used_fds_;
  int fd_counter_ = 3;
};

}  // namespace

bool import_perf_script(std::string_view text, const std::string& name, const PerfImportOptions& options,
                        Trace* out, TraceError* err, PerfImportStats* stats) {
  if (find_profile(options.profile) == nullptr) {
    *err = TraceError{name, 0, "", "unknown kernel profile '" + options.profile + "'"};
    return false;
  }
  PerfImportStats local;
  if (stats == nullptr) stats = &local;
  *stats = PerfImportStats{};
  Importer im(name, options, out, stats);
  int lineno = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(pos, end - pos);
    pos = end + 1;
    ++lineno;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    size_t first = l.find_first_not_of(" \t");
    if (first == std::string_view::npos || l[first] == '#') continue;
    if (!im.line(l, lineno, err)) return false;
  }
  if (!im.finish(err)) return false;
  out->path = name;
  return true;
}

bool import_perf_script_file(const std::string& path, const PerfImportOptions& options, Trace* out,
                             TraceError* err, PerfImportStats* stats) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *err = TraceError{path, 0, "", std::string("cannot open: ") + std::strerror(errno)};
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return import_perf_script(ss.str(), path, options, out, err, stats);
}

}  // namespace uringsim::traces
