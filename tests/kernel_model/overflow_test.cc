// CQ overflow with IORING_FEAT_NODROP as 6.18 does it (spec B.4).
#include <cerrno>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

using Overflow = RingFixture;
using C = RingFixture::SimpleCqe;

TEST_F(Overflow, FullCqQueuesBacklogAndSetsFlag) {
  ASSERT_GE(setup_flags(2, IORING_SETUP_CQSIZE, 2), 0);
  for (uint64_t i = 1; i <= 2; ++i) nop(i);
  EXPECT_EQ(submit(2), 2);
  for (uint64_t i = 3; i <= 4; ++i) nop(i);
  EXPECT_EQ(submit(2), 2);
  EXPECT_TRUE(sq_flags() & IORING_SQ_CQ_OVERFLOW);
  EXPECT_EQ(cq_overflow(), 0u);  // nothing was lost
  EXPECT_EQ(kernel.context(ring)->ring().overflow_backlog(), 2u);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 0, 0}, {2, 0, 0}}));
}

TEST_F(Overflow, NewCqesQueueBehindTheBacklogUntilGetEvents) {
  ASSERT_GE(setup_flags(2, IORING_SETUP_CQSIZE, 2), 0);
  nop(1);
  nop(2);
  submit(2);
  nop(3);
  nop(4);
  submit(2);
  EXPECT_EQ(reap().size(), 2u);  // CQ now empty, backlog {3, 4}
  nop(5);
  EXPECT_EQ(submit(1), 1);
  EXPECT_TRUE(reap().empty());  // 5 queued behind the backlog although the CQ had room
  EnterResult r = enter(0, 0, IORING_ENTER_GETEVENTS);
  EXPECT_EQ(r.ret, 0);
  EXPECT_FALSE(r.must_wait);
  EXPECT_EQ(reap(), (std::vector<C>{{3, 0, 0}, {4, 0, 0}}));
  EXPECT_TRUE(sq_flags() & IORING_SQ_CQ_OVERFLOW);
  enter(0, 0, IORING_ENTER_GETEVENTS);
  EXPECT_EQ(reap(), (std::vector<C>{{5, 0, 0}}));
  EXPECT_FALSE(sq_flags() & IORING_SQ_CQ_OVERFLOW);
  EXPECT_EQ(cq_overflow(), 0u);
}

TEST_F(Overflow, EightNopsIntoTwoSlots) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_CQSIZE, 8), 0);
  for (uint64_t i = 1; i <= 8; ++i) nop(i);
  submit(8);
  for (uint64_t i = 9; i <= 12; ++i) nop(i);
  submit(4);
  EXPECT_EQ(kernel.context(ring)->ring().overflow_backlog(), 4u);
  std::vector<C> all;
  for (int round = 0; round < 3; ++round) {
    for (auto& c : reap()) all.push_back(c);
    enter(0, 0, IORING_ENTER_GETEVENTS);
  }
  ASSERT_EQ(all.size(), 12u);
  for (uint64_t i = 0; i < 12; ++i) EXPECT_EQ(all[i].user_data, i + 1);
}

}  // namespace
}  // namespace uringsim::testing
