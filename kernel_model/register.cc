// io_uring_register dispatch on one ring (io_uring/register.c, __io_uring_register).
//
// Kernel::do_register has already done the syscall's common part (opcode range, the
// fd, the registered-ring bit); here each opcode's own argument checks run, in the
// order of Linux's switch, before the operation itself.
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "kernel_model/context.h"
#include "kernel_model/eventfd.h"
#include "kernel_model/filetable.h"
#include "kernel_model/kbuf.h"
#include "kernel_model/mem_region.h"
#include "kernel_model/opdef.h"
#include "kernel_model/restriction.h"
#include "kernel_model/ring_fds.h"
#include "kernel_model/register.h"
#include "kernel_model/resize.h"
#include "kernel_model/rsrc.h"
#include "kernel_model/sync_cancel.h"

namespace uringsim {

namespace {

// Names of every register opcode up to 6.18's IORING_REGISTER_LAST, for reasons.
constexpr const char* kRegisterNames[] = {
    "REGISTER_BUFFERS",       "UNREGISTER_BUFFERS",    "REGISTER_FILES",
    "UNREGISTER_FILES",       "REGISTER_EVENTFD",      "UNREGISTER_EVENTFD",
    "REGISTER_FILES_UPDATE",  "REGISTER_EVENTFD_ASYNC", "REGISTER_PROBE",
    "REGISTER_PERSONALITY",   "UNREGISTER_PERSONALITY", "REGISTER_RESTRICTIONS",
    "REGISTER_ENABLE_RINGS",  "REGISTER_FILES2",       "REGISTER_FILES_UPDATE2",
    "REGISTER_BUFFERS2",      "REGISTER_BUFFERS_UPDATE", "REGISTER_IOWQ_AFF",
    "UNREGISTER_IOWQ_AFF",    "REGISTER_IOWQ_MAX_WORKERS", "REGISTER_RING_FDS",
    "UNREGISTER_RING_FDS",    "REGISTER_PBUF_RING",    "UNREGISTER_PBUF_RING",
    "REGISTER_SYNC_CANCEL",   "REGISTER_FILE_ALLOC_RANGE", "REGISTER_PBUF_STATUS",
    "REGISTER_NAPI",          "UNREGISTER_NAPI",       "REGISTER_CLOCK",
    "REGISTER_CLONE_BUFFERS", "REGISTER_SEND_MSG_RING", "REGISTER_ZCRX_IFQ",
    "REGISTER_RESIZE_RINGS",  "REGISTER_MEM_REGION",   "REGISTER_QUERY",
};
static_assert(sizeof(kRegisterNames) / sizeof(kRegisterNames[0]) == IORING_REGISTER_LAST);

const char* register_name(uint32_t opcode) {
  const char* name = register_op_name(opcode);
  return name != nullptr ? name : "REGISTER_?";
}

constexpr uint32_t kProbeMaxArgs = 256;

// IORING_REGISTER_PROBE (io_probe): the first 16 + 8 * min(nr, OP_LAST) bytes must be
// zero; the kernel fills last_op, ops_len and one io_uring_probe_op per opcode.
int64_t probe(Context& ctx, uint64_t arg, uint32_t nr_args) {
  const Profile& p = ctx.profile();
  const uint32_t n = std::min<uint32_t>(nr_args, p.op_last);
  const size_t size = sizeof(io_uring_probe) + size_t{n} * sizeof(io_uring_probe_op);
  // At most 16 + 8 * 256 bytes.
  alignas(io_uring_probe) std::byte buf[sizeof(io_uring_probe) + kProbeMaxArgs * sizeof(io_uring_probe_op)];
  if (!ctx.memory().read(arg, buf, size)) {
    return ctx.reject(make_fault(EFAULT, "REGISTER_PROBE: cannot read the %zu-byte probe at 0x%llx -> EFAULT", size,
                                (unsigned long long)arg));
  }
  for (size_t i = 0; i < size; ++i) {
    if (buf[i] != std::byte{0}) {
      return ctx.reject(make_fault(EINVAL,
                                  "REGISTER_PROBE: byte %zu of the probe is 0x%02x; the header and the %u "
                                  "ops entries must be zeroed -> EINVAL",
                                  i, static_cast<unsigned>(buf[i]), n));
    }
  }
  auto* probe = reinterpret_cast<io_uring_probe*>(buf);
  probe->last_op = static_cast<uint8_t>(p.op_last - 1);
  probe->ops_len = static_cast<uint8_t>(n);
  for (uint32_t i = 0; i < n; ++i) {
    probe->ops[i].op = static_cast<uint8_t>(i);
    // Linux marks what is compiled in; the model marks what it simulates too, so a
    // program that probes before use never reaches an op the model would refuse.
    if (opdef(static_cast<uint8_t>(i)).prep != nullptr) probe->ops[i].flags = IO_URING_OP_SUPPORTED;
  }
  if (!ctx.memory().write(arg, buf, size)) {
    return ctx.reject(make_fault(EFAULT, "REGISTER_PROBE: cannot write the probe back to 0x%llx -> EFAULT",
                                (unsigned long long)arg));
  }
  return 0;
}

}  // namespace

const char* register_op_name(uint32_t opcode) {
  return opcode < IORING_REGISTER_LAST ? kRegisterNames[opcode] : nullptr;
}

int64_t Context::do_register(const Caller& caller, uint32_t opcode, uint64_t arg, uint32_t nr_args) {
  CallerScope scope(*this, caller);
  const char* name = register_name(opcode);

  if (opcode >= profile_.register_op_last) {
    // Kernel::do_register refuses these first; kept so the dispatch stands alone.
    return reject(make_fault(EINVAL, "IORING_%s (%u) does not exist on Linux %s -> EINVAL", name, opcode,
                                  profile_.name.data()));
  }

  // SINGLE_ISSUER owner (-EEXIST), then restrictions (-EACCES), before any opcode.
  if (Check c = check_register_allowed(*this, opcode)) return reject(std::move(*c));

  switch (opcode) {
    case IORING_REGISTER_BUFFERS:
      return register_buffers(*this, arg, nr_args);
    case IORING_UNREGISTER_BUFFERS:
      if (arg != 0 || nr_args != 0) {
        return reject(make_fault(EINVAL, "UNREGISTER_BUFFERS: arg (0x%llx) and nr_args (%u) must both be 0 -> EINVAL",
                                      (unsigned long long)arg, nr_args));
      }
      return unregister_buffers(*this);
    case IORING_REGISTER_BUFFERS2:
      return register_buffers2(*this, arg, nr_args);
    case IORING_REGISTER_BUFFERS_UPDATE:
      return update_buffers(*this, arg, nr_args);
    case IORING_REGISTER_CLONE_BUFFERS:
      if (profile_.clone == CloneRule::kNone) break;
      if (arg == 0 || nr_args != 1) {
        return reject(make_fault(EINVAL, "CLONE_BUFFERS: arg is %s and nr_args is %u; it takes one struct "
                                      "io_uring_clone_buffers -> EINVAL", arg == 0 ? "NULL" : "set", nr_args));
      }
      return clone_buffers(*this, arg);
    case IORING_REGISTER_FILES:
      return register_files(*this, arg, nr_args);
    case IORING_UNREGISTER_FILES:
      if (arg != 0 || nr_args != 0) {
        return reject(make_fault(EINVAL, "UNREGISTER_FILES: arg (0x%llx) and nr_args (%u) must both be 0 -> EINVAL",
                                      (unsigned long long)arg, nr_args));
      }
      return unregister_files(*this);
    case IORING_REGISTER_PROBE:
      if (!profile_.has_probe) break;  // not in this kernel's switch: default -> EINVAL
      if (arg == 0 || nr_args > kProbeMaxArgs) {
        return reject(make_fault(EINVAL, "REGISTER_PROBE: arg is %s and nr_args is %u (at most %u) -> EINVAL",
                                      arg == 0 ? "NULL" : "set", nr_args, kProbeMaxArgs));
      }
      return probe(*this, arg, nr_args);
    case IORING_REGISTER_PBUF_RING:
      return register_pbuf_ring(*this, arg, nr_args);
    case IORING_UNREGISTER_PBUF_RING:
      return unregister_pbuf_ring(*this, arg, nr_args);
    case IORING_REGISTER_PBUF_STATUS:
      return register_pbuf_status(*this, arg, nr_args);
    case IORING_REGISTER_FILES_UPDATE:
      return register_files_update(*this, arg, nr_args);
    case IORING_REGISTER_EVENTFD:
      return register_eventfd(*this, arg, nr_args, /*async=*/false);
    case IORING_REGISTER_EVENTFD_ASYNC:
      return register_eventfd(*this, arg, nr_args, /*async=*/true);
    case IORING_UNREGISTER_EVENTFD:
      return unregister_eventfd(*this, arg, nr_args);
    case IORING_REGISTER_RESTRICTIONS:
      return register_restrictions(*this, arg, nr_args);
    case IORING_REGISTER_ENABLE_RINGS:
      return register_enable_rings(*this, arg, nr_args);
    case IORING_REGISTER_FILES2:
      return register_files2(*this, arg, nr_args);
    case IORING_REGISTER_FILES_UPDATE2:
      return register_files_update2(*this, arg, nr_args);
    case IORING_REGISTER_RING_FDS:
      return register_ring_fds(*this, arg, nr_args);
    case IORING_UNREGISTER_RING_FDS:
      return unregister_ring_fds(*this, arg, nr_args);
    case IORING_REGISTER_SYNC_CANCEL:
      return register_sync_cancel(*this, arg, nr_args);
    case IORING_REGISTER_FILE_ALLOC_RANGE:
      return register_file_alloc_range(*this, arg, nr_args);
    case IORING_UNREGISTER_IOWQ_AFF:
      // io_unregister_iowq_aff: the io-wq of the calling task goes back to every CPU
      // it may use. The task that set up a ring always has an io-wq (its tctx is made
      // when the ring fd is installed), so this cannot fail once the arguments are
      // right; the model has no io-wq whose mask would change.
      if (arg != 0 || nr_args != 0) {
        return reject(make_fault(EINVAL, "UNREGISTER_IOWQ_AFF: arg (0x%llx) and nr_args (%u) must both be 0 -> EINVAL",
                                 (unsigned long long)arg, nr_args));
      }
      // An SQPOLL ring's io-wq is its SQ thread's, which a disabled ring has not started.
      if ((setup_flags() & IORING_SETUP_SQPOLL) && disabled())
        return reject(make_fault(EINVAL, "UNREGISTER_IOWQ_AFF: the SQPOLL thread of this disabled ring is not running yet -> EINVAL"));
      return 0;
    case IORING_REGISTER_RESIZE_RINGS:
    case IORING_REGISTER_MEM_REGION:
      if (arg == 0 || nr_args != 1) {
        return reject(make_fault(EINVAL, "IORING_%s: arg is %s and nr_args is %u; it takes one struct -> EINVAL",
                                      name, arg == 0 ? "NULL" : "set", nr_args));
      }
      return opcode == IORING_REGISTER_RESIZE_RINGS ? register_resize_rings(*this, arg)
                                                    : register_mem_region(*this, arg);
    default:
      return reject(make_fault(EINVAL, "IORING_%s is not simulated yet -> EINVAL", name));
  }
  return reject(make_fault(EINVAL, "IORING_%s (%u) is not known to Linux %s -> EINVAL", name, opcode,
                                profile_.name.data()));
}

}  // namespace uringsim
