// Profile: which Linux the model pretends to be.
//
// A profile is data, not code: the opcodes, setup/enter/SQE flags, register opcodes,
// feature bits, limits and the few semantic switches that changed between kernel
// versions. The op table (opdef) records the version that introduced each opcode, so a
// profile's opcode set falls out of `op_last`; IORING_REGISTER_PROBE answers from here.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace uringsim {

// How the ring control words are laid out in the mapped ring memory.
enum class RingLayoutKind : uint8_t {
  kSplit51,  // 5.1-5.3: separate SQ and CQ rings, head/tail cache-line aligned
  kPacked,   // 6.18: one io_rings region, head/tail packed at 0/4/8/12
  kAligned,  // 5.4-6.x: one io_rings region, each head/tail on its own cache line
};

// Which IORING_REGISTER_CLONE_BUFFERS the kernel has (rsrc.cc, clone_buffers).
enum class CloneRule : uint8_t {
  kNone,        // before 6.12: the opcode does not exist
  kFullTable,   // 6.12 (7cc2a6eadc + 636119af94f2): whole table, empty destination only
  kOffsets,     // 6.13: src_off/dst_off/nr and DST_REPLACE
  kOffsetsChecked,  // 6.18.y: + rings must share accounting (Jann Horn), source
                    // SINGLE_ISSUER owner check, Koong's argument order, 525916ce
};

// Which memory may back a registered buffer.
enum class FileBackedRule : uint8_t {
  kRejectAnyFileEOPNOTSUPP,   // 5.1 (edafccee56): any VMA with a file other than hugetlbfs
  kRejectSharedFileEFAULT,    // 6.18: GUP refuses long-term pins of shared file pages
  kRejectNonShmemFileEOPNOTSUPP,  // ~5.13-6.4 io_pin_pages: file VMAs other than shmem
                                  // and hugetlbfs -> EOPNOTSUPP (private ones too)
};

struct Profile {
  std::string_view name;       // "6.18"
  std::string_view summary;    // one line for --help
  uint32_t max_sq_entries;     // IORING_MAX_ENTRIES
  uint32_t max_cq_entries;     // IORING_MAX_CQ_ENTRIES (0: no CQSIZE in this version)
  uint32_t setup_flags;        // every IORING_SETUP_* bit this version accepts
  uint32_t simulated_setup_flags;  // subset the model implements; others: EINVAL "not simulated"
  uint32_t features;           // IORING_FEAT_* as this version reports them
  uint32_t simulated_features; // subset the model implements; setup reports only these
  uint8_t sqe_flags;           // valid IOSQE_* bits
  uint32_t enter_flags;        // valid IORING_ENTER_* bits
  uint32_t simulated_enter_flags;  // subset the model implements
  uint32_t nop_flags;          // valid IORING_NOP_* bits; 0: the word is ignored (pre-6.x)
  uint8_t op_last;             // IORING_OP_LAST of this version: ops [0, op_last) exist
  uint8_t register_op_last;    // IORING_REGISTER_LAST of this version
  uint32_t max_reg_buffers;    // IORING_MAX_REG_BUFFERS (UIO_MAXIOV before 5.13)
  uint32_t max_reg_files;      // IORING_MAX_FIXED_FILES
  uint32_t params_resv_offset; // io_uring_params.resv: byte offset (20 on 5.1, 28 later)
  uint32_t params_resv_words;  // ... and how many u32 words must be zero (5 on 5.1, 3 later)
  bool has_probe;              // IORING_REGISTER_PROBE exists
  bool sparse_buffers;         // {NULL, 0} iovecs register empty slots (5.13+)
  bool charges_ring_memory;    // ring + SQE pages charged to locked_vm (5.1-5.11, 6.14+)
  bool pin_before_charge;      // 6.18 pins then charges; 5.1 charged first
  bool submit_stops_on_error;  // a failed SQE ends the batch (5.5+; 5.1 went on)
  bool plain_rw_rejects_buf_index;  // 5.x: READ/READV with buf_index != 0 -> EINVAL
  FileBackedRule file_backed;
  RingLayoutKind ring_layout;
  // The RFC "provided registered buffers" (Oct 2024, not merged): SEND_ZC accepts
  // IOSQE_BUFFER_SELECT and IORING_RECVSEND_BUNDLE, and with IORING_RECVSEND_FIXED_BUF
  // a provided buffer's addr is (offset << rfc_regbuf_index_bits) | regbuf index.
  bool rfc_provided_registered;
  uint8_t rfc_regbuf_index_bits;  // 32 as posted (Jens's tree later moved to 20)
  // Registered buffers, clone (rsrc.cc).
  CloneRule clone = CloneRule::kNone;
  // 5.5-5.x: io_uring_enter refuses to submit with -EBUSY while CQEs sit in the
  // overflow backlog (io_submit_sqes: "if (test_bit(0, &ctx->cq_check_overflow))").
  bool overflow_ebusy = false;
  // IOU_PBUF_RING_* flags REGISTER_PBUF_RING accepts: none in 5.19-6.3 (the word was
  // `pad`, non-zero -> EINVAL), MMAP from 6.4, INC from 6.12.
  uint16_t pbuf_ring_flags = 0;
};

// The built-in profiles, oldest first. The default is the last real kernel ("6.18").
std::span<const Profile> all_profiles();
const Profile* find_profile(std::string_view name);
const Profile& default_profile();

// The Linux version a profile pretends to be, as major * 1000 + minor ("5.1" -> 5001,
// "6.18" -> 6018), read from its name. A profile whose name is not a version (an
// RFC profile built on the newest kernel) counts as newer than every release.
// For the few rules that changed at a known version and have no switch of their own.
inline uint32_t profile_version(const Profile& p) {
  uint32_t major = 0, minor = 0;
  size_t i = 0;
  const std::string_view n = p.name;
  while (i < n.size() && n[i] >= '0' && n[i] <= '9') major = major * 10 + (n[i++] - '0');
  if (i == 0 || i >= n.size() || n[i] != '.') return ~uint32_t{0};
  ++i;
  while (i < n.size() && n[i] >= '0' && n[i] <= '9') minor = minor * 10 + (n[i++] - '0');
  return major * 1000 + minor;
}

}  // namespace uringsim
