// opdef: ONE table, a row per opcode, as in the kernel's io_uring/opdef.c.
//
// Each row says what the opcode needs (a file, buffer select, ioprio...), the kernel
// version that introduced it (so a profile's opcode set is derived from the table) and
// its two functions: `prep` validates the SQE and copies what issue needs -- all
// field checks live there, in the kernel's order, so a bad SQE gets the kernel's
// errno -- and `issue` does the work. Families live in their own files (nop.cc, rw.cc,
// sync.cc, ...). An opcode Linux has but the model does not simulate has a row with a
// null prep: it fails with -EINVAL and a reason naming it.
#pragma once

#include <cstdint>
#include <climits>

#include "uapi/io_uring.h"

namespace uringsim {

class Context;
struct Request;

// What issue() returns: the CQE res (>= 0 or -errno, recorded in the request), or,
// after parking the request with one of Context's arm_* calls, kIssueParked (by
// convention: what decides is the request's park state, since every int32 is a
// possible result -- NOP can inject INT32_MIN).
inline constexpr int32_t kIssueParked = INT32_MIN;

struct OpDef {
  const char* name;             // "READ_FIXED" (no IORING_OP_ prefix)
  uint8_t since_major;          // first kernel with the opcode
  uint8_t since_minor;
  bool needs_file;              // fd (or fixed file index) is resolved before issue
  bool unbound_nonreg_file;     // may be used on pipes/sockets without FEAT_FAST_POLL
  bool buffer_select;           // accepts IOSQE_BUFFER_SELECT
  bool ioprio;                  // sqe->ioprio is meaningful (else must be 0)
  bool iopoll;                  // allowed on IORING_SETUP_IOPOLL rings
  bool vectored;                // addr/len describe an iovec array
  // Validates the SQE (req.sqe) and fills the request. Returns 0 or -errno with
  // req.fault set. null: the opcode exists in Linux but is not simulated.
  int (*prep)(Context& ctx, Request& req);
  // Performs the request. Returns the CQE res, or kIssueParked.
  int32_t (*issue)(Context& ctx, Request& req);
};

// The row for `opcode`. REQUIRES: opcode < IORING_OP_LAST.
const OpDef& opdef(uint8_t opcode);

// Short name: "READ_FIXED"; "UNKNOWN" for opcodes >= IORING_OP_LAST.
const char* op_name(uint8_t opcode);

}  // namespace uringsim
