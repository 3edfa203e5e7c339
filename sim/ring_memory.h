// MemfdRingMemory: ring memory a client process maps with its own mmap().
//
// One memfd per ring; the memfd *is* the ring fd the client holds. The regions sit at
// the uapi mmap offsets inside the memfd:
//   IORING_OFF_SQ_RING (0)          the rings region (SQ ring; CQ ring too when single-mmap)
//   IORING_OFF_CQ_RING (0x8000000)  the CQ ring, only when RingLayout::single_mmap() is false
//   IORING_OFF_SQES    (0x10000000) the SQE array
//   0x20000000 (IORING_MAP_OFF_PARAM_REGION) a kernel-allocated IORING_REGISTER_MEM_REGION region
//   IORING_OFF_PBUF_RING | bgid << IORING_OFF_PBUF_SHIFT (0x80000000 + bgid * 64 KiB)
//                                   a kernel-allocated provided-buffer ring
//                                   (IOU_PBUF_RING_MMAP), while its group is registered
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
//  - NO_MMAP rings: mmap of the (empty) memfd succeeds and SIGBUSes on touch; Linux
//    refuses the mmap with -ENOMEM. In-process, the model uses the client's pages in
//    place: unmapping them under a live ring faults, where Linux keeps them pinned.
//  - After RESIZE_RINGS a client's old mappings see the new (zeroed, then refilled)
//    pages at the same offsets; on Linux they keep the old pages until munmap.
//  - Buffer rings (IOU_PBUF_RING_MMAP): after UNREGISTER_PBUF_RING a client mapping
//    keeps the ring's last contents, as on Linux, but a *new* mmap of that offset
//    still succeeds (Linux: -ENOMEM), and if the same group is registered again the
//    old mapping sees the new ring (Linux gives the new ring new pages). Offsets are
//    64 KiB apart, so a ring above 4096 entries spans its neighbours' offsets: Linux
//    keys regions by offset, a file cannot, so two such rings that would overlap are
//    refused with EINVAL "not simulated".
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

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
  // The buffer ring of `bgid` at its uapi offset in the ring's memfd (sparse: only the
  // ring's own pages exist), zeroed, mapped here too.
  std::byte* allocate_pbuf_ring(RingId ring, uint16_t bgid, size_t bytes, std::string* not_simulated) override;
  // Unmaps our view; the pages stay for the client's mapping until the ring goes.
  void release_pbuf_ring(RingId ring, uint16_t bgid, std::byte* memory, size_t bytes) override;

  // [no-mmap / resize] IORING_SETUP_NO_MMAP: the ring still gets a memfd (its fd, empty),
  // and the model works on the client's own pages. In-process (the client is this
  // process: EmbeddedKernel, the shim) those pages are used where they are. For
  // another process (`uringsim run`) the pages must be a shared mapping
  // (MAP_SHARED anonymous, memfd, tmpfs): this process maps the same pages through
  // /proc/PID/map_files. A private mapping cannot be reached from here; that is
  // refused with EINVAL "not simulated under capture", never faked with a copy.
  bool adopt_user(RingId ring, const RingLayout& layout, const Credentials& client, uint64_t rings_addr,
                  uint64_t sqes_addr, RingMemory& out, std::string* not_simulated) override;
  void release_user(RingId ring, const RingMemory& memory, const RingLayout& layout) override;
  // IORING_REGISTER_MEM_REGION's kernel-allocated region at kParamRegionMmapOffset
  // (0x20000000) of the ring's memfd, zeroed, mapped here too.
  std::byte* allocate_param_region(RingId ring, size_t bytes, std::string* not_simulated) override;
  void release_param_region(RingId ring, std::byte* memory, size_t bytes) override;
  // RESIZE_RINGS: the same memfd, grown if needed, with new zeroed views at the same
  // offsets; the client maps them again, as it must on Linux.
  bool reallocate(RingId ring, const RingLayout& old_layout, const RingMemory& old, const RingLayout& layout,
                  RingMemory& out) override;

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
    uint64_t file_size = 0;
    // Registered kernel-allocated buffer rings: bgid -> bytes at its offset.
    std::map<uint16_t, size_t> pbuf_rings;
  };
  mutable std::mutex mu_;  // ring_by_inode may be called from another thread
  // Views of another process's pages made by adopt_user: address -> length.
  std::map<std::byte*, size_t> user_views_;
  std::map<RingId, Region> rings_;
  int last_errno_ = 0;
};

}  // namespace uringsim::sim
