// The SQ and CQ rings: layout in memory and the mechanics of both queues.
//
// The ring memory is shared with an untrusted client. The model therefore keeps its
// own copies of everything it must rely on (entries, masks, its own SQ head and CQ
// tail), reads only the words the application owns (SQ tail, the SQ array, CQ head)
// and copies each SQE out of shared memory once before looking at it, as Linux reads
// each field once with READ_ONCE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "kernel_model/accounting.h"
#include "kernel_model/profile.h"
#include "uapi/io_uring.h"

namespace uringsim {

// How many SQ and CQ entries a ring gets: io_uring_fill_params' sizing, shared by setup
// and IORING_REGISTER_RESIZE_RINGS. `entries` above the profile's maximum is clamped
// with IORING_SETUP_CLAMP, else EINVAL; the SQ size is rounded up to a power of two. With
// IORING_SETUP_CQSIZE the CQ size comes from `cq_entries` by the same rules and must be
// at least the SQ size; otherwise it is twice the SQ size. `who` begins every reason.
struct RingEntries {
  uint32_t sq = 0;
  uint32_t cq = 0;
};
Check size_ring_entries(const Profile& profile, const char* who, uint32_t entries, uint32_t cq_entries,
                        uint32_t flags, RingEntries* out);

// Where everything lives for one ring, exactly as the profile's Linux lays it out.
struct RingLayout {
  uint32_t sq_entries = 0;
  uint32_t cq_entries = 0;
  uint32_t setup_flags = 0;
  io_sqring_offsets sq_off{};
  io_cqring_offsets cq_off{};
  size_t sq_ring_bytes = 0;  // region mapped at IORING_OFF_SQ_RING (page aligned)
  size_t cq_ring_bytes = 0;  // region at IORING_OFF_CQ_RING; 0 when it is the SQ region
  size_t sqes_bytes = 0;     // region at IORING_OFF_SQES (page aligned)
  size_t sqe_size = 64;      // 128 with IORING_SETUP_SQE128
  size_t cqe_size = 16;      // 32 with IORING_SETUP_CQE32

  bool single_mmap() const { return cq_ring_bytes == 0; }
  // Pages of ring memory: what 6.18 charges to locked_vm at setup.
  uint64_t pages() const;

  // REQUIRES: sq_entries, cq_entries are validated powers of two.
  static RingLayout compute(const Profile& profile, uint32_t sq_entries, uint32_t cq_entries,
                            uint32_t setup_flags);
};

// The memory regions of one ring, as the host provides them (heap for the embedded
// model, a shared-memory object for a client process). Zero-filled on allocation.
struct RingMemory {
  std::byte* sq_ring = nullptr;  // sq_ring_bytes
  std::byte* cq_ring = nullptr;  // == sq_ring when single_mmap()
  std::byte* sqes = nullptr;     // sqes_bytes
  // IORING_SETUP_NO_MMAP: the pages are the client's own (sq_off.user_addr /
  // cq_off.user_addr), reached through the host; nothing can be mmapped from the fd.
  bool user_provided = false;
  uint64_t rings_user_addr = 0;  // user_provided: client address of the rings region
  uint64_t sqes_user_addr = 0;   // user_provided: client address of the SQE array
};

// What IORING_REGISTER_RESIZE_RINGS carries from the old ring memory to the new one
// (io_register_resize_rings): the SQEs and CQEs between head and tail, by ring
// position, and the shared words. Taken before the host replaces the memory.
struct RingSnapshot {
  uint32_t sq_head = 0, sq_tail = 0;
  uint32_t cq_head = 0, cq_tail = 0;
  uint32_t dropped = 0, sq_flags = 0, cq_flags = 0, cq_overflow = 0;
  std::vector<std::byte> sqes;  // (sq_tail - sq_head) entries of sqe_size bytes, oldest first
  std::vector<std::byte> cqes;  // (cq_tail - cq_head) entries of cqe_size bytes, oldest first
};

// A CQE on its way to the CQ (or waiting in the overflow list).
struct Cqe {
  uint64_t user_data = 0;
  int32_t res = 0;
  uint32_t flags = 0;
  uint64_t big[2] = {0, 0};  // extra 16 bytes on CQE32 rings
};

class Ring {
 public:
  // Writes the static words (masks, entries) into the shared memory. `nodrop`:
  // IORING_FEAT_NODROP semantics (an overflow backlog) rather than dropping CQEs.
  Ring(const RingLayout& layout, const RingMemory& memory, bool nodrop);

  const RingLayout& layout() const { return layout_; }
  const RingMemory& memory() const { return memory_; }

  // --- submission side ---
  // Entries the application has published and the model not yet consumed, capped at
  // sq_entries (a bogus tail just makes up to sq_entries "available", as on Linux).
  uint32_t sq_ready() const;
  // The SQ slot the next entry refers to: array[head & mask], or head & mask with
  // NO_SQARRAY. The value is untrusted; the caller checks it against sq_entries.
  uint32_t sq_next_index() const;
  // Copies SQE slot `index` (< sq_entries) out of shared memory.
  void copy_sqe(uint32_t index, io_uring_sqe* out) const;
  // Consumes one entry (the head advances privately; published by sq_publish_head).
  void sq_advance() { ++sq_head_; }
  void sq_publish_head();
  uint32_t sq_head() const { return sq_head_; }
  uint32_t sq_tail() const;
  // The dropped counter: entries whose SQ array index was out of range.
  void count_dropped();
  uint32_t dropped() const;

  // --- completion side ---
  // CQEs the application has not consumed yet (tail - head, capped at cq_entries).
  uint32_t cq_ready() const;
  uint32_t cq_space() const { return layout_.cq_entries - cq_ready(); }
  // Posts a CQE: straight into the CQ when there is room and no backlog, else onto
  // the overflow backlog (IORING_FEAT_NODROP), setting IORING_SQ_CQ_OVERFLOW.
  void post(const Cqe& cqe);
  // The CQ-full half of post(): onto the overflow backlog with IORING_FEAT_NODROP
  // (setting IORING_SQ_CQ_OVERFLOW), else dropped and counted in cq_overflow. Chaos
  // sends a CQE here while the CQ has room (forced CQ overflow, kernel_model/chaos.h).
  void post_overflowed(const Cqe& cqe);
  // Moves the backlog into the CQ, oldest first, as space allows (what GETEVENTS does).
  void flush_overflow();
  bool has_overflow() const { return !overflow_.empty(); }
  size_t overflow_backlog() const { return overflow_.size(); }
  uint32_t cq_tail() const { return cq_tail_; }
  uint32_t cq_head() const;
  uint32_t cq_overflow_counter() const;
  // CQEs posted into the CQ so far (not counting the backlog).
  uint64_t cqes_posted() const { return cqes_posted_; }

  // --- IORING_REGISTER_RESIZE_RINGS (resize.cc) ---
  // SQ entries published but not consumed, and CQEs not yet reaped, as Linux counts
  // them for the -EOVERFLOW check: from the shared head and tail words.
  uint32_t sq_pending() const { return sq_tail() - sq_head_; }
  uint32_t cq_pending() const { return cq_tail_ - cq_head(); }
  // Copies what a resize keeps out of the current memory.
  RingSnapshot snapshot() const;
  // Moves the ring onto new memory laid out by `layout` (entries may differ, flags
  // not): writes masks and entries, then the snapshot's entries at the same absolute
  // positions under the new masks, the heads, tails and counters. The private SQ
  // head, CQ tail and the overflow backlog carry over unchanged.
  // REQUIRES: the snapshot's pending counts fit the new sq_entries / cq_entries.
  void move_to(const RingLayout& layout, const RingMemory& memory, const RingSnapshot& s);

  // The kernel-owned SQ flags word (IORING_SQ_*).
  void set_sq_flag(uint32_t bit);
  void clear_sq_flag(uint32_t bit);
  uint32_t sq_flags() const;

 private:
  uint32_t* sq_word(uint32_t off) const { return reinterpret_cast<uint32_t*>(memory_.sq_ring + off); }
  uint32_t* cq_word(uint32_t off) const { return reinterpret_cast<uint32_t*>(memory_.cq_ring + off); }
  void write_cqe(const Cqe& cqe);

  RingLayout layout_;
  RingMemory memory_;
  uint32_t sq_mask_;
  uint32_t cq_mask_;
  bool nodrop_;
  uint32_t sq_head_ = 0;  // private head; published after each batch
  uint32_t cq_tail_ = 0;  // private tail; published after each CQE
  uint64_t cqes_posted_ = 0;
  std::deque<Cqe> overflow_;
};

}  // namespace uringsim
