// SocketPair: a connected pair of host sockets for a trace's socket file
// (traces/FORMAT.md, "Sockets"): the application's end, which the trace's fd names,
// and the peer's end, which the replayer holds to send the trace's `peer_sends` and
// to collect what the application sent (`peer_receives`).
//
// Both targets use real sockets: the Linux target hands the application end to io_uring
// as it is, the simulator wraps it in a kernel_model File (traces/socket_file.h), so a
// send or recv has the host's socket semantics on either target.
#pragma once

#include <string>

#include "traces/trace.h"

namespace uringsim::traces {

class SocketPair {
 public:
  SocketPair() = default;
  ~SocketPair();
  SocketPair(const SocketPair&) = delete;
  SocketPair& operator=(const SocketPair&) = delete;

  // Creates the pair (AF_UNIX socketpair, or a connected pair on 127.0.0.1), both ends
  // non-blocking and close-on-exec. False with *why on failure.
  bool open(SocketKind kind, std::string* why);
  // The peer writes `bytes` (one datagram on dgram kinds). False with *why when the
  // socket takes less.
  bool peer_send(const std::string& bytes, std::string* why);
  // Everything queued at the peer now (never blocks).
  std::string peer_drain();

  int app_fd() const { return app_fd_; }
  SocketKind kind() const { return kind_; }

 private:
  SocketKind kind_ = SocketKind::kNone;
  int app_fd_ = -1;
  int peer_fd_ = -1;
};

// Compares what the peer of `f` received with the trace's expectation. Empty when it
// matches (or nothing is expected); else "peer of fd 6 received 5 bytes "hello",
// trace expects ...".
std::string check_peer_receives(const FileDecl& f, const std::string& received);

}  // namespace uringsim::traces
