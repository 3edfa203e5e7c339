// WakeupWatch (sim/wakeup_watch.h): the host's count of wakeups of a watched file is
// Linux's own -- one per write by this thread, the arm-time readiness left out, and
// nothing once the file is no longer kept.
#include "sim/wakeup_watch.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "uapi/io_uring.h"

namespace uringsim::sim {
namespace {

// A pipe's read end as the model sees it; this test plays the model.
class PipeReadEnd : public File {
 public:
  explicit PipeReadEnd(int fd) : fd_(fd) {}
  FileKind kind() const override { return FileKind::kPipe; }
  bool readable() const override { return true; }
  bool writable() const override { return false; }
  ssize_t read(void*, size_t, int64_t) override { return -EINVAL; }
  ssize_t write(const void*, size_t, int64_t) override { return -EBADF; }
  int sync(bool) override { return -EINVAL; }
  int host_fd() const override { return fd_; }

 private:
  int fd_;
};

class WakeupWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    io_uring_params p{};
    const long fd = syscall(425, 1, &p);
    if (fd < 0) {
      GTEST_SKIP() << "io_uring is unavailable on the host kernel (io_uring_setup: " << strerror(errno)
                   << "): the watch has nothing to count with";
    }
    close(static_cast<int>(fd));
    ASSERT_EQ(pipe(pfd_), 0);
  }
  void TearDown() override {
    for (int fd : pfd_) {
      if (fd >= 0) close(fd);
    }
  }
  // One model look: wakeups to the file, then the file kept for the next round.
  void look(WakeupWatch& watch, File& file) {
    watch.collect();
    watch.deliver(file);
    EXPECT_TRUE(watch.keep(file));
    watch.end_round();
  }
  void write_byte() { ASSERT_EQ(write(pfd_[1], "x", 1), 1); }

  int pfd_[2] = {-1, -1};
};

TEST_F(WakeupWatchTest, CountsEachWriteOfThisThread) {
  WakeupWatch watch;
  PipeReadEnd file(pfd_[0]);
  EXPECT_FALSE(watch.keep(file));  // no multishot poll asked: not watched
  watch.end_round();
  EXPECT_EQ(watch.fd(), -1);
  file.want_wakeups(POLLIN | POLLERR | POLLHUP);
  look(watch, file);
  EXPECT_TRUE(file.wakeups_reported());
  EXPECT_GE(watch.fd(), 0);
  EXPECT_EQ(file.wakeups(), 0u);
  write_byte();
  write_byte();
  write_byte();
  look(watch, file);
  EXPECT_EQ(file.wakeups(), 3u);
  EXPECT_EQ(file.last_wakeup_mask(), static_cast<uint32_t>(POLLIN));
  // Readable, nothing new: no wakeup.
  look(watch, file);
  EXPECT_EQ(file.wakeups(), 3u);
}

TEST_F(WakeupWatchTest, ArmTimeReadinessIsNotAWakeup) {
  WakeupWatch watch;
  PipeReadEnd file(pfd_[0]);
  write_byte();  // ready before the watch exists
  file.want_wakeups(POLLIN);
  look(watch, file);
  look(watch, file);
  EXPECT_EQ(file.wakeups(), 0u);
  write_byte();
  look(watch, file);
  EXPECT_EQ(file.wakeups(), 1u);
}

TEST_F(WakeupWatchTest, WriterClosingIsAHangupWakeup) {
  WakeupWatch watch;
  PipeReadEnd file(pfd_[0]);
  file.want_wakeups(POLLIN | POLLHUP);
  look(watch, file);
  close(pfd_[1]);
  pfd_[1] = -1;
  look(watch, file);
  EXPECT_EQ(file.wakeups(), 1u);
  EXPECT_EQ(file.last_wakeup_mask(), static_cast<uint32_t>(POLLHUP));
}

TEST_F(WakeupWatchTest, FileNoLongerKeptIsNoLongerWatched) {
  WakeupWatch watch;
  PipeReadEnd file(pfd_[0]);
  file.want_wakeups(POLLIN);
  look(watch, file);
  watch.end_round();  // a round without it: the request is gone
  EXPECT_EQ(watch.fd(), -1);
  write_byte();
  watch.collect();
  watch.deliver(file);
  EXPECT_EQ(file.wakeups(), 0u);
}

}  // namespace
}  // namespace uringsim::sim
