// Test doubles for the model's narrow interfaces: memory made of declared regions
// (with any backing the test wants to pretend) and files held in memory.
#pragma once

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernel_model/context.h"
#include "kernel_model/files.h"
#include "kernel_model/user_memory.h"

namespace uringsim::testing {

// A client address space of declared VMAs with real bytes behind each.
class FakeMemory : public UserMemory {
 public:
  // Maps `len` bytes (rounded up to the page size) at `start`; returns start.
  uint64_t map(uint64_t start, uint64_t len, Backing backing = Backing::kAnonymous,
               bool writable = true, uint64_t page_size = 4096, uint64_t thp_size = 0) {
    uint64_t end = start + ((len + page_size - 1) / page_size) * page_size;
    Region r;
    r.vma = Vma{start, end, true, writable, backing, page_size, thp_size, ""};
    r.bytes.assign(end - start, std::byte{0});
    regions_[start] = std::move(r);
    return start;
  }
  void unmap(uint64_t start) { regions_.erase(start); }

  bool read(uint64_t addr, void* dst, size_t len) override {
    return copy(addr, len, [&](std::byte* p, size_t done, size_t n) {
      std::memcpy(static_cast<char*>(dst) + done, p, n);
    }, false);
  }
  bool write(uint64_t addr, const void* src, size_t len) override {
    return copy(addr, len, [&](std::byte* p, size_t done, size_t n) {
      std::memcpy(p, static_cast<const char*>(src) + done, n);
    }, true);
  }
  bool vmas(uint64_t addr, uint64_t len, std::vector<Vma>& out) override {
    out.clear();
    uint64_t cur = addr, end = addr + len;
    while (cur < end) {
      const Region* r = find(cur);
      if (r == nullptr) return false;
      out.push_back(r->vma);
      cur = r->vma.end;
    }
    return true;
  }
  // Direct access for assertions.
  std::byte* at(uint64_t addr) {
    Region* r = const_cast<Region*>(find(addr));
    return r == nullptr ? nullptr : r->bytes.data() + (addr - r->vma.start);
  }
  size_t reads_and_writes = 0;

 private:
  struct Region {
    Vma vma;
    std::vector<std::byte> bytes;
  };
  const Region* find(uint64_t addr) const {
    auto it = regions_.upper_bound(addr);
    if (it == regions_.begin()) return nullptr;
    --it;
    if (addr >= it->second.vma.start && addr < it->second.vma.end) return &it->second;
    return nullptr;
  }
  template <class F>
  bool copy(uint64_t addr, size_t len, F&& f, bool need_write) {
    ++reads_and_writes;
    if (len == 0) return true;
    if (addr + len < addr) return false;
    size_t done = 0;
    while (done < len) {
      Region* r = const_cast<Region*>(find(addr + done));
      if (r == nullptr || !r->vma.readable || (need_write && !r->vma.writable)) return false;
      size_t n = std::min<uint64_t>(len - done, r->vma.end - (addr + done));
      f(r->bytes.data() + (addr + done - r->vma.start), done, n);
      done += n;
    }
    return true;
  }
  std::map<uint64_t, Region> regions_;
};

// A regular file (or a ring) held in memory.
class FakeFile : public File {
 public:
  explicit FakeFile(std::string contents = "", bool readable = true, bool writable = true,
                    FileKind kind = FileKind::kRegular, RingId ring = kNoRing)
      : data(std::move(contents)), readable_(readable), writable_(writable), kind_(kind),
        ring_(ring) {}
  FileKind kind() const override { return kind_; }
  bool readable() const override { return readable_; }
  bool writable() const override { return writable_; }
  RingId ring() const override { return ring_; }
  ssize_t read(void* buf, size_t len, int64_t off) override {
    uint64_t pos = off == -1 ? position : static_cast<uint64_t>(off);
    if (pos >= data.size()) return 0;
    size_t n = std::min<size_t>(len, data.size() - pos);
    std::memcpy(buf, data.data() + pos, n);
    if (off == -1) position += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const void* buf, size_t len, int64_t off) override {
    uint64_t pos = off == -1 ? position : static_cast<uint64_t>(off);
    if (data.size() < pos + len) data.resize(pos + len, '\0');
    std::memcpy(data.data() + pos, buf, len);
    if (off == -1) position += len;
    return static_cast<ssize_t>(len);
  }
  uint32_t poll(uint32_t events) override { return events & ready; }
  int sync(bool datasync) override {
    ++syncs;
    last_sync_was_data = datasync;
    return 0;
  }
  std::string data;
  // What poll() reports: a regular file is always readable and writable (DEFAULT_POLLMASK).
  uint32_t ready = 0x001 | 0x004 | 0x040 | 0x100;
  uint64_t position = 0;
  int syncs = 0;
  bool last_sync_was_data = false;

 private:
  bool readable_, writable_;
  FileKind kind_;
  RingId ring_;
};

class FakeFiles : public Files {
 public:
  std::shared_ptr<File> get(int fd) override {
    auto it = fds.find(fd);
    return it == fds.end() ? nullptr : it->second;
  }
  std::shared_ptr<FakeFile> add(int fd, std::shared_ptr<FakeFile> f) {
    fds[fd] = f;
    return f;
  }
  std::map<int, std::shared_ptr<File>> fds;
};

}  // namespace uringsim::testing

namespace uringsim::testing {

// A pipe end held in memory: reads take what was put in, and an empty pipe answers
// -EAGAIN (the model parks the request until poll() says POLLIN).
class FakePipe : public File {
 public:
  FileKind kind() const override { return FileKind::kPipe; }
  bool readable() const override { return true; }
  bool writable() const override { return true; }
  ssize_t read(void* buf, size_t len, int64_t) override {
    if (data.empty()) return -EAGAIN;
    size_t n = std::min(len, data.size());
    std::memcpy(buf, data.data(), n);
    data.erase(0, n);
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const void* buf, size_t len, int64_t) override {
    data.append(static_cast<const char*>(buf), len);
    return static_cast<ssize_t>(len);
  }
  uint32_t poll(uint32_t events) override { return events & (data.empty() ? 0x004u : 0x005u); }
  int sync(bool) override { return -EINVAL; }
  std::string data;
};

}  // namespace uringsim::testing

namespace uringsim::testing {

// One end of an in-memory stream socket pair (kbuf/net tests). send() appends to the
// peer's queue up to `capacity` bytes (then -EAGAIN); recv() takes from this end's
// queue (-EAGAIN when empty, 0 after the peer shut down) and reports what is left.
class FakeSocket : public File {
 public:
  static std::pair<std::shared_ptr<FakeSocket>, std::shared_ptr<FakeSocket>> pair(bool zc = true) {
    auto a = std::make_shared<FakeSocket>(), b = std::make_shared<FakeSocket>();
    a->peer = b;
    b->peer = a;
    a->zc = b->zc = zc;
    return {a, b};
  }
  FileKind kind() const override { return FileKind::kSocket; }
  bool readable() const override { return true; }
  bool writable() const override { return true; }
  ssize_t read(void* buf, size_t len, int64_t) override {
    Msg m;
    return sock_recv(buf, len, 0, m);
  }
  ssize_t write(const void* buf, size_t len, int64_t) override { return sock_send(buf, len, 0, Msg{}); }
  int sync(bool) override { return -EINVAL; }
  uint32_t poll(uint32_t events) override {
    uint32_t r = 0;
    if (!inbox.empty() || eof) r |= 0x001;
    auto p = peer.lock();
    if (p && p->inbox.size() < capacity) r |= 0x004;
    return events & r;
  }
  using Msg = File::SockMsg;
  ssize_t sock_send(const void* buf, size_t len, int, const SockMsg&) override {
    auto p = peer.lock();
    if (!p) return -EPIPE;
    if (p->inbox.size() >= capacity) return -EAGAIN;
    size_t n = std::min(len, capacity - p->inbox.size());
    p->inbox.append(static_cast<const char*>(buf), n);
    ++sends;
    return static_cast<ssize_t>(n);
  }
  ssize_t sock_recv(void* buf, size_t len, int, SockMsg& msg) override {
    if (inbox.empty()) return eof ? 0 : -EAGAIN;
    size_t n = std::min(len, inbox.size());
    std::memcpy(buf, inbox.data(), n);
    inbox.erase(0, n);
    if (msg.want_inq) msg.inq = static_cast<int32_t>(inbox.size());
    return static_cast<ssize_t>(n);
  }
  bool sock_supports_zc() const override { return zc; }
  bool sock_is_stream() const override { return true; }

  std::string inbox;
  size_t capacity = 1 << 20;
  bool eof = false;
  bool zc = true;
  int sends = 0;
  std::weak_ptr<FakeSocket> peer;
};

}  // namespace uringsim::testing
