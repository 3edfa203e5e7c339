#include "kernel_model/cancel.h"

#include <cerrno>

#include "kernel_model/context.h"
#include "kernel_model/opdef.h"

namespace uringsim {

namespace {
constexpr uint32_t kCancelFlags = IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_FD |
                                  IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_FD_FIXED |
                                  IORING_ASYNC_CANCEL_USERDATA | IORING_ASYNC_CANCEL_OP;
}  // namespace

int io_async_cancel_prep(Context& ctx, Request& req) {
  (void)ctx;
  const io_uring_sqe& sqe = req.sqe;
  if (req.flags & IOSQE_BUFFER_SELECT)
    return req.fail(make_fault(EINVAL, "ASYNC_CANCEL: IOSQE_BUFFER_SELECT makes no sense here"));
  if (sqe.off != 0 || sqe.splice_fd_in != 0)
    return req.fail(make_fault(EINVAL, "ASYNC_CANCEL: off and splice_fd_in must be 0"));
  req.addr = sqe.addr;
  req.op_flags = sqe.cancel_flags;
  if (req.op_flags & ~kCancelFlags)
    return req.fail(make_fault(EINVAL, "ASYNC_CANCEL: cancel_flags 0x%x has unknown bits", req.op_flags));
  if ((req.op_flags & IORING_ASYNC_CANCEL_FD) && (req.op_flags & IORING_ASYNC_CANCEL_ANY))
    return req.fail(make_fault(EINVAL, "ASYNC_CANCEL: CANCEL_FD and CANCEL_ANY are exclusive"));
  if ((req.op_flags & IORING_ASYNC_CANCEL_OP) && (req.op_flags & IORING_ASYNC_CANCEL_ANY))
    return req.fail(make_fault(EINVAL, "ASYNC_CANCEL: CANCEL_OP and CANCEL_ANY are exclusive"));
  req.len = sqe.len;  // the opcode with CANCEL_OP
  return 0;
}

int32_t cancel_parked_matching(Context& ctx, const CancelData& cd, int32_t self) {
  const uint32_t flags = cd.flags;
  const bool all = flags & (IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_ANY);
  // io_cancel_req_match: user_data is compared when asked to, or when neither the fd
  // nor the opcode is matched.
  const bool match_user_data = (flags & IORING_ASYNC_CANCEL_USERDATA) ||
                               !(flags & (IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_OP));
  auto matches = [&](const Request& r) {
    if (r.self == self || r.opcode == IORING_OP_LINK_TIMEOUT) return false;
    if (flags & IORING_ASYNC_CANCEL_ANY) return true;
    if ((flags & IORING_ASYNC_CANCEL_FD) && r.file != cd.file) return false;
    if ((flags & IORING_ASYNC_CANCEL_OP) && r.opcode != cd.opcode) return false;
    if (match_user_data && r.user_data != cd.data) return false;
    return true;
  };
  std::vector<int32_t> victims;
  ctx.for_each_parked([&](Request& r) {
    if (matches(r) && (all || victims.empty())) victims.push_back(r.self);
  });
  for (int32_t i : victims) {
    Request& r = ctx.request(i);
    if (r.opcode == IORING_OP_TIMEOUT) ctx.count_fired_timeout();
    ctx.cancel_parked(r, "cancelled by ASYNC_CANCEL");
  }
  if (all) return static_cast<int32_t>(victims.size());
  return victims.empty() ? -ENOENT : 0;
}

int32_t io_async_cancel(Context& ctx, Request& req) {
  CancelData cd;
  cd.data = req.addr;
  cd.flags = req.op_flags;
  cd.opcode = static_cast<uint8_t>(req.len);
  if (cd.flags & IORING_ASYNC_CANCEL_FD) {
    const int fd = req.sqe.fd;
    if (cd.flags & IORING_ASYNC_CANCEL_FD_FIXED) {
      const auto* f = ctx.fixed_files().find(static_cast<uint32_t>(fd));
      if (f != nullptr) cd.file = *f;
    } else {
      cd.file = ctx.files().get(fd);
    }
    if (!cd.file) return req.fail(make_fault(EBADF, "ASYNC_CANCEL: fd %d is not open", fd));
  }
  const int32_t ret = cancel_parked_matching(ctx, cd, req.self);
  if (ret == -ENOENT)
    return req.fail(make_fault(ENOENT, "ASYNC_CANCEL: no pending request with user_data 0x%llx "
                               "(it completed already, or never existed)", (unsigned long long)req.addr));
  return ret;
}

}  // namespace uringsim
