// Ring restrictions and delayed enabling (io_uring/register.c: io_register_restrictions,
// io_register_enable_rings; io_uring.c: io_check_restriction).
//
// A ring created with IORING_SETUP_R_DISABLED accepts io_uring_register but refuses
// io_uring_enter with -EBADFD until IORING_REGISTER_ENABLE_RINGS. While it is disabled,
// IORING_REGISTER_RESTRICTIONS may record (once) which register opcodes, SQE opcodes and
// SQE flags the ring will accept; enabling the ring makes them binding: a refused
// register opcode is -EACCES from io_uring_register, a refused SQE is an -EACCES CQE.
#pragma once

#include <bitset>
#include <cstdint>

#include "kernel_model/fault.h"

namespace uringsim {

class Context;
struct Request;

// ctx->restrictions. All-zero (nothing allowed) until registered; binding only once the
// ring is enabled (Context::restricted()).
struct Restrictions {
  std::bitset<256> register_op;   // IORING_RESTRICTION_REGISTER_OP
  std::bitset<256> sqe_op;        // IORING_RESTRICTION_SQE_OP
  uint8_t sqe_flags_allowed = 0;  // IORING_RESTRICTION_SQE_FLAGS_ALLOWED
  uint8_t sqe_flags_required = 0; // IORING_RESTRICTION_SQE_FLAGS_REQUIRED
  bool registered = false;        // a RESTRICTIONS call succeeded (only one may)
};

// IORING_REGISTER_RESTRICTIONS: `arg` is a user array of `nr` io_uring_restriction.
// -EBADFD unless the ring is still disabled; -EBUSY when already registered; -EINVAL for
// a NULL arg, too many entries or a bad entry (then nothing is kept); -EFAULT.
int64_t register_restrictions(Context& ctx, uint64_t arg, uint32_t nr);

// IORING_REGISTER_ENABLE_RINGS: arg and nr_args must be 0 (-EINVAL); -EBADFD when the
// ring is not disabled. Fixes the SINGLE_ISSUER submitter to the
// caller if none is set, and makes registered restrictions binding.
int64_t register_enable_rings(Context& ctx, uint64_t arg, uint32_t nr_args);

// What __io_uring_register checks before any opcode's own work: a SINGLE_ISSUER ring
// used by another task (-EEXIST), then an opcode the restrictions do not allow (-EACCES).
Check check_register_allowed(Context& ctx, uint32_t opcode);

// io_check_restriction for an SQE on a restricted ring: its opcode must be allowed,
// every required flag set, and no flag outside allowed | required. -EACCES otherwise.
// REQUIRES: ctx.restricted().
Check check_sqe_restriction(const Context& ctx, const Request& req);

}  // namespace uringsim
