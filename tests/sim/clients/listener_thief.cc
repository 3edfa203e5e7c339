// listener_thief: a `uringsim serve` client that keeps a copy of the seccomp listener it
// hands over, and a child that races the server for its notifications (answering the
// ones it takes with -EPERM). The server must not hang in a receive that the thief won;
// every call gets an answer from one of the two.
//
//   listener_thief SOCKET CALLS
//
// Prints "listener_thief: CALLS setups answered" and exits 0, or says what failed (1).
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "sim/channel.h"
#include "sim/seccomp_filter.h"
#include "uapi/io_uring.h"

namespace {

[[noreturn]] void steal_forever(int listener) {
  seccomp_notif_sizes sizes{};
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) _exit(1);
  std::vector<char> req(std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
  std::vector<char> resp(std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));
  for (;;) {
    pollfd p{listener, POLLIN, 0};
    if (poll(&p, 1, -1) < 0 && errno != EINTR) _exit(1);
    std::memset(req.data(), 0, req.size());
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req.data()) != 0) continue;
    auto* n = reinterpret_cast<seccomp_notif*>(req.data());
    auto* r = reinterpret_cast<seccomp_notif_resp*>(resp.data());
    std::memset(r, 0, resp.size());
    r->id = n->id;
    r->error = -EPERM;
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, r);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: listener_thief SOCKET CALLS\n");
    return 2;
  }
  const int calls = std::atoi(argv[2]);
  std::string error;
  const int sock = uringsim::sim::connect_to_server(argv[1], &error);
  if (sock < 0) {
    std::fprintf(stderr, "listener_thief: %s\n", error.c_str());
    return 1;
  }
  const char* what = "";
  const int listener = uringsim::sim::install_io_uring_filter(/*all_threads=*/false, &what);
  if (listener < 0) {
    std::fprintf(stderr, "listener_thief: %s: %s\n", what, std::strerror(errno));
    return 1;
  }
  if (!uringsim::sim::send_attach_hello(sock, listener, getpid(), &error)) {
    std::fprintf(stderr, "listener_thief: %s\n", error.c_str());
    return 1;
  }
  close(sock);
  const pid_t thief = fork();
  if (thief == 0) steal_forever(listener);
  int answered = 0;
  for (int i = 0; i < calls; ++i) {
    io_uring_params p{};
    const long fd = syscall(__NR_io_uring_setup, 4, &p);
    if (fd >= 0) {
      close(static_cast<int>(fd));
      ++answered;
    } else if (errno == EPERM) {
      ++answered;  // the thief's answer
    } else {
      std::fprintf(stderr, "listener_thief: setup %d: %s\n", i, std::strerror(errno));
    }
  }
  kill(thief, SIGKILL);
  waitpid(thief, nullptr, 0);
  std::printf("listener_thief: %d setups answered\n", answered);
  return answered == calls ? 0 : 1;
}
