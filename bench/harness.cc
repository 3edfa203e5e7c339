// The benchmark harness: repetitions, medians, ratios, table and JSON.
#include <algorithm>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/bench.h"

namespace uringsim::bench {

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::vector<const Row*> rows_of(const Options& o, std::string* error) {
  std::vector<const Row*> out;
  for (const Row& r : all_rows()) {
    if (o.suite != r.suite) continue;
    if (!o.rows.empty() && std::find(o.rows.begin(), o.rows.end(), r.name) == o.rows.end()) {
      continue;
    }
    out.push_back(&r);
  }
  for (const std::string& want : o.rows) {
    bool found = std::any_of(out.begin(), out.end(), [&](const Row* r) { return want == r->name; });
    if (!found) {
      *error = "suite '" + o.suite + "' has no row '" + want + "'";
      return {};
    }
  }
  if (out.empty()) *error = "no benchmark suite '" + o.suite + "'";
  return out;
}

}  // namespace

std::vector<std::string> suites() {
  std::vector<std::string> out;
  for (const Row& r : all_rows()) {
    if (std::find(out.begin(), out.end(), r.suite) == out.end()) out.push_back(r.suite);
  }
  return out;
}

bool run(const Options& options, Report* report, std::string* error) {
  std::vector<const Row*> rows = rows_of(options, error);
  if (rows.empty()) return false;
  report->options = options;
  report->cells.clear();
  report->baseline.clear();
  for (const Row* r : rows) {
    if (r->baseline) report->baseline = r->name;
  }
  for (uint32_t batch : options.batches) {
    RowParams params;
    params.batch = batch;
    params.ops = (options.ops + batch - 1) / batch * batch;
    std::vector<Cell> cells(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      cells[i].row = rows[i]->name;
      cells[i].batch = batch;
      cells[i].ok = true;
      // Warm-up: faults in the rings, grows the model's scratch, wakes the CPU.
      RowParams warm = params;
      warm.ops = std::max<uint64_t>(batch, params.ops / 10);
      RowResult w = rows[i]->run(warm);
      if (!w.ok) {
        cells[i].ok = false;
        cells[i].error = w.error;
      }
    }
    // Interleave repetitions across rows so slow drift (frequency, noisy neighbours)
    // affects every row alike.
    for (int rep = 0; rep < options.repetitions; ++rep) {
      for (size_t i = 0; i < rows.size(); ++i) {
        if (!cells[i].ok) continue;
        RowResult res = rows[i]->run(params);
        if (!res.ok) {
          cells[i].ok = false;
          cells[i].error = res.error;
          continue;
        }
        if (res.seconds > 0) cells[i].ops_per_sec.push_back(res.ops / res.seconds);
      }
    }
    double base = 0;
    for (Cell& c : cells) {
      c.median_ops_per_sec = median(c.ops_per_sec);
      if (c.row == report->baseline && c.ok) base = c.median_ops_per_sec;
    }
    for (Cell& c : cells) {
      c.ratio_vs_baseline = (base > 0 && c.ok) ? c.median_ops_per_sec / base : 0;
      report->cells.push_back(std::move(c));
    }
  }
  return true;
}

std::string format_table(const Report& report) {
  const Options& o = report.options;
  std::vector<std::string> names;
  for (const Cell& c : report.cells) {
    if (std::find(names.begin(), names.end(), c.row) == names.end()) names.push_back(c.row);
  }
  std::string out;
  char buf[256];
  snprintf(buf, sizeof buf, "suite %s: %llu ops per repetition, median of %d repetitions\n",
           o.suite.c_str(), static_cast<unsigned long long>(o.ops), o.repetitions);
  out += buf;
  for (const Row& r : all_rows()) {
    if (o.suite == r.suite && std::find(names.begin(), names.end(), r.name) != names.end()) {
      snprintf(buf, sizeof buf, "  %-10s %s%s\n", r.name, r.description,
               r.baseline ? " (baseline)" : "");
      out += buf;
    }
  }
  out += "\n";
  snprintf(buf, sizeof buf, "%6s", "batch");
  out += buf;
  for (const std::string& n : names) {
    snprintf(buf, sizeof buf, " | %10s Mops/s   ns/op", n.c_str());
    out += buf;
  }
  for (const std::string& n : names) {
    if (n == report.baseline || report.baseline.empty()) continue;
    snprintf(buf, sizeof buf, " | %s/%s", n.c_str(), report.baseline.c_str());
    out += buf;
  }
  out += "\n";
  for (uint32_t batch : o.batches) {
    snprintf(buf, sizeof buf, "%6u", batch);
    out += buf;
    std::vector<const Cell*> row_cells;
    for (const std::string& n : names) {
      const Cell* cell = nullptr;
      for (const Cell& c : report.cells) {
        if (c.batch == batch && c.row == n) cell = &c;
      }
      row_cells.push_back(cell);
      if (!cell || !cell->ok) {
        snprintf(buf, sizeof buf, " | %17s %7s", "error", "-");
      } else {
        snprintf(buf, sizeof buf, " | %17.3f %7.1f", cell->median_ops_per_sec / 1e6,
                 1e9 / cell->median_ops_per_sec);
      }
      out += buf;
    }
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == report.baseline || report.baseline.empty()) continue;
      const Cell* c = row_cells[i];
      int width = static_cast<int>(names[i].size() + report.baseline.size() + 1);
      if (c && c->ratio_vs_baseline > 0) {
        snprintf(buf, sizeof buf, " | %*.2fx", width - 1, c->ratio_vs_baseline);
      } else {
        snprintf(buf, sizeof buf, " | %*s", width, "-");
      }
      out += buf;
    }
    out += "\n";
  }
  for (const Cell& c : report.cells) {
    if (!c.ok) {
      snprintf(buf, sizeof buf, "  %s at batch %u: %s\n", c.row.c_str(), c.batch,
               c.error.c_str());
      out += buf;
    }
  }
  return out;
}

std::string format_json(const Report& report) {
  const Options& o = report.options;
  nlohmann::json j;
  j["suite"] = o.suite;
  j["ops_per_repetition"] = o.ops;
  j["repetitions"] = o.repetitions;
  j["baseline"] = report.baseline;
  j["batches"] = o.batches;
  nlohmann::json results = nlohmann::json::array();
  for (const Cell& c : report.cells) {
    nlohmann::json r;
    r["row"] = c.row;
    r["batch"] = c.batch;
    r["ok"] = c.ok;
    if (!c.ok) r["error"] = c.error;
    r["ops_per_sec"] = c.median_ops_per_sec;
    r["ns_per_op"] = c.median_ops_per_sec > 0 ? 1e9 / c.median_ops_per_sec : 0.0;
    r["samples_ops_per_sec"] = c.ops_per_sec;
    if (c.row != report.baseline && !report.baseline.empty()) {
      r["ratio_vs_baseline"] = c.ratio_vs_baseline;
    }
    results.push_back(r);
  }
  j["results"] = results;
  return j.dump(2) + "\n";
}

}  // namespace uringsim::bench
