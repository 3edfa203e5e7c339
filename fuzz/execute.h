// Execute a trace on the simulator and check the fuzzer's invariants.
//
// execute() replays the trace on a SimTarget with --update semantics (the trace's own
// expectations are ignored and replaced by what the model did) and snapshots the
// model after every call: each ring's heads, tails, counters and in-flight requests,
// the caller's locked_vm and pinned_vm, the number of rings. check() then walks the
// updated trace and the snapshots and reports every broken invariant by name:
//
//   cqe_per_sqe         every consumed SQE yields its CQEs: a request posts at most one
//                       CQE without IORING_CQE_F_MORE (one; the zero-copy pair ends with
//                       its notification, which also trails a link-cancelled one's
//                       -ECANCELED; none under CQE_SKIP_SUCCESS), and at the end
//                       every consumed SQE has completed or is still in flight (members
//                       of a link chain with a CQE_SKIP_SUCCESS member excepted: a failed
//                       chain like that completes silently on Linux 6.18 too, checked
//                       with --differential)
//   ring_monotonic      SQ head and CQ tail only move forward, the SQ head never passes
//                       the tail, the CQ never holds more than cq_entries
//   overflow_counters   dropped and cq overflow only grow; a backlog sets
//                       IORING_SQ_CQ_OVERFLOW
//   memlock_accounting  locked_vm == the caller's baseline + the charges of live rings
//                       and pins; nothing charged with CAP_IPC_LOCK; within
//                       RLIMIT_MEMLOCK; back to the baseline (and pinned_vm to 0) when
//                       every ring is gone
//   unknown_user_data   no CQE for a user_data never submitted (MSG_RING targets and
//                       registration tags excepted)
//   tag_cqes            a CQE in the generator's tag namespace (kTagBase) is a
//                       resource tag's release: res 0, flags 0, for a tag the trace
//                       registered, and at most once per tag (each value is used once)
//   leaked_rings        Kernel::ring_count() == 0 after the trace closed every ring
//   model_exception     nothing throws out of the simulator: every input gets an errno
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "kernel_model/profile.h"
#include "traces/trace.h"

namespace uringsim::fuzz {

// Registration tags (IORING_REGISTER_BUFFERS2 / BUFFERS_UPDATE) the generator writes
// are kTagBase + n, n counting from 1 within a sequence: no SQE user_data comes near.
inline constexpr uint64_t kTagBase = 0x7a6700000000ull;
inline constexpr uint64_t kTagMask = 0xffffffff00000000ull;

// One ring as the model had it after a call.
struct RingSnapshot {
  uint32_t sq_head = 0;
  uint32_t sq_tail = 0;
  uint32_t cq_head = 0;
  uint32_t cq_tail = 0;
  uint32_t cq_entries = 0;
  uint32_t dropped = 0;
  uint32_t cq_overflow = 0;
  uint32_t sq_flags = 0;
  size_t backlog = 0;
  size_t inflight = 0;
  uint64_t acct_pages = 0;  // ring memory + buffers charged to locked_vm by this ring
};

struct Snapshot {
  size_t event = 0;                      // index into Trace::events of the call
  std::map<int64_t, RingSnapshot> rings;  // by RingId
  uint64_t locked_pages = 0;
  uint64_t pinned_pages = 0;
  size_t ring_count = 0;
};

struct Observation {
  traces::Trace updated;            // the trace with the model's answers
  std::vector<Snapshot> snapshots;  // after every call, in order
  std::vector<std::pair<int, int64_t>> ring_ids;  // trace fd name -> RingId, in setup order
  bool memlock_charged = true;      // the caller lacks CAP_IPC_LOCK
  uint64_t memlock_limit_pages = ~uint64_t{0};
  size_t sqes = 0;
  size_t cqes = 0;
  std::string exception;  // what() of an exception that escaped the simulator
  size_t exception_event = 0;
};

struct Violation {
  std::string invariant;  // one of the names above
  size_t event = 0;       // index into Trace::events where it was seen
  std::string message;
};

// Runs `trace` on a fresh simulator. `profile`: null for the trace's own.
Observation execute(const traces::Trace& trace, const Profile* profile = nullptr);

// Every broken invariant in `obs` (empty when all hold).
std::vector<Violation> check(const Observation& obs);

// Test-only: a hook that doctors an observation before it is checked, to prove each
// invariant is reported (and the report minimised) when it breaks.
using Doctor = std::function<void(Observation&)>;

// The names of every invariant, for documentation and tests.
const std::vector<std::string>& invariant_names();

}  // namespace uringsim::fuzz
