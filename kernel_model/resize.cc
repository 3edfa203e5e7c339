#include "kernel_model/resize.h"

#include <cerrno>

#include "kernel_model/context.h"
#include "kernel_model/kernel.h"
#include "kernel_model/memmap.h"

namespace uringsim {

namespace {

// What the caller may ask for, and what the new rings always inherit from the old.
constexpr uint32_t kResizeFlags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
constexpr uint32_t kCopyFlags = IORING_SETUP_NO_SQARRAY | IORING_SETUP_SQE128 | IORING_SETUP_CQE32 |
                                IORING_SETUP_NO_MMAP | IORING_SETUP_CQE_MIXED;

}  // namespace

int64_t register_resize_rings(Context& ctx, uint64_t arg) {
  const uint32_t ring_flags = ctx.setup_flags();
  if (!(ring_flags & IORING_SETUP_DEFER_TASKRUN)) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_RESIZE_RINGS: Linux resizes only IORING_SETUP_DEFER_TASKRUN rings "
                                "-> EINVAL"));
  }
  io_uring_params p;
  if (!ctx.memory().read(arg, &p, sizeof p)) {
    return ctx.reject(make_fault(EFAULT, "REGISTER_RESIZE_RINGS: params 0x%llx is not readable -> EFAULT",
                                (unsigned long long)arg));
  }
  if (p.flags & ~kResizeFlags) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_RESIZE_RINGS: flags 0x%x; only CQSIZE and CLAMP may be given -> EINVAL",
                                p.flags));
  }
  p.flags |= ring_flags & kCopyFlags;
  RingEntries sizes;
  if (Check c = size_ring_entries(ctx.profile(), "REGISTER_RESIZE_RINGS", p.sq_entries, p.cq_entries, p.flags, &sizes))
    return ctx.reject(std::move(*c));
  p.sq_entries = sizes.sq;
  p.cq_entries = sizes.cq;

  Ring& ring = ctx.ring();
  const RingLayout old_layout = ring.layout();
  const RingMemory old_memory = ring.memory();
  const RingLayout layout = RingLayout::compute(ctx.profile(), p.sq_entries, p.cq_entries, ring_flags);

  // io_create_region charges the new regions to the creator before the old ones go.
  Kernel& kernel = ctx.kernel();
  const Credentials& creator = ctx.creator();
  uint64_t acct_pages = 0;
  if (ctx.profile().charges_ring_memory && ctx.charges_memlock()) {
    acct_pages = layout.pages();
    if (Check c = ctx.accounting().charge_locked(creator.uid, acct_pages, ctx.caller().creds.memlock_limit,
                                                 "REGISTER_RESIZE_RINGS (new ring memory)")) {
      return ctx.reject(std::move(*c));
    }
  }
  auto undo_charge = [&] { ctx.accounting().uncharge_locked(creator.uid, acct_pages); };

  const bool user_memory = ring_flags & IORING_SETUP_NO_MMAP;
  RingMemory memory;
  if (user_memory) {
    if (Check c = adopt_user_rings(kernel.ring_memory(), ctx.memory(), ctx.caller().creds, ctx.id(), layout,
                                   p.cq_off.user_addr, p.sq_off.user_addr, "REGISTER_RESIZE_RINGS (NO_MMAP)", memory)) {
      undo_charge();
      return ctx.reject(std::move(*c));
    }
  }
  auto undo_adopt = [&] {
    if (user_memory) kernel.ring_memory().release_user(ctx.id(), memory, layout);
  };

  // The params go back with the new sizes and offsets (io_uring_fill_params), before
  // anything is swapped. sq_off.array is not filled in by a resize: it keeps what the
  // caller passed. user_addr survives only for NO_MMAP rings.
  const uint32_t caller_array = p.sq_off.array;
  const uint64_t sq_user = user_memory ? p.sq_off.user_addr : 0;
  const uint64_t cq_user = user_memory ? p.cq_off.user_addr : 0;
  p.sq_off = layout.sq_off;
  p.cq_off = layout.cq_off;
  p.sq_off.array = caller_array;
  p.sq_off.resv1 = 0;
  p.cq_off.resv1 = 0;
  p.sq_off.user_addr = sq_user;
  p.cq_off.user_addr = cq_user;
  if (!ctx.memory().write(arg, &p, sizeof p)) {
    undo_adopt();
    undo_charge();
    return ctx.reject(make_fault(EFAULT, "REGISTER_RESIZE_RINGS: params 0x%llx is not writable -> EFAULT",
                                (unsigned long long)arg));
  }

  // Everything between head and tail must fit, or the old rings stay.
  if (ring.sq_pending() > layout.sq_entries || ring.cq_pending() > layout.cq_entries) {
    const bool sq = ring.sq_pending() > layout.sq_entries;
    Fault f = make_fault(EOVERFLOW, "REGISTER_RESIZE_RINGS: %u pending %s do not fit %u new entries -> EOVERFLOW",
                         sq ? ring.sq_pending() : ring.cq_pending(), sq ? "SQEs" : "CQEs",
                         sq ? layout.sq_entries : layout.cq_entries);
    undo_adopt();
    undo_charge();
    return ctx.reject(std::move(f));
  }

  const RingSnapshot kept = ring.snapshot();
  if (user_memory) {
    kernel.ring_memory().release_user(ctx.id(), old_memory, old_layout);
  } else if (!kernel.ring_memory().reallocate(ctx.id(), old_layout, old_memory, layout, memory)) {
    undo_charge();
    return ctx.reject(make_fault(ENOMEM, "REGISTER_RESIZE_RINGS: could not allocate %zu bytes of ring memory -> ENOMEM",
                                layout.sq_ring_bytes + layout.sqes_bytes));
  }
  ring.move_to(layout, memory, kept);
  // 6.18.y then raises TASKRUN and NEED_WAKEUP in the new rings, so that a client
  // that cached the old flags word enters once more and sees the new rings (checked on
  // 6.18.44: sq_flags reads 0x5 after a resize, whatever the ring's setup flags).
  ring.set_sq_flag(IORING_SQ_TASKRUN | IORING_SQ_NEED_WAKEUP);
  ctx.accounting().uncharge_locked(creator.uid, ctx.ring_acct_pages);
  ctx.ring_acct_pages = acct_pages;
  return 0;
}

}  // namespace uringsim
