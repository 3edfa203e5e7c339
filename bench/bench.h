// uringsim benchmarks: rows measured in the same run, reported as ratios.
//
// A benchmark *suite* ("nop") is a set of *rows* ("linux", "embedded", later "shim",
// "seccomp", "sqpoll", ...). Every row of a suite does the same work on a different
// target, one measurement per parameter point (batch size), so rows can be compared
// as ratios against the suite's baseline row (the real kernel). Absolute numbers
// drift between runs and machines (see /work/shared/PERFORMANCE.md); ratios measured
// in the same run are what we report and track.
//
// Adding a row: write `RowResult my_row(const RowParams&)` in its own file in bench/,
// declare it in bench/rows.h and add one line to the table in bench/rows.cc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace uringsim::bench {

// One measurement point.
struct RowParams {
  uint32_t batch = 1;  // SQEs per io_uring_enter
  uint64_t ops = 0;    // operations to complete (rounded up to a multiple of batch)
};

// What one repetition of a row measured.
struct RowResult {
  bool ok = false;
  uint64_t ops = 0;      // operations actually completed (CQEs reaped)
  double seconds = 0;    // wall time of the timed loop only (setup excluded)
  std::string error;     // why the row could not run (ok == false)
};

using RowFn = RowResult (*)(const RowParams&);

struct Row {
  const char* suite;        // "nop"
  const char* name;         // "embedded"
  const char* description;  // one line for the table legend
  bool baseline;            // the row others are compared with (one per suite)
  RowFn run;
};

// Every row known to this build, in table order (bench/rows.cc).
const std::vector<Row>& all_rows();
// Suites that have at least one row, in first-appearance order.
std::vector<std::string> suites();

struct Options {
  std::string suite = "nop";
  std::vector<uint32_t> batches = {1, 8, 32};
  uint64_t ops = 200000;              // per repetition, per row, per batch
  int repetitions = 5;                // median reported
  std::vector<std::string> rows;      // empty: every row of the suite
};

// The measurement of one row at one batch size.
struct Cell {
  std::string row;
  uint32_t batch = 0;
  bool ok = false;
  std::string error;
  std::vector<double> ops_per_sec;  // one per repetition
  double median_ops_per_sec = 0;
  double ratio_vs_baseline = 0;     // median / baseline median (0 if no baseline)
};

struct Report {
  Options options;
  std::string baseline;  // baseline row name ("" if not measured)
  std::vector<Cell> cells;
};

// Runs the suite: for each batch, each row (interleaved, so drift hits all rows
// alike): one warm-up, then `repetitions` timed runs. Returns false (with *error)
// when the suite or a requested row does not exist.
bool run(const Options& options, Report* report, std::string* error);

// The report as a text table ("batch | row Mops/s ns/op ... | row/baseline").
std::string format_table(const Report& report);
// The report as JSON (see docs/benchmarks.md for the schema).
std::string format_json(const Report& report);

}  // namespace uringsim::bench
