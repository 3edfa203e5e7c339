// R_DISABLED rings, ENABLE_RINGS and restrictions (io_uring/register.c, io_uring.c).
#include "kernel_model/restriction.h"

#include <cerrno>

#include "kernel_model/context.h"
#include "kernel_model/opdef.h"
#include "kernel_model/ring_fds.h"

namespace uringsim {

namespace {

constexpr uint32_t kRestrictionLast = IORING_RESTRICTION_LAST;

}  // namespace

int64_t register_restrictions(Context& ctx, uint64_t arg, uint32_t nr) {
  if (!ctx.disabled()) {
    return ctx.reject(make_fault(EBADFD, "REGISTER_RESTRICTIONS: the ring is not disabled; restrictions can only be "
                                "registered on a ring set up with IORING_SETUP_R_DISABLED, before ENABLE_RINGS -> EBADFD"));
  }
  if (ctx.restrictions().registered) {
    return ctx.reject(make_fault(EBUSY, "REGISTER_RESTRICTIONS: restrictions were already registered on this ring "
                                "(only one registration is allowed) -> EBUSY"));
  }
  // IORING_MAX_RESTRICTIONS: one entry per restriction kind, register op and SQE op.
  const uint32_t max = kRestrictionLast + ctx.profile().register_op_last + ctx.profile().op_last;
  if (arg == 0 || nr > max) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_RESTRICTIONS: arg is %s and nr_args is %u (at most %u) -> EINVAL",
                                arg == 0 ? "NULL" : "set", nr, max));
  }
  // Parsed into a fresh set; kept only if every entry is good (Linux zeroes it on error).
  Restrictions r;
  for (uint32_t i = 0; i < nr; ++i) {
    io_uring_restriction e;
    if (!ctx.memory().read(arg + uint64_t{i} * sizeof e, &e, sizeof e)) {
      return ctx.reject(make_fault(EFAULT, "REGISTER_RESTRICTIONS: cannot read entry %u of the array at 0x%llx -> EFAULT",
                                  i, (unsigned long long)arg));
    }
    switch (e.opcode) {
      case IORING_RESTRICTION_REGISTER_OP:
        if (e.register_op >= ctx.profile().register_op_last) {
          return ctx.reject(make_fault(EINVAL, "REGISTER_RESTRICTIONS: entry %u allows register opcode %u, which is "
                                      ">= IORING_REGISTER_LAST (%u) -> EINVAL",
                                      i, e.register_op, ctx.profile().register_op_last));
        }
        r.register_op.set(e.register_op);
        break;
      case IORING_RESTRICTION_SQE_OP:
        if (e.sqe_op >= ctx.profile().op_last) {
          return ctx.reject(make_fault(EINVAL, "REGISTER_RESTRICTIONS: entry %u allows SQE opcode %u, which is "
                                      ">= IORING_OP_LAST (%u) -> EINVAL",
                                      i, e.sqe_op, ctx.profile().op_last));
        }
        r.sqe_op.set(e.sqe_op);
        break;
      case IORING_RESTRICTION_SQE_FLAGS_ALLOWED:
        r.sqe_flags_allowed = e.sqe_flags;  // the last entry of a kind wins
        break;
      case IORING_RESTRICTION_SQE_FLAGS_REQUIRED:
        r.sqe_flags_required = e.sqe_flags;
        break;
      default:
        return ctx.reject(make_fault(EINVAL, "REGISTER_RESTRICTIONS: entry %u has restriction opcode %u (known: 0..%u) -> EINVAL",
                                    i, e.opcode, kRestrictionLast - 1));
    }
  }
  // Even an empty array registers: the ring will then allow nothing at all.
  r.registered = true;
  ctx.restrictions() = r;
  return 0;
}

int64_t register_enable_rings(Context& ctx, uint64_t arg, uint32_t nr_args) {
  if (arg != 0 || nr_args != 0) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_ENABLE_RINGS: arg (0x%llx) and nr_args (%u) must both be 0 -> EINVAL",
                                (unsigned long long)arg, nr_args));
  }
  if (!ctx.disabled()) {
    return ctx.reject(make_fault(EBADFD, "REGISTER_ENABLE_RINGS: the ring is already enabled (or was never set up "
                                "with IORING_SETUP_R_DISABLED) -> EBADFD"));
  }
  // A SINGLE_ISSUER ring created disabled gets its submitter now: whoever enables it.
  if ((ctx.setup_flags() & IORING_SETUP_SINGLE_ISSUER) && ctx.submitter_tid() == 0) {
    ctx.set_submitter_tid(task_id(ctx.caller().creds));
  }
  ctx.enable();
  return 0;
}

Check check_register_allowed(Context& ctx, uint32_t opcode) {
  const int32_t tid = task_id(ctx.caller().creds);
  if (ctx.submitter_tid() != 0 && ctx.submitter_tid() != tid) {
    return make_fault(EEXIST, "io_uring_register: SINGLE_ISSUER ring used by task %d; its submitter is task %d -> EEXIST",
                      tid, ctx.submitter_tid());
  }
  if (ctx.restricted() && (opcode >= ctx.restrictions().register_op.size() || !ctx.restrictions().register_op.test(opcode))) {
    return make_fault(EACCES, "io_uring_register: register opcode %u is not allowed by this ring's restrictions -> EACCES",
                      opcode);
  }
  return std::nullopt;
}

Check check_sqe_restriction(const Context& ctx, const Request& req) {
  const Restrictions& r = ctx.restrictions();
  const char* name = op_name(req.opcode);
  if (!r.sqe_op.test(req.opcode)) {
    return make_fault(EACCES, "%s: opcode %u is not allowed by this ring's restrictions -> EACCES", name, req.opcode);
  }
  if ((req.flags & r.sqe_flags_required) != r.sqe_flags_required) {
    return make_fault(EACCES, "%s: sqe->flags 0x%02x lacks flags the restrictions require (0x%02x) -> EACCES", name,
                      req.flags, r.sqe_flags_required);
  }
  if (req.flags & ~(r.sqe_flags_allowed | r.sqe_flags_required)) {
    return make_fault(EACCES, "%s: sqe->flags 0x%02x has flags the restrictions do not allow (allowed 0x%02x, "
                      "required 0x%02x) -> EACCES", name, req.flags, r.sqe_flags_allowed, r.sqe_flags_required);
  }
  return std::nullopt;
}

}  // namespace uringsim
