// Decoders: SQEs, CQEs, errnos and syscall arguments in io_uring's own words.
//
// Pure functions over uapi structs: no model state, no I/O. An SQE is decoded field
// by field as its opcode reads it -- a READ_FIXED shows fd, off, addr, len, buf_index
// and rw_flags, a TIMEOUT shows the timespec address, the completion count and
// timeout_flags -- never as the raw union. Bytes the opcode does not read are shown
// only when they are non-zero, under their generic name, so nothing in the 64 bytes
// goes unexplained. Used by explain mode, `uringsim explain`, traces and reports.
//
//   io_uring_sqe sqe = ...;
//   for (const Field& f : decode_sqe(sqe, 0)) printf("%s = %s\n", f.name.c_str(), f.value.c_str());
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "uapi/io_uring.h"

namespace uringsim::traces {

// One decoded field.
struct Field {
  std::string name;   // the uapi name of the member the opcode reads: "buf_index", "rw_flags"
  std::string value;  // the value as io_uring means it: "3", "-1", "0x7f0000001000", "IO_LINK|ASYNC"
  std::string note;   // what it means here, may be empty: "current position", "iovec count"
  uint64_t raw = 0;   // the member's bits, zero-extended
};

// The field called `name`, or null.
const Field* find_field(const std::vector<Field>& fields, std::string_view name);

// --- SQE / CQE ----------------------------------------------------------------------

// Decodes one SQE. `setup_flags` (IORING_SETUP_*) says how the ring reads it: with
// SQE128, `ext` (if not null) is the SQE's second 64 bytes, shown as URING_CMD's
// command payload or, for other opcodes, as non-zero extra words.
// Order: opcode, flags, user_data, the opcode's fields, then anything else non-zero.
std::vector<Field> decode_sqe(const io_uring_sqe& sqe, uint32_t setup_flags,
                              const uint8_t* ext = nullptr);

// Decodes one CQE: user_data, res (number, errno name and text when negative), flags
// (names; with F_BUFFER a separate `bid` field = flags >> 16). With `cqe32` (a CQE32
// ring, or a CQE flagged F_32) the two big_cqe words follow, read from the 16 bytes
// after `cqe` -- REQUIRES: they exist.
std::vector<Field> decode_cqe(const io_uring_cqe& cqe, bool cqe32);

// "opcode=NOP flags=0 user_data=0x1 nop_flags=INJECT_RESULT len=-22 (injected result)"
std::string fields_line(const std::vector<Field>& fields);

// One field per line, columns aligned: "<indent>name  value  note\n".
std::string fields_table(const std::vector<Field>& fields, std::string_view indent = "  ");

// --- names ----------------------------------------------------------------------------

// "READ_FIXED" (no IORING_OP_ prefix); null for opcodes Linux 6.18 does not have.
const char* opcode_name(uint8_t opcode);

// A bit set as names joined by '|', unknown bits appended as one hex number:
// "FIXED_FILE|IO_LINK|0x80"; "0" when no bit is set. names[i] names bit i (null: unknown).
std::string flag_names(uint64_t value, const char* const* names, size_t count);

std::string sqe_flag_names(uint8_t flags);        // IOSQE_*: "IO_LINK|CQE_SKIP_SUCCESS"
std::string cqe_flag_names(uint32_t flags);       // IORING_CQE_F_*: "F_BUFFER|F_MORE" (bid bits excluded)
std::string setup_flag_names(uint32_t flags);     // IORING_SETUP_*: "SQPOLL|CQSIZE"
std::string feature_names(uint32_t features);     // IORING_FEAT_*: "SINGLE_MMAP|NODROP|..."
std::string enter_flag_names(uint32_t flags);     // IORING_ENTER_*: "GETEVENTS|EXT_ARG"
std::string sq_ring_flag_names(uint32_t flags);   // IORING_SQ_*: "CQ_OVERFLOW"
// (register opcode names: register_op_name in traces/trace.h)

// --- errno ------------------------------------------------------------------------------

struct ErrnoInfo {
  int number = 0;           // positive: 14
  std::string name;         // "EFAULT"
  std::string description;  // "Bad address" (glibc's text, not localised)
};

// Linux's errno names, as the kernel spells them (95 is EOPNOTSUPP, 11 is EAGAIN).
// Null for numbers Linux does not define.
const char* errno_name_of(int err);
// 14 -> {14, "EFAULT", "Bad address"}; accepts negative numbers (a CQE res).
std::optional<ErrnoInfo> errno_by_number(int err);
// "EFAULT", "efault", "FAULT" -> 14; aliases (EWOULDBLOCK, ENOTSUP, EDEADLOCK) too.
std::optional<ErrnoInfo> errno_by_name(std::string_view name);

// "-14 (EFAULT)" for negative results, "42" otherwise.
std::string result_text(int64_t res);

// --- parsing ------------------------------------------------------------------------------

// Hex text to bytes: "16 00 00 00", "0x1600", "16:00,00", "0x16 0x00" (whitespace, ':',
// ',' and '-' separate tokens; each token may start with 0x; every token must have an
// even number of digits). On error returns nullopt and says what is wrong in *error.
std::optional<std::vector<uint8_t>> parse_hex(std::string_view text, std::string* error);

}  // namespace uringsim::traces
