// Each `uringsim` subcommand lives in its own file and registers itself here.
// tools/ is thin: parse, call a library, print.
#pragma once

#include <CLI/CLI.hpp>

namespace uringsim::tools {

// Adds the subcommand to `app`. The callback runs the command and stores its exit
// status in *exit_code.
void add_run_command(CLI::App& app, int* exit_code);
void add_layout_command(CLI::App& app, int* exit_code);
void add_bench_command(CLI::App& app, int* exit_code);
void add_explain_command(CLI::App& app, int* exit_code);
void add_replay_command(CLI::App& app, int* exit_code);
void add_record_command(CLI::App& app, int* exit_code);
void add_fuzz_command(CLI::App& app, int* exit_code);
void add_import_perf_command(CLI::App& app, int* exit_code);
void add_report_command(CLI::App& app, int* exit_code);
void add_calibrate_command(CLI::App& app, int* exit_code);
void add_serve_command(CLI::App& app, int* exit_code);
void add_attach_command(CLI::App& app, int* exit_code);

}  // namespace uringsim::tools
