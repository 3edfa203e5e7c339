// libFuzzer (and AFL++) entry point over the trace parser: bytes -> traces' JSONL
// reader. The reader promises to be total (traces/jsonl.h): any input gives a trace or
// a TraceError, never a crash or an escaping exception. A trace that parses must also
// survive write -> parse unchanged in meaning (the writer's output parses).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "traces/jsonl.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace uringsim::traces;
  Trace t;
  TraceError err;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!parse_trace(text, "fuzz", &t, &err)) return 0;
  Trace again;
  if (!parse_trace(write_trace(t), "rewritten", &again, &err)) std::abort();
  return 0;
}
