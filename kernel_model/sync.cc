// IORING_OP_FSYNC (io_uring/sync.c).
#include "kernel_model/sync.h"

#include <cerrno>

#include "kernel_model/context.h"

namespace uringsim {

namespace {
// Versions at which a rule of this file changed (profile_version numbering).
constexpr uint32_t kSpliceFdCheckSince = 5007;  // splice_fd_in (byte 44) exists and must be 0
// "io_uring/sync: validate passed in offset" (Jan 2026, in the 6.18 stable series):
// a negative offset is -EINVAL, as for sync_file_range(2).
constexpr uint32_t kOffsetCheckSince = 6018;
}  // namespace

int io_fsync_prep(Context& ctx, Request& req) {
  const io_uring_sqe& sqe = req.sqe;
  const uint32_t version = profile_version(ctx.profile());
  // 5.1 checked ioprio here too; later kernels refuse it for every op without the
  // ioprio trait before prep (Context::init_request), with the same -EINVAL.
  if (sqe.addr != 0 || sqe.buf_index != 0 || (version >= kSpliceFdCheckSince && sqe.splice_fd_in != 0) ||
      sqe.ioprio != 0) {
    return req.fail(make_fault(EINVAL,
                               "FSYNC: addr (0x%llx), buf_index (%u)%s must be 0 -> EINVAL",
                               (unsigned long long)sqe.addr, sqe.buf_index,
                               version >= kSpliceFdCheckSince ? " and splice_fd_in" : ""));
  }
  const uint32_t flags = sqe.fsync_flags;
  if (flags & ~IORING_FSYNC_DATASYNC) {
    return req.fail(make_fault(EINVAL, "FSYNC: fsync_flags 0x%x; only IORING_FSYNC_DATASYNC (0x1) exists -> EINVAL",
                               flags));
  }
  req.off = static_cast<int64_t>(sqe.off);
  if (version >= kOffsetCheckSince && req.off < 0) {
    return req.fail(make_fault(EINVAL, "FSYNC: off %lld is negative -> EINVAL", static_cast<long long>(req.off)));
  }
  req.len = sqe.len;
  req.op_flags = flags;
  return 0;
}

int32_t io_fsync(Context& ctx, Request& req) {
  (void)ctx;
  // vfs_fsync_range(file, off, off + len > 0 ? off + len : LLONG_MAX, datasync): the
  // model's files sync whole; the range only matters to the filesystem's work.
  const bool datasync = (req.op_flags & IORING_FSYNC_DATASYNC) != 0;
  const int ret = req.file->sync(datasync);
  if (ret < 0) {
    return req.fail(make_fault(-ret, "FSYNC: %s on fd %d failed: %s", datasync ? "fdatasync" : "fsync", req.sqe.fd,
                               describe_result(ret).c_str()));
  }
  return ret;
}

}  // namespace uringsim
