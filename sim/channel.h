// The attach channel: how a captured program reaches a `uringsim serve` kernel process.
//
// A client -- `uringsim attach` for the PROG it forked, or libiouringsim.so with
// URINGSIM_SOCKET for its own process -- connects to the server's unix socket
// (SOCK_SEQPACKET, so one message is one record), sends one AttachHello carrying the
// seccomp listener of its filter (sim/seccomp_filter.h) as SCM_RIGHTS, and reads one
// AttachAck. From then on the server answers the captured io_uring syscalls through
// that listener; the connection itself is closed by both sides.
//
// The server trusts nothing on the channel: read_attach_hello() checks the record's
// size, magic, version, declared size, the sender's credentials (SO_PEERCRED: same uid
// as the server, attach_pid the sender's own pid) and that exactly one fd came along
// and that it is a seccomp listener; anything else is a one-line reason.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace uringsim::sim {

inline constexpr uint32_t kAttachMagic = 0x4d495355;  // "USIM" little-endian
inline constexpr uint16_t kAttachVersion = 1;

// Fixed layout, host byte order (both ends are on this host).
struct AttachHello {
  uint32_t magic = kAttachMagic;
  uint16_t version = kAttachVersion;
  uint16_t size = sizeof(AttachHello);
  int32_t attach_pid = 0;  // the sender (must match SO_PEERCRED)
  int32_t prog_pid = 0;    // the captured program (the sender itself for the shim)
};
static_assert(sizeof(AttachHello) == 16);

struct AttachAck {
  uint32_t magic = kAttachMagic;
  int32_t error = 0;  // 0: the listener is being served; else an errno
};
static_assert(sizeof(AttachAck) == 8);

// How long a client waits for the server's ack before giving up (never hang).
inline constexpr int kAttachAckTimeoutSeconds = 10;

// Client side. A connected SOCK_SEQPACKET socket (close-on-exec) to `path`, or -1 with
// *error ("cannot connect to uringsim serve at PATH: No such file or directory").
int connect_to_server(const std::string& path, std::string* error);

// Client side. Sends the hello with `listener`, waits for the ack. False with *error.
bool send_attach_hello(int sock, int listener, pid_t prog_pid, std::string* error);

// Server side. Reads one hello from `conn` (must be readable, so this does not block).
// On success *listener is the received seccomp listener (close-on-exec, owned by the
// caller). On failure returns false with *what_is_wrong and closes any fd received.
bool read_attach_hello(int conn, AttachHello* hello, int* listener, std::string* what_is_wrong);

// Server side. Best effort: the client may be gone.
void send_attach_ack(int conn, int error);

}  // namespace uringsim::sim
