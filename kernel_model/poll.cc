#include "kernel_model/poll.h"

#include <poll.h>

#include <cerrno>

#include "kernel_model/context.h"
#include "kernel_model/opdef.h"

namespace uringsim {

namespace {

// What a poll always reports besides what was asked (IO_POLL_UNMASK).
constexpr uint32_t kUnmask = POLLERR | POLLHUP | POLLNVAL | POLLRDHUP;

}  // namespace

int io_poll_add_prep(Context& ctx, Request& req) {
  (void)ctx;
  const io_uring_sqe& sqe = req.sqe;
  if (sqe.buf_index != 0 || sqe.off != 0 || sqe.addr != 0)
    return req.fail(make_fault(EINVAL, "POLL_ADD: addr, off and buf_index must be 0"));
  const uint32_t flags = sqe.len;
  if (flags & ~IORING_POLL_ADD_MULTI)
    return req.fail(make_fault(EINVAL, "POLL_ADD: len (poll flags) 0x%x has bits other than IORING_POLL_ADD_MULTI", flags));
  if ((flags & IORING_POLL_ADD_MULTI) && (req.flags & IOSQE_CQE_SKIP_SUCCESS))
    return req.fail(make_fault(EINVAL, "POLL_ADD: a multishot poll cannot skip its CQEs (IOSQE_CQE_SKIP_SUCCESS)"));
  req.op_flags = flags;
  req.poll_events = sqe.poll32_events | kUnmask;
  return 0;
}

int32_t io_poll_add(Context& ctx, Request& req) {
  const uint32_t ready = req.file->poll(req.poll_events) & req.poll_events;
  const bool multishot = req.op_flags & IORING_POLL_ADD_MULTI;
  if (ready == 0) {
    req.poll_edge = false;
    ctx.arm_poll(req, req.poll_events);
    return kIssueParked;
  }
  if (!multishot) return static_cast<int32_t>(ready);
  // Multishot polls are edge-triggered on 6.18 (io_poll_parse_events adds EPOLLET;
  // IORING_POLL_ADD_LEVEL is refused above): one CQE per wakeup that task work sees,
  // wakeups before it runs coalescing into one (a DEFER_TASKRUN ring: every write
  // between two waits gives a single CQE -- tests/differential/poll_multishot_test.cc).
  // The model sees levels, not wakeups: it posts when the file becomes ready and again
  // only after it was seen not ready in between. Where Linux differs: a write to a file
  // that is already ready is a new wakeup (another CQE) there, none here; and on rings
  // without DEFER_TASKRUN each write's return to user space runs task work, so two
  // writes give two CQEs there, one here.
  if (!req.poll_edge) {
    req.poll_edge = true;
    ctx.post_more(req, static_cast<int32_t>(ready));
  }
  ctx.arm_poll(req, req.poll_events);
  return kIssueParked;
}

int io_poll_remove_prep(Context& ctx, Request& req) {
  (void)ctx;
  const io_uring_sqe& sqe = req.sqe;
  if (sqe.buf_index != 0 || sqe.splice_fd_in != 0)
    return req.fail(make_fault(EINVAL, "POLL_REMOVE: buf_index and splice_fd_in must be 0"));
  const uint32_t flags = sqe.len;
  constexpr uint32_t kValid = IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA | IORING_POLL_ADD_MULTI;
  if (flags & ~kValid)
    return req.fail(make_fault(EINVAL, "POLL_REMOVE: len (update flags) 0x%x has unknown bits", flags));
  if (flags == IORING_POLL_ADD_MULTI)
    return req.fail(make_fault(EINVAL, "POLL_REMOVE: IORING_POLL_ADD_MULTI alone means nothing without an update flag"));
  req.addr = sqe.addr;  // user_data of the poll to find
  req.op_flags = flags;
  if (!(flags & IORING_POLL_UPDATE_USER_DATA) && sqe.off != 0)
    return req.fail(make_fault(EINVAL, "POLL_REMOVE: off (new user_data) set without IORING_POLL_UPDATE_USER_DATA"));
  if (!(flags & IORING_POLL_UPDATE_EVENTS) && sqe.poll32_events != 0)
    return req.fail(make_fault(EINVAL, "POLL_REMOVE: poll32_events set without IORING_POLL_UPDATE_EVENTS"));
  return 0;
}

int32_t io_poll_remove(Context& ctx, Request& req) {
  Request* found = nullptr;
  ctx.for_each_parked([&](Request& r) {
    if (found == nullptr && r.opcode == IORING_OP_POLL_ADD && r.user_data == req.addr) found = &r;
  });
  if (found == nullptr)
    return req.fail(make_fault(ENOENT, "POLL_REMOVE: no pending POLL_ADD with user_data 0x%llx",
                               (unsigned long long)req.addr));
  const uint32_t flags = req.op_flags;
  if (flags & (IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA)) {
    ctx.disarm(*found);
    if (flags & IORING_POLL_UPDATE_EVENTS) {
      found->poll_events = req.sqe.poll32_events | kUnmask;
      found->op_flags = (found->op_flags & ~IORING_POLL_ADD_MULTI) | (flags & IORING_POLL_ADD_MULTI);
    }
    if (flags & IORING_POLL_UPDATE_USER_DATA) found->user_data = req.sqe.off;
    found->poll_edge = false;
    // Re-armed: it may complete right away if the file is ready.
    const int32_t res = io_poll_add(ctx, *found);
    if (res != kIssueParked) {
      found->res = res;
      ctx.complete_parked(*found);
    }
    return 0;
  }
  ctx.cancel_parked(*found, "removed by POLL_REMOVE");
  return 0;
}

}  // namespace uringsim
