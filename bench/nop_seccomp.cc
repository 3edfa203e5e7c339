// Rows nop/seccomp and sqpoll/seccomp: the nop/linux loop in another process (uringsim_bench_client, Debian's
// liburing, inline syscalls) whose io_uring syscalls are answered by this process through
// seccomp user notification -- exactly `uringsim run -- uringsim_bench_client ...`.
#include <string>

#include "bench/captured.h"
#include "bench/rows.h"
#include "sim/capture.h"

namespace uringsim::bench {

namespace {

RowResult captured_client(const char* mode, const RowParams& p) {
  return run_reporting_client(
      {bench_client_path(), mode, std::to_string(p.ops), std::to_string(p.batch)},
      [](const std::vector<std::string>& argv, std::string* error) {
        sim::RunOptions o;
        o.argv = argv;
        return sim::run_captured(o, error);
      });
}

}  // namespace

RowResult nop_seccomp(const RowParams& p) { return captured_client("nop", p); }

// Row sqpoll/seccomp: the same client on an SQPOLL ring; the SQ thread is the service
// loop's (sim/sq_poller.h), spinning while the thread is awake as Linux's does.
RowResult nop_sqpoll_seccomp(const RowParams& p) { return captured_client("sqpoll", p); }

}  // namespace uringsim::bench
