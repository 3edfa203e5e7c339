// Registered ring fds (io_uring/tctx.c): IORING_REGISTER_RING_FDS,
// IORING_UNREGISTER_RING_FDS, and the lookups behind IORING_ENTER_REGISTERED_RING and
// IORING_REGISTER_USE_REGISTERED_RING.
//
// Linux keeps, per task (current->io_uring, the "tctx"), a table of 16 ring files the
// task can name by index instead of by fd. The model keeps it in the Kernel, keyed by
// the caller's tid (Credentials::tid, or pid when tid is 0). A task has a table once it
// has set up a ring, submitted SQEs or registered ring fds -- before that, enter and
// register by index fail with -EINVAL and UNREGISTER_RING_FDS quietly returns 0, as on
// Linux. A slot holds the ring's File (a reference, as Linux holds the struct file).
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "kernel_model/accounting.h"
#include "kernel_model/files.h"

namespace uringsim {

class Context;

inline constexpr uint32_t kRingFdRegMax = 16;  // IO_RINGFD_REG_MAX

// SINGLE_ISSUER's and the ring-fd table's notion of "task".
inline int32_t task_id(const Credentials& c) { return c.tid != 0 ? c.tid : c.pid; }

// What the model keeps of a task's io_uring_task.
struct TaskContext {
  std::array<std::shared_ptr<File>, kRingFdRegMax> registered_rings;
};

// IORING_REGISTER_RING_FDS: `arg` is a user array of `nr` io_uring_rsrc_update, each
// {offset: slot or -1 for "any free slot", data: ring fd}; the chosen slot is written
// back into offset. Returns how many entries were registered, or -errno if none was:
// nr 0 or > 16 -> -EINVAL; resv != 0 or offset >= 16 -> -EINVAL; -EFAULT; fd not open
// -> -EBADF; fd not a ring -> -EOPNOTSUPP; no free slot / slot taken -> -EBUSY.
int64_t register_ring_fds(Context& ctx, uint64_t arg, uint32_t nr);
// IORING_UNREGISTER_RING_FDS: entries {offset: slot, data: 0}. Returns the number
// processed (empty slots count), or -errno if none: nr 0 or > 16, resv/data != 0,
// offset >= 16 -> -EINVAL; -EFAULT. 0 when the task has no table at all.
int64_t unregister_ring_fds(Context& ctx, uint64_t arg, uint32_t nr);

}  // namespace uringsim
