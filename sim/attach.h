// `uringsim attach --socket PATH -- PROG ARGS...`: run PROG with its io_uring syscalls
// answered by a `uringsim serve` process instead of a kernel of our own.
//
// PROG is forked exactly as `uringsim run` forks it (sim/captured_child.h); its seccomp
// listener goes to the server in a hello (sim/channel.h), and once the server has
// acknowledged it PROG execs. We then only wait for PROG: its stdio is its own (ours,
// inherited). SIGTERM/SIGHUP, and SIGINT/SIGQUIT sent to us with kill(2), are passed on
// to PROG; a terminal's ^C/^\ already reaches PROG through the process group.
#pragma once

#include <string>
#include <vector>

namespace uringsim::sim {

struct AttachOptions {
  std::string socket_path;
  std::vector<std::string> argv;  // PROG ARGS...
};

// Returns PROG's exit status (128 + N if killed by signal N), or kRunSetupFailure
// (sim/capture.h) with *error set ("cannot connect to uringsim serve at PATH: ...").
int attach_captured(const AttachOptions& opts, std::string* error);

}  // namespace uringsim::sim
