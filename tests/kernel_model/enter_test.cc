// io_uring_enter: what is consumed, what is returned, what is posted.
#include <cerrno>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

using Enter = RingFixture;
using C = RingFixture::SimpleCqe;

TEST_F(Enter, NopBatchPostsInSubmissionOrder) {
  ASSERT_GE(setup(8), 0);
  for (uint64_t i = 1; i <= 8; ++i) nop(i);
  EXPECT_EQ(submit(8), 8);
  EXPECT_EQ(sq_head(), 8u);
  auto cqes = reap();
  ASSERT_EQ(cqes.size(), 8u);
  for (uint64_t i = 0; i < 8; ++i) EXPECT_EQ(cqes[i], (C{i + 1, 0, 0}));
}

TEST_F(Enter, EmptySqWithToSubmitReturnsZeroWithoutWaiting) {
  ASSERT_GE(setup(8), 0);
  EnterResult r = enter(4, 1, IORING_ENTER_GETEVENTS);
  EXPECT_EQ(r.ret, 0);
  EXPECT_FALSE(r.must_wait);
}

TEST_F(Enter, ToSubmitBeyondAvailableConsumesAvailableAndSkipsWait) {
  ASSERT_GE(setup(8), 0);
  nop(1);
  nop(2);
  EnterResult r = enter(5, 8, IORING_ENTER_GETEVENTS);
  EXPECT_EQ(r.ret, 2);
  EXPECT_FALSE(r.must_wait);  // submitted != to_submit: Linux returns at once
}

TEST_F(Enter, GetEventsWaitsForMoreThanAvailable) {
  ASSERT_GE(setup(8), 0);
  nop(1);
  EnterResult r = enter(1, 2, IORING_ENTER_GETEVENTS);
  EXPECT_EQ(r.ret, 1);
  EXPECT_TRUE(r.must_wait);
  EXPECT_EQ(r.wait_nr, 2u);
  EXPECT_EQ(kernel.wait_done(ring, r, -ETIME), 1);  // something was submitted: that wins
}

TEST_F(Enter, MinCompleteCappedAtCqEntries) {
  ASSERT_GE(setup(1), 0);  // cq 2
  nop(1);
  EnterResult r = enter(1, 100, IORING_ENTER_GETEVENTS);
  EXPECT_EQ(r.wait_nr, 2u);
}

TEST_F(Enter, WaitErrorReportedOnlyWhenCqEmpty) {
  ASSERT_GE(setup(8), 0);
  EnterResult r = enter(0, 1, IORING_ENTER_GETEVENTS);
  ASSERT_TRUE(r.must_wait);
  EXPECT_EQ(kernel.wait_done(ring, r, -ETIME), -ETIME);
}

TEST_F(Enter, BogusTailMakesAtMostSqEntriesAvailable) {
  ASSERT_GE(setup(8), 0);
  for (uint32_t i = 0; i < 8; ++i) sq_word(params.sq_off.array + 4 * i) = i;
  sq_tail() = 20;
  EXPECT_EQ(submit(32), 8);
  EXPECT_EQ(reap().size(), 8u);
}

TEST_F(Enter, BadSqArrayIndexIsDroppedAndStopsTheBatch) {
  ASSERT_GE(setup(8), 0);
  nop(1);
  nop(2);
  sq_word(params.sq_off.array + 4 * 1) = 9;  // position 1 points past the SQEs
  nop(3);
  EXPECT_EQ(submit(3), 1);
  EXPECT_EQ(dropped(), 1u);
  EXPECT_EQ(sq_head(), 2u);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 0, 0}}));
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{3, 0, 0}}));
}

TEST_F(Enter, FailedSqeCountsAndStopsTheBatch) {
  ASSERT_GE(setup(8), 0);
  nop(1);
  push(250, 2);
  nop(3);
  EXPECT_EQ(submit(3), 2);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 0, 0}, {2, -EINVAL, 0}}));
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{3, 0, 0}}));
}

TEST_F(Enter, SubmitAllKeepsGoingAfterAFailure) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_SUBMIT_ALL), 0);
  nop(1);
  push(250, 2);
  nop(3);
  EXPECT_EQ(submit(3), 3);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 0, 0}, {2, -EINVAL, 0}, {3, 0, 0}}));
}

TEST_F(Enter, InvalidSqeFlagIsEINVALCqe) {
  ASSERT_GE(setup(8), 0);
  nop(7, 0x80);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{7, -EINVAL, 0}}));
}

TEST_F(Enter, NopWithIoprioIsEINVAL) {
  ASSERT_GE(setup(8), 0);
  nop(7).ioprio = 1;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{7, -EINVAL, 0}}));
}

TEST_F(Enter, NopWithBufferSelectIsEOPNOTSUPP) {
  ASSERT_GE(setup(8), 0);
  nop(7, IOSQE_BUFFER_SELECT);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{7, -EOPNOTSUPP, 0}}));
}

TEST_F(Enter, NopInjectResult) {
  ASSERT_GE(setup(8), 0);
  io_uring_sqe& s = nop(7);
  s.nop_flags = IORING_NOP_INJECT_RESULT;
  s.len = 1234;
  io_uring_sqe& t = nop(8);
  t.nop_flags = 1u << 9;
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(reap(), (std::vector<C>{{7, 1234, 0}, {8, -EINVAL, 0}}));
}

TEST_F(Enter, NopCqe32NeedsA32ByteRing) {
  ASSERT_GE(setup(8), 0);
  nop(7).nop_flags = IORING_NOP_CQE32;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{7, -EINVAL, 0}}));
}

TEST_F(Enter, NopCqe32CarriesExtraWords) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_CQE32), 0);
  io_uring_sqe& s = nop(7);
  s.nop_flags = IORING_NOP_CQE32;
  s.off = 0x1111;
  s.addr = 0x2222;
  EXPECT_EQ(submit(1), 1);
  auto* cqe = reinterpret_cast<io_uring_cqe*>(cq_ring + params.cq_off.cqes);
  EXPECT_EQ(cqe->user_data, 7u);
  EXPECT_EQ(cqe->big_cqe[0], 0x1111u);
  EXPECT_EQ(cqe->big_cqe[1], 0x2222u);
}

TEST_F(Enter, NotSimulatedOpcodeSaysSo) {
  ASSERT_GE(setup(8), 0);
  push(IORING_OP_TIMEOUT, 7);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{7, -EINVAL, 0}}));
}

TEST_F(Enter, UnknownEnterFlagIsEINVAL) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(enter(0, 0, 1u << 8).ret, -EINVAL);
}

TEST_F(Enter, BadFdIsEBADFAndNonRingIsEOPNOTSUPP) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(kernel.enter(caller, 55, 0, 0, 0, 0, 0).ret, -EBADF);
  files.add(5, std::make_shared<FakeFile>("x"));
  EXPECT_EQ(kernel.enter(caller, 5, 0, 0, 0, 0, 0).ret, -EOPNOTSUPP);
}

TEST_F(Enter, SigsetSizeMustBe8WhenWaiting) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(enter(0, 1, IORING_ENTER_GETEVENTS, kParamsAddr, 16).ret, -EINVAL);
}

TEST_F(Enter, FixedFileIndexNotRegisteredIsEBADF) {
  ASSERT_GE(setup(8), 0);
  io_uring_sqe& s = push(IORING_OP_FSYNC, 7, IOSQE_FIXED_FILE);
  s.fd = 0;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{7, -EBADF, 0}}));
}

TEST_F(Enter, Sqe128RingReadsDoubleStride) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_SQE128), 0);
  nop(1);
  nop(2);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 0, 0}, {2, 0, 0}}));
}

TEST_F(Enter, NoSqArrayUsesHeadAsSlot) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_NO_SQARRAY), 0);
  nop(1);
  nop(2);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 0, 0}, {2, 0, 0}}));
}

}  // namespace
}  // namespace uringsim::testing
