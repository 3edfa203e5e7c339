// Timeouts: TIMEOUT (relative, absolute, count-based, multishot), TIMEOUT_REMOVE and
// timeout update, LINK_TIMEOUT (io_uring/timeout.c). Time is the model clock
// (Kernel::now_ns), which the host moves; nothing here reads a real clock.
#pragma once
#include <cstdint>
namespace uringsim {
class Context;
struct Request;
int io_timeout_prep(Context& ctx, Request& req);
int32_t io_timeout(Context& ctx, Request& req);
int io_timeout_remove_prep(Context& ctx, Request& req);
int32_t io_timeout_remove(Context& ctx, Request& req);
int io_link_timeout_prep(Context& ctx, Request& req);
int32_t io_link_timeout(Context& ctx, Request& req);
// The guarded request is starting: start the LINK_TIMEOUT's timer.
void arm_link_timeout(Context& ctx, Request& lt);
// A TIMEOUT or LINK_TIMEOUT's timer expired (Context::progress).
void timer_fired(Context& ctx, Request& req);
}  // namespace uringsim
