// The registered eventfd: registration and when it is signalled (io_uring/eventfd.c).
#include "kernel_model/eventfd.h"

#include <cerrno>
#include <cstring>

#include "kernel_model/context.h"

namespace uringsim {

namespace {

// The CQ flags word the application writes (cq_off.flags).
uint32_t cq_flags(const Context& ctx) {
  const Ring& ring = ctx.ring();
  uint32_t v;
  std::memcpy(&v, ring.memory().cq_ring + ring.layout().cq_off.flags, sizeof v);
  return v;
}

}  // namespace

void IoEventfd::signal(Context& ctx, bool cqe_event, bool from_iowq) {
  if (!file_) return;
  // The application muted it: nothing, not even the tail bookkeeping.
  if (cq_flags(ctx) & IORING_CQ_EVENTFD_DISABLED) return;
  // EVENTFD_ASYNC: only completions posted from an io-wq worker count.
  if (async_ && !from_iowq) return;
  if (cqe_event) {
    const uint32_t tail = ctx.ring().cq_tail();
    const bool skip = tail == last_cq_tail_;
    last_cq_tail_ = tail;
    if (skip) return;
  }
  // eventfd_signal(ctx, 1): the counter goes up by one.
  const uint64_t one = 1;
  file_->write(&one, sizeof one, -1);
  ++signals_;
}

void Context::commit_cqring(bool from_iowq) {
  if (eventfd_.registered()) eventfd_.signal(*this, /*cqe_event=*/true, from_iowq);
}

int64_t register_eventfd(Context& ctx, uint64_t arg, uint32_t nr_args, bool async) {
  const char* name = async ? "REGISTER_EVENTFD_ASYNC" : "REGISTER_EVENTFD";
  if (nr_args != 1) {
    return ctx.reject(make_fault(EINVAL, "%s: nr_args is %u; it must be 1 (one s32 fd) -> EINVAL", name, nr_args));
  }
  if (ctx.eventfd().registered()) {
    return ctx.reject(make_fault(EBUSY, "%s: this ring already has an eventfd; unregister it first -> EBUSY", name));
  }
  int32_t fd;
  if (!ctx.memory().read(arg, &fd, sizeof fd)) {
    return ctx.reject(make_fault(EFAULT, "%s: cannot read the fd at 0x%llx -> EFAULT", name,
                                (unsigned long long)arg));
  }
  std::shared_ptr<File> file = ctx.files().get(fd);
  if (!file) return ctx.reject(make_fault(EBADF, "%s: fd %d is not open -> EBADF", name, fd));
  if (file->kind() != FileKind::kEventfd) {
    return ctx.reject(make_fault(EINVAL, "%s: fd %d is not an eventfd (eventfd_ctx_fileget refuses it) -> EINVAL",
                                name, fd));
  }
  // Linux remembers the CQ tail now: CQEs posted before registration never signal.
  ctx.eventfd().set(std::move(file), async, ctx.ring().cq_tail());
  return 0;
}

int64_t unregister_eventfd(Context& ctx, uint64_t arg, uint32_t nr_args) {
  if (arg != 0 || nr_args != 0) {
    return ctx.reject(make_fault(EINVAL, "UNREGISTER_EVENTFD: arg (0x%llx) and nr_args (%u) must both be 0 -> EINVAL",
                                (unsigned long long)arg, nr_args));
  }
  if (!ctx.eventfd().registered()) {
    return ctx.reject(make_fault(ENXIO, "UNREGISTER_EVENTFD: this ring has no eventfd registered -> ENXIO"));
  }
  ctx.eventfd().clear();
  return 0;
}

}  // namespace uringsim
