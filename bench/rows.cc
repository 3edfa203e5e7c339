// The table of benchmark rows. Add a row: one line here, its function in rows.h.
#include "bench/rows.h"

namespace uringsim::bench {

const std::vector<Row>& all_rows() {
  static const std::vector<Row> rows = {
      {"nop", "linux", "Linux io_uring via liburing (submit_and_wait, cq_advance)", true,
       nop_linux},
      {"nop", "embedded",
       "sim::EmbeddedKernel in-process: memfd rings mmapped, SQEs written by hand", false,
       nop_embedded},
      {"nop", "shim",
       "uringsim_bench_shim_client linked with libiouringsim.so (in-process kernel, libc-style calls)",
       false, nop_shim},
      {"nop", "seccomp",
       "uringsim_bench_client (liburing, inline syscalls) under seccomp capture by this process",
       false, nop_seccomp},
      {"sqpoll", "linux", "Linux IORING_SETUP_SQPOLL ring via liburing (the SQ thread submits)", true,
       nop_sqpoll_linux},
      {"sqpoll", "embedded", "sim::EmbeddedKernel SQPOLL ring: its SQ thread host consumes the SQ", false,
       nop_sqpoll_embedded},
      {"sqpoll", "seccomp", "uringsim_bench_client on an SQPOLL ring under seccomp capture by this process", false,
       nop_sqpoll_seccomp},
      {"fio", "linux", "fio --ioengine=io_uring --fixedbufs 4k randread, /dev/shm, on Linux", true,
       fio_linux},
      {"fio", "seccomp", "the same fio under seccomp capture (uringsim run)", false, fio_seccomp},
      {"fuzz", "embedded", "uringsim fuzz: generated sequences on the simulator, invariants checked (SQEs)", false,
       fuzz_embedded},
      {"replay", "linux", "uringsim replay --target kernel: a 35-call trace on Linux io_uring (calls)", true,
       replay_linux},
      {"replay", "sim", "uringsim replay: the same trace on the simulator (calls)", false, replay_sim},
  };
  return rows;
}

}  // namespace uringsim::bench
