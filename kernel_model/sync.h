// FSYNC (IORING_FSYNC_DATASYNC) (io_uring/sync.c).
#pragma once
#include <cstdint>
namespace uringsim {
class Context;
struct Request;
int io_fsync_prep(Context& ctx, Request& req);
int32_t io_fsync(Context& ctx, Request& req);
}  // namespace uringsim
