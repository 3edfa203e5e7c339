#include "kernel_model/profile.h"

#include "uapi/io_uring.h"

namespace uringsim {

namespace {

// SQPOLL as Linux has it since 5.11 (unprivileged, any fd: SQPOLL_NONFIXED), a thread
// shared through ATTACH_WQ, pinned with SQ_AFF (kernel_model/sqpoll.h).
constexpr uint32_t kSimulatedSqpollFlags =
    IORING_SETUP_SQPOLL | IORING_SETUP_SQ_AFF | IORING_SETUP_ATTACH_WQ;

// What the model implements of 6.18's setup flags. Everything else in a profile's
// setup_flags is refused with EINVAL and a reason that says "not simulated".
constexpr uint32_t kSimulatedSetupFlags =
    IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SQE128 |
    IORING_SETUP_CQE32 | IORING_SETUP_NO_SQARRAY | IORING_SETUP_COOP_TASKRUN |
    IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
    IORING_SETUP_R_DISABLED | kSimulatedSqpollFlags |
    IORING_SETUP_NO_MMAP;  // [no-mmap] kernel_model/memmap.h

// Features the model implements. Missing from 6.18's 0x3ffff, until simulated:
// RW_ATTR.
constexpr uint32_t kSimulatedFeatures =
    IORING_FEAT_SQPOLL_NONFIXED |
    IORING_FEAT_SINGLE_MMAP | IORING_FEAT_NODROP | IORING_FEAT_SUBMIT_STABLE |
    IORING_FEAT_RW_CUR_POS | IORING_FEAT_CUR_PERSONALITY | IORING_FEAT_FAST_POLL |
    IORING_FEAT_POLL_32BITS | IORING_FEAT_RSRC_TAGS |
    IORING_FEAT_NATIVE_WORKERS | IORING_FEAT_CQE_SKIP | IORING_FEAT_LINKED_FILE |
    IORING_FEAT_EXT_ARG | IORING_FEAT_MIN_TIMEOUT | IORING_FEAT_NO_IOWAIT |
    IORING_FEAT_RECVSEND_BUNDLE | IORING_FEAT_REG_REG_RING;

constexpr uint32_t kSimulatedEnterFlags =
    IORING_ENTER_GETEVENTS | IORING_ENTER_SQ_WAKEUP | IORING_ENTER_SQ_WAIT |
    IORING_ENTER_EXT_ARG | IORING_ENTER_ABS_TIMER | IORING_ENTER_NO_IOWAIT |
    IORING_ENTER_REGISTERED_RING |
    IORING_ENTER_EXT_ARG_REG;  // [reg-wait] kernel_model/mem_region.h

// A kernel is its predecessor plus what it changed: `changes` edits a copy of `from`.
// Each row below names only the fields its version changed, so a reader sees the
// history; every other field carries over.
template <class Changes>
constexpr Profile derive(const Profile& from, Changes changes) {
  Profile p = from;
  changes(p);
  return p;
}

// Linux accepts every setup (enter) flag up to the newest one it knows; the model
// implements the subset in kSimulatedSetupFlags (kSimulatedEnterFlags).
constexpr void accept_setup_flags_through(Profile& p, uint32_t newest) {
  p.setup_flags = (newest << 1) - 1;
  p.simulated_setup_flags = kSimulatedSetupFlags & p.setup_flags;
}
constexpr void accept_enter_flags_through(Profile& p, uint32_t newest) {
  p.enter_flags = (newest << 1) - 1;
  p.simulated_enter_flags = kSimulatedEnterFlags & p.enter_flags;
}

// Linux 5.1: the first io_uring, the root every later profile derives from.
constexpr Profile kLinux51 = {
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
};

constexpr Profile kLinux56 = derive(kLinux51, [](Profile& p) {
  p.name = "5.6";
  p.summary = "Linux 5.6: ops 0-29, PROBE, features 0x1f, cache-aligned io_rings, -EBUSY while CQEs overflow";
  p.max_sq_entries = 32768;
  p.max_cq_entries = 65536;  // CQSIZE (5.5)
  accept_setup_flags_through(p, IORING_SETUP_ATTACH_WQ);
  // Before 5.11 SQPOLL needed CAP_SYS_ADMIN and fixed files, and ATTACH_WQ's bad wq_fd
  // was -EBADF: that SQPOLL is not simulated (5.19 and later profiles have it).
  p.simulated_setup_flags &= ~kSimulatedSqpollFlags;
  p.features = (IORING_FEAT_CUR_PERSONALITY << 1) - 1;
  p.simulated_features = kSimulatedFeatures;
  p.sqe_flags = 0x1f;
  p.op_last = IORING_OP_EPOLL_CTL + 1;
  p.register_op_last = IORING_UNREGISTER_PERSONALITY + 1;
  p.max_reg_files = 32768;  // 64 tables of 512
  p.params_resv_offset = 28;  // io_uring_params.features took resv[0]
  p.params_resv_words = 3;
  p.has_probe = true;
  p.submit_stops_on_error = true;
  p.ring_layout = RingLayoutKind::kAligned;
  p.overflow_ebusy = true;
  // Still as 5.1: ring_pages() charged both regions in power-of-two blocks, and
  // io_sqe_buffer_register charged the span before pinning it.
});

// Linux 5.19: ring-mapped provided buffers (REGISTER_PBUF_RING, user memory only:
// IOU_PBUF_RING_MMAP is 6.4), SQE128/CQE32 and COOP_TASKRUN, SOCKET, URING_CMD and the
// xattr ops, RSRC_REGISTER_SPARSE. Via 5.13: BUFFERS2/UPDATE/tags, 16384 buffers,
// shmem buffers; via 5.12: ring memory no longer charged to memlock.
constexpr Profile kLinux519 = derive(kLinux56, [](Profile& p) {
  p.name = "5.19";
  p.summary = "Linux 5.19: ops 0-46, PBUF_RING (user memory), SQE128/CQE32, COOP_TASKRUN, no ring memlock charge";
  accept_setup_flags_through(p, IORING_SETUP_CQE32);
  p.features = (IORING_FEAT_LINKED_FILE << 1) - 1;  // 0x1fff
  p.sqe_flags = 0x7f;                                // + BUFFER_SELECT (5.7), CQE_SKIP_SUCCESS (5.17)
  accept_enter_flags_through(p, IORING_ENTER_REGISTERED_RING);
  p.op_last = IORING_OP_URING_CMD + 1;
  p.register_op_last = IORING_UNREGISTER_PBUF_RING + 1;
  p.max_reg_buffers = 1u << 14;
  p.max_reg_files = 1u << 20;
  p.sparse_buffers = true;
  p.charges_ring_memory = false;  // 5.12-6.13: memcg accounting instead
  p.pin_before_charge = true;
  // "io_uring: ignore ->buf_index if REQ_F_BUFFER_SELECT isn't set" (Apr 2022, in the
  // 5.19 ring-mapped buffers series) dropped the -EINVAL.
  p.plain_rw_rejects_buf_index = false;
  p.file_backed = FileBackedRule::kRejectNonShmemFileEOPNOTSUPP;
  p.overflow_ebusy = false;  // [?] gone by 5.19 (spec G.4)
});

constexpr Profile kLinux61 = derive(kLinux519, [](Profile& p) {
  p.name = "6.1";
  p.summary = "Linux 6.1 (LTS): ops 0-48, BUFFERS2/UPDATE/tags, no ring memlock charge, no clone";
  accept_setup_flags_through(p, IORING_SETUP_DEFER_TASKRUN);
  p.op_last = IORING_OP_SENDMSG_ZC + 1;
  p.register_op_last = IORING_REGISTER_FILE_ALLOC_RANGE + 1;
});

constexpr Profile kLinux612 = derive(kLinux61, [](Profile& p) {
  p.name = "6.12";
  p.summary = "Linux 6.12 (LTS): ops 0-57, packed io_rings, CLONE_BUFFERS as first merged (whole table only)";
  accept_setup_flags_through(p, IORING_SETUP_NO_SQARRAY);
  p.features = (IORING_FEAT_MIN_TIMEOUT << 1) - 1;
  accept_enter_flags_through(p, IORING_ENTER_ABS_TIMER);
  p.nop_flags = IORING_NOP_INJECT_RESULT;  // [?] the other NOP flags came later
  p.op_last = IORING_OP_LISTEN + 1;
  p.register_op_last = IORING_REGISTER_CLONE_BUFFERS + 1;
  p.file_backed = FileBackedRule::kRejectSharedFileEFAULT;
  p.ring_layout = RingLayoutKind::kPacked;
  p.clone = CloneRule::kFullTable;
  p.pbuf_ring_flags = IOU_PBUF_RING_MMAP | IOU_PBUF_RING_INC;  // MMAP 6.4, INC 6.12
});

constexpr Profile kLinux613 = derive(kLinux612, [](Profile& p) {
  p.name = "6.13";
  p.summary = "Linux 6.13: clone with src_off/dst_off/nr and DST_REPLACE (no accounting check yet)";
  accept_setup_flags_through(p, IORING_SETUP_HYBRID_IOPOLL);
  accept_enter_flags_through(p, IORING_ENTER_EXT_ARG_REG);
  p.register_op_last = IORING_REGISTER_MEM_REGION + 1;
  p.clone = CloneRule::kOffsets;
});

// Linux 6.18: the default, and the base of the RFC profile.
constexpr Profile kLinux618 = derive(kLinux613, [](Profile& p) {
  p.name = "6.18";
  p.summary = "Linux 6.18 (default)";
  accept_setup_flags_through(p, IORING_SETUP_CQE_MIXED);
  p.features = (IORING_FEAT_NO_IOWAIT << 1) - 1;
  accept_enter_flags_through(p, IORING_ENTER_NO_IOWAIT);
  p.nop_flags = IORING_NOP_INJECT_RESULT | IORING_NOP_FILE | IORING_NOP_FIXED_FILE |
                IORING_NOP_FIXED_BUFFER | IORING_NOP_TW | IORING_NOP_CQE32;
  p.op_last = IORING_OP_PIPE + 1;
  p.register_op_last = IORING_REGISTER_QUERY + 1;
  p.charges_ring_memory = true;  // the region rework (~6.14) charges ring memory again
  p.clone = CloneRule::kOffsetsChecked;
});

// 6.18 plus the unmerged RFC "provided registered buffers" (Oct 2024): SEND_ZC takes
// provided buffers and bundles, and with RECVSEND_FIXED_BUF a provided buffer's addr
// encodes (offset << 32) | registered buffer index.
constexpr Profile kRfcProvidedRegistered = derive(kLinux618, [](Profile& p) {
  p.name = "rfc-provided-registered";
  p.summary = "Linux 6.18 + the RFC \"provided registered buffers\" (Oct 2024, not merged): SEND_ZC with provided buffers, bundles, addr = offset<<32 | regbuf index";
  p.rfc_provided_registered = true;
  p.rfc_regbuf_index_bits = 32;
});

constexpr Profile kProfiles[] = {
    kLinux51, kLinux56, kLinux519, kLinux61, kLinux612, kLinux613, kLinux618, kRfcProvidedRegistered,
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
