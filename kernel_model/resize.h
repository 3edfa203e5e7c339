// IORING_REGISTER_RESIZE_RINGS (6.13; io_uring/register.c, io_register_resize_rings):
// new SQ/CQ sizes for a live ring. The pending SQEs and unreaped CQEs move to the new
// memory at the same absolute positions; the client maps the rings again (or, for a
// NO_MMAP ring, passes new user memory in the params).
#pragma once

#include <cstdint>

namespace uringsim {

class Context;

// REQUIRES: arg != 0 and nr_args == 1 (the dispatch checks that, -EINVAL otherwise).
// Fails with -EINVAL unless the ring uses DEFER_TASKRUN, -EFAULT for unreadable or
// unwritable params, -EINVAL for flags other than CQSIZE | CLAMP or bad sizes,
// -EOVERFLOW when the pending SQEs or CQEs do not fit the new rings, -ENOMEM when the
// memory (or RLIMIT_MEMLOCK) cannot cover them.
int64_t register_resize_rings(Context& ctx, uint64_t arg);

}  // namespace uringsim
