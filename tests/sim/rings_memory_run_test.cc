// NO_MMAP and RESIZE_RINGS through `uringsim run`, against the host kernel: the ring
// in the client's MAP_SHARED pages (the kernel process maps the same pages through
// /proc/PID/map_files), a resize the client follows with new mmaps (the single-mmap
// IORING_OFF_CQ_RING trap picks the new mapping), and private NO_MMAP memory refused
// with EINVAL "not simulated under capture".
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "tests/sim/run_helpers.h"
#include "uapi/io_uring.h"

namespace uringsim::sim {
namespace {

using simtest::Outcome;

const std::string kCli = URINGSIM_CLI;
const std::string kClient =
    std::string(URINGSIM_STRESS_CLIENT).substr(0, std::string(URINGSIM_STRESS_CLIENT).rfind('/')) +
    "/rings_memory_client";

// Empty when `uringsim run` can capture here; otherwise why the test skips.
std::string cannot_run() {
  for (const std::string& bin : {kCli, kClient}) {
    if (access(bin.c_str(), X_OK) != 0) return bin + " is not built";
  }
  io_uring_params p{};
  const long fd = syscall(__NR_io_uring_setup, 1, &p);
  if (fd < 0) return std::string("io_uring is unavailable on the host kernel: ") + strerror(errno);
  close(static_cast<int>(fd));
  Outcome probe = simtest::run({kCli, "run", "--", "true"}, {.time_limit_s = 20});
  if (probe.status == 2 && probe.err.find("seccomp user notification unavailable") != std::string::npos)
    return "seccomp user notification is unavailable here: " + probe.err;
  return "";
}

TEST(RingsMemoryRun, ClientOutputMatchesTheHostKernel) {
  if (std::string why = cannot_run(); !why.empty()) GTEST_SKIP() << why;
  Outcome host = simtest::run({kClient}, {.time_limit_s = 20});
  Outcome sim = simtest::run(simtest::under_sim({kClient}), {.time_limit_s = 20});
  EXPECT_EQ(host.status, 0) << host.out << host.err;
  EXPECT_EQ(sim.status, host.status) << sim.err;
  EXPECT_EQ(sim.out, host.out) << "sim stderr: " << sim.err;
  EXPECT_NE(host.out.find("no_mmap cqes: head 0 tail 2: {1 0 0x0} {2 0 0x0}"), std::string::npos) << host.out;
  EXPECT_NE(host.out.find("resize kept cqes: head 0 tail 3: {1 0 0x0} {2 0 0x0} {3 0 0x0}"), std::string::npos)
      << host.out;
  EXPECT_NE(host.out.find("resize sq and cq alias: 1"), std::string::npos) << host.out;
}

TEST(RingsMemoryRun, PrivateNoMmapMemoryIsNotSimulatedUnderCapture) {
  if (std::string why = cannot_run(); !why.empty()) GTEST_SKIP() << why;
  Outcome host = simtest::run({kClient, "private"}, {.time_limit_s = 20});
  EXPECT_NE(host.out.find("no_mmap setup: 0"), std::string::npos) << host.out;
  Outcome sim = simtest::run(simtest::under_sim({kClient, "private"}, {"--explain=text"}), {.time_limit_s = 20});
  EXPECT_NE(sim.out.find("no_mmap setup: -22"), std::string::npos) << sim.out << sim.err;
  EXPECT_NE(sim.err.find("not simulated under capture"), std::string::npos) << sim.err;
}

}  // namespace
}  // namespace uringsim::sim
