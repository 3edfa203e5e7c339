// uringsim report: replay a trace on the simulator and draw it as one HTML page.
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "kernel_model/profile.h"
#include "tools/commands.h"
#include "traces/jsonl.h"
#include "traces/report.h"

namespace uringsim::tools {

void add_report_command(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "report", "Replay a trace on the simulator and write a self-contained HTML page (no network) that draws it: "
                "SQ/CQ occupancy, in-flight requests, memlock, registered buffers, every error with its reason, "
                "and a step-through of the ring pointers");
  struct Args {
    std::string file;
    std::string out = "report.html";
    std::string kernel;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("file", args->file, "The trace (.jsonl)")->required();
  cmd->add_option("-o,--output", args->out, "Where to write the page")->capture_default_str();
  cmd->add_option("--kernel", args->kernel, "Kernel profile instead of the trace's own");
  cmd->footer(
      "Exit status: 0 written; 2 the trace is unreadable or the options are wrong; 3 the simulator cannot replay "
      "this trace. Divergences from the trace's expectations are shown in the page (and counted on stderr).\n"
      "Example: uringsim report traces/samples/read_fixed_bad_range.jsonl -o report.html");
  cmd->callback([args, exit_code]() {
    traces::Trace trace;
    traces::TraceError err;
    if (!traces::read_trace_file(args->file, &trace, &err)) {
      std::fprintf(stderr, "%s\n", err.message().c_str());
      *exit_code = 2;
      return;
    }
    traces::ReportOptions opts;
    if (!args->kernel.empty()) {
      opts.profile = find_profile(args->kernel);
      if (opts.profile == nullptr) {
        std::fprintf(stderr, "uringsim report: unknown kernel profile '%s'\n", args->kernel.c_str());
        *exit_code = 2;
        return;
      }
    }
    const traces::Report report = traces::build_report(trace, opts);
    if (report.skipped) {
      std::fprintf(stderr, "%s: skipped: the simulator cannot replay it: %s\n", args->file.c_str(),
                   report.skip_reason.c_str());
      *exit_code = 3;
      return;
    }
    std::ofstream out(args->out, std::ios::binary | std::ios::trunc);
    out << traces::render_report_html(report);
    out.close();
    if (!out) {
      std::fprintf(stderr, "uringsim report: cannot write %s\n", args->out.c_str());
      *exit_code = 2;
      return;
    }
    std::printf("%s: %zu step%s, %zu CQE%s, %zu error%s -> %s\n", args->file.c_str(), report.steps,
                report.steps == 1 ? "" : "s", report.cqes, report.cqes == 1 ? "" : "s", report.errors,
                report.errors == 1 ? "" : "s", args->out.c_str());
    if (!report.divergences.empty()) {
      std::fprintf(stderr, "%s: %zu divergence%s from the trace's expectations (listed in the page)\n",
                   args->file.c_str(), report.divergences.size(), report.divergences.size() == 1 ? "" : "s");
    }
    *exit_code = 0;
  });
}

}  // namespace uringsim::tools
