// `uringsim run --chaos` / `uringsim record --chaos` end to end (docs/chaos.md): the
// injections reach a real program, the seed reproduces them, a recorded chaos run
// replays with zero divergences, and a bad profile is refused with FILE:LINE.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/sim/run_helpers.h"

namespace {

using uringsim::simtest::Outcome;
using uringsim::simtest::run;
using uringsim::simtest::under_sim;

const std::string kCli = URINGSIM_CLI;
std::string example(const char* name) { return std::string(URINGSIM_EXAMPLES_DIR) + "/" + name; }

std::string temp_path(const std::string& tag) { return uringsim::simtest::scratch_path("chaos", tag); }
std::string write_temp(const std::string& tag, const std::string& text) {
  const std::string p = temp_path(tag);
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

// Every CQE of an --explain=json stream, as (user_data, res).
std::vector<std::pair<std::string, int>> cqes_of(const std::string& explain) {
  std::vector<std::pair<std::string, int>> out;
  std::istringstream in(explain);
  std::string line;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.value("event", "") == "cqe") out.emplace_back(j.value("user_data", ""), j.value("res", 0));
  }
  return out;
}

// (user_data, res, flags) of every CQE a trace recorded, in order.
std::vector<std::string> recorded_cqes(const std::string& trace) {
  std::vector<std::string> out;
  std::istringstream in(uringsim::simtest::read_whole_file(trace));
  std::string line;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("cqes")) continue;
    for (const auto& c : j["cqes"]) out.push_back(c.dump());
  }
  return out;
}

class SimChaos : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const std::string& bin : {kCli, example("uring_nop_ping"), example("uring_cat")}) {
      if (access(bin.c_str(), X_OK) != 0) GTEST_SKIP() << "not built: " << bin;
    }
    Outcome probe = run(under_sim({"true"}));
    if (probe.status != 0) GTEST_SKIP() << "uringsim run cannot capture here: " << probe.err;
  }
};

// uring_nop_ping counts CQEs that arrive out of submission order and fails if any
// does: an assumption Linux does not guarantee, which reordering exposes. The same
// seed gives the same run.
TEST_F(SimChaos, ReorderingCatchesAnInOrderAssumptionAndTheSeedReproducesIt) {
  const Outcome plain = run(under_sim({example("uring_nop_ping"), "64"}));
  EXPECT_EQ(plain.status, 0) << plain.err;
  EXPECT_NE(plain.out.find("64 NOPs submitted, 64 completed, 0 errors, 0 out of order"), std::string::npos)
      << plain.out;
  const Outcome a = run(under_sim({example("uring_nop_ping"), "64"}, {"--chaos", "3"}));
  const Outcome b = run(under_sim({example("uring_nop_ping"), "64"}, {"--chaos", "3"}));
  EXPECT_EQ(a.status, 1) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out.find("64 NOPs submitted, 64 completed, 0 errors, 43 out of order"), std::string::npos) << a.out;
}

// Every read from the pipe returns one byte: the program still copies the input
// exactly (it handles short reads), and each short read is visible in its CQEs.
TEST_F(SimChaos, ShortPipeReadsAreSeenByTheProgram) {
  std::string data(300, '\0');
  std::mt19937 rng(300);
  for (char& c : data) c = static_cast<char>(rng());
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ASSERT_EQ(write(p[1], data.data(), data.size()), static_cast<ssize_t>(data.size()));
  close(p[1]);
  const std::string profile = write_temp("short.json",
                                         "{\"short_transfer\": 1, \"short_max_bytes\": 1,\n"
                                         " \"reorder\": 0, \"latency\": 0, \"enobufs\": 0, \"eagain\": 0}\n");
  const Outcome o = run(under_sim({example("uring_cat"), "/dev/stdin"},
                                  {"--chaos", "1", "--chaos-profile", profile, "--explain=json"}),
                        {.stdin_fd = p[0]});
  close(p[0]);
  unlink(profile.c_str());
  EXPECT_EQ(o.status, 0) << o.err.substr(0, 2000);
  EXPECT_EQ(o.out, data);
  int one_byte = 0, eof = 0, other = 0;
  for (const auto& [ud, res] : cqes_of(o.err)) (res == 1 ? one_byte : res == 0 ? eof : other)++;
  EXPECT_EQ(one_byte, 300);
  EXPECT_EQ(eof, 1);
  EXPECT_EQ(other, 0);
}

TEST_F(SimChaos, RecordedChaosReplaysExactlyAndTheSameSeedRecordsTheSameRun) {
  const std::string t1 = temp_path("1.jsonl"), t2 = temp_path("2.jsonl"), t3 = temp_path("3.jsonl");
  const std::vector<std::string> prog{example("uring_nop_ping"), "64"};
  auto record = [&](const std::string& out, const char* seed) {
    std::vector<std::string> argv{kCli, "record", "--chaos", seed, "-o", out, "--"};
    argv.insert(argv.end(), prog.begin(), prog.end());
    return run(argv);
  };
  EXPECT_EQ(record(t1, "3").status, 1);  // the program's own verdict: out of order
  EXPECT_EQ(record(t2, "3").status, 1);
  EXPECT_EQ(record(t3, "4").status, 1);
  const nlohmann::json header = nlohmann::json::parse(uringsim::simtest::read_whole_file(t1).substr(0, uringsim::simtest::read_whole_file(t1).find('\n')));
  EXPECT_EQ(header.at("chaos").at("seed").get<uint64_t>(), 3u);
  EXPECT_EQ(header.at("chaos").at("reorder").get<double>(), 0.5);
  const std::vector<std::string> c1 = recorded_cqes(t1);
  EXPECT_EQ(c1.size(), 64u);
  EXPECT_EQ(c1, recorded_cqes(t2));
  EXPECT_NE(c1, recorded_cqes(t3));
  for (const std::string& t : {t1, t3}) {
    const Outcome replay = run({kCli, "replay", "-q", t});
    EXPECT_EQ(replay.status, 0) << replay.out << replay.err;
    const Outcome on_linux = run({kCli, "replay", "-q", "--target", "kernel", t});
    EXPECT_EQ(on_linux.status, 3) << on_linux.out << on_linux.err;
  }
  for (const std::string& t : {t1, t2, t3}) unlink(t.c_str());
}

TEST_F(SimChaos, InvalidProfileExitsTwoWithFileAndLine) {
  const std::string bad_rate = write_temp("bad-rate.json", "{\n  \"reorder\": 0.5,\n  \"eio\": 2\n}\n");
  Outcome o = run(under_sim({"true"}, {"--chaos", "1", "--chaos-profile", bad_rate}));
  EXPECT_EQ(o.status, 2);
  EXPECT_EQ(o.err, "uringsim run: --chaos-profile " + bad_rate +
                       ":3: \"eio\" must be a probability between 0 and 1, got 2\n");
  const std::string unknown = write_temp("unknown.json", "{\"reorder\": 0.5,\n \"shortt\": 1}\n");
  o = run(under_sim({"true"}, {"--chaos", "1", "--chaos-profile", unknown}));
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find(unknown + ":2: unknown key \"shortt\""), std::string::npos) << o.err;
  const std::string syntax = write_temp("syntax.json", "{\"reorder\": 0.5,\n\n \"eio\" 1}\n");
  o = run(under_sim({"true"}, {"--chaos", "1", "--chaos-profile", syntax}));
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find(syntax + ":3: not valid JSON"), std::string::npos) << o.err;
  const std::string overflow = write_temp("overflow.json", "{\"cq_overflow\": -0.1}\n");
  o = run({kCli, "record", "-o", temp_path("never.jsonl"), "--chaos", "1", "--chaos-profile", overflow, "--", "true"});
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find(overflow + ":1: \"cq_overflow\" must be a probability between 0 and 1, got -0.1"),
            std::string::npos)
      << o.err;
  for (const std::string& p : {bad_rate, unknown, syntax, overflow}) unlink(p.c_str());
}

}  // namespace
