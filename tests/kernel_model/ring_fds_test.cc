// IORING_REGISTER_RING_FDS / UNREGISTER_RING_FDS, IORING_ENTER_REGISTERED_RING and
// IORING_REGISTER_USE_REGISTERED_RING (io_uring/tctx.c, register.c), as on Linux 6.18.
#include <cerrno>
#include <string>
#include <vector>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

using C = RingFixture::SimpleCqe;
constexpr uint64_t kArg = 0x20000;
constexpr uint32_t kAny = ~0u;

class RingFds : public RingFixture {
 public:
  RingFds() { memory.map(kArg, 8192); }
  int64_t reg(uint32_t opcode, uint64_t arg, uint32_t nr, int fd = kRingFd) {
    return kernel.do_register(caller, fd, opcode, arg, nr);
  }
  const std::string& why() { return kernel.last_fault().reason; }
  // Writes `updates` at kArg and registers (or unregisters) them.
  int64_t ring_fds(uint32_t opcode, std::vector<io_uring_rsrc_update> updates) {
    memory.write(kArg, updates.data(), updates.size() * sizeof(io_uring_rsrc_update));
    return reg(opcode, kArg, static_cast<uint32_t>(updates.size()));
  }
  io_uring_rsrc_update entry(uint32_t i) {
    io_uring_rsrc_update u;
    memory.read(kArg + i * sizeof u, &u, sizeof u);
    return u;
  }
  static io_uring_rsrc_update up(uint32_t offset, uint64_t data) {
    io_uring_rsrc_update u{};
    u.offset = offset;
    u.data = data;
    return u;
  }
};

TEST_F(RingFds, RegisterReturnsCountAndWritesChosenSlots) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(ring_fds(IORING_REGISTER_RING_FDS, {up(kAny, kRingFd), up(5, kRingFd), up(kAny, kRingFd)}), 3);
  EXPECT_EQ(entry(0).offset, 0u);
  EXPECT_EQ(entry(1).offset, 5u);
  EXPECT_EQ(entry(2).offset, 1u);
}

TEST_F(RingFds, ArgumentErrors) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(reg(IORING_REGISTER_RING_FDS, kArg, 0), -EINVAL);
  EXPECT_EQ(reg(IORING_REGISTER_RING_FDS, kArg, 17), -EINVAL);
  EXPECT_EQ(reg(IORING_REGISTER_RING_FDS, 0, 1), -EFAULT);
  EXPECT_EQ(ring_fds(IORING_REGISTER_RING_FDS, {up(16, kRingFd)}), -EINVAL);
  io_uring_rsrc_update bad = up(kAny, kRingFd);
  bad.resv = 1;
  EXPECT_EQ(ring_fds(IORING_REGISTER_RING_FDS, {bad}), -EINVAL);
  EXPECT_EQ(ring_fds(IORING_REGISTER_RING_FDS, {up(kAny, 999)}), -EBADF);
  files.add(3, std::make_shared<FakeFile>("x"));
  EXPECT_EQ(ring_fds(IORING_REGISTER_RING_FDS, {up(kAny, 3)}), -EOPNOTSUPP);
}

TEST_F(RingFds, TakenSlotIsEBUSYAndAFullTableToo) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(ring_fds(IORING_REGISTER_RING_FDS, {up(5, kRingFd)}), 1);
  EXPECT_EQ(ring_fds(IORING_REGISTER_RING_FDS, {up(5, kRingFd)}), -EBUSY);
  for (int i = 0; i < 15; ++i) ASSERT_EQ(ring_fds(IORING_REGISTER_RING_FDS, {up(kAny, kRingFd)}), 1) << i;
  EXPECT_EQ(ring_fds(IORING_REGISTER_RING_FDS, {up(kAny, kRingFd)}), -EBUSY);
}

TEST_F(RingFds, PartialSuccessReturnsTheCountDone) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(ring_fds(IORING_REGISTER_RING_FDS, {up(kAny, kRingFd), up(16, kRingFd)}), 1);
  EXPECT_EQ(entry(0).offset, 0u);
}

TEST_F(RingFds, EnterThroughARegisteredIndex) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(ring_fds(IORING_REGISTER_RING_FDS, {up(3, kRingFd)}), 1);
  nop(7);
  EXPECT_EQ(kernel.enter(caller, 3, 1, 0, IORING_ENTER_REGISTERED_RING, 0, 0).ret, 1);
  EXPECT_EQ(reap(), (std::vector<C>{{7, 0, 0}}));
  EXPECT_EQ(kernel.enter(caller, 16, 0, 0, IORING_ENTER_REGISTERED_RING, 0, 0).ret, -EINVAL);
  EXPECT_EQ(kernel.enter(caller, -1, 0, 0, IORING_ENTER_REGISTERED_RING, 0, 0).ret, -EINVAL);
  EXPECT_EQ(kernel.enter(caller, 4, 0, 0, IORING_ENTER_REGISTERED_RING, 0, 0).ret, -EBADF);
}

TEST_F(RingFds, RegisterThroughARegisteredIndex) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(ring_fds(IORING_REGISTER_RING_FDS, {up(5, kRingFd)}), 1);
  std::vector<std::byte> zero(64);
  memory.write(kArg + 4096, zero.data(), zero.size());
  const uint32_t probe = IORING_REGISTER_PROBE | IORING_REGISTER_USE_REGISTERED_RING;
  EXPECT_EQ(reg(probe, kArg + 4096, 1, 5), 0);
  EXPECT_EQ(reg(probe, kArg + 4096, 1, 16), -EINVAL);
  EXPECT_EQ(reg(probe, kArg + 4096, 1, 6), -EBADF);
}

TEST_F(RingFds, TaskThatNeverUsedIoUringHasNoTable) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(ring_fds(IORING_REGISTER_RING_FDS, {up(0, kRingFd)}), 1);
  Caller thread = caller;
  thread.creds.tid = 1001;
  EXPECT_EQ(kernel.enter(thread, 0, 0, 0, IORING_ENTER_REGISTERED_RING, 0, 0).ret, -EINVAL);
  EXPECT_EQ(kernel.do_register(thread, 0, IORING_REGISTER_PROBE | IORING_REGISTER_USE_REGISTERED_RING, 0, 0),
            -EINVAL);
  // Unregistering from such a task is a quiet 0, whatever the entries say.
  io_uring_rsrc_update garbage = up(99, 1);
  garbage.resv = 1;
  memory.write(kArg, &garbage, sizeof garbage);
  EXPECT_EQ(kernel.do_register(thread, kRingFd, IORING_UNREGISTER_RING_FDS, kArg, 1), 0);
  // Submitting gives the task its (empty) table.
  nop(1);
  EXPECT_EQ(kernel.enter(thread, kRingFd, 1, 0, 0, 0, 0).ret, 1);
  EXPECT_EQ(kernel.enter(thread, 0, 0, 0, IORING_ENTER_REGISTERED_RING, 0, 0).ret, -EBADF);
}

TEST_F(RingFds, Unregister) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(ring_fds(IORING_REGISTER_RING_FDS, {up(5, kRingFd)}), 1);
  EXPECT_EQ(reg(IORING_UNREGISTER_RING_FDS, kArg, 0), -EINVAL);
  EXPECT_EQ(reg(IORING_UNREGISTER_RING_FDS, kArg, 17), -EINVAL);
  EXPECT_EQ(ring_fds(IORING_UNREGISTER_RING_FDS, {up(16, 0)}), -EINVAL);
  // Processed one by one: the second entry's data != 0 stops it after one.
  EXPECT_EQ(ring_fds(IORING_UNREGISTER_RING_FDS, {up(5, 0), up(3, 1)}), 1);
  EXPECT_EQ(kernel.enter(caller, 5, 0, 0, IORING_ENTER_REGISTERED_RING, 0, 0).ret, -EBADF);
  // An empty slot is not an error.
  EXPECT_EQ(ring_fds(IORING_UNREGISTER_RING_FDS, {up(5, 0)}), 1);
}

TEST_F(RingFds, FeatureAndEnterFlagAreReported) {
  ASSERT_GE(setup(8), 0);
  EXPECT_TRUE(params.features & IORING_FEAT_REG_REG_RING);
}

}  // namespace
}  // namespace uringsim::testing
