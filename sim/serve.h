// `uringsim serve`: a standalone simulated kernel process that programs attach to.
//
// It listens on a unix socket (SOCK_SEQPACKET, mode 0600) and serves, with ONE Kernel
// (sim/capture.h's CaptureKernel), the seccomp listener of every client that sends a
// valid hello (sim/channel.h): `uringsim attach -- PROG` or a program using
// libiouringsim.so with URINGSIM_SOCKET. All clients share the simulated machine --
// memlock is accounted per uid across them -- but each sees only its own rings and
// memory. A client that sends anything but a valid hello gets one line on stderr
// ("uringsim serve: client N: <what is wrong>") and is disconnected; the others keep
// being served; one that sends nothing is disconnected after --hello-timeout. Only clients of the server's own uid are accepted: the server opens
// files and reads memory on a client's behalf with its own credentials.
//
// SIGINT/SIGTERM/SIGHUP stop it: the socket is unlinked and every ring destroyed; the
// io_uring calls of clients still attached then fail with ENOSYS (no listener).
#pragma once

#include <cstdint>
#include <string>

#include "sim/capture.h"

namespace uringsim::sim {

struct ServeOptions {
  RunOptions kernel;        // profile, memlock, trace, stats, observers (argv unused)
  std::string socket_path;  // where to listen; a stale socket there is replaced
  // A connection that has not sent its hello this long after connecting is closed, so
  // silent connections cannot hold the waiting slots for ever.
  uint64_t hello_timeout_ms = 10000;
};

// Serves until a stop signal; returns 0. If the socket or the capture cannot be set
// up, returns kRunSetupFailure with *error set to a sentence.
int serve_socket(const ServeOptions& opts, std::string* error);

}  // namespace uringsim::sim
