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

#include "tests/sim/run_helpers.h"

namespace {

#ifdef URINGSIM_SHIM
const std::string kShim = URINGSIM_SHIM;
#else
const std::string kShim;
#endif
const std::string kExamples = URINGSIM_EXAMPLES_DIR;

using uringsim::simtest::Outcome;

// argv with LD_PRELOAD=libiouringsim.so (and `env`, "NAME=value", when given).
Outcome run_preloaded(const std::vector<std::string>& argv, const std::string& env = "") {
  std::vector<std::string> vars{"LD_PRELOAD=" + kShim};
  if (!env.empty()) vars.push_back(env);
  return uringsim::simtest::run(argv, {.env = vars});
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

// URINGSIM_SOCKET with no server there: ENOSYS and one line saying why (serve_test.cc
// covers the server being there).
TEST_F(Shim, RemoteSocketWithoutAServerFailsWithEnosysAndSaysWhy) {
  Outcome o = run_preloaded({kExamples + "/uring_raw_nop", "5"}, "URINGSIM_SOCKET=/nonexistent");
  EXPECT_NE(o.status, 0);
  EXPECT_NE(o.err.find("cannot connect to uringsim serve at /nonexistent"), std::string::npos) << o.err;
}

}  // namespace
