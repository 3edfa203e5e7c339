// Minimise: delta debugging (ddmin) over a trace's events.
//
// Removes events -- setups, registers, enters, single SQEs of an enter -- while the
// trace still breaks the same invariant, and returns the smallest trace found. The
// closes at the end of a sequence are kept (without them every candidate would leak
// its rings). Expectations of the result are filled in by the caller's execute().
#pragma once

#include <functional>
#include <string>

#include "traces/trace.h"

namespace uringsim::fuzz {

// `still_fails(candidate)`: true when the candidate still shows the finding.
// `budget`: at most this many candidate runs.
traces::Trace minimise(const traces::Trace& trace, const std::function<bool(const traces::Trace&)>& still_fails,
                       int budget = 2000);

// The trace without closes of rings that no setup before them opened (a setup that
// failed on the target the trace was updated from): traces/jsonl.h rejects such closes,
// so every trace written for `uringsim replay` goes through this.
traces::Trace without_orphan_closes(traces::Trace t);

}  // namespace uringsim::fuzz
