#include "kernel_model/ring.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>

namespace uringsim {

Check size_ring_entries(const Profile& profile, const char* who, uint32_t entries, uint32_t cq_entries,
                        uint32_t flags, RingEntries* out) {
  const auto roundup_pow2 = [](uint32_t v) { return v <= 1 ? 1u : std::bit_ceil(v); };
  if (entries == 0) return make_fault(EINVAL, "%s: entries is 0", who);
  if (entries > profile.max_sq_entries) {
    if (!(flags & IORING_SETUP_CLAMP)) {
      return make_fault(EINVAL, "%s: entries %u > %u (IORING_MAX_ENTRIES) without CLAMP", who, entries,
                        profile.max_sq_entries);
    }
    entries = profile.max_sq_entries;
  }
  out->sq = roundup_pow2(entries);
  if (!(flags & IORING_SETUP_CQSIZE)) {
    out->cq = 2 * out->sq;
    return std::nullopt;
  }
  if (cq_entries == 0) return make_fault(EINVAL, "%s: CQSIZE with cq_entries 0", who);
  if (cq_entries > profile.max_cq_entries) {
    if (!(flags & IORING_SETUP_CLAMP)) {
      return make_fault(EINVAL, "%s: cq_entries %u > %u (IORING_MAX_CQ_ENTRIES) without CLAMP", who, cq_entries,
                        profile.max_cq_entries);
    }
    cq_entries = profile.max_cq_entries;
  }
  out->cq = roundup_pow2(cq_entries);
  if (out->cq < out->sq) {
    return make_fault(EINVAL, "%s: cq_entries %u (rounded) < sq_entries %u", who, out->cq, out->sq);
  }
  return std::nullopt;
}

namespace {

constexpr size_t kCacheLine = 64;
constexpr size_t align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

uint32_t load_acquire(const uint32_t* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
uint32_t load_relaxed(const uint32_t* p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
void store_release(uint32_t* p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
void store_relaxed(uint32_t* p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }

}  // namespace

uint64_t RingLayout::pages() const {
  // 6.18 charges the rings region and the SQE region separately, each page aligned;
  // 5.1 charged the exact byte sum of both rings and the SQEs, rounded up once
  // (ring_pages() in the original fs/io_uring.c) -- compute() stores that in the
  // sizes for the split layout, see below.
  return (sq_ring_bytes + cq_ring_bytes + sqes_bytes + kPageSize - 1) / kPageSize;
}

RingLayout RingLayout::compute(const Profile& profile, uint32_t sq_entries, uint32_t cq_entries,
                               uint32_t setup_flags) {
  RingLayout l;
  l.sq_entries = sq_entries;
  l.cq_entries = cq_entries;
  l.setup_flags = setup_flags;
  l.sqe_size = (setup_flags & IORING_SETUP_SQE128) ? 128 : 64;
  l.cqe_size = (setup_flags & IORING_SETUP_CQE32) ? 32 : 16;

  if (profile.ring_layout == RingLayoutKind::kSplit51) {
    // Two structures in two allocations. SQ ring: {head, tail} each on its own cache
    // line, then mask, entries, dropped, flags and the index array. CQ ring: the same
    // head/tail pair, mask, entries, overflow, then the CQEs on a fresh cache line.
    l.sq_off.head = 0;
    l.sq_off.tail = kCacheLine;
    l.sq_off.ring_mask = 2 * kCacheLine;
    l.sq_off.ring_entries = 2 * kCacheLine + 4;
    l.sq_off.dropped = 2 * kCacheLine + 8;
    l.sq_off.flags = 2 * kCacheLine + 12;
    l.sq_off.array = 2 * kCacheLine + 16;
    l.cq_off.head = 0;
    l.cq_off.tail = kCacheLine;
    l.cq_off.ring_mask = 2 * kCacheLine;
    l.cq_off.ring_entries = 2 * kCacheLine + 4;
    l.cq_off.overflow = 2 * kCacheLine + 8;
    l.cq_off.cqes = 3 * kCacheLine;
    l.sq_ring_bytes = l.sq_off.array + 4ull * sq_entries;
    l.cq_ring_bytes = l.cq_off.cqes + l.cqe_size * cq_entries;
    l.sqes_bytes = l.sqe_size * sq_entries;
    return l;
  }

  if (profile.ring_layout == RingLayoutKind::kAligned) {
    // [added for profiles 5.6 / 6.1] 5.4-6.5's struct io_rings: `struct io_uring {u32
    // head ____cacheline_aligned; u32 tail ____cacheline_aligned;} sq, cq` puts the
    // four words at 0/64/128/192; masks, entries, dropped and sq_flags follow at 256,
    // then cq_flags (5.8+) and cq_overflow; CQEs on the next cache line (320); the SQ
    // array after the CQEs, cache-line aligned. (Pavel Begunkov packed them in 6.6.)
    // Each region was allocated as a power-of-two block of pages (get_order), which is
    // what mmap may cover and what ring_pages() charged, so the sizes are rounded so.
    const bool has_cq_flags = profile_version(profile) >= 5008;
    l.sq_off.head = 0;
    l.sq_off.tail = kCacheLine;
    l.cq_off.head = 2 * kCacheLine;
    l.cq_off.tail = 3 * kCacheLine;
    l.sq_off.ring_mask = 256;
    l.cq_off.ring_mask = 260;
    l.sq_off.ring_entries = 264;
    l.cq_off.ring_entries = 268;
    l.sq_off.dropped = 272;
    l.sq_off.flags = 276;
    l.cq_off.flags = has_cq_flags ? 280 : 0;
    l.cq_off.overflow = has_cq_flags ? 284 : 280;
    l.cq_off.cqes = 320;
    size_t end = 320 + 16 * size_t{cq_entries};
    if (setup_flags & IORING_SETUP_CQE32) end *= 2;
    end = align_up(end, kCacheLine);
    l.sq_off.array = static_cast<uint32_t>(end);
    end += 4ull * sq_entries;
    auto pow2_pages = [](size_t bytes) {
      size_t pages = 1;
      while (pages * kPageSize < bytes) pages *= 2;
      return pages * kPageSize;
    };
    l.sq_ring_bytes = pow2_pages(end);
    l.cq_ring_bytes = 0;
    l.sqes_bytes = pow2_pages(l.sqe_size * size_t{sq_entries});
    return l;
  }

  // 6.18's struct io_rings: the four head/tail words packed first, then masks,
  // entries, dropped, sq flags, cq flags, overflow; the CQEs start at byte 64 and the
  // SQ index array follows them on a cache-line boundary.
  l.sq_off.head = 0;
  l.sq_off.tail = 4;
  l.cq_off.head = 8;
  l.cq_off.tail = 12;
  l.sq_off.ring_mask = 16;
  l.cq_off.ring_mask = 20;
  l.sq_off.ring_entries = 24;
  l.cq_off.ring_entries = 28;
  l.sq_off.dropped = 32;
  l.sq_off.flags = 36;
  l.cq_off.flags = 40;
  l.cq_off.overflow = 44;
  l.cq_off.cqes = 64;
  // rings_size(): struct_size(io_rings, cqes, cq_entries) with 16-byte CQEs, and the
  // whole thing doubled for CQE32 -- the 64-byte header included, so 8 entries with
  // CQE32 put the array at 640, not 576.
  size_t end = 64 + 16 * size_t{cq_entries};
  if (setup_flags & IORING_SETUP_CQE32) end *= 2;
  end = align_up(end, kCacheLine);
  if (setup_flags & IORING_SETUP_NO_SQARRAY) {
    l.sq_off.array = 0;
  } else {
    l.sq_off.array = static_cast<uint32_t>(end);
    end += 4ull * sq_entries;
  }
  l.sq_ring_bytes = align_up(end, kPageSize);
  l.cq_ring_bytes = 0;
  l.sqes_bytes = align_up(l.sqe_size * size_t{sq_entries}, kPageSize);
  return l;
}

Ring::Ring(const RingLayout& layout, const RingMemory& memory, bool nodrop)
    : layout_(layout), memory_(memory), sq_mask_(layout.sq_entries - 1),
      cq_mask_(layout.cq_entries - 1), nodrop_(nodrop) {
  store_relaxed(sq_word(layout_.sq_off.ring_mask), sq_mask_);
  store_relaxed(sq_word(layout_.sq_off.ring_entries), layout_.sq_entries);
  store_relaxed(cq_word(layout_.cq_off.ring_mask), cq_mask_);
  store_relaxed(cq_word(layout_.cq_off.ring_entries), layout_.cq_entries);
}

uint32_t Ring::sq_tail() const { return load_acquire(sq_word(layout_.sq_off.tail)); }

uint32_t Ring::sq_ready() const {
  uint32_t entries = sq_tail() - sq_head_;
  return std::min(entries, layout_.sq_entries);
}

uint32_t Ring::sq_next_index() const {
  uint32_t slot = sq_head_ & sq_mask_;
  if (layout_.setup_flags & IORING_SETUP_NO_SQARRAY) return slot;
  return load_relaxed(sq_word(layout_.sq_off.array + 4 * slot));
}

void Ring::copy_sqe(uint32_t index, io_uring_sqe* out) const {
  std::memcpy(out, memory_.sqes + size_t{index} * layout_.sqe_size, sizeof(io_uring_sqe));
}

void Ring::sq_publish_head() { store_release(sq_word(layout_.sq_off.head), sq_head_); }

void Ring::count_dropped() {
  // Linux increments the shared word it reads back, so a client that scribbles on
  // `dropped` sees its own value plus one.
  uint32_t* d = sq_word(layout_.sq_off.dropped);
  store_relaxed(d, load_relaxed(d) + 1);
}

uint32_t Ring::dropped() const { return load_relaxed(sq_word(layout_.sq_off.dropped)); }

uint32_t Ring::cq_head() const { return load_acquire(cq_word(layout_.cq_off.head)); }

uint32_t Ring::cq_ready() const {
  return std::min(cq_tail_ - cq_head(), layout_.cq_entries);
}

uint32_t Ring::cq_overflow_counter() const {
  return load_relaxed(cq_word(layout_.cq_off.overflow));
}

void Ring::write_cqe(const Cqe& cqe) {
  std::byte* slot = memory_.cq_ring + layout_.cq_off.cqes + size_t{cq_tail_ & cq_mask_} * layout_.cqe_size;
  io_uring_cqe c{};
  c.user_data = cqe.user_data;
  c.res = cqe.res;
  c.flags = cqe.flags;
  std::memcpy(slot, &c, sizeof c);
  if (layout_.cqe_size == 32) std::memcpy(slot + 16, cqe.big, 16);
  ++cq_tail_;
  ++cqes_posted_;
  store_release(cq_word(layout_.cq_off.tail), cq_tail_);
}

void Ring::post(const Cqe& cqe) {
  if (overflow_.empty() && cq_space() > 0) {
    write_cqe(cqe);
    return;
  }
  post_overflowed(cqe);
}

void Ring::post_overflowed(const Cqe& cqe) {
  if (!nodrop_) {
    // Before IORING_FEAT_NODROP (5.5) a full CQ dropped the CQE and counted it.
    uint32_t* o = cq_word(layout_.cq_off.overflow);
    store_relaxed(o, load_relaxed(o) + 1);
    return;
  }
  overflow_.push_back(cqe);
  set_sq_flag(IORING_SQ_CQ_OVERFLOW);
}

void Ring::flush_overflow() {
  while (!overflow_.empty() && cq_space() > 0) {
    write_cqe(overflow_.front());
    overflow_.pop_front();
  }
  if (overflow_.empty()) clear_sq_flag(IORING_SQ_CQ_OVERFLOW);
}

void Ring::set_sq_flag(uint32_t bit) {
  __atomic_fetch_or(sq_word(layout_.sq_off.flags), bit, __ATOMIC_RELEASE);
}

void Ring::clear_sq_flag(uint32_t bit) {
  __atomic_fetch_and(sq_word(layout_.sq_off.flags), ~bit, __ATOMIC_RELEASE);
}

uint32_t Ring::sq_flags() const { return load_acquire(sq_word(layout_.sq_off.flags)); }

RingSnapshot Ring::snapshot() const {
  RingSnapshot s;
  s.sq_head = load_acquire(sq_word(layout_.sq_off.head));
  s.sq_tail = sq_tail();
  s.cq_head = cq_head();
  s.cq_tail = load_acquire(cq_word(layout_.cq_off.tail));
  s.dropped = dropped();
  s.sq_flags = sq_flags();
  s.cq_flags = layout_.cq_off.flags != 0 ? load_relaxed(cq_word(layout_.cq_off.flags)) : 0;
  s.cq_overflow = cq_overflow_counter();
  // Whole entries are copied (SQE128 and CQE32 too), as 6.18.y does since the stable
  // fix "io_uring/register: fix ring resizing with mixed/large SQEs/CQEs".
  const uint32_t sq_n = std::min(s.sq_tail - s.sq_head, layout_.sq_entries);
  s.sqes.resize(size_t{sq_n} * layout_.sqe_size);
  for (uint32_t i = 0; i < sq_n; ++i) {
    const uint32_t slot = (s.sq_head + i) & sq_mask_;
    std::memcpy(s.sqes.data() + size_t{i} * layout_.sqe_size, memory_.sqes + size_t{slot} * layout_.sqe_size,
                layout_.sqe_size);
  }
  const uint32_t cq_n = std::min(s.cq_tail - s.cq_head, layout_.cq_entries);
  s.cqes.resize(size_t{cq_n} * layout_.cqe_size);
  for (uint32_t i = 0; i < cq_n; ++i) {
    const uint32_t slot = (s.cq_head + i) & cq_mask_;
    std::memcpy(s.cqes.data() + size_t{i} * layout_.cqe_size,
                memory_.cq_ring + layout_.cq_off.cqes + size_t{slot} * layout_.cqe_size, layout_.cqe_size);
  }
  return s;
}

void Ring::move_to(const RingLayout& layout, const RingMemory& memory, const RingSnapshot& s) {
  layout_ = layout;
  memory_ = memory;
  sq_mask_ = layout.sq_entries - 1;
  cq_mask_ = layout.cq_entries - 1;
  store_relaxed(sq_word(layout_.sq_off.ring_mask), sq_mask_);
  store_relaxed(sq_word(layout_.sq_off.ring_entries), layout_.sq_entries);
  store_relaxed(cq_word(layout_.cq_off.ring_mask), cq_mask_);
  store_relaxed(cq_word(layout_.cq_off.ring_entries), layout_.cq_entries);
  const uint32_t sq_n = static_cast<uint32_t>(s.sqes.size() / layout_.sqe_size);
  for (uint32_t i = 0; i < sq_n; ++i) {
    const uint32_t slot = (s.sq_head + i) & sq_mask_;
    std::memcpy(memory_.sqes + size_t{slot} * layout_.sqe_size, s.sqes.data() + size_t{i} * layout_.sqe_size,
                layout_.sqe_size);
  }
  const uint32_t cq_n = static_cast<uint32_t>(s.cqes.size() / layout_.cqe_size);
  for (uint32_t i = 0; i < cq_n; ++i) {
    const uint32_t slot = (s.cq_head + i) & cq_mask_;
    std::memcpy(memory_.cq_ring + layout_.cq_off.cqes + size_t{slot} * layout_.cqe_size,
                s.cqes.data() + size_t{i} * layout_.cqe_size, layout_.cqe_size);
  }
  // The SQ index array is not carried over (Linux copies SQEs by position only).
  store_relaxed(sq_word(layout_.sq_off.head), s.sq_head);
  store_relaxed(sq_word(layout_.sq_off.tail), s.sq_tail);
  store_relaxed(cq_word(layout_.cq_off.head), s.cq_head);
  store_relaxed(cq_word(layout_.cq_off.tail), s.cq_tail);
  store_relaxed(sq_word(layout_.sq_off.dropped), s.dropped);
  store_relaxed(sq_word(layout_.sq_off.flags), s.sq_flags);
  if (layout_.cq_off.flags != 0) store_relaxed(cq_word(layout_.cq_off.flags), s.cq_flags);
  store_relaxed(cq_word(layout_.cq_off.overflow), s.cq_overflow);
}

}  // namespace uringsim
