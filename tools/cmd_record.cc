// uringsim record: run a program under the simulator, exactly like `uringsim run`, and
// write every io_uring call it makes as a trace (traces/FORMAT.md).
#include <sys/utsname.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "kernel_model/profile.h"
#include "sim/capture.h"
#include "tools/commands.h"
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
    std::vector<std::string> prog;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("-o,--output", args->output, "The trace to write (.jsonl)")->required();
  cmd->add_option("--kernel", args->kernel, "Kernel profile to simulate: " + names)->capture_default_str();
  auto* memlock = cmd->add_option("--memlock", args->memlock, "RLIMIT_MEMLOCK (bytes) the simulated kernel sees");
  cmd->add_option("prog", args->prog, "PROG ARGS... (put them after --)")->required();
  cmd->footer("Exit status: PROG's; 2 if the capture or the trace file failed.\n"
              "Example: uringsim record -o copy.jsonl -- ./build/bin/examples/uring_copy_fixed in out");
  cmd->callback([args, memlock, exit_code]() {
    sim::RunOptions opts;
    opts.profile = find_profile(args->kernel);
    if (opts.profile == nullptr) {
      std::fprintf(stderr, "uringsim record: unknown kernel profile '%s'\n", args->kernel.c_str());
      *exit_code = sim::kRunSetupFailure;
      return;
    }
    if (memlock->count() > 0) opts.memlock = args->memlock;
    opts.argv = args->prog;
    std::unique_ptr<traces::Recorder> recorder;
    opts.make_observer = [&recorder](Kernel& kernel) -> Observer* {
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
