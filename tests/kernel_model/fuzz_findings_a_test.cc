// Differential fuzz findings of issue #6, part A (`uringsim fuzz --differential --seed 1`),
// each pinned with the result Linux 6.18 gives on the host:
//  (a) draining (io_uring.c io_queue_deferred) lets a deferred request go only when every
//      allocated request is a deferred one. A zero-copy send's notification is a request
//      from prep on, so a SEND_ZC that is deferred -- with IOSQE_IO_DRAIN itself, or
//      queued behind a drain -- never issues, and everything queued after it waits too:
//      Linux posts no CQE for them while the ring lives (seed 1: 53, 529, 692, 944, ...);
//  (b) draining stays on after the drained requests ran: the next request is still
//      deferred (and let go at once), only then does the ring stop draining;
//  (c) a single-shot read or write that moves fewer bytes than asked for is
//      req_set_fail (rw.c __io_complete_rw_common): it posts its CQE despite
//      IOSQE_CQE_SKIP_SUCCESS and cancels its link (seed 1: 499, 544, 1714);
//  (d) SEND/SENDMSG/RECV/RECVMSG keep len in an int: 2 GiB or more fails prep with
//      -EINVAL, which ends the batch (seed 1: 221); SEND_ZC has no such check, and
//      RECV/RECVMSG also refuse a file_index.
#include <cerrno>
#include <cstring>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

constexpr uint64_t kData = 0x100000;  // 4 pages of user memory
constexpr int kSock = 10, kPeer = 11, kFileFd = 12;
using C = RingFixture::SimpleCqe;

class FuzzFindingsATest : public RingFixture {
 public:
  FuzzFindingsATest() {
    memory.map(kData, 4 * 4096);
    auto [a, b] = FakeSocket::pair();
    sock = a;
    peer = b;
    files.fds[kSock] = a;
    files.fds[kPeer] = b;
    file = files.add(kFileFd, std::make_shared<FakeFile>("0123456789"));
    EXPECT_GE(setup(8), 0);
  }
  std::shared_ptr<FakeSocket> sock, peer;
  std::shared_ptr<FakeFile> file;
};

TEST_F(FuzzFindingsATest, DrainedSendZcNeverIssuesAndHoldsBackWhatFollows) {
  op(IORING_OP_SEND_ZC, 1, kSock, kData, 8, IOSQE_IO_DRAIN);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{}));
  // Queued behind it: never let go either, in this call or a later one.
  nop(2);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(enter(0, 0, IORING_ENTER_GETEVENTS).ret, 0);
  EXPECT_EQ(reap(), (std::vector<C>{}));
  EXPECT_TRUE(peer->inbox.empty());
  // A request that fails its prep is not deferred: it still completes.
  io_uring_sqe& bad = nop(3);
  bad.ioprio = 1;
  EXPECT_EQ(run(1), (std::vector<C>{{3, -EINVAL, 0}}));
}

TEST_F(FuzzFindingsATest, SendZcQueuedBehindADrainThatFailedItsPrepNeverIssues) {
  // The drain flag turns draining on before prep fails (io_init_drain), so the
  // SEND_ZC after it is deferred, and its own notification keeps it there.
  io_uring_sqe& bad = nop(1, IOSQE_IO_DRAIN);
  bad.ioprio = 1;
  op(IORING_OP_SEND_ZC, 2, kSock, kData, 8);
  EXPECT_EQ(submit(2), 1);  // the failed prep ends the batch
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EINVAL, 0}}));
  EXPECT_EQ(enter(0, 0, IORING_ENTER_GETEVENTS).ret, 0);
  EXPECT_EQ(reap(), (std::vector<C>{}));
}

TEST_F(FuzzFindingsATest, SendZcQueuedBehindADrainedWriteHoldsTheWriteToo) {
  // The SEND_ZC behind the drained WRITE is deferred with its notification, which is
  // allocated but not deferred: the WRITE never finds the ring idle (seed 1: 95).
  nop(1);
  io_uring_sqe& w = op(IORING_OP_WRITE, 2, kFileFd, kData, 16, IOSQE_IO_DRAIN);
  w.off = 0;
  op(IORING_OP_SEND_ZC, 3, kSock, kData, 8);
  EXPECT_EQ(run(3), (std::vector<C>{{1, 0, 0}}));
  EXPECT_EQ(enter(0, 0, IORING_ENTER_GETEVENTS).ret, 0);
  EXPECT_EQ(reap(), (std::vector<C>{}));
  EXPECT_EQ(file->data, "0123456789");
}

TEST_F(FuzzFindingsATest, SendZcWithoutDrainStillPostsResultAndNotification) {
  op(IORING_OP_SEND_ZC, 1, kFileFd, kData, 8);
  EXPECT_EQ(run(1), (std::vector<C>{{1, -ENOTSOCK, IORING_CQE_F_MORE}, {1, 0, IORING_CQE_F_NOTIF}}));
}

TEST_F(FuzzFindingsATest, DrainWaitsForEarlierRequestsThenRunsInOrder) {
  nop(1);
  nop(2, IOSQE_IO_DRAIN);
  nop(3);
  EXPECT_EQ(run(3), (std::vector<C>{{1, 0, 0}, {2, 0, 0}, {3, 0, 0}}));
  // Still draining: the next request goes through the deferred list (after the
  // inline one of its batch), and only then does draining end.
  nop(4);
  nop(5);
  EXPECT_EQ(run(2), (std::vector<C>{{5, 0, 0}, {4, 0, 0}}));
  nop(6);
  nop(7);
  EXPECT_EQ(run(2), (std::vector<C>{{6, 0, 0}, {7, 0, 0}}));
}

TEST_F(FuzzFindingsATest, ShortReadPostsDespiteCqeSkipSuccess) {
  io_uring_sqe& r = op(IORING_OP_READ, 1, kFileFd, kData, 64, IOSQE_CQE_SKIP_SUCCESS);
  r.off = 4;
  EXPECT_EQ(run(1), (std::vector<C>{{1, 6, 0}}));
  io_uring_sqe& eof = op(IORING_OP_READ, 2, kFileFd, kData, 8, IOSQE_CQE_SKIP_SUCCESS);
  eof.off = 1ull << 62;
  EXPECT_EQ(run(1), (std::vector<C>{{2, 0, 0}}));
  // The full length: a success, skipped.
  io_uring_sqe& full = op(IORING_OP_READ, 3, kFileFd, kData, 10, IOSQE_CQE_SKIP_SUCCESS);
  full.off = 0;
  EXPECT_EQ(run(1), (std::vector<C>{}));
  EXPECT_EQ(user_bytes(kData, 10), "0123456789");
}

TEST_F(FuzzFindingsATest, ShortReadCancelsItsLinkAndAFullOneDoesNot) {
  io_uring_sqe& r = op(IORING_OP_READ, 1, kFileFd, kData, 64, IOSQE_IO_LINK);
  r.off = 0;
  nop(2);
  EXPECT_EQ(run(2), (std::vector<C>{{1, 10, 0}, {2, -ECANCELED, 0}}));
  io_uring_sqe& full = op(IORING_OP_READ, 3, kFileFd, kData, 10, IOSQE_IO_LINK);
  full.off = 0;
  nop(4);
  EXPECT_EQ(run(2), (std::vector<C>{{3, 10, 0}, {4, 0, 0}}));
}

TEST_F(FuzzFindingsATest, ShortWritevCancelsItsLink) {
  // Two iovecs, the second ending past the mapped memory: the write stops there.
  const uint64_t iov[4] = {kData, 16, kData + 4 * 4096 - 8, 64};
  memory.write(kData + 4096, iov, sizeof iov);
  io_uring_sqe& w = op(IORING_OP_WRITEV, 1, kFileFd, kData + 4096, 2, IOSQE_IO_LINK);
  w.off = 0;
  nop(2);
  EXPECT_EQ(run(2), (std::vector<C>{{1, 24, 0}, {2, -ECANCELED, 0}}));
}

TEST_F(FuzzFindingsATest, SendAndReceiveWithANegativeIntLenFailPrepAndEndTheBatch) {
  op(IORING_OP_RECVMSG, 1, kFileFd, kData, 0x80000000u);
  nop(2);
  EXPECT_EQ(submit(2), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EINVAL, 0}}));
  EXPECT_EQ(submit(1), 1);  // the NOP is still queued
  EXPECT_EQ(reap(), (std::vector<C>{{2, 0, 0}}));
  op(IORING_OP_SEND, 3, kSock, kData, 0xffffffffu);
  EXPECT_EQ(run(1), (std::vector<C>{{3, -EINVAL, 0}}));
  op(IORING_OP_RECV, 4, kSock, kData, 0x80000000u);
  EXPECT_EQ(run(1), (std::vector<C>{{4, -EINVAL, 0}}));
  op(IORING_OP_SENDMSG, 5, kSock, kData, 0x80000000u);
  EXPECT_EQ(run(1), (std::vector<C>{{5, -EINVAL, 0}}));
  // io_recvmsg_prep also refuses a file_index (a direct descriptor slot).
  io_uring_sqe& slot = op(IORING_OP_RECVMSG, 8, kFileFd, kData, 16);
  slot.file_index = 1;
  EXPECT_EQ(run(1), (std::vector<C>{{8, -EINVAL, 0}}));
  // Just below 2 GiB the prep passes; the non-socket is found at issue.
  op(IORING_OP_RECVMSG, 6, kFileFd, kData, 0x7ffff000u);
  EXPECT_EQ(run(1), (std::vector<C>{{6, -ENOTSOCK, 0}}));
  op(IORING_OP_SEND_ZC, 7, kFileFd, kData, 0x80000000u);
  EXPECT_EQ(run(1), (std::vector<C>{{7, -ENOTSOCK, IORING_CQE_F_MORE}, {7, 0, IORING_CQE_F_NOTIF}}));
}

}  // namespace
}  // namespace uringsim::testing
