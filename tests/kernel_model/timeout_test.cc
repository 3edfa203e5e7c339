// TIMEOUT, TIMEOUT_REMOVE, LINK_TIMEOUT and ASYNC_CANCEL on the model clock.
#include <cerrno>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

using C = RingFixture::SimpleCqe;
constexpr uint64_t kTsAddr = kParamsAddr + 1024;
constexpr uint64_t kMs = 1000000;

class Timeouts : public RingFixture {
 public:
  void set_ts(uint64_t addr, int64_t sec, int64_t nsec) {
    int64_t ts[2] = {sec, nsec};
    memory.write(addr, ts, sizeof ts);
  }
  io_uring_sqe& timeout(uint64_t ud, uint64_t ns, uint32_t count = 0, uint32_t flags = 0, uint8_t sqe_flags = 0) {
    set_ts(kTsAddr + 16 * (ud % 8), static_cast<int64_t>(ns / 1000000000), static_cast<int64_t>(ns % 1000000000));
    io_uring_sqe& s = push(IORING_OP_TIMEOUT, ud, sqe_flags);
    s.addr = kTsAddr + 16 * (ud % 8);
    s.len = 1;
    s.off = count;
    s.timeout_flags = flags;
    return s;
  }
  void advance(uint64_t ns) {
    kernel.set_now(kernel.now_ns() + ns);
    kernel.progress(caller, ring, false);
  }
};

TEST_F(Timeouts, RelativeTimeoutExpiresWithETIME) {
  ASSERT_GE(setup(8), 0);
  timeout(1, 10 * kMs);
  EXPECT_EQ(submit(1), 1);
  EXPECT_TRUE(reap().empty());
  EXPECT_EQ(kernel.next_deadline(ring), 10 * kMs);
  advance(9 * kMs);
  EXPECT_TRUE(reap().empty());
  advance(1 * kMs);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -ETIME, 0}}));
}

TEST_F(Timeouts, CountTimeoutCompletesWithZeroAfterNCqes) {
  ASSERT_GE(setup(8), 0);
  timeout(1, 1000 * kMs, 2);
  EXPECT_EQ(submit(1), 1);
  nop(2);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{2, 0, 0}}));
  nop(3);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{3, 0, 0}, {1, 0, 0}}));
  EXPECT_EQ(kernel.next_deadline(ring), UINT64_MAX);
}

TEST_F(Timeouts, EtimeSuccessDoesNotFailTheLink) {
  ASSERT_GE(setup(8), 0);
  timeout(1, kMs, 0, IORING_TIMEOUT_ETIME_SUCCESS, IOSQE_IO_LINK);
  nop(2);
  EXPECT_EQ(submit(2), 2);
  advance(kMs);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -ETIME, 0}, {2, 0, 0}}));
}

TEST_F(Timeouts, ExpiredTimeoutFailsItsLink) {
  ASSERT_GE(setup(8), 0);
  timeout(1, kMs, 0, 0, IOSQE_IO_LINK);
  nop(2);
  EXPECT_EQ(submit(2), 2);
  advance(kMs);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -ETIME, 0}, {2, -ECANCELED, 0}}));
}

TEST_F(Timeouts, MultishotPostsMoreThenEnds) {
  ASSERT_GE(setup(8), 0);
  timeout(1, kMs, 3, IORING_TIMEOUT_MULTISHOT);
  EXPECT_EQ(submit(1), 1);
  for (int i = 0; i < 3; ++i) advance(kMs);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -ETIME, IORING_CQE_F_MORE}, {1, -ETIME, IORING_CQE_F_MORE}, {1, -ETIME, 0}}));
}

TEST_F(Timeouts, PrepRules) {
  ASSERT_GE(setup(8), 0);
  timeout(1, kMs).len = 2;
  timeout(2, kMs, 0, IORING_TIMEOUT_ABS | IORING_TIMEOUT_MULTISHOT);
  timeout(3, kMs, 0, IORING_TIMEOUT_BOOTTIME | IORING_TIMEOUT_REALTIME);
  timeout(4, kMs).addr = 0xdead0000;
  set_ts(kTsAddr + 16 * 5, -1, 0);
  io_uring_sqe& neg = push(IORING_OP_TIMEOUT, 5);
  neg.addr = kTsAddr + 16 * 5;
  neg.len = 1;
  EXPECT_EQ(enter(5).ret, 1);  // stops after the first failure
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EINVAL, 0}}));
  EXPECT_EQ(submit(4), 1);
  EXPECT_EQ(submit(3), 1);
  EXPECT_EQ(submit(2), 1);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{2, -EINVAL, 0}, {3, -EINVAL, 0}, {4, -EFAULT, 0}, {5, -EINVAL, 0}}));
}

TEST_F(Timeouts, AbsoluteTimeoutUsesModelClock) {
  ASSERT_GE(setup(8), 0);
  kernel.set_now(100 * kMs);
  timeout(1, 150 * kMs, 0, IORING_TIMEOUT_ABS);
  EXPECT_EQ(submit(1), 1);
  advance(49 * kMs);
  EXPECT_TRUE(reap().empty());
  advance(1 * kMs);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -ETIME, 0}}));
}

TEST_F(Timeouts, RemoveCancelsAndReportsZero) {
  ASSERT_GE(setup(8), 0);
  timeout(1, 1000 * kMs);
  EXPECT_EQ(submit(1), 1);
  io_uring_sqe& r = push(IORING_OP_TIMEOUT_REMOVE, 2);
  r.addr = 1;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{2, 0, 0}, {1, -ECANCELED, 0}}));
  io_uring_sqe& again = push(IORING_OP_TIMEOUT_REMOVE, 3);
  again.addr = 1;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{3, -ENOENT, 0}}));
}

TEST_F(Timeouts, UpdateMovesTheDeadline) {
  ASSERT_GE(setup(8), 0);
  timeout(1, 1000 * kMs);
  EXPECT_EQ(submit(1), 1);
  set_ts(kTsAddr + 100, 0, 5 * kMs);
  io_uring_sqe& u = push(IORING_OP_TIMEOUT_REMOVE, 2);
  u.addr = 1;
  u.addr2 = kTsAddr + 100;
  u.timeout_flags = IORING_TIMEOUT_UPDATE;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{2, 0, 0}}));
  advance(5 * kMs);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -ETIME, 0}}));
}

TEST_F(Timeouts, LinkTimeoutCancelledWhenRequestCompletesFirst) {
  ASSERT_GE(setup(8), 0);
  nop(1, IOSQE_IO_LINK);
  set_ts(kTsAddr, 1, 0);
  io_uring_sqe& lt = push(IORING_OP_LINK_TIMEOUT, 2);
  lt.addr = kTsAddr;
  lt.len = 1;
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 0, 0}, {2, -ECANCELED, 0}}));
  EXPECT_EQ(kernel.next_deadline(ring), UINT64_MAX);
}

TEST_F(Timeouts, LinkTimeoutFiresAndCancelsAParkedRequest) {
  ASSERT_GE(setup(8), 0);
  timeout(1, 1000 * kMs, 0, 0, IOSQE_IO_LINK);
  set_ts(kTsAddr + 200, 0, 10 * kMs);
  io_uring_sqe& lt = push(IORING_OP_LINK_TIMEOUT, 2, IOSQE_IO_LINK);
  lt.addr = kTsAddr + 200;
  lt.len = 1;
  nop(3);
  EXPECT_EQ(submit(3), 3);
  EXPECT_TRUE(reap().empty());
  advance(10 * kMs);
  EXPECT_EQ(reap(), (std::vector<C>{{2, -ETIME, 0}, {1, -ECANCELED, 0}, {3, -ECANCELED, 0}}));
}

TEST_F(Timeouts, LinkTimeoutWithoutLinkIsEINVAL) {
  ASSERT_GE(setup(8), 0);
  set_ts(kTsAddr, 1, 0);
  io_uring_sqe& lt = push(IORING_OP_LINK_TIMEOUT, 2);
  lt.addr = kTsAddr;
  lt.len = 1;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{2, -EINVAL, 0}}));
}

TEST_F(Timeouts, AsyncCancelByUserData) {
  ASSERT_GE(setup(8), 0);
  timeout(1, 1000 * kMs);
  EXPECT_EQ(submit(1), 1);
  io_uring_sqe& c = push(IORING_OP_ASYNC_CANCEL, 2);
  c.addr = 1;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{2, 0, 0}, {1, -ECANCELED, 0}}));
  io_uring_sqe& c2 = push(IORING_OP_ASYNC_CANCEL, 3);
  c2.addr = 1;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{3, -ENOENT, 0}}));
}

TEST_F(Timeouts, AsyncCancelAnyAllCountsVictims) {
  ASSERT_GE(setup(8), 0);
  timeout(1, 1000 * kMs);
  timeout(2, 1000 * kMs);
  EXPECT_EQ(submit(2), 2);
  io_uring_sqe& c = push(IORING_OP_ASYNC_CANCEL, 3);
  c.cancel_flags = IORING_ASYNC_CANCEL_ANY;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{3, 2, 0}, {1, -ECANCELED, 0}, {2, -ECANCELED, 0}}));
}

TEST_F(Timeouts, AsyncCancelFlagRules) {
  ASSERT_GE(setup(8), 0);
  io_uring_sqe& c = push(IORING_OP_ASYNC_CANCEL, 3);
  c.cancel_flags = IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_FD;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{3, -EINVAL, 0}}));
}

TEST_F(Timeouts, DeferTaskrunPostsOnlyWhenWaiting) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN), 0);
  nop(1, IOSQE_IO_LINK);
  nop(2);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 0, 0}}));  // the successor is task work
  EnterResult r = enter(0, 1, IORING_ENTER_GETEVENTS);
  EXPECT_FALSE(r.must_wait);
  EXPECT_EQ(reap(), (std::vector<C>{{2, 0, 0}}));
}

TEST_F(Timeouts, SingleIssuerRejectsOtherTasks) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_SINGLE_ISSUER), 0);
  nop(1);
  caller.creds.tid = 4242;
  EXPECT_EQ(submit(1), -EEXIST);
  caller.creds.tid = 0;
  EXPECT_EQ(submit(1), 1);
}

TEST_F(Timeouts, ExtArgTimeoutGivesDeadline) {
  ASSERT_GE(setup(8), 0);
  set_ts(kTsAddr, 0, 20 * kMs);
  io_uring_getevents_arg arg{};
  arg.ts = kTsAddr;
  memory.write(kTsAddr + 64, &arg, sizeof arg);
  EnterResult r = enter(0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, kTsAddr + 64, sizeof arg);
  EXPECT_TRUE(r.must_wait);
  EXPECT_EQ(r.deadline_ns, 20 * kMs);
  EXPECT_EQ(kernel.wait_done(ring, r, -ETIME), -ETIME);
  EXPECT_EQ(enter(0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, kTsAddr + 64, 16).ret, -EINVAL);
}

}  // namespace
}  // namespace uringsim::testing
