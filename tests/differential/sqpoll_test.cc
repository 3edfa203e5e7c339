// IORING_SETUP_SQPOLL against Linux: what is deterministic there -- setup errnos for a
// bad SQ_AFF cpu and bad ATTACH_WQ fds, params (features, offsets), enter's return
// values on an SQPOLL ring, SQEs consumed with no submitting enter, the CQEs, and
// NEED_WAKEUP once the thread has been idle for sq_thread_idle. When the thread runs
// is not deterministic, so the scenarios wait for outcomes (bounded), never for times.
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>

#include "tests/differential/differential.h"

namespace uringsim::difftest {
namespace {

// Generous bound for a scenario's "eventually": far above any SQ thread latency.
constexpr auto kEventually = std::chrono::seconds(5);

int setup_sqpoll(RawRing& ring, uint32_t extra_flags = 0, uint32_t idle_ms = 10,
                 uint32_t cpu = 0, uint32_t wq_fd = 0) {
  io_uring_params p{};
  p.flags = IORING_SETUP_SQPOLL | extra_flags;
  p.sq_thread_idle = idle_ms;
  p.sq_thread_cpu = cpu;
  p.wq_fd = wq_fd;
  return ring.setup(8, p);
}

// Publishes the tail and, as liburing does, wakes the thread only if it sleeps.
void submit_like_liburing(RawRing& ring) {
  ring.publish();
  if (ring.sq_flags() & IORING_SQ_NEED_WAKEUP) ring.sys().enter(ring.fd(), 0, 0, IORING_ENTER_SQ_WAKEUP, nullptr, 0);
}

// Waits (bounded) until `done()`; returns whether it happened.
template <class F>
bool eventually(F done) {
  const auto until = std::chrono::steady_clock::now() + kEventually;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    sched_yield();
  }
  return true;
}

TEST(Sqpoll, SetupParamsMatch) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    io_uring_params p{};
    p.flags = IORING_SETUP_SQPOLL;
    p.sq_thread_idle = 10;
    t.call("setup", ring.setup(8, p) < 0 ? -1 : 0, sys);
    t.params("params", ring.params());
  });
}

TEST(Sqpoll, SetupErrnos) {
  REQUIRE_IO_URING();
  const long cpus = sysconf(_SC_NPROCESSORS_CONF);
  BothSides both = run_both([cpus](Syscalls& sys, Transcript& t) {
    int pipefd[2];
    ASSERT_EQ(pipe(pipefd), 0);
    {
      RawRing ring(sys);
      t.call("sq_aff_cpu_4096", setup_sqpoll(ring, IORING_SETUP_SQ_AFF, 10, 4096), sys);
    }
    {
      RawRing ring(sys);
      t.call("sq_aff_cpu_nr_cpus", setup_sqpoll(ring, IORING_SETUP_SQ_AFF, 10, static_cast<uint32_t>(cpus)), sys);
    }
    {
      RawRing ring(sys);
      t.call("sq_aff_cpu_0", setup_sqpoll(ring, IORING_SETUP_SQ_AFF, 10, 0) < 0 ? -1 : 0, sys);
    }
    {
      RawRing ring(sys);
      t.call("sq_aff_without_sqpoll", [&] {
        io_uring_params p{};
        p.flags = IORING_SETUP_SQ_AFF;
        return ring.setup(8, p);
      }(), sys);
    }
    {
      RawRing ring(sys);
      t.call("attach_bad_fd", setup_sqpoll(ring, IORING_SETUP_ATTACH_WQ, 10, 0, 0xffffffffu), sys);
    }
    {
      RawRing ring(sys);
      t.call("attach_pipe_fd", setup_sqpoll(ring, IORING_SETUP_ATTACH_WQ, 10, 0, static_cast<uint32_t>(pipefd[0])), sys);
    }
    {
      RawRing ring(sys);
      io_uring_params p{};
      p.flags = IORING_SETUP_ATTACH_WQ;
      p.wq_fd = 0xffffffffu;
      t.call("attach_wq_alone_bad_fd", ring.setup(8, p), sys);
      p.wq_fd = static_cast<uint32_t>(pipefd[0]);
      t.call("attach_wq_alone_pipe_fd", ring.setup(8, p), sys);
    }
    {
      RawRing plain(sys);
      io_uring_params p{};
      ASSERT_GE(plain.setup(8, p), 0);
      RawRing ring(sys);
      t.call("sqpoll_attach_to_ring_without_thread",
             setup_sqpoll(ring, IORING_SETUP_ATTACH_WQ, 10, 0, static_cast<uint32_t>(plain.fd())), sys);
      RawRing wq(sys);
      p.flags = IORING_SETUP_ATTACH_WQ;
      p.wq_fd = static_cast<uint32_t>(plain.fd());
      t.call("attach_wq_alone_to_ring", wq.setup(8, p) < 0 ? -1 : 0, sys);
    }
    {
      RawRing first(sys);
      ASSERT_GE(setup_sqpoll(first), 0);
      RawRing second(sys);
      t.call("sqpoll_attach_to_sqpoll_ring",
             setup_sqpoll(second, IORING_SETUP_ATTACH_WQ, 10, 0, static_cast<uint32_t>(first.fd())) < 0 ? -1 : 0, sys);
      t.params("attached_params", second.params());
    }
    {
      RawRing ring(sys);
      t.call("sqpoll_with_coop_taskrun", setup_sqpoll(ring, IORING_SETUP_COOP_TASKRUN), sys);
    }
    ::close(pipefd[0]);
    ::close(pipefd[1]);
  });
  // What 6.18 answers (spec A.1 step 8), pinned so both sides cannot drift together.
  EXPECT_EQ(both.linux.get("sq_aff_cpu_4096"), "-22 (EINVAL)");
  EXPECT_EQ(both.linux.get("sq_aff_cpu_nr_cpus"), "-22 (EINVAL)");
  EXPECT_EQ(both.linux.get("sq_aff_cpu_0"), "0");
  EXPECT_EQ(both.linux.get("sq_aff_without_sqpoll"), "-22 (EINVAL)");
  EXPECT_EQ(both.linux.get("attach_bad_fd"), "-6 (ENXIO)");
  EXPECT_EQ(both.linux.get("attach_pipe_fd"), "-22 (EINVAL)");
  EXPECT_EQ(both.linux.get("attach_wq_alone_bad_fd"), "-6 (ENXIO)");
  EXPECT_EQ(both.linux.get("attach_wq_alone_pipe_fd"), "-22 (EINVAL)");
  EXPECT_EQ(both.linux.get("sqpoll_attach_to_ring_without_thread"), "-22 (EINVAL)");
  EXPECT_EQ(both.linux.get("attach_wq_alone_to_ring"), "0");
  EXPECT_EQ(both.linux.get("sqpoll_attach_to_sqpoll_ring"), "0");
  EXPECT_EQ(both.linux.get("sqpoll_with_coop_taskrun"), "-22 (EINVAL)");
}

TEST(Sqpoll, EnterReturnsToSubmit) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup_sqpoll(ring), 0);
    t.call("empty_to_submit_77", ring.enter(77, 0, 0), sys);
    t.call("empty_to_submit_0", ring.enter(0, 0, 0), sys);
    t.call("sq_wakeup", ring.enter(0, 0, IORING_ENTER_SQ_WAKEUP), sys);
    t.call("sq_wait_with_room", ring.enter(3, 0, IORING_ENTER_SQ_WAIT), sys);
    // EXT_ARG with a bad size: the wait's -EINVAL is reported only when to_submit is 0.
    t.call("getevents_bad_ext_arg_to_submit_1",
           ring.enter(1, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, nullptr, 5), sys);
    t.call("getevents_bad_ext_arg_to_submit_0",
           ring.enter(0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, nullptr, 5), sys);
  });
  EXPECT_EQ(both.linux.get("empty_to_submit_77"), "77");
  EXPECT_EQ(both.linux.get("sq_wait_with_room"), "3");
  EXPECT_EQ(both.linux.get("getevents_bad_ext_arg_to_submit_1"), "1");
  EXPECT_EQ(both.linux.get("getevents_bad_ext_arg_to_submit_0"), "-22 (EINVAL)");
}

TEST(Sqpoll, SqesConsumedWithoutSubmittingEnter) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup_sqpoll(ring), 0);
    for (uint64_t i = 1; i <= 3; ++i) prep_nop(ring.next_sqe(), i);
    submit_like_liburing(ring);
    t.note("three_completed", eventually([&] { return ring.cq_tail() - ring.cq_head() == 3; }));
    t.note("sq_head", ring.sq_head());
    t.cqes("cqes", ring.reap());
    // A second batch, waited for with GETEVENTS: enter returns to_submit.
    for (uint64_t i = 10; i < 15; ++i) prep_nop(ring.next_sqe(), i);
    ring.publish();
    const uint32_t wake = (ring.sq_flags() & IORING_SQ_NEED_WAKEUP) ? IORING_ENTER_SQ_WAKEUP : 0;
    t.call("submit_and_wait_5", ring.sys().enter(ring.fd(), 5, 5, IORING_ENTER_GETEVENTS | wake, nullptr, 0), sys);
    t.note("sq_head_after_wait", ring.sq_head());
    t.cqes("cqes_after_wait", ring.reap());
  });
  EXPECT_EQ(both.linux.get("three_completed"), "1");
  EXPECT_EQ(both.linux.get("sq_head"), "3");
  EXPECT_EQ(both.linux.get("submit_and_wait_5"), "5");
  EXPECT_EQ(both.linux.get("sq_head_after_wait"), "8");
}

TEST(Sqpoll, NeedWakeupOnceIdleThenSqWakeupServes) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup_sqpoll(ring, 0, 5), 0);
    prep_nop(ring.next_sqe(), 7);
    submit_like_liburing(ring);
    t.note("completed", eventually([&] { return ring.cq_tail() - ring.cq_head() == 1; }));
    t.cqes("first", ring.reap());
    // Idle for sq_thread_idle (5 ms): the thread sleeps and says so.
    t.note("need_wakeup_eventually",
           eventually([&] { return (ring.sq_flags() & IORING_SQ_NEED_WAKEUP) != 0; }));
    // Queued while it sleeps, then woken: served.
    prep_nop(ring.next_sqe(), 8);
    ring.publish();
    t.call("wakeup", ring.sys().enter(ring.fd(), 1, 0, IORING_ENTER_SQ_WAKEUP, nullptr, 0), sys);
    t.note("completed_after_wakeup", eventually([&] { return ring.cq_tail() - ring.cq_head() == 1; }));
    t.cqes("second", ring.reap());
  });
  EXPECT_EQ(both.linux.get("need_wakeup_eventually"), "1");
  EXPECT_EQ(both.linux.get("wakeup"), "1");
  EXPECT_EQ(both.linux.get("completed_after_wakeup"), "1");
}

}  // namespace
}  // namespace uringsim::difftest
