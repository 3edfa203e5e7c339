#include "traces/jsonl.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "kernel_model/fault.h"
#include "kernel_model/opdef.h"
#include "kernel_model/profile.h"
#include "traces/chaos_profile.h"

namespace uringsim::traces {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

// Thrown inside the reader only; parse_trace turns it into a TraceError.
struct Bad {
  std::string field;
  std::string what;
};

[[noreturn]] void bad(std::string field, std::string what) { throw Bad{std::move(field), std::move(what)}; }

const char* type_name(const json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number_float()) return "a fractional number";
  if (j.is_number()) return "a number";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "an array";
  return "an object";
}

// Integers may be JSON integers or "0x..." strings (addresses read better in hex).
bool as_u64(const json& j, uint64_t* v) {
  if (j.is_number_unsigned()) {
    *v = j.get<uint64_t>();
    return true;
  }
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (s.size() < 3 || s.size() > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
    uint64_t r = 0;
    for (size_t i = 2; i < s.size(); ++i) {
      const char c = s[i];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) return false;
      r = r << 4 | static_cast<uint64_t>(d);
    }
    *v = r;
    return true;
  }
  return false;
}

// An object's fields, each taken once; finish() reports the ones nobody asked for.
class Obj {
 public:
  Obj(const json& j, std::string prefix) : j_(j), prefix_(std::move(prefix)) {
    if (!j_.is_object()) bad(prefix_.empty() ? "" : prefix_.substr(0, prefix_.size() - 1),
                             std::string("expected an object, got ") + type_name(j_));
  }

  std::string name(const char* key) const { return prefix_ + key; }
  bool has(const char* key) const { return j_.contains(key); }
  const json& raw(const char* key) {
    seen_.insert(key);
    auto it = j_.find(key);
    if (it == j_.end()) bad(name(key), "missing");
    return *it;
  }
  const json* opt(const char* key) {
    seen_.insert(key);
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }

  uint64_t u64(const char* key) { return u64_of(raw(key), name(key)); }
  uint32_t u32(const char* key) { return u32_of(raw(key), name(key)); }
  int64_t i64(const char* key) { return i64_of(raw(key), name(key)); }
  int32_t i32(const char* key) {
    const int64_t v = i64(key);
    if (v < INT32_MIN || v > INT32_MAX) bad(name(key), strprintf("%lld does not fit in 32 bits", (long long)v));
    return static_cast<int32_t>(v);
  }
  bool boolean(const char* key) {
    const json& v = raw(key);
    if (!v.is_boolean()) bad(name(key), std::string("expected true or false, got ") + type_name(v));
    return v.get<bool>();
  }
  std::string str(const char* key) {
    const json& v = raw(key);
    if (!v.is_string()) bad(name(key), std::string("expected a string, got ") + type_name(v));
    return v.get<std::string>();
  }
  std::string opt_str(const char* key) { return has(key) ? str(key) : std::string(); }

  static uint64_t u64_of(const json& v, const std::string& field) {
    uint64_t r;
    if (!as_u64(v, &r)) {
      if (v.is_number_integer()) bad(field, strprintf("%lld is negative; expected an unsigned integer", (long long)v.get<int64_t>()));
      bad(field, std::string("expected an unsigned integer (or a \"0x...\" string), got ") + type_name(v) +
                     (v.is_string() ? " \"" + v.get<std::string>() + "\"" : ""));
    }
    return r;
  }
  static uint32_t u32_of(const json& v, const std::string& field) {
    const uint64_t r = u64_of(v, field);
    if (r > UINT32_MAX) bad(field, strprintf("%llu does not fit in 32 bits", (unsigned long long)r));
    return static_cast<uint32_t>(r);
  }
  static int64_t i64_of(const json& v, const std::string& field) {
    if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<int64_t>();
    uint64_t r;
    if (!as_u64(v, &r)) bad(field, std::string("expected an integer, got ") + type_name(v));
    if (r > static_cast<uint64_t>(INT64_MAX)) bad(field, strprintf("%llu does not fit in a signed 64-bit integer", (unsigned long long)r));
    return static_cast<int64_t>(r);
  }

  void finish() const {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (!seen_.count(it.key())) bad(prefix_ + it.key(), "unknown field");
    }
  }

 private:
  const json& j_;
  std::string prefix_;
  std::set<std::string> seen_;
};

std::vector<uint8_t> hex_of(const json& v, const std::string& field) {
  if (!v.is_string()) bad(field, std::string("expected a hex string, got ") + type_name(v));
  std::vector<uint8_t> out;
  size_t at = 0;
  const std::string& s = v.get_ref<const std::string&>();
  if (!from_hex(s, &out, &at)) {
    if (at >= s.size()) bad(field, strprintf("bad hex: odd number of digits (%zu)", s.size()));
    bad(field, strprintf("bad hex: '%c' at position %zu is not a hex digit", s[at], at));
  }
  return out;
}

uint32_t flags_of(const json& v, const std::string& field, const std::vector<FlagName>& names) {
  if (!v.is_array()) return Obj::u32_of(v, field);
  uint32_t r = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const json& e = v[i];
    const std::string f = field + strprintf("[%zu]", i);
    if (!e.is_string()) {
      r |= Obj::u32_of(e, f);
      continue;
    }
    bool found = false;
    for (const FlagName& n : names) {
      if (e.get_ref<const std::string&>() == n.name) {
        r |= n.bit;
        found = true;
      }
    }
    if (!found) bad(f, "unknown flag \"" + e.get<std::string>() + "\"");
  }
  return r;
}

struct RingFd {
  int line;
};

// Everything the reader knows so far, for the consistency checks.
class Reader {
 public:
  Reader(Trace* t) : t_(*t) {}

  void header(const json& j) {
    Obj o(j, "");
    if (!o.has("uringsim_trace")) bad("uringsim_trace", "missing: the first line must be the header {\"uringsim_trace\": 1, ...}");
    const json& v = o.raw("uringsim_trace");
    uint64_t ver;
    if (!as_u64(v, &ver)) bad("uringsim_trace", std::string("expected the format version number, got ") + type_name(v));
    if (ver != kTraceVersion && ver != kTraceVersionSockets) {
      bad("uringsim_trace", strprintf("version %llu is not supported (this uringsim reads versions %d and %d)",
                                      (unsigned long long)ver, kTraceVersion, kTraceVersionSockets));
    }
    Header& h = t_.header;
    h.version = static_cast<int>(ver);
    if (o.has("profile")) h.profile = o.str("profile");
    if (find_profile(h.profile) == nullptr) {
      std::string names;
      for (const Profile& p : all_profiles()) names += (names.empty() ? "" : ", ") + std::string(p.name);
      bad("profile", "unknown kernel profile '" + h.profile + "' (known: " + names + ")");
    }
    h.creator = o.opt_str("creator");
    h.host_kernel = o.opt_str("host_kernel");
    if (o.has("mode")) {
      const std::string mode = o.str("mode");
      if (mode == "shape") {
        h.shape = true;
      } else if (mode != "exact") {
        bad("mode", "expected \"exact\" or \"shape\", got '" + mode + "'");
      }
    }
    h.note = o.opt_str("note");
    if (const json* c = o.opt("caller")) {
      Obj co(*c, "caller.");
      if (co.has("uid")) h.caller.uid = co.u32("uid");
      if (co.has("cap_ipc_lock")) h.caller.cap_ipc_lock = co.boolean("cap_ipc_lock");
      if (co.has("memlock")) h.caller.memlock = co.u64("memlock");
      co.finish();
    }
    if (const json* c = o.opt("chaos")) {  // chaos (traces/chaos_profile.h)
      ChaosConfig cfg;
      std::string key, why;
      if (!chaos_from_json(*c, /*with_seed=*/true, &cfg, &key, &why)) bad(key.empty() ? "chaos" : "chaos." + key, why);
      h.chaos = cfg;
    }
    o.finish();
  }

  void event(const json& j, int line) {
    Obj o(j, "");
    const std::string kind = o.str("event");
    Event e;
    e.line = line;
    if (kind == "region") {
      region(o, line);
      return;
    }
    if (kind == "file") {
      file(o, line);
      return;
    }
    if (kind == "setup") {
      e.body = setup(o);
    } else if (kind == "enter") {
      e.body = enter(o, line);
    } else if (kind == "register") {
      e.body = do_register(o, line);
    } else if (kind == "memory") {
      e.body = memory(o);
    } else if (kind == "peer") {
      e.body = peer(o);
    } else if (kind == "close") {
      CloseEvent c;
      c.fd = o.i32("fd");
      if (!rings_.count(c.fd)) bad("fd", strprintf("fd %d is not a ring opened by an earlier setup", c.fd));
      rings_.erase(c.fd);
      e.body = c;
    } else {
      bad("event", "unknown event \"" + kind + "\" (expected region, file, setup, enter, register, memory, peer or close)");
    }
    if (o.has("model_time_ns")) e.model_time_ns = o.u64("model_time_ns");
    e.note = o.opt_str("note");
    o.finish();
    t_.events.push_back(std::move(e));
  }

 private:
  Address address(const json& v, const std::string& field) {
    Address a;
    if (v.is_object()) {
      Obj o(v, field + ".");
      a.region = o.str("region");
      a.value = o.u64("offset");
      o.finish();
      const RegionDecl* r = t_.region(a.region);
      if (r == nullptr) bad(field + ".region", "region \"" + a.region + "\" is not declared (declare it with a region event before this line)");
      if (a.value > r->size) {
        bad(field + ".offset", strprintf("offset %llu is beyond region \"%s\" (%llu bytes)",
                                         (unsigned long long)a.value, a.region.c_str(), (unsigned long long)r->size));
      }
      return a;
    }
    a.value = Obj::u64_of(v, field);
    return a;
  }

  void check_fd_free(int fd, const std::string& field) {
    for (const FileDecl& f : t_.files) {
      if (f.fd == fd) bad(field, strprintf("fd %d already names the file declared on line %d", fd, f.line));
    }
    auto it = rings_.find(fd);
    if (it != rings_.end()) bad(field, strprintf("fd %d already names the ring set up on line %d", fd, it->second.line));
  }

  void region(Obj& o, int line) {
    RegionDecl r;
    r.line = line;
    r.id = o.str("id");
    if (r.id.empty()) bad("id", "must not be empty");
    if (const RegionDecl* prev = t_.region(r.id)) bad("id", strprintf("region \"%s\" is already declared on line %d", r.id.c_str(), prev->line));
    r.size = o.u64("size");
    if (r.size == 0) bad("size", "must be > 0");
    const std::string kind = o.str("kind");
    auto k = parse_region_kind(kind);
    if (!k) bad("kind", "unknown region kind \"" + kind + "\" (anonymous, private_file, shared_file, shmem, hugetlb_2m, hugetlb_1g, synthetic)");
    r.kind = *k;
    if (o.has("writable")) r.writable = o.boolean("writable");
    if (o.has("thp_size")) r.thp_size = o.u64("thp_size");
    if (o.has("seed")) r.seed = o.u64("seed");
    if (const json* h = o.opt("hex")) {
      Chunk c;
      c.bytes = hex_of(*h, "hex");
      r.content.push_back(std::move(c));
    }
    if (const json* cs = o.opt("chunks")) {
      if (!cs->is_array()) bad("chunks", std::string("expected an array, got ") + type_name(*cs));
      for (size_t i = 0; i < cs->size(); ++i) {
        const std::string p = strprintf("chunks[%zu].", i);
        Obj co((*cs)[i], p);
        Chunk c;
        c.offset = co.u64("offset");
        c.bytes = hex_of(co.raw("hex"), p + "hex");
        co.finish();
        r.content.push_back(std::move(c));
      }
    }
    for (size_t i = 0; i < r.content.size(); ++i) {
      const Chunk& c = r.content[i];
      if (c.offset > r.size || c.bytes.size() > r.size - c.offset) {
        bad(o.has("chunks") ? strprintf("chunks[%zu]", i) : "hex",
            strprintf("%zu bytes at offset %llu do not fit in the region (%llu bytes)", c.bytes.size(),
                      (unsigned long long)c.offset, (unsigned long long)r.size));
      }
    }
    if (o.has("address")) r.original_address = o.u64("address");
    r.note = o.opt_str("note");
    if (o.has("sha256")) {
      r.sha256 = o.str("sha256");
      // Verified here for regions small enough to hash at load time.
      if (r.size <= (256ull << 20)) {
        const std::vector<uint8_t> bytes = region_initial_bytes(r);
        const std::string got = sha256_hex(bytes.data(), bytes.size());
        if (got != r.sha256) bad("sha256", "content hashes to " + got + ", not " + r.sha256);
      }
    }
    o.finish();
    t_.regions.push_back(std::move(r));
  }

  void file(Obj& o, int line) {
    FileDecl f;
    f.line = line;
    f.fd = o.i32("fd");
    if (f.fd < 0) bad("fd", strprintf("%d: a file's fd must be >= 0", f.fd));
    check_fd_free(f.fd, "fd");
    if (o.has("kind")) {
      const std::string kind = o.str("kind");
      if (kind == "socket") {
        socket_file(o, &f);
        return;
      }
      if (kind != "regular") bad("kind", "unsupported file kind \"" + kind + "\" (regular or socket)");
    }
    if (o.has("contents") && o.has("contents_hex")) bad("contents_hex", "give contents or contents_hex, not both");
    if (o.has("contents")) f.contents = o.str("contents");
    if (const json* h = o.opt("contents_hex")) {
      const std::vector<uint8_t> b = hex_of(*h, "contents_hex");
      f.contents.assign(b.begin(), b.end());
    }
    const std::string mode = o.has("mode") ? o.str("mode") : "rdwr";
    if (mode == "rdonly") {
      f.writable = false;
    } else if (mode == "wronly") {
      f.readable = false;
    } else if (mode != "rdwr") {
      bad("mode", "unknown open mode \"" + mode + "\" (rdonly, wronly, rdwr)");
    }
    f.note = o.opt_str("note");
    o.finish();
    t_.files.push_back(std::move(f));
  }

  // Bytes given as text (`key`) or hex (`key`_hex), not both; nullopt when neither.
  std::optional<std::string> text_or_hex(Obj& o, const std::string& key) {
    const std::string hex_key = key + "_hex";
    if (o.has(key.c_str()) && o.has(hex_key.c_str())) bad(hex_key, "give " + key + " or " + hex_key + ", not both");
    if (o.has(key.c_str())) return o.str(key.c_str());
    if (const json* h = o.opt(hex_key.c_str())) {
      const std::vector<uint8_t> b = hex_of(*h, hex_key);
      return std::string(b.begin(), b.end());
    }
    return std::nullopt;
  }

  // `{"event": "file", "kind": "socket", "socket": "unix_stream", ...}` (version 2).
  void socket_file(Obj& o, FileDecl* f) {
    if (t_.header.version < kTraceVersionSockets) {
      bad("kind", strprintf("socket files need \"uringsim_trace\": %d in the header (this trace says %d)",
                            kTraceVersionSockets, t_.header.version));
    }
    const std::string type = o.str("socket");
    auto k = parse_socket_kind(type);
    if (!k) bad("socket", "unknown socket kind \"" + type + "\" (unix_stream, unix_dgram, tcp, udp)");
    f->socket = *k;
    if (o.has("contents") || o.has("contents_hex")) bad(o.has("contents") ? "contents" : "contents_hex",
                                                        "a socket has no contents (use peer_sends)");
    if (o.has("mode")) bad("mode", "a socket is always open for reading and writing");
    if (auto b = text_or_hex(o, "peer_sends")) f->peer_sends = std::move(*b);
    f->peer_receives = text_or_hex(o, "peer_receives");
    if (o.has("peer_receives_sha256")) {
      if (f->peer_receives) bad("peer_receives_sha256", "give peer_receives or peer_receives_sha256, not both");
      f->peer_receives_sha256 = o.str("peer_receives_sha256");
      std::vector<uint8_t> digest;
      size_t at = 0;
      if (f->peer_receives_sha256.size() != 64 || !from_hex(f->peer_receives_sha256, &digest, &at)) {
        bad("peer_receives_sha256", "expected 64 hex digits");
      }
    }
    f->note = o.opt_str("note");
    o.finish();
    t_.files.push_back(std::move(*f));
  }

  void params_fields_into(const json& v, const std::string& field, io_uring_params* p, bool input) {
    Obj o(v, field + ".");
    for (const ParamsField& pf : params_fields()) {
      std::string_view path = pf.path;
      if (path.find('.') != std::string_view::npos) continue;
      if (o.has(pf.path)) {
        const json& fv = o.raw(pf.path);
        const uint32_t val = std::string_view(pf.path) == "flags" ? flags_of(fv, o.name(pf.path), setup_flag_names())
                                                                  : Obj::u32_of(fv, o.name(pf.path));
        params_set(p, pf.offset, val);
      }
    }
    for (const char* sub : {"sq_off", "cq_off"}) {
      const json* sv = o.opt(sub);
      if (sv == nullptr) continue;
      Obj so(*sv, field + "." + sub + ".");
      for (const ParamsField& pf : params_fields()) {
        std::string_view path = pf.path;
        if (!path.starts_with(sub)) continue;
        const std::string leaf(path.substr(std::strlen(sub) + 1));
        if (so.has(leaf.c_str())) params_set(p, pf.offset, so.u32(leaf.c_str()));
      }
      so.finish();
    }
    if (input) {
      if (const json* r = o.opt("resv")) {
        if (!r->is_array() || r->size() != 3) bad(field + ".resv", "expected an array of 3 integers");
        for (size_t i = 0; i < 3; ++i) p->resv[i] = Obj::u32_of((*r)[i], field + strprintf(".resv[%zu]", i));
      }
    }
    o.finish();
  }

  void params_out(const json& v, std::map<std::string, uint64_t>* out) {
    Obj o(v, "params_out.");
    for (const ParamsField& pf : params_fields()) {
      std::string_view path = pf.path;
      if (path.find('.') != std::string_view::npos) continue;
      if (o.has(pf.path)) {
        const json& fv = o.raw(pf.path);
        (*out)[pf.path] = std::string_view(pf.path) == "flags" ? flags_of(fv, o.name(pf.path), setup_flag_names())
                                                               : Obj::u32_of(fv, o.name(pf.path));
      }
    }
    for (const char* sub : {"sq_off", "cq_off"}) {
      const json* sv = o.opt(sub);
      if (sv == nullptr) continue;
      Obj so(*sv, std::string("params_out.") + sub + ".");
      for (const ParamsField& pf : params_fields()) {
        std::string_view path = pf.path;
        if (!path.starts_with(sub)) continue;
        const std::string leaf(path.substr(std::strlen(sub) + 1));
        if (so.has(leaf.c_str())) (*out)[pf.path] = so.u32(leaf.c_str());
      }
      so.finish();
    }
    o.finish();
  }

  SetupEvent setup(Obj& o) {
    SetupEvent s;
    s.entries = o.u32("entries");
    const json* p = o.opt("params");
    if (p != nullptr && !p->is_null()) {
      io_uring_params in{};
      params_fields_into(*p, "params", &in, true);
      s.params = in;
    }
    if (const json* a = o.opt("params_addr")) {
      if (p != nullptr && !p->is_null()) bad("params_addr", "give params (the replayer places them) or params_addr (passed as it is), not both");
      s.params_addr = address(*a, "params_addr");
    } else if (p == nullptr) {
      bad("params", "missing (null passes a NULL params pointer)");
    }
    s.ret = o.i64("ret");
    if (s.ret >= 0) {
      if (s.ret > INT32_MAX) bad("ret", "a ring fd must fit in 32 bits");
      check_fd_free(static_cast<int>(s.ret), "ret");
      rings_[static_cast<int>(s.ret)] = RingFd{line_};
    }
    if (const json* po = o.opt("params_out")) params_out(*po, &s.params_out);
    s.reason = o.opt_str("reason");
    return s;
  }

  Payload payload(Obj& o, const std::string& prefix) {
    Payload p;
    int given = 0;
    if (const json* v = o.opt("iovecs")) {
      ++given;
      if (!v->is_array()) bad(prefix + "iovecs", std::string("expected an array, got ") + type_name(*v));
      p.kind = Payload::Kind::kIovecs;
      for (size_t i = 0; i < v->size(); ++i) {
        const std::string f = prefix + strprintf("iovecs[%zu]", i);
        Obj io((*v)[i], f + ".");
        IovecRef r;
        r.base = address(io.raw("base"), f + ".base");
        r.len = io.u64("len");
        io.finish();
        p.iovecs.push_back(std::move(r));
      }
    }
    if (const json* v = o.opt("fds")) {
      ++given;
      if (!v->is_array()) bad(prefix + "fds", std::string("expected an array, got ") + type_name(*v));
      p.kind = Payload::Kind::kFds;
      for (size_t i = 0; i < v->size(); ++i) {
        const int64_t fd = Obj::i64_of((*v)[i], prefix + strprintf("fds[%zu]", i));
        if (fd < INT32_MIN || fd > INT32_MAX) bad(prefix + strprintf("fds[%zu]", i), "does not fit in 32 bits");
        p.fds.push_back(static_cast<int32_t>(fd));
      }
    }
    if (const json* v = o.opt("hex")) {
      ++given;
      p.kind = Payload::Kind::kBytes;
      p.bytes = hex_of(*v, prefix + "hex");
    }
    if (const json* v = o.opt("clone")) {
      ++given;
      Obj co(*v, prefix + "clone.");
      io_uring_clone_buffers c{};
      const int64_t src = co.i64("src_fd");
      if (src < INT32_MIN || src > INT32_MAX) bad(prefix + "clone.src_fd", "does not fit in 32 bits");
      c.src_fd = static_cast<uint32_t>(src);
      if (co.has("flags")) c.flags = co.u32("flags");
      if (co.has("src_off")) c.src_off = co.u32("src_off");
      if (co.has("dst_off")) c.dst_off = co.u32("dst_off");
      if (co.has("nr")) c.nr = co.u32("nr");
      if (const json* pad = co.opt("pad")) {
        if (!pad->is_array() || pad->size() != 3) bad(prefix + "clone.pad", "expected an array of 3 unsigned integers");
        for (size_t i = 0; i < 3; ++i) c.pad[i] = Obj::u32_of((*pad)[i], prefix + "clone.pad[" + std::to_string(i) + "]");
      }
      co.finish();
      p.kind = Payload::Kind::kClone;
      p.bytes.resize(sizeof c);
      std::memcpy(p.bytes.data(), &c, sizeof c);
    }
    if (given > 1) bad(prefix + "hex", "give at most one of iovecs, fds, hex, clone");
    return p;
  }

  std::vector<CqeRecord> cqes(Obj& o) {
    std::vector<CqeRecord> out;
    const json* v = o.opt("cqes");
    if (v == nullptr) return out;
    if (!v->is_array()) bad("cqes", std::string("expected an array, got ") + type_name(*v));
    for (size_t i = 0; i < v->size(); ++i) {
      const std::string p = strprintf("cqes[%zu].", i);
      Obj c((*v)[i], p);
      CqeRecord r;
      r.line = line_;
      r.user_data = c.u64("user_data");
      r.res = c.i32("res");
      if (c.has("flags")) r.flags = c.u32("flags");
      if (const json* b = c.opt("big_cqe")) {
        if (!b->is_array() || b->size() != 2) bad(p + "big_cqe", "expected an array of 2 integers");
        r.big_cqe = std::array<uint64_t, 2>{Obj::u64_of((*b)[0], p + "big_cqe[0]"), Obj::u64_of((*b)[1], p + "big_cqe[1]")};
      }
      r.reason = c.opt_str("reason");
      c.finish();
      out.push_back(std::move(r));
    }
    return out;
  }

  SqeRecord sqe(const json& v, const std::string& p) {
    Obj o(v, p);
    SqeRecord s;
    s.line = line_;
    s.note = o.opt_str("note");
    if (o.has("dropped")) {
      s.dropped = o.boolean("dropped");
      if (!s.dropped) bad(p + "dropped", "write true or leave it out");
      s.sq_index = o.u32("sq_index");
      o.finish();
      return s;
    }
    if (const json* r = o.opt("raw")) {
      std::vector<uint8_t> raw = hex_of(*r, p + "raw");
      if (raw.size() != 64 && raw.size() != 128) bad(p + "raw", strprintf("expected 64 or 128 bytes, got %zu", raw.size()));
      std::memcpy(s.bytes.data(), raw.data(), raw.size());
      s.has_raw = true;
      s.raw_128 = raw.size() == 128;
    }
    // Decoded fields: each overrides (or, with raw, must agree with) its bytes.
    auto put = [&](const char* key, uint32_t off, uint32_t size, uint64_t val) {
      uint8_t b[8];
      std::memcpy(b, &val, 8);
      if (s.has_raw && std::memcmp(s.bytes.data() + off, b, size) != 0) {
        uint64_t was = 0;
        std::memcpy(&was, s.bytes.data() + off, size);
        bad(p + key, strprintf("decoded value %llu disagrees with raw bytes, which say %llu", (unsigned long long)val,
                               (unsigned long long)was));
      }
      std::memcpy(s.bytes.data() + off, b, size);
    };
    if (const json* op = o.opt("op")) {
      uint64_t code;
      if (op->is_string() && !as_u64(*op, &code)) {
        auto c = parse_op(op->get<std::string>());
        if (!c) bad(p + "op", "unknown opcode \"" + op->get<std::string>() + "\"");
        code = *c;
      } else {
        code = Obj::u64_of(*op, p + "op");
        if (code > 255) bad(p + "op", "does not fit in 8 bits");
      }
      put("op", 0, 1, code);
    } else if (!s.has_raw) {
      bad(p + "op", "missing (give op or raw)");
    }
    if (const json* f = o.opt("flags")) {
      const uint32_t fl = flags_of(*f, p + "flags", sqe_flag_names());
      if (fl > 255) bad(p + "flags", "does not fit in 8 bits");
      put("flags", 1, 1, fl);
    }
    struct F {
      const char* key;
      uint32_t off, size;
      bool is_signed;
    };
    static constexpr F kFields[] = {
        {"ioprio", 2, 2, false},     {"fd", 4, 4, true},           {"off", 8, 8, true},
        {"addr2", 8, 8, false},      {"len", 24, 4, false},        {"op_flags", 28, 4, false},
        {"rw_flags", 28, 4, false},  {"nop_flags", 28, 4, false},  {"fsync_flags", 28, 4, false},
        {"user_data", 32, 8, false}, {"buf_index", 40, 2, false},  {"buf_group", 40, 2, false},
        {"personality", 42, 2, false}, {"file_index", 44, 4, false}, {"splice_fd_in", 44, 4, true},
    };
    for (const F& f : kFields) {
      const json* fv = o.opt(f.key);
      if (fv == nullptr) continue;
      uint64_t val;
      if (f.is_signed) {
        const int64_t sv = Obj::i64_of(*fv, p + f.key);
        if (f.size == 4 && (sv < INT32_MIN || sv > UINT32_MAX)) bad(p + f.key, "does not fit in 32 bits");
        val = static_cast<uint64_t>(sv);
      } else {
        val = Obj::u64_of(*fv, p + f.key);
        if (f.size < 8 && val >> (8 * f.size)) bad(p + f.key, strprintf("does not fit in %u bits", 8 * f.size));
      }
      put(f.key, f.off, f.size, val);
    }
    for (auto [key, off, slot] : {std::tuple{"addr", 16u, &s.addr}, std::tuple{"addr3", 48u, &s.addr3}}) {
      const json* av = o.opt(key);
      if (av == nullptr) continue;
      Address a = address(*av, p + key);
      if (a.absolute()) {
        put(key, off, 8, a.value);
      } else {
        *slot = std::move(a);
      }
    }
    s.iovecs = payload(o, p);
    if (!s.iovecs.empty() && s.iovecs.kind != Payload::Kind::kIovecs) bad(p + "iovecs", "an SQE carries iovecs only");
    o.finish();
    return s;
  }

  void check_fd_known(int fd, const char* field) {
    (void)fd;
    (void)field;  // undeclared fds are legal: they are closed fds (EBADF tests)
  }

  EnterEvent enter(Obj& o, int line) {
    (void)line;
    EnterEvent e;
    e.fd = o.i32("fd");
    check_fd_known(e.fd, "fd");
    e.to_submit = o.u32("to_submit");
    e.min_complete = o.has("min_complete") ? o.u32("min_complete") : 0;
    if (const json* f = o.opt("flags")) e.flags = flags_of(*f, "flags", enter_flag_names());
    if (const json* a = o.opt("arg")) e.arg = address(*a, "arg");
    if (o.has("argsz")) e.argsz = o.u64("argsz");
    if (o.has("cq_head")) e.cq_head = o.u32("cq_head");
    if (const json* v = o.opt("sqes")) {
      if (!v->is_array()) bad("sqes", std::string("expected an array, got ") + type_name(*v));
      for (size_t i = 0; i < v->size(); ++i) e.sqes.push_back(sqe((*v)[i], strprintf("sqes[%zu].", i)));
    }
    e.ret = o.i64("ret");
    e.cqes = cqes(o);
    if (const json* r = o.opt("ring")) {
      Obj ro(*r, "ring.");
      if (ro.has("sq_flags")) e.ring.sq_flags = ro.u32("sq_flags");
      if (ro.has("dropped")) e.ring.dropped = ro.u32("dropped");
      if (ro.has("cq_overflow")) e.ring.cq_overflow = ro.u32("cq_overflow");
      ro.finish();
    }
    e.reason = o.opt_str("reason");
    return e;
  }

  RegisterEvent do_register(Obj& o, int line) {
    (void)line;
    RegisterEvent r;
    r.fd = o.i32("fd");
    const json& op = o.raw("opcode");
    uint64_t numeric;
    if (op.is_string() && !as_u64(op, &numeric)) {
      auto c = parse_register_op(op.get<std::string>());
      if (!c) bad("opcode", "unknown register opcode \"" + op.get<std::string>() + "\"");
      r.opcode = *c;
    } else {
      r.opcode = Obj::u32_of(op, "opcode");
    }
    if (const json* a = o.opt("arg")) r.arg = address(*a, "arg");
    r.nr_args = o.has("nr_args") ? o.u32("nr_args") : 0;
    r.payload = payload(o, "");
    r.ret = o.i64("ret");
    r.cqes = cqes(o);
    r.reason = o.opt_str("reason");
    return r;
  }

  // `{"event": "peer", "fd": 5, "send": "..."}` (version 2).
  PeerEvent peer(Obj& o) {
    if (t_.header.version < kTraceVersionSockets) {
      bad("event", strprintf("peer events need \"uringsim_trace\": %d in the header", kTraceVersionSockets));
    }
    PeerEvent p;
    p.fd = o.i32("fd");
    const auto f = std::find_if(t_.files.begin(), t_.files.end(), [&](const FileDecl& d) { return d.fd == p.fd; });
    if (f == t_.files.end() || !f->is_socket()) {
      bad("fd", strprintf("fd %d is not a socket declared by an earlier file event", p.fd));
    }
    auto bytes = text_or_hex(o, "send");
    if (!bytes) bad("send", "missing (or send_hex)");
    if (bytes->empty()) bad(o.has("send") ? "send" : "send_hex", "must not be empty");
    p.bytes = std::move(*bytes);
    return p;
  }

  MemoryEvent memory(Obj& o) {
    MemoryEvent m;
    m.region = o.str("region");
    const RegionDecl* r = t_.region(m.region);
    if (r == nullptr) bad("region", "region \"" + m.region + "\" is not declared");
    m.offset = o.u64("offset");
    if (o.has("address")) {
      if (t_.header.version < kTraceVersionSockets) {
        bad("address", strprintf("memory events with an address need \"uringsim_trace\": %d in the header",
                                 kTraceVersionSockets));
      }
      if (o.has("hex")) bad("hex", "give hex or address, not both");
      m.address = address(o.raw("address"), "address");
      if (m.offset > r->size || r->size - m.offset < 8) {
        bad("offset", strprintf("an 8-byte address at offset %llu does not fit in region \"%s\" (%llu bytes)",
                                (unsigned long long)m.offset, m.region.c_str(), (unsigned long long)r->size));
      }
      return m;
    }
    m.bytes = hex_of(o.raw("hex"), "hex");
    if (m.offset > r->size || m.bytes.size() > r->size - m.offset) {
      bad("hex", strprintf("%zu bytes at offset %llu do not fit in region \"%s\" (%llu bytes)", m.bytes.size(),
                           (unsigned long long)m.offset, m.region.c_str(), (unsigned long long)r->size));
    }
    return m;
  }

 public:
  int line_ = 0;

 private:
  Trace& t_;
  std::map<int, RingFd> rings_;
};

// --- writing ------------------------------------------------------------------

ojson address_json(const Address& a) {
  if (a.absolute()) return a.value;
  ojson o;
  o["region"] = a.region;
  o["offset"] = a.value;
  return o;
}

ojson flags_json(uint32_t v, const std::vector<FlagName>& names) {
  if (v == 0) return 0;
  ojson arr = ojson::array();
  uint32_t left = v;
  for (const FlagName& n : names) {
    if (v & n.bit) {
      arr.push_back(n.name);
      left &= ~n.bit;
    }
  }
  if (left != 0) return v;
  return arr;
}

const char* op_flags_key(uint8_t op) {
  switch (op) {
    case IORING_OP_NOP: return "nop_flags";
    case IORING_OP_FSYNC: return "fsync_flags";
    case IORING_OP_READV: case IORING_OP_WRITEV: case IORING_OP_READ_FIXED: case IORING_OP_WRITE_FIXED:
    case IORING_OP_READ: case IORING_OP_WRITE: case IORING_OP_READV_FIXED: case IORING_OP_WRITEV_FIXED:
      return "rw_flags";
    default: return "op_flags";
  }
}

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void payload_json(const Payload& p, ojson* o) {
  switch (p.kind) {
    case Payload::Kind::kNone: break;
    case Payload::Kind::kIovecs: {
      ojson arr = ojson::array();
      for (const IovecRef& r : p.iovecs) {
        ojson io;
        io["base"] = address_json(r.base);
        io["len"] = r.len;
        arr.push_back(std::move(io));
      }
      (*o)["iovecs"] = std::move(arr);
      break;
    }
    case Payload::Kind::kFds: (*o)["fds"] = p.fds; break;
    case Payload::Kind::kBytes: (*o)["hex"] = to_hex(p.bytes.data(), p.bytes.size()); break;
    case Payload::Kind::kClone: {
      io_uring_clone_buffers c{};
      std::memcpy(&c, p.bytes.data(), std::min(p.bytes.size(), sizeof c));
      ojson co;
      co["src_fd"] = static_cast<int32_t>(c.src_fd);
      co["flags"] = c.flags;
      if (c.src_off != 0) co["src_off"] = c.src_off;
      if (c.dst_off != 0) co["dst_off"] = c.dst_off;
      if (c.nr != 0) co["nr"] = c.nr;
      // Nonzero pad is a deliberate bad argument (Linux: -EINVAL); it must survive the file.
      if (c.pad[0] != 0 || c.pad[1] != 0 || c.pad[2] != 0) co["pad"] = {c.pad[0], c.pad[1], c.pad[2]};
      (*o)["clone"] = std::move(co);
      break;
    }
  }
}

ojson sqe_json(const SqeRecord& s) {
  ojson o;
  if (s.dropped) {
    o["dropped"] = true;
    o["sq_index"] = s.sq_index;
    if (!s.note.empty()) o["note"] = s.note;
    return o;
  }
  const uint8_t* b = s.bytes.data();
  const uint8_t op = b[0];
  if (op < IORING_OP_LAST) {
    o["op"] = op_name(op);
  } else {
    o["op"] = op;
  }
  o["user_data"] = load<uint64_t>(b + 32);
  if (b[1] != 0) o["flags"] = flags_json(b[1], sqe_flag_names());
  const int32_t fd = load<int32_t>(b + 4);
  if (fd != 0) o["fd"] = fd;
  if (s.addr) {
    o["addr"] = address_json(*s.addr);
  } else if (load<uint64_t>(b + 16) != 0) {
    o["addr"] = load<uint64_t>(b + 16);
  }
  if (load<uint32_t>(b + 24) != 0) o["len"] = load<uint32_t>(b + 24);
  if (load<int64_t>(b + 8) != 0) o["off"] = load<int64_t>(b + 8);
  if (load<uint32_t>(b + 28) != 0) o[op_flags_key(op)] = load<uint32_t>(b + 28);
  if (load<uint16_t>(b + 2) != 0) o["ioprio"] = load<uint16_t>(b + 2);
  if (load<uint16_t>(b + 40) != 0) o["buf_index"] = load<uint16_t>(b + 40);
  if (load<uint16_t>(b + 42) != 0) o["personality"] = load<uint16_t>(b + 42);
  if (load<uint32_t>(b + 44) != 0) o["file_index"] = load<uint32_t>(b + 44);
  if (s.addr3) {
    o["addr3"] = address_json(*s.addr3);
  } else if (load<uint64_t>(b + 48) != 0) {
    o["addr3"] = load<uint64_t>(b + 48);
  }
  payload_json(s.iovecs, &o);
  if (s.has_raw) o["raw"] = to_hex(b, s.raw_128 ? 128 : 64);
  if (!s.note.empty()) o["note"] = s.note;
  return o;
}

ojson cqes_json(const std::vector<CqeRecord>& cqes) {
  ojson arr = ojson::array();
  for (const CqeRecord& c : cqes) {
    ojson o;
    o["user_data"] = c.user_data;
    o["res"] = c.res;
    o["flags"] = c.flags;
    if (c.big_cqe) o["big_cqe"] = {(*c.big_cqe)[0], (*c.big_cqe)[1]};
    if (!c.reason.empty()) o["reason"] = c.reason;
    arr.push_back(std::move(o));
  }
  return arr;
}

ojson params_json(const io_uring_params& p, bool input) {
  ojson o;
  for (const ParamsField& f : params_fields()) {
    std::string_view path = f.path;
    if (path.find('.') != std::string_view::npos) continue;
    const uint32_t v = params_get(p, f.offset);
    if (v == 0) continue;
    o[f.path] = path == "flags" ? flags_json(v, setup_flag_names()) : ojson(v);
  }
  if (input && (p.resv[0] | p.resv[1] | p.resv[2]) != 0) o["resv"] = {p.resv[0], p.resv[1], p.resv[2]};
  if (o.empty()) o["flags"] = 0;
  return o;
}

ojson params_out_json(const std::map<std::string, uint64_t>& m) {
  ojson o = ojson::object();
  for (const ParamsField& f : params_fields()) {
    auto it = m.find(f.path);
    if (it == m.end()) continue;
    std::string_view path = f.path;
    const size_t dot = path.find('.');
    if (dot == std::string_view::npos) {
      o[f.path] = path == "flags" ? flags_json(static_cast<uint32_t>(it->second), setup_flag_names()) : ojson(it->second);
    } else {
      o[std::string(path.substr(0, dot))][std::string(path.substr(dot + 1))] = it->second;
    }
  }
  return o;
}

// Bytes as text under `key` when they read as text, else as hex under `key`_hex.
void text_or_hex_json(const std::string& bytes, const std::string& key, ojson* o) {
  bool printable = true;
  for (unsigned char c : bytes) {
    if (c < 0x20 && c != '\n' && c != '\t') printable = false;
    if (c >= 0x7f) printable = false;
  }
  if (printable) {
    (*o)[key] = bytes;
  } else {
    (*o)[key + "_hex"] = to_hex(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
}

ojson event_json(const Event& e) {
  ojson o;
  if (const auto* s = std::get_if<SetupEvent>(&e.body)) {
    o["event"] = "setup";
    o["entries"] = s->entries;
    if (s->params) {
      o["params"] = params_json(*s->params, true);
    } else if (s->params_addr) {
      o["params_addr"] = address_json(*s->params_addr);
    } else {
      o["params"] = nullptr;
    }
    o["ret"] = s->ret;
    if (!s->params_out.empty()) o["params_out"] = params_out_json(s->params_out);
    if (!s->reason.empty()) o["reason"] = s->reason;
  } else if (const auto* en = std::get_if<EnterEvent>(&e.body)) {
    o["event"] = "enter";
    o["fd"] = en->fd;
    o["to_submit"] = en->to_submit;
    o["min_complete"] = en->min_complete;
    o["flags"] = flags_json(en->flags, enter_flag_names());
    if (en->arg) o["arg"] = address_json(*en->arg);
    if (en->argsz != 0) o["argsz"] = en->argsz;
    if (en->cq_head) o["cq_head"] = *en->cq_head;
    ojson sq = ojson::array();
    for (const SqeRecord& s : en->sqes) sq.push_back(sqe_json(s));
    o["sqes"] = std::move(sq);
    o["ret"] = en->ret;
    o["cqes"] = cqes_json(en->cqes);
    if (!en->ring.empty()) {
      ojson r;
      if (en->ring.sq_flags) r["sq_flags"] = *en->ring.sq_flags;
      if (en->ring.dropped) r["dropped"] = *en->ring.dropped;
      if (en->ring.cq_overflow) r["cq_overflow"] = *en->ring.cq_overflow;
      o["ring"] = std::move(r);
    }
    if (!en->reason.empty()) o["reason"] = en->reason;
  } else if (const auto* r = std::get_if<RegisterEvent>(&e.body)) {
    o["event"] = "register";
    o["fd"] = r->fd;
    const char* name = register_op_name(r->opcode);
    if (name != nullptr) {
      o["opcode"] = name;
    } else {
      o["opcode"] = r->opcode;
    }
    if (r->arg) o["arg"] = address_json(*r->arg);
    o["nr_args"] = r->nr_args;
    payload_json(r->payload, &o);
    o["ret"] = r->ret;
    if (!r->cqes.empty()) o["cqes"] = cqes_json(r->cqes);
    if (!r->reason.empty()) o["reason"] = r->reason;
  } else if (const auto* m = std::get_if<MemoryEvent>(&e.body)) {
    o["event"] = "memory";
    o["region"] = m->region;
    o["offset"] = m->offset;
    if (m->address) {
      o["address"] = address_json(*m->address);
    } else {
      o["hex"] = to_hex(m->bytes.data(), m->bytes.size());
    }
  } else if (const auto* p = std::get_if<PeerEvent>(&e.body)) {
    o["event"] = "peer";
    o["fd"] = p->fd;
    text_or_hex_json(p->bytes, "send", &o);
  } else if (const auto* c = std::get_if<CloseEvent>(&e.body)) {
    o["event"] = "close";
    o["fd"] = c->fd;
  }
  if (e.model_time_ns) o["model_time_ns"] = *e.model_time_ns;
  if (!e.note.empty()) o["note"] = e.note;
  return o;
}

ojson region_json(const RegionDecl& r) {
  ojson o;
  o["event"] = "region";
  o["id"] = r.id;
  o["size"] = r.size;
  o["kind"] = region_kind_name(r.kind);
  if (!r.writable) o["writable"] = false;
  if (r.thp_size != 0) o["thp_size"] = r.thp_size;
  if (r.seed) o["seed"] = *r.seed;
  if (r.content.size() == 1 && r.content[0].offset == 0) {
    o["hex"] = to_hex(r.content[0].bytes.data(), r.content[0].bytes.size());
  } else if (!r.content.empty()) {
    ojson arr = ojson::array();
    for (const Chunk& c : r.content) {
      ojson co;
      co["offset"] = c.offset;
      co["hex"] = to_hex(c.bytes.data(), c.bytes.size());
      arr.push_back(std::move(co));
    }
    o["chunks"] = std::move(arr);
  }
  if (!r.sha256.empty()) o["sha256"] = r.sha256;
  if (r.original_address != 0) o["address"] = strprintf("0x%llx", (unsigned long long)r.original_address);
  if (!r.note.empty()) o["note"] = r.note;
  return o;
}

ojson file_json(const FileDecl& f) {
  ojson o;
  o["event"] = "file";
  o["fd"] = f.fd;
  if (f.is_socket()) {
    o["kind"] = "socket";
    o["socket"] = socket_kind_name(f.socket);
    if (!f.peer_sends.empty()) text_or_hex_json(f.peer_sends, "peer_sends", &o);
    if (f.peer_receives) text_or_hex_json(*f.peer_receives, "peer_receives", &o);
    if (!f.peer_receives_sha256.empty()) o["peer_receives_sha256"] = f.peer_receives_sha256;
    if (!f.note.empty()) o["note"] = f.note;
    return o;
  }
  o["kind"] = "regular";
  text_or_hex_json(f.contents, "contents", &o);
  o["mode"] = f.readable && f.writable ? "rdwr" : f.readable ? "rdonly" : "wronly";
  if (!f.note.empty()) o["note"] = f.note;
  return o;
}

}  // namespace

std::string TraceError::message() const {
  std::string m = file.empty() ? "<trace>" : file;
  if (line > 0) m += strprintf(":%d", line);
  m += ": ";
  if (!field.empty()) m += "field '" + field + "': ";
  m += what;
  // One line, whatever the input contained.
  for (char& c : m) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return m;
}

bool parse_trace(std::string_view text, const std::string& name, Trace* out, TraceError* err) {
  *out = Trace{};
  out->path = name;
  Reader reader(out);
  int line = 0;
  bool have_header = false;
  size_t pos = 0;
  auto fail = [&](std::string field, std::string what) {
    *err = TraceError{name, line, std::move(field), std::move(what)};
    return false;
  };
  try {
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      const bool last_unterminated = end == std::string_view::npos;
      if (last_unterminated) end = text.size();
      std::string_view l = text.substr(pos, end - pos);
      pos = end + 1;
      ++line;
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      if (l.find_first_not_of(" \t") == std::string_view::npos) continue;
      json j;
      try {
        j = json::parse(l);
      } catch (const json::parse_error& e) {
        std::string what = e.what();
        // "[json.exception.parse_error.101] parse error at line 1, column 7: ..." -> the tail.
        const size_t colon = what.find("column");
        if (colon != std::string::npos) what = what.substr(colon);
        return fail("", std::string(last_unterminated ? "truncated or malformed JSON (" : "malformed JSON (") + what + ")");
      }
      reader.line_ = line;
      try {
        if (!have_header) {
          reader.header(j);
          have_header = true;
        } else {
          reader.event(j, line);
        }
      } catch (const Bad& b) {
        return fail(b.field, b.what);
      }
    }
  } catch (const std::exception& e) {
    return fail("", std::string("cannot read: ") + e.what());
  }
  if (!have_header) {
    line = line == 0 ? 1 : line;
    return fail("uringsim_trace", "missing: the trace is empty (the first line must be the header)");
  }
  return true;
}

bool read_trace_file(const std::string& path, Trace* out, TraceError* err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *err = TraceError{path, 0, "", std::string("cannot open: ") + std::strerror(errno)};
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_trace(ss.str(), path, out, err);
}

std::string write_trace(const Trace& t) {
  std::string out;
  ojson h;
  h["uringsim_trace"] = t.format_version();
  h["profile"] = t.header.profile;
  if (!t.header.creator.empty()) h["creator"] = t.header.creator;
  if (!t.header.host_kernel.empty()) h["host_kernel"] = t.header.host_kernel;
  if (t.header.shape) h["mode"] = "shape";
  if (!t.header.caller.is_default()) {
    ojson c;
    c["uid"] = t.header.caller.uid;
    c["cap_ipc_lock"] = t.header.caller.cap_ipc_lock;
    if (t.header.caller.memlock) c["memlock"] = *t.header.caller.memlock;
    h["caller"] = std::move(c);
  }
  if (!t.header.note.empty()) h["note"] = t.header.note;
  if (t.header.chaos) h["chaos"] = chaos_to_json(*t.header.chaos);  // chaos (traces/chaos_profile.h)
  out += h.dump() + "\n";
  // Declarations go before the first event that follows them in the original (by
  // line); declarations without a line (built in memory) go first.
  size_t ri = 0, fi = 0;
  auto flush_decls = [&](int before_line) {
    for (;;) {
      const bool r_ok = ri < t.regions.size() && (before_line < 0 || t.regions[ri].line <= before_line);
      const bool f_ok = fi < t.files.size() && (before_line < 0 || t.files[fi].line <= before_line);
      if (r_ok && (!f_ok || t.regions[ri].line <= t.files[fi].line)) {
        out += region_json(t.regions[ri++]).dump() + "\n";
      } else if (f_ok) {
        out += file_json(t.files[fi++]).dump() + "\n";
      } else {
        break;
      }
    }
  };
  for (const Event& e : t.events) {
    flush_decls(e.line);
    out += event_json(e).dump() + "\n";
  }
  flush_decls(-1);
  return out;
}

bool write_trace_file(const Trace& trace, const std::string& path, std::string* error) {
  const std::string text = write_trace(trace);
  const std::string tmp = path + strprintf(".tmp.%d", static_cast<int>(getpid()));
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    *error = "cannot create " + tmp + ": " + std::strerror(errno);
    return false;
  }
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0 &&
                  fsync(fileno(f)) == 0;
  const int werr = errno;
  std::fclose(f);
  if (!ok) {
    std::remove(tmp.c_str());
    *error = "cannot write " + tmp + ": " + std::strerror(werr);
    return false;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = "cannot rename " + tmp + " to " + path + ": " + std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace uringsim::traces
