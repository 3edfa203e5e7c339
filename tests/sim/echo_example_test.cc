// examples/uring_echo_server: a loopback TCP echo server (multishot RECV with provided
// buffers, SEND, an idle TIMEOUT, ASYNC_CANCEL at shutdown) and its client in one
// program. Under `uringsim run` it must print the same bytes and exit with the same
// status as on the host kernel.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "uapi/io_uring.h"
#include "tests/sim/run_helpers.h"

namespace {

using uringsim::simtest::Outcome;

// A hang is a failure, not a stuck test run: the program is killed after `limit_s`.
Outcome run(const std::vector<std::string>& argv, unsigned limit_s = 20) {
  return uringsim::simtest::run(argv, {.time_limit_s = limit_s});
}

const std::string kCli = URINGSIM_CLI;
const std::string kEcho = std::string(URINGSIM_EXAMPLES_DIR) + "/uring_echo_server";

class EchoExample : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const std::string& bin : {kCli, kEcho}) {
      if (access(bin.c_str(), X_OK) != 0) GTEST_SKIP() << bin << " is not built";
    }
    io_uring_params p{};
    long fd = syscall(425, 1, &p);
    if (fd < 0) GTEST_SKIP() << "io_uring is unavailable on the host kernel: " << strerror(errno);
    close(static_cast<int>(fd));
    Outcome probe = run({kCli, "run", "--", "true"});
    if (probe.status == 2 && probe.err.find("seccomp user notification unavailable") != std::string::npos) {
      GTEST_SKIP() << "seccomp user notification is unavailable here: " << probe.err;
    }
    ASSERT_EQ(probe.status, 0) << probe.err;
  }
};

TEST_F(EchoExample, EchoServerMatchesHostKernel) {
  for (const char* n : {"1", "8", "40"}) {
    Outcome host = run({kEcho, n});
    Outcome sim = run({kCli, "run", "--", kEcho, n});
    EXPECT_EQ(host.status, 0) << host.err;
    EXPECT_EQ(sim.status, host.status) << "host stderr: " << host.err << "\nsim stderr: " << sim.err;
    EXPECT_EQ(sim.out, host.out) << "sim stderr: " << sim.err;
    const std::string want = std::string("uring_echo_server: ") + n + "/" + n + " echoes ok";
    EXPECT_NE(host.out.find(want), std::string::npos) << host.out;
    EXPECT_NE(host.out.find("recv ended with -125"), std::string::npos) << host.out;
  }
}

TEST_F(EchoExample, BadArgumentExitsTwoOnBothSides) {
  Outcome host = run({kEcho, "0"});
  Outcome sim = run({kCli, "run", "--", kEcho, "0"});
  EXPECT_EQ(host.status, 2);
  EXPECT_EQ(sim.status, host.status);
  EXPECT_EQ(sim.err, host.err);
}

}  // namespace
