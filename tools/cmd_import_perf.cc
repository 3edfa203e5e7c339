// uringsim import-perf: turn `perf script` output of the io_uring:* tracepoints into a
// shape-mode trace (traces/perf_import.h, traces/FORMAT.md "Imported traces").
#include <cstdio>
#include <memory>
#include <string>

#include "kernel_model/profile.h"
#include "tools/commands.h"
#include "traces/jsonl.h"
#include "traces/perf_import.h"

namespace uringsim::tools {

void add_import_perf_command(CLI::App& app, int* exit_code) {
  std::string names;
  for (const Profile& p : all_profiles()) names += (names.empty() ? "" : ", ") + std::string(p.name);
  auto* cmd = app.add_subcommand(
      "import-perf", "Convert `perf script` output of the io_uring:* tracepoints into a trace replayable in shape mode");
  struct Args {
    std::string input;
    std::string output;
    std::string kernel = std::string(default_profile().name);
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("perf_script_output", args->input, "Text written by `perf script` (- is not supported)")->required();
  cmd->add_option("-o,--output", args->output, "The trace to write (.jsonl)")->required();
  cmd->add_option("--kernel", args->kernel, "Kernel profile written in the trace header: " + names)
      ->capture_default_str();
  cmd->footer(
      "Record on a real machine with: perf record -e 'io_uring:*' -- PROG; perf script > perf.txt\n"
      "Then: uringsim import-perf perf.txt -o t.jsonl && uringsim replay t.jsonl [--kernel P]\n"
      "Exit status: 0 written; 2 the input is unreadable (FILE:LINE: field 'x': what is wrong).");
  cmd->callback([args, exit_code]() {
    traces::PerfImportOptions opts;
    opts.profile = args->kernel;
    traces::Trace trace;
    traces::TraceError err;
    traces::PerfImportStats stats;
    if (!traces::import_perf_script_file(args->input, opts, &trace, &err, &stats)) {
      std::fprintf(stderr, "%s\n", err.message().c_str());
      *exit_code = 2;
      return;
    }
    std::string why;
    if (!traces::write_trace_file(trace, args->output, &why)) {
      std::fprintf(stderr, "uringsim import-perf: %s\n", why.c_str());
      *exit_code = 2;
      return;
    }
    std::printf("%s: %zu io_uring events (%zu other events skipped) -> %s: %zu calls (shape mode)\n",
                args->input.c_str(), stats.io_uring_events, stats.skipped_events, args->output.c_str(),
                trace.call_count());
    *exit_code = 0;
  });
}

}  // namespace uringsim::tools
