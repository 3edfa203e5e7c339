// POLL_ADD (one-shot and IORING_POLL_ADD_MULTI) and POLL_REMOVE / poll update on the
// client's real files (io_uring/poll.c). A one-shot poll completes when File::poll
// says ready (the host waits on the files, Kernel::for_each_wanted_fd, and calls
// Kernel::progress). A multishot poll is edge-triggered, as on Linux: it posts per
// wakeup of the file's wait queue (File::note_wakeup, reported by the host), wakeups
// before its task work runs coalescing into one CQE -- see io_poll_post_wakeups.
#pragma once
#include <cstdint>
namespace uringsim {
class Context;
struct Request;
int io_poll_add_prep(Context& ctx, Request& req);
int32_t io_poll_add(Context& ctx, Request& req);
int io_poll_remove_prep(Context& ctx, Request& req);
int32_t io_poll_remove(Context& ctx, Request& req);

// Whether `req` is a parked multishot POLL_ADD: it is driven by wakeups
// (io_poll_post_wakeups), not retried on readiness like other parked requests.
bool io_poll_counts_wakeups(const Request& req);
// io_poll_wake + io_poll_check_events for a parked multishot POLL_ADD: takes in the
// wakeups of its file since the last look and posts what Linux's task work posts.
// `task_work_runs`: whether Linux would run the ring's task work now -- always on a
// plain ring (the waker's return to user space runs it, one CQE per wakeup), only
// inside a wait on a DEFER_TASKRUN ring (every wakeup since the last wait -> one CQE,
// its mask read again with poll(); none if the file is no longer ready).
void io_poll_post_wakeups(Context& ctx, Request& req, bool task_work_runs);
}  // namespace uringsim
