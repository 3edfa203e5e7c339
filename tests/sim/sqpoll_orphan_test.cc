// An SQPOLL ring used after the process that created it (and so its SQ thread) exited:
// io_uring_enter is -EOWNERDEAD, on Linux and under `uringsim run` alike
// (clients/sqpoll_orphan_client.c). Output goes through `| cat` so that the run ends
// only when the orphaned child, which prints the verdict, has exited too.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "tests/sim/run_helpers.h"

namespace {

using uringsim::simtest::Outcome;
using uringsim::simtest::run;
using uringsim::simtest::RunOptions;

const std::string kCli = URINGSIM_CLI;
const std::string kClient = std::string(URINGSIM_EXAMPLES_DIR) + "/../tests/sqpoll_orphan_client";

TEST(SimSqpollOrphan, EnterAfterCreatorExitIsEOWNERDEADLikeLinux) {
  for (const std::string& bin : {kCli, kClient}) {
    if (access(bin.c_str(), X_OK) != 0) GTEST_SKIP() << bin << " is not built";
  }
  Outcome probe = run({kCli, "run", "--", "true"});
  if (probe.status == 2 && probe.err.find("seccomp user notification unavailable") != std::string::npos) {
    GTEST_SKIP() << "seccomp user notification is unavailable here: " << probe.err;
  }
  RunOptions limit;
  limit.time_limit_s = 60;
  Outcome on_linux = run({"/bin/sh", "-c", kClient + " | cat"}, limit);
  Outcome on_sim = run({"/bin/sh", "-c", kCli + " run -- " + kClient + " | cat"}, limit);
  const std::string expected =
      "orphan: while parent lives 1\n"
      "orphan: after parent exit EOWNERDEAD\n";
  EXPECT_EQ(on_linux.status, 0) << on_linux.err;
  EXPECT_EQ(on_linux.out, expected);
  EXPECT_EQ(on_sim.status, 0) << on_sim.err;
  EXPECT_EQ(on_sim.out, expected) << on_sim.err;
}

}  // namespace
