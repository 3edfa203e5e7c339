#include "sim/wait_policy.h"

#include <time.h>

#include <algorithm>
#include <cerrno>

namespace uringsim::sim {

namespace {

uint64_t clock_ns(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

uint64_t monotonic_ns() { return clock_ns(CLOCK_MONOTONIC); }

void sync_clock(Kernel& kernel) {
  const uint64_t mono = monotonic_ns();
  const int64_t real = static_cast<int64_t>(clock_ns(CLOCK_REALTIME) - mono);
  const int64_t boot = static_cast<int64_t>(clock_ns(CLOCK_BOOTTIME) - mono);
  kernel.set_clock_offsets(real, boot);
  kernel.set_now(mono);
}

bool wait_finished(Kernel& kernel, const Wait& w, bool watchable, int64_t* ret, Fault* why) {
  Context* ctx = kernel.context(w.ring);
  if (ctx == nullptr) {  // the ring went away under the waiter
    *ret = kernel.wait_done(w.ring, w.entered, 0);
    return true;
  }
  const uint64_t now = kernel.now_ns();
  if (ctx->wait_satisfied(w.entered.wait_nr)) {
    *ret = kernel.wait_done(w.ring, w.entered, 0);
    return true;
  }
  // min_wait_usec (6.12): once that much time passed, any CQE ends the wait.
  if (w.entered.min_wait_ns != 0 && now >= w.started_ns + w.entered.min_wait_ns &&
      ctx->ring().cq_ready() > 0) {
    *ret = kernel.wait_done(w.ring, w.entered, 0);
    return true;
  }
  if (now >= w.entered.deadline_ns) {
    *ret = kernel.wait_done(w.ring, w.entered, -ETIME);
    return true;
  }
  const bool can_arrive = kernel.inflight(w.ring) > 0 && watchable;
  if (can_arrive || w.entered.deadline_ns != UINT64_MAX) return false;
  *ret = kernel.wait_done(w.ring, w.entered, 0);
  *why = make_fault(0,
                    "io_uring_enter: waits for %u CQEs but %s and no timeout was given: "
                    "Linux would block forever (until a signal); uringsim returns %s instead "
                    "of hanging",
                    w.entered.wait_nr,
                    kernel.inflight(w.ring) == 0 ? "nothing is in flight"
                                                 : "no in-flight request can make progress",
                    describe_result(*ret).c_str());
  return true;
}

uint64_t wait_wake_at(Kernel& kernel, const Wait& w) {
  uint64_t at = std::min({w.entered.deadline_ns, kernel.next_deadline(w.ring), w.signal_check_ns});
  if (w.entered.min_wait_ns != 0) at = std::min(at, w.started_ns + w.entered.min_wait_ns);
  return at;
}

}  // namespace uringsim::sim
