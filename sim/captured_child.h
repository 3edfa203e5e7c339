// A program started under the io_uring seccomp filter (sim/seccomp_filter.h), held at
// the door until its kernel is ready.
//
// `uringsim run` and `uringsim attach` both fork PROG this way: the child installs the
// filter, passes the listener to the parent (SCM_RIGHTS over a socketpair) and waits;
// the parent arranges for the listener to be served -- itself (run) or by a `uringsim
// serve` process (attach) -- and then lets the child exec PROG. The filter is inherited,
// so PROG's descendants are captured too.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace uringsim::sim {

class CapturedChild {
 public:
  // Forks `argv` (argv[0] looked up in PATH) and waits for its listener. `who` prefixes
  // the child's own error message if exec fails ("uringsim run: cannot run PROG: ...",
  // exit 127 or 126). False with *error if the filter could not be installed (the child
  // is reaped then).
  bool spawn(const std::vector<std::string>& argv, const char* who, std::string* error);

  // Lets the child exec PROG. False with *error if it is gone (it is reaped then).
  bool start(std::string* error);

  // Stops the child before it execs (it exits 2) and reaps it.
  void abandon();

  ~CapturedChild();

  pid_t pid() const { return pid_; }
  // The seccomp listener; owned by this object until take_listener().
  int listener() const { return listener_; }
  int take_listener() {
    const int fd = listener_;
    listener_ = -1;
    return fd;
  }

 private:
  void reap();

  pid_t pid_ = -1;
  int listener_ = -1;
  int control_ = -1;  // our end of the socketpair; the child waits on it for "go"
};

// Exit status of PROG as the shell reports it: 128 + signal number if it was killed.
int shell_status(int wait_status);

}  // namespace uringsim::sim
