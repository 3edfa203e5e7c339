#include "sim/attach.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "sim/capture.h"
#include "sim/captured_child.h"
#include "sim/channel.h"

namespace uringsim::sim {

namespace {

volatile sig_atomic_t g_prog = 0;

// SIGTERM/SIGHUP are for PROG (a service manager stopping it). SIGINT/SIGQUIT too when
// someone sent them to us alone (si_code <= 0: kill, sigqueue, tgkill); from a terminal
// they reach PROG directly, and passing them on would deliver them twice.
void forward_signal(int sig, siginfo_t* info, void*) {
  const bool from_terminal = (sig == SIGINT || sig == SIGQUIT) && info != nullptr && info->si_code > 0;
  if (g_prog > 0 && !from_terminal) kill(static_cast<pid_t>(g_prog), sig);
}

}  // namespace

int attach_captured(const AttachOptions& opts, std::string* error) {
  if (opts.argv.empty()) {
    *error = "no program given (usage: uringsim attach --socket PATH -- PROG ARGS...)";
    return kRunSetupFailure;
  }
  // Before forking: without a server there is nothing to run PROG against.
  const int sock = connect_to_server(opts.socket_path, error);
  if (sock < 0) return kRunSetupFailure;
  CapturedChild child;
  if (!child.spawn(opts.argv, "uringsim attach", error)) {
    close(sock);
    return kRunSetupFailure;
  }
  const bool attached = send_attach_hello(sock, child.listener(), child.pid(), error);
  close(sock);
  // The server holds the listener now; a copy here would only keep the filter's
  // notification queue alive after the server is gone.
  close(child.take_listener());
  if (!attached) {
    child.abandon();
    return kRunSetupFailure;
  }

  const int sigs[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP};
  struct sigaction fwd{}, old[4]{};
  fwd.sa_sigaction = forward_signal;
  fwd.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&fwd.sa_mask);
  const pid_t prog = child.pid();
  g_prog = prog;
  for (int i = 0; i < 4; ++i) sigaction(sigs[i], &fwd, &old[i]);
  int status = 0;
  const bool started = child.start(error);  // reaps the child if it is gone
  if (started) {
    while (waitpid(prog, &status, 0) < 0 && errno == EINTR) {}
  }
  g_prog = 0;
  for (int i = 0; i < 4; ++i) sigaction(sigs[i], &old[i], nullptr);
  return started ? shell_status(status) : kRunSetupFailure;
}

}  // namespace uringsim::sim
