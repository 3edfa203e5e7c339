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

}  // namespace uringsim::fuzz
