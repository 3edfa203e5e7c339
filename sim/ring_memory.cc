#include "sim/ring_memory.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "kernel_model/mem_region.h"
#include "uapi/io_uring.h"

namespace uringsim::sim {

namespace {

void* map_region(int fd, size_t len, uint64_t offset) {
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                 static_cast<off_t>(offset));
  return p == MAP_FAILED ? nullptr : p;
}

// Where the client maps group `bgid`'s kernel-allocated buffer ring.
uint64_t pbuf_ring_offset(uint16_t bgid) {
  return IORING_OFF_PBUF_RING | (uint64_t{bgid} << IORING_OFF_PBUF_SHIFT);
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

MemfdRingMemory::~MemfdRingMemory() {
  // Rings still alive when the provider goes (the Kernel is destroyed after it, or a
  // test forgot): close our fds. Our mappings are left to the Kernel's own teardown.
  for (auto& [id, r] : rings_) ::close(r.fd);
}

bool MemfdRingMemory::allocate(RingId ring, const RingLayout& layout, RingMemory& out) {
  int fd = memfd_create("uringsim-ring", MFD_CLOEXEC);
  if (fd < 0) {
    last_errno_ = errno;
    return false;
  }
  const uint64_t size = IORING_OFF_SQES + layout.sqes_bytes;
  struct stat st;
  std::byte* sq = nullptr;
  std::byte* cq = nullptr;
  std::byte* sqes = nullptr;
  if (ftruncate(fd, static_cast<off_t>(size)) != 0 || fstat(fd, &st) != 0) goto fail;
  sq = static_cast<std::byte*>(map_region(fd, layout.sq_ring_bytes, IORING_OFF_SQ_RING));
  if (sq == nullptr) goto fail;
  if (layout.single_mmap()) {
    cq = sq;
  } else {
    cq = static_cast<std::byte*>(map_region(fd, layout.cq_ring_bytes, IORING_OFF_CQ_RING));
    if (cq == nullptr) goto fail;
  }
  sqes = static_cast<std::byte*>(map_region(fd, layout.sqes_bytes, IORING_OFF_SQES));
  if (sqes == nullptr) goto fail;
  out.sq_ring = sq;
  out.cq_ring = cq;
  out.sqes = sqes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rings_[ring] = Region{fd, st.st_dev, st.st_ino, size, {}};
  }
  return true;

fail:
  last_errno_ = errno;
  if (sq) munmap(sq, layout.sq_ring_bytes);
  if (cq && cq != sq) munmap(cq, layout.cq_ring_bytes);
  ::close(fd);
  return false;
}

void MemfdRingMemory::release(RingId ring, const RingMemory& memory, const RingLayout& layout) {
  if (memory.sq_ring) munmap(memory.sq_ring, layout.sq_ring_bytes);
  if (memory.cq_ring && memory.cq_ring != memory.sq_ring) munmap(memory.cq_ring, layout.cq_ring_bytes);
  if (memory.sqes) munmap(memory.sqes, layout.sqes_bytes);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rings_.find(ring);
  if (it != rings_.end()) {
    ::close(it->second.fd);
    rings_.erase(it);
  }
}

int MemfdRingMemory::fd(RingId ring) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rings_.find(ring);
  return it == rings_.end() ? -1 : it->second.fd;
}

std::byte* MemfdRingMemory::allocate_pbuf_ring(RingId ring, uint16_t bgid, size_t bytes,
                                              std::string* not_simulated) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rings_.find(ring);
  if (it == rings_.end()) return nullptr;
  Region& r = it->second;
  const uint64_t offset = pbuf_ring_offset(bgid);
  for (const auto& [other, other_bytes] : r.pbuf_rings) {
    const uint64_t other_offset = pbuf_ring_offset(other);
    if (offset < other_offset + other_bytes && other_offset < offset + bytes) {
      *not_simulated = "its " + std::to_string(bytes) + " bytes at ring fd offset " + hex(offset) +
                       " would overlap group " + std::to_string(other) + "'s ring (" +
                       std::to_string(other_bytes) + " bytes at " + hex(other_offset) +
                       "); uringsim backs each with the ring fd's file, where offsets are 64 KiB apart";
      return nullptr;
    }
  }
  // Grow the sparse file to cover the ring, or drop the pages a previous ring of this
  // group left (a new ring starts zeroed).
  if (offset + bytes > r.file_size) {
    if (ftruncate(r.fd, static_cast<off_t>(offset + bytes)) != 0) return nullptr;
    r.file_size = offset + bytes;
  }
  if (fallocate(r.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                static_cast<off_t>(bytes)) != 0) {
    return nullptr;
  }
  void* p = map_region(r.fd, bytes, offset);
  if (p == nullptr) return nullptr;
  r.pbuf_rings[bgid] = bytes;
  return static_cast<std::byte*>(p);
}

void MemfdRingMemory::release_pbuf_ring(RingId ring, uint16_t bgid, std::byte* memory, size_t bytes) {
  munmap(memory, bytes);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rings_.find(ring);
  if (it != rings_.end()) it->second.pbuf_rings.erase(bgid);
}

namespace {

// Maps [addr, addr + len) of process `pid` into this process: the pages must lie in
// one shared mapping, reached through /proc/PID/map_files. Null with *why otherwise.
std::byte* map_client_pages(pid_t pid, uint64_t addr, uint64_t len, std::string* why) {
  char path[96];
  std::snprintf(path, sizeof path, "/proc/%d/maps", static_cast<int>(pid));
  FILE* f = std::fopen(path, "re");
  if (f == nullptr) {
    *why = std::string("cannot read ") + path;
    return nullptr;
  }
  char line[512];
  unsigned long long start = 0, end = 0, offset = 0;
  char perms[8] = {};
  bool found = false;
  while (!found && std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "%llx-%llx %7s %llx", &start, &end, perms, &offset) == 4 && addr >= start && addr < end)
      found = true;
  }
  std::fclose(f);
  if (!found) {
    *why = "client address " + hex(addr) + " is not mapped";
    return nullptr;
  }
  if (perms[3] != 's') {
    *why = "not simulated under capture: [" + hex(addr) + ", +" + std::to_string(len) +
           ") is private memory of pid " + std::to_string(pid) +
           ", which the uringsim kernel process cannot map; give the ring MAP_SHARED memory (or use the shim)";
    return nullptr;
  }
  if (addr + len > end) {
    *why = "not simulated under capture: [" + hex(addr) + ", +" + std::to_string(len) +
           ") spans more than one mapping of pid " + std::to_string(pid);
    return nullptr;
  }
  std::snprintf(path, sizeof path, "/proc/%d/map_files/%llx-%llx", static_cast<int>(pid), start, end);
  const int fd = ::open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    *why = std::string("cannot open ") + path + ": " + std::strerror(errno);
    return nullptr;
  }
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, static_cast<off_t>(offset + (addr - start)));
  ::close(fd);
  if (p == MAP_FAILED) {
    *why = std::string("cannot map ") + path + ": " + std::strerror(errno);
    return nullptr;
  }
  return static_cast<std::byte*>(p);
}

}  // namespace

bool MemfdRingMemory::adopt_user(RingId ring, const RingLayout& layout, const Credentials& client,
                                 uint64_t rings_addr, uint64_t sqes_addr, RingMemory& out,
                                 std::string* not_simulated) {
  std::byte* rings = nullptr;
  std::byte* sqes = nullptr;
  if (client.pid == getpid()) {
    rings = reinterpret_cast<std::byte*>(rings_addr);
    sqes = reinterpret_cast<std::byte*>(sqes_addr);
  } else {
    rings = map_client_pages(client.pid, rings_addr, layout.sq_ring_bytes, not_simulated);
    if (rings == nullptr) return false;
    sqes = map_client_pages(client.pid, sqes_addr, layout.sqes_bytes, not_simulated);
    if (sqes == nullptr) {
      munmap(rings, layout.sq_ring_bytes);
      return false;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (client.pid != getpid()) {
    user_views_[rings] = layout.sq_ring_bytes;
    user_views_[sqes] = layout.sqes_bytes;
  }
  if (rings_.find(ring) == rings_.end()) {
    // The ring fd: an empty memfd, so the host finds the ring by inode as for any ring.
    const int fd = memfd_create("uringsim-ring-nommap", MFD_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
      *not_simulated = std::string("memfd_create failed: ") + std::strerror(errno);
      if (fd >= 0) ::close(fd);
      for (std::byte* v : {rings, sqes}) {
        auto it = user_views_.find(v);
        if (it != user_views_.end()) {
          munmap(it->first, it->second);
          user_views_.erase(it);
        }
      }
      return false;
    }
    rings_[ring] = Region{fd, st.st_dev, st.st_ino, 0, {}};
  }
  out.sq_ring = rings;
  out.cq_ring = rings;
  out.sqes = sqes;
  return true;
}

void MemfdRingMemory::release_user(RingId, const RingMemory& memory, const RingLayout&) {
  std::lock_guard<std::mutex> lock(mu_);
  for (std::byte* v : {memory.sq_ring, memory.sqes}) {
    auto it = user_views_.find(v);
    if (it != user_views_.end()) {
      munmap(it->first, it->second);
      user_views_.erase(it);
    }
  }
}

bool MemfdRingMemory::reallocate(RingId ring, const RingLayout& old_layout, const RingMemory& old,
                                 const RingLayout& layout, RingMemory& out) {
  int fd = -1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = rings_.find(ring);
    if (it == rings_.end()) return false;
    Region& r = it->second;
    const uint64_t needed = IORING_OFF_SQES + layout.sqes_bytes;
    if (needed > r.file_size) {
      if (ftruncate(r.fd, static_cast<off_t>(needed)) != 0) return false;
      r.file_size = needed;
    }
    fd = r.fd;
  }
  auto* sq = static_cast<std::byte*>(map_region(fd, layout.sq_ring_bytes, IORING_OFF_SQ_RING));
  std::byte* cq = sq;
  if (sq != nullptr && !layout.single_mmap())
    cq = static_cast<std::byte*>(map_region(fd, layout.cq_ring_bytes, IORING_OFF_CQ_RING));
  auto* sqes = static_cast<std::byte*>(map_region(fd, layout.sqes_bytes, IORING_OFF_SQES));
  if (sq == nullptr || cq == nullptr || sqes == nullptr) {
    if (sq) munmap(sq, layout.sq_ring_bytes);
    if (cq && cq != sq) munmap(cq, layout.cq_ring_bytes);
    if (sqes) munmap(sqes, layout.sqes_bytes);
    return false;
  }
  // Same file offsets, so the new views alias the old pages: the model has already
  // copied out what it keeps. Zero them as a fresh allocation is.
  std::memset(sq, 0, layout.sq_ring_bytes);
  if (cq != sq) std::memset(cq, 0, layout.cq_ring_bytes);
  std::memset(sqes, 0, layout.sqes_bytes);
  if (old.sq_ring) munmap(old.sq_ring, old_layout.sq_ring_bytes);
  if (old.cq_ring && old.cq_ring != old.sq_ring) munmap(old.cq_ring, old_layout.cq_ring_bytes);
  if (old.sqes) munmap(old.sqes, old_layout.sqes_bytes);
  out.sq_ring = sq;
  out.cq_ring = cq;
  out.sqes = sqes;
  return true;
}

std::byte* MemfdRingMemory::allocate_param_region(RingId ring, size_t bytes, std::string* not_simulated) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rings_.find(ring);
  if (it == rings_.end()) return nullptr;
  Region& r = it->second;
  if (bytes > IORING_OFF_PBUF_RING - kParamRegionMmapOffset) {
    *not_simulated = std::to_string(bytes) + " bytes at ring fd offset " + hex(kParamRegionMmapOffset) +
                     " would run into the buffer-ring offsets of uringsim's ring file";
    return nullptr;
  }
  if (kParamRegionMmapOffset + bytes > r.file_size) {
    if (ftruncate(r.fd, static_cast<off_t>(kParamRegionMmapOffset + bytes)) != 0) return nullptr;
    r.file_size = kParamRegionMmapOffset + bytes;
  }
  void* p = map_region(r.fd, bytes, kParamRegionMmapOffset);
  return static_cast<std::byte*>(p);
}

void MemfdRingMemory::release_param_region(RingId, std::byte* memory, size_t bytes) { munmap(memory, bytes); }

RingId MemfdRingMemory::ring_by_inode(dev_t dev, ino_t ino) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, r] : rings_) {
    if (r.dev == dev && r.ino == ino) return id;
  }
  return kNoRing;
}

}  // namespace uringsim::sim
