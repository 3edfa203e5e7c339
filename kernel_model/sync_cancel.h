// IORING_REGISTER_SYNC_CANCEL (io_uring/cancel.c, io_sync_cancel): ASYNC_CANCEL as a
// register call. The model has no request "running" in a worker (Linux's -EALREADY
// case, where the call waits up to io_uring_sync_cancel_reg.timeout): every parked
// request is cancelled at once, so the call never waits.
#pragma once

#include <cstdint>

namespace uringsim {

class Context;

// `arg` is an io_uring_sync_cancel_reg; nr_args must be 1 and arg non-NULL (-EINVAL).
// -EFAULT; unknown flags or non-zero padding -> -EINVAL; CANCEL_FD with a closed fd, or
// CANCEL_FD_FIXED with an empty slot -> -EBADF. Returns 0 / -ENOENT for one request,
// the number cancelled with CANCEL_ALL / CANCEL_ANY. Cancelled requests post -ECANCELED.
int64_t register_sync_cancel(Context& ctx, uint64_t arg, uint32_t nr_args);

}  // namespace uringsim
