// Row nop/seccomp: the nop/linux loop in another process (uringsim_bench_client, Debian's
// liburing, inline syscalls) whose io_uring syscalls are answered by this process through
// seccomp user notification -- exactly `uringsim run -- uringsim_bench_client ...`.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "bench/captured.h"
#include "bench/rows.h"
#include "sim/capture.h"

namespace uringsim::bench {

RowResult nop_seccomp(const RowParams& p) {
  RowResult r;
  const std::string client = bench_client_path();
  if (access(client.c_str(), X_OK) != 0) {
    r.error = client + " is not built (build the uringsim_bench_client target)";
    return r;
  }
  // The client writes "OPS SECONDS" (its timed loop only) to this inherited fd.
  const int out = memfd_create("uringsim-bench-result", 0);
  if (out < 0) {
    r.error = "memfd_create failed";
    return r;
  }
  sim::RunOptions o;
  o.argv = {client, "nop", std::to_string(p.ops), std::to_string(p.batch), std::to_string(out)};
  std::string error;
  const int status = sim::run_captured(o, &error);
  const std::string text = read_whole_fd(out);
  close(out);
  if (status != 0) {
    r.error = !error.empty() ? error : "the client exited with status " + std::to_string(status);
    return r;
  }
  unsigned long long ops = 0;
  double seconds = 0;
  if (std::sscanf(text.c_str(), "%llu %lf", &ops, &seconds) != 2 || seconds <= 0) {
    r.error = "the client reported nothing: '" + text + "'";
    return r;
  }
  r.ok = true;
  r.ops = ops;
  r.seconds = seconds;
  return r;
}

}  // namespace uringsim::bench
