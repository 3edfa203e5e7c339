// One buffer through a host socket, the way kernel_model/files.h defines
// File::sock_send / File::sock_recv: the SockMsg's name and control buffers go into the
// msghdr, EINTR is retried, failures come back as -errno, and a receive writes back what
// recvmsg(2) reported (name and control lengths, msg_flags) plus, when the model asks
// for it, the bytes still queued on a stream socket (Linux's msg_inq).
//
// Shared by every File that is a real host socket: the replayer's trace sockets
// (traces/socket_file.h) and a captured client's sockets (sim/process_files.h).
#pragma once

#include <sys/types.h>

#include <cstddef>

#include "kernel_model/files.h"

namespace uringsim::traces {

ssize_t host_sock_send(int fd, const void* buf, size_t len, int flags, const File::SockMsg& msg);
// `stream`: whether fd is a stream socket (only those report msg_inq).
ssize_t host_sock_recv(int fd, void* buf, size_t len, int flags, File::SockMsg& msg, bool stream);

}  // namespace uringsim::traces
