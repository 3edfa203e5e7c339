// Reads and writes: READV, WRITEV, READ, WRITE, READ_FIXED, WRITE_FIXED (io_uring/rw.c).
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
int32_t io_read(Context& ctx, Request& req);
int32_t io_write(Context& ctx, Request& req);
}  // namespace uringsim
