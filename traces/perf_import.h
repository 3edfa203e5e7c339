// Import of `perf script` output of the io_uring:* tracepoints into a shape-mode Trace.
//
// Linux's io_uring tracepoints (include/trace/events/io_uring.h) carry a little of each
// call: which ring was created with what sizes, which opcode and user_data each request
// had, its request flags, the fd it resolved, and each CQE's res and flags. They carry no
// memory contents, no addresses (except io_uring_req_failed, which dumps the failing
// SQE), no io_uring_enter arguments. An imported trace therefore says so in its header
// ("mode": "shape") and is replayed by replay_shape() (traces/replay.h), which checks
// what the events allow and lists what it could not check.
//
//   Trace t; TraceError err;
//   if (!import_perf_script(text, "perf.txt", {}, &t, &err)) { puts(err.message().c_str()); }
//
// How events become a trace (traces/FORMAT.md, "Imported traces"):
//  - io_uring_create -> setup (entries = sq size, params flags, params_out sizes); a
//    ring first seen in another event gets a setup marked "not traced";
//  - io_uring_register -> register (opcode, ret; the counts as a note);
//  - io_uring_submit_req (older kernels: io_uring_submit_sqe) -> one SQE (opcode,
//    user_data, the IOSQE_* bits of the request flags); consecutive submissions of one
//    ring by one task, less than 50 us apart, with nothing in between but events about
//    those requests, are grouped into one enter; io_uring_cqring_wait ends the group --
//    a guess, since perf does not see io_uring_enter;
//  - io_uring_req_failed -> the failing SQE with every field the event dumps;
//  - io_uring_file_get -> the SQE's fd;
//  - io_uring_complete -> a CQE of the ring's current enter;
//  - io_uring_cqe_overflow, _link, _fail_link, _queue_async_work, _defer, _poll_arm,
//    _task_add, _short_write, _local_work_run -> notes on the SQE or enter they concern.
// Other events (io_uring_task_work_run, other subsystems) are counted and skipped.
#pragma once

#include <string>
#include <string_view>

#include "traces/jsonl.h"
#include "traces/trace.h"

namespace uringsim::traces {

struct PerfImportOptions {
  std::string profile = "6.18";  // the profile written in the header
};

struct PerfImportStats {
  size_t lines = 0;          // non-empty, non-comment lines read
  size_t io_uring_events = 0;  // io_uring:* events used
  size_t skipped_events = 0;   // events of other subsystems or io_uring events not used
};

// Converts `perf script` text (`name` is used in messages). Returns false with *err set
// (FILE:LINE: field 'x': what) on a line that is not a perf script sample line, an
// io_uring event whose field is missing or unreadable, or input without any io_uring
// event.
bool import_perf_script(std::string_view text, const std::string& name, const PerfImportOptions& options,
                        Trace* out, TraceError* err, PerfImportStats* stats = nullptr);
bool import_perf_script_file(const std::string& path, const PerfImportOptions& options, Trace* out,
                             TraceError* err, PerfImportStats* stats = nullptr);

}  // namespace uringsim::traces
