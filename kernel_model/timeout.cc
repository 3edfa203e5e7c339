#include "kernel_model/timeout.h"

#include <bit>
#include <cerrno>

#include "kernel_model/context.h"
#include "kernel_model/kernel.h"
#include "kernel_model/opdef.h"

namespace uringsim {

namespace {

constexpr uint32_t kClockMask = IORING_TIMEOUT_BOOTTIME | IORING_TIMEOUT_REALTIME;
constexpr uint32_t kTimeoutFlags = IORING_TIMEOUT_ABS | kClockMask | IORING_TIMEOUT_ETIME_SUCCESS |
                                   IORING_TIMEOUT_MULTISHOT;
constexpr uint32_t kUpdateMask = IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE;

struct Timespec {
  int64_t tv_sec;
  int64_t tv_nsec;
};

// get_timespec64 + the sign check every timeout prep does.
Check read_timespec(Context& ctx, const char* name, uint64_t addr, uint64_t* ns) {
  Timespec ts;
  if (!ctx.memory().read(addr, &ts, sizeof ts))
    return make_fault(EFAULT, "%s: timespec at 0x%llx is not readable", name, (unsigned long long)addr);
  if (ts.tv_sec < 0 || ts.tv_nsec < 0)
    return make_fault(EINVAL, "%s: timespec {%lld, %lld} is negative", name, (long long)ts.tv_sec,
                      (long long)ts.tv_nsec);
  *ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
  return std::nullopt;
}

// When a timer armed now with `ns` and timeout `flags` expires, on the model clock.
uint64_t deadline_for(Context& ctx, uint64_t ns, uint32_t flags) {
  if (!(flags & IORING_TIMEOUT_ABS)) return ctx.now_ns() + ns;
  int64_t offset = 0;
  if (flags & IORING_TIMEOUT_REALTIME) offset = ctx.kernel().realtime_offset_ns();
  if (flags & IORING_TIMEOUT_BOOTTIME) offset = ctx.kernel().boottime_offset_ns();
  const int64_t mono = static_cast<int64_t>(ns) - offset;
  return mono < 0 ? 0 : static_cast<uint64_t>(mono);
}

// __io_timeout_prep: shared by TIMEOUT and LINK_TIMEOUT.
int timeout_prep(Context& ctx, Request& req, bool is_link) {
  const io_uring_sqe& sqe = req.sqe;
  const char* name = is_link ? "LINK_TIMEOUT" : "TIMEOUT";
  if (sqe.buf_index != 0 || sqe.len != 1 || sqe.splice_fd_in != 0)
    return req.fail(make_fault(EINVAL, "%s: len must be 1 (one timespec) and buf_index/splice_fd_in 0 (len %u)",
                               name, sqe.len));
  if (sqe.off != 0 && is_link)
    return req.fail(make_fault(EINVAL, "LINK_TIMEOUT: off (a completion count) must be 0"));
  const uint32_t flags = sqe.timeout_flags;
  if (flags & ~kTimeoutFlags)
    return req.fail(make_fault(EINVAL, "%s: timeout_flags 0x%x has unknown bits", name, flags));
  if (std::popcount(flags & kClockMask) > 1)
    return req.fail(make_fault(EINVAL, "%s: more than one clock in timeout_flags 0x%x", name, flags));
  if ((flags & IORING_TIMEOUT_MULTISHOT) && (flags & IORING_TIMEOUT_ABS))
    return req.fail(make_fault(EINVAL, "%s: MULTISHOT needs a relative time, not ABS", name));
  req.op_flags = flags;
  req.off = static_cast<int64_t>(sqe.off);
  req.repeats = ((flags & IORING_TIMEOUT_MULTISHOT) && sqe.off > 0) ? static_cast<uint32_t>(sqe.off) : 0;
  uint64_t ns = 0;
  if (Check c = read_timespec(ctx, name, sqe.addr, &ns)) return req.fail(std::move(*c));
  req.period_ns = ns;
  if (is_link) {
    const int32_t last = ctx.link_last();
    if (last < 0) return req.fail(make_fault(EINVAL, "LINK_TIMEOUT: must follow a request with IOSQE_IO_LINK"));
    if (ctx.request(last).opcode == IORING_OP_LINK_TIMEOUT)
      return req.fail(make_fault(EINVAL, "LINK_TIMEOUT: cannot follow another LINK_TIMEOUT"));
  }
  return 0;
}

}  // namespace

int io_timeout_prep(Context& ctx, Request& req) { return timeout_prep(ctx, req, false); }
int io_link_timeout_prep(Context& ctx, Request& req) { return timeout_prep(ctx, req, true); }

int32_t io_timeout(Context& ctx, Request& req) {
  const uint32_t flags = req.op_flags;
  // A count of 0 (or a multishot timeout) is a pure timer; otherwise it also
  // completes once `off` other CQEs have been posted.
  const bool noseq = req.off == 0 || (flags & IORING_TIMEOUT_MULTISHOT);
  const uint64_t deadline = deadline_for(ctx, req.period_ns, flags);
  if (deadline <= ctx.now_ns() && !(flags & (IORING_TIMEOUT_MULTISHOT | IORING_TIMEOUT_ETIME_SUCCESS))) {
    // hrtimer_start() with a time already reached (a zero timespec, or an ABS time in
    // the past): the timer interrupt comes at once, while the rest of the batch is
    // still being submitted, so it beats the completion count -- which Linux checks
    // only when the batch's completions are flushed. io_timeout_fn counts the timeout
    // as fired (cq_timeouts) and posts -ETIME from task work.
    ctx.count_fired_timeout();
    req.complete_in_task_work = true;
    return req.fail(make_fault(ETIME, "TIMEOUT: the time (%llu ns%s) had already passed when it was armed",
                               (unsigned long long)req.period_ns, (flags & IORING_TIMEOUT_ABS) ? ", absolute" : ""));
  }
  if (!noseq) ctx.arm_sequence(req, ctx.sequence_now() + static_cast<uint32_t>(req.off));
  ctx.arm_timer(req, deadline);
  return kIssueParked;
}

int32_t io_link_timeout(Context& ctx, Request& req) {
  // Reached only when its guarded request was not started through issue_request
  // (e.g. the chain was cancelled); nothing left to guard.
  (void)ctx;
  return req.fail(make_fault(ECANCELED, "LINK_TIMEOUT: the request it guarded is gone"));
}

void arm_link_timeout(Context& ctx, Request& lt) {
  ctx.arm_timer(lt, deadline_for(ctx, lt.period_ns, lt.op_flags));
}

void timer_fired(Context& ctx, Request& req) {
  if (req.opcode == IORING_OP_LINK_TIMEOUT) {
    // The guarded request ran too long: the timeout completes -ETIME, then the
    // request is cancelled; what was linked after the timeout fails.
    req.fail(make_fault(ETIME, "LINK_TIMEOUT: expired before the request it guards completed"));
    const int32_t guarded = req.guarded;
    ctx.complete_parked(req);
    if (guarded >= 0) {
      Request& g = ctx.request(guarded);
      g.link_timeout = -1;
      g.link_next = -1;
      if (g.park != Request::Park::kNone) ctx.cancel_parked(g, "cancelled by its LINK_TIMEOUT");
    }
    return;
  }
  ctx.disarm(req);  // a count timeout is also in the sequence list
  ctx.count_fired_timeout();
  const bool success = req.op_flags & IORING_TIMEOUT_ETIME_SUCCESS;
  if ((req.op_flags & IORING_TIMEOUT_MULTISHOT) && (req.repeats == 0 || --req.repeats > 0)) {
    ctx.post_more(req, -ETIME);
    ctx.arm_timer(req, ctx.now_ns() + req.period_ns);
    return;
  }
  if (success) {
    req.res = -ETIME;
    req.fault = make_fault(ETIME, "TIMEOUT: expired (IORING_TIMEOUT_ETIME_SUCCESS: not a failure)");
  } else {
    req.fail(make_fault(ETIME, "TIMEOUT: expired after %llu ns", (unsigned long long)req.period_ns));
  }
  ctx.complete_parked(req);
}

int io_timeout_remove_prep(Context& ctx, Request& req) {
  (void)ctx;
  const io_uring_sqe& sqe = req.sqe;
  if (sqe.buf_index != 0 || sqe.len != 0 || sqe.splice_fd_in != 0)
    return req.fail(make_fault(EINVAL, "TIMEOUT_REMOVE: len, buf_index and splice_fd_in must be 0"));
  const uint32_t flags = sqe.timeout_flags;
  req.addr = sqe.addr;  // user_data of the timeout to remove or update
  req.op_flags = flags;
  if (flags & kUpdateMask) {
    if (std::popcount(flags & kClockMask) > 1)
      return req.fail(make_fault(EINVAL, "TIMEOUT_REMOVE: more than one clock in timeout_flags 0x%x", flags));
    if (flags & ~(kUpdateMask | IORING_TIMEOUT_ABS | kClockMask))
      return req.fail(make_fault(EINVAL, "TIMEOUT_REMOVE (update): timeout_flags 0x%x has unknown bits", flags));
    uint64_t ns = 0;
    if (Check c = read_timespec(ctx, "TIMEOUT_REMOVE (update)", sqe.addr2, &ns)) return req.fail(std::move(*c));
    req.period_ns = ns;
  } else if (flags != 0) {
    return req.fail(make_fault(EINVAL, "TIMEOUT_REMOVE: timeout_flags 0x%x, but removal takes no flags", flags));
  }
  return 0;
}

int32_t io_timeout_remove(Context& ctx, Request& req) {
  const bool update = req.op_flags & kUpdateMask;
  const uint8_t want = (req.op_flags & IORING_LINK_TIMEOUT_UPDATE) ? IORING_OP_LINK_TIMEOUT : IORING_OP_TIMEOUT;
  Request* found = nullptr;
  ctx.for_each_parked([&](Request& r) {
    if (found == nullptr && r.opcode == want && r.user_data == req.addr && r.park == Request::Park::kTimer)
      found = &r;
  });
  if (found == nullptr) {
    return req.fail(make_fault(ENOENT, "TIMEOUT_REMOVE: no pending %s with user_data 0x%llx",
                               want == IORING_OP_TIMEOUT ? "TIMEOUT" : "LINK_TIMEOUT",
                               (unsigned long long)req.addr));
  }
  if (update) {
    ctx.disarm(*found);
    found->period_ns = req.period_ns;
    const uint32_t keep = found->op_flags & ~(IORING_TIMEOUT_ABS | kClockMask);
    found->op_flags = keep | (req.op_flags & (IORING_TIMEOUT_ABS | kClockMask));
    ctx.arm_timer(*found, deadline_for(ctx, req.period_ns, req.op_flags));
    return 0;
  }
  ctx.cancel_parked(*found, "removed by TIMEOUT_REMOVE");
  return 0;
}

}  // namespace uringsim
