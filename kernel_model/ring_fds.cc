// Registered ring fds: the per-task table of 16 rings (io_uring/tctx.c).
#include "kernel_model/ring_fds.h"

#include <cerrno>

#include "kernel_model/context.h"
#include "kernel_model/kernel.h"

namespace uringsim {

namespace {

constexpr uint32_t kAnySlot = ~0u;

}  // namespace

int64_t register_ring_fds(Context& ctx, uint64_t arg, uint32_t nr) {
  if (nr == 0 || nr > kRingFdRegMax) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_RING_FDS: nr_args %u is not in [1, %u] -> EINVAL", nr, kRingFdRegMax));
  }
  TaskContext& task = ctx.kernel().add_task_context(task_id(ctx.caller().creds));
  // Entries are processed one by one; the first failure ends the call, and the result
  // is the count done so far if any, else that failure.
  uint32_t done = 0;
  Check err;
  for (; done < nr; ++done) {
    const uint64_t at = arg + uint64_t{done} * sizeof(io_uring_rsrc_update);
    io_uring_rsrc_update reg;
    if (!ctx.memory().read(at, &reg, sizeof reg)) {
      err = make_fault(EFAULT, "REGISTER_RING_FDS: cannot read entry %u at 0x%llx -> EFAULT", done,
                       (unsigned long long)at);
      break;
    }
    if (reg.resv != 0) {
      err = make_fault(EINVAL, "REGISTER_RING_FDS: entry %u has resv 0x%x; it must be 0 -> EINVAL", done, reg.resv);
      break;
    }
    uint32_t start = 0, end = kRingFdRegMax;
    if (reg.offset != kAnySlot) {
      if (reg.offset >= kRingFdRegMax) {
        err = make_fault(EINVAL, "REGISTER_RING_FDS: entry %u asks for slot %u; slots are 0..%u (or -1 for any) -> EINVAL",
                         done, reg.offset, kRingFdRegMax - 1);
        break;
      }
      start = reg.offset;
      end = start + 1;
    }
    const int fd = static_cast<int>(reg.data);
    std::shared_ptr<File> file = ctx.files().get(fd);
    if (!file) {
      err = make_fault(EBADF, "REGISTER_RING_FDS: entry %u: fd %d is not open -> EBADF", done, fd);
      break;
    }
    if (file->kind() != FileKind::kRing || ctx.kernel().context(file->ring()) == nullptr) {
      err = make_fault(EOPNOTSUPP, "REGISTER_RING_FDS: entry %u: fd %d is not an io_uring ring -> EOPNOTSUPP", done, fd);
      break;
    }
    uint32_t slot = start;
    while (slot < end && task.registered_rings[slot]) ++slot;
    if (slot == end) {
      err = reg.offset == kAnySlot
                ? make_fault(EBUSY, "REGISTER_RING_FDS: entry %u: all %u registered-ring slots of this task are taken -> EBUSY",
                             done, kRingFdRegMax)
                : make_fault(EBUSY, "REGISTER_RING_FDS: entry %u: slot %u is already taken -> EBUSY", done, start);
      break;
    }
    task.registered_rings[slot] = std::move(file);
    reg.offset = slot;
    if (!ctx.memory().write(at, &reg, sizeof reg)) {
      task.registered_rings[slot].reset();
      err = make_fault(EFAULT, "REGISTER_RING_FDS: cannot write the chosen slot back to entry %u at 0x%llx -> EFAULT",
                       done, (unsigned long long)at);
      break;
    }
  }
  if (done > 0) return done;
  return ctx.reject(std::move(*err));
}

int64_t unregister_ring_fds(Context& ctx, uint64_t arg, uint32_t nr) {
  if (nr == 0 || nr > kRingFdRegMax) {
    return ctx.reject(make_fault(EINVAL, "UNREGISTER_RING_FDS: nr_args %u is not in [1, %u] -> EINVAL", nr, kRingFdRegMax));
  }
  // A task that never used io_uring has nothing to unregister: 0, whatever the array says.
  TaskContext* task = ctx.kernel().task_context(task_id(ctx.caller().creds));
  if (task == nullptr) return 0;
  uint32_t done = 0;
  Check err;
  for (; done < nr; ++done) {
    const uint64_t at = arg + uint64_t{done} * sizeof(io_uring_rsrc_update);
    io_uring_rsrc_update reg;
    if (!ctx.memory().read(at, &reg, sizeof reg)) {
      err = make_fault(EFAULT, "UNREGISTER_RING_FDS: cannot read entry %u at 0x%llx -> EFAULT", done,
                       (unsigned long long)at);
      break;
    }
    if (reg.resv != 0 || reg.data != 0 || reg.offset >= kRingFdRegMax) {
      err = make_fault(EINVAL, "UNREGISTER_RING_FDS: entry %u is {offset %u, resv %u, data %llu}; it needs a slot < %u "
                       "and resv = data = 0 -> EINVAL",
                       done, reg.offset, reg.resv, (unsigned long long)reg.data, kRingFdRegMax);
      break;
    }
    task->registered_rings[reg.offset].reset();  // an empty slot is not an error
  }
  if (done > 0) return done;
  return ctx.reject(std::move(*err));
}

}  // namespace uringsim
