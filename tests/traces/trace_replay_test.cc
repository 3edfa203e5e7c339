// Replay: every sample agrees with the simulator (and with Linux, where Linux is the
// kernel the sample describes), divergences are found and explained, and CQEs are
// compared exactly as traces/FORMAT.md says.
#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <filesystem>
#include <string>

#include "kernel_model/profile.h"
#include "traces/jsonl.h"
#include "traces/replay.h"

namespace uringsim::traces {
namespace {

// The samples live beside the golden files' parent: tests/traces/golden -> traces/samples.
const std::string kSamples = std::string(URINGSIM_TRACES_GOLDEN_DIR) + "/../../../traces/samples";

std::vector<std::string> sample_files() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(kSamples)) {
    if (e.path().extension() == ".jsonl") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Trace load(const std::string& path) {
  Trace t;
  TraceError err;
  EXPECT_TRUE(read_trace_file(path, &t, &err)) << err.message();
  return t;
}

Trace parse(const std::string& text) {
  Trace t;
  TraceError err;
  EXPECT_TRUE(parse_trace(text, "t.jsonl", &t, &err)) << err.message();
  return t;
}

std::string host_version() {
  utsname u;
  if (uname(&u) != 0) return "";
  std::string r = u.release;  // "6.18.44-..."
  const size_t dot = r.find('.');
  if (dot == std::string::npos) return r;
  const size_t end = r.find_first_not_of("0123456789", dot + 1);
  return r.substr(0, end);
}

std::string joined(const ReplayResult& r) {
  std::string s = r.skip_reason;
  for (const Divergence& d : r.divergences) s += d.message + "\n";
  return s;
}

TEST(TraceReplay, ThereAreSamples) { EXPECT_GE(sample_files().size(), 10u); }

TEST(TraceReplay, EverySampleAgreesWithTheSimulator) {
  for (const std::string& f : sample_files()) {
    SCOPED_TRACE(f);
    Trace t = load(f);
    SimTarget sim;
    ReplayResult r = replay(t, sim);
    EXPECT_TRUE(r.ok()) << joined(r);
    EXPECT_GT(r.calls, 0u);
  }
}

TEST(TraceReplay, EverySampleAgreesWithLinux) {
  std::string why;
  if (!KernelTarget::available(&why)) GTEST_SKIP() << "no usable io_uring on this host: " << why;
  const std::string host = host_version();
  int replayed = 0;
  for (const std::string& f : sample_files()) {
    SCOPED_TRACE(f);
    Trace t = load(f);
    if (t.header.profile != host) continue;  // a 5.1 trace describes another kernel
    KernelTarget linux_target;
    // Another caller (memlock_exceeded): a child process becomes it (needs root).
    ReplayResult r = t.header.caller.is_default() ? replay(t, linux_target) : replay_on_linux_as(t, t.header.caller);
    if (r.skipped) continue;  // e.g. needs root or huge pages; said in skip_reason
    EXPECT_TRUE(r.ok()) << joined(r);
    ++replayed;
  }
  if (replayed == 0) GTEST_SKIP() << "no sample is for this host's kernel (" << host << ")";
}

TEST(TraceReplay, DivergenceNamesTheSqeExpectedActualAndReason) {
  Trace t = parse(R"({"uringsim_trace": 1, "profile": "6.18"}
{"event": "setup", "entries": 8, "params": {"flags": 0}, "ret": 3}
{"event": "enter", "fd": 3, "to_submit": 1, "min_complete": 1, "flags": ["GETEVENTS"], "sqes": [{"op": 250, "user_data": 9}], "ret": 1, "cqes": [{"user_data": 9, "res": 0}]}
)");
  SimTarget sim;
  ReplayResult r = replay(t, sim);
  ASSERT_EQ(r.divergences.size(), 1u) << joined(r);
  const std::string& m = r.divergences[0].message;
  EXPECT_EQ(r.divergences[0].line, 3);
  EXPECT_NE(m.find("t.jsonl:3: "), std::string::npos) << m;
  EXPECT_NE(m.find("CQE user_data 9 [opcode 250 user_data=9]"), std::string::npos) << m;
  EXPECT_NE(m.find("trace expects res 0 flags 0x0, got res -22 (EINVAL)"), std::string::npos) << m;
  EXPECT_NE(m.find("opcode 250 does not exist on Linux 6.18"), std::string::npos) << m;
}

TEST(TraceReplay, UpdateRewritesExpectationsThatThenAgree) {
  Trace t = parse(R"({"uringsim_trace": 1, "profile": "6.18"}
{"event": "setup", "entries": 3, "params": {"flags": 0}, "ret": 3}
{"event": "enter", "fd": 3, "to_submit": 2, "min_complete": 2, "flags": ["GETEVENTS"], "sqes": [{"op": "NOP", "user_data": 1}, {"op": 250, "user_data": 2}], "ret": 0, "cqes": []}
)");
  SimTarget sim;
  ReplayOptions o;
  o.update = true;
  ReplayResult r = replay(t, sim, o);
  EXPECT_FALSE(r.divergences.empty());
  const auto& setup = std::get<SetupEvent>(r.updated.events[0].body);
  EXPECT_EQ(setup.params_out.at("sq_entries"), 4u);  // 3 rounds up
  const auto& en = std::get<EnterEvent>(r.updated.events[1].body);
  EXPECT_EQ(en.ret, 2);
  ASSERT_EQ(en.cqes.size(), 2u);
  EXPECT_EQ(en.cqes[1].res, -22);
  EXPECT_FALSE(en.cqes[1].reason.empty());
  // Written and read back, the updated trace replays cleanly.
  Trace again;
  TraceError err;
  ASSERT_TRUE(parse_trace(write_trace(r.updated), "u", &again, &err)) << err.message();
  SimTarget sim2;
  ReplayResult r2 = replay(again, sim2);
  EXPECT_TRUE(r2.ok()) << joined(r2);
}

// The comparison rule: a link chain must complete in chain order, inline NOPs in
// submission order; anything else may come in any order.
TEST(TraceReplay, InlineNopsAreComparedInOrder) {
  Trace t = parse(R"({"uringsim_trace": 1, "profile": "6.18"}
{"event": "setup", "entries": 8, "params": {"flags": 0}, "ret": 3}
{"event": "enter", "fd": 3, "to_submit": 2, "min_complete": 2, "flags": ["GETEVENTS"], "sqes": [{"op": "NOP", "user_data": 1}, {"op": "NOP", "user_data": 2}], "ret": 2, "cqes": [{"user_data": 2, "res": 0}, {"user_data": 1, "res": 0}]}
)");
  SimTarget sim;
  ReplayResult r = replay(t, sim);
  ASSERT_EQ(r.divergences.size(), 1u) << joined(r);
  EXPECT_NE(r.divergences[0].message.find("CQEs out of order: NOPs completed inline"), std::string::npos) << joined(r);
}

TEST(TraceReplay, LinkChainsAreComparedInChainOrder) {
  Trace t = parse(R"({"uringsim_trace": 1, "profile": "6.18"}
{"event": "setup", "entries": 8, "params": {"flags": 0}, "ret": 3}
{"event": "enter", "fd": 3, "to_submit": 2, "min_complete": 2, "flags": ["GETEVENTS"], "sqes": [{"op": "NOP", "user_data": 1, "flags": ["IO_LINK", "ASYNC"]}, {"op": "NOP", "user_data": 2, "flags": ["ASYNC"]}], "ret": 2, "cqes": [{"user_data": 2, "res": 0}, {"user_data": 1, "res": 0}]}
)");
  SimTarget sim;
  ReplayResult r = replay(t, sim);
  ASSERT_EQ(r.divergences.size(), 1u) << joined(r);
  EXPECT_NE(r.divergences[0].message.find("a link chain"), std::string::npos) << joined(r);
}

TEST(TraceReplay, UnorderedRequestsAreAMultiset) {
  // IOSQE_ASYNC NOPs outside a chain: Linux may complete them in any order.
  Trace t = parse(R"({"uringsim_trace": 1, "profile": "6.18"}
{"event": "setup", "entries": 8, "params": {"flags": 0}, "ret": 3}
{"event": "enter", "fd": 3, "to_submit": 2, "min_complete": 2, "flags": ["GETEVENTS"], "sqes": [{"op": "NOP", "user_data": 1, "flags": ["ASYNC"]}, {"op": "NOP", "user_data": 2, "flags": ["ASYNC"]}], "ret": 2, "cqes": [{"user_data": 2, "res": 0}, {"user_data": 1, "res": 0}]}
)");
  SimTarget sim;
  ReplayResult r = replay(t, sim);
  EXPECT_TRUE(r.ok()) << joined(r);
}

TEST(TraceReplay, MissingAndUnexpectedCqes) {
  Trace t = parse(R"({"uringsim_trace": 1, "profile": "6.18"}
{"event": "setup", "entries": 8, "params": {"flags": 0}, "ret": 3}
{"event": "enter", "fd": 3, "to_submit": 1, "min_complete": 1, "flags": ["GETEVENTS"], "sqes": [{"op": "NOP", "user_data": 1}], "ret": 1, "cqes": [{"user_data": 5, "res": 0}]}
)");
  SimTarget sim;
  ReplayResult r = replay(t, sim);
  ASSERT_EQ(r.divergences.size(), 2u) << joined(r);
  EXPECT_NE(r.divergences[0].message.find("CQE user_data 5: trace expects res 0 flags 0x0, but no such CQE appeared"),
            std::string::npos) << joined(r);
  EXPECT_NE(r.divergences[1].message.find("unexpected CQE user_data 1"), std::string::npos) << joined(r);
}

TEST(TraceReplay, AnotherProfileChangesTheAnswer) {
  // The 6.18 sample replayed as 5.1: file-backed buffers are EOPNOTSUPP there.
  Trace t = load(kSamples + "/file_backed_buffer_6.18.jsonl");
  SimTarget sim(find_profile("5.1"));
  ReplayResult r = replay(t, sim);
  ASSERT_FALSE(r.divergences.empty());
  EXPECT_NE(joined(r).find("returned -95"), std::string::npos) << joined(r);
}

TEST(TraceReplay, RegionsAreRelocated) {
  // The same trace placed at other addresses gives the same answers: the READ_FIXED
  // address is rewritten from {region, offset}.
  Trace t = load(kSamples + "/read_fixed_bad_range.jsonl");
  SimTarget sim;
  ASSERT_TRUE(replay(t, sim).ok());
  EXPECT_EQ(sim.region_address("buf") % 4096, 0u);
  EXPECT_NE(sim.region_address("buf"), 0u);
}

TEST(TraceReplay, ThroughputIsMeasured) {
  Trace t = load(kSamples + "/nop_batch.jsonl");
  std::string error;
  const double eps = replay_events_per_second(t, 0.05, &error);
  EXPECT_GT(eps, 0) << error;
}

// `uringsim replay --cost-model FILE`: the SimTarget's Kernel charges with the given
// coefficients, so each call's model time is exactly syscall_ns + n * sqe_ns here.
TEST(TraceReplay, CostModelChangesTheModelTimeExactly) {
  const Trace t = load(kSamples + "/nop_batch.jsonl");
  ReplayOptions update;
  update.update = true;
  SimTarget defaults;
  const ReplayResult d = replay(t, defaults, update);
  ASSERT_TRUE(d.ok()) << joined(d);
  EXPECT_EQ(d.updated.events[0].model_time_ns.value_or(0), CostModel{}.syscall_ns);
  EXPECT_EQ(d.updated.events[1].model_time_ns.value_or(0), CostModel{}.syscall_ns + 3 * CostModel{}.sqe_ns);

  CostModel slow;
  slow.syscall_ns = 1000;
  slow.sqe_ns = 7;
  SimTarget custom;
  custom.set_cost_model(slow);
  const ReplayResult c = replay(t, custom, update);
  ASSERT_TRUE(c.ok()) << joined(c);
  EXPECT_EQ(c.updated.events[0].model_time_ns.value_or(0), 1000u);
  EXPECT_EQ(c.updated.events[1].model_time_ns.value_or(0), 1021u);

  // A trace carrying the default model's times diverges on the other model, by the ns.
  SimTarget again;
  again.set_cost_model(slow);
  const ReplayResult r = replay(d.updated, again);
  ASSERT_EQ(r.divergences.size(), 2u) << joined(r);
  EXPECT_NE(r.divergences[1].message.find("model time: the call cost 1021 ns on the cost model, trace expects 330 ns"),
            std::string::npos)
      << r.divergences[1].message;
}

}  // namespace
}  // namespace uringsim::traces
