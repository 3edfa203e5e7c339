#include "sim/ring_memory.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "uapi/io_uring.h"

namespace uringsim::sim {

namespace {

void* map_region(int fd, size_t len, uint64_t offset) {
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                 static_cast<off_t>(offset));
  return p == MAP_FAILED ? nullptr : p;
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
    rings_[ring] = Region{fd, st.st_dev, st.st_ino};
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

RingId MemfdRingMemory::ring_by_inode(dev_t dev, ino_t ino) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, r] : rings_) {
    if (r.dev == dev && r.ino == ino) return id;
  }
  return kNoRing;
}

}  // namespace uringsim::sim
