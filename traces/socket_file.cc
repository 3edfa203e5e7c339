// SocketFile: a trace socket as the simulator sees it (see socket_file.h).
#include "traces/socket_file.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "traces/host_socket.h"

namespace uringsim::traces {

ssize_t SocketFile::read(void* buf, size_t len, int64_t) {
  SockMsg m;
  return sock_recv(buf, len, 0, m);
}

ssize_t SocketFile::write(const void* buf, size_t len, int64_t) {
  return sock_send(buf, len, 0, SockMsg{});
}

uint32_t SocketFile::poll(uint32_t events) {
  pollfd p{fd_, static_cast<short>(events), 0};
  int r;
  do {
    r = ::poll(&p, 1, 0);
  } while (r < 0 && errno == EINTR);
  return r > 0 ? static_cast<uint16_t>(p.revents) : 0;
}

ssize_t SocketFile::sock_send(const void* buf, size_t len, int flags, const SockMsg& msg) {
  // The replayer is one process: a send to a peer that went away must be -EPIPE, not
  // SIGPIPE.
  return host_sock_send(fd_, buf, len, flags | MSG_DONTWAIT | MSG_NOSIGNAL, msg);
}

ssize_t SocketFile::sock_recv(void* buf, size_t len, int flags, SockMsg& msg) {
  return host_sock_recv(fd_, buf, len, flags | MSG_DONTWAIT, msg, sock_is_stream());
}

}  // namespace uringsim::traces
