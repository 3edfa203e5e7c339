// libiouringsim.so (sim/shim/): LD_PRELOADed into a program that calls syscall(2) for
// io_uring, the in-process EmbeddedKernel answers, with libc conventions.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

namespace {

#ifdef URINGSIM_SHIM
const std::string kShim = URINGSIM_SHIM;
#else
const std::string kShim;
#endif
const std::string kExamples = URINGSIM_EXAMPLES_DIR;

struct Outcome {
  int status = -1;
  std::string out, err;
};

std::string slurp_fd(int fd) {
  std::string s;
  lseek(fd, 0, SEEK_SET);
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  return s;
}

Outcome run_preloaded(const std::vector<std::string>& argv, const std::string& env = "") {
  Outcome o;
  int out = memfd_create("out", MFD_CLOEXEC);
  int err = memfd_create("err", MFD_CLOEXEC);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out, 1);
    dup2(err, 2);
    setenv("LD_PRELOAD", kShim.c_str(), 1);
    if (!env.empty()) putenv(const_cast<char*>(env.c_str()));
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execvp(a[0], a.data());
    _exit(127);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  o.out = slurp_fd(out);
  o.err = slurp_fd(err);
  close(out);
  close(err);
  return o;
}

class Shim : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kShim.empty() || access(kShim.c_str(), R_OK) != 0) GTEST_SKIP() << "libiouringsim.so is not built";
    if (access((kExamples + "/uring_raw_nop").c_str(), X_OK) != 0) GTEST_SKIP() << "examples are not built";
  }
};

// uring_raw_nop calls syscall(__NR_io_uring_*) and maps IORING_OFF_CQ_RING separately
// on a single-mmap ring: the shim answers the syscalls and aliases the CQ mapping.
TEST_F(Shim, RawSyscallProgramRunsAgainstTheInProcessModel) {
  Outcome o = run_preloaded({kExamples + "/uring_raw_nop", "50"});
  EXPECT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("50/50 NOPs ok"), std::string::npos) << o.out << o.err;
  // Byte for byte what the program prints on the host kernel.
  Outcome host = run_preloaded({kExamples + "/uring_raw_nop", "50"}, "LD_PRELOAD=");
  if (host.status == 0) {
    EXPECT_EQ(o.out, host.out);
  }
}

// Linked against libiouringsim.so through sim/shim/iouringsim.h: libc conventions.
TEST_F(Shim, ProgramLinkedWithTheShimGetsLibcConventions) {
  const std::string client = std::string(URINGSIM_STRESS_CLIENT).substr(
                                 0, std::string(URINGSIM_STRESS_CLIENT).rfind('/')) +
                             "/shim_direct_client";
  if (access(client.c_str(), X_OK) != 0) GTEST_SKIP() << client << " is not built";
  Outcome o = run_preloaded({client}, "LD_PRELOAD=");
  EXPECT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_EQ(o.out,
            "setup with params=16: -1 (Bad address)\n"
            "probe: 0, NOP supported: 1\n"
            "enter: 1, cqe user_data 42 res 0\n")
      << o.err;
}

TEST_F(Shim, RemoteSocketIsNotImplementedYetAndSaysSo) {
  Outcome o = run_preloaded({kExamples + "/uring_raw_nop", "5"}, "URINGSIM_SOCKET=/nonexistent");
  EXPECT_NE(o.status, 0);
  EXPECT_NE(o.err.find("not implemented yet"), std::string::npos) << o.err;
}

}  // namespace
