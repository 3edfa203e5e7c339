#include "kernel_model/msg_ring.h"

#include <cerrno>

#include "kernel_model/context.h"
#include "kernel_model/filetable.h"
#include "kernel_model/kernel.h"

namespace uringsim {

namespace {
constexpr uint32_t kMsgRingMask = IORING_MSG_RING_CQE_SKIP | IORING_MSG_RING_FLAGS_PASS;
}  // namespace

int io_msg_ring_prep(Context& ctx, Request& req) {
  (void)ctx;
  const io_uring_sqe& sqe = req.sqe;
  if (sqe.buf_index != 0 || sqe.personality != 0)
    return req.fail(make_fault(EINVAL, "MSG_RING: buf_index and personality must be 0"));
  req.op_flags = sqe.msg_ring_flags;
  if (req.op_flags & ~kMsgRingMask)
    return req.fail(make_fault(EINVAL, "MSG_RING: msg_ring_flags 0x%x has unknown bits", req.op_flags));
  return 0;
}

int32_t io_msg_ring(Context& ctx, Request& req) {
  const io_uring_sqe& sqe = req.sqe;
  const uint64_t user_data = sqe.off;
  const uint32_t len = sqe.len;
  // struct io_msg keeps the command and the source index as u32: the upper halves of
  // addr and addr3 are ignored.
  const uint32_t cmd = static_cast<uint32_t>(sqe.addr);
  const uint32_t src_fd = static_cast<uint32_t>(sqe.addr3);
  const uint32_t dst_fd = sqe.file_index;
  const uint32_t flags = req.op_flags;

  Context* target = req.file->kind() == FileKind::kRing ? ctx.kernel().context(req.file->ring()) : nullptr;
  if (target == nullptr)
    return req.fail(make_fault(EBADFD, "MSG_RING: fd %d is not an io_uring instance", sqe.fd));
  // Each command checks its own fields before it looks at whether the target is
  // enabled (io_msg_ring_data, io_msg_send_fd): a bad command on a disabled ring is
  // -EINVAL, not -EBADFD.

  switch (cmd) {
    case IORING_MSG_DATA: {
      if (src_fd != 0 || (flags & ~IORING_MSG_RING_FLAGS_PASS))
        return req.fail(make_fault(EINVAL, "MSG_RING (data): addr3 must be 0 and CQE_SKIP does not apply to data"));
      if (!(flags & IORING_MSG_RING_FLAGS_PASS) && dst_fd != 0)
        return req.fail(make_fault(EINVAL, "MSG_RING (data): file_index set without IORING_MSG_RING_FLAGS_PASS"));
      if (target->disabled())
        return req.fail(make_fault(EBADFD, "MSG_RING (data): the target ring is still disabled (IORING_SETUP_R_DISABLED)"));
      target->post_aux_cqe(user_data, static_cast<int32_t>(len),
                           (flags & IORING_MSG_RING_FLAGS_PASS) ? dst_fd : 0);
      return 0;
    }
    case IORING_MSG_SEND_FD: {
      if (len != 0) return req.fail(make_fault(EINVAL, "MSG_RING (send fd): len must be 0"));
      if (target == &ctx) return req.fail(make_fault(EINVAL, "MSG_RING (send fd): cannot send a file to the same ring"));
      if (target->disabled())
        return req.fail(make_fault(EBADFD, "MSG_RING (send fd): the target ring is still disabled (IORING_SETUP_R_DISABLED)"));
      const auto* src = ctx.fixed_files().find(src_fd);
      if (src == nullptr)
        return req.fail(make_fault(EBADF, "MSG_RING (send fd): addr3 %u is not a registered file of this ring", src_fd));
      FileTable& table = target->fixed_files();
      if (!table.exists())
        return req.fail(make_fault(ENXIO, "MSG_RING (send fd): the target ring has no registered file table"));
      uint32_t slot;
      if (dst_fd == IORING_FILE_INDEX_ALLOC) {
        const int32_t got = file_alloc_slot(*target);
        if (got < 0) return req.fail(make_fault(-got, "MSG_RING (send fd): no free slot in the target's file table"));
        slot = static_cast<uint32_t>(got);
      } else {
        // file_index is 1-based here (0 would be "no slot").
        if (dst_fd == 0 || dst_fd - 1 >= table.size())
          return req.fail(make_fault(EINVAL, "MSG_RING (send fd): file_index %u is outside the target's %u-slot table",
                                     dst_fd, table.size()));
        slot = dst_fd - 1;
      }
      table.slots()[slot] = *src;
      const int32_t ret = dst_fd == IORING_FILE_INDEX_ALLOC ? static_cast<int32_t>(slot) : 0;
      if (!(flags & IORING_MSG_RING_CQE_SKIP)) target->post_aux_cqe(user_data, ret, 0);
      return ret;
    }
    default:
      return req.fail(make_fault(EINVAL, "MSG_RING: addr (command, its low 32 bits) %u is neither IORING_MSG_DATA nor IORING_MSG_SEND_FD",
                                 cmd));
  }
}

}  // namespace uringsim
