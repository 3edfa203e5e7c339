// IORING_REGISTER_EVENTFD / EVENTFD_ASYNC / UNREGISTER_EVENTFD and when the eventfd is
// signalled (io_uring/eventfd.c), as measured on Linux 6.18: one signal per CQ commit
// that added CQEs -- an inline batch, each task-work step of a link, each io-wq
// completion, each tag CQE -- none while IORING_CQ_EVENTFD_DISABLED is set.
#include <cerrno>
#include <string>
#include <vector>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

using C = RingFixture::SimpleCqe;
constexpr uint64_t kArg = 0x20000;
constexpr int kEventFd = 7;

// An eventfd: counts the 8-byte values written to it.
class FakeEventfd : public FakeFile {
 public:
  FakeEventfd() : FakeFile("", true, true, FileKind::kEventfd) {}
  ssize_t write(const void* buf, size_t len, int64_t) override {
    if (len != 8) return -EINVAL;
    uint64_t v;
    std::memcpy(&v, buf, 8);
    count += v;
    return 8;
  }
  uint64_t take() {
    uint64_t c = count;
    count = 0;
    return c;
  }
  uint64_t count = 0;
};

class Eventfd : public RingFixture {
 public:
  Eventfd() {
    memory.map(kArg, 4096);
    efd = std::make_shared<FakeEventfd>();
    files.fds[kEventFd] = efd;
  }
  int64_t reg(uint32_t opcode, uint64_t arg, uint32_t nr) { return kernel.do_register(caller, kRingFd, opcode, arg, nr); }
  int64_t register_eventfd(int fd, bool async = false) {
    int32_t v = fd;
    memory.write(kArg, &v, sizeof v);
    return reg(async ? IORING_REGISTER_EVENTFD_ASYNC : IORING_REGISTER_EVENTFD, kArg, 1);
  }
  uint32_t& cq_flags() { return cq_word(params.cq_off.flags); }
  std::shared_ptr<FakeEventfd> efd;
};

TEST_F(Eventfd, RegistrationErrors) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(reg(IORING_REGISTER_EVENTFD, kArg, 0), -EINVAL);
  EXPECT_EQ(reg(IORING_REGISTER_EVENTFD, 0, 1), -EFAULT);
  EXPECT_EQ(register_eventfd(999), -EBADF);
  files.add(3, std::make_shared<FakeFile>("regular"));
  EXPECT_EQ(register_eventfd(3), -EINVAL);
  EXPECT_EQ(reg(IORING_UNREGISTER_EVENTFD, 0, 0), -ENXIO);
  EXPECT_EQ(reg(IORING_UNREGISTER_EVENTFD, kArg, 0), -EINVAL);
  EXPECT_EQ(register_eventfd(kEventFd), 0);
  EXPECT_EQ(register_eventfd(kEventFd), -EBUSY);
  EXPECT_EQ(register_eventfd(kEventFd, true), -EBUSY);
  EXPECT_EQ(reg(IORING_REGISTER_EVENTFD_ASYNC, kArg, 2), -EINVAL);
  EXPECT_EQ(reg(IORING_UNREGISTER_EVENTFD, 0, 0), 0);
  EXPECT_EQ(reg(IORING_UNREGISTER_EVENTFD, 0, 0), -ENXIO);
}

TEST_F(Eventfd, OneSignalPerInlineBatch) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(register_eventfd(kEventFd), 0);
  EXPECT_EQ(efd->take(), 0u);
  nop(1);
  nop(2);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(efd->take(), 1u);
  // A failed SQE's CQE is part of the batch too.
  nop(3);
  push(200, 4);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(efd->take(), 1u);
}

TEST_F(Eventfd, EachLinkStepIsItsOwnCommit) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(register_eventfd(kEventFd), 0);
  nop(1, IOSQE_IO_LINK);
  nop(2, IOSQE_IO_LINK);
  nop(3);
  EXPECT_EQ(submit(3), 3);
  EXPECT_EQ(efd->take(), 3u);
  nop(4, IOSQE_IO_LINK);
  push(200, 5);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(efd->take(), 2u);
}

// Each io-wq completion commits on its own. (On Linux two workers finishing at the
// same moment can share one signal; the model's workers never race.)
TEST_F(Eventfd, AsyncCompletionsSignalEach) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(register_eventfd(kEventFd), 0);
  nop(1, IOSQE_ASYNC);
  nop(2, IOSQE_ASYNC);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(efd->take(), 2u);
  nop(3, IOSQE_ASYNC);
  nop(4);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(efd->take(), 2u);
  nop(5, IOSQE_IO_DRAIN);
  nop(6);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(efd->take(), 2u);
}

TEST_F(Eventfd, NoSignalWithoutANewCqe) {
  ASSERT_GE(setup(8), 0);
  nop(1);
  EXPECT_EQ(submit(1), 1);  // before registration: never signalled
  ASSERT_EQ(register_eventfd(kEventFd), 0);
  nop(2, IOSQE_CQE_SKIP_SUCCESS);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(enter(0, 0, IORING_ENTER_GETEVENTS).ret, 0);
  EXPECT_EQ(efd->take(), 0u);
}

TEST_F(Eventfd, DisabledFlagMutesAndTheNextCommitCatchesUp) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(register_eventfd(kEventFd), 0);
  cq_flags() = IORING_CQ_EVENTFD_DISABLED;
  nop(1);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(efd->take(), 0u);
  cq_flags() = 0;
  nop(2);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(efd->take(), 1u);
  EXPECT_EQ(reap().size(), 2u);
}

TEST_F(Eventfd, TaskWorkCompletionIsASecondCommit) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(register_eventfd(kEventFd), 0);
  io_uring_sqe& s = nop(1);
  s.nop_flags = IORING_NOP_TW;
  nop(2);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(efd->take(), 2u);
}

TEST_F(Eventfd, EachTagCqeSignals) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(register_eventfd(kEventFd), 0);
  for (int fd : {0, 1, 2}) files.add(fd, std::make_shared<FakeFile>("f"));
  int32_t fds[3] = {0, 1, 2};
  uint64_t tags[3] = {100, 101, 102};
  memory.write(kArg + 64, fds, sizeof fds);
  memory.write(kArg + 128, tags, sizeof tags);
  io_uring_rsrc_register rr{};
  rr.nr = 3;
  rr.data = kArg + 64;
  rr.tags = kArg + 128;
  memory.write(kArg + 256, &rr, sizeof rr);
  ASSERT_EQ(reg(IORING_REGISTER_FILES2, kArg + 256, sizeof rr), 0);
  EXPECT_EQ(efd->take(), 0u);
  ASSERT_EQ(reg(IORING_UNREGISTER_FILES, 0, 0), 0);
  EXPECT_EQ(efd->take(), 3u);
  EXPECT_EQ(reap(), (std::vector<C>{{102, 0, 0}, {101, 0, 0}, {100, 0, 0}}));
}

TEST_F(Eventfd, AsyncRegistrationSignalsOnlyForIoWqCompletions) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(register_eventfd(kEventFd, /*async=*/true), 0);
  nop(1);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(efd->take(), 0u);
  nop(2, IOSQE_ASYNC);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(efd->take(), 1u);
}

TEST_F(Eventfd, OverflowFlushSignals) {
  ASSERT_GE(setup(8), 0);  // 16 CQEs
  ASSERT_EQ(register_eventfd(kEventFd), 0);
  for (int batch = 0; batch < 3; ++batch) {
    for (int i = 0; i < 8; ++i) nop(100 + batch * 8 + i);
    EXPECT_EQ(submit(8), 8);
  }
  EXPECT_EQ(efd->take(), 2u);  // the third batch went to the overflow list
  EXPECT_EQ(reap().size(), 16u);
  EXPECT_EQ(enter(0, 0, IORING_ENTER_GETEVENTS).ret, 0);
  EXPECT_EQ(efd->take(), 1u);
}

TEST_F(Eventfd, DeferTaskrunSignalsWhenWorkIsQueuedAndWhenItPosts) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN), 0);
  ASSERT_EQ(register_eventfd(kEventFd), 0);
  nop(1);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(efd->take(), 1u);
  io_uring_sqe& s = nop(2);
  s.nop_flags = IORING_NOP_TW;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(efd->take(), 1u);  // work queued
  EXPECT_EQ(enter(0, 0, IORING_ENTER_GETEVENTS).ret, 0);
  EXPECT_EQ(efd->take(), 1u);  // and posted
}

}  // namespace
}  // namespace uringsim::testing
