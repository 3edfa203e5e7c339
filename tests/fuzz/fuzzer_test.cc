// The fuzzer's own evidence: deterministic, every invariant is reported and minimised
// when broken (through the test-only Doctor hook), findings replay.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz/allowlist.h"
#include "fuzz/execute.h"
#include "fuzz/fuzzer.h"
#include "fuzz/generator.h"
#include "fuzz/rng.h"
#include "traces/jsonl.h"
#include "traces/replay.h"

namespace uringsim::fuzz {
namespace {

std::string temp_dir(const std::string& name) {
  const std::string d = std::filesystem::temp_directory_path() / ("uringsim-fuzz-test-" + name + "-" +
                                                                  std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

TEST(FuzzDeterminism, SameSeedGivesSameDigest) {
  FuzzOptions o;
  o.seed = 42;
  o.iterations = 300;
  const FuzzReport a = run_campaign(o);
  const FuzzReport b = run_campaign(o);
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.sqes, b.sqes);
  EXPECT_EQ(a.cqes, b.cqes);
  EXPECT_GT(a.sqes, 1000u);
}

TEST(FuzzDeterminism, DifferentSeedGivesDifferentDigest) {
  FuzzOptions o;
  o.iterations = 100;
  o.seed = 1;
  const FuzzReport a = run_campaign(o);
  o.seed = 2;
  const FuzzReport b = run_campaign(o);
  EXPECT_NE(a.digest, b.digest);
}

TEST(FuzzDeterminism, GeneratorIsAPureFunctionOfTheSeed) {
  EXPECT_EQ(traces::write_trace(generate(sequence_seed(5, 9))), traces::write_trace(generate(sequence_seed(5, 9))));
  EXPECT_NE(traces::write_trace(generate(sequence_seed(5, 9))), traces::write_trace(generate(sequence_seed(5, 10))));
}

TEST(FuzzGenerator, GeneratedTracesRoundTripThroughJsonl) {
  for (uint64_t i = 0; i < 500; ++i) {
    const traces::Trace t = generate(sequence_seed(3, i));
    traces::Trace back;
    traces::TraceError err;
    ASSERT_TRUE(traces::parse_trace(traces::write_trace(t), "gen", &back, &err)) << i << ": " << err.message();
  }
}

// The generator's sequences hold every invariant on the model as it is (a campaign
// whose only findings are real model bugs is reported in the lead's issue instead).
TEST(FuzzInvariants, GeneratedSequencesHoldTheAccountingInvariants) {
  FuzzOptions o;
  o.seed = 11;
  o.iterations = 300;
  const FuzzReport r = run_campaign(o);
  for (const Finding& f : r.findings) {
    EXPECT_EQ(f.invariant, "model_exception") << f.message;  // traces/sim_target.cc MemoryFile (reported)
  }
}

// The generator registers tagged buffer tables (REGISTER_BUFFERS2), updates them
// (BUFFERS_UPDATE) and clones tables between rings (CLONE_BUFFERS), with arguments
// that succeed and arguments that fail; released tags come back as CQEs, each once
// (the tag_cqes invariant), and memlock returns to the baseline.
TEST(FuzzGenerator, CoversTaggedBuffersUpdatesAndClones) {
  struct Tally {
    int ok = 0, failed = 0;
    std::vector<std::string> reasons;  // a few of the failures, for the message
  };
  std::map<uint32_t, Tally> by_op;
  size_t tag_cqes = 0;
  for (uint64_t i = 0; i < 2000; ++i) {
    const Observation obs = execute(generate(sequence_seed(17, i)));
    for (const Violation& v : check(obs)) {
      EXPECT_EQ(v.invariant, "model_exception") << "sequence " << i << ": " << v.message;
    }
    for (const traces::Event& e : obs.updated.events) {
      std::vector<traces::CqeRecord> cqes;
      if (const auto* r = std::get_if<traces::RegisterEvent>(&e.body)) {
        Tally& t = by_op[r->opcode];
        (r->ret >= 0 ? t.ok : t.failed)++;
        if (r->ret < 0 && t.reasons.size() < 400) t.reasons.push_back(r->reason);
        cqes = r->cqes;
      } else if (const auto* en = std::get_if<traces::EnterEvent>(&e.body)) {
        cqes = en->cqes;
      }
      for (const traces::CqeRecord& c : cqes) tag_cqes += (c.user_data & kTagMask) == kTagBase;
    }
  }
  for (uint32_t op : {IORING_REGISTER_BUFFERS2, IORING_REGISTER_BUFFERS_UPDATE, IORING_REGISTER_CLONE_BUFFERS}) {
    EXPECT_GT(by_op[op].ok, 0) << traces::register_op_name(op) << ": "
                               << ::testing::PrintToString(by_op[op].reasons);
    EXPECT_GT(by_op[op].failed, 0) << traces::register_op_name(op);
  }
  EXPECT_GT(tag_cqes, 0u) << "BUFFERS2 ok " << by_op[IORING_REGISTER_BUFFERS2].ok << ", UNREGISTER_BUFFERS ok "
                          << by_op[IORING_UNREGISTER_BUFFERS].ok << ", BUFFERS_UPDATE ok "
                          << by_op[IORING_REGISTER_BUFFERS_UPDATE].ok;
}

// A doctor that breaks `invariant` whenever the sequence has a live ring.
Doctor breaker(const std::string& invariant) {
  return [invariant](Observation& obs) {
    if (obs.ring_ids.empty()) return;
    if (invariant == "model_exception") {
      obs.exception = "injected by the test";
      return;
    }
    if (invariant == "leaked_rings") {
      if (!obs.snapshots.empty()) obs.snapshots.back().ring_count = 1;
      return;
    }
    if (invariant == "cqe_per_sqe" || invariant == "unknown_user_data" || invariant == "tag_cqes") {
      for (traces::Event& e : obs.updated.events) {
        auto* en = std::get_if<traces::EnterEvent>(&e.body);
        if (en == nullptr || en->cqes.empty()) continue;
        traces::CqeRecord extra = en->cqes.front();
        if (invariant == "unknown_user_data") extra.user_data = 0xdeadbeefcafeull;
        if (invariant == "tag_cqes") extra.user_data = kTagBase + 999999;  // a tag never registered
        en->cqes.push_back(extra);
        return;
      }
      return;
    }
    for (Snapshot& s : obs.snapshots) {
      if (s.rings.empty()) continue;
      RingSnapshot& r = s.rings.begin()->second;
      if (invariant == "ring_monotonic") r.sq_head = r.sq_tail + 1;
      if (invariant == "overflow_counters") {
        r.backlog = 1;
        r.sq_flags = 0;
      }
      if (invariant == "memlock_accounting") s.locked_pages += 7;
      return;
    }
  };
}

class BrokenInvariant : public ::testing::TestWithParam<std::string> {};

TEST_P(BrokenInvariant, IsReportedMinimisedAndReplayable) {
  const std::string inv = GetParam();
  FuzzOptions o;
  o.seed = 2024;
  o.iterations = 40;
  o.max_findings_written = 1;
  o.doctor = breaker(inv);
  o.out_dir = temp_dir(inv);
  const FuzzReport r = run_campaign(o);
  const Finding* found = nullptr;
  for (const Finding& f : r.findings) {
    if (f.invariant == inv && !f.path.empty()) found = found ? found : &f;
  }
  ASSERT_NE(found, nullptr) << inv << " was not reported";
  EXPECT_GT(r.violations, 0u);
  // Minimised: a setup and (for CQE invariants) one enter, plus the close.
  EXPECT_LT(found->events_after, found->events_before);
  EXPECT_LE(found->events_after, 4u) << inv;
  EXPECT_NE(found->path.find(inv), std::string::npos);

  traces::Trace t;
  traces::TraceError err;
  ASSERT_TRUE(traces::read_trace_file(found->path, &t, &err)) << err.message();
  // The finding still breaks the invariant under the same doctor ...
  bool again = false;
  for (const Violation& v : run_one(t, nullptr, o.doctor)) again |= v.invariant == inv;
  EXPECT_TRUE(again);
  // ... and replays exactly on the simulator, in-process and through the CLI.
  traces::SimTarget sim;
  const traces::ReplayResult rr = traces::replay(t, sim);
  EXPECT_TRUE(rr.ok()) << (rr.divergences.empty() ? rr.skip_reason : rr.divergences[0].message);
  const std::string cmd = std::string(URINGSIM_CLI_PATH) + " replay -q " + found->path + " > /dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::filesystem::remove_all(o.out_dir);
}

INSTANTIATE_TEST_SUITE_P(Each, BrokenInvariant, ::testing::ValuesIn(invariant_names()),
                         [](const auto& info) { return info.param; });

// The other direction of cqe_per_sqe: a consumed SQE whose CQE never appears (and
// that is not in flight) is reported too.
TEST(FuzzInvariants, AMissingCqeIsReportedAndMinimised) {
  FuzzOptions o;
  o.seed = 2024;
  o.iterations = 40;
  o.max_findings_written = 1;
  o.doctor = [](Observation& obs) {
    for (traces::Event& e : obs.updated.events) {
      auto* en = std::get_if<traces::EnterEvent>(&e.body);
      if (en == nullptr || en->cqes.empty()) continue;
      for (Snapshot& s : obs.snapshots) {
        for (auto& [id, r] : s.rings) r.inflight = r.backlog = 0;
      }
      en->cqes.clear();  // a CQE lost
      return;
    }
  };
  const FuzzReport r = run_campaign(o);
  const Finding* found = nullptr;
  for (const Finding& f : r.findings) {
    if (f.invariant == "cqe_per_sqe" && f.message.find("have no CQE") != std::string::npos) found = found ? found : &f;
  }
  ASSERT_NE(found, nullptr);
  EXPECT_LE(found->events_after, 4u);
}

TEST(FuzzMinimise, KeepsTheTraceParseable) {
  FuzzOptions o;
  o.seed = 77;
  o.iterations = 10;
  o.doctor = breaker("leaked_rings");
  o.out_dir = temp_dir("parse");
  const FuzzReport r = run_campaign(o);
  ASSERT_FALSE(r.findings.empty());
  for (const Finding& f : r.findings) {
    if (f.path.empty()) continue;
    traces::Trace t;
    traces::TraceError err;
    EXPECT_TRUE(traces::read_trace_file(f.path, &t, &err)) << err.message();
  }
  std::filesystem::remove_all(o.out_dir);
}

TEST(FuzzAllowlist, EveryEntryHasAReason) {
  for (const AllowEntry& e : differential_allowlist()) {
    EXPECT_FALSE(e.name.empty());
    EXPECT_FALSE(e.contains.empty());
    EXPECT_GT(e.reason.size(), 40u) << e.name;
  }
}

// The CLI smoke CI runs: a short campaign through `uringsim fuzz` finds nothing and
// reports what it ran (exit status 0, one JSON object).
TEST(FuzzCli, SmokeCampaignThroughTheCliHasNoFindings) {
  const std::string out = temp_dir("cli-smoke") + "/report.json";
  const std::string cmd = std::string(URINGSIM_CLI_PATH) + " fuzz --seed 1 --iterations 300 --json > " + out + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(out);
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j.at("sequences").get<uint64_t>(), 300u);
  EXPECT_EQ(j.at("violations").get<uint64_t>(), 0u);
  EXPECT_GT(j.at("sqes").get<uint64_t>(), 1000u);
  EXPECT_TRUE(j.at("findings").empty());
}

TEST(FuzzDifferential, SmokeAgainstHostIoUring) {
  std::string why;
  if (!traces::KernelTarget::available(&why)) GTEST_SKIP() << "no io_uring on this host: " << why;
  FuzzOptions o;
  o.seed = 5;
  o.iterations = 10;
  o.differential = true;
  const FuzzReport r = run_campaign(o);
  EXPECT_TRUE(r.differential_unavailable.empty()) << r.differential_unavailable;
  EXPECT_EQ(r.sequences, 10u);
  // Differences are findings for the model (reported), not failures of the harness:
  // every one is attributed to a sequence with a message.
  for (const Finding& f : r.findings) {
    if (f.invariant == "differential") {
      EXPECT_FALSE(f.message.empty());
    }
  }
}

}  // namespace
}  // namespace uringsim::fuzz
