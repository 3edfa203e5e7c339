#include "traces/host_socket.h"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>

namespace uringsim::traces {
namespace {

msghdr one_buffer_msghdr(iovec* iov, const File::SockMsg& msg) {
  msghdr h{};
  h.msg_name = msg.name;
  h.msg_namelen = msg.namelen;
  h.msg_iov = iov;
  h.msg_iovlen = 1;
  h.msg_control = msg.control;
  h.msg_controllen = msg.controllen;
  return h;
}

}  // namespace

ssize_t host_sock_send(int fd, const void* buf, size_t len, int flags, const File::SockMsg& msg) {
  iovec iov{const_cast<void*>(buf), len};
  msghdr h = one_buffer_msghdr(&iov, msg);
  ssize_t r;
  do {
    r = ::sendmsg(fd, &h, flags);
  } while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : r;
}

ssize_t host_sock_recv(int fd, void* buf, size_t len, int flags, File::SockMsg& msg, bool stream) {
  iovec iov{buf, len};
  msghdr h = one_buffer_msghdr(&iov, msg);
  ssize_t r;
  do {
    r = ::recvmsg(fd, &h, flags);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  msg.namelen = h.msg_namelen;
  msg.controllen = h.msg_controllen;
  msg.msg_flags = h.msg_flags;
  msg.inq = -1;
  int queued = 0;
  if (msg.want_inq && stream && ioctl(fd, SIOCINQ, &queued) == 0) msg.inq = queued;
  return r;
}

}  // namespace uringsim::traces
