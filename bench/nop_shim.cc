// Row nop/shim: the nop/linux loop in a program linked with libiouringsim.so
// (uringsim_bench_shim_client): every io_uring_setup/io_uring_enter is a call into the
// shim's in-process simulated kernel -- what a program gets from -liouringsim or
// LD_PRELOAD, with the shim's lock and fd lookup on every call.
#include <string>

#include "bench/captured.h"
#include "bench/rows.h"

namespace uringsim::bench {

RowResult nop_shim(const RowParams& p) {
  return run_reporting_client(
      {bench_shim_client_path(), "nop", std::to_string(p.ops), std::to_string(p.batch)},
      [](const std::vector<std::string>& argv, std::string*) {
        // The client's own complaints go to this process's stderr.
        return run_program(argv, 2);
      });
}

}  // namespace uringsim::bench
