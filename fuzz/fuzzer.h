// The fuzz campaign behind `uringsim fuzz`: generate, execute, check, minimise, report.
//
//   FuzzOptions o; o.seed = 1; o.iterations = 1000;
//   FuzzReport r = run_campaign(o);   // r.digest is equal for equal options
//
// Each sequence i is generate(sequence_seed(seed, i)), executed on the simulator and
// checked (fuzz/execute.h). A broken invariant is minimised (fuzz/minimise.h) and,
// with out_dir set, written as `<out_dir>/<invariant>-<seed>-<i>.jsonl`, a trace whose
// expectations are the model's answers, so `uringsim replay FILE` re-runs it. With
// `differential`, each sequence also runs on the host's io_uring (KernelTarget) and
// every CQE/return difference not in the allowlist (fuzz/allowlist.h) is a mismatch.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fuzz/execute.h"
#include "fuzz/generator.h"

namespace uringsim::fuzz {

struct FuzzOptions {
  uint64_t seed = 0;
  uint64_t iterations = 0;  // 0: until `seconds` have passed
  double seconds = 0;
  std::string profile;  // empty: 6.18
  bool differential = false;
  std::string out_dir;  // empty: findings are not written
  int max_findings_written = 20;  // findings beyond this are counted, not minimised
  Doctor doctor;  // test-only hook (fuzz/execute.h)
  // Called about every `progress_every` seconds with the running report.
  std::function<void(const struct FuzzReport&)> progress;
  double progress_every = 1.0;
};

struct Finding {
  std::string invariant;  // or "differential"
  uint64_t sequence = 0;
  std::string message;
  size_t events_before = 0;
  size_t events_after = 0;  // after minimisation
  std::string path;         // where the minimised trace was written, if it was
};

struct FuzzReport {
  uint64_t sequences = 0;
  uint64_t sqes = 0;
  uint64_t cqes = 0;
  uint64_t violations = 0;
  uint64_t mismatches = 0;
  uint64_t allowed = 0;  // differential differences the allowlist excused
  uint64_t differential_skipped = 0;
  std::string differential_unavailable;  // why --differential could not run
  uint64_t digest = 0;  // FNV-1a over every return and CQE of every sequence
  double seconds = 0;
  std::vector<Finding> findings;
  std::string error;  // bad options (unknown profile)
};

FuzzReport run_campaign(const FuzzOptions& options);

// One sequence: execute + check + (with a finding) minimise. Exposed for tests and the
// libFuzzer target. `minimised`: the minimised trace with its expectations filled in.
std::vector<Violation> run_one(const traces::Trace& trace, const Profile* profile, const Doctor& doctor,
                               Observation* obs = nullptr);
traces::Trace minimise_finding(const traces::Trace& trace, const Profile* profile, const Doctor& doctor,
                               const std::string& invariant);

// Folds an executed trace's answers into a digest.
uint64_t digest_trace(const traces::Trace& updated, uint64_t digest);

}  // namespace uringsim::fuzz
