// IORING_OP_READ_MULTISHOT (49, Linux 6.7) with provided buffers (spec E.3; io_uring/rw.c
// io_read_mshot_prep, io_read_mshot): one buffer per CQE with F_MORE, parking while the
// pipe is empty, ending on EOF, an error or -ENOBUFS without F_MORE.
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

constexpr uint64_t kBufs = 0x100000;  // provided buffer memory
constexpr int kFileFd = 5;
constexpr int kPipeFd = 6;
constexpr uint32_t kSel = IORING_CQE_F_BUFFER;
constexpr uint32_t kMore = IORING_CQE_F_MORE;

using C = RingFixture::SimpleCqe;

uint32_t bid(uint16_t b) { return uint32_t{b} << IORING_CQE_BUFFER_SHIFT; }

// A pipe whose writer can be closed: reads then return 0 (EOF) and poll says POLLHUP.
class ClosablePipe : public FakePipe {
 public:
  ssize_t read(void* buf, size_t len, int64_t off) override {
    if (data.empty() && closed) return 0;
    return FakePipe::read(buf, len, off);
  }
  uint32_t poll(uint32_t events) override {
    return FakePipe::poll(events) | (closed ? 0x010u : 0u);
  }
  bool closed = false;
};

class ReadMultishotTest : public RingFixture {
 public:
  ReadMultishotTest() {
    memory.map(kBufs, 16 * 4096);
    files.add(kFileFd, std::make_shared<FakeFile>("regular file contents"));
    pipe = std::make_shared<ClosablePipe>();
    files.fds[kPipeFd] = pipe;
    EXPECT_GE(setup(16), 0);
  }
  void provide(int nbufs, uint32_t len, uint16_t first_bid, uint16_t bgid) {
    io_uring_sqe& s = push(IORING_OP_PROVIDE_BUFFERS, 999);
    s.fd = nbufs;
    s.addr = kBufs + uint64_t{first_bid} * len;
    s.len = len;
    s.off = first_bid;
    s.buf_group = bgid;
    EXPECT_EQ(submit(1), 1);
    EXPECT_EQ(reap(), (std::vector<C>{{999, 0, 0}}));
  }
  io_uring_sqe& mshot(uint64_t ud, int fd, uint16_t bgid, uint8_t flags = IOSQE_BUFFER_SELECT) {
    io_uring_sqe& s = push(IORING_OP_READ_MULTISHOT, ud, flags);
    s.fd = fd;
    s.buf_group = bgid;
    return s;
  }
  void progress() { kernel.progress(caller, ring, false); }
  std::shared_ptr<ClosablePipe> pipe;
};

TEST_F(ReadMultishotTest, EachReadTakesABufferAndPostsWithMore) {
  provide(4, 8, 0, 1);
  pipe->data = "0123456789abcdefXYZ";  // 19 bytes: 8 + 8 + 3
  mshot(1, kPipeFd, 1);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 8, kMore | kSel | bid(0)},
                                    {1, 8, kMore | kSel | bid(1)},
                                    {1, 3, kMore | kSel | bid(2)}}));
  EXPECT_EQ(user_bytes(kBufs, 19), "0123456789abcdefXYZ");
  // Parked with buffer 3 still in the group; more data wakes it and takes the last
  // buffer. The drained pipe parks it again: no -ENOBUFS until the pipe is ready.
  pipe->data = "more";
  progress();
  EXPECT_EQ(reap(), (std::vector<C>{{1, 4, kMore | kSel | bid(3)}}));
  pipe->closed = true;  // POLLHUP wakes it; the buffer pick comes before the read
  progress();
  EXPECT_EQ(reap(), (std::vector<C>{{1, -ENOBUFS, 0}}));
}

TEST_F(ReadMultishotTest, RunningOutOfBuffersEndsWithENOBUFS) {
  provide(2, 4, 0, 1);
  pipe->data = "abcdefghij";
  mshot(1, kPipeFd, 1);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 4, kMore | kSel | bid(0)},
                                    {1, 4, kMore | kSel | bid(1)},
                                    {1, -ENOBUFS, 0}}));
  EXPECT_EQ(pipe->data, "ij");  // what was not read stays in the pipe
}

TEST_F(ReadMultishotTest, NoBufferAtAllIsENOBUFSAtOnce) {
  mshot(1, kPipeFd, 7);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -ENOBUFS, 0}}));
}

TEST_F(ReadMultishotTest, EmptyPipeParksAndGivesTheBufferBack) {
  provide(1, 16, 0, 1);
  mshot(1, kPipeFd, 1);
  EXPECT_EQ(submit(1), 1);
  EXPECT_TRUE(reap().empty());
  // The parked read does not hold the only buffer: a plain READ can take it.
  files.add(kFileFd + 10, std::make_shared<FakeFile>("file"));
  io_uring_sqe& r = push(IORING_OP_READ, 2, IOSQE_BUFFER_SELECT);
  r.fd = kFileFd + 10;
  r.buf_group = 1;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{2, 4, kSel | bid(0)}}));
  // Now the pipe gets data, but the group is empty.
  pipe->data = "x";
  progress();
  EXPECT_EQ(reap(), (std::vector<C>{{1, -ENOBUFS, 0}}));
}

TEST_F(ReadMultishotTest, EofEndsWithResZeroAndNoBuffer) {
  provide(3, 8, 0, 1);
  pipe->data = "abc";
  mshot(1, kPipeFd, 1);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 3, kMore | kSel | bid(0)}}));
  pipe->closed = true;
  progress();
  EXPECT_EQ(reap(), (std::vector<C>{{1, 0, 0}}));
  // The buffer the EOF read picked went back: bid 1 is next.
  io_uring_sqe& r = push(IORING_OP_READ, 2, IOSQE_BUFFER_SELECT);
  r.fd = kFileFd;
  r.buf_group = 1;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{2, 8, kSel | bid(1)}}));
}

TEST_F(ReadMultishotTest, PrepChecks) {
  provide(1, 8, 0, 1);
  mshot(1, kPipeFd, 1, 0);  // no IOSQE_BUFFER_SELECT
  EXPECT_EQ(submit(1), 1);
  mshot(2, kPipeFd, 1).len = 8;
  EXPECT_EQ(submit(1), 1);
  mshot(3, kPipeFd, 1).addr = kBufs;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EINVAL, 0}, {2, -EINVAL, 0}, {3, -EINVAL, 0}}));
}

TEST_F(ReadMultishotTest, RegularFileIsEBADFD) {
  provide(1, 8, 0, 1);
  mshot(1, kFileFd, 1);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EBADFD, 0}}));
}

TEST_F(ReadMultishotTest, CancelEndsAParkedRead) {
  provide(1, 8, 0, 1);
  mshot(1, kPipeFd, 1);
  EXPECT_EQ(submit(1), 1);
  io_uring_sqe& c = push(IORING_OP_ASYNC_CANCEL, 2);
  c.addr = 1;
  EXPECT_EQ(submit(1), 1);
  // The cancel completes inline; the cancelled read's CQE follows from task work.
  EXPECT_EQ(reap(), (std::vector<C>{{2, 0, 0}, {1, -ECANCELED, 0}}));
}

TEST_F(ReadMultishotTest, BufferRingBuffersAreCommittedPerCqe) {
  constexpr uint64_t kRing = 0x200000;
  memory.map(kRing, 4096);
  io_uring_buf_reg reg{};
  reg.ring_addr = kRing;
  reg.ring_entries = 4;
  reg.bgid = 3;
  memory.map(0x30000, 4096);
  memory.write(0x30000, &reg, sizeof reg);
  ASSERT_EQ(kernel.do_register(caller, kRingFd, IORING_REGISTER_PBUF_RING, 0x30000, 1), 0);
  for (uint16_t i = 0; i < 2; ++i) {
    io_uring_buf e{kBufs + 64 * i, 5, static_cast<uint16_t>(10 + i), 0};
    memory.write(kRing + 16 * i, &e, 14);
  }
  const uint16_t tail = 2;
  memory.write(kRing + 14, &tail, 2);
  pipe->data = "hello world!";
  mshot(1, kPipeFd, 3);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 5, kMore | kSel | bid(10)},
                                    {1, 5, kMore | kSel | bid(11)},
                                    {1, -ENOBUFS, 0}}));
  EXPECT_EQ(user_bytes(kBufs, 5) + user_bytes(kBufs + 64, 5), "hello worl");
  EXPECT_EQ(pipe->data, "d!");
}

}  // namespace
}  // namespace uringsim::testing
