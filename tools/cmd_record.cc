// uringsim record: run a program under the simulator, exactly like `uringsim run`, and
// write every io_uring call it makes as a trace (traces/FORMAT.md).
#include <sys/utsname.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel_model/profile.h"
#include "sim/capture.h"
#include "tools/commands.h"
#include "traces/chaos_profile.h"
#include "traces/recorder.h"

namespace uringsim::tools {

void add_record_command(CLI::App& app, int* exit_code) {
  std::string names;
  for (const Profile& p : all_profiles()) names += (names.empty() ? "" : ", ") + std::string(p.name);
  auto* cmd = app.add_subcommand(
      "record", "Run PROG like `uringsim run` and write every io_uring call it makes as a trace (traces/FORMAT.md)");
  struct Args {
    std::string output;
    std::string kernel = std::string(default_profile().name);
    uint64_t memlock = 0;
    uint64_t chaos_seed = 0;
    std::string chaos_profile;
    std::vector<std::string> prog;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("-o,--output", args->output, "The trace to write (.jsonl)")->required();
  cmd->add_option("--kernel", args->kernel, "Kernel profile to simulate: " + names)->capture_default_str();
  auto* memlock = cmd->add_option("--memlock", args->memlock, "RLIMIT_MEMLOCK (bytes) the simulated kernel sees");
  auto* chaos = cmd->add_option("--chaos", args->chaos_seed,
                                "Inject faults as `uringsim run --chaos` does; the trace records the seed and "
                                "rates, so it replays exactly (docs/chaos.md)");
  cmd->add_option("--chaos-profile", args->chaos_profile, "Injection rates (JSON, docs/chaos.md) for --chaos")
      ->needs(chaos);
  cmd->add_option("prog", args->prog, "PROG ARGS... (put them after --)")->required();
  cmd->footer("Exit status: PROG's; 2 if the capture or the trace file failed.\n"
              "Example: uringsim record -o copy.jsonl -- ./build/bin/examples/uring_copy_fixed in out");
  cmd->callback([args, memlock, chaos, exit_code]() {
    sim::RunOptions opts;
    opts.profile = find_profile(args->kernel);
    if (opts.profile == nullptr) {
      std::fprintf(stderr, "uringsim record: unknown kernel profile '%s'\n", args->kernel.c_str());
      *exit_code = sim::kRunSetupFailure;
      return;
    }
    if (memlock->count() > 0) opts.memlock = args->memlock;
    opts.argv = args->prog;
    std::optional<ChaosConfig> chaos_config;
    if (chaos->count() > 0) {
      chaos_config = default_chaos_config(args->chaos_seed);
      std::string why;
      if (!args->chaos_profile.empty() &&
          !traces::load_chaos_profile(args->chaos_profile, args->chaos_seed, &*chaos_config, &why)) {
        std::fprintf(stderr, "uringsim record: --chaos-profile %s\n", why.c_str());
        *exit_code = sim::kRunSetupFailure;
        return;
      }
    }
    std::unique_ptr<traces::Recorder> recorder;
    opts.make_observer = [&recorder, chaos_config](Kernel& kernel) -> Observer* {
      // Chaos first: the recorder copies the config into the trace header.
      if (chaos_config) kernel.chaos().configure(*chaos_config);
      recorder = std::make_unique<traces::Recorder>(kernel, "uringsim record");
      struct utsname u;
      if (uname(&u) == 0) recorder->set_host_kernel(u.release);
      return recorder.get();
    };
    opts.wrap_caller = [&recorder](Caller& caller) {
      if (recorder) recorder->wrap(caller);
    };
    std::string error;
    *exit_code = sim::run_captured(opts, &error);
    if (!error.empty()) {
      std::fprintf(stderr, "uringsim record: %s\n", error.c_str());
      return;
    }
    if (!recorder) {
      std::fprintf(stderr, "uringsim record: the simulated kernel never started\n");
      *exit_code = sim::kRunSetupFailure;
      return;
    }
    std::string werr;
    if (!recorder->write_file(args->output, &werr)) {
      std::fprintf(stderr, "uringsim record: %s\n", werr.c_str());
      *exit_code = sim::kRunSetupFailure;
    }
  });
}

}  // namespace uringsim::tools
