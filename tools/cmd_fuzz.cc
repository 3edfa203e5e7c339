// uringsim fuzz: generated submission sequences against the simulator, checked by
// named invariants, findings minimised into replayable traces (fuzz/fuzzer.h).
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz/fuzzer.h"
#include "tools/commands.h"

namespace uringsim::tools {

void add_fuzz_command(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("fuzz",
                                 "Run generated io_uring submission sequences on the simulator, check invariants "
                                 "after every call, minimise findings into replayable traces (docs/fuzzing.md)");
  struct Args {
    uint64_t seed = 0;
    uint64_t iterations = 0;
    double seconds = 0;
    std::string kernel;
    bool differential = false;
    std::string out;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--seed", args->seed, "Campaign seed: equal seeds give equal sequences and digests")->required();
  auto* it = cmd->add_option("--iterations", args->iterations, "Number of sequences");
  auto* tm = cmd->add_option("--time", args->seconds, "Run for this many seconds");
  it->excludes(tm);
  cmd->add_option("--kernel", args->kernel, "Kernel profile to simulate (default 6.18)");
  cmd->add_flag("--differential", args->differential,
                "Also run every sequence on this machine's io_uring and compare returns and CQEs");
  cmd->add_option("--out", args->out, "Write minimised findings here as JSONL traces (uringsim replay FILE)");
  cmd->add_flag("--json", args->json, "Print one JSON object with the totals");
  cmd->footer(
      "Exit status: 0 no findings; 1 findings; 2 bad options.\n"
      "Example: uringsim fuzz --seed 1 --iterations 10000 --out findings/");
  cmd->callback([args, exit_code]() {
    if (args->iterations == 0 && args->seconds <= 0) {
      std::fprintf(stderr, "uringsim fuzz: give --iterations N or --time SECONDS\n");
      *exit_code = 2;
      return;
    }
    fuzz::FuzzOptions o;
    o.seed = args->seed;
    o.iterations = args->iterations;
    o.seconds = args->seconds;
    o.profile = args->kernel;
    o.differential = args->differential;
    o.out_dir = args->out;
    const bool tty = isatty(STDERR_FILENO) != 0;
    o.progress = [tty](const fuzz::FuzzReport& r) {
      const double s = r.seconds > 0 ? r.seconds : 1e-9;
      std::fprintf(stderr, "%s%llu sequences (%.0f/s), %llu SQEs (%.0f/s), %zu findings%s", tty ? "\r\033[K" : "",
                   (unsigned long long)r.sequences, r.sequences / s, (unsigned long long)r.sqes, r.sqes / s,
                   r.findings.size(), tty ? "" : "\n");
      std::fflush(stderr);
    };
    const fuzz::FuzzReport r = fuzz::run_campaign(o);
    if (tty) std::fputs("\r\033[K", stderr);
    if (!r.error.empty()) {
      std::fprintf(stderr, "uringsim fuzz: %s\n", r.error.c_str());
      *exit_code = 2;
      return;
    }
    if (args->differential && !r.differential_unavailable.empty()) {
      std::fprintf(stderr, "uringsim fuzz: --differential skipped: %s\n", r.differential_unavailable.c_str());
    }
    char digest[17];
    std::snprintf(digest, sizeof digest, "%016llx", (unsigned long long)r.digest);
    const double s = r.seconds > 0 ? r.seconds : 1e-9;
    if (args->json) {
      nlohmann::ordered_json j;
      j["seed"] = args->seed;
      j["sequences"] = r.sequences;
      j["sqes"] = r.sqes;
      j["cqes"] = r.cqes;
      j["violations"] = r.violations;
      j["mismatches"] = r.mismatches;
      j["allowed_differences"] = r.allowed;
      j["digest"] = digest;
      j["seconds"] = r.seconds;
      j["sequences_per_second"] = r.sequences / s;
      j["sqes_per_second"] = r.sqes / s;
      nlohmann::ordered_json f = nlohmann::ordered_json::array();
      for (const fuzz::Finding& x : r.findings) {
        f.push_back({{"invariant", x.invariant}, {"sequence", x.sequence}, {"message", x.message},
                     {"events", x.events_before}, {"minimised_events", x.events_after}, {"trace", x.path}});
      }
      j["findings"] = f;
      std::printf("%s\n", j.dump().c_str());
    } else {
      for (const fuzz::Finding& x : r.findings) {
        std::printf("finding: %s: sequence %llu: %s (%zu -> %zu events)%s%s\n", x.invariant.c_str(),
                    (unsigned long long)x.sequence, x.message.c_str(), x.events_before, x.events_after,
                    x.path.empty() ? "" : ": ", x.path.c_str());
      }
      std::printf("%llu sequences, %llu SQEs, %llu CQEs in %.2f s (%.0f sequences/s, %.0f SQEs/s); %llu violations, "
                  "%llu mismatches; digest %s\n",
                  (unsigned long long)r.sequences, (unsigned long long)r.sqes, (unsigned long long)r.cqes, r.seconds,
                  r.sequences / s, r.sqes / s, (unsigned long long)r.violations, (unsigned long long)r.mismatches,
                  digest);
    }
    *exit_code = r.findings.empty() ? 0 : 1;
  });
}

}  // namespace uringsim::tools
