// IORING_REGISTER_SYNC_CANCEL (io_uring/cancel.c).
#include "kernel_model/sync_cancel.h"

#include <cerrno>

#include "kernel_model/cancel.h"
#include "kernel_model/context.h"

namespace uringsim {

namespace {

constexpr uint32_t kCancelFlags = IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ANY |
                                  IORING_ASYNC_CANCEL_FD_FIXED | IORING_ASYNC_CANCEL_USERDATA |
                                  IORING_ASYNC_CANCEL_OP;

}  // namespace

int64_t register_sync_cancel(Context& ctx, uint64_t arg, uint32_t nr_args) {
  if (arg == 0 || nr_args != 1) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_SYNC_CANCEL: arg is %s and nr_args %u; it takes one "
                                "io_uring_sync_cancel_reg -> EINVAL", arg == 0 ? "NULL" : "set", nr_args));
  }
  io_uring_sync_cancel_reg sc;
  if (!ctx.memory().read(arg, &sc, sizeof sc)) {
    return ctx.reject(make_fault(EFAULT, "REGISTER_SYNC_CANCEL: cannot read io_uring_sync_cancel_reg at 0x%llx -> EFAULT",
                                (unsigned long long)arg));
  }
  if (sc.flags & ~kCancelFlags) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_SYNC_CANCEL: flags 0x%x has unknown bits -> EINVAL", sc.flags));
  }
  for (uint8_t b : sc.pad) {
    if (b != 0) return ctx.reject(make_fault(EINVAL, "REGISTER_SYNC_CANCEL: pad[] must be zero -> EINVAL"));
  }
  for (uint64_t w : sc.pad2) {
    if (w != 0) return ctx.reject(make_fault(EINVAL, "REGISTER_SYNC_CANCEL: pad2[] must be zero -> EINVAL"));
  }
  // Unlike the SQE form, FD with ANY is not refused here: ANY simply wins.
  CancelData cd;
  cd.data = sc.addr;
  cd.flags = sc.flags;
  cd.opcode = sc.opcode;
  if (sc.flags & IORING_ASYNC_CANCEL_FD) {
    if (sc.flags & IORING_ASYNC_CANCEL_FD_FIXED) {
      const auto* f = ctx.fixed_files().find(static_cast<uint32_t>(sc.fd));
      if (f == nullptr) {
        return ctx.reject(make_fault(EBADF, "REGISTER_SYNC_CANCEL: fixed file slot %d is empty or out of range -> EBADF",
                                    sc.fd));
      }
      cd.file = *f;
    } else {
      cd.file = ctx.files().get(sc.fd);
      if (!cd.file) return ctx.reject(make_fault(EBADF, "REGISTER_SYNC_CANCEL: fd %d is not open -> EBADF", sc.fd));
    }
  }
  const int32_t ret = cancel_parked_matching(ctx, cd, -1);
  // The -ECANCELED completions are posted before the call returns to user space.
  ctx.flush_task_work();
  if (ret == -ENOENT) {
    return ctx.reject(make_fault(ENOENT, "REGISTER_SYNC_CANCEL: no pending request matches (user_data 0x%llx, flags 0x%x) -> ENOENT",
                                (unsigned long long)sc.addr, sc.flags));
  }
  return ret;
}

}  // namespace uringsim
