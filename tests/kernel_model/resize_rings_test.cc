// IORING_REGISTER_RESIZE_RINGS (kernel_model/resize.h): which rings and flags Linux
// accepts, what goes back in the params, and that pending SQEs and unreaped CQEs
// survive the move at the same positions.
#include <gtest/gtest.h>

#include <cerrno>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

constexpr uint64_t kResizeParams = 0x20000;
constexpr uint32_t kDeferTaskrun = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;

class ResizeRingsTest : public RingFixture {
 protected:
  ResizeRingsTest() { memory.map(kResizeParams, 4096); }

  // REGISTER_RESIZE_RINGS with `rp`; on success the fixture follows the ring to its
  // new memory (as a client re-mmaps).
  int64_t resize(io_uring_params rp, uint32_t nr_args = 1) {
    memory.write(kResizeParams, &rp, sizeof rp);
    const int64_t r = kernel.do_register(caller, kRingFd, IORING_REGISTER_RESIZE_RINGS, kResizeParams, nr_args);
    memory.read(kResizeParams, &written_back, sizeof written_back);
    if (r == 0) {
      const uint32_t array = RingLayout::compute(kernel.profile(), written_back.sq_entries, written_back.cq_entries,
                                                 params.flags).sq_off.array;
      params.sq_entries = written_back.sq_entries;
      params.cq_entries = written_back.cq_entries;
      params.sq_off = written_back.sq_off;
      params.sq_off.array = array;
      params.cq_off = written_back.cq_off;
      size_t len = 0;
      sq_ring = kernel.map(ring, IORING_OFF_SQ_RING, &len);
      cq_ring = kernel.map(ring, IORING_OFF_CQ_RING, &len);
      sqes = reinterpret_cast<io_uring_sqe*>(kernel.map(ring, IORING_OFF_SQES, &len));
    }
    return r;
  }
  static io_uring_params sizes(uint32_t sq, uint32_t cq = 0, uint32_t flags = 0) {
    io_uring_params rp{};
    rp.sq_entries = sq;
    rp.cq_entries = cq;
    rp.flags = flags | (cq != 0 ? IORING_SETUP_CQSIZE : 0);
    return rp;
  }

  io_uring_params written_back{};
};

TEST_F(ResizeRingsTest, OnlyDeferTaskrunRingsResizeEINVAL) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(resize(sizes(16)), -EINVAL);
  EXPECT_NE(kernel.last_fault().reason.find("DEFER_TASKRUN"), std::string::npos) << kernel.last_fault().reason;
}

TEST_F(ResizeRingsTest, ArgumentChecksInLinuxOrder) {
  ASSERT_GE(setup_flags(8, kDeferTaskrun), 0);
  EXPECT_EQ(resize(sizes(16), /*nr_args=*/0), -EINVAL);
  EXPECT_EQ(kernel.do_register(caller, kRingFd, IORING_REGISTER_RESIZE_RINGS, 0, 1), -EINVAL);
  EXPECT_EQ(kernel.do_register(caller, kRingFd, IORING_REGISTER_RESIZE_RINGS, 0x999000, 1), -EFAULT);
  EXPECT_EQ(resize(sizes(16, 0, IORING_SETUP_SQE128)), -EINVAL);
  EXPECT_EQ(resize(sizes(0)), -EINVAL);
  EXPECT_EQ(resize(sizes(40000)), -EINVAL);
  EXPECT_EQ(resize(sizes(16, 8)), -EINVAL);  // cq below sq
  // The reserved words are not looked at.
  io_uring_params rp = sizes(16);
  rp.resv[0] = 1;
  EXPECT_EQ(resize(rp), 0);
}

TEST_F(ResizeRingsTest, WritesBackSizesAndOffsetsButNotTheArrayOffset) {
  ASSERT_GE(setup_flags(8, kDeferTaskrun), 0);
  io_uring_params rp = sizes(5, 100);
  rp.sq_off.array = 999;
  rp.sq_off.user_addr = 123;  // not a NO_MMAP ring: zeroed
  rp.features = 77;           // untouched
  ASSERT_EQ(resize(rp), 0);
  EXPECT_EQ(written_back.sq_entries, 8u);
  EXPECT_EQ(written_back.cq_entries, 128u);
  EXPECT_EQ(written_back.flags, uint32_t{IORING_SETUP_CQSIZE});
  EXPECT_EQ(written_back.sq_off.array, 999u);
  EXPECT_EQ(written_back.sq_off.user_addr, 0u);
  EXPECT_EQ(written_back.features, 77u);
  EXPECT_EQ(written_back.sq_off.tail, 4u);
  EXPECT_EQ(written_back.cq_off.cqes, 64u);
  EXPECT_EQ(sq_word(params.sq_off.ring_entries), 8u);
  EXPECT_EQ(cq_word(params.cq_off.ring_entries), 128u);
  EXPECT_EQ(cq_word(params.cq_off.ring_mask), 127u);
}

TEST_F(ResizeRingsTest, ClampLimitsBothRings) {
  ASSERT_GE(setup_flags(8, kDeferTaskrun), 0);
  ASSERT_EQ(resize(sizes(40000, 0, IORING_SETUP_CLAMP)), 0);
  EXPECT_EQ(written_back.sq_entries, 32768u);
  EXPECT_EQ(written_back.cq_entries, 65536u);
}

TEST_F(ResizeRingsTest, PendingCqesAndSqesMoveToTheNewRings) {
  ASSERT_GE(setup_flags(8, kDeferTaskrun | IORING_SETUP_NO_SQARRAY), 0);
  for (uint64_t i = 1; i <= 6; ++i) nop(i);
  ASSERT_EQ(submit(6), 6);
  // Consume two, leave four in the CQ; queue two SQEs without submitting.
  cq_head() += 2;
  nop(7);
  nop(8);
  ASSERT_EQ(resize(sizes(16, 64)), 0);
  EXPECT_EQ(sq_head(), 6u);
  EXPECT_EQ(sq_tail(), 8u);
  EXPECT_EQ(cq_head(), 2u);
  EXPECT_EQ(cq_tail(), 6u);
  EXPECT_EQ(sq_flags(), uint32_t{IORING_SQ_TASKRUN | IORING_SQ_NEED_WAKEUP});
  ASSERT_EQ(submit(2), 2);
  const std::vector<SimpleCqe> want = {{3, 0, 0}, {4, 0, 0}, {5, 0, 0}, {6, 0, 0}, {7, 0, 0}, {8, 0, 0}};
  EXPECT_EQ(reap(), want);
}

TEST_F(ResizeRingsTest, TooManyPendingCqesIsEOVERFLOWAndTheOldRingStays) {
  ASSERT_GE(setup_flags(8, kDeferTaskrun, 16), 0);
  for (uint64_t i = 1; i <= 8; ++i) nop(i);
  ASSERT_EQ(submit(8), 8);
  EXPECT_EQ(resize(sizes(2)), -EOVERFLOW);  // 8 CQEs, 4 new CQ entries
  EXPECT_EQ(cq_word(params.cq_off.ring_entries), 16u);
  EXPECT_EQ(reap().size(), 8u);
  nop(9);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<SimpleCqe>{{9, 0, 0}}));
}

TEST_F(ResizeRingsTest, TooManyPendingSqesIsEOVERFLOW) {
  ASSERT_GE(setup_flags(8, kDeferTaskrun), 0);
  for (uint64_t i = 1; i <= 4; ++i) nop(i);
  EXPECT_EQ(resize(sizes(2)), -EOVERFLOW);
  EXPECT_EQ(sq_word(params.sq_off.ring_entries), 8u);
}

TEST_F(ResizeRingsTest, MemlockFollowsTheNewRingSize) {
  caller.creds.cap_ipc_lock = false;
  ASSERT_GE(setup_flags(8, kDeferTaskrun), 0);
  const uint64_t before = kernel.accounting().locked_pages(caller.creds.uid);
  EXPECT_EQ(before, 2u);  // one page of rings, one of SQEs
  ASSERT_EQ(resize(sizes(256)), 0);
  // 64 + 16 * 512 bytes of CQEs + the 1 KiB SQ array: 3 pages; 256 SQEs: 4 pages.
  EXPECT_EQ(kernel.accounting().locked_pages(caller.creds.uid), 7u);
  // A limit below what the new rings need: ENOMEM, the old charge stays.
  caller.creds.memlock_limit = 8 * kPageSize;
  EXPECT_EQ(resize(sizes(1024)), -ENOMEM);
  EXPECT_EQ(kernel.accounting().locked_pages(caller.creds.uid), 7u);
  kernel.destroy(ring);
  EXPECT_EQ(kernel.accounting().locked_pages(caller.creds.uid), 0u);
}

TEST_F(ResizeRingsTest, NotInProfilesBefore613) {
  // 6.12's IORING_REGISTER_LAST stops before RESIZE_RINGS.
  const Profile* p612 = find_profile("6.12");
  ASSERT_NE(p612, nullptr);
  EXPECT_LE(p612->register_op_last, uint32_t{IORING_REGISTER_RESIZE_RINGS});
  const Profile* p613 = find_profile("6.13");
  ASSERT_NE(p613, nullptr);
  EXPECT_GT(p613->register_op_last, uint32_t{IORING_REGISTER_MEM_REGION});
}

}  // namespace
}  // namespace uringsim::testing
