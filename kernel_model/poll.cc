#include "kernel_model/poll.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>

#include "kernel_model/context.h"
#include "kernel_model/opdef.h"

namespace uringsim {

namespace {

// What a poll always reports besides what was asked (IO_POLL_UNMASK).
constexpr uint32_t kUnmask = POLLERR | POLLHUP | POLLNVAL | POLLRDHUP;

// Regular files and directories have no poll method: vfs_poll answers
// DEFAULT_POLLMASK and queues no wait entry (pipes, sockets, eventfds, ttys do).
bool has_wait_queue(const File& file) {
  return file.kind() != FileKind::kRegular && file.kind() != FileKind::kDirectory;
}

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
  File& file = *req.file;
  const uint32_t ready = file.poll(req.poll_events) & req.poll_events;
  const bool multishot = req.op_flags & IORING_POLL_ADD_MULTI;
  if (!has_wait_queue(file)) {
    // __io_arm_poll_handler: vfs_poll queued no wait entry, so nothing could ever wake
    // the poll. Ready (always, for IN/OUT) completes at once -- one CQE without
    // IORING_CQE_F_MORE even for a multishot poll; not ready is -EINVAL.
    if (ready != 0) return static_cast<int32_t>(ready);
    return req.fail(make_fault(EINVAL, "POLL_ADD: the file has no wait queue (a %s) and is not ready for 0x%x",
                               file.kind() == FileKind::kDirectory ? "directory" : "regular file",
                               req.poll_events & ~kUnmask));
  }
  if (!multishot) {
    if (ready != 0) return static_cast<int32_t>(ready);
    req.poll_edge = false;
    ctx.arm_poll(req, req.poll_events);
    return kIssueParked;
  }
  // Multishot: edge-triggered on 6.18 (io_poll_parse_events adds EPOLLET; POLL_ADD
  // refuses IORING_POLL_ADD_LEVEL). Wakeups from now on count; earlier ones are gone
  // (a re-arm by a poll update starts afresh too, as io_poll_disarm drops its refs).
  file.want_wakeups(req.poll_events);
  req.poll_wakeups_seen = file.wakeups();
  req.poll_wakeups_pending = 0;
  req.poll_pending_mask = 0;
  req.poll_edge = ready != 0;  // for the level stand-in (no wakeups reported)
  if (ready != 0) {
    // Ready at arm: __io_poll_execute queues the poll's task work with the mask. A
    // plain ring runs it before the submitting syscall returns; a DEFER_TASKRUN ring
    // at its next wait, where later wakeups coalesce with it.
    if (ctx.setup_flags() & IORING_SETUP_DEFER_TASKRUN) {
      req.poll_wakeups_pending = 1;
      req.poll_pending_mask = ready;
    } else {
      ctx.post_more(req, static_cast<int32_t>(ready));
    }
  }
  ctx.arm_poll(req, req.poll_events);
  return kIssueParked;
}

bool io_poll_counts_wakeups(const Request& req) {
  return req.opcode == IORING_OP_POLL_ADD && (req.op_flags & IORING_POLL_ADD_MULTI) && req.file &&
         has_wait_queue(*req.file);
}

void io_poll_post_wakeups(Context& ctx, Request& req, bool task_work_runs) {
  File& file = *req.file;
  const uint32_t events = req.poll_events;
  // The wakeups since the last look, and the mask the waker passed (0: unknown).
  uint64_t fresh = 0;
  uint32_t mask = 0;
  if (file.wakeups_reported()) {
    fresh = file.wakeups() - req.poll_wakeups_seen;
    req.poll_wakeups_seen = file.wakeups();
    mask = file.last_wakeup_mask();
    // io_poll_wake: a wakeup whose mask names none of the events is not ours
    // (EPOLLPRI does not count, IO_ASYNC_POLL_COMMON). Known only for a single one.
    if (fresh == 1 && mask != 0 && (mask & events & ~static_cast<uint32_t>(POLLPRI)) == 0) fresh = 0;
  } else {
    // Nobody reports wakeups of this file: each not-ready -> ready change stands for
    // one (a write to an already readable file is then not seen).
    const uint32_t ready = file.poll(events) & events;
    if (ready == 0) {
      req.poll_edge = false;
    } else if (!req.poll_edge) {
      req.poll_edge = true;
      fresh = 1;
      mask = ready;
    }
  }
  if (!(ctx.setup_flags() & IORING_SETUP_DEFER_TASKRUN)) {
    // Task work runs as each waker returns to user space: a CQE per wakeup, with the
    // waker's mask (io_poll_check_events reads poll() only when there was none).
    for (uint64_t i = 0; i < fresh; ++i) {
      const uint32_t res = mask != 0 ? mask & events : file.poll(events) & events;
      if (res != 0) ctx.post_more(req, static_cast<int32_t>(res));
    }
    return;
  }
  if (fresh != 0) {
    // io_poll_wake: the first wakeup owns the request and queues its task work with
    // its mask; later ones only bump poll_refs, so the mask is read again at the run.
    req.poll_pending_mask = req.poll_wakeups_pending == 0 && fresh == 1 ? mask : 0;
    req.poll_wakeups_pending += static_cast<uint32_t>(std::min<uint64_t>(fresh, UINT32_MAX - req.poll_wakeups_pending));
  }
  if (!task_work_runs || req.poll_wakeups_pending == 0) return;
  const uint32_t res = req.poll_pending_mask != 0 ? req.poll_pending_mask & events : file.poll(events) & events;
  req.poll_wakeups_pending = 0;
  req.poll_pending_mask = 0;
  // Nothing ready any more (the data was read meanwhile): no CQE, the poll stays armed.
  if (res != 0) ctx.post_more(req, static_cast<int32_t>(res));
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
