// io_uring_setup: validation, sizes and the ring layout, as Linux 6.18 returns them.
#include <cerrno>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

using RingSetup = RingFixture;

TEST_F(RingSetup, EightEntriesGivesLinuxOffsetsAndFeatures) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(params.sq_entries, 8u);
  EXPECT_EQ(params.cq_entries, 16u);
  // Spec A.4: the values Linux 6.18 writes for entries=8, flags=0.
  EXPECT_EQ(params.sq_off.head, 0u);
  EXPECT_EQ(params.sq_off.tail, 4u);
  EXPECT_EQ(params.sq_off.ring_mask, 16u);
  EXPECT_EQ(params.sq_off.ring_entries, 24u);
  EXPECT_EQ(params.sq_off.flags, 36u);
  EXPECT_EQ(params.sq_off.dropped, 32u);
  EXPECT_EQ(params.sq_off.array, 320u);
  EXPECT_EQ(params.sq_off.resv1, 0u);
  EXPECT_EQ(params.sq_off.user_addr, 0u);
  EXPECT_EQ(params.cq_off.head, 8u);
  EXPECT_EQ(params.cq_off.tail, 12u);
  EXPECT_EQ(params.cq_off.ring_mask, 20u);
  EXPECT_EQ(params.cq_off.ring_entries, 28u);
  EXPECT_EQ(params.cq_off.overflow, 44u);
  EXPECT_EQ(params.cq_off.cqes, 64u);
  EXPECT_EQ(params.cq_off.flags, 40u);
  // 0x3ffff less what is not simulated (profile.cc lists them).
  EXPECT_EQ(params.features, default_profile().features & default_profile().simulated_features);
  EXPECT_TRUE(params.features & IORING_FEAT_SINGLE_MMAP);
  EXPECT_TRUE(params.features & IORING_FEAT_NODROP);
  EXPECT_TRUE(params.features & IORING_FEAT_RSRC_TAGS);  // BUFFERS2 / BUFFERS_UPDATE with tags
  EXPECT_TRUE(params.features & IORING_FEAT_EXT_ARG);
  // Static words written into the shared ring.
  EXPECT_EQ(sq_word(params.sq_off.ring_mask), 7u);
  EXPECT_EQ(sq_word(params.sq_off.ring_entries), 8u);
  EXPECT_EQ(cq_word(params.cq_off.ring_mask), 15u);
  EXPECT_EQ(cq_word(params.cq_off.ring_entries), 16u);
}

TEST_F(RingSetup, ArrayOffsetFollowsTheCqes) {
  ASSERT_GE(setup(1), 0);
  EXPECT_EQ(params.sq_off.array, 128u);  // 64 + 2 x 16
}

TEST_F(RingSetup, ArrayOffsetFor4096Entries) {
  ASSERT_GE(setup(4096), 0);
  EXPECT_EQ(params.cq_entries, 8192u);
  EXPECT_EQ(params.sq_off.array, 131136u);
}

TEST_F(RingSetup, Cqe32DoublesCqeSpace) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_CQE32), 0);
  EXPECT_EQ(params.sq_off.array, 640u);
}

TEST_F(RingSetup, NoSqArrayReportsArrayZero) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_NO_SQARRAY), 0);
  EXPECT_EQ(params.sq_off.array, 0u);
}

TEST_F(RingSetup, EntriesRoundUpToPowerOfTwo) {
  ASSERT_GE(setup(3), 0);
  EXPECT_EQ(params.sq_entries, 4u);
  EXPECT_EQ(params.cq_entries, 8u);
}

TEST_F(RingSetup, ZeroEntriesIsEINVAL) { EXPECT_EQ(setup(0), -EINVAL); }

TEST_F(RingSetup, TooManyEntriesIsEINVALUnlessClamped) {
  EXPECT_EQ(setup(32769), -EINVAL);
  ASSERT_GE(setup_flags(32769, IORING_SETUP_CLAMP), 0);
  EXPECT_EQ(params.sq_entries, 32768u);
  EXPECT_EQ(params.cq_entries, 65536u);
}

TEST_F(RingSetup, CqSizeRules) {
  EXPECT_EQ(setup_flags(8, IORING_SETUP_CQSIZE, 0), -EINVAL);
  EXPECT_EQ(setup_flags(8, IORING_SETUP_CQSIZE, 4), -EINVAL);  // smaller than sq
  EXPECT_EQ(setup_flags(8, IORING_SETUP_CQSIZE, 65537), -EINVAL);
  ASSERT_GE(setup_flags(8, IORING_SETUP_CQSIZE, 9), 0);
  EXPECT_EQ(params.cq_entries, 16u);
  ASSERT_GE(setup_flags(8, IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP, 100000), 0);
  EXPECT_EQ(params.cq_entries, 65536u);
  // CLAMP does not rescue a CQ smaller than the SQ.
  EXPECT_EQ(setup_flags(40000, IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP, 1), -EINVAL);
}

TEST_F(RingSetup, CqEntriesInputIgnoredWithoutCqSize) {
  io_uring_params p{};
  p.cq_entries = 1000;
  ASSERT_GE(setup(8, p), 0);
  EXPECT_EQ(params.cq_entries, 16u);
}

TEST_F(RingSetup, NonZeroResvIsEINVAL) {
  io_uring_params p{};
  p.resv[1] = 1;
  EXPECT_EQ(setup(8, p), -EINVAL);
}

TEST_F(RingSetup, UnknownFlagIsEINVAL) {
  EXPECT_EQ(setup_flags(8, 1u << 19), -EINVAL);
  EXPECT_EQ(setup_flags(8, 1u << 31), -EINVAL);
}

TEST_F(RingSetup, FlagCombinationsAreEINVAL) {
  EXPECT_EQ(setup_flags(8, IORING_SETUP_TASKRUN_FLAG), -EINVAL);
  EXPECT_EQ(setup_flags(8, IORING_SETUP_REGISTERED_FD_ONLY), -EINVAL);
  EXPECT_EQ(setup_flags(8, IORING_SETUP_DEFER_TASKRUN), -EINVAL);
  EXPECT_EQ(setup_flags(8, IORING_SETUP_SQ_AFF), -EINVAL);
  EXPECT_EQ(setup_flags(8, IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED), -EINVAL);
}

TEST_F(RingSetup, ValidButNotSimulatedFlagSaysSo) {
  EXPECT_EQ(setup_flags(8, IORING_SETUP_SQPOLL), -EINVAL);
  EXPECT_NE(kernel.last_fault().reason.find("not simulated"), std::string::npos)
      << kernel.last_fault().reason;
}

TEST_F(RingSetup, NullParamsIsEFAULT) {
  EXPECT_EQ(kernel.setup(caller, 8, 0), -EFAULT);
  EXPECT_EQ(kernel.setup(caller, 8, 0xdead0000), -EFAULT);
}

TEST_F(RingSetup, FlagsEchoedBack) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_SUBMIT_ALL), 0);
  EXPECT_EQ(params.flags, IORING_SETUP_SUBMIT_ALL);
}

// Ring memory is charged to locked_vm on 6.18 (spec A.5).
TEST_F(RingSetup, RingPagesChargedWithoutCapIpcLock) {
  caller.creds.cap_ipc_lock = false;
  caller.creds.memlock_limit = 4096;
  EXPECT_EQ(setup(8), -ENOMEM);
  caller.creds.memlock_limit = 8192;
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(kernel.accounting().locked_pages(1000), 2u);
  kernel.destroy(ring);
  EXPECT_EQ(kernel.accounting().locked_pages(1000), 0u);
}

TEST_F(RingSetup, Ring1024NeedsExactly26Pages) {
  caller.creds.cap_ipc_lock = false;
  caller.creds.memlock_limit = 25 * 4096;
  EXPECT_EQ(setup(1024), -ENOMEM);
  caller.creds.memlock_limit = 26 * 4096;
  ASSERT_GE(setup(1024), 0);
  EXPECT_EQ(kernel.accounting().locked_pages(1000), 26u);
}

TEST_F(RingSetup, CapIpcLockChargesNoRingMemory) {
  caller.creds.cap_ipc_lock = true;
  caller.creds.memlock_limit = 0;
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(kernel.accounting().locked_pages(1000), 0u);
}

TEST_F(RingSetup, MmapOffsetsIgnoreLowBits) {
  ASSERT_GE(setup(8), 0);
  size_t len = 0;
  EXPECT_EQ(kernel.map(ring, 0x1000, &len), sq_ring);
  EXPECT_EQ(len, 4096u);
  EXPECT_EQ(kernel.map(ring, IORING_OFF_CQ_RING, &len), sq_ring);  // single mmap
  EXPECT_EQ(kernel.map(ring, 0x40000000, &len), nullptr);
  EXPECT_EQ(len, 0u);
}

}  // namespace
}  // namespace uringsim::testing
