// The benchmark rows built into uringsim. One function per row, each in its own file;
// the table that names them is in rows.cc.
#pragma once

#include "bench/bench.h"

namespace uringsim::bench {

// suite "nop": NOPs submitted `batch` at a time with io_uring_enter(GETEVENTS), all
// reaped before the next batch.
RowResult nop_linux(const RowParams& p);     // the real kernel, through liburing
RowResult nop_embedded(const RowParams& p);  // sim::EmbeddedKernel, ring driven by hand

}  // namespace uringsim::bench
