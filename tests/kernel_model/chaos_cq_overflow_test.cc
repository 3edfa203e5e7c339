// Forced CQ overflow (ChaosConfig::cq_overflow_ppm, docs/chaos.md): a CQE takes
// Linux's CQ-full path while the CQ has room, and from there on everything is the
// ring's ordinary overflow machinery -- IORING_SQ_CQ_OVERFLOW, later CQEs queued
// behind, a flush on GETEVENTS, cq_overflow untouched with IORING_FEAT_NODROP and
// counting drops without it.
#include <poll.h>

#include <cerrno>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

using C = RingFixture::SimpleCqe;
constexpr uint32_t kAlways = 1000000;

ChaosConfig overflow_at(uint32_t ppm, uint64_t seed = 7) {
  ChaosConfig c;
  c.seed = seed;
  c.cq_overflow_ppm = ppm;
  return c;
}

std::vector<C> numbered(uint64_t first, uint64_t last) {
  std::vector<C> out;
  for (uint64_t i = first; i <= last; ++i) out.push_back({i, 0, 0});
  return out;
}

class ChaosCqOverflow : public RingFixture {
 public:
  size_t backlog() { return kernel.context(ring)->ring().overflow_backlog(); }
  const ChaosCounts& counts() { return kernel.chaos().counts(); }
  void getevents() { EXPECT_EQ(enter(0, 0, IORING_ENTER_GETEVENTS).ret, 0); }
};

TEST_F(ChaosCqOverflow, ForcedCqeSetsOnlyTheOverflowFlagAndWaitsForGetevents) {
  ASSERT_GE(setup(4), 0);  // 4 SQ entries, 8 CQ entries: plenty of room
  kernel.chaos().configure(overflow_at(kAlways));
  nop(1);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(cq_tail(), 0u);  // not in the CQ the application sees
  EXPECT_EQ(sq_flags(), static_cast<uint32_t>(IORING_SQ_CQ_OVERFLOW));
  EXPECT_EQ(backlog(), 1u);
  EXPECT_EQ(cq_overflow(), 0u);  // NODROP: nothing was lost, nothing is counted
  EXPECT_EQ(counts().cq_overflows, 1u);
  getevents();
  EXPECT_EQ(reap(), numbered(1, 1));
  EXPECT_EQ(sq_flags(), 0u);
  EXPECT_EQ(backlog(), 0u);
  EXPECT_EQ(cq_overflow(), 0u);
}

TEST_F(ChaosCqOverflow, LaterCqesQueueBehindTheBacklogAndFlushInOrder) {
  ASSERT_GE(setup(4), 0);
  kernel.chaos().configure(overflow_at(kAlways));
  for (uint64_t i = 1; i <= 3; ++i) nop(i);
  EXPECT_EQ(submit(3), 3);
  // Only the first was diverted; 2 and 3 went behind it although the CQ had room,
  // as Linux keeps order (io_cqe_cache_refill refuses while the backlog exists).
  EXPECT_EQ(counts().cq_overflows, 1u);
  EXPECT_EQ(backlog(), 3u);
  EXPECT_EQ(cq_tail(), 0u);
  nop(4);
  EXPECT_EQ(submit(1), 1);  // a plain submit does not flush on 6.18
  EXPECT_TRUE(reap().empty());
  EXPECT_EQ(backlog(), 4u);
  getevents();
  EXPECT_EQ(reap(), numbered(1, 4));
  EXPECT_EQ(sq_flags(), 0u);
  EXPECT_EQ(cq_overflow(), 0u);
  EXPECT_EQ(counts().cq_overflows, 1u);
}

TEST_F(ChaosCqOverflow, FlushMovesOnlyWhatFitsAndTheFlagStaysUntilTheBacklogIsEmpty) {
  ASSERT_GE(setup_flags(2, IORING_SETUP_CQSIZE, 2), 0);  // a 2-entry CQ
  nop(1);
  EXPECT_EQ(run(1), numbered(1, 1));
  nop(2);
  EXPECT_EQ(submit(1), 1);  // 2 sits in the CQ, unreaped
  kernel.chaos().configure(overflow_at(kAlways));
  for (uint64_t i = 3; i <= 4; ++i) nop(i);
  EXPECT_EQ(submit(2), 2);  // 3 diverted with one free slot, 4 behind it
  EXPECT_EQ(backlog(), 2u);
  getevents();  // one slot free: 3 moves, 4 stays
  EXPECT_EQ(sq_flags(), static_cast<uint32_t>(IORING_SQ_CQ_OVERFLOW));
  EXPECT_EQ(reap(), (std::vector<C>{{2, 0, 0}, {3, 0, 0}}));
  EXPECT_EQ(backlog(), 1u);
  getevents();
  EXPECT_EQ(reap(), numbered(4, 4));
  EXPECT_EQ(sq_flags(), 0u);
  EXPECT_EQ(cq_overflow(), 0u);
}

// A partial rate: the CQEs before the first diversion are in the CQ at once, the
// rest after GETEVENTS, and the application sees all of them in submission order.
TEST_F(ChaosCqOverflow, PartialRateSplitsTheBatchAtTheFirstDiversion) {
  ASSERT_GE(setup(16), 0);
  kernel.chaos().configure(overflow_at(250000, 11));
  for (uint64_t i = 1; i <= 16; ++i) nop(i);
  EXPECT_EQ(submit(16), 16);
  const std::vector<C> before = reap();
  EXPECT_EQ(counts().cq_overflows, 1u);
  EXPECT_EQ(backlog(), 16u - before.size());
  // seed 11: the overflow stream rolls miss, miss, miss, hit (below 250000 of 10^6).
  EXPECT_EQ(before, numbered(1, 3));
  getevents();
  EXPECT_EQ(reap(), numbered(4, 16));
  EXPECT_EQ(sq_flags(), 0u);
}

TEST_F(ChaosCqOverflow, RateZeroNeverDiverts) {
  ASSERT_GE(setup(8), 0);
  kernel.chaos().configure(overflow_at(0));
  for (uint64_t i = 1; i <= 8; ++i) nop(i);
  EXPECT_EQ(run(8), numbered(1, 8));
  EXPECT_EQ(sq_flags(), 0u);
  EXPECT_EQ(counts().cq_overflows, 0u);
}

// The overflow decisions come from their own stream: switching cq_overflow on
// leaves the order reordering produces exactly as it was.
TEST_F(ChaosCqOverflow, OverflowDecisionsDoNotMoveTheOtherInjections) {
  ASSERT_GE(setup(16), 0);
  // configure() restarts the streams: the same 16 NOPs twice, from the same seed.
  auto order_under = [this](const ChaosConfig& config) {
    kernel.chaos().configure(config);
    for (uint64_t i = 1; i <= 16; ++i) nop(i);
    EXPECT_EQ(submit(16), 16);
    getevents();
    return reap();
  };
  ChaosConfig reorder;
  reorder.seed = 5;
  reorder.reorder_ppm = 500000;
  ChaosConfig both = reorder;
  both.cq_overflow_ppm = 500000;
  const std::vector<C> plain = order_under(reorder);
  ASSERT_EQ(plain.size(), 16u);
  EXPECT_NE(plain, numbered(1, 16));  // reordering did something
  EXPECT_EQ(order_under(both), plain);
  EXPECT_GE(counts().cq_overflows, 1u);
}

// Multishot CQEs (IORING_CQE_F_MORE) are never forced: Linux's io_req_post_cqe does
// not overflow them. The request's final CQE is.
TEST_F(ChaosCqOverflow, MultishotMoreCqesAreNotDivertedButTheFinalCqeIs) {
  ASSERT_GE(setup(8), 0);
  auto pipe_end = files.add(7, std::make_shared<FakeFile>("", true, true, FileKind::kPipe));
  pipe_end->ready = 0;
  io_uring_sqe& p = push(IORING_OP_POLL_ADD, 1);
  p.fd = 7;
  p.poll32_events = POLLIN;
  p.len = IORING_POLL_ADD_MULTI;
  EXPECT_EQ(submit(1), 1);
  kernel.chaos().configure(overflow_at(kAlways));
  pipe_end->ready = POLLIN;
  kernel.progress(caller, ring, false);
  EXPECT_EQ(reap(), (std::vector<C>{{1, POLLIN, IORING_CQE_F_MORE}}));
  EXPECT_EQ(sq_flags(), 0u);
  EXPECT_EQ(counts().cq_overflows, 0u);
  io_uring_sqe& r = push(IORING_OP_POLL_REMOVE, 2);
  r.addr = 1;
  EXPECT_EQ(submit(1), 1);
  EXPECT_TRUE(reap().empty());
  EXPECT_EQ(counts().cq_overflows, 1u);
  getevents();
  EXPECT_EQ(reap(), (std::vector<C>{{2, 0, 0}, {1, -ECANCELED, 0}}));
}

// An auxiliary CQE (io_post_aux_cqe on Linux) can be forced too: MSG_RING's CQE in the
// target ring goes to that ring's overflow list, and the sender's own CQE to its own.
TEST_F(ChaosCqOverflow, MsgRingCqeInTheTargetRingIsForcedLikeAnyOther) {
  ASSERT_GE(setup(4), 0);
  io_uring_params tp{};
  memory.write(kParamsAddr + 512, &tp, sizeof tp);
  const int64_t t = kernel.setup(caller, 4, kParamsAddr + 512);
  ASSERT_GE(t, 0);
  const RingId target = static_cast<RingId>(t);
  files.add(101, std::make_shared<FakeFile>("", true, true, FileKind::kRing, target));
  kernel.chaos().configure(overflow_at(kAlways));
  io_uring_sqe& m = push(IORING_OP_MSG_RING, 1);
  m.fd = 101;
  m.addr = IORING_MSG_DATA;
  m.off = 0xabc;
  m.len = 77;
  EXPECT_EQ(submit(1), 1);
  const Ring& tr = kernel.context(target)->ring();
  EXPECT_EQ(tr.overflow_backlog(), 1u);
  EXPECT_EQ(tr.cq_tail(), 0u);
  EXPECT_EQ(tr.sq_flags(), static_cast<uint32_t>(IORING_SQ_CQ_OVERFLOW));
  EXPECT_EQ(backlog(), 1u);  // the sender's CQE {1, 0}
  EXPECT_EQ(counts().cq_overflows, 2u);
  getevents();
  EXPECT_EQ(reap(), (std::vector<C>{{1, 0, 0}}));
  EXPECT_EQ(tr.overflow_backlog(), 1u);  // the sender's GETEVENTS flushes only its own ring
}

// Linux 5.6 has IORING_FEAT_NODROP and refuses to submit while a backlog cannot be
// flushed (-EBUSY). A forced overflow always leaves room, so the flush at submit
// empties the backlog and the submit goes ahead.
class On56 : public RingFixture {
 public:
  On56() : RingFixture(*find_profile("5.6")) {}
};

TEST_F(On56, ForcedOverflowKeepsTheCqeAndTheNextSubmitFlushesIt) {
  ASSERT_GE(setup(4), 0);
  kernel.chaos().configure(overflow_at(kAlways));
  nop(1);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(sq_flags(), static_cast<uint32_t>(IORING_SQ_CQ_OVERFLOW));
  EXPECT_EQ(cq_tail(), 0u);
  nop(2);
  EXPECT_EQ(submit(1), 1);  // not -EBUSY: the flush found room
  EXPECT_EQ(reap(), numbered(1, 1));
  EXPECT_EQ(sq_flags(), static_cast<uint32_t>(IORING_SQ_CQ_OVERFLOW));  // 2 was forced in turn
  EXPECT_EQ(enter(0, 0, IORING_ENTER_GETEVENTS).ret, 0);
  EXPECT_EQ(reap(), numbered(2, 2));
  EXPECT_EQ(cq_overflow(), 0u);
}

// Linux 5.1 has no IORING_FEAT_NODROP: a CQE that finds the CQ full is dropped and
// counted in cq_overflow, and no flag tells the application.
class On51 : public RingFixture {
 public:
  On51() : RingFixture(*find_profile("5.1")) {}
};

TEST_F(On51, ForcedOverflowDropsTheCqeAndCountsIt) {
  ASSERT_GE(setup(4), 0);
  kernel.chaos().configure(overflow_at(kAlways));
  for (uint64_t i = 1; i <= 3; ++i) nop(i);
  EXPECT_EQ(submit(3), 3);
  EXPECT_EQ(cq_overflow(), 3u);  // no backlog to queue behind: each one is forced
  EXPECT_EQ(sq_flags(), 0u);
  EXPECT_EQ(enter(0, 0, IORING_ENTER_GETEVENTS).ret, 0);
  EXPECT_TRUE(reap().empty());
  EXPECT_EQ(kernel.chaos().counts().cq_overflows, 3u);
  kernel.chaos().configure(overflow_at(0));
  nop(4);
  EXPECT_EQ(run(1), numbered(4, 4));
  EXPECT_EQ(cq_overflow(), 3u);
}

}  // namespace
}  // namespace uringsim::testing
