// POLL_ADD (one-shot and IORING_POLL_ADD_MULTI) and POLL_REMOVE / poll update on the
// client's real files (io_uring/poll.c). Readiness comes from File::poll; the host
// waits on the files (Kernel::for_each_wanted_fd) and calls Kernel::progress.
#pragma once
#include <cstdint>
namespace uringsim {
class Context;
struct Request;
int io_poll_add_prep(Context& ctx, Request& req);
int32_t io_poll_add(Context& ctx, Request& req);
int io_poll_remove_prep(Context& ctx, Request& req);
int32_t io_poll_remove(Context& ctx, Request& req);
}  // namespace uringsim
