// suite "fuzz", row "embedded": `uringsim fuzz` throughput on one core -- generated
// sequences executed on the simulator with every invariant checked (fuzz/fuzzer.h).
// One operation is one SQE written to an SQ; `batch` is unused (sequences choose
// their own batches).
#include "bench/rows.h"
#include "fuzz/fuzzer.h"

namespace uringsim::bench {

RowResult fuzz_embedded(const RowParams& p) {
  RowResult r;
  fuzz::FuzzOptions o;
  o.seed = 1;
  uint64_t sqes = 0;
  double seconds = 0;
  // Sequences average ~20 SQEs: run blocks of sequences until `ops` SQEs are done.
  for (uint64_t block = 0; sqes < p.ops; ++block) {
    o.seed = block + 1;
    o.iterations = 256;
    const fuzz::FuzzReport rep = fuzz::run_campaign(o);
    sqes += rep.sqes;
    seconds += rep.seconds;
  }
  r.ok = true;
  r.ops = sqes;
  r.seconds = seconds;
  return r;
}

}  // namespace uringsim::bench
