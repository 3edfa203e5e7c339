// READV_FIXED (60) / WRITEV_FIXED (61), Linux 6.15+: an iovec array whose entries must
// all lie inside the one registered buffer `buf_index` names (spec C.4; io_uring/rw.c
// io_prep_readv_fixed, io_uring/rsrc.c io_import_reg_vec).
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

constexpr uint64_t kIovArray = 0x20000;
constexpr uint64_t kBuf = 0x1000000;    // registered buffer 0: 4 pages
constexpr uint64_t kBuf1 = 0x2000000;   // registered buffer 1: 1 page
constexpr uint64_t kPlain = 0x3000000;  // ordinary user memory
constexpr int kFileFd = 5;
constexpr int kReadOnlyFd = 6;
constexpr int kPipeFd = 7;

using C = RingFixture::SimpleCqe;

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

class VectoredFixedTest : public RingFixture {
 public:
  VectoredFixedTest() {
    memory.map(kIovArray, 64 << 10);
    memory.map(kBuf, 4 * 4096);
    memory.map(kBuf1, 4096);
    memory.map(kPlain, 4096);
    file = files.add(kFileFd, std::make_shared<FakeFile>(pattern(20000)));
    files.add(kReadOnlyFd, std::make_shared<FakeFile>("read only", true, false));
    pipe = std::make_shared<FakePipe>();
    files.fds[kPipeFd] = pipe;
    EXPECT_GE(setup(8), 0);
  }
  int64_t register_buffers() {
    uint64_t iov[4] = {kBuf, 4 * 4096, kBuf1, 4096};
    memory.write(kIovArray + 0x8000, iov, sizeof iov);
    return kernel.do_register(caller, kRingFd, IORING_REGISTER_BUFFERS, kIovArray + 0x8000, 2);
  }
  void put_iovecs(const std::vector<std::pair<uint64_t, uint64_t>>& v) {
    for (size_t i = 0; i < v.size(); ++i) {
      uint64_t pair[2] = {v[i].first, v[i].second};
      memory.write(kIovArray + 16 * i, pair, sizeof pair);
    }
  }
  io_uring_sqe& vec(uint8_t op, uint64_t ud, int fd, uint32_t nr, uint64_t off, uint16_t buf_index = 0) {
    io_uring_sqe& s = push(op, ud);
    s.fd = fd;
    s.addr = kIovArray;
    s.len = nr;
    s.off = off;
    s.buf_index = buf_index;
    return s;
  }
  std::shared_ptr<FakeFile> file;
  std::shared_ptr<FakePipe> pipe;
};

TEST_F(VectoredFixedTest, ReadvFixedScattersIntoTheRegisteredBuffer) {
  ASSERT_EQ(register_buffers(), 0);
  put_iovecs({{kBuf + 100, 10}, {kBuf + 4096, 5}, {kBuf, 3}});
  vec(IORING_OP_READV_FIXED, 1, kFileFd, 3, 0);
  EXPECT_EQ(run_one(), (C{1, 18, 0}));
  EXPECT_EQ(user_bytes(kBuf + 100, 10), "abcdefghij");
  EXPECT_EQ(user_bytes(kBuf + 4096, 5), "klmno");
  EXPECT_EQ(user_bytes(kBuf, 3), "pqr");
}

TEST_F(VectoredFixedTest, WritevFixedGathersFromTheRegisteredBuffer) {
  ASSERT_EQ(register_buffers(), 0);
  memory.write(kBuf1, "hello world", 11);
  put_iovecs({{kBuf1 + 6, 5}, {kBuf1 + 5, 1}, {kBuf1, 5}});
  vec(IORING_OP_WRITEV_FIXED, 1, kFileFd, 3, 0, 1);
  EXPECT_EQ(run_one(), (C{1, 11, 0}));
  EXPECT_EQ(file->data.substr(0, 11), "world hello");
}

TEST_F(VectoredFixedTest, EveryMissOfTheBufferIsEFAULT) {
  // No table at all.
  put_iovecs({{kBuf, 10}});
  vec(IORING_OP_READV_FIXED, 1, kFileFd, 1, 0);
  EXPECT_EQ(run_one(), (C{1, -EFAULT, 0}));
  ASSERT_EQ(register_buffers(), 0);
  vec(IORING_OP_READV_FIXED, 2, kFileFd, 1, 0, 2);  // index beyond the table
  EXPECT_EQ(run_one(), (C{2, -EFAULT, 0}));
  // The second iovec leaves buffer 0 by one byte.
  put_iovecs({{kBuf, 10}, {kBuf + 4 * 4096 - 9, 10}});
  vec(IORING_OP_READV_FIXED, 3, kFileFd, 2, 0);
  EXPECT_EQ(run_one(), (C{3, -EFAULT, 0}));
  // An iovec in buffer 1 while buf_index names buffer 0: one buffer per request.
  put_iovecs({{kBuf, 10}, {kBuf1, 10}});
  vec(IORING_OP_READV_FIXED, 4, kFileFd, 2, 0);
  EXPECT_EQ(run_one(), (C{4, -EFAULT, 0}));
  // Ordinary user memory.
  put_iovecs({{kPlain, 10}});
  vec(IORING_OP_WRITEV_FIXED, 5, kFileFd, 1, 0);
  EXPECT_EQ(run_one(), (C{5, -EFAULT, 0}));
  // Nothing was written by the failed requests.
  EXPECT_EQ(file->data, pattern(20000));
}

TEST_F(VectoredFixedTest, ZeroLengthIovecIsEFAULTEvenInsideTheBuffer) {
  ASSERT_EQ(register_buffers(), 0);
  put_iovecs({{kBuf, 10}, {kBuf + 20, 0}});
  vec(IORING_OP_READV_FIXED, 1, kFileFd, 2, 0);
  EXPECT_EQ(run_one(), (C{1, -EFAULT, 0}));
}

TEST_F(VectoredFixedTest, ZeroIovecsReadNothing) {
  ASSERT_EQ(register_buffers(), 0);
  vec(IORING_OP_READV_FIXED, 1, kFileFd, 0, 0);
  EXPECT_EQ(run_one(), (C{1, 0, 0}));
}

TEST_F(VectoredFixedTest, IovecsMayOverlap) {
  ASSERT_EQ(register_buffers(), 0);
  memory.write(kBuf1, "xy", 2);
  put_iovecs({{kBuf1, 2}, {kBuf1, 2}, {kBuf1 + 1, 1}});
  vec(IORING_OP_WRITEV_FIXED, 1, kFileFd, 3, 0, 1);
  EXPECT_EQ(run_one(), (C{1, 5, 0}));
  EXPECT_EQ(file->data.substr(0, 5), "xyxyy");
}

TEST_F(VectoredFixedTest, TotalOverMaxRwCountIsEINVALAfterTheRangeChecks) {
  constexpr uint64_t kBig = 0x40000000;  // a 4 MiB buffer
  memory.map(kBig, 4 << 20);
  uint64_t reg[2] = {kBig, 4 << 20};
  memory.write(kIovArray + 0x8000, reg, sizeof reg);
  ASSERT_EQ(kernel.do_register(caller, kRingFd, IORING_REGISTER_BUFFERS, kIovArray + 0x8000, 1), 0);
  // 1024 x 4 MiB = 4 GiB > MAX_RW_COUNT.
  std::vector<std::pair<uint64_t, uint64_t>> v(1024, {kBig, 4 << 20});
  put_iovecs(v);
  vec(IORING_OP_READV_FIXED, 1, kFileFd, 1024, 0);
  EXPECT_EQ(run_one(), (C{1, -EINVAL, 0}));
  // A zero-length last entry is found first: -EFAULT, not -EINVAL.
  v.back().second = 0;
  put_iovecs(v);
  vec(IORING_OP_READV_FIXED, 2, kFileFd, 1024, 0);
  EXPECT_EQ(run_one(), (C{2, -EFAULT, 0}));
}

TEST_F(VectoredFixedTest, ArrayChecksHappenAtPrep) {
  vec(IORING_OP_READV_FIXED, 1, kFileFd, 1025, 0);  // UIO_MAXIOV + 1
  EXPECT_EQ(run_one(), (C{1, -EINVAL, 0}));
  vec(IORING_OP_READV_FIXED, 2, kFileFd, 262145, 0);  // more than kmalloc can give
  EXPECT_EQ(run_one(), (C{2, -ENOMEM, 0}));
  put_iovecs({{kBuf, 1ull << 63}});
  vec(IORING_OP_READV_FIXED, 3, kFileFd, 1, 0);  // negative length
  EXPECT_EQ(run_one(), (C{3, -EINVAL, 0}));
  io_uring_sqe& s = vec(IORING_OP_READV_FIXED, 4, kFileFd, 1, 0);
  s.addr = 0x7000000;  // unmapped iovec array
  EXPECT_EQ(run_one(), (C{4, -EFAULT, 0}));
}

TEST_F(VectoredFixedTest, BufferIsCheckedBeforeTheOpenMode) {
  ASSERT_EQ(register_buffers(), 0);
  put_iovecs({{kPlain, 4}});
  vec(IORING_OP_WRITEV_FIXED, 1, kReadOnlyFd, 1, 0);
  EXPECT_EQ(run_one(), (C{1, -EFAULT, 0}));
  put_iovecs({{kBuf, 4}});
  vec(IORING_OP_WRITEV_FIXED, 2, kReadOnlyFd, 1, 0);
  EXPECT_EQ(run_one(), (C{2, -EBADF, 0}));
}

TEST_F(VectoredFixedTest, BufferSelectIsEOPNOTSUPP) {
  ASSERT_EQ(register_buffers(), 0);
  put_iovecs({{kBuf, 4}});
  vec(IORING_OP_READV_FIXED, 1, kFileFd, 1, 0).flags = IOSQE_BUFFER_SELECT;
  EXPECT_EQ(run_one(), (C{1, -EOPNOTSUPP, 0}));
}

TEST_F(VectoredFixedTest, ReadvFixedOnAnEmptyPipeWaitsAndFinishesLater) {
  ASSERT_EQ(register_buffers(), 0);
  put_iovecs({{kBuf, 3}, {kBuf + 10, 3}});
  vec(IORING_OP_READV_FIXED, 1, kPipeFd, 2, 0);
  EXPECT_EQ(submit(1), 1);
  EXPECT_TRUE(reap().empty());
  pipe->data = "abcdef";
  kernel.progress(caller, ring, false);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 6, 0}}));
  EXPECT_EQ(user_bytes(kBuf, 3), "abc");
  EXPECT_EQ(user_bytes(kBuf + 10, 3), "def");
}

}  // namespace
}  // namespace uringsim::testing
