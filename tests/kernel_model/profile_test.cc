// Profiles: the same calls answered as 5.1 and as 6.18.
#include <cerrno>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

using C = RingFixture::SimpleCqe;

class Profile51 : public RingFixture {
 protected:
  Profile51() : RingFixture(*find_profile("5.1")) {}
};

TEST(Profiles, DefaultIs618AndBothExist) {
  EXPECT_EQ(default_profile().name, "6.18");
  ASSERT_NE(find_profile("5.1"), nullptr);
  EXPECT_EQ(find_profile("4.0"), nullptr);
}

TEST_F(Profile51, SplitLayoutAndNoFeatures) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(params.sq_entries, 8u);
  EXPECT_EQ(params.cq_entries, 16u);
  EXPECT_EQ(params.sq_off.head, 0u);
  EXPECT_EQ(params.sq_off.tail, 64u);
  EXPECT_EQ(params.sq_off.ring_mask, 128u);
  EXPECT_EQ(params.sq_off.array, 144u);
  EXPECT_EQ(params.cq_off.cqes, 192u);
  EXPECT_EQ(params.features, 0u);
  EXPECT_NE(sq_ring, cq_ring);  // two mappings: no IORING_FEAT_SINGLE_MMAP
}

TEST_F(Profile51, MaxEntriesIs4096) {
  EXPECT_EQ(setup(4097), -EINVAL);
  EXPECT_EQ(setup_flags(8, IORING_SETUP_CQSIZE, 16), -EINVAL);  // no CQSIZE in 5.1
}

TEST_F(Profile51, ResvIncludesTheLaterFeaturesWord) {
  io_uring_params p{};
  p.features = 1;  // resv[0] in 5.1
  EXPECT_EQ(setup(8, p), -EINVAL);
}

TEST_F(Profile51, ReadOpcodeDoesNotExistYet) {
  ASSERT_GE(setup(8), 0);
  push(IORING_OP_READ, 1);
  nop(2);
  EXPECT_EQ(submit(2), 2);  // 5.1 went on after a failed SQE
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EINVAL, 0}, {2, 0, 0}}));
}

TEST_F(Profile51, LinkFlagIsInvalid) {
  ASSERT_GE(setup(8), 0);
  nop(1, IOSQE_IO_LINK);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EINVAL, 0}}));
}

TEST_F(Profile51, FullCqDropsAndCounts) {
  ASSERT_GE(setup(1), 0);  // cq 2
  nop(1);
  submit(1);
  nop(2);
  submit(1);
  nop(3);
  submit(1);
  EXPECT_EQ(cq_overflow(), 1u);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 0, 0}, {2, 0, 0}}));
}

}  // namespace
}  // namespace uringsim::testing
