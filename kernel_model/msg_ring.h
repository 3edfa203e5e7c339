// MSG_RING: post a CQE into another ring of the same simulated machine, or pass it a
// registered file (io_uring/msg_ring.c). The target is named by sqe->fd, a ring fd.
#pragma once
#include <cstdint>
namespace uringsim {
class Context;
struct Request;
int io_msg_ring_prep(Context& ctx, Request& req);
int32_t io_msg_ring(Context& ctx, Request& req);
}  // namespace uringsim
