// sim::ProcessFiles: fds of this process (dup) and of another process (pidfd_getfd),
// ring fds recognised by their memfd, and the never-block rule for streams.
#include "sim/process_files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "sim/ring_memory.h"

namespace uringsim::sim {
namespace {

std::string temp_file(const std::string& contents) {
  char path[] = "/var/tmp/uringsim-pf-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_EQ(write(fd, contents.data(), contents.size()), static_cast<ssize_t>(contents.size()));
  close(fd);
  return path;
}

TEST(ProcessFiles, OwnRegularFileReadsAtOffsetsAndAtTheSharedPosition) {
  std::string path = temp_file("0123456789");
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ProcessFiles files(getpid(), nullptr);
  std::shared_ptr<File> f = files.get(fd);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->kind(), FileKind::kRegular);
  EXPECT_TRUE(f->readable());
  EXPECT_FALSE(f->writable()) << "O_RDONLY";
  char buf[4] = {};
  EXPECT_EQ(f->read(buf, 3, 5), 3);
  EXPECT_EQ(std::string(buf, 3), "567");
  EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0) << "a positioned read leaves the offset alone";
  EXPECT_EQ(f->read(buf, 4, -1), 4);
  EXPECT_EQ(std::string(buf, 4), "0123");
  EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 4) << "off -1 advances the caller's own file position";
  close(fd);
  EXPECT_EQ(f->read(buf, 2, 0), 2) << "the File holds its own reference, like a fixed file";
  files.begin_call();
  EXPECT_EQ(files.get(fd), nullptr) << "closed fd";
  unlink(path.c_str());
}

TEST(ProcessFiles, AccessModeAndKinds) {
  ProcessFiles files(getpid(), nullptr);
  int wr = open("/dev/null", O_WRONLY | O_CLOEXEC);
  std::shared_ptr<File> f = files.get(wr);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->kind(), FileKind::kCharDevice);
  EXPECT_FALSE(f->readable());
  EXPECT_TRUE(f->writable());
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  EXPECT_EQ(files.get(p[0])->kind(), FileKind::kPipe);
  int s[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s), 0);
  EXPECT_EQ(files.get(s[0])->kind(), FileKind::kSocket);
  EXPECT_EQ(files.get(-1), nullptr);
  for (int fd : {wr, p[0], p[1], s[0], s[1]}) close(fd);
}

TEST(ProcessFiles, EmptyPipeIsEAGAINNeverABlockAndOffsetsAreIgnored) {
  ProcessFiles files(getpid(), nullptr);
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  std::shared_ptr<File> r = files.get(p[0]);
  std::shared_ptr<File> w = files.get(p[1]);
  char buf[8];
  EXPECT_EQ(r->read(buf, sizeof buf, 0), -EAGAIN);
  EXPECT_EQ(w->write("abc", 3, 12345), 3) << "a stream has no offset (FMODE_STREAM)";
  EXPECT_EQ(r->read(buf, sizeof buf, 99), 3);
  EXPECT_EQ(std::string(buf, 3), "abc");
  close(p[0]);
  close(p[1]);
}

TEST(ProcessFiles, RingFdIsRecognisedByItsMemfd) {
  MemfdRingMemory rings;
  RingLayout layout;
  layout.sq_ring_bytes = 4096;
  layout.sqes_bytes = 4096;
  RingMemory mem;
  ASSERT_TRUE(rings.allocate(7, layout, mem));
  const int memfd = rings.fd(7);
  ProcessFiles files(getpid(), &rings);
  // Known through set_ring_fd: no syscall needed.
  files.set_ring_fd(memfd, 7);
  EXPECT_EQ(files.get(memfd)->ring(), 7u);
  // A dup is found by inode.
  int dup = fcntl(memfd, F_DUPFD_CLOEXEC, 0);
  std::shared_ptr<File> f = files.get(dup);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->kind(), FileKind::kRing);
  EXPECT_EQ(f->ring(), 7u);
  char c;
  EXPECT_EQ(f->read(&c, 1, 0), -EINVAL) << "Linux's io_uring file has no read()";
  close(dup);
  rings.release(7, mem, layout);
}

TEST(ProcessFiles, AnotherProcessesFdsArriveThroughPidfdGetfd) {
  std::string path = temp_file("remote file contents");
  int sync_pipe[2];
  ASSERT_EQ(pipe2(sync_pipe, O_CLOEXEC), 0);
  pid_t child = fork();
  if (child == 0) {
    // The child opens the file at some fd number and waits to be looked at.
    int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (dup2(fd, 77) < 0) _exit(1);
    char c = 'r';
    if (write(sync_pipe[1], &c, 1) != 1) _exit(1);
    pause();
    _exit(0);
  }
  char c;
  ASSERT_EQ(read(sync_pipe[0], &c, 1), 1);
  {
    ProcessFiles files(child, nullptr);
    if (files.pidfd() < 0) {
      kill(child, SIGKILL);
      waitpid(child, nullptr, 0);
      GTEST_SKIP() << "pidfd_open unavailable: " << strerror(errno);
    }
    std::shared_ptr<File> f = files.get(77);
    if (f == nullptr && (errno == EPERM || errno == ENOSYS)) {
      kill(child, SIGKILL);
      waitpid(child, nullptr, 0);
      GTEST_SKIP() << "pidfd_getfd refused here: " << strerror(errno);
    }
    ASSERT_NE(f, nullptr);
    EXPECT_TRUE(f->readable());
    EXPECT_TRUE(f->writable());
    char buf[6] = {};
    EXPECT_EQ(f->read(buf, 6, 0), 6);
    EXPECT_EQ(std::string(buf, 6), "remote");
    EXPECT_EQ(files.get(78), nullptr) << "not open in the child";
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  close(sync_pipe[0]);
  close(sync_pipe[1]);
  unlink(path.c_str());
}

}  // namespace
}  // namespace uringsim::sim
