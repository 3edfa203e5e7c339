// uringsim serve: a standalone simulated kernel process that programs attach to.
#include <cstdio>
#include <memory>
#include <string>

#include "kernel_model/profile.h"
#include "sim/serve.h"
#include "tools/commands.h"

namespace uringsim::tools {

void add_serve_command(CLI::App& app, int* exit_code) {
  std::string names;
  for (const Profile& p : all_profiles()) {
    if (!names.empty()) names += ", ";
    names += std::string(p.name);
  }
  auto* cmd = app.add_subcommand(
      "serve", "Run one simulated kernel on a unix socket; programs attach with `uringsim attach` "
               "or libiouringsim.so and URINGSIM_SOCKET, several at once, sharing its memlock accounting");
  struct Args {
    std::string socket;
    std::string kernel = std::string(default_profile().name);
    uint64_t memlock = 0;
    bool trace = false;
    bool stats = false;
    double hello_timeout_s = 10;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--socket", args->socket, "Unix socket to listen on (created mode 0600; a stale one is replaced)")
      ->required();
  cmd->add_option("--kernel", args->kernel, "Kernel profile to simulate: " + names)->capture_default_str();
  auto* memlock = cmd->add_option("--memlock", args->memlock,
                                  "RLIMIT_MEMLOCK (bytes) the simulated kernel sees for every client, "
                                  "instead of each client's own limit");
  cmd->add_flag("--trace", args->trace, "Print every captured io_uring syscall and every attach to stderr");
  cmd->add_option("--hello-timeout", args->hello_timeout_s,
                  "Seconds a new connection may take to send its hello before it is disconnected")
      ->check(CLI::Range(0.001, 3600.0))
      ->capture_default_str();
  cmd->add_flag("--stats", args->stats, "Print a summary of the served syscalls when stopped");
  cmd->footer("Runs until SIGINT/SIGTERM/SIGHUP, then removes the socket and destroys every ring.\n"
              "Only clients of the server's own uid are accepted.\n"
              "Example: uringsim serve --socket /tmp/uringsim.sock &\n"
              "         uringsim attach --socket /tmp/uringsim.sock -- ./build/bin/examples/uring_nop_ping 10");
  cmd->callback([args, memlock, exit_code]() {
    sim::ServeOptions opts;
    opts.socket_path = args->socket;
    opts.kernel.profile = find_profile(args->kernel);
    if (opts.kernel.profile == nullptr) {
      std::fprintf(stderr, "uringsim serve: unknown kernel profile '%s'\n", args->kernel.c_str());
      *exit_code = sim::kRunSetupFailure;
      return;
    }
    if (memlock->count() > 0) opts.kernel.memlock = args->memlock;
    opts.kernel.trace = args->trace;
    opts.kernel.stats = args->stats;
    opts.hello_timeout_ms = static_cast<uint64_t>(args->hello_timeout_s * 1000.0 + 0.5);
    std::string error;
    *exit_code = sim::serve_socket(opts, &error);
    if (!error.empty()) std::fprintf(stderr, "uringsim serve: %s\n", error.c_str());
  });
}

}  // namespace uringsim::tools
