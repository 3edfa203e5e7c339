// Replay: when the trace's enter consumed fewer SQEs than the target's, the divergence
// names the SQE that ended the trace's batch and the trace's reason for its failed prep
// (read back from the SQ both sides share), so a difference in how far a batch went is
// explained by its cause -- e.g. an opcode the trace's source does not simulate.
#include <gtest/gtest.h>

#include <string>

#include "traces/jsonl.h"
#include "traces/replay.h"

namespace uringsim::traces {
namespace {

Trace parse(const std::string& text) {
  Trace t;
  TraceError err;
  EXPECT_TRUE(parse_trace(text, "t.jsonl", &t, &err)) << err.message();
  return t;
}

std::string joined(const ReplayResult& r) {
  std::string s;
  for (const Divergence& d : r.divergences) s += d.message + "\n";
  return s;
}

TEST(ReplayBatchEnd, ShorterTraceBatchNamesTheSqeThatEndedItAndWhy) {
  // The trace says its batch ended at the first NOP with a failed prep; the simulator
  // runs both NOPs.
  Trace t = parse(R"({"uringsim_trace": 1, "profile": "6.18"}
{"event": "setup", "entries": 8, "params": {"flags": 0}, "ret": 3}
{"event": "enter", "fd": 3, "to_submit": 2, "min_complete": 0, "flags": 0, "sqes": [{"op": "NOP", "user_data": 7}, {"op": "NOP", "user_data": 8}], "ret": 1, "cqes": [{"user_data": 7, "res": -22, "reason": "IORING_OP_X is not simulated"}]}
)");
  SimTarget sim;
  ReplayResult r = replay(t, sim);
  ASSERT_FALSE(r.divergences.empty());
  EXPECT_NE(r.divergences[0].message.find(
                "returned 2, trace expects 1 (trace: its batch ended at user_data 7, whose prep failed: "
                "IORING_OP_X is not simulated)"),
            std::string::npos)
      << joined(r);
}

TEST(ReplayBatchEnd, LongerTraceBatchGetsNoNote) {
  // The target stopped first: the trace has nothing to say about that.
  Trace t = parse(R"({"uringsim_trace": 1, "profile": "6.18"}
{"event": "setup", "entries": 8, "params": {"flags": 0}, "ret": 3}
{"event": "enter", "fd": 3, "to_submit": 2, "min_complete": 0, "flags": 0, "sqes": [{"op": "NOP", "user_data": 7, "ioprio": 1}, {"op": "NOP", "user_data": 8}], "ret": 2, "cqes": [{"user_data": 7, "res": -22, "reason": "why"}, {"user_data": 8, "res": 0}]}
)");
  SimTarget sim;
  ReplayResult r = replay(t, sim);
  ASSERT_FALSE(r.divergences.empty());
  EXPECT_NE(r.divergences[0].message.find("returned 1, trace expects 2"), std::string::npos) << joined(r);
  EXPECT_EQ(r.divergences[0].message.find("batch ended"), std::string::npos) << joined(r);
}

}  // namespace
}  // namespace uringsim::traces
