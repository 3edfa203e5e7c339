// Report: a trace replayed on the simulator and drawn as one self-contained HTML page
// (`uringsim report TRACE -o report.html`).
//
// build_report() replays the trace on a SimTarget with an Observer on its Kernel and
// records one step per syscall (setup, enter, register, close): the SQEs consumed, the
// CQEs posted (with the model's reason for every failure), and after each step every
// live ring's head/tail words, dropped and overflow counters, in-flight requests and
// registered buffer table, plus memlock (locked_vm) and pinned pages.
//
// render_report_html() embeds that data as JSON in a page with inline CSS, JS and SVG
// (no network, no external fonts): SQ/CQ occupancy, in-flight requests and memlock
// over the steps, the registered buffer table, every error with its reason, and a
// step-through of the ring pointers. The page checks its own consistency when it loads
// (CQE rows drawn == CQEs in the data, error rows == errors, every step's head <= tail)
// and writes the result into <div id="self-check" data-ok="true|false">; it starts as
// "false", so a page whose script did not run fails the check.
//
//   Trace t; TraceError err;
//   if (!read_trace_file(path, &t, &err)) { ...err.message()...; return 2; }
//   Report r = build_report(t);
//   if (r.skipped) { ...r.skip_reason...; return 3; }
//   std::string html = render_report_html(r);
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "kernel_model/profile.h"
#include "traces/replay.h"
#include "traces/trace.h"

namespace uringsim::traces {

struct ReportOptions {
  // Simulator profile instead of the trace's own; null for the trace's.
  const Profile* profile = nullptr;
};

struct Report {
  bool skipped = false;  // the simulator cannot replay this trace (unknown profile)
  std::string skip_reason;
  std::string title;      // the trace's file name
  std::string data_json;  // everything the page draws (keys: see report.cc)
  size_t steps = 0;       // syscalls recorded
  size_t cqes = 0;        // CQEs posted during the replay
  size_t errors = 0;      // failed calls + CQEs with res < 0
  // Where the simulator disagreed with the trace's expectations (shown in the page).
  std::vector<Divergence> divergences;
};

// REQUIRES: `trace` passed read_trace_file/parse_trace (it is valid).
Report build_report(const Trace& trace, const ReportOptions& options = {});

// The page. Every "<" inside the embedded JSON is written as \u003c, so no string in
// the trace can close the <script> element.
std::string render_report_html(const Report& report);

}  // namespace uringsim::traces
