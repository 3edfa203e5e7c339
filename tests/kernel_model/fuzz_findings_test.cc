// The differential fuzz findings of issue #6 (`uringsim fuzz --differential --seed 3`),
// each pinned with the result Linux 6.18 gives (checked on the host by
// tests/differential/fuzz_findings_test.cc):
//  (a) PROVIDE_BUFFERS with nbufs 65536 and a first bid past 0 is -EINVAL (bids past
//      65535), not -E2BIG;
//  (b) a SEND_ZC that fails before its issue posts the pair still posts its result and
//      the notification: {res, F_MORE} for a bad fd or a prep error, {-ECANCELED, 0} when
//      its link failed (io_fail_links skips the op's fail hook), the notification alone
//      when that cancellation is silenced;
//  (c) SENDMSG with IOSQE_BUFFER_SELECT is -EOPNOTSUPP (before prep sees addr2);
//  (d) a huge msg_controllen is not looked at by prep: SENDMSG fails with -ENOBUFS at
//      issue (after the socket check), RECVMSG ignores it, and too many iovecs is
//      -EMSGSIZE first.
#include <cerrno>
#include <climits>
#include <cstring>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

constexpr uint64_t kData = 0x100000;  // 16 pages of user memory
constexpr uint64_t kHdr = 0x200000;   // msghdrs and iovecs
constexpr int kA = 10, kB = 11, kFileFd = 12;
constexpr uint32_t kMore = IORING_CQE_F_MORE, kNotif = IORING_CQE_F_NOTIF;
using C = RingFixture::SimpleCqe;

class FuzzFindingsTest : public RingFixture {
 public:
  FuzzFindingsTest() {
    memory.map(kData, 16 * 4096);
    memory.map(kHdr, 4096);
    auto [a, b] = FakeSocket::pair();
    sa = a;
    sb = b;
    files.fds[kA] = a;
    files.fds[kB] = b;
    files.add(kFileFd, std::make_shared<FakeFile>("file"));
    EXPECT_GE(setup(16), 0);
  }
  // A msghdr at kHdr + 256 with one iovec [kData, +len) (or `iovlen` copies of it).
  uint64_t msghdr(uint32_t len, uint64_t controllen, uint64_t iovlen = 1) {
    uint64_t iov[2] = {kData, len};
    memory.write(kHdr, iov, sizeof iov);
    uint64_t hdr[7] = {0, 0, kHdr, iovlen, kData + 8 * 4096, controllen, 0};
    memory.write(kHdr + 256, hdr, sizeof hdr);
    return kHdr + 256;
  }
  std::shared_ptr<FakeSocket> sa, sb;
};

TEST_F(FuzzFindingsTest, ProvideBuffersWithBidsPast65535IsEINVALAndTooManyBuffersIsE2BIG) {
  io_uring_sqe& s = op(IORING_OP_PROVIDE_BUFFERS, 1, 65536, kData, 16);
  s.off = 2;
  EXPECT_EQ(run(1), (std::vector<C>{{1, -EINVAL, 0}}));
  op(IORING_OP_PROVIDE_BUFFERS, 2, 65537, kData, 16);
  EXPECT_EQ(run(1), (std::vector<C>{{2, -E2BIG, 0}}));
  op(IORING_OP_PROVIDE_BUFFERS, 3, -1, kData, 16);  // sqe->fd is signed: (u64)-1
  EXPECT_EQ(run(1), (std::vector<C>{{3, -E2BIG, 0}}));
  io_uring_sqe& ok = op(IORING_OP_PROVIDE_BUFFERS, 4, 65536, kData, 1);
  ok.off = 0;
  EXPECT_EQ(run(1), (std::vector<C>{{4, 0, 0}}));
}

TEST_F(FuzzFindingsTest, SendZcOnABadFdPostsTheResultWithMoreAndTheNotification) {
  op(IORING_OP_SEND_ZC, 1, -1, kData, 8);
  op(IORING_OP_SEND_ZC, 2, 77, kData, 8);
  EXPECT_EQ(run(2), (std::vector<C>{{1, -EBADF, kMore}, {1, 0, kNotif}, {2, -EBADF, kMore}, {2, 0, kNotif}}));
}

TEST_F(FuzzFindingsTest, SendZcCancelledByItsLinkPostsTheResultWithoutMoreThenTheNotification) {
  io_uring_sqe& fail = op(IORING_OP_NOP, 1, -1, 0, static_cast<uint32_t>(-EIO), IOSQE_IO_LINK);
  fail.nop_flags = IORING_NOP_INJECT_RESULT;
  op(IORING_OP_SEND_ZC, 2, kA, kData, 8);
  EXPECT_EQ(run(2), (std::vector<C>{{1, -EIO, 0}, {2, -ECANCELED, 0}, {2, 0, kNotif}}));
  EXPECT_TRUE(sb->inbox.empty());
}

TEST_F(FuzzFindingsTest, SilencedCancellationOfASendZcStillPostsTheNotification) {
  // A failed request with CQE_SKIP_SUCCESS silences the rest of its link; the
  // notification is a CQE of its own and is posted anyway.
  io_uring_sqe& fail = op(IORING_OP_REMOVE_BUFFERS, 1, 0, 0, 0, IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS);
  fail.fd = 1;
  fail.off = 1;  // REMOVE_BUFFERS wants off 0: -EINVAL at prep
  op(IORING_OP_SEND_ZC, 2, kA, kData, 8, IOSQE_IO_LINK);
  op(IORING_OP_NOP, 3, -1, 0, 0);
  EXPECT_EQ(run(3), (std::vector<C>{{1, -EINVAL, 0}, {2, 0, kNotif}}));
}

TEST_F(FuzzFindingsTest, SendmsgWithBufferSelectIsEOPNOTSUPPBeforeAddr2IsChecked) {
  io_uring_sqe& s = op(IORING_OP_SENDMSG, 1, kA, msghdr(8, 0), 0, IOSQE_BUFFER_SELECT);
  s.addr2 = 8192;
  EXPECT_EQ(run(1), (std::vector<C>{{1, -EOPNOTSUPP, 0}}));
  io_uring_sqe& t = op(IORING_OP_SENDMSG, 2, kA, msghdr(8, 0), 0);
  t.addr2 = 8192;
  EXPECT_EQ(run(1), (std::vector<C>{{2, -EINVAL, 0}}));
}

TEST_F(FuzzFindingsTest, SendmsgWithAHugeControllenIsENOBUFSAtIssueAfterTheSocketCheck) {
  op(IORING_OP_SENDMSG, 1, kFileFd, msghdr(8, uint64_t{INT_MAX} + 1), 0);
  EXPECT_EQ(run(1), (std::vector<C>{{1, -ENOTSOCK, 0}}));
  op(IORING_OP_SENDMSG, 2, kA, msghdr(8, uint64_t{INT_MAX} + 1), 0);
  EXPECT_EQ(run(1), (std::vector<C>{{2, -ENOBUFS, 0}}));
  EXPECT_TRUE(sb->inbox.empty());
}

TEST_F(FuzzFindingsTest, RecvmsgIgnoresAHugeControllenButTooManyIovecsIsEMSGSIZE) {
  op(IORING_OP_RECVMSG, 1, kB, msghdr(8, uint64_t{1} << 40, 1025), 0);
  EXPECT_EQ(run(1), (std::vector<C>{{1, -EMSGSIZE, 0}}));
  sa->sock_send("hello", 5, 0, FakeSocket::Msg{});
  op(IORING_OP_RECVMSG, 2, kB, msghdr(8, uint64_t{1} << 40), 0);
  EXPECT_EQ(run(1), (std::vector<C>{{2, 5, 0}}));
  char got[5];
  memory.read(kData, got, 5);
  EXPECT_EQ(std::string(got, 5), "hello");
}

}  // namespace
}  // namespace uringsim::testing
