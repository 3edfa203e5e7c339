// MemfdRingMemory: ring memory a client process maps with its own mmap().
//
// One memfd per ring; the memfd *is* the ring fd the client holds. The regions sit at
// the uapi mmap offsets inside the memfd:
//   IORING_OFF_SQ_RING (0)          the rings region (SQ ring; CQ ring too when single-mmap)
//   IORING_OFF_CQ_RING (0x8000000)  the CQ ring, only when RingLayout::single_mmap() is false
//   IORING_OFF_SQES    (0x10000000) the SQE array
// so liburing's `mmap(NULL, size, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE, ring_fd,
// IORING_OFF_*)` works unchanged. The file is sparse: the holes between the regions cost
// nothing. This process maps the same pages and hands the pointers to the model.
//
// Why a memfd and not a Boost.Interprocess shared_memory_object (ARCHITECTURE.md's first
// idea): a memfd never has a name in /dev/shm, so there is no create-then-unlink window,
// nothing to clean up when the kernel process crashes, and no name collisions between
// concurrent uringsim instances; it is created MFD_CLOEXEC atomically; and its fd is
// directly what the client needs (an fd to mmap, installed with SECCOMP_IOCTL_NOTIF_ADDFD).
// A shared_memory_object would end as the same kind of fd after shm_open + shm_unlink,
// with more steps and a visible name in between.
//
// Known differences from Linux's ring fd (document, don't hide):
//  - Single-mmap rings (6.18 reports IORING_FEAT_SINGLE_MMAP): Linux maps the *same*
//    pages at IORING_OFF_CQ_RING. A file cannot alias two of its offsets. Under
//    `uringsim run` the seccomp filter traps mmap(..., IORING_OFF_CQ_RING) and answers
//    with the caller's existing SQ-ring mapping (sim/capture.cc), so raw programs written
//    for 5.1-5.3 work. In-process (EmbeddedKernel) nothing intercepts mmap: mapping
//    IORING_OFF_CQ_RING there gives a hole -- zeroes that are not the CQ ring (no SIGBUS,
//    since the SQE region lies beyond and the file size covers it). liburing (every
//    version since 5.4) and fio never map it when SINGLE_MMAP is reported.
//  - Linux ignores the low bits of the offset (0x1000 maps the SQ region from its start),
//    refuses address hints and unknown offsets (-EINVAL / -ENOMEM) and SIGBUSes past a
//    region's end; a memfd maps whatever offset it is given.
//  - fstat() on the fd shows a memfd, not anon_inode:[io_uring].
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <mutex>

#include "kernel_model/kernel.h"

namespace uringsim::sim {

class MemfdRingMemory : public RingMemoryProvider {
 public:
  MemfdRingMemory() = default;
  ~MemfdRingMemory() override;
  MemfdRingMemory(const MemfdRingMemory&) = delete;
  MemfdRingMemory& operator=(const MemfdRingMemory&) = delete;

  bool allocate(RingId ring, const RingLayout& layout, RingMemory& out) override;
  // Unmaps our view and closes our fd. Clients that still map the memfd keep their pages.
  void release(RingId ring, const RingMemory& memory, const RingLayout& layout) override;

  // The memfd of `ring` (owned here), or -1.
  int fd(RingId ring) const;
  // The ring whose memfd has this inode (st_dev, st_ino), or kNoRing. Thread-safe.
  RingId ring_by_inode(dev_t dev, ino_t ino) const;
  // Why the last allocate() failed.
  int last_errno() const { return last_errno_; }

 private:
  struct Region {
    int fd = -1;
    dev_t dev = 0;
    ino_t ino = 0;
  };
  mutable std::mutex mu_;  // ring_by_inode may be called from another thread
  std::map<RingId, Region> rings_;
  int last_errno_ = 0;
};

}  // namespace uringsim::sim
