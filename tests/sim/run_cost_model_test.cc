// `uringsim run --cost-model FILE`: the coefficients are read before PROG starts (a bad
// file is a setup failure, status 2, naming the file and the problem) and installed on
// the simulated kernel; PROG's behaviour does not change.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "tests/sim/run_helpers.h"


namespace {

using uringsim::simtest::Outcome;

// A hang is a failure, not a stuck test run: the program is killed after `limit_s`.
Outcome run(const std::vector<std::string>& argv, unsigned limit_s = 20) {
  return uringsim::simtest::run(argv, {.time_limit_s = limit_s});
}

const std::string kCli = URINGSIM_CLI;
const std::string kNopPing = std::string(URINGSIM_EXAMPLES_DIR) + "/uring_nop_ping";

class RunCostModel : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const std::string& bin : {kCli, kNopPing}) {
      if (access(bin.c_str(), X_OK) != 0) GTEST_SKIP() << bin << " is not built";
    }
    Outcome probe = run({kCli, "run", "--", "true"});
    if (probe.status == 2 && probe.err.find("seccomp user notification unavailable") != std::string::npos) {
      GTEST_SKIP() << "seccomp user notification is unavailable here: " << probe.err;
    }
    ASSERT_EQ(probe.status, 0) << probe.err;
  }
  void TearDown() override {
    for (const std::string& p : files_) unlink(p.c_str());
  }
  std::string file(const std::string& contents) {
    std::string path = "/tmp/uringsim-cost-model-" + std::to_string(getpid()) + "-" +
                       std::to_string(files_.size()) + ".json";
    std::ofstream(path) << contents;
    files_.push_back(path);
    return path;
  }
  std::vector<std::string> files_;
};

TEST_F(RunCostModel, AValidModelRunsTheProgramUnchanged) {
  const std::string cm = file(R"({"format": "uringsim-cost-model/1", "syscall_ns": 1000, "sqe_ns": 7})");
  Outcome plain = run({kCli, "run", "--", kNopPing, "100"});
  Outcome with = run({kCli, "run", "--cost-model", cm, "--", kNopPing, "100"});
  EXPECT_EQ(with.status, 0) << with.err;
  EXPECT_EQ(with.out, plain.out);
  EXPECT_NE(with.out.find("100 NOPs submitted, 100 completed"), std::string::npos) << with.out;
}

TEST_F(RunCostModel, ComposesWithExplain) {
  const std::string cm = file(R"({"format": "uringsim-cost-model/1"})");
  Outcome o = run({kCli, "run", "--cost-model", cm, "--explain", "json", "--", kNopPing, "1"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.err.find("\"event\":\"setup\""), std::string::npos) << o.err;
}

TEST_F(RunCostModel, UnknownKeyIsASetupFailure) {
  const std::string cm = file(R"({"format": "uringsim-cost-model/1", "bogus_ns": 1})");
  Outcome o = run({kCli, "run", "--cost-model", cm, "--", kNopPing, "1"});
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("--cost-model " + cm), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("bogus_ns"), std::string::npos) << o.err;
  EXPECT_EQ(o.out, "");  // PROG never ran
}

TEST_F(RunCostModel, MissingFileIsASetupFailure) {
  Outcome o = run({kCli, "run", "--cost-model", "/nonexistent/cost.json", "--", kNopPing, "1"});
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("--cost-model /nonexistent/cost.json"), std::string::npos) << o.err;
  EXPECT_EQ(o.out, "");
}

}  // namespace
