// suite "replay": trace replay throughput, syscall events (setup, enter, register)
// per second -- the same trace replayed on the simulator (SimTarget) and on this
// machine's io_uring (KernelTarget). One operation is one syscall event; `batch` is
// unused (the trace fixes its batches). Placing regions and files (prepare) is not
// timed, as in traces::replay_events_per_second.
#include <memory>
#include <string>

#include "bench/rows.h"
#include "traces/jsonl.h"
#include "traces/replay.h"

namespace uringsim::bench {

namespace {

// One ring with one registered buffer and a file; 32 enters alternating a batch of 8
// NOPs with a WRITE_FIXED + READ_FIXED pair; then unregister and close: 35 calls.
std::string replay_trace_text() {
  std::string t =
      R"({"uringsim_trace":1,"profile":"6.18","creator":"bench/replay_row.cc"})" "\n"
      R"({"event":"region","id":"buf","size":8192,"kind":"anonymous","seed":7})" "\n"
      R"({"event":"file","fd":5,"kind":"regular","contents":"","mode":"rdwr"})" "\n"
      R"({"event":"setup","entries":16,"params":{"flags":0},"ret":3})" "\n"
      R"({"event":"register","fd":3,"opcode":"REGISTER_BUFFERS","nr_args":1,"iovecs":[{"base":{"region":"buf","offset":0},"len":8192}],"ret":0})" "\n";
  uint64_t ud = 1;
  for (int i = 0; i < 32; ++i) {
    if (i % 2 == 0) {
      std::string sqes, cqes;
      for (int n = 0; n < 8; ++n, ++ud) {
        sqes += (n ? "," : "") + std::string(R"({"op":"NOP","user_data":)") + std::to_string(ud) + "}";
        cqes += (n ? "," : "") + std::string(R"({"user_data":)") + std::to_string(ud) + R"(,"res":0})";
      }
      t += R"({"event":"enter","fd":3,"to_submit":8,"min_complete":8,"flags":["GETEVENTS"],"sqes":[)" + sqes +
           R"(],"ret":8,"cqes":[)" + cqes + "]}\n";
    } else {
      const std::string w = std::to_string(ud++), r = std::to_string(ud++);
      t += R"({"event":"enter","fd":3,"to_submit":2,"min_complete":2,"flags":["GETEVENTS"],"sqes":[)"
           R"({"op":"WRITE_FIXED","flags":["IO_LINK"],"user_data":)" + w +
           R"(,"fd":5,"addr":{"region":"buf","offset":0},"len":4096},)"
           R"({"op":"READ_FIXED","user_data":)" + r +
           R"(,"fd":5,"addr":{"region":"buf","offset":4096},"len":4096}],"ret":2,"cqes":[)"
           R"({"user_data":)" + w + R"(,"res":4096},{"user_data":)" + r + R"(,"res":4096}]})" "\n";
    }
  }
  t += R"({"event":"register","fd":3,"opcode":"UNREGISTER_BUFFERS","nr_args":0,"ret":0})" "\n"
       R"({"event":"close","fd":3})" "\n";
  return t;
}

template <typename MakeTarget>
RowResult replay_row(const RowParams& p, MakeTarget make_target) {
  RowResult r;
  traces::Trace trace;
  traces::TraceError err;
  if (!traces::parse_trace(replay_trace_text(), "bench/replay_row.cc", &trace, &err)) {
    r.error = err.message();
    return r;
  }
  while (r.ops < p.ops) {
    auto target = make_target();
    const traces::ReplayResult res = traces::replay(trace, *target);
    if (!res.ok()) {
      r.error = res.skipped ? "skipped: " + res.skip_reason
                            : "the trace diverged: " + res.divergences.front().message;
      return r;
    }
    r.ops += res.calls;
    r.seconds += res.seconds;
  }
  r.ok = true;
  return r;
}

}  // namespace

RowResult replay_sim(const RowParams& p) {
  return replay_row(p, [] { return std::make_unique<traces::SimTarget>(); });
}

RowResult replay_linux(const RowParams& p) {
  std::string why;
  if (!traces::KernelTarget::available(&why)) {
    RowResult r;
    r.error = "no usable io_uring: " + why;
    return r;
  }
  return replay_row(p, [] { return std::make_unique<traces::KernelTarget>(); });
}

}  // namespace uringsim::bench
