#include "sim/channel.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace uringsim::sim {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// sun_path holds 107 bytes and a NUL; a longer path cannot be bound or connected to.
bool socket_address(const std::string& path, sockaddr_un* addr, std::string* error) {
  *addr = {};
  addr->sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr->sun_path) {
    *error = "socket path '" + path + "' must be 1 to " + std::to_string(sizeof addr->sun_path - 1) +
             " bytes long";
    return false;
  }
  std::memcpy(addr->sun_path, path.c_str(), path.size() + 1);
  return true;
}

// Whether `fd` is a seccomp user-notification listener (its anon inode's name).
bool is_seccomp_listener(int fd) {
  char link[64], target[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, target, sizeof target - 1);
  if (n < 0) return false;
  target[n] = '\0';
  return std::strcmp(target, "anon_inode:seccomp notify") == 0;
}

}  // namespace

int connect_to_server(const std::string& path, std::string* error) {
  sockaddr_un addr;
  if (!socket_address(path, &addr, error)) return -1;
  const int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    *error = "socket: " + errno_text(errno);
    return -1;
  }
  int r;
  do {
    r = connect(sock, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  } while (r != 0 && errno == EINTR);
  if (r != 0) {
    *error = "cannot connect to uringsim serve at " + path + ": " + errno_text(errno);
    close(sock);
    return -1;
  }
  return sock;
}

bool send_attach_hello(int sock, int listener, pid_t prog_pid, std::string* error) {
  AttachHello hello;
  hello.attach_pid = static_cast<int32_t>(getpid());
  hello.prog_pid = static_cast<int32_t>(prog_pid);
  iovec iov{&hello, sizeof hello};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &listener, sizeof listener);
  ssize_t n;
  do {
    n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof hello)) {
    *error = "sending the hello to uringsim serve: " + errno_text(n < 0 ? errno : EPROTO);
    return false;
  }
  // A server that accepted but never answers must not hang us.
  pollfd p{sock, POLLIN, 0};
  int ready;
  do {
    ready = poll(&p, 1, kAttachAckTimeoutSeconds * 1000);
  } while (ready < 0 && errno == EINTR);
  if (ready == 0) {
    *error = "uringsim serve did not answer the hello within " +
             std::to_string(kAttachAckTimeoutSeconds) + " s";
    return false;
  }
  AttachAck ack;
  ack.magic = 0;
  do {
    n = recv(sock, &ack, sizeof ack, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof ack) || ack.magic != kAttachMagic) {
    *error = n == 0 ? "uringsim serve closed the connection without accepting the hello"
                    : "uringsim serve sent a malformed answer to the hello";
    return false;
  }
  if (ack.error != 0) {
    *error = "uringsim serve refused the hello: " + errno_text(ack.error);
    return false;
  }
  return true;
}

bool read_attach_hello(int conn, AttachHello* hello, int* listener, std::string* what_is_wrong) {
  *listener = -1;
  // Room for more than a hello and several fds, so that too much of either is seen
  // (MSG_TRUNC / the fd count) rather than silently cut off.
  unsigned char data[sizeof(AttachHello) + 64];
  constexpr int kMaxFds = 16;
  alignas(cmsghdr) char control[CMSG_SPACE(kMaxFds * sizeof(int))];
  iovec iov{data, sizeof data};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = recvmsg(conn, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    *what_is_wrong = "reading the hello: " + errno_text(errno);
    return false;
  }
  // Every fd that came along is ours to close unless it becomes the listener.
  int fds[kMaxFds];
  int nfds = 0;
  if (msg.msg_controllen > 0) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count && nfds < kMaxFds; ++i) {
        std::memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      }
    }
  }
  auto fail = [&](const std::string& why) {
    for (int i = 0; i < nfds; ++i) close(fds[i]);
    *what_is_wrong = why;
    return false;
  };
  if (n == 0) return fail("closed the connection without sending a hello");
  if (n != static_cast<ssize_t>(sizeof(AttachHello))) {
    return fail("sent a " + std::to_string(n) + "-byte message; a hello is " +
                std::to_string(sizeof(AttachHello)) + " bytes");
  }
  std::memcpy(hello, data, sizeof *hello);
  if (hello->magic != kAttachMagic) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", hello->magic);
    return fail(std::string("bad magic ") + hex + " (not a uringsim hello)");
  }
  if (hello->version != kAttachVersion) {
    return fail("protocol version " + std::to_string(hello->version) + ", this server speaks " +
                std::to_string(kAttachVersion));
  }
  if (hello->size != sizeof(AttachHello)) {
    return fail("hello declares " + std::to_string(hello->size) + " bytes, expected " +
                std::to_string(sizeof(AttachHello)));
  }
  ucred peer{};
  socklen_t len = sizeof peer;
  if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0) {
    return fail("SO_PEERCRED: " + errno_text(errno));
  }
  // The server opens files and reads memory in the client's name with its own
  // credentials: serving another uid would lend it ours.
  if (peer.uid != geteuid()) {
    return fail("uid " + std::to_string(peer.uid) + " is not the server's uid " +
                std::to_string(geteuid()) + " (each user runs their own uringsim serve)");
  }
  if (hello->attach_pid != peer.pid) {
    return fail("hello names attach pid " + std::to_string(hello->attach_pid) + " but was sent by pid " +
                std::to_string(peer.pid));
  }
  if (hello->prog_pid <= 0) return fail("hello names program pid " + std::to_string(hello->prog_pid));
  if ((msg.msg_flags & MSG_CTRUNC) != 0) return fail("sent more file descriptors than fit in a hello");
  if (nfds == 0) return fail("hello carries no seccomp listener fd (SCM_RIGHTS)");
  if (nfds > 1) return fail("hello carries " + std::to_string(nfds) + " fds, expected exactly 1");
  if (!is_seccomp_listener(fds[0])) return fail("the fd in the hello is not a seccomp listener");
  *listener = fds[0];
  return true;
}

void send_attach_ack(int conn, int error) {
  AttachAck ack;
  ack.error = error;
  send(conn, &ack, sizeof ack, MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace uringsim::sim
