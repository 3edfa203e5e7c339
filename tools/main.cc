// uringsim: io_uring in userspace. See README.md.
#include <cstdio>

#include "tools/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"uringsim: a simulated Linux io_uring (6.18 by default) for learning, fuzzing and replaying the ABI"};
  app.require_subcommand(1);
  int exit_code = 0;
  uringsim::tools::add_run_command(app, &exit_code);
  uringsim::tools::add_layout_command(app, &exit_code);
  uringsim::tools::add_bench_command(app, &exit_code);
  uringsim::tools::add_explain_command(app, &exit_code);
  uringsim::tools::add_replay_command(app, &exit_code);
  uringsim::tools::add_record_command(app, &exit_code);
  uringsim::tools::add_fuzz_command(app, &exit_code);
  uringsim::tools::add_import_perf_command(app, &exit_code);
  uringsim::tools::add_report_command(app, &exit_code);
  uringsim::tools::add_calibrate_command(app, &exit_code);
  uringsim::tools::add_serve_command(app, &exit_code);
  uringsim::tools::add_attach_command(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return exit_code;
}
