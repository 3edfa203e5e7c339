// `uringsim run` hears of wakeups of the files multishot polls wait on
// (sim/wakeup_watch.h): a liburing program's multishot POLL_ADD on a pipe reaps the
// same CQEs as on the host kernel -- one per write on a plain ring, the writes
// between two waits merged on a DEFER_TASKRUN ring, nothing while the pipe merely
// stays readable.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "tests/sim/run_helpers.h"
#include "uapi/io_uring.h"

namespace uringsim::sim {
namespace {

using simtest::Outcome;
using simtest::under_sim;

const std::string kCli = URINGSIM_CLI;
const std::string kClient = std::string(URINGSIM_EXAMPLES_DIR) + "/../tests/poll_wakeups_client";

class PollWakeupsRun : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const std::string& bin : {kCli, kClient}) {
      if (access(bin.c_str(), X_OK) != 0) GTEST_SKIP() << bin << " is not built (build the sim_tests target)";
    }
    Outcome probe;
    const std::string why = simtest::host_comparison_unavailable(&probe);
    if (!why.empty()) GTEST_SKIP() << why;
    ASSERT_EQ(probe.status, 0) << probe.err;
  }

  // Runs the client in `mode` on the host and under `uringsim run`; both must print
  // `expected` and exit 0.
  void expect_same(const char* mode, const std::string& expected) {
    simtest::RunOptions limit;
    limit.time_limit_s = 30;  // a lost wakeup would leave a wait hanging
    const Outcome host = simtest::run({kClient, mode}, limit);
    const Outcome sim = simtest::run(under_sim({kClient, mode}), limit);
    EXPECT_EQ(host.out, expected) << "host kernel, stderr: " << host.err;
    EXPECT_EQ(host.status, 0);
    EXPECT_EQ(sim.out, host.out) << "uringsim run, stderr: " << sim.err;
    EXPECT_EQ(sim.status, 0) << sim.err;
  }
};

const char kEachWriteThenWait[] =
    "armed: none\n"
    "write 0: {ud=1 res=1 more=1}\n"
    "write 1: {ud=1 res=1 more=1}\n"
    "write 2: {ud=1 res=1 more=1}\n"
    "idle: none\n";

TEST_F(PollWakeupsRun, PlainRingReapsOneCqePerWrite) {
  expect_same("plain", std::string(kEachWriteThenWait) +
                           "writer closed: {ud=1 res=17 more=1}\n"
                           "removed: {ud=2 res=0 more=0} {ud=1 res=-125 more=0}\n");
}

TEST_F(PollWakeupsRun, DeferTaskrunRingMergesTheWritesBetweenTwoWaits) {
  expect_same("defer", std::string(kEachWriteThenWait) +
                           "three writes, one wait: {ud=1 res=1 more=1}\n"
                           "drained before the wait: none\n"
                           "writer closed: {ud=1 res=16 more=1}\n"
                           "removed: {ud=2 res=0 more=0} {ud=1 res=-125 more=0}\n");
}

}  // namespace
}  // namespace uringsim::sim
