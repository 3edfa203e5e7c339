// uringsim replay: re-execute a trace on the simulator or on Linux and compare.
#include <cstdio>
#include <memory>
#include <string>

#include "kernel_model/profile.h"
#include "tools/commands.h"
#include "traces/cost_model_json.h"
#include "traces/explain.h"
#include "traces/jsonl.h"
#include "traces/replay.h"

namespace uringsim::tools {

void add_replay_command(CLI::App& app, int* exit_code) {
  std::string names;
  for (const Profile& p : all_profiles()) names += (names.empty() ? "" : ", ") + std::string(p.name);
  auto* cmd = app.add_subcommand(
      "replay", "Re-execute a trace (traces/FORMAT.md) on the simulator or on this machine's io_uring and "
                "compare every syscall return and CQE with the recorded ones");
  struct Args {
    std::string file;
    std::string kernel;
    std::string target = "sim";
    bool update = false;
    bool quiet = false;
    std::string explain;
    std::string cost_model;
    int64_t as_uid = -1;
    int64_t memlock = -1;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("file", args->file, "The trace (.jsonl)")->required();
  cmd->add_option("--kernel", args->kernel, "Kernel profile for the simulator instead of the trace's own: " + names);
  cmd->add_option("--target", args->target, "sim (the simulator) or kernel (this machine's io_uring)")
      ->check(CLI::IsMember({"sim", "kernel"}))
      ->capture_default_str();
  cmd->add_flag("--update", args->update,
                "Rewrite the trace's expectations (returns, CQEs, params out, ring words) with what the target did");
  cmd->add_flag("-q,--quiet", args->quiet, "Print divergences only");
  auto* explain = cmd->add_option("--explain", args->explain,
                                  "On the simulator: explain every call, SQE and CQE (with the reason for each "
                                  "error) on stderr: text (default) or json")
                      ->expected(0, 1)
                      ->check(CLI::IsMember({"", "text", "json"}));
  cmd->add_option("--cost-model", args->cost_model,
                  "On the simulator: cost model coefficients (JSON, docs/cost-model.md) for the model time each "
                  "call is charged (compared with the trace's model_time_ns, shown by --explain)");
  cmd->add_option("--as-uid", args->as_uid,
                  "With --target kernel: replay in a child process running as this uid, with no capabilities "
                  "(default: the trace header's caller; needs root)")
      ->check(CLI::Range(int64_t{0}, int64_t{UINT32_MAX}));
  cmd->add_option("--memlock", args->memlock,
                  "With --target kernel: RLIMIT_MEMLOCK in bytes for that process (default: the trace header's)")
      ->check(CLI::Range(int64_t{0}, INT64_MAX));
  cmd->footer(
      "Exit status: 0 everything agrees (or --update wrote the file); 1 divergences; 2 the trace is unreadable "
      "or the options are wrong; 3 the target cannot replay this trace (e.g. huge pages unavailable).\n"
      "Example: uringsim replay traces/samples/nop_batch.jsonl --target kernel");
  cmd->callback([args, explain, exit_code]() {
    traces::Trace trace;
    traces::TraceError err;
    if (!traces::read_trace_file(args->file, &trace, &err)) {
      std::fprintf(stderr, "%s\n", err.message().c_str());
      *exit_code = 2;
      return;
    }
    // Declared before the target: the explain observer must outlive the Kernel.
    std::unique_ptr<traces::ExplainObserver> explainer;
    std::unique_ptr<traces::Target> target;
    if (explain->count() > 0 && args->target == "kernel") {
      std::fprintf(stderr, "uringsim replay: --explain explains the simulator's decisions; use it without --target kernel\n");
      *exit_code = 2;
      return;
    }
    if (args->target == "kernel") {
      if (!args->kernel.empty()) {
        std::fprintf(stderr, "uringsim replay: --kernel chooses a simulator profile; the kernel target is this machine's Linux\n");
        *exit_code = 2;
        return;
      }
      if (!args->cost_model.empty()) {
        std::fprintf(stderr, "uringsim replay: --cost-model sets the simulator's cost model; Linux has none\n");
        *exit_code = 2;
        return;
      }
    } else if (args->as_uid >= 0 || args->memlock >= 0) {
      std::fprintf(stderr, "uringsim replay: --as-uid and --memlock are for --target kernel; the simulator takes the "
                           "caller from the trace header\n");
      *exit_code = 2;
      return;
    }
    if (args->target == "kernel") {
      target = std::make_unique<traces::KernelTarget>();
    } else {
      const Profile* p = nullptr;
      if (!args->kernel.empty()) {
        p = find_profile(args->kernel);
        if (p == nullptr) {
          std::fprintf(stderr, "uringsim replay: unknown kernel profile '%s'\n", args->kernel.c_str());
          *exit_code = 2;
          return;
        }
      }
      auto sim = std::make_unique<traces::SimTarget>(p);
      if (!args->cost_model.empty()) {
        CostModel model;
        std::string why;
        if (!traces::load_cost_model(args->cost_model, &model, &why)) {
          std::fprintf(stderr, "uringsim replay: --cost-model %s: %s\n", args->cost_model.c_str(), why.c_str());
          *exit_code = 2;
          return;
        }
        sim->set_cost_model(model);
      }
      if (explain->count() > 0) {
        traces::ExplainOptions eo;
        eo.format = args->explain == "json" ? traces::ExplainFormat::kJson : traces::ExplainFormat::kText;
        sim->set_observer_factory([&explainer, eo](Kernel& kernel) -> Observer* {
          explainer = std::make_unique<traces::ExplainObserver>(kernel, stderr, eo);
          return explainer.get();
        });
      }
      target = std::move(sim);
    }
    traces::ReplayOptions opts;
    opts.update = args->update;
    // On Linux, a caller other than root with CAP_IPC_LOCK (the trace header's, or
    // --as-uid/--memlock) runs in a child process that becomes that caller.
    traces::CallerDecl caller = trace.header.caller;
    if (args->as_uid >= 0) {
      caller.uid = static_cast<uint32_t>(args->as_uid);
      caller.cap_ipc_lock = caller.uid == 0;
    }
    if (args->memlock >= 0) caller.memlock = static_cast<uint64_t>(args->memlock);
    traces::ReplayResult r = args->target == "kernel" && !caller.is_default()
                                 ? traces::replay_on_linux_as(trace, caller, opts)
                                 : traces::replay(trace, *target, opts);
    if (r.skipped) {
      std::fprintf(stderr, "%s: skipped: %s cannot replay it: %s\n", args->file.c_str(), target->name().c_str(),
                   r.skip_reason.c_str());
      *exit_code = 3;
      return;
    }
    if (args->update && trace.header.shape) {
      std::fprintf(stderr, "uringsim replay: --update cannot rewrite a shape trace (it was imported from perf; "
                           "its expectations are what Linux did)\n");
      *exit_code = 2;
      return;
    }
    if (args->update) {
      std::string why;
      if (!traces::write_trace_file(r.updated, args->file, &why)) {
        std::fprintf(stderr, "uringsim replay: %s\n", why.c_str());
        *exit_code = 2;
        return;
      }
      std::printf("%s: updated %zu expectation%s from %s\n", args->file.c_str(), r.divergences.size(),
                  r.divergences.size() == 1 ? "" : "s", target->name().c_str());
      *exit_code = 0;
      return;
    }
    for (const traces::Divergence& d : r.divergences) std::printf("%s\n", d.message.c_str());
    if (!r.divergences.empty()) {
      std::printf("%s: %zu divergence%s from %s in %zu calls\n", args->file.c_str(), r.divergences.size(),
                  r.divergences.size() == 1 ? "" : "s", target->name().c_str(), r.calls);
      *exit_code = 1;
      return;
    }
    if (trace.header.shape) {
      std::printf("%s: shape check: %zu calls, %zu SQEs, %zu CQEs consistent with profile %s\n", args->file.c_str(),
                  r.calls, r.sqes, r.cqes,
                  args->kernel.empty() ? trace.header.profile.c_str() : args->kernel.c_str());
      if (!args->quiet) {
        for (const std::string& u : r.unchecked) std::printf("  not checked: %s\n", u.c_str());
      }
      *exit_code = 0;
      return;
    }
    if (!args->quiet) {
      std::printf("%s: %zu calls, %zu SQEs, %zu CQEs agree with %s (%.0f calls/s)\n", args->file.c_str(), r.calls,
                  r.sqes, r.cqes, target->name().c_str(), r.seconds > 0 ? r.calls / r.seconds : 0.0);
    }
    *exit_code = 0;
  });
}

}  // namespace uringsim::tools
