#include "kernel_model/profile.h"

#include "uapi/io_uring.h"

namespace uringsim {

namespace {

// What the model implements of 6.18's setup flags. Everything else in a profile's
// setup_flags is refused with EINVAL and a reason that says "not simulated".
constexpr uint32_t kSimulatedSetupFlags =
    IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SQE128 |
    IORING_SETUP_CQE32 | IORING_SETUP_NO_SQARRAY | IORING_SETUP_COOP_TASKRUN |
    IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
    IORING_SETUP_R_DISABLED;

// Features the model implements. Missing from 6.18's 0x3ffff, until simulated:
// SQPOLL_NONFIXED (no SQPOLL in the model), RW_ATTR.
constexpr uint32_t kSimulatedFeatures =
    IORING_FEAT_SINGLE_MMAP | IORING_FEAT_NODROP | IORING_FEAT_SUBMIT_STABLE |
    IORING_FEAT_RW_CUR_POS | IORING_FEAT_CUR_PERSONALITY | IORING_FEAT_FAST_POLL |
    IORING_FEAT_POLL_32BITS | IORING_FEAT_RSRC_TAGS |
    IORING_FEAT_NATIVE_WORKERS | IORING_FEAT_CQE_SKIP | IORING_FEAT_LINKED_FILE |
    IORING_FEAT_EXT_ARG | IORING_FEAT_MIN_TIMEOUT | IORING_FEAT_NO_IOWAIT |
    IORING_FEAT_RECVSEND_BUNDLE | IORING_FEAT_REG_REG_RING;

constexpr uint32_t kSimulatedEnterFlags =
    IORING_ENTER_GETEVENTS | IORING_ENTER_SQ_WAKEUP | IORING_ENTER_SQ_WAIT |
    IORING_ENTER_EXT_ARG | IORING_ENTER_ABS_TIMER | IORING_ENTER_NO_IOWAIT |
    IORING_ENTER_REGISTERED_RING;

// Linux 6.18: the default, and the base of the RFC profile.
constexpr Profile kLinux618 = {
        .name = "6.18",
        .summary = "Linux 6.18 (default)",
        .max_sq_entries = 32768,
        .max_cq_entries = 65536,
        .setup_flags = (IORING_SETUP_CQE_MIXED << 1) - 1,
        .simulated_setup_flags = kSimulatedSetupFlags,
        .features = (IORING_FEAT_NO_IOWAIT << 1) - 1,
        .simulated_features = kSimulatedFeatures,
        .sqe_flags = 0x7f,
        .enter_flags = (IORING_ENTER_NO_IOWAIT << 1) - 1,
        .simulated_enter_flags = kSimulatedEnterFlags,
        .nop_flags = IORING_NOP_INJECT_RESULT | IORING_NOP_FILE | IORING_NOP_FIXED_FILE |
                     IORING_NOP_FIXED_BUFFER | IORING_NOP_TW | IORING_NOP_CQE32,
        .op_last = IORING_OP_PIPE + 1,
        .register_op_last = IORING_REGISTER_QUERY + 1,
        .max_reg_buffers = 1u << 14,
        .max_reg_files = 1u << 20,
        .params_resv_offset = 28,
        .params_resv_words = 3,
        .has_probe = true,
        .sparse_buffers = true,
        .charges_ring_memory = true,
        .pin_before_charge = true,
        .submit_stops_on_error = true,
        .plain_rw_rejects_buf_index = false,
        .file_backed = FileBackedRule::kRejectSharedFileEFAULT,
        .ring_layout = RingLayoutKind::kPacked,
        .clone = CloneRule::kOffsetsChecked,
    };

// 6.18 plus the unmerged RFC "provided registered buffers" (Oct 2024): SEND_ZC takes
// provided buffers and bundles, and with RECVSEND_FIXED_BUF a provided buffer's addr
// encodes (offset << 32) | registered buffer index.
constexpr Profile make_rfc_provided_registered() {
  Profile p = kLinux618;
  p.name = "rfc-provided-registered";
  p.summary = "Linux 6.18 + the RFC \"provided registered buffers\" (Oct 2024, not merged): SEND_ZC with provided buffers, bundles, addr = offset<<32 | regbuf index";
  p.rfc_provided_registered = true;
  p.rfc_regbuf_index_bits = 32;
  return p;
}

constexpr Profile kProfiles[] = {
    {
        .name = "5.1",
        .summary = "Linux 5.1, the first io_uring (edafccee56 registered buffers): ops 0-7, no features",
        .max_sq_entries = 4096,
        .max_cq_entries = 0,
        .setup_flags = IORING_SETUP_IOPOLL | IORING_SETUP_SQPOLL | IORING_SETUP_SQ_AFF,
        .simulated_setup_flags = 0,
        .features = 0,
        .simulated_features = 0,
        .sqe_flags = IOSQE_FIXED_FILE,
        .enter_flags = IORING_ENTER_GETEVENTS | IORING_ENTER_SQ_WAKEUP,
        .simulated_enter_flags = IORING_ENTER_GETEVENTS | IORING_ENTER_SQ_WAKEUP,
        .nop_flags = 0,
        .op_last = IORING_OP_POLL_REMOVE + 1,
        .register_op_last = IORING_UNREGISTER_FILES + 1,
        .max_reg_buffers = 1024,
        .max_reg_files = 1024,
        .params_resv_offset = 20,
        .params_resv_words = 5,
        .has_probe = false,
        .sparse_buffers = false,
        .charges_ring_memory = true,
        .pin_before_charge = false,
        .submit_stops_on_error = false,
        .plain_rw_rejects_buf_index = true,
        .file_backed = FileBackedRule::kRejectAnyFileEOPNOTSUPP,
        .ring_layout = RingLayoutKind::kSplit51,
    },
    {
        .name = "5.6",
        .summary = "Linux 5.6: ops 0-29, PROBE, features 0x1f, cache-aligned io_rings, -EBUSY while CQEs overflow",
        .max_sq_entries = 32768,
        .max_cq_entries = 65536,
        .setup_flags = (IORING_SETUP_ATTACH_WQ << 1) - 1,
        .simulated_setup_flags = kSimulatedSetupFlags & ((IORING_SETUP_ATTACH_WQ << 1) - 1),
        .features = (IORING_FEAT_CUR_PERSONALITY << 1) - 1,
        .simulated_features = kSimulatedFeatures,
        .sqe_flags = 0x1f,
        .enter_flags = IORING_ENTER_GETEVENTS | IORING_ENTER_SQ_WAKEUP,
        .simulated_enter_flags = IORING_ENTER_GETEVENTS | IORING_ENTER_SQ_WAKEUP,
        .nop_flags = 0,
        .op_last = IORING_OP_EPOLL_CTL + 1,
        .register_op_last = IORING_UNREGISTER_PERSONALITY + 1,
        .max_reg_buffers = 1024,       // UIO_MAXIOV
        .max_reg_files = 32768,        // 64 tables of 512
        .params_resv_offset = 28,
        .params_resv_words = 3,
        .has_probe = true,
        .sparse_buffers = false,
        .charges_ring_memory = true,   // ring_pages(): both regions, power-of-two blocks
        .pin_before_charge = false,    // io_sqe_buffer_register charged the span first
        .submit_stops_on_error = true,
        .plain_rw_rejects_buf_index = true,
        .file_backed = FileBackedRule::kRejectAnyFileEOPNOTSUPP,
        .ring_layout = RingLayoutKind::kAligned,
        .overflow_ebusy = true,
    },
    {
        .name = "6.1",
        .summary = "Linux 6.1 (LTS): ops 0-48, BUFFERS2/UPDATE/tags, no ring memlock charge, no clone",
        .max_sq_entries = 32768,
        .max_cq_entries = 65536,
        .setup_flags = (IORING_SETUP_DEFER_TASKRUN << 1) - 1,
        .simulated_setup_flags = kSimulatedSetupFlags & ((IORING_SETUP_DEFER_TASKRUN << 1) - 1),
        .features = (IORING_FEAT_LINKED_FILE << 1) - 1,
        .simulated_features = kSimulatedFeatures,
        .sqe_flags = 0x7f,
        .enter_flags = (IORING_ENTER_REGISTERED_RING << 1) - 1,
        .simulated_enter_flags = kSimulatedEnterFlags & ((IORING_ENTER_REGISTERED_RING << 1) - 1),
        .nop_flags = 0,
        .op_last = IORING_OP_SENDMSG_ZC + 1,
        .register_op_last = IORING_REGISTER_FILE_ALLOC_RANGE + 1,
        .max_reg_buffers = 1u << 14,
        .max_reg_files = 1u << 20,
        .params_resv_offset = 28,
        .params_resv_words = 3,
        .has_probe = true,
        .sparse_buffers = true,
        .charges_ring_memory = false,  // 5.12-6.13: memcg accounting instead
        .pin_before_charge = true,
        .submit_stops_on_error = true,
        .plain_rw_rejects_buf_index = false,
        .file_backed = FileBackedRule::kRejectNonShmemFileEOPNOTSUPP,
        .ring_layout = RingLayoutKind::kAligned,
    },
    {
        .name = "6.12",
        .summary = "Linux 6.12 (LTS): ops 0-57, packed io_rings, CLONE_BUFFERS as first merged (whole table only)",
        .max_sq_entries = 32768,
        .max_cq_entries = 65536,
        .setup_flags = (IORING_SETUP_NO_SQARRAY << 1) - 1,
        .simulated_setup_flags = kSimulatedSetupFlags & ((IORING_SETUP_NO_SQARRAY << 1) - 1),
        .features = (IORING_FEAT_MIN_TIMEOUT << 1) - 1,
        .simulated_features = kSimulatedFeatures,
        .sqe_flags = 0x7f,
        .enter_flags = (IORING_ENTER_ABS_TIMER << 1) - 1,
        .simulated_enter_flags = kSimulatedEnterFlags & ((IORING_ENTER_ABS_TIMER << 1) - 1),
        .nop_flags = IORING_NOP_INJECT_RESULT,  // [?] the other NOP flags came later
        .op_last = IORING_OP_LISTEN + 1,
        .register_op_last = IORING_REGISTER_CLONE_BUFFERS + 1,
        .max_reg_buffers = 1u << 14,
        .max_reg_files = 1u << 20,
        .params_resv_offset = 28,
        .params_resv_words = 3,
        .has_probe = true,
        .sparse_buffers = true,
        .charges_ring_memory = false,
        .pin_before_charge = true,
        .submit_stops_on_error = true,
        .plain_rw_rejects_buf_index = false,
        .file_backed = FileBackedRule::kRejectSharedFileEFAULT,
        .ring_layout = RingLayoutKind::kPacked,
        .clone = CloneRule::kFullTable,
    },
    {
        .name = "6.13",
        .summary = "Linux 6.13: clone with src_off/dst_off/nr and DST_REPLACE (no accounting check yet)",
        .max_sq_entries = 32768,
        .max_cq_entries = 65536,
        .setup_flags = (IORING_SETUP_HYBRID_IOPOLL << 1) - 1,
        .simulated_setup_flags = kSimulatedSetupFlags & ((IORING_SETUP_HYBRID_IOPOLL << 1) - 1),
        .features = (IORING_FEAT_MIN_TIMEOUT << 1) - 1,
        .simulated_features = kSimulatedFeatures,
        .sqe_flags = 0x7f,
        .enter_flags = (IORING_ENTER_EXT_ARG_REG << 1) - 1,
        .simulated_enter_flags = kSimulatedEnterFlags & ((IORING_ENTER_EXT_ARG_REG << 1) - 1),
        .nop_flags = IORING_NOP_INJECT_RESULT,  // [?]
        .op_last = IORING_OP_LISTEN + 1,
        .register_op_last = IORING_REGISTER_MEM_REGION + 1,
        .max_reg_buffers = 1u << 14,
        .max_reg_files = 1u << 20,
        .params_resv_offset = 28,
        .params_resv_words = 3,
        .has_probe = true,
        .sparse_buffers = true,
        .charges_ring_memory = false,
        .pin_before_charge = true,
        .submit_stops_on_error = true,
        .plain_rw_rejects_buf_index = false,
        .file_backed = FileBackedRule::kRejectSharedFileEFAULT,
        .ring_layout = RingLayoutKind::kPacked,
        .clone = CloneRule::kOffsets,
    },
    kLinux618,
    make_rfc_provided_registered(),
};

}  // namespace

std::span<const Profile> all_profiles() { return kProfiles; }

const Profile* find_profile(std::string_view name) {
  for (const Profile& p : kProfiles)
    if (p.name == name) return &p;
  return nullptr;
}

const Profile& default_profile() {
  // The newest real kernel: RFC profiles (names that are not versions) come after it.
  for (size_t i = std::size(kProfiles); i-- > 0;)
    if (profile_version(kProfiles[i]) != ~uint32_t{0}) return kProfiles[i];
  return kProfiles[0];
}

}  // namespace uringsim
