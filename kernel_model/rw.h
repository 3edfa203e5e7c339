// Reads and writes: READV, WRITEV, READ, WRITE, READ_FIXED, WRITE_FIXED,
// READV_FIXED, WRITEV_FIXED, READ_MULTISHOT (io_uring/rw.c).
#pragma once
#include <cstdint>
namespace uringsim {
class Context;
struct Request;
int io_prep_readv(Context& ctx, Request& req);
int io_prep_writev(Context& ctx, Request& req);
int io_prep_read(Context& ctx, Request& req);
int io_prep_write(Context& ctx, Request& req);
int io_prep_read_fixed(Context& ctx, Request& req);
int io_prep_write_fixed(Context& ctx, Request& req);
int io_prep_readv_fixed(Context& ctx, Request& req);
int io_prep_writev_fixed(Context& ctx, Request& req);
int io_read_mshot_prep(Context& ctx, Request& req);
int32_t io_read(Context& ctx, Request& req);
int32_t io_read_mshot(Context& ctx, Request& req);
int32_t io_write(Context& ctx, Request& req);
}  // namespace uringsim
