// uringsim attach: run a program against a `uringsim serve` kernel process.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "sim/attach.h"
#include "sim/capture.h"
#include "tools/commands.h"

namespace uringsim::tools {

void add_attach_command(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "attach", "Run PROG with io_uring_setup/enter/register answered by the `uringsim serve` "
                "listening on --socket (PROG's descendants too)");
  struct Args {
    std::string socket;
    std::vector<std::string> prog;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--socket", args->socket, "The socket `uringsim serve --socket` listens on")->required();
  cmd->add_option("prog", args->prog, "PROG ARGS... (put them after --)")->required();
  cmd->footer("Exit status: PROG's (128+N if it died of signal N); 2 if it could not be attached "
              "(no server at --socket, no seccomp).\n"
              "Example: uringsim attach --socket /tmp/uringsim.sock -- ./build/bin/examples/uring_cat README.md");
  cmd->callback([args, exit_code]() {
    sim::AttachOptions opts;
    opts.socket_path = args->socket;
    opts.argv = args->prog;
    std::string error;
    *exit_code = sim::attach_captured(opts, &error);
    if (!error.empty()) std::fprintf(stderr, "uringsim attach: %s\n", error.c_str());
  });
}

}  // namespace uringsim::tools
