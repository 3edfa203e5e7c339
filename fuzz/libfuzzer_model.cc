// libFuzzer (and AFL++) entry point over the model: bytes -> trace -> execute + invariants.
//
// The bytes drive the generator's choices (fuzz/generator.h, generate_from_bytes), so
// every input is a well-formed sequence and coverage feedback steers the choices. A
// broken invariant aborts, which libFuzzer reports as a crash with the input saved;
// `uringsim fuzz` style minimised traces come from re-running that input through
// run_one (see docs/fuzzing.md).
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz/execute.h"
#include "fuzz/fuzzer.h"
#include "fuzz/generator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace uringsim::fuzz;
  GeneratorOptions g;
  g.max_events = 32;
  const uringsim::traces::Trace t = generate_from_bytes(data, size, g);
  for (const Violation& v : run_one(t, nullptr, nullptr)) {
    std::fprintf(stderr, "invariant %s broken at event %zu: %s\n", v.invariant.c_str(), v.event, v.message.c_str());
    std::abort();
  }
  return 0;
}
