#include "traces/trace.h"

#include <cstddef>
#include <cstring>

#include "kernel_model/fault.h"
#include "kernel_model/opdef.h"

namespace uringsim::traces {

namespace {

struct KindRow {
  RegionKind kind;
  const char* name;
  Backing backing;
  uint64_t page_size;
};
constexpr KindRow kKinds[] = {
    {RegionKind::kAnonymous, "anonymous", Backing::kAnonymous, 4096},
    {RegionKind::kPrivateFile, "private_file", Backing::kPrivateFile, 4096},
    {RegionKind::kSharedFile, "shared_file", Backing::kSharedFile, 4096},
    {RegionKind::kShmem, "shmem", Backing::kShmem, 4096},
    {RegionKind::kHugetlb2M, "hugetlb_2m", Backing::kHugetlb, 2ull << 20},
    {RegionKind::kHugetlb1G, "hugetlb_1g", Backing::kHugetlb, 1ull << 30},
    {RegionKind::kSynthetic, "synthetic", Backing::kSynthetic, 4096},
};

const KindRow& kind_row(RegionKind k) {
  for (const KindRow& r : kKinds) {
    if (r.kind == k) return r;
  }
  return kKinds[0];
}


std::string hex_number(uint64_t v) { return strprintf("0x%llx", (unsigned long long)v); }

uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace

const char* region_kind_name(RegionKind k) { return kind_row(k).name; }

std::optional<RegionKind> parse_region_kind(std::string_view name) {
  for (const KindRow& r : kKinds) {
    if (name == r.name) return r.kind;
  }
  return std::nullopt;
}

namespace {

struct SocketKindRow {
  SocketKind kind;
  const char* name;
};
constexpr SocketKindRow kSocketKinds[] = {
    {SocketKind::kUnixStream, "unix_stream"},
    {SocketKind::kUnixDgram, "unix_dgram"},
    {SocketKind::kTcp, "tcp"},
    {SocketKind::kUdp, "udp"},
};

}  // namespace

const char* socket_kind_name(SocketKind k) {
  for (const SocketKindRow& r : kSocketKinds) {
    if (r.kind == k) return r.name;
  }
  return "regular";
}

std::optional<SocketKind> parse_socket_kind(std::string_view name) {
  for (const SocketKindRow& r : kSocketKinds) {
    if (name == r.name) return r.kind;
  }
  return std::nullopt;
}

Backing region_backing(RegionKind k) { return kind_row(k).backing; }
uint64_t region_page_size(RegionKind k) { return kind_row(k).page_size; }

std::optional<RegionKind> region_kind_of(const Vma& vma) {
  switch (vma.backing) {
    case Backing::kAnonymous: return RegionKind::kAnonymous;
    case Backing::kPrivateFile: return RegionKind::kPrivateFile;
    case Backing::kSharedFile: return RegionKind::kSharedFile;
    case Backing::kShmem: return RegionKind::kShmem;
    case Backing::kSynthetic: return RegionKind::kSynthetic;
    case Backing::kHugetlb:
      if (vma.page_size == (2ull << 20)) return RegionKind::kHugetlb2M;
      if (vma.page_size == (1ull << 30)) return RegionKind::kHugetlb1G;
      return std::nullopt;
    case Backing::kSpecial: return std::nullopt;
  }
  return std::nullopt;
}

io_uring_sqe SqeRecord::sqe() const {
  io_uring_sqe s;
  std::memcpy(&s, bytes.data(), sizeof s);
  return s;
}

const RegionDecl* Trace::region(std::string_view id) const {
  const int i = region_index(id);
  return i < 0 ? nullptr : &regions[static_cast<size_t>(i)];
}

int Trace::region_index(std::string_view id) const {
  for (size_t i = 0; i < regions.size(); ++i) {
    if (regions[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

size_t Trace::call_count() const {
  size_t n = 0;
  for (const Event& e : events) {
    if (std::holds_alternative<SetupEvent>(e.body) || std::holds_alternative<EnterEvent>(e.body) ||
        std::holds_alternative<RegisterEvent>(e.body)) {
      ++n;
    }
  }
  return n;
}

int Trace::format_version() const {
  for (const FileDecl& f : files) {
    if (f.is_socket()) return kTraceVersionSockets;
  }
  for (const Event& e : events) {
    const auto* m = std::get_if<MemoryEvent>(&e.body);
    if ((m != nullptr && m->address) || std::holds_alternative<PeerEvent>(e.body)) return kTraceVersionSockets;
  }
  return kTraceVersion;
}

std::optional<uint32_t> parse_register_op(std::string_view name) {
  if (name.starts_with("IORING_")) name.remove_prefix(7);
  for (uint32_t i = 0; i < IORING_REGISTER_LAST; ++i) {
    if (name == register_op_name(i)) return i;
  }
  return std::nullopt;
}

std::optional<uint8_t> parse_op(std::string_view name) {
  if (name.starts_with("IORING_OP_")) name.remove_prefix(10);
  for (unsigned i = 0; i < IORING_OP_LAST; ++i) {
    if (name == op_name(static_cast<uint8_t>(i))) return static_cast<uint8_t>(i);
  }
  return std::nullopt;
}

std::vector<FlagName> sqe_flag_names() {
  return {{IOSQE_FIXED_FILE, "FIXED_FILE"}, {IOSQE_IO_DRAIN, "IO_DRAIN"},
          {IOSQE_IO_LINK, "IO_LINK"},       {IOSQE_IO_HARDLINK, "IO_HARDLINK"},
          {IOSQE_ASYNC, "ASYNC"},           {IOSQE_BUFFER_SELECT, "BUFFER_SELECT"},
          {IOSQE_CQE_SKIP_SUCCESS, "CQE_SKIP_SUCCESS"}};
}

std::vector<FlagName> setup_flag_names() {
  static constexpr const char* kNames[] = {
      "IOPOLL", "SQPOLL", "SQ_AFF", "CQSIZE", "CLAMP", "ATTACH_WQ", "R_DISABLED", "SUBMIT_ALL",
      "COOP_TASKRUN", "TASKRUN_FLAG", "SQE128", "CQE32", "SINGLE_ISSUER", "DEFER_TASKRUN",
      "NO_MMAP", "REGISTERED_FD_ONLY", "NO_SQARRAY", "HYBRID_IOPOLL", "CQE_MIXED"};
  std::vector<FlagName> out;
  for (uint32_t i = 0; i < std::size(kNames); ++i) out.push_back({1u << i, kNames[i]});
  return out;
}

std::vector<FlagName> enter_flag_names() {
  static constexpr const char* kNames[] = {"GETEVENTS", "SQ_WAKEUP", "SQ_WAIT", "EXT_ARG",
                                           "REGISTERED_RING", "ABS_TIMER", "EXT_ARG_REG",
                                           "NO_IOWAIT"};
  std::vector<FlagName> out;
  for (uint32_t i = 0; i < std::size(kNames); ++i) out.push_back({1u << i, kNames[i]});
  return out;
}

std::string to_hex(const uint8_t* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = kDigits[p[i] >> 4];
    s[2 * i + 1] = kDigits[p[i] & 15];
  }
  return s;
}

bool from_hex(std::string_view hex, std::vector<uint8_t>* out, size_t* bad_at) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out->clear();
  if (hex.size() % 2 != 0) {
    *bad_at = hex.size();
    return false;
  }
  out->reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      *bad_at = hi < 0 ? i : i + 1;
      return false;
    }
    out->push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return true;
}

// FIPS 180-4 SHA-256, written out: a trace must verify on a machine without OpenSSL.
std::string sha256_hex(const uint8_t* p, size_t n) {
  static constexpr uint32_t k[64] = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
      0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
      0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
      0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
      0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
      0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
      0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
      0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
      0xc67178f2};
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  auto rotr = [](uint32_t x, int r) { return (x >> r) | (x << (32 - r)); };
  auto block = [&](const uint8_t* b) {
    uint32_t w[64];
    for (int i = 0; i < 16; ++i) {
      w[i] = uint32_t{b[4 * i]} << 24 | uint32_t{b[4 * i + 1]} << 16 | uint32_t{b[4 * i + 2]} << 8 |
             uint32_t{b[4 * i + 3]};
    }
    for (int i = 16; i < 64; ++i) {
      const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b2 = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; ++i) {
      const uint32_t s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const uint32_t ch = (e & f) ^ (~e & g);
      const uint32_t t1 = hh + s1 + ch + k[i] + w[i];
      const uint32_t s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const uint32_t maj = (a & b2) ^ (a & c) ^ (b2 & c);
      const uint32_t t2 = s0 + maj;
      hh = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b2;
      b2 = a;
      a = t1 + t2;
    }
    h[0] += a; h[1] += b2; h[2] += c; h[3] += d;
    h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  };
  size_t i = 0;
  for (; i + 64 <= n; i += 64) block(p + i);
  uint8_t tail[128] = {};
  const size_t rest = n - i;
  if (rest > 0) std::memcpy(tail, p + i, rest);
  tail[rest] = 0x80;
  const size_t tail_len = rest + 9 <= 64 ? 64 : 128;
  const uint64_t bits = uint64_t{n} * 8;
  for (int j = 0; j < 8; ++j) tail[tail_len - 1 - j] = static_cast<uint8_t>(bits >> (8 * j));
  block(tail);
  if (tail_len == 128) block(tail + 64);
  uint8_t digest[32];
  for (int j = 0; j < 8; ++j) {
    for (int b = 0; b < 4; ++b) digest[4 * j + b] = static_cast<uint8_t>(h[j] >> (24 - 8 * b));
  }
  return to_hex(digest, 32);
}

void fill_seeded(uint64_t seed, uint64_t offset, uint8_t* out, size_t n) {
  auto word = [seed](uint64_t index) {
    uint64_t z = seed + (index + 1) * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  size_t done = 0;
  while (done < n) {
    const uint64_t pos = offset + done;
    const uint64_t w = word(pos / 8);
    const size_t in_word = pos % 8;
    const size_t take = std::min<size_t>(8 - in_word, n - done);
    for (size_t j = 0; j < take; ++j) out[done + j] = static_cast<uint8_t>(w >> (8 * (in_word + j)));
    done += take;
  }
}

std::vector<uint8_t> region_initial_bytes(const RegionDecl& r) {
  std::vector<uint8_t> out(r.size, 0);
  if (r.seed) fill_seeded(*r.seed, 0, out.data(), out.size());
  for (const Chunk& c : r.content) {
    std::memcpy(out.data() + c.offset, c.bytes.data(), c.bytes.size());
  }
  return out;
}

std::vector<ParamsField> params_fields() {
  std::vector<ParamsField> out = {
      {"sq_entries", 0}, {"cq_entries", 4}, {"flags", 8}, {"sq_thread_cpu", 12},
      {"sq_thread_idle", 16}, {"features", 20}, {"wq_fd", 24}};
  static constexpr const char* kSq[] = {"head", "tail", "ring_mask", "ring_entries",
                                        "flags", "dropped", "array", "resv1"};
  static constexpr const char* kCq[] = {"head", "tail", "ring_mask", "ring_entries",
                                        "overflow", "cqes", "flags", "resv1"};
  // Stable storage for the composed paths.
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const char* n : kSq) v.push_back(std::string("sq_off.") + n);
    for (const char* n : kCq) v.push_back(std::string("cq_off.") + n);
    return v;
  }();
  for (uint32_t i = 0; i < 8; ++i) {
    out.push_back({names[i].c_str(), static_cast<uint32_t>(offsetof(io_uring_params, sq_off) + 4 * i)});
  }
  for (uint32_t i = 0; i < 8; ++i) {
    out.push_back({names[8 + i].c_str(), static_cast<uint32_t>(offsetof(io_uring_params, cq_off) + 4 * i)});
  }
  return out;
}

uint32_t params_get(const io_uring_params& p, uint32_t offset) {
  uint32_t v;
  std::memcpy(&v, reinterpret_cast<const uint8_t*>(&p) + offset, 4);
  return v;
}

void params_set(io_uring_params* p, uint32_t offset, uint32_t value) {
  std::memcpy(reinterpret_cast<uint8_t*>(p) + offset, &value, 4);
}

std::string describe_address(const Address& a) {
  if (a.absolute()) return hex_number(a.value);
  return a.region + "+" + hex_number(a.value);
}

std::string describe_sqe(const SqeRecord& s) {
  if (s.dropped) return strprintf("dropped SQ entry (sq array index %u)", s.sq_index);
  const io_uring_sqe q = s.sqe();
  std::string out = q.opcode < IORING_OP_LAST ? op_name(q.opcode) : strprintf("opcode %u", q.opcode);
  out += strprintf(" user_data=%llu", (unsigned long long)q.user_data);
  if (q.flags != 0) out += strprintf(" flags=0x%x", q.flags);
  if (q.fd != 0) out += strprintf(" fd=%d", q.fd);
  if (s.addr) {
    out += " addr=" + describe_address(*s.addr);
  } else if (q.addr != 0) {
    out += " addr=" + hex_number(q.addr);
  }
  if (q.len != 0) out += strprintf(" len=%u", q.len);
  if (q.off != 0) out += strprintf(" off=%lld", (long long)q.off);
  if (q.buf_index != 0) out += strprintf(" buf_index=%u", q.buf_index);
  if (q.rw_flags != 0) out += strprintf(" op_flags=0x%x", q.rw_flags);
  if (s.addr3) {
    out += " addr3=" + describe_address(*s.addr3);
  } else if (load64(s.bytes.data() + 48) != 0) {
    out += " addr3=" + hex_number(load64(s.bytes.data() + 48));
  }
  return out;
}

}  // namespace uringsim::traces
