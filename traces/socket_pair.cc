// SocketPair: the host sockets behind a trace's socket file (see socket_pair.h).
#include "traces/socket_pair.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kernel_model/fault.h"

namespace uringsim::traces {

namespace {

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

bool set_nonblocking(int fd) {
  const int fl = fcntl(fd, F_GETFL);
  return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

sockaddr_in loopback_any_port() {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A connected TCP pair on 127.0.0.1: a listener, one connect, one accept.
bool tcp_pair(int* app, int* peer, std::string* why) {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) {
    *why = errno_text("socket(AF_INET, SOCK_STREAM)");
    return false;
  }
  sockaddr_in a = loopback_any_port();
  socklen_t len = sizeof a;
  bool ok = bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && listen(listener, 1) == 0 &&
            getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  if (!ok) *why = errno_text("tcp listener on 127.0.0.1");
  int c = -1, s = -1;
  if (ok) {
    c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ok = c >= 0 && connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (!ok) *why = errno_text("tcp connect to 127.0.0.1");
  }
  if (ok) {
    s = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    ok = s >= 0;
    if (!ok) *why = errno_text("tcp accept");
  }
  close(listener);
  if (!ok) {
    if (c >= 0) close(c);
    return false;
  }
  *app = c;
  *peer = s;
  return true;
}

// Two UDP sockets on 127.0.0.1, each connected to the other.
bool udp_pair(int* app, int* peer, std::string* why) {
  int fds[2] = {-1, -1};
  sockaddr_in addrs[2];
  for (int i = 0; i < 2; ++i) {
    fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    addrs[i] = loopback_any_port();
    socklen_t len = sizeof addrs[i];
    if (fds[i] < 0 || bind(fds[i], reinterpret_cast<sockaddr*>(&addrs[i]), sizeof addrs[i]) != 0 ||
        getsockname(fds[i], reinterpret_cast<sockaddr*>(&addrs[i]), &len) != 0) {
      *why = errno_text("udp socket on 127.0.0.1");
      for (int fd : fds) {
        if (fd >= 0) close(fd);
      }
      return false;
    }
  }
  for (int i = 0; i < 2; ++i) {
    if (connect(fds[i], reinterpret_cast<sockaddr*>(&addrs[1 - i]), sizeof addrs[i]) != 0) {
      *why = errno_text("udp connect on 127.0.0.1");
      close(fds[0]);
      close(fds[1]);
      return false;
    }
  }
  *app = fds[0];
  *peer = fds[1];
  return true;
}

}  // namespace

SocketPair::~SocketPair() {
  if (app_fd_ >= 0) close(app_fd_);
  if (peer_fd_ >= 0) close(peer_fd_);
}

bool SocketPair::open(SocketKind kind, std::string* why) {
  kind_ = kind;
  int app = -1, peer = -1;
  switch (kind) {
    case SocketKind::kUnixStream:
    case SocketKind::kUnixDgram: {
      int sv[2];
      const int type = kind == SocketKind::kUnixStream ? SOCK_STREAM : SOCK_DGRAM;
      if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) != 0) {
        *why = errno_text("socketpair(AF_UNIX)");
        return false;
      }
      app = sv[0];
      peer = sv[1];
      break;
    }
    case SocketKind::kTcp:
      if (!tcp_pair(&app, &peer, why)) return false;
      break;
    case SocketKind::kUdp:
      if (!udp_pair(&app, &peer, why)) return false;
      break;
    case SocketKind::kNone:
      *why = "not a socket kind";
      return false;
  }
  app_fd_ = app;
  peer_fd_ = peer;
  // Only the peer is non-blocking (the replayer must never wait on it); the
  // application's end stays as a program's socket would be, blocking.
  if (!set_nonblocking(peer_fd_)) {
    *why = errno_text("fcntl(O_NONBLOCK) on the peer");
    return false;
  }
  return true;
}

bool SocketPair::peer_send(const std::string& bytes, std::string* why) {
  if (bytes.empty()) return true;
  const ssize_t n = send(peer_fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (n != static_cast<ssize_t>(bytes.size())) {
    *why = n < 0 ? errno_text("peer send") : strprintf("peer send: %zd of %zu bytes", n, bytes.size());
    return false;
  }
  return true;
}

std::string SocketPair::peer_drain() {
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = recv(peer_fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

namespace {

std::string quoted(const std::string& bytes) {
  std::string q = "\"";
  for (unsigned char c : bytes.substr(0, 64)) {
    if (c == '"' || c == '\\') {
      q += '\\';
      q += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      q += static_cast<char>(c);
    } else {
      q += strprintf("\\x%02x", c);
    }
  }
  return q + (bytes.size() > 64 ? "\"..." : "\"");
}

}  // namespace

std::string check_peer_receives(const FileDecl& f, const std::string& received) {
  const std::string got = strprintf("%zu bytes %s", received.size(), quoted(received).c_str());
  if (f.peer_receives && *f.peer_receives != received) {
    return strprintf("the peer of socket fd %d received %s, trace expects %zu bytes %s", f.fd, got.c_str(),
                     f.peer_receives->size(), quoted(*f.peer_receives).c_str());
  }
  if (!f.peer_receives_sha256.empty()) {
    const std::string h = sha256_hex(reinterpret_cast<const uint8_t*>(received.data()), received.size());
    if (h != f.peer_receives_sha256) {
      return strprintf("the peer of socket fd %d received %s (sha256 %s), trace expects sha256 %s", f.fd, got.c_str(),
                       h.c_str(), f.peer_receives_sha256.c_str());
    }
  }
  return {};
}

}  // namespace uringsim::traces
