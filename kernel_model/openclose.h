// OPENAT, OPENAT2, CLOSE (incl. direct descriptors in the fixed file table) and STATX
// (io_uring/openclose.c, statx.c). The checks Linux makes before it walks a path are
// the model's -- open_how and statx flags, and where the lookup starts (dirfd open, a
// directory) -- so their errnos never depend on the host. The file system work is the
// host's: Files::open_at, install, close_fd, statx act in the client's name.
#pragma once
#include <cstdint>
namespace uringsim {
class Context;
struct Request;
int io_openat_prep(Context& ctx, Request& req);
int io_openat2_prep(Context& ctx, Request& req);
int32_t io_openat(Context& ctx, Request& req);
int io_close_prep(Context& ctx, Request& req);
int32_t io_close(Context& ctx, Request& req);
int io_statx_prep(Context& ctx, Request& req);
int32_t io_statx(Context& ctx, Request& req);
}  // namespace uringsim
