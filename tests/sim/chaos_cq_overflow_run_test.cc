// Forced CQ overflow end to end (`uringsim run|record --chaos --chaos-profile` with
// "cq_overflow", docs/chaos.md): liburing programs that reap the way liburing lets
// them still produce their exact output, because io_uring_wait_cqe and
// io_uring_submit_and_wait enter with GETEVENTS, which flushes the overflow list; and
// a run recorded with a high rate replays with zero divergences.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/sim/run_helpers.h"
#include "uapi/io_uring.h"

namespace {

using uringsim::simtest::Outcome;
using uringsim::simtest::run;
using uringsim::simtest::under_sim;

const std::string kCli = URINGSIM_CLI;
const std::string kReaper = std::string(URINGSIM_CLI).substr(0, std::string(URINGSIM_CLI).rfind('/')) +
                            "/tests/overflow_reaper_client";
std::string example(const char* name) { return std::string(URINGSIM_EXAMPLES_DIR) + "/" + name; }

std::string temp_path(const std::string& tag) { return uringsim::simtest::scratch_path("cq-overflow", tag); }
std::string write_temp(const std::string& tag, const std::string& text) {
  const std::string p = temp_path(tag);
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

// A profile with only forced CQ overflow at `rate` (every other injection off, so a
// program's output can only change through the overflow).
std::string overflow_profile(const std::string& tag, const char* rate) {
  return write_temp(tag, std::string("{\"cq_overflow\": ") + rate +
                             ", \"short_transfer\": 0, \"enobufs\": 0, \"eagain\": 0, \"reorder\": 0, \"latency\": 0}\n");
}

// How many CQEs an --explain=json stream shows, and how many of them went to the
// overflow list.
struct CqeTally {
  int total = 0, overflowed = 0;
};
CqeTally tally(const std::string& explain) {
  CqeTally t;
  std::istringstream in(explain);
  std::string line;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || j.value("event", "") != "cqe") continue;
    ++t.total;
    if (j.value("overflowed", false)) ++t.overflowed;
  }
  return t;
}

class SimChaosCqOverflow : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const std::string& bin : {kCli, kReaper, example("uring_nop_ping"), example("uring_cat")}) {
      if (access(bin.c_str(), X_OK) != 0) GTEST_SKIP() << "not built: " << bin;
    }
    Outcome probe = run(under_sim({"true"}));
    if (probe.status != 0) GTEST_SKIP() << "uringsim run cannot capture here: " << probe.err;
  }
};

// Every CQE of uring_nop_ping goes through the overflow list (rate 1: the first of
// each batch is forced there, the rest queue behind it), yet io_uring_submit_and_wait
// flushes them and the program sees all 64 in order.
TEST_F(SimChaosCqOverflow, NopPingStillSeesEveryCqeInOrder) {
  const std::string profile = overflow_profile("always.json", "1");
  const Outcome o =
      run(under_sim({example("uring_nop_ping"), "64"}, {"--chaos", "1", "--chaos-profile", profile, "--explain=json"}));
  unlink(profile.c_str());
  EXPECT_EQ(o.status, 0) << o.err.substr(0, 2000);
  EXPECT_NE(o.out.find("64 NOPs submitted, 64 completed, 0 errors, 0 out of order"), std::string::npos) << o.out;
  const CqeTally t = tally(o.err);
  EXPECT_EQ(t.total, 64);
  EXPECT_EQ(t.overflowed, 64);
}

// uring_cat waits with io_uring_wait_cqe after io_uring_submit_and_wait: the file
// comes out byte for byte.
TEST_F(SimChaosCqOverflow, CatCopiesTheFileExactly) {
  std::string data;
  for (int i = 0; i < 3000; ++i) data += static_cast<char>('a' + i % 26);
  const std::string input = write_temp("input.txt", data);
  const std::string profile = overflow_profile("always-cat.json", "1");
  const Outcome o = run(under_sim({example("uring_cat"), input}, {"--chaos", "2", "--chaos-profile", profile}));
  unlink(profile.c_str());
  unlink(input.c_str());
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, data);
}

// The client submits without waiting, so the forced CQEs are still on the overflow
// list when io_uring_submit returns: it sees IORING_SQ_CQ_OVERFLOW with an empty CQ,
// and io_uring_wait_cqe's GETEVENTS brings every CQE back in order.
TEST_F(SimChaosCqOverflow, SubmitThenWaitCqeSeesTheFlagAndEveryCqe) {
  const Outcome plain = run(under_sim({kReaper, "8", "4"}));
  EXPECT_EQ(plain.status, 0) << plain.err;
  EXPECT_EQ(plain.out, "overflow_reaper_client: 32 NOPs submitted, 32 reaped in order, overflow flag seen: no\n");
  const std::string profile = overflow_profile("always-reaper.json", "1");
  const Outcome o = run(under_sim({kReaper, "8", "4"}, {"--chaos", "1", "--chaos-profile", profile}));
  unlink(profile.c_str());
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "overflow_reaper_client: 32 NOPs submitted, 32 reaped in order, overflow flag seen: yes\n");
}

// Recorded at a high rate: the header keeps the rate, the trace shows the flag after
// a submit, and replay on the simulator re-makes every decision (zero divergences).
TEST_F(SimChaosCqOverflow, RecordedForcedOverflowReplaysWithZeroDivergences) {
  const std::string profile = overflow_profile("half.json", "0.75");
  const std::string trace = temp_path("trace.jsonl");
  const Outcome rec =
      run({kCli, "record", "--chaos", "5", "--chaos-profile", profile, "-o", trace, "--", kReaper, "16", "4"});
  unlink(profile.c_str());
  ASSERT_EQ(rec.status, 0) << rec.out << rec.err;
  EXPECT_EQ(rec.out, "overflow_reaper_client: 64 NOPs submitted, 64 reaped in order, overflow flag seen: yes\n");
  const std::string text = uringsim::simtest::read_whole_file(trace);
  const nlohmann::json header = nlohmann::json::parse(text.substr(0, text.find('\n')));
  EXPECT_EQ(header.at("chaos").at("seed").get<uint64_t>(), 5u);
  EXPECT_EQ(header.at("chaos").at("cq_overflow").get<double>(), 0.75);
  // Enter calls that returned with CQEs still on the overflow list.
  int flagged = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("ring") && j["ring"].is_object() &&
        (j["ring"].value("sq_flags", 0u) & IORING_SQ_CQ_OVERFLOW))
      ++flagged;
  }
  EXPECT_GT(flagged, 0) << "no recorded call left the overflow flag set";
  const Outcome replay = run({kCli, "replay", "-q", trace});
  EXPECT_EQ(replay.status, 0) << replay.out << replay.err;
  const Outcome replay_again = run({kCli, "replay", trace});
  EXPECT_EQ(replay_again.status, 0) << replay_again.out << replay_again.err;
  EXPECT_NE(replay_again.out.find(" 64 SQEs, 64 CQEs agree with simulator 6.18"), std::string::npos)
      << replay_again.out;
  // Linux does not force overflows: the trace cannot be replayed on it.
  const Outcome on_linux = run({kCli, "replay", "-q", "--target", "kernel", trace});
  EXPECT_EQ(on_linux.status, 3) << on_linux.out << on_linux.err;
  unlink(trace.c_str());
}

}  // namespace
