// IOSQE_IO_LINK / IO_HARDLINK / IO_DRAIN / CQE_SKIP_SUCCESS (spec B.3, H.1, H.2).
#include <cerrno>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

using Links = RingFixture;
using C = RingFixture::SimpleCqe;

io_uring_sqe& fail_nop(RingFixture& f, uint64_t ud, uint8_t flags, int32_t err) {
  io_uring_sqe& s = f.nop(ud, flags);
  s.nop_flags = IORING_NOP_INJECT_RESULT;
  s.len = static_cast<uint32_t>(err);
  return s;
}

TEST_F(Links, ChainCompletesInOrder) {
  ASSERT_GE(setup(8), 0);
  nop(1, IOSQE_IO_LINK);
  nop(2, IOSQE_IO_LINK);
  nop(3);
  EXPECT_EQ(submit(3), 3);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 0, 0}, {2, 0, 0}, {3, 0, 0}}));
}

TEST_F(Links, LinkSuccessorRunsAfterTheRestOfTheBatch) {
  ASSERT_GE(setup(8), 0);
  nop(1, IOSQE_IO_LINK);
  nop(2);
  nop(3);
  EXPECT_EQ(submit(3), 3);
  // The successor is issued from task work, after the inline completions.
  EXPECT_EQ(reap(), (std::vector<C>{{1, 0, 0}, {3, 0, 0}, {2, 0, 0}}));
}

TEST_F(Links, FailureCancelsTheRest) {
  ASSERT_GE(setup(8), 0);
  fail_nop(*this, 1, IOSQE_IO_LINK, -EIO);
  nop(2, IOSQE_IO_LINK);
  nop(3);
  EXPECT_EQ(submit(3), 3);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EIO, 0}, {2, -ECANCELED, 0}, {3, -ECANCELED, 0}}));
}

TEST_F(Links, HardlinkContinuesAfterFailure) {
  ASSERT_GE(setup(8), 0);
  fail_nop(*this, 1, IOSQE_IO_HARDLINK, -EIO);
  nop(2);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EIO, 0}, {2, 0, 0}}));
}

TEST_F(Links, PrepFailureInsideLinkCancelsHeadKeepsOwnError) {
  // Spec B.3/H.2: [NOP link, bad op link, NOP], NOP -> 55, 58, 56, 57.
  ASSERT_GE(setup(8), 0);
  nop(55, IOSQE_IO_LINK);
  push(250, 56, IOSQE_IO_LINK);
  nop(57);
  nop(58);
  EXPECT_EQ(submit(4), 4);
  EXPECT_EQ(reap(), (std::vector<C>{{55, -ECANCELED, 0}, {58, 0, 0}, {56, -EINVAL, 0}, {57, -ECANCELED, 0}}));
}

TEST_F(Links, UnterminatedLinkAtEndOfBatchStillRuns) {
  ASSERT_GE(setup(8), 0);
  nop(1, IOSQE_IO_LINK);
  nop(2, IOSQE_IO_LINK);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 0, 0}, {2, 0, 0}}));
}

TEST_F(Links, SkipSuccessPostsNothingOnSuccess) {
  ASSERT_GE(setup(8), 0);
  nop(1, IOSQE_CQE_SKIP_SUCCESS);
  nop(2);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(reap(), (std::vector<C>{{2, 0, 0}}));
}

TEST_F(Links, SkipSuccessStillPostsFailures) {
  ASSERT_GE(setup(8), 0);
  fail_nop(*this, 1, IOSQE_CQE_SKIP_SUCCESS, -EIO);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EIO, 0}}));
}

TEST_F(Links, SkippedFailureSilencesItsCancellations) {
  ASSERT_GE(setup(8), 0);
  fail_nop(*this, 1, IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS, -EIO);
  nop(2);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EIO, 0}}));
}

TEST_F(Links, CancellationsPostEvenIfMembersAskedToSkip) {
  ASSERT_GE(setup(8), 0);
  fail_nop(*this, 1, IOSQE_IO_LINK, -EIO);
  nop(2, IOSQE_CQE_SKIP_SUCCESS);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EIO, 0}, {2, -ECANCELED, 0}}));
}

TEST_F(Links, DrainAfterSkipSuccessIsEOPNOTSUPP) {
  ASSERT_GE(setup(8), 0);
  nop(1, IOSQE_CQE_SKIP_SUCCESS);
  nop(2, IOSQE_IO_DRAIN);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(reap(), (std::vector<C>{{2, -EOPNOTSUPP, 0}}));
}

TEST_F(Links, DrainRunsAfterEverythingBefore) {
  ASSERT_GE(setup(8), 0);
  nop(1, IOSQE_IO_LINK);
  nop(2);
  nop(3, IOSQE_IO_DRAIN);
  nop(4);
  EXPECT_EQ(submit(4), 4);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 0, 0}, {2, 0, 0}, {3, 0, 0}, {4, 0, 0}}));
}

TEST_F(Links, AsyncRequestCompletesWithSameResult) {
  ASSERT_GE(setup(8), 0);
  nop(1, IOSQE_ASYNC);
  nop(2);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(reap(), (std::vector<C>{{2, 0, 0}, {1, 0, 0}}));
}

TEST_F(Links, NopFileWithBadFdFailsWithEBADFAndCancelsLink) {
  // Checked against 6.18 (tests/differential): the lookup error replaces the result.
  ASSERT_GE(setup(8), 0);
  io_uring_sqe& s = nop(1, IOSQE_IO_LINK);
  s.nop_flags = IORING_NOP_FILE;
  s.fd = 77;
  nop(2);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EBADF, 0}, {2, -ECANCELED, 0}}));
}

TEST_F(Links, InjectedIntMinIsAResultNotAParking) {
  ASSERT_GE(setup(8), 0);
  io_uring_sqe& s = nop(1);
  s.nop_flags = IORING_NOP_INJECT_RESULT;
  s.len = 0x80000000u;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, INT32_MIN, 0}}));
}

}  // namespace
}  // namespace uringsim::testing
