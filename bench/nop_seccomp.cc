// Row nop/seccomp: the nop/linux loop in another process (uringsim_bench_client, Debian's
// liburing, inline syscalls) whose io_uring syscalls are answered by this process through
// seccomp user notification -- exactly `uringsim run -- uringsim_bench_client ...`.
#include <string>

#include "bench/captured.h"
#include "bench/rows.h"
#include "sim/capture.h"

namespace uringsim::bench {

RowResult nop_seccomp(const RowParams& p) {
  return run_reporting_client(
      {bench_client_path(), "nop", std::to_string(p.ops), std::to_string(p.batch)},
      [](const std::vector<std::string>& argv, std::string* error) {
        sim::RunOptions o;
        o.argv = argv;
        return sim::run_captured(o, error);
      });
}

}  // namespace uringsim::bench
