// SocketFile: the simulator's view of a trace socket -- a kernel_model File over the
// application end of a host SocketPair (traces/socket_pair.h). Sends and receives are
// the host's sendmsg/recvmsg, always with MSG_DONTWAIT (kernel_model/files.h: the model
// parks a request that would block), so protocol behaviour (stream vs datagram,
// truncation, which sockets do zero-copy) is the host's, not a re-implementation.
#pragma once

#include "kernel_model/files.h"
#include "traces/trace.h"

namespace uringsim::traces {

class SocketFile : public File {
 public:
  // `fd` stays owned by the SocketPair, which must outlive this file.
  SocketFile(int fd, SocketKind kind) : fd_(fd), kind_(kind) {}

  FileKind kind() const override { return FileKind::kSocket; }
  bool readable() const override { return true; }
  bool writable() const override { return true; }
  // read(2)/write(2) on a socket: recv/send without flags.
  ssize_t read(void* buf, size_t len, int64_t off) override;
  ssize_t write(const void* buf, size_t len, int64_t off) override;
  int sync(bool) override { return -EINVAL; }  // fsync on a socket: Linux's -EINVAL
  uint32_t poll(uint32_t events) override;
  int host_fd() const override { return fd_; }

  ssize_t sock_send(const void* buf, size_t len, int flags, const SockMsg& msg) override;
  ssize_t sock_recv(void* buf, size_t len, int flags, SockMsg& msg) override;
  // Linux sets SOCK_SUPPORT_ZC on TCP and UDP sockets only.
  bool sock_supports_zc() const override { return kind_ == SocketKind::kTcp || kind_ == SocketKind::kUdp; }
  bool sock_is_stream() const override { return kind_ == SocketKind::kUnixStream || kind_ == SocketKind::kTcp; }

 private:
  int fd_;
  SocketKind kind_;
};

}  // namespace uringsim::traces
