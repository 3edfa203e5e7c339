#include "sim/serve.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <algorithm>
#include <string>
#include <vector>

#include "sim/channel.h"

namespace uringsim::sim {

namespace {

// Connections that have not sent their hello yet. Beyond this many, new ones are
// turned away at once: a client that connects and says nothing must not be able to
// exhaust the server's fds.
constexpr size_t kMaxWaitingConnections = 64;

volatile sig_atomic_t g_stop = 0;
void request_stop(int) { g_stop = 1; }

// A bound, listening, close-on-exec, non-blocking SOCK_SEQPACKET socket at `path`
// (mode 0600), or -1 with *error.
int listen_at(const std::string& path, std::string* error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    *error = "--socket: '" + path + "' must be 1 to " + std::to_string(sizeof addr.sun_path - 1) +
             " bytes long";
    return -1;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      *error = path + " exists and is not a socket; not replacing it";
      return -1;
    }
    // A socket nobody listens on (ECONNREFUSED) is a leftover of a server that died:
    // replace it. Anything else -- a live server, someone else's kind of socket -- stays.
    const int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    const int connected = probe < 0 ? -1 : connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    const int probe_errno = errno;
    if (probe >= 0) close(probe);
    if (connected == 0) {
      *error = "another uringsim serve is already listening on " + path;
      return -1;
    }
    if (probe_errno != ECONNREFUSED) {
      *error = path + " is a socket in use (" + std::strerror(probe_errno) + "); not replacing it";
      return -1;
    }
    unlink(path.c_str());
  }
  const int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (sock < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  // Created 0600 from the start (no window in which another uid could connect).
  const mode_t old_umask = umask(0077);
  const int bound = bind(sock, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int bind_errno = errno;
  umask(old_umask);
  if (bound != 0 || listen(sock, 64) != 0) {
    *error = "cannot listen on " + path + ": " + std::strerror(bound != 0 ? bind_errno : errno);
    close(sock);
    if (bound == 0) unlink(path.c_str());
    return -1;
  }
  return sock;
}

struct WaitingConnection {
  int fd;
  unsigned long number;  // "client N" in messages: the Nth connection accepted
  uint64_t deadline_ns;  // CLOCK_MONOTONIC: closed if no hello has come by then
};

uint64_t monotonic_now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// Arms `timer` (a CLOCK_MONOTONIC timerfd) for the earliest hello deadline, or disarms
// it when nobody is waiting: the service loop's ppoll then wakes for it.
void arm_hello_timer(int timer, const std::vector<WaitingConnection>& waiting) {
  itimerspec when{};
  if (!waiting.empty()) {
    uint64_t earliest = UINT64_MAX;
    for (const WaitingConnection& w : waiting) earliest = std::min(earliest, w.deadline_ns);
    when.it_value.tv_sec = static_cast<time_t>(earliest / 1000000000ull);
    when.it_value.tv_nsec = static_cast<long>(earliest % 1000000000ull);
    if (when.it_value.tv_sec == 0 && when.it_value.tv_nsec == 0) when.it_value.tv_nsec = 1;
  }
  timerfd_settime(timer, TFD_TIMER_ABSTIME, &when, nullptr);
}

std::string seconds_text(uint64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(ms) / 1000.0);
  return buf;
}

}  // namespace

int serve_socket(const ServeOptions& opts, std::string* error) {
  CaptureKernel kernel(opts.kernel);
  if (!kernel.init(error)) {
    *error = "seccomp user notification unavailable: " + *error;
    return kRunSetupFailure;
  }
  const int server = listen_at(opts.socket_path, error);
  if (server < 0) return kRunSetupFailure;
  const int hello_timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (hello_timer < 0) {
    *error = std::string("timerfd_create: ") + std::strerror(errno);
    close(server);
    unlink(opts.socket_path.c_str());
    return kRunSetupFailure;
  }

  // Stop signals are blocked except inside the loop's ppoll, so one arriving between
  // two turns is not lost: it interrupts the next wait.
  struct sigaction stop{}, ign{}, old_int{}, old_term{}, old_hup{}, old_pipe{};
  stop.sa_handler = request_stop;
  sigemptyset(&stop.sa_mask);
  ign.sa_handler = SIG_IGN;
  g_stop = 0;
  sigaction(SIGINT, &stop, &old_int);
  sigaction(SIGTERM, &stop, &old_term);
  sigaction(SIGHUP, &stop, &old_hup);
  // Writes and sends the model issues for clients: a closed pipe is an -EPIPE CQE, and
  // a client gone before its ack must not kill the server.
  sigaction(SIGPIPE, &ign, &old_pipe);
  sigset_t blocked, old_mask;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGINT);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGHUP);
  sigprocmask(SIG_BLOCK, &blocked, &old_mask);
  sigset_t in_poll = old_mask;
  sigdelset(&in_poll, SIGINT);
  sigdelset(&in_poll, SIGTERM);
  sigdelset(&in_poll, SIGHUP);

  std::fprintf(stderr, "uringsim serve: listening on %s (pid %d)\n", opts.socket_path.c_str(),
               static_cast<int>(getpid()));
  std::vector<WaitingConnection> waiting;
  std::vector<pollfd> extra;
  unsigned long accepted = 0;
  unsigned long attached = 0;
  int status = 0;
  while (g_stop == 0) {
    extra.clear();
    extra.push_back({server, POLLIN, 0});
    extra.push_back({hello_timer, POLLIN, 0});
    constexpr size_t kFirstWaiting = 2;
    for (const WaitingConnection& w : waiting) extra.push_back({w.fd, POLLIN, 0});
    arm_hello_timer(hello_timer, waiting);
    if (!kernel.serve_once(extra, &in_poll)) {
      *error = std::string("poll: ") + std::strerror(errno);
      status = kRunSetupFailure;
      break;
    }
    if (g_stop != 0) break;
    // Hellos first (their revents belong to the current `waiting`), then new connections.
    const uint64_t now = monotonic_now_ns();
    for (size_t i = waiting.size(); i-- > 0;) {
      if (extra[kFirstWaiting + i].revents == 0) {
        if (now < waiting[i].deadline_ns) continue;
        std::fprintf(stderr, "uringsim serve: client %lu: sent no hello within %s; disconnected\n",
                     waiting[i].number, seconds_text(opts.hello_timeout_ms).c_str());
        close(waiting[i].fd);
        waiting.erase(waiting.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
      const WaitingConnection w = waiting[i];
      waiting.erase(waiting.begin() + static_cast<std::ptrdiff_t>(i));
      AttachHello hello;
      int listener = -1;
      std::string what;
      if (read_attach_hello(w.fd, &hello, &listener, &what)) {
        kernel.add_listener(listener, /*untrusted=*/true);
        send_attach_ack(w.fd, 0);
        ++attached;
        if (opts.kernel.trace) {
          std::fprintf(stderr, "uringsim serve: client %lu: attached pid %d (program pid %d)\n", w.number,
                       hello.attach_pid, hello.prog_pid);
        }
      } else {
        std::fprintf(stderr, "uringsim serve: client %lu: %s\n", w.number, what.c_str());
        send_attach_ack(w.fd, EPROTO);
      }
      close(w.fd);
    }
    if (extra[0].revents & POLLIN) {
      for (;;) {
        const int conn = accept4(server, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (conn < 0) break;  // EAGAIN: none left; anything else: try again next turn
        const unsigned long number = ++accepted;
        if (waiting.size() >= kMaxWaitingConnections) {
          std::fprintf(stderr,
                       "uringsim serve: client %lu: %zu connections are already waiting to send "
                       "their hello; refused\n",
                       number, waiting.size());
          close(conn);
          continue;
        }
        waiting.push_back({conn, number, now + opts.hello_timeout_ms * 1000000ull});
      }
    }
  }

  for (const WaitingConnection& w : waiting) close(w.fd);
  close(hello_timer);
  close(server);
  unlink(opts.socket_path.c_str());
  if (opts.kernel.stats) kernel.print_stats("uringsim serve");
  if (opts.kernel.trace) {
    std::fprintf(stderr, "uringsim serve: stopped; %lu clients attached, %zu still attached\n", attached,
                 kernel.listener_count());
  }
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGHUP, &old_hup, nullptr);
  sigaction(SIGPIPE, &old_pipe, nullptr);
  return status;
}

}  // namespace uringsim::sim
