// IORING_OP_NOP and its 6.18 test knobs (io_uring/nop.c).
#include "kernel_model/nop.h"

#include <cerrno>

#include "kernel_model/context.h"

namespace uringsim {

int io_nop_prep(Context& ctx, Request& req) {
  // nop_flags shares the per-op flags word at offset 28 (rw_flags).
  const uint32_t valid = ctx.profile().nop_flags;
  if (valid == 0) return 0;  // kernels before the NOP test knobs ignored the word
  uint32_t flags = req.sqe.nop_flags;
  if (flags & ~valid)
    return req.fail(make_fault(EINVAL, "NOP: nop_flags 0x%x has bits Linux %s does not define (valid: 0x%x)",
                               flags, ctx.profile().name.data(), valid));
  req.op_flags = flags;
  req.res = (flags & IORING_NOP_INJECT_RESULT) ? static_cast<int32_t>(req.sqe.len) : 0;
  if (flags & IORING_NOP_FIXED_BUFFER) req.buf_index = req.sqe.buf_index;
  if (flags & IORING_NOP_CQE32) {
    if (!(ctx.setup_flags() & (IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED)))
      return req.fail(make_fault(EINVAL, "NOP: IORING_NOP_CQE32 needs a ring set up with CQE32 or CQE_MIXED"));
    req.big_cqe[0] = req.sqe.off;
    req.big_cqe[1] = req.sqe.addr;
  }
  return 0;
}

int32_t io_nop(Context& ctx, Request& req) {
  const uint32_t flags = req.op_flags;
  const int32_t result = req.res;
  // A failed file or buffer lookup replaces the injected result (checked on 6.18).
  if (flags & IORING_NOP_FILE) {
    int fd = req.sqe.fd;
    bool found;
    if (flags & IORING_NOP_FIXED_FILE) {
      found = fd >= 0 && ctx.fixed_files().find(static_cast<uint32_t>(fd)) != nullptr;
    } else {
      found = ctx.files().get(fd) != nullptr;
    }
    if (!found) {
      return req.fail(make_fault(EBADF, "NOP: IORING_NOP_FILE: %sfd %d is not open",
                                 (flags & IORING_NOP_FIXED_FILE) ? "fixed " : "", fd));
    }
  }
  if (flags & IORING_NOP_FIXED_BUFFER) {
    const auto* node = ctx.buffers().find(req.buf_index);
    if (node == nullptr) {
      return req.fail(make_fault(EFAULT, "NOP: IORING_NOP_FIXED_BUFFER: buf_index %u is not a registered buffer (table has %u slots)",
                                 req.buf_index, ctx.buffers().size()));
    }
    req.buf = *node;
  }
  if (result < 0) req.failed = true;
  if (flags & IORING_NOP_TW) req.complete_in_task_work = true;
  return result;
}

}  // namespace uringsim
