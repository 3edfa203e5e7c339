// IORING_SETUP_SQPOLL: the SQ thread consumes the SQ without io_uring_enter, enter
// returns to_submit, NEED_WAKEUP after sq_thread_idle, SQ_WAKEUP, SQ_WAIT,
// -EOWNERDEAD, setup validation (SQ_AFF, ATTACH_WQ) and profile gating
// (io_uring/sqpoll.c, io_uring_enter in io_uring/io_uring.c).
#include <cerrno>
#include <string>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint32_t kIdleMs = 10;
constexpr int kSecondRingFd = 101;
constexpr int kPlainFileFd = 7;

// The test process is the SQ threads' process: they see its memory and fds.
class FakeSqpollHost : public SqpollHost {
 public:
  FakeSqpollHost(FakeMemory* memory, FakeFiles* files) : memory_(memory), files_(files) {}
  bool sq_thread_process(int32_t tgid, Caller* out) override {
    if (tgid != 1000) return false;
    out->memory = memory_;
    out->files = files_;
    return true;
  }

 private:
  FakeMemory* memory_;
  FakeFiles* files_;
};

class Sqpoll : public RingFixture {
 public:
  explicit Sqpoll(const Profile& profile = default_profile())
      : RingFixture(profile), host(&memory, &files) {
    kernel.set_sqpoll_host(&host);
    kernel.set_online_cpus(2);
    kernel.set_now(1000 * kMs);
    files.add(kPlainFileFd, std::make_shared<FakeFile>("data"));
  }

  int64_t setup_sqpoll(uint32_t extra_flags = 0, uint32_t idle_ms = kIdleMs, uint32_t cpu = 0,
                       uint32_t wq_fd = 0) {
    io_uring_params p{};
    p.flags = IORING_SETUP_SQPOLL | extra_flags;
    p.sq_thread_idle = idle_ms;
    p.sq_thread_cpu = cpu;
    p.wq_fd = wq_fd;
    return setup(8, p);
  }
  // A second ring on fd 101, set up with `p` (the fixture's ring stays on fd 100).
  int64_t setup_second(io_uring_params p) {
    memory.write(kParamsAddr, &p, sizeof p);
    const int64_t r = kernel.setup(caller, 8, kParamsAddr);
    if (r >= 0) {
      files.add(kSecondRingFd, std::make_shared<FakeFile>("", true, true, FileKind::kRing,
                                                          static_cast<RingId>(r)));
    }
    return r;
  }
  void tick_at(uint64_t ms) {
    kernel.set_now(ms * kMs);
    kernel.sqpoll_tick();
  }
  bool need_wakeup() { return (sq_flags() & IORING_SQ_NEED_WAKEUP) != 0; }
  // Wakes the (sleeping) thread with SQ_WAKEUP and lets it make its first pass.
  void wake_at(uint64_t ms) {
    ASSERT_EQ(enter(0, 0, IORING_ENTER_SQ_WAKEUP).ret, 0);
    tick_at(ms);
    ASSERT_FALSE(need_wakeup());
  }

  FakeSqpollHost host;
};

TEST_F(Sqpoll, SetupReportsFeatureAndStartsOneThread) {
  ASSERT_GE(setup_sqpoll(), 0) << kernel.last_fault().reason;
  EXPECT_EQ(params.flags, IORING_SETUP_SQPOLL);
  EXPECT_TRUE(params.features & IORING_FEAT_SQPOLL_NONFIXED);
  // Same offsets as a ring without SQPOLL (spec A.4).
  EXPECT_EQ(params.sq_off.flags, 36u);
  EXPECT_EQ(params.sq_off.array, 320u);
  EXPECT_EQ(kernel.sq_thread_count(), 1u);
  const SqThread* t = kernel.sq_thread(ring);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->tgid, 1000);
  EXPECT_EQ(t->cpu, -1);
  EXPECT_EQ(t->idle_ns, kIdleMs * kMs);
  EXPECT_TRUE(kernel.sq_threads_awake());
}

TEST_F(Sqpoll, SqThreadIdleZeroMeansOneSecond) {
  ASSERT_GE(setup_sqpoll(0, 0), 0);
  EXPECT_EQ(kernel.sq_thread(ring)->idle_ns, 1000 * kMs);
}

TEST_F(Sqpoll, FreshThreadFindingAnEmptySqSleepsAtOnce) {
  // io_sq_thread starts with timeout 0: an empty first pass goes straight to sleep.
  ASSERT_GE(setup_sqpoll(), 0);
  EXPECT_FALSE(need_wakeup());
  tick_at(1000);
  EXPECT_TRUE(need_wakeup());
  EXPECT_FALSE(kernel.sq_threads_awake());
  EXPECT_EQ(kernel.sq_thread(ring)->loops, 1u);
}

TEST_F(Sqpoll, SubmitsWithoutEnter) {
  ASSERT_GE(setup_sqpoll(), 0);
  nop(1);
  nop(2);
  nop(3);
  tick_at(1000);
  EXPECT_EQ(sq_head(), 3u);
  EXPECT_EQ(reap(), (std::vector<SimpleCqe>{{1, 0, 0}, {2, 0, 0}, {3, 0, 0}}));
  EXPECT_FALSE(need_wakeup());
  EXPECT_TRUE(kernel.sq_threads_awake());
  EXPECT_EQ(kernel.sq_thread(ring)->submitted, 3u);
}

TEST_F(Sqpoll, EnterReturnsToSubmitAndSubmitsNothing) {
  ASSERT_GE(setup_sqpoll(), 0);
  nop(1);
  nop(2);
  // Linux returns to_submit as passed, even more than is queued (spec B.2: 77 -> 77).
  EXPECT_EQ(enter(77).ret, 77);
  EXPECT_EQ(enter(2).ret, 2);
  EXPECT_EQ(enter(0).ret, 0);
  EXPECT_EQ(sq_head(), 0u);
  EXPECT_EQ(cq_tail(), 0u);
  tick_at(1000);
  EXPECT_EQ(sq_head(), 2u);
  EXPECT_EQ(cq_tail(), 2u);
}

TEST_F(Sqpoll, NeedWakeupOnlyAfterIdlePeriod) {
  ASSERT_GE(setup_sqpoll(), 0);
  tick_at(1000);  // asleep
  wake_at(1001);
  nop(1);
  tick_at(1002);  // submits: idle period restarts at 1002
  EXPECT_EQ(sq_head(), 1u);
  tick_at(1002 + kIdleMs);  // still inside sq_thread_idle: busy-polling
  EXPECT_FALSE(need_wakeup());
  EXPECT_TRUE(kernel.sq_threads_awake());
  tick_at(1002 + kIdleMs + 1);
  EXPECT_TRUE(need_wakeup());
  EXPECT_FALSE(kernel.sq_threads_awake());
}

TEST_F(Sqpoll, SleepingThreadIgnoresSqUntilSqWakeup) {
  ASSERT_GE(setup_sqpoll(), 0);
  tick_at(1000);
  ASSERT_TRUE(need_wakeup());
  nop(5);
  tick_at(1001);
  tick_at(1100);
  EXPECT_EQ(sq_head(), 0u);  // asleep: nobody consumes
  EXPECT_EQ(kernel.inflight(ring), 0u);  // ... so a waiter has nothing to wait for
  EXPECT_EQ(enter(1, 0, IORING_ENTER_SQ_WAKEUP).ret, 1);
  EXPECT_TRUE(need_wakeup());  // the thread clears it once it runs
  EXPECT_EQ(kernel.inflight(ring), 1u);
  EXPECT_EQ(kernel.next_deadline(ring), 1100 * kMs);
  tick_at(1101);
  EXPECT_FALSE(need_wakeup());
  EXPECT_EQ(sq_head(), 1u);
  EXPECT_EQ(reap(), (std::vector<SimpleCqe>{{5, 0, 0}}));
}

TEST_F(Sqpoll, SqWakeupOnAwakeThreadChangesNothing) {
  ASSERT_GE(setup_sqpoll(), 0);
  EXPECT_EQ(enter(0, 0, IORING_ENTER_SQ_WAKEUP).ret, 0);
  EXPECT_FALSE(kernel.sq_thread(ring)->woken);
  EXPECT_FALSE(need_wakeup());
}

TEST_F(Sqpoll, GeteventsWaitsForWhatTheAwakeThreadWillSubmit) {
  ASSERT_GE(setup_sqpoll(), 0);
  nop(9);
  EnterResult r = enter(1, 1, IORING_ENTER_GETEVENTS);
  EXPECT_EQ(r.ret, 1);
  EXPECT_TRUE(r.must_wait);
  EXPECT_EQ(kernel.inflight(ring), 1u);
  tick_at(1000);
  EXPECT_EQ(kernel.wait_done(ring, r, 0), 1);
  EXPECT_EQ(reap(), (std::vector<SimpleCqe>{{9, 0, 0}}));
}

TEST_F(Sqpoll, SqWaitLetsAnAwakeThreadMakeRoom) {
  ASSERT_GE(setup_sqpoll(), 0);
  for (uint64_t i = 0; i < 8; ++i) nop(i);
  ASSERT_EQ(sq_tail() - sq_head(), 8u);
  EXPECT_EQ(enter(0, 0, IORING_ENTER_SQ_WAIT).ret, 0);
  EXPECT_EQ(sq_head(), 8u);
  EXPECT_EQ(cq_tail(), 8u);
}

TEST_F(Sqpoll, SqWaitOnSleepingThreadReturnsWithoutConsuming) {
  ASSERT_GE(setup_sqpoll(), 0);
  tick_at(1000);
  for (uint64_t i = 0; i < 8; ++i) nop(i);
  // Linux would sleep until a signal; the model returns rather than hang, with a note.
  struct NoteCatcher : Observer {
    std::vector<Fault> notes;
    void on_syscall_fault(const char*, const Fault& f) override { notes.push_back(f); }
  } catcher;
  kernel.set_observer(&catcher);
  EXPECT_EQ(enter(3, 0, IORING_ENTER_SQ_WAIT).ret, 3);
  kernel.set_observer(nullptr);
  ASSERT_EQ(catcher.notes.size(), 1u);
  EXPECT_EQ(catcher.notes[0].err, 0);
  EXPECT_NE(catcher.notes[0].reason.find("Linux would block until a signal"), std::string::npos);
  EXPECT_EQ(sq_head(), 0u);
  // With SQ_WAKEUP the woken thread makes the room.
  EXPECT_EQ(enter(0, 0, IORING_ENTER_SQ_WAIT | IORING_ENTER_SQ_WAKEUP).ret, 0);
  EXPECT_EQ(sq_head(), 8u);
  EXPECT_FALSE(need_wakeup());
}

TEST_F(Sqpoll, EnterAfterTheThreadDiedIsEOWNERDEAD) {
  ASSERT_GE(setup_sqpoll(), 0);
  kernel.sqpoll_process_exited(999);  // another process: no effect
  EXPECT_EQ(enter(1).ret, 1);
  kernel.sqpoll_process_exited(1000);
  EXPECT_TRUE(need_wakeup());
  EXPECT_EQ(enter(1).ret, -EOWNERDEAD);
  EXPECT_EQ(enter(0, 0, IORING_ENTER_SQ_WAKEUP).ret, -EOWNERDEAD);
  EXPECT_NE(kernel.last_fault().reason.find("EOWNERDEAD"), std::string::npos);
  nop(1);
  tick_at(1000);
  EXPECT_EQ(sq_head(), 0u);
}

TEST_F(Sqpoll, SingleIssuerDoesNotStopOtherTasksFromEntering) {
  ASSERT_GE(setup_sqpoll(IORING_SETUP_SINGLE_ISSUER), 0);
  caller.creds.tid = 4242;
  EXPECT_EQ(enter(1).ret, 1);
}

TEST_F(Sqpoll, SqAffNeedsAnOnlineCpu) {
  EXPECT_EQ(setup_sqpoll(IORING_SETUP_SQ_AFF, kIdleMs, 2), -EINVAL);
  EXPECT_NE(kernel.last_fault().reason.find("sq_thread_cpu 2"), std::string::npos);
  EXPECT_EQ(kernel.sq_thread_count(), 0u);
  ASSERT_GE(setup_sqpoll(IORING_SETUP_SQ_AFF, kIdleMs, 1), 0);
  EXPECT_EQ(kernel.sq_thread(ring)->cpu, 1);
}

TEST_F(Sqpoll, SqpollCombinedWithTaskrunFlagsIsEINVAL) {
  EXPECT_EQ(setup_sqpoll(IORING_SETUP_COOP_TASKRUN), -EINVAL);
  EXPECT_EQ(setup_sqpoll(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN), -EINVAL);
}

TEST_F(Sqpoll, AttachWqChecksWqFd) {
  io_uring_params p{};
  p.flags = IORING_SETUP_ATTACH_WQ;
  p.wq_fd = 55;  // not open
  EXPECT_EQ(setup(8, p), -ENXIO);
  p.wq_fd = kPlainFileFd;
  EXPECT_EQ(setup(8, p), -EINVAL);
  p.flags = IORING_SETUP_ATTACH_WQ | IORING_SETUP_SQPOLL;
  p.wq_fd = 55;
  EXPECT_EQ(setup(8, p), -ENXIO);
  p.wq_fd = kPlainFileFd;
  EXPECT_EQ(setup(8, p), -EINVAL);
  EXPECT_EQ(kernel.sq_thread_count(), 0u);
}

TEST_F(Sqpoll, AttachWqWithoutSqpollNeedsOnlyARing) {
  ASSERT_GE(setup(8), 0);
  io_uring_params p{};
  p.flags = IORING_SETUP_ATTACH_WQ;
  p.wq_fd = kRingFd;
  EXPECT_GE(setup_second(p), 0) << kernel.last_fault().reason;
  EXPECT_EQ(kernel.sq_thread_count(), 0u);
}

TEST_F(Sqpoll, SqpollAttachToRingWithoutThreadIsEINVAL) {
  ASSERT_GE(setup(8), 0);
  io_uring_params p{};
  p.flags = IORING_SETUP_SQPOLL | IORING_SETUP_ATTACH_WQ;
  p.wq_fd = kRingFd;
  EXPECT_EQ(setup_second(p), -EINVAL);
}

TEST_F(Sqpoll, AttachedRingsShareOneThreadCappedAtEightPerPass) {
  ASSERT_GE(setup_sqpoll(0, 20), 0);
  io_uring_params p{};
  p.flags = IORING_SETUP_SQPOLL | IORING_SETUP_ATTACH_WQ;
  p.wq_fd = kRingFd;
  p.sq_thread_idle = 30;
  const int64_t second = setup_second(p);
  ASSERT_GE(second, 0) << kernel.last_fault().reason;
  EXPECT_EQ(kernel.sq_thread_count(), 1u);
  EXPECT_EQ(kernel.sq_thread(ring), kernel.sq_thread(static_cast<RingId>(second)));
  EXPECT_EQ(kernel.sq_thread(ring)->idle_ns, 30 * kMs);  // the largest of its rings
  // The first ring's SQ holds 8; with two rings a pass takes at most 8 of each.
  for (uint64_t i = 0; i < 8; ++i) nop(i);
  tick_at(1000);
  EXPECT_EQ(sq_head(), 8u);
  // A thread of another process is not shared: the ring gets its own.
  caller.creds.pid = 2000;
  p.sq_thread_idle = 5;
  memory.write(kParamsAddr, &p, sizeof p);
  const int64_t third = kernel.setup(caller, 8, kParamsAddr);
  ASSERT_GE(third, 0) << kernel.last_fault().reason;
  EXPECT_EQ(kernel.sq_thread_count(), 2u);
  EXPECT_EQ(kernel.sq_thread(static_cast<RingId>(third))->tgid, 2000);
  // Destroying rings detaches them; the last one ends the thread.
  kernel.destroy(static_cast<RingId>(second));
  EXPECT_EQ(kernel.sq_thread(ring)->idle_ns, 20 * kMs);
  kernel.destroy(ring);
  kernel.destroy(static_cast<RingId>(third));
  EXPECT_EQ(kernel.sq_thread_count(), 0u);
}

TEST_F(Sqpoll, SharedThreadCapsEachRingAtEightSqes) {
  io_uring_params big{};
  big.flags = IORING_SETUP_SQPOLL;
  big.sq_thread_idle = kIdleMs;
  ASSERT_GE(setup(16, big), 0);
  io_uring_params p{};
  p.flags = IORING_SETUP_SQPOLL | IORING_SETUP_ATTACH_WQ;
  p.wq_fd = kRingFd;
  ASSERT_GE(setup_second(p), 0);
  for (uint64_t i = 0; i < 12; ++i) nop(i);
  tick_at(1000);
  EXPECT_EQ(sq_head(), 8u);
  tick_at(1000);
  EXPECT_EQ(sq_head(), 12u);
}

TEST_F(Sqpoll, WithoutAHostSqpollIsNotSimulated) {
  kernel.set_sqpoll_host(nullptr);
  EXPECT_EQ(setup_sqpoll(), -EINVAL);
  EXPECT_NE(kernel.last_fault().reason.find("not simulated by this host"), std::string::npos)
      << kernel.last_fault().reason;
}

class SqpollOn56 : public Sqpoll {
 public:
  SqpollOn56() : Sqpoll(*find_profile("5.6")) {}
};

TEST_F(SqpollOn56, Pre511SqpollIsNotSimulated) {
  EXPECT_EQ(setup_sqpoll(), -EINVAL);
  EXPECT_NE(kernel.last_fault().reason.find("not simulated"), std::string::npos);
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(params.features & IORING_FEAT_SQPOLL_NONFIXED, 0u);
}

class SqpollOn61 : public Sqpoll {
 public:
  SqpollOn61() : Sqpoll(*find_profile("6.1")) {}
};

TEST_F(SqpollOn61, SqpollWorksSince511) {
  ASSERT_GE(setup_sqpoll(), 0) << kernel.last_fault().reason;
  EXPECT_TRUE(params.features & IORING_FEAT_SQPOLL_NONFIXED);
  nop(1);
  tick_at(1000);
  EXPECT_EQ(reap(), (std::vector<SimpleCqe>{{1, 0, 0}}));
}

}  // namespace
}  // namespace uringsim::testing
