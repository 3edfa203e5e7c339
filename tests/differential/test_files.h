// Fixtures the read/write differential tests share: a file with known contents and
// memory that ends at a guard page. Each side of a differential test (sim, Linux) makes
// its own, so both start from identical bytes.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cinttypes>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace uringsim::difftest {

// "N bytes fnv H": a short, exact summary of a byte range for a transcript.
inline std::string fnv_summary(const void* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  const auto* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  char buf[64];
  snprintf(buf, sizeof buf, "%zu bytes fnv %016" PRIx64, n, h);
  return buf;
}

// A kSize-byte file in `dir` whose byte i is a fixed function of i, opened read-write
// (rw, offset 0), read-only (ro) and write-only (wo); removed on destruction.
// A connected AF_UNIX stream socket pair, closed at scope end.
struct UnixPair {
  int a = -1, b = -1;
  UnixPair() {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) abort();
    a = sv[0];
    b = sv[1];
  }
  ~UnixPair() {
    ::close(a);
    ::close(b);
  }
  UnixPair(const UnixPair&) = delete;
  UnixPair& operator=(const UnixPair&) = delete;
};

struct PatternFile {
  static constexpr size_t kSize = 10000;
  std::string path;
  int rw = -1, ro = -1, wo = -1;

  PatternFile(const std::string& dir, const std::string& tag) {
    path = dir + "/uringsim-diff-" + std::to_string(getpid()) + "-" + tag;
    rw = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    std::vector<unsigned char> data(kSize);
    for (size_t i = 0; i < kSize; ++i) data[i] = static_cast<unsigned char>(i * 7 + i / 251);
    if (write(rw, data.data(), data.size()) != static_cast<ssize_t>(data.size())) abort();
    lseek(rw, 0, SEEK_SET);
    ro = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    wo = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  }
  ~PatternFile() {
    ::close(rw);
    ::close(ro);
    ::close(wo);
    unlink(path.c_str());
  }
  PatternFile(const PatternFile&) = delete;
  PatternFile& operator=(const PatternFile&) = delete;

  // The whole file now (it may have grown), summarised.
  std::string contents() const {
    std::vector<unsigned char> d(kSize * 2);
    const ssize_t n = pread(rw, d.data(), d.size(), 0);
    return fnv_summary(d.data(), n < 0 ? 0 : static_cast<size_t>(n));
  }
};

// `n` bytes of page-aligned, zero-filled anonymous memory, unmapped at the end.
struct AnonPages {
  std::byte* p = nullptr;
  size_t len = 0;

  explicit AnonPages(size_t n) : len(n) {
    void* m = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) abort();
    p = static_cast<std::byte*>(m);
  }
  ~AnonPages() { munmap(p, len); }
  AnonPages(const AnonPages&) = delete;
  AnonPages& operator=(const AnonPages&) = delete;

  uint64_t addr(size_t off = 0) const { return reinterpret_cast<uint64_t>(p) + off; }
};

// `len` bytes of page-aligned anonymous memory filled with 0xa5, followed by a PROT_NONE
// guard page, so a transfer running off the end faults instead of landing in a
// neighbouring mapping.
struct GuardedPages {
  void* p = nullptr;
  size_t len = 0;

  explicit GuardedPages(size_t n) : len(n) {
    p = mmap(nullptr, n + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) abort();
    if (mprotect(static_cast<char*>(p) + n, 4096, PROT_NONE) != 0) abort();
    memset(p, 0xa5, n);
  }
  ~GuardedPages() { munmap(p, len + 4096); }
  GuardedPages(const GuardedPages&) = delete;
  GuardedPages& operator=(const GuardedPages&) = delete;

  uint64_t addr(size_t off = 0) const { return reinterpret_cast<uint64_t>(p) + off; }
  unsigned char* at(size_t off) const { return static_cast<unsigned char*>(p) + off; }
  std::string summary() const { return fnv_summary(p, len); }
};

}  // namespace uringsim::difftest
