// uringsim run: run a program with its io_uring syscalls answered by the simulator.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "kernel_model/profile.h"
#include "sim/capture.h"
#include "tools/commands.h"
#include "traces/chaos_profile.h"
#include "traces/cost_model_json.h"
#include "traces/explain.h"

namespace uringsim::tools {

void add_run_command(CLI::App& app, int* exit_code) {
  std::string names;
  for (const Profile& p : all_profiles()) {
    if (!names.empty()) names += ", ";
    names += std::string(p.name);
  }
  auto* cmd = app.add_subcommand(
      "run", "Run PROG with io_uring_setup/enter/register answered by the simulated kernel "
             "(seccomp user notification; PROG's descendants are captured too)");
  struct Args {
    std::string kernel = std::string(default_profile().name);
    uint64_t memlock = 0;
    bool trace = false;
    bool stats = false;
    std::string explain;
    std::string color = "auto";
    std::string cost_model;
    uint64_t chaos_seed = 0;
    std::string chaos_profile;
    std::vector<std::string> prog;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--kernel", args->kernel, "Kernel profile to simulate: " + names)
      ->capture_default_str();
  auto* memlock = cmd->add_option("--memlock", args->memlock,
                                  "RLIMIT_MEMLOCK (bytes) the simulated kernel sees for PROG, "
                                  "instead of PROG's own limit");
  cmd->add_flag("--trace", args->trace, "Print every captured io_uring syscall to stderr");
  cmd->add_flag("--stats", args->stats, "Print a summary of the captured syscalls at the end");
  auto* explain = cmd->add_option("--explain", args->explain,
                                  "Explain every io_uring call, SQE and CQE (with the reason for each error) "
                                  "on stderr: text (default) or json")
                      ->expected(0, 1)
                      ->check(CLI::IsMember({"", "text", "json"}));
  cmd->add_option("--color", args->color, "Colour the explain stream: auto, always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  cmd->add_option("--cost-model", args->cost_model,
                  "Cost model coefficients (JSON, docs/cost-model.md) for the simulated kernel's clock");
  auto* chaos = cmd->add_option("--chaos", args->chaos_seed,
                                "Inject what Linux may do but rarely does (short transfers, -EAGAIN, -ENOBUFS, "
                                "reordered completions, latency), seeded: docs/chaos.md");
  cmd->add_option("--chaos-profile", args->chaos_profile, "Injection rates (JSON, docs/chaos.md) for --chaos")
      ->needs(chaos);
  cmd->add_option("prog", args->prog, "PROG ARGS... (put them after --)")->required();
  cmd->footer("Exit status: PROG's (128+N if it died of signal N); 2 if the capture could "
              "not be set up.\nExample: uringsim run --kernel 6.18 -- ./build/bin/examples/uring_nop_ping 1000");
  cmd->callback([args, memlock, explain, chaos, exit_code]() {
    sim::RunOptions opts;
    opts.profile = find_profile(args->kernel);
    if (opts.profile == nullptr) {
      std::fprintf(stderr, "uringsim run: unknown kernel profile '%s'\n", args->kernel.c_str());
      *exit_code = sim::kRunSetupFailure;
      return;
    }
    if (memlock->count() > 0) opts.memlock = args->memlock;
    opts.trace = args->trace;
    opts.stats = args->stats;
    opts.argv = args->prog;
    std::unique_ptr<traces::ExplainObserver> observer;
    if (explain->count() > 0) {
      traces::ExplainOptions eo;
      eo.format = args->explain == "json" ? traces::ExplainFormat::kJson : traces::ExplainFormat::kText;
      eo.color = args->color == "always" ? traces::ColorMode::kAlways
                 : args->color == "never" ? traces::ColorMode::kNever
                                          : traces::ColorMode::kAuto;
      opts.make_observer = [&observer, eo](Kernel& kernel) -> Observer* {
        observer = std::make_unique<traces::ExplainObserver>(kernel, stderr, eo);
        return observer.get();
      };
    }
    if (!args->cost_model.empty()) {
      CostModel model;
      std::string why;
      if (!traces::load_cost_model(args->cost_model, &model, &why)) {
        std::fprintf(stderr, "uringsim run: --cost-model %s: %s\n", args->cost_model.c_str(), why.c_str());
        *exit_code = sim::kRunSetupFailure;
        return;
      }
      // Installed on the Kernel as soon as it is built, before PROG's first call.
      opts.make_observer = [model, inner = std::move(opts.make_observer)](Kernel& kernel) -> Observer* {
        kernel.set_cost_model(model);
        return inner ? inner(kernel) : nullptr;
      };
    }
    if (chaos->count() > 0) {
      ChaosConfig config = default_chaos_config(args->chaos_seed);
      std::string why;
      if (!args->chaos_profile.empty() &&
          !traces::load_chaos_profile(args->chaos_profile, args->chaos_seed, &config, &why)) {
        std::fprintf(stderr, "uringsim run: --chaos-profile %s\n", why.c_str());
        *exit_code = sim::kRunSetupFailure;
        return;
      }
      // Before PROG's first call, so every request is subject to the same stream.
      opts.make_observer = [config, inner = std::move(opts.make_observer)](Kernel& kernel) -> Observer* {
        kernel.chaos().configure(config);
        return inner ? inner(kernel) : nullptr;
      };
    }
    std::string error;
    *exit_code = sim::run_captured(opts, &error);
    if (!error.empty()) std::fprintf(stderr, "uringsim run: %s\n", error.c_str());
  });
}

}  // namespace uringsim::tools
