// SEND/RECV/SENDMSG/RECVMSG/SEND_ZC/SENDMSG_ZC on an in-memory socket pair (spec F):
// provided buffers, bundles, multishot, the two-CQE zero-copy protocol, FIXED_BUF, and
// the RFC profile's provided registered buffers (spec F.4).
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "kernel_model/net.h"
#include "tests/kernel_model/ring_fixture.h"

// The model spells out the msg_flags bits it uses instead of including <sys/socket.h>.
static_assert(uringsim::kMsgCtrunc == MSG_CTRUNC && uringsim::kMsgTrunc == MSG_TRUNC &&
              uringsim::kMsgDontwait == MSG_DONTWAIT && uringsim::kMsgWaitall == MSG_WAITALL &&
              uringsim::kMsgNosignal == MSG_NOSIGNAL && uringsim::kMsgZerocopy == MSG_ZEROCOPY);

namespace uringsim::testing {
namespace {

constexpr uint64_t kArg = 0x20000;
constexpr uint64_t kData = 0x100000;  // 16 pages of user memory
constexpr uint64_t kRing = 0x200000;  // buffer ring
constexpr uint64_t kReg = 0x300000;   // registered buffer: 4 pages
constexpr int kA = 10, kB = 11, kFileFd = 12;
constexpr uint32_t kSel = IORING_CQE_F_BUFFER, kMore = IORING_CQE_F_MORE, kNotif = IORING_CQE_F_NOTIF;

using C = RingFixture::SimpleCqe;
uint32_t bid(uint16_t b) { return uint32_t{b} << IORING_CQE_BUFFER_SHIFT; }

const Profile& rfc() { return *find_profile("rfc-provided-registered"); }

class NetTest : public RingFixture {
 public:
  explicit NetTest(const Profile& p = default_profile()) : RingFixture(p) {
    memory.map(kArg, 4096);
    memory.map(kData, 16 * 4096);
    memory.map(kRing, 4096);
    memory.map(kReg, 4 * 4096);
    auto [a, b] = FakeSocket::pair();
    sa = a;
    sb = b;
    files.fds[kA] = a;
    files.fds[kB] = b;
    files.add(kFileFd, std::make_shared<FakeFile>("file"));
    EXPECT_GE(setup(16), 0);
  }
  void put(uint64_t addr, const std::string& s) { memory.write(addr, s.data(), s.size()); }
  // A buffer ring for group `bgid` with `n` buffers of `size` at kData, bids from `first`.
  void ring_of(uint16_t bgid, uint32_t n, uint32_t size, uint16_t first = 0, uint64_t base = kData) {
    io_uring_buf_reg r{};
    r.ring_addr = kRing;
    r.ring_entries = 16;
    r.bgid = bgid;
    memory.write(kArg, &r, sizeof r);
    ASSERT_EQ(kernel.do_register(caller, kRingFd, IORING_REGISTER_PBUF_RING, kArg, 1), 0);
    std::byte* ring = memory.at(kRing);
    for (uint32_t i = 0; i < n; ++i) {
      io_uring_buf e{base + uint64_t{i} * size, size, static_cast<uint16_t>(first + i), 0};
      std::memcpy(ring + 16 * i, &e, 14);
    }
    uint16_t tail = static_cast<uint16_t>(n);
    std::memcpy(ring + 14, &tail, 2);
  }
  void ring_entry(uint32_t slot, uint64_t addr, uint32_t len, uint16_t b) {
    io_uring_buf e{addr, len, b, 0};
    std::memcpy(memory.at(kRing) + 16 * slot, &e, 14);
  }
  void register_buffer() {
    uint64_t iov[2] = {kReg, 4 * 4096};
    memory.write(kArg, iov, sizeof iov);
    ASSERT_EQ(kernel.do_register(caller, kRingFd, IORING_REGISTER_BUFFERS, kArg, 1), 0);
  }
  std::shared_ptr<FakeSocket> sa, sb;
};

TEST_F(NetTest, SendThenRecvMovesTheBytes) {
  put(kData, "hello world");
  op(IORING_OP_SEND, 1, kA, kData, 11);
  op(IORING_OP_RECV, 2, kB, kData + 4096, 100);
  EXPECT_EQ(run(2), (std::vector<C>{{1, 11, 0}, {2, 11, 0}}));
  EXPECT_EQ(user_bytes(kData + 4096, 11), "hello world");
}

TEST_F(NetTest, RecvOnAnEmptySocketParksUntilDataArrives) {
  op(IORING_OP_RECV, 1, kB, kData, 100);
  EXPECT_EQ(submit(1), 1);
  EXPECT_TRUE(reap().empty());
  sb->inbox = "late";
  kernel.progress(caller, ring, false);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 4, 0}}));
}

TEST_F(NetTest, NonSocketIsENOTSOCKAndPlainSendRefusesFixedBuf) {
  op(IORING_OP_SEND, 1, kFileFd, kData, 4);
  EXPECT_EQ(run(1), (std::vector<C>{{1, -ENOTSOCK, 0}}));
  op(IORING_OP_SEND, 2, kA, kData, 4).ioprio = IORING_RECVSEND_FIXED_BUF;
  EXPECT_EQ(run(1), (std::vector<C>{{2, -EINVAL, 0}}));
  op(IORING_OP_RECV, 3, kB, kData, 4).ioprio = IORING_RECVSEND_FIXED_BUF;
  EXPECT_EQ(run(1), (std::vector<C>{{3, -EINVAL, 0}}));
}

TEST_F(NetTest, RecvWithProvidedBufferReportsTheBidAndSockNonempty) {
  ring_of(1, 2, 4, 50);
  sb->inbox = "abcdefgh!";
  op(IORING_OP_RECV, 1, kB, 0, 0, IOSQE_BUFFER_SELECT).buf_group = 1;
  EXPECT_EQ(run(1), (std::vector<C>{{1, 4, kSel | bid(50) | IORING_CQE_F_SOCK_NONEMPTY}}));
  EXPECT_EQ(user_bytes(kData, 4), "abcd");
}

TEST_F(NetTest, SendBundleTakesEveryBufferWithLenZero) {
  ring_of(2, 4, 100);
  op(IORING_OP_SEND, 1, kA, 0, 0, IOSQE_BUFFER_SELECT).buf_group = 2;
  sqes[0].ioprio = IORING_RECVSEND_BUNDLE;
  EXPECT_EQ(run(1), (std::vector<C>{{1, 400, kSel | bid(0)}}));
  EXPECT_EQ(sb->inbox.size(), 400u);
}

TEST_F(NetTest, SendBundleLenCapsEachPassAndPostsMore) {
  ring_of(2, 4, 100, 4);
  op(IORING_OP_SEND, 1, kA, 0, 250, IOSQE_BUFFER_SELECT).buf_group = 2;
  sqes[0].ioprio = IORING_RECVSEND_BUNDLE;
  EXPECT_EQ(run(1), (std::vector<C>{{1, 200, kSel | bid(4) | kMore}, {1, 200, kSel | bid(6)}}));
}

TEST_F(NetTest, SendBundleOnlyTheFirstPassIsCappedByLen) {
  ring_of(2, 6, 100, 10);
  op(IORING_OP_SEND, 1, kA, 0, 150, IOSQE_BUFFER_SELECT).buf_group = 2;
  sqes[0].ioprio = IORING_RECVSEND_BUNDLE;
  EXPECT_EQ(run(1), (std::vector<C>{{1, 100, kSel | bid(10) | kMore}, {1, 500, kSel | bid(11)}}));
}

TEST_F(NetTest, BundleWithoutBufferSelectStillEndsWithAZeroPass) {
  // 6.18 [V]: the bundle loop runs on; the second pass has nothing left to send.
  put(kData, "xyz");
  op(IORING_OP_SEND, 1, kA, kData, 3).ioprio = IORING_RECVSEND_BUNDLE;
  EXPECT_EQ(run(1), (std::vector<C>{{1, 3, kMore}, {1, 0, 0}}));
}

TEST_F(NetTest, RecvBundleFillsSeveralBuffersIntoOneCqe) {
  ring_of(3, 8, 64, 100);
  sb->inbox = std::string(300, 'q');
  op(IORING_OP_RECV, 1, kB, 0, 0, IOSQE_BUFFER_SELECT).buf_group = 3;
  sqes[0].ioprio = IORING_RECVSEND_BUNDLE;
  EXPECT_EQ(run(1), (std::vector<C>{{1, 256, kSel | bid(100) | IORING_CQE_F_SOCK_NONEMPTY}}));
}

TEST_F(NetTest, MultishotRecvEndsWithENOBUFSWithoutMore) {
  ring_of(4, 2, 8, 0);
  sb->inbox = "0123456789abcdefXYZ";
  op(IORING_OP_RECV, 1, kB, 0, 0, IOSQE_BUFFER_SELECT).buf_group = 4;
  sqes[0].ioprio = IORING_RECV_MULTISHOT;
  EXPECT_EQ(run(1), (std::vector<C>{{1, 8, kSel | bid(0) | kMore | IORING_CQE_F_SOCK_NONEMPTY},
                                    {1, 8, kSel | bid(1) | kMore | IORING_CQE_F_SOCK_NONEMPTY},
                                    {1, -ENOBUFS, 0}}));
  op(IORING_OP_RECV, 2, kB, 0, 0).ioprio = IORING_RECV_MULTISHOT;  // needs BUFFER_SELECT
  EXPECT_EQ(run(1), (std::vector<C>{{2, -EINVAL, 0}}));
}

TEST_F(NetTest, SendZcPostsResultWithMoreThenTheNotification) {
  put(kData, "zerocopy");
  op(IORING_OP_SEND_ZC, 1, kA, kData, 8);
  op(IORING_OP_SEND_ZC, 2, kA, kData, 8).ioprio = IORING_SEND_ZC_REPORT_USAGE;
  EXPECT_EQ(run(2), (std::vector<C>{{1, 8, kMore}, {1, 0, kNotif}, {2, 8, kMore},
                                    {2, static_cast<int32_t>(IORING_NOTIF_USAGE_ZC_COPIED), kNotif}}));
}

TEST_F(NetTest, SendZcErrorsBeforeTheNotificationExistGiveOneCqe) {
  op(IORING_OP_SEND_ZC, 1, kA, kData, 8, IOSQE_BUFFER_SELECT);
  EXPECT_EQ(run(1), (std::vector<C>{{1, -EOPNOTSUPP, 0}}));
  op(IORING_OP_SEND_ZC, 2, kA, kData, 8, IOSQE_CQE_SKIP_SUCCESS);
  EXPECT_EQ(run(1), (std::vector<C>{{2, -EINVAL, 0}}));
}

TEST_F(NetTest, SendZcErrorsAfterTheNotificationExistsGiveTwoCqes) {
  // Prep failures (each ends its batch, as any failed SQE does).
  op(IORING_OP_SEND_ZC, 1, kA, kData, 8).ioprio = IORING_RECVSEND_BUNDLE;
  EXPECT_EQ(run(1), (std::vector<C>{{1, -EINVAL, kMore}, {1, 0, kNotif}}));
  op(IORING_OP_SEND_ZC, 2, kA, kData, 8).ioprio = 1 << 7;
  EXPECT_EQ(run(1), (std::vector<C>{{2, -EINVAL, kMore}, {2, 0, kNotif}}));
  // Issue failures.
  op(IORING_OP_SEND_ZC, 3, kFileFd, kData, 8);
  op(IORING_OP_SEND_ZC, 4, kA, kData, 8).ioprio = IORING_RECVSEND_FIXED_BUF;  // no table
  EXPECT_EQ(run(2), (std::vector<C>{{3, -ENOTSOCK, kMore}, {3, 0, kNotif}, {4, -EFAULT, kMore}, {4, 0, kNotif}}));
}

TEST_F(NetTest, SendZcOnAUnixSocketIsEOPNOTSUPP) {
  sa->zc = false;
  op(IORING_OP_SEND_ZC, 1, kA, kData, 8);
  EXPECT_EQ(run(1), (std::vector<C>{{1, -EOPNOTSUPP, kMore}, {1, 0, kNotif}}));
}

TEST_F(NetTest, SendZcFromARegisteredBuffer) {
  register_buffer();
  put(kReg + 100, "fixed!");
  io_uring_sqe& s = op(IORING_OP_SEND_ZC, 1, kA, kReg + 100, 6);
  s.ioprio = IORING_RECVSEND_FIXED_BUF;
  io_uring_sqe& bad = op(IORING_OP_SEND_ZC, 2, kA, kReg + 4 * 4096 - 2, 6);
  bad.ioprio = IORING_RECVSEND_FIXED_BUF;
  io_uring_sqe& idx = op(IORING_OP_SEND_ZC, 3, kA, kReg, 6);
  idx.ioprio = IORING_RECVSEND_FIXED_BUF;
  idx.buf_index = 1;
  EXPECT_EQ(run(3), (std::vector<C>{{1, 6, kMore}, {1, 0, kNotif}, {2, -EFAULT, kMore}, {2, 0, kNotif},
                                    {3, -EFAULT, kMore}, {3, 0, kNotif}}));
  EXPECT_EQ(sb->inbox, "fixed!");
}

TEST_F(NetTest, SendmsgAndRecvmsgCarryIovecs) {
  put(kData, "ab");
  put(kData + 16, "cde");
  uint64_t iov[4] = {kData, 2, kData + 16, 3};
  memory.write(kArg, iov, sizeof iov);
  uint64_t hdr[7] = {0, 0, kArg, 2, 0, 0, 0};
  memory.write(kArg + 256, hdr, sizeof hdr);
  op(IORING_OP_SENDMSG, 1, kA, kArg + 256, 0);
  uint64_t riov[2] = {kData + 4096, 100};
  memory.write(kArg + 512, riov, sizeof riov);
  uint64_t rhdr[7] = {0, 0, kArg + 512, 1, 0, 0, 0};
  memory.write(kArg + 768, rhdr, sizeof rhdr);
  op(IORING_OP_RECVMSG, 2, kB, kArg + 768, 0);
  EXPECT_EQ(run(2), (std::vector<C>{{1, 5, 0}, {2, 5, 0}}));
  EXPECT_EQ(user_bytes(kData + 4096, 5), "abcde");
}

TEST_F(NetTest, WaitallSendKeepsGoingAfterAShortSend) {
  sa->capacity = 4;  // the peer's queue takes 4 bytes at a time
  put(kData, "0123456789");
  op(IORING_OP_SEND, 1, kA, kData, 10).msg_flags = MSG_WAITALL;
  EXPECT_EQ(submit(1), 1);
  EXPECT_TRUE(reap().empty());
  std::string got = sb->inbox;
  sb->inbox.clear();
  kernel.progress(caller, ring, false);
  got += sb->inbox;
  sb->inbox.clear();
  kernel.progress(caller, ring, false);
  got += sb->inbox;
  EXPECT_EQ(reap(), (std::vector<C>{{1, 10, 0}}));
  EXPECT_EQ(got, "0123456789");
}

class RfcNetTest : public NetTest {
 public:
  RfcNetTest() : NetTest(rfc()) {}
  // A SEND_ZC picking from group 5 with BUFFER_SELECT + FIXED_BUF.
  io_uring_sqe& zc_select(uint64_t ud, uint32_t len = 0, uint16_t extra = 0) {
    io_uring_sqe& s = op(IORING_OP_SEND_ZC, ud, kA, 0, len, IOSQE_BUFFER_SELECT);
    s.buf_group = 5;
    s.ioprio = IORING_RECVSEND_FIXED_BUF | extra;
    return s;
  }
};

uint64_t enc(uint64_t offset, uint32_t index) { return offset << 32 | index; }

TEST_F(RfcNetTest, ProvidedBufferAddrEncodesRegisteredBufferAndOffset) {
  register_buffer();
  put(kReg + 4096, "registered");
  ring_of(5, 0, 0);
  ring_entry(0, enc(4096, 0), 10, 33);
  uint16_t tail = 1;
  std::memcpy(memory.at(kRing) + 14, &tail, 2);
  zc_select(1);
  EXPECT_EQ(run(1), (std::vector<C>{{1, 10, kSel | bid(33) | kMore}, {1, 0, kNotif}}));
  EXPECT_EQ(sb->inbox, "registered");
}

TEST_F(RfcNetTest, EncodedIndexOffsetAndLengthAreValidated) {
  register_buffer();
  ring_of(5, 0, 0);
  ring_entry(0, enc(0, 1), 10, 1);              // index 1: only buffer 0 exists
  ring_entry(1, enc(4 * 4096, 0), 10, 2);       // offset == buffer length
  ring_entry(2, enc(4 * 4096 - 4, 0), 10, 3);   // offset + len runs past the end
  uint16_t tail = 3;
  std::memcpy(memory.at(kRing) + 14, &tail, 2);
  zc_select(1);
  zc_select(2);
  zc_select(3);
  EXPECT_EQ(run(3), (std::vector<C>{{1, -EFAULT, kSel | bid(1) | kMore}, {1, 0, kNotif},
                                    {2, -EFAULT, kSel | bid(2) | kMore}, {2, 0, kNotif},
                                    {3, -EOVERFLOW, kSel | bid(3) | kMore}, {3, 0, kNotif}}));
}

TEST_F(RfcNetTest, BundleOfProvidedBuffersInOneZeroCopySend) {
  ring_of(5, 3, 100, 7);
  zc_select(1, 0, IORING_RECVSEND_BUNDLE).ioprio = IORING_RECVSEND_BUNDLE;  // plain memory
  EXPECT_EQ(run(1), (std::vector<C>{{1, 300, kSel | bid(7) | kMore}, {1, 0, kNotif}}));
}

TEST(RfcProfile, OnlyTheRfcProfileLetsSendZcSelectBuffers) {
  for (const Profile& p : all_profiles()) {
    EXPECT_EQ(p.rfc_provided_registered, p.name == "rfc-provided-registered") << p.name;
  }
  EXPECT_EQ(rfc().rfc_regbuf_index_bits, 32);
  EXPECT_EQ(default_profile().name, "6.18");
}

}  // namespace
}  // namespace uringsim::testing
