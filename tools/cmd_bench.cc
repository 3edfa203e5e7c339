// uringsim bench: measure the simulator against the real kernel in the same run.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench.h"
#include "bench/register_clone.h"
#include "tools/commands.h"

namespace uringsim::tools {

void add_bench_command(CLI::App& app, int* exit_code) {
  std::string suite_names;
  for (const std::string& s : bench::suites()) {
    if (!suite_names.empty()) suite_names += ", ";
    suite_names += s;
  }
  std::string row_names;
  for (const bench::Row& r : bench::all_rows()) {
    row_names += std::string("\n  ") + r.suite + "/" + r.name + ": " + r.description;
  }
  auto* cmd = app.add_subcommand(
      "bench", "Benchmark the simulated kernel against Linux in the same run (ratios)");
  struct Args {
    std::string suite;
    std::vector<uint32_t> batches = {1, 8, 32};
    uint64_t ops = 200000;
    int repetitions = 5;
    std::vector<std::string> rows;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("suite", args->suite, "Benchmark suite: " + suite_names + ", register-clone")->required();
  cmd->add_option("--batch", args->batches, "SQEs per io_uring_enter (comma separated)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--ops", args->ops, "Operations per repetition, per row and batch size")
      ->capture_default_str();
  cmd->add_option("--reps", args->repetitions, "Repetitions; the median is reported")
      ->capture_default_str();
  cmd->add_option("--rows", args->rows, "Only these rows (comma separated; default all)")
      ->delimiter(',');
  cmd->add_flag("--json", args->json, "Print JSON instead of a table");
  cmd->footer("Rows:" + row_names +
              "\nRead the numbers with docs/benchmarks.md. Exit status 2 on bad arguments, "
              "1 if a row failed.");
  cmd->callback([args, exit_code]() {
    if (args->suite == "register-clone") {
      // The seed scenario (bench/register_clone.h): one JSON object, model and wall time.
      bench::RegisterCloneOptions rc;
      rc.repetitions = args->repetitions;
      const bench::RegisterCloneReport rep = bench::run_register_clone(rc);
      std::fputs(bench::register_clone_json(rep).c_str(), stdout);
      *exit_code = rep.ok ? 0 : 1;
      return;
    }
    bench::Options o;
    o.suite = args->suite;
    o.batches = args->batches;
    o.ops = args->ops;
    o.repetitions = args->repetitions;
    o.rows = args->rows;
    for (uint32_t b : o.batches) {
      if (b == 0 || b > 32768) {
        std::fprintf(stderr, "uringsim bench: batch %u out of range [1, 32768]\n", b);
        *exit_code = 2;
        return;
      }
    }
    if (o.repetitions < 1 || o.ops == 0) {
      std::fprintf(stderr, "uringsim bench: --reps and --ops must be positive\n");
      *exit_code = 2;
      return;
    }
    bench::Report report;
    std::string error;
    if (!bench::run(o, &report, &error)) {
      std::fprintf(stderr, "uringsim bench: %s\n", error.c_str());
      *exit_code = 2;
      return;
    }
    std::string text = args->json ? bench::format_json(report) : bench::format_table(report);
    std::fputs(text.c_str(), stdout);
    *exit_code = 0;
    for (const bench::Cell& c : report.cells) {
      if (!c.ok) *exit_code = 1;
    }
  });
}

}  // namespace uringsim::tools
