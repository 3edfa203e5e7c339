// IORING_REGISTER_SYNC_CANCEL (io_uring/cancel.c io_sync_cancel), as Linux 6.18 answers.
#include <cerrno>
#include <vector>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

using C = RingFixture::SimpleCqe;
constexpr uint64_t kArg = 0x20000;
constexpr uint64_t kTs = 0x21000;

class SyncCancel : public RingFixture {
 public:
  SyncCancel() {
    memory.map(kArg, 2 * 4096);
    int64_t ts[2] = {10, 0};
    memory.write(kTs, ts, sizeof ts);
  }
  int64_t cancel(io_uring_sync_cancel_reg sc, uint32_t nr = 1) {
    memory.write(kArg, &sc, sizeof sc);
    return kernel.do_register(caller, kRingFd, IORING_REGISTER_SYNC_CANCEL, kArg, nr);
  }
  void timeout(uint64_t ud) {
    io_uring_sqe& s = push(IORING_OP_TIMEOUT, ud);
    s.addr = kTs;
    s.len = 1;
  }
  static io_uring_sync_cancel_reg by(uint64_t ud, uint32_t flags = 0) {
    io_uring_sync_cancel_reg sc{};
    sc.addr = ud;
    sc.flags = flags;
    return sc;
  }
};

TEST_F(SyncCancel, ArgumentChecks) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(cancel(by(1), 0), -EINVAL);
  EXPECT_EQ(kernel.do_register(caller, kRingFd, IORING_REGISTER_SYNC_CANCEL, 0, 1), -EINVAL);
  EXPECT_EQ(kernel.do_register(caller, kRingFd, IORING_REGISTER_SYNC_CANCEL, 0x7000000, 1), -EFAULT);
  io_uring_sync_cancel_reg sc = by(1);
  sc.pad[0] = 1;
  EXPECT_EQ(cancel(sc), -EINVAL);
  sc = by(1);
  sc.pad2[1] = 1;
  EXPECT_EQ(cancel(sc), -EINVAL);
  EXPECT_EQ(cancel(by(1, 1u << 10)), -EINVAL);
  sc = by(0, IORING_ASYNC_CANCEL_FD);
  sc.fd = 999;
  EXPECT_EQ(cancel(sc), -EBADF);
  sc.flags |= IORING_ASYNC_CANCEL_FD_FIXED;
  sc.fd = 0;
  EXPECT_EQ(cancel(sc), -EBADF);
}

TEST_F(SyncCancel, NothingToCancel) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(cancel(by(42)), -ENOENT);
  EXPECT_EQ(cancel(by(42, IORING_ASYNC_CANCEL_ALL)), 0);
  // FD together with ANY is not refused here (only the SQE form checks it).
  io_uring_sync_cancel_reg sc = by(0, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ANY);
  sc.fd = kRingFd;  // any open fd
  EXPECT_EQ(cancel(sc), 0);
}

TEST_F(SyncCancel, CancelsOneByUserData) {
  ASSERT_GE(setup(8), 0);
  timeout(50);
  timeout(50);
  timeout(51);
  EXPECT_EQ(submit(3), 3);
  EXPECT_EQ(cancel(by(50)), 0);
  EXPECT_EQ(reap(), (std::vector<C>{{50, -ECANCELED, 0}}));
  EXPECT_EQ(cancel(by(0, IORING_ASYNC_CANCEL_ANY)), 2);
  EXPECT_EQ(reap(), (std::vector<C>{{50, -ECANCELED, 0}, {51, -ECANCELED, 0}}));
}

TEST_F(SyncCancel, AllReturnsTheCount) {
  ASSERT_GE(setup(8), 0);
  timeout(60);
  timeout(60);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(cancel(by(60, IORING_ASYNC_CANCEL_ALL)), 2);
  EXPECT_EQ(reap(), (std::vector<C>{{60, -ECANCELED, 0}, {60, -ECANCELED, 0}}));
}

TEST_F(SyncCancel, ByOpcode) {
  ASSERT_GE(setup(8), 0);
  timeout(70);
  EXPECT_EQ(submit(1), 1);
  io_uring_sync_cancel_reg sc = by(0, IORING_ASYNC_CANCEL_OP);
  sc.opcode = IORING_OP_READ;
  EXPECT_EQ(cancel(sc), -ENOENT);
  sc.opcode = IORING_OP_TIMEOUT;
  EXPECT_EQ(cancel(sc), 0);  // user_data is not compared with CANCEL_OP alone
  EXPECT_EQ(reap(), (std::vector<C>{{70, -ECANCELED, 0}}));
}

}  // namespace
}  // namespace uringsim::testing
