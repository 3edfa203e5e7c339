// ChaosPolicy (kernel_model/chaos.h, docs/chaos.md): each injection with its exact
// result, where it must not apply, and the same seed giving the same decisions.
#include <cerrno>
#include <cstring>
#include <string>

#include "kernel_model/net.h"
#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

constexpr uint64_t kData = 0x100000;  // 16 pages of user memory
constexpr int kPipe = 10, kFile = 11, kA = 12, kB = 13;
using C = RingFixture::SimpleCqe;

class ChaosTest : public RingFixture {
 public:
  ChaosTest() {
    memory.map(kData, 16 * 4096);
    pipe = files.add(kPipe, std::make_shared<FakeFile>("0123456789", true, true, FileKind::kPipe));
    file = files.add(kFile, std::make_shared<FakeFile>("abcdefghij"));
    auto [a, b] = FakeSocket::pair();
    sa = a;
    sb = b;
    files.fds[kA] = a;
    files.fds[kB] = b;
    EXPECT_GE(setup(16), 0);
  }
  // Chaos with only the given rates (everything else 0).
  void chaos(ChaosConfig c) { kernel.chaos().configure(c); }
  std::shared_ptr<FakeFile> pipe, file;
  std::shared_ptr<FakeSocket> sa, sb;
};

ChaosConfig only(uint32_t ChaosConfig::*rate, uint32_t ppm = 1000000) {
  ChaosConfig c;
  c.seed = 7;
  c.*rate = ppm;
  return c;
}

TEST_F(ChaosTest, DisabledByDefaultAndDrawsNothing) {
  EXPECT_FALSE(kernel.chaos().enabled());
  op(IORING_OP_READ, 1, kPipe, kData, 10).off = ~0ull;
  EXPECT_EQ(run(1), (std::vector<C>{{1, 10, 0}}));
}

TEST_F(ChaosTest, ShortReadAndWriteOnAPipeMoveOnlyTheShortenedLength) {
  ChaosConfig c = only(&ChaosConfig::short_transfer_ppm);
  c.short_max_bytes = 1;  // every shortened transfer moves exactly 1 byte
  chaos(c);
  op(IORING_OP_READ, 1, kPipe, kData, 10).off = ~0ull;
  EXPECT_EQ(run(1), (std::vector<C>{{1, 1, 0}}));
  EXPECT_EQ(pipe->position, 1u);  // the rest is still in the pipe for the next read
  std::memcpy(memory.at(kData), "xyz", 3);
  op(IORING_OP_WRITE, 2, kPipe, kData, 3).off = ~0ull;
  EXPECT_EQ(run(1), (std::vector<C>{{2, 1, 0}}));
  EXPECT_EQ(kernel.chaos().counts().short_transfers, 2u);
}

TEST_F(ChaosTest, ShortReadvTrimsTheIovecs) {
  ChaosConfig c = only(&ChaosConfig::short_transfer_ppm);
  c.short_max_bytes = 1;
  chaos(c);
  uint64_t iov[4] = {kData + 100, 4, kData + 200, 6};
  memory.write(kData, iov, sizeof iov);
  op(IORING_OP_READV, 1, kPipe, kData, 2).off = ~0ull;
  EXPECT_EQ(run(1), (std::vector<C>{{1, 1, 0}}));
  char got = 0;
  memory.read(kData + 100, &got, 1);
  EXPECT_EQ(got, '0');
}

TEST_F(ChaosTest, RegularFilesAreNeverShortened) {
  chaos(only(&ChaosConfig::short_transfer_ppm));
  op(IORING_OP_READ, 1, kFile, kData, 10);
  EXPECT_EQ(run(1), (std::vector<C>{{1, 10, 0}}));
  EXPECT_EQ(kernel.chaos().counts().short_transfers, 0u);
}

TEST_F(ChaosTest, ShortSendOnAStreamSocketButNotWithWaitall) {
  ChaosConfig c = only(&ChaosConfig::short_transfer_ppm);
  c.short_max_bytes = 1;
  chaos(c);
  std::memcpy(memory.at(kData), "hello", 5);
  op(IORING_OP_SEND, 1, kA, kData, 5);
  EXPECT_EQ(run(1), (std::vector<C>{{1, 1, 0}}));
  EXPECT_EQ(sb->inbox, "h");
  op(IORING_OP_SEND, 2, kA, kData, 5).msg_flags = kMsgWaitall;
  EXPECT_EQ(run(1), (std::vector<C>{{2, 5, 0}}));
  EXPECT_EQ(sb->inbox, "hhello");
}

TEST_F(ChaosTest, EioOnlyForStorage) {
  chaos(only(&ChaosConfig::eio_ppm));
  op(IORING_OP_READ, 1, kFile, kData, 10);
  op(IORING_OP_FSYNC, 2, kFile, 0, 0);
  op(IORING_OP_READ, 3, kPipe, kData, 10).off = ~0ull;
  EXPECT_EQ(run(3), (std::vector<C>{{1, -EIO, 0}, {2, -EIO, 0}, {3, 10, 0}}));
  EXPECT_EQ(file->syncs, 0);  // injected instead of issued
  EXPECT_EQ(kernel.chaos().counts().eio, 2u);
}

TEST_F(ChaosTest, EnobufsForBufferSelectLeavesTheGroupAlone) {
  op(IORING_OP_PROVIDE_BUFFERS, 1, 1, kData, 64).buf_group = 3;  // before chaos: one buffer
  EXPECT_EQ(run(1), (std::vector<C>{{1, 0, 0}}));
  chaos(only(&ChaosConfig::enobufs_ppm));
  io_uring_sqe& r = op(IORING_OP_READ, 2, kFile, 0, 10, IOSQE_BUFFER_SELECT);
  r.buf_group = 3;
  EXPECT_EQ(run(1), (std::vector<C>{{2, -ENOBUFS, 0}}));
  op(IORING_OP_REMOVE_BUFFERS, 3, 1, 0, 0).buf_group = 3;  // the buffer is still there
  EXPECT_EQ(run(1), (std::vector<C>{{3, 1, 0}}));
}

TEST_F(ChaosTest, EagainOnlyWithMsgDontwait) {
  chaos(only(&ChaosConfig::eagain_ppm));
  std::memcpy(memory.at(kData), "hello", 5);
  op(IORING_OP_SEND, 1, kA, kData, 5).msg_flags = kMsgDontwait;
  op(IORING_OP_SEND, 2, kA, kData, 5);
  EXPECT_EQ(run(2), (std::vector<C>{{1, -EAGAIN, 0}, {2, 5, 0}}));
  EXPECT_EQ(sb->inbox, "hello");
}

TEST_F(ChaosTest, ReorderPostsIndependentCompletionsAfterTheBatchButKeepsLinkOrder) {
  chaos(only(&ChaosConfig::reorder_ppm));
  nop(1);
  nop(2, IOSQE_IO_LINK);
  nop(3);
  // 1 is held back; 2 is in a link and posts inline; 3 (its successor) runs from task
  // work after 1 was queued, and is held back once more.
  EXPECT_EQ(run(3), (std::vector<C>{{2, 0, 0}, {1, 0, 0}, {3, 0, 0}}));
  EXPECT_EQ(kernel.chaos().counts().reordered, 2u);
}

TEST_F(ChaosTest, LatencyIsChargedToTheModelClock) {
  nop(1);
  run(1);
  const uint64_t plain = kernel.last_call_model_ns();
  ChaosConfig c = only(&ChaosConfig::latency_ppm);
  c.latency_ns = 5000;
  chaos(c);
  nop(2);
  run(1);
  EXPECT_EQ(kernel.last_call_model_ns(), plain + 5000);
}

// A mixed workload: the decisions are a function of the seed and the requests.
std::vector<C> mixed(uint64_t seed) {
  struct Run : ChaosTest {
    void TestBody() override {}
  } t;
  ChaosConfig c;
  c.seed = seed;
  c.short_transfer_ppm = c.reorder_ppm = c.eio_ppm = 400000;
  t.chaos(c);
  std::vector<C> all;
  for (int round = 0; round < 8; ++round) {
    t.pipe->position = 0;
    t.op(IORING_OP_READ, 1, kPipe, kData, 10).off = ~0ull;
    t.op(IORING_OP_READ, 2, kFile, kData + 64, 10);
    t.nop(3);
    t.nop(4);
    for (const C& x : t.run(4)) all.push_back(x);
  }
  return all;
}

TEST(ChaosDeterminism, SameSeedSameDecisionsOtherSeedOtherDecisions) {
  EXPECT_EQ(mixed(1), mixed(1));
  EXPECT_NE(mixed(1), mixed(2));
}

}  // namespace
}  // namespace uringsim::testing
