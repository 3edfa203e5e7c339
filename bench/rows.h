// The benchmark rows built into uringsim. One function per row, each in its own file;
// the table that names them is in rows.cc.
#pragma once

#include "bench/bench.h"

namespace uringsim::bench {

// suite "nop": NOPs submitted `batch` at a time with io_uring_enter(GETEVENTS), all
// reaped before the next batch.
RowResult nop_linux(const RowParams& p);     // the real kernel, through liburing
RowResult nop_embedded(const RowParams& p);  // sim::EmbeddedKernel, ring driven by hand
// The same loop in a child process (uringsim_bench_client) under seccomp capture.
RowResult nop_seccomp(const RowParams& p);
// The same loop in a child process linked with libiouringsim.so (the shim), ring driven
// by hand because Debian's liburing would bypass the shim.
RowResult nop_shim(const RowParams& p);

// suite "sqpoll": the nop loop on an IORING_SETUP_SQPOLL ring (enter only waits, and
// wakes the SQ thread when IORING_SQ_NEED_WAKEUP says it sleeps).
RowResult nop_sqpoll_linux(const RowParams& p);     // bench/nop_linux.cc
RowResult nop_sqpoll_embedded(const RowParams& p);  // bench/nop_embedded.cc
RowResult nop_sqpoll_seccomp(const RowParams& p);   // bench/nop_seccomp.cc

// suite "fio": fio 4 KiB randread, --ioengine=io_uring --fixedbufs, iodepth 32, on a
// 64 MiB file in /dev/shm; batch = --iodepth_batch_submit = --iodepth_batch_complete_min.
RowResult fio_linux(const RowParams& p);    // fio directly on the real kernel
RowResult fio_seccomp(const RowParams& p);  // the same fio under seccomp capture

// suite "fuzz": `uringsim fuzz` on the simulator, SQEs per second (one core).
RowResult fuzz_embedded(const RowParams& p);

// suite "replay": one trace replayed, syscall events per second (bench/replay_row.cc).
RowResult replay_linux(const RowParams& p);  // on this machine's io_uring (KernelTarget)
RowResult replay_sim(const RowParams& p);    // on the simulator (SimTarget)

}  // namespace uringsim::bench
