// Layout table of the host's <linux/io_uring.h> (Debian 12 ships the 6.1
// uapi headers): the members and constants it shares with uapi/io_uring.h.
//
// The host header is wrapped in a namespace so that its struct definitions
// (which differ from ours: 6.1 lacks many 6.18 members) do not collide with
// ours in the linked test binary. Its own dependencies are included first, at
// global scope, so their include guards keep them out of the namespace.
#include <linux/fs.h>
#include <linux/stddef.h>
#include <linux/time_types.h>
#include <linux/types.h>

#include <cstddef>

namespace host_uapi {
#include <linux/io_uring.h>  // NOLINT(build/include_order)
}  // namespace host_uapi

#include "tests/uapi/layout_table.h"

namespace uringsim::uapi_test {

using namespace host_uapi;  // NOLINT(build/namespaces)

// Table rows. URINGSIM_FIELD records offset and size of S::F;
// URINGSIM_FLEX_FIELD is for flexible array members (size 0, which sizeof
// cannot report); URINGSIM_STRUCT records the struct's own size and alignment.
#define URINGSIM_FIELD(S, F) {#S, #F, offsetof(S, F), sizeof(static_cast<S*>(nullptr)->F)}
#define URINGSIM_FLEX_FIELD(S, F) {#S, #F, offsetof(S, F), 0}
#define URINGSIM_STRUCT(S) {#S, "(sizeof)", 0, sizeof(S)}, {#S, "(alignof)", 0, alignof(S)}
#define URINGSIM_CONST(C) {#C, static_cast<long long>(C)}

// A member that 6.1 spells differently: listed under our (6.18) name.
//   io_sqring_offsets/io_cqring_offsets: resv2 -> user_addr (6.5)
//   io_uring_buf_reg: pad -> flags (6.4)
//   io_uring_getevents_arg: pad -> min_wait_usec (6.12)
#define URINGSIM_RENAMED_FIELD(S, OURS, HOST) \
  {#S, #OURS, offsetof(S, HOST), sizeof(static_cast<S*>(nullptr)->HOST)}

// Left out on purpose:
//  - io_uring_buf_ring.bufs: the 6.1 header declares it with the C-only
//    __DECLARE_FLEX_ARRAY, which in C++ puts bufs at offset 8 instead of 0
//    (empty structs have size 1 in C++). Our header gets 0 in both
//    languages; layout_test.cc checks that directly.
//  - io_uring_sync_cancel_reg.pad: 6.1 has pad[4] at 32; later kernels split it into
//    opcode, pad[7] and pad2[3]. The struct size (64) is still compared.
//  - IORING_OP_LAST / IORING_REGISTER_LAST: version-dependent sentinels.
//  - io_uring_notification_slot / io_uring_notification_register: in 6.1
//    only, removed before 6.18.
LayoutTable HostLayout() {
  LayoutTable t;
  t.fields = {
      URINGSIM_STRUCT(io_uring_sqe),
      URINGSIM_FIELD(io_uring_sqe, opcode),
      URINGSIM_FIELD(io_uring_sqe, flags),
      URINGSIM_FIELD(io_uring_sqe, ioprio),
      URINGSIM_FIELD(io_uring_sqe, fd),
      URINGSIM_FIELD(io_uring_sqe, off),
      URINGSIM_FIELD(io_uring_sqe, addr2),
      URINGSIM_FIELD(io_uring_sqe, cmd_op),
      URINGSIM_FIELD(io_uring_sqe, __pad1),
      URINGSIM_FIELD(io_uring_sqe, addr),
      URINGSIM_FIELD(io_uring_sqe, splice_off_in),
      URINGSIM_FIELD(io_uring_sqe, len),
      URINGSIM_FIELD(io_uring_sqe, rw_flags),
      URINGSIM_FIELD(io_uring_sqe, fsync_flags),
      URINGSIM_FIELD(io_uring_sqe, poll_events),
      URINGSIM_FIELD(io_uring_sqe, poll32_events),
      URINGSIM_FIELD(io_uring_sqe, sync_range_flags),
      URINGSIM_FIELD(io_uring_sqe, msg_flags),
      URINGSIM_FIELD(io_uring_sqe, timeout_flags),
      URINGSIM_FIELD(io_uring_sqe, accept_flags),
      URINGSIM_FIELD(io_uring_sqe, cancel_flags),
      URINGSIM_FIELD(io_uring_sqe, open_flags),
      URINGSIM_FIELD(io_uring_sqe, statx_flags),
      URINGSIM_FIELD(io_uring_sqe, fadvise_advice),
      URINGSIM_FIELD(io_uring_sqe, splice_flags),
      URINGSIM_FIELD(io_uring_sqe, rename_flags),
      URINGSIM_FIELD(io_uring_sqe, unlink_flags),
      URINGSIM_FIELD(io_uring_sqe, hardlink_flags),
      URINGSIM_FIELD(io_uring_sqe, xattr_flags),
      URINGSIM_FIELD(io_uring_sqe, msg_ring_flags),
      URINGSIM_FIELD(io_uring_sqe, uring_cmd_flags),
      URINGSIM_FIELD(io_uring_sqe, user_data),
      URINGSIM_FIELD(io_uring_sqe, buf_index),
      URINGSIM_FIELD(io_uring_sqe, buf_group),
      URINGSIM_FIELD(io_uring_sqe, personality),
      URINGSIM_FIELD(io_uring_sqe, splice_fd_in),
      URINGSIM_FIELD(io_uring_sqe, file_index),
      URINGSIM_FIELD(io_uring_sqe, addr_len),
      URINGSIM_FIELD(io_uring_sqe, __pad3),
      URINGSIM_FIELD(io_uring_sqe, addr3),
      URINGSIM_FIELD(io_uring_sqe, __pad2),
      URINGSIM_FIELD(io_uring_sqe, cmd),
      URINGSIM_STRUCT(io_uring_cqe),
      URINGSIM_FIELD(io_uring_cqe, user_data),
      URINGSIM_FIELD(io_uring_cqe, res),
      URINGSIM_FIELD(io_uring_cqe, flags),
      URINGSIM_FLEX_FIELD(io_uring_cqe, big_cqe),
      URINGSIM_STRUCT(io_sqring_offsets),
      URINGSIM_FIELD(io_sqring_offsets, head),
      URINGSIM_FIELD(io_sqring_offsets, tail),
      URINGSIM_FIELD(io_sqring_offsets, ring_mask),
      URINGSIM_FIELD(io_sqring_offsets, ring_entries),
      URINGSIM_FIELD(io_sqring_offsets, flags),
      URINGSIM_FIELD(io_sqring_offsets, dropped),
      URINGSIM_FIELD(io_sqring_offsets, array),
      URINGSIM_FIELD(io_sqring_offsets, resv1),
      URINGSIM_RENAMED_FIELD(io_sqring_offsets, user_addr, resv2),
      URINGSIM_STRUCT(io_cqring_offsets),
      URINGSIM_FIELD(io_cqring_offsets, head),
      URINGSIM_FIELD(io_cqring_offsets, tail),
      URINGSIM_FIELD(io_cqring_offsets, ring_mask),
      URINGSIM_FIELD(io_cqring_offsets, ring_entries),
      URINGSIM_FIELD(io_cqring_offsets, overflow),
      URINGSIM_FIELD(io_cqring_offsets, cqes),
      URINGSIM_FIELD(io_cqring_offsets, flags),
      URINGSIM_FIELD(io_cqring_offsets, resv1),
      URINGSIM_RENAMED_FIELD(io_cqring_offsets, user_addr, resv2),
      URINGSIM_STRUCT(io_uring_params),
      URINGSIM_FIELD(io_uring_params, sq_entries),
      URINGSIM_FIELD(io_uring_params, cq_entries),
      URINGSIM_FIELD(io_uring_params, flags),
      URINGSIM_FIELD(io_uring_params, sq_thread_cpu),
      URINGSIM_FIELD(io_uring_params, sq_thread_idle),
      URINGSIM_FIELD(io_uring_params, features),
      URINGSIM_FIELD(io_uring_params, wq_fd),
      URINGSIM_FIELD(io_uring_params, resv),
      URINGSIM_FIELD(io_uring_params, sq_off),
      URINGSIM_FIELD(io_uring_params, cq_off),
      URINGSIM_STRUCT(io_uring_files_update),
      URINGSIM_FIELD(io_uring_files_update, offset),
      URINGSIM_FIELD(io_uring_files_update, resv),
      URINGSIM_FIELD(io_uring_files_update, fds),
      URINGSIM_STRUCT(io_uring_rsrc_register),
      URINGSIM_FIELD(io_uring_rsrc_register, nr),
      URINGSIM_FIELD(io_uring_rsrc_register, flags),
      URINGSIM_FIELD(io_uring_rsrc_register, resv2),
      URINGSIM_FIELD(io_uring_rsrc_register, data),
      URINGSIM_FIELD(io_uring_rsrc_register, tags),
      URINGSIM_STRUCT(io_uring_rsrc_update),
      URINGSIM_FIELD(io_uring_rsrc_update, offset),
      URINGSIM_FIELD(io_uring_rsrc_update, resv),
      URINGSIM_FIELD(io_uring_rsrc_update, data),
      URINGSIM_STRUCT(io_uring_rsrc_update2),
      URINGSIM_FIELD(io_uring_rsrc_update2, offset),
      URINGSIM_FIELD(io_uring_rsrc_update2, resv),
      URINGSIM_FIELD(io_uring_rsrc_update2, data),
      URINGSIM_FIELD(io_uring_rsrc_update2, tags),
      URINGSIM_FIELD(io_uring_rsrc_update2, nr),
      URINGSIM_FIELD(io_uring_rsrc_update2, resv2),
      URINGSIM_STRUCT(io_uring_probe_op),
      URINGSIM_FIELD(io_uring_probe_op, op),
      URINGSIM_FIELD(io_uring_probe_op, resv),
      URINGSIM_FIELD(io_uring_probe_op, flags),
      URINGSIM_FIELD(io_uring_probe_op, resv2),
      URINGSIM_STRUCT(io_uring_probe),
      URINGSIM_FIELD(io_uring_probe, last_op),
      URINGSIM_FIELD(io_uring_probe, ops_len),
      URINGSIM_FIELD(io_uring_probe, resv),
      URINGSIM_FIELD(io_uring_probe, resv2),
      URINGSIM_FLEX_FIELD(io_uring_probe, ops),
      URINGSIM_STRUCT(io_uring_restriction),
      URINGSIM_FIELD(io_uring_restriction, opcode),
      URINGSIM_FIELD(io_uring_restriction, register_op),
      URINGSIM_FIELD(io_uring_restriction, sqe_op),
      URINGSIM_FIELD(io_uring_restriction, sqe_flags),
      URINGSIM_FIELD(io_uring_restriction, resv),
      URINGSIM_FIELD(io_uring_restriction, resv2),
      URINGSIM_STRUCT(io_uring_buf),
      URINGSIM_FIELD(io_uring_buf, addr),
      URINGSIM_FIELD(io_uring_buf, len),
      URINGSIM_FIELD(io_uring_buf, bid),
      URINGSIM_FIELD(io_uring_buf, resv),
      URINGSIM_STRUCT(io_uring_buf_ring),
      URINGSIM_FIELD(io_uring_buf_ring, resv1),
      URINGSIM_FIELD(io_uring_buf_ring, resv2),
      URINGSIM_FIELD(io_uring_buf_ring, resv3),
      URINGSIM_FIELD(io_uring_buf_ring, tail),
      URINGSIM_STRUCT(io_uring_buf_reg),
      URINGSIM_FIELD(io_uring_buf_reg, ring_addr),
      URINGSIM_FIELD(io_uring_buf_reg, ring_entries),
      URINGSIM_FIELD(io_uring_buf_reg, bgid),
      URINGSIM_RENAMED_FIELD(io_uring_buf_reg, flags, pad),
      URINGSIM_FIELD(io_uring_buf_reg, resv),
      URINGSIM_STRUCT(io_uring_getevents_arg),
      URINGSIM_FIELD(io_uring_getevents_arg, sigmask),
      URINGSIM_FIELD(io_uring_getevents_arg, sigmask_sz),
      URINGSIM_RENAMED_FIELD(io_uring_getevents_arg, min_wait_usec, pad),
      URINGSIM_FIELD(io_uring_getevents_arg, ts),
      URINGSIM_STRUCT(io_uring_sync_cancel_reg),
      URINGSIM_FIELD(io_uring_sync_cancel_reg, addr),
      URINGSIM_FIELD(io_uring_sync_cancel_reg, fd),
      URINGSIM_FIELD(io_uring_sync_cancel_reg, flags),
      URINGSIM_FIELD(io_uring_sync_cancel_reg, timeout),
      URINGSIM_STRUCT(io_uring_file_index_range),
      URINGSIM_FIELD(io_uring_file_index_range, off),
      URINGSIM_FIELD(io_uring_file_index_range, len),
      URINGSIM_FIELD(io_uring_file_index_range, resv),
      URINGSIM_STRUCT(io_uring_recvmsg_out),
      URINGSIM_FIELD(io_uring_recvmsg_out, namelen),
      URINGSIM_FIELD(io_uring_recvmsg_out, controllen),
      URINGSIM_FIELD(io_uring_recvmsg_out, payloadlen),
      URINGSIM_FIELD(io_uring_recvmsg_out, flags),
  };
  t.constants = {
#ifdef IORING_FILE_INDEX_ALLOC
      URINGSIM_CONST(IORING_FILE_INDEX_ALLOC),
#endif
#ifdef IOSQE_FIXED_FILE
      URINGSIM_CONST(IOSQE_FIXED_FILE),
#endif
#ifdef IOSQE_IO_DRAIN
      URINGSIM_CONST(IOSQE_IO_DRAIN),
#endif
#ifdef IOSQE_IO_LINK
      URINGSIM_CONST(IOSQE_IO_LINK),
#endif
#ifdef IOSQE_IO_HARDLINK
      URINGSIM_CONST(IOSQE_IO_HARDLINK),
#endif
#ifdef IOSQE_ASYNC
      URINGSIM_CONST(IOSQE_ASYNC),
#endif
#ifdef IOSQE_BUFFER_SELECT
      URINGSIM_CONST(IOSQE_BUFFER_SELECT),
#endif
#ifdef IOSQE_CQE_SKIP_SUCCESS
      URINGSIM_CONST(IOSQE_CQE_SKIP_SUCCESS),
#endif
#ifdef IORING_SETUP_IOPOLL
      URINGSIM_CONST(IORING_SETUP_IOPOLL),
#endif
#ifdef IORING_SETUP_SQPOLL
      URINGSIM_CONST(IORING_SETUP_SQPOLL),
#endif
#ifdef IORING_SETUP_SQ_AFF
      URINGSIM_CONST(IORING_SETUP_SQ_AFF),
#endif
#ifdef IORING_SETUP_CQSIZE
      URINGSIM_CONST(IORING_SETUP_CQSIZE),
#endif
#ifdef IORING_SETUP_CLAMP
      URINGSIM_CONST(IORING_SETUP_CLAMP),
#endif
#ifdef IORING_SETUP_ATTACH_WQ
      URINGSIM_CONST(IORING_SETUP_ATTACH_WQ),
#endif
#ifdef IORING_SETUP_R_DISABLED
      URINGSIM_CONST(IORING_SETUP_R_DISABLED),
#endif
#ifdef IORING_SETUP_SUBMIT_ALL
      URINGSIM_CONST(IORING_SETUP_SUBMIT_ALL),
#endif
#ifdef IORING_SETUP_COOP_TASKRUN
      URINGSIM_CONST(IORING_SETUP_COOP_TASKRUN),
#endif
#ifdef IORING_SETUP_TASKRUN_FLAG
      URINGSIM_CONST(IORING_SETUP_TASKRUN_FLAG),
#endif
#ifdef IORING_SETUP_SQE128
      URINGSIM_CONST(IORING_SETUP_SQE128),
#endif
#ifdef IORING_SETUP_CQE32
      URINGSIM_CONST(IORING_SETUP_CQE32),
#endif
#ifdef IORING_SETUP_SINGLE_ISSUER
      URINGSIM_CONST(IORING_SETUP_SINGLE_ISSUER),
#endif
#ifdef IORING_SETUP_DEFER_TASKRUN
      URINGSIM_CONST(IORING_SETUP_DEFER_TASKRUN),
#endif
#ifdef IORING_URING_CMD_FIXED
      URINGSIM_CONST(IORING_URING_CMD_FIXED),
#endif
#ifdef IORING_FSYNC_DATASYNC
      URINGSIM_CONST(IORING_FSYNC_DATASYNC),
#endif
#ifdef IORING_TIMEOUT_ABS
      URINGSIM_CONST(IORING_TIMEOUT_ABS),
#endif
#ifdef IORING_TIMEOUT_UPDATE
      URINGSIM_CONST(IORING_TIMEOUT_UPDATE),
#endif
#ifdef IORING_TIMEOUT_BOOTTIME
      URINGSIM_CONST(IORING_TIMEOUT_BOOTTIME),
#endif
#ifdef IORING_TIMEOUT_REALTIME
      URINGSIM_CONST(IORING_TIMEOUT_REALTIME),
#endif
#ifdef IORING_LINK_TIMEOUT_UPDATE
      URINGSIM_CONST(IORING_LINK_TIMEOUT_UPDATE),
#endif
#ifdef IORING_TIMEOUT_ETIME_SUCCESS
      URINGSIM_CONST(IORING_TIMEOUT_ETIME_SUCCESS),
#endif
#ifdef IORING_TIMEOUT_CLOCK_MASK
      URINGSIM_CONST(IORING_TIMEOUT_CLOCK_MASK),
#endif
#ifdef IORING_TIMEOUT_UPDATE_MASK
      URINGSIM_CONST(IORING_TIMEOUT_UPDATE_MASK),
#endif
#ifdef SPLICE_F_FD_IN_FIXED
      URINGSIM_CONST(SPLICE_F_FD_IN_FIXED),
#endif
#ifdef IORING_POLL_ADD_MULTI
      URINGSIM_CONST(IORING_POLL_ADD_MULTI),
#endif
#ifdef IORING_POLL_UPDATE_EVENTS
      URINGSIM_CONST(IORING_POLL_UPDATE_EVENTS),
#endif
#ifdef IORING_POLL_UPDATE_USER_DATA
      URINGSIM_CONST(IORING_POLL_UPDATE_USER_DATA),
#endif
#ifdef IORING_POLL_ADD_LEVEL
      URINGSIM_CONST(IORING_POLL_ADD_LEVEL),
#endif
#ifdef IORING_ASYNC_CANCEL_ALL
      URINGSIM_CONST(IORING_ASYNC_CANCEL_ALL),
#endif
#ifdef IORING_ASYNC_CANCEL_FD
      URINGSIM_CONST(IORING_ASYNC_CANCEL_FD),
#endif
#ifdef IORING_ASYNC_CANCEL_ANY
      URINGSIM_CONST(IORING_ASYNC_CANCEL_ANY),
#endif
#ifdef IORING_ASYNC_CANCEL_FD_FIXED
      URINGSIM_CONST(IORING_ASYNC_CANCEL_FD_FIXED),
#endif
#ifdef IORING_ASYNC_CANCEL_USERDATA
      URINGSIM_CONST(IORING_ASYNC_CANCEL_USERDATA),
#endif
#ifdef IORING_ASYNC_CANCEL_OP
      URINGSIM_CONST(IORING_ASYNC_CANCEL_OP),
#endif
#ifdef IORING_RECVSEND_POLL_FIRST
      URINGSIM_CONST(IORING_RECVSEND_POLL_FIRST),
#endif
#ifdef IORING_RECV_MULTISHOT
      URINGSIM_CONST(IORING_RECV_MULTISHOT),
#endif
#ifdef IORING_RECVSEND_FIXED_BUF
      URINGSIM_CONST(IORING_RECVSEND_FIXED_BUF),
#endif
#ifdef IORING_SEND_ZC_REPORT_USAGE
      URINGSIM_CONST(IORING_SEND_ZC_REPORT_USAGE),
#endif
#ifdef IORING_NOTIF_USAGE_ZC_COPIED
      URINGSIM_CONST(IORING_NOTIF_USAGE_ZC_COPIED),
#endif
#ifdef IORING_ACCEPT_MULTISHOT
      URINGSIM_CONST(IORING_ACCEPT_MULTISHOT),
#endif
#ifdef IORING_MSG_RING_CQE_SKIP
      URINGSIM_CONST(IORING_MSG_RING_CQE_SKIP),
#endif
#ifdef IORING_CQE_F_BUFFER
      URINGSIM_CONST(IORING_CQE_F_BUFFER),
#endif
#ifdef IORING_CQE_F_MORE
      URINGSIM_CONST(IORING_CQE_F_MORE),
#endif
#ifdef IORING_CQE_F_SOCK_NONEMPTY
      URINGSIM_CONST(IORING_CQE_F_SOCK_NONEMPTY),
#endif
#ifdef IORING_CQE_F_NOTIF
      URINGSIM_CONST(IORING_CQE_F_NOTIF),
#endif
#ifdef IORING_OFF_SQ_RING
      URINGSIM_CONST(IORING_OFF_SQ_RING),
#endif
#ifdef IORING_OFF_CQ_RING
      URINGSIM_CONST(IORING_OFF_CQ_RING),
#endif
#ifdef IORING_OFF_SQES
      URINGSIM_CONST(IORING_OFF_SQES),
#endif
#ifdef IORING_OFF_MMAP_MASK
      URINGSIM_CONST(IORING_OFF_MMAP_MASK),
#endif
#ifdef IORING_SQ_NEED_WAKEUP
      URINGSIM_CONST(IORING_SQ_NEED_WAKEUP),
#endif
#ifdef IORING_SQ_CQ_OVERFLOW
      URINGSIM_CONST(IORING_SQ_CQ_OVERFLOW),
#endif
#ifdef IORING_SQ_TASKRUN
      URINGSIM_CONST(IORING_SQ_TASKRUN),
#endif
#ifdef IORING_CQ_EVENTFD_DISABLED
      URINGSIM_CONST(IORING_CQ_EVENTFD_DISABLED),
#endif
#ifdef IORING_ENTER_GETEVENTS
      URINGSIM_CONST(IORING_ENTER_GETEVENTS),
#endif
#ifdef IORING_ENTER_SQ_WAKEUP
      URINGSIM_CONST(IORING_ENTER_SQ_WAKEUP),
#endif
#ifdef IORING_ENTER_SQ_WAIT
      URINGSIM_CONST(IORING_ENTER_SQ_WAIT),
#endif
#ifdef IORING_ENTER_EXT_ARG
      URINGSIM_CONST(IORING_ENTER_EXT_ARG),
#endif
#ifdef IORING_ENTER_REGISTERED_RING
      URINGSIM_CONST(IORING_ENTER_REGISTERED_RING),
#endif
#ifdef IORING_FEAT_SINGLE_MMAP
      URINGSIM_CONST(IORING_FEAT_SINGLE_MMAP),
#endif
#ifdef IORING_FEAT_NODROP
      URINGSIM_CONST(IORING_FEAT_NODROP),
#endif
#ifdef IORING_FEAT_SUBMIT_STABLE
      URINGSIM_CONST(IORING_FEAT_SUBMIT_STABLE),
#endif
#ifdef IORING_FEAT_RW_CUR_POS
      URINGSIM_CONST(IORING_FEAT_RW_CUR_POS),
#endif
#ifdef IORING_FEAT_CUR_PERSONALITY
      URINGSIM_CONST(IORING_FEAT_CUR_PERSONALITY),
#endif
#ifdef IORING_FEAT_FAST_POLL
      URINGSIM_CONST(IORING_FEAT_FAST_POLL),
#endif
#ifdef IORING_FEAT_POLL_32BITS
      URINGSIM_CONST(IORING_FEAT_POLL_32BITS),
#endif
#ifdef IORING_FEAT_SQPOLL_NONFIXED
      URINGSIM_CONST(IORING_FEAT_SQPOLL_NONFIXED),
#endif
#ifdef IORING_FEAT_EXT_ARG
      URINGSIM_CONST(IORING_FEAT_EXT_ARG),
#endif
#ifdef IORING_FEAT_NATIVE_WORKERS
      URINGSIM_CONST(IORING_FEAT_NATIVE_WORKERS),
#endif
#ifdef IORING_FEAT_RSRC_TAGS
      URINGSIM_CONST(IORING_FEAT_RSRC_TAGS),
#endif
#ifdef IORING_FEAT_CQE_SKIP
      URINGSIM_CONST(IORING_FEAT_CQE_SKIP),
#endif
#ifdef IORING_FEAT_LINKED_FILE
      URINGSIM_CONST(IORING_FEAT_LINKED_FILE),
#endif
#ifdef IORING_RSRC_REGISTER_SPARSE
      URINGSIM_CONST(IORING_RSRC_REGISTER_SPARSE),
#endif
#ifdef IORING_REGISTER_FILES_SKIP
      URINGSIM_CONST(IORING_REGISTER_FILES_SKIP),
#endif
#ifdef IO_URING_OP_SUPPORTED
      URINGSIM_CONST(IO_URING_OP_SUPPORTED),
#endif
      // Enumerators (cannot be tested with #ifdef); all exist in 6.1.
      // IORING_OP_LAST and IORING_REGISTER_LAST are left out: they are
      // "one past the highest" sentinels and grow with every kernel (6.1: 49
      // and 26; 6.18: 63 and 36, checked in layout_test.cc).
      URINGSIM_CONST(IOSQE_FIXED_FILE_BIT),
      URINGSIM_CONST(IOSQE_IO_DRAIN_BIT),
      URINGSIM_CONST(IOSQE_IO_LINK_BIT),
      URINGSIM_CONST(IOSQE_IO_HARDLINK_BIT),
      URINGSIM_CONST(IOSQE_ASYNC_BIT),
      URINGSIM_CONST(IOSQE_BUFFER_SELECT_BIT),
      URINGSIM_CONST(IOSQE_CQE_SKIP_SUCCESS_BIT),
      URINGSIM_CONST(IORING_OP_NOP),
      URINGSIM_CONST(IORING_OP_READV),
      URINGSIM_CONST(IORING_OP_WRITEV),
      URINGSIM_CONST(IORING_OP_FSYNC),
      URINGSIM_CONST(IORING_OP_READ_FIXED),
      URINGSIM_CONST(IORING_OP_WRITE_FIXED),
      URINGSIM_CONST(IORING_OP_POLL_ADD),
      URINGSIM_CONST(IORING_OP_POLL_REMOVE),
      URINGSIM_CONST(IORING_OP_SYNC_FILE_RANGE),
      URINGSIM_CONST(IORING_OP_SENDMSG),
      URINGSIM_CONST(IORING_OP_RECVMSG),
      URINGSIM_CONST(IORING_OP_TIMEOUT),
      URINGSIM_CONST(IORING_OP_TIMEOUT_REMOVE),
      URINGSIM_CONST(IORING_OP_ACCEPT),
      URINGSIM_CONST(IORING_OP_ASYNC_CANCEL),
      URINGSIM_CONST(IORING_OP_LINK_TIMEOUT),
      URINGSIM_CONST(IORING_OP_CONNECT),
      URINGSIM_CONST(IORING_OP_FALLOCATE),
      URINGSIM_CONST(IORING_OP_OPENAT),
      URINGSIM_CONST(IORING_OP_CLOSE),
      URINGSIM_CONST(IORING_OP_FILES_UPDATE),
      URINGSIM_CONST(IORING_OP_STATX),
      URINGSIM_CONST(IORING_OP_READ),
      URINGSIM_CONST(IORING_OP_WRITE),
      URINGSIM_CONST(IORING_OP_FADVISE),
      URINGSIM_CONST(IORING_OP_MADVISE),
      URINGSIM_CONST(IORING_OP_SEND),
      URINGSIM_CONST(IORING_OP_RECV),
      URINGSIM_CONST(IORING_OP_OPENAT2),
      URINGSIM_CONST(IORING_OP_EPOLL_CTL),
      URINGSIM_CONST(IORING_OP_SPLICE),
      URINGSIM_CONST(IORING_OP_PROVIDE_BUFFERS),
      URINGSIM_CONST(IORING_OP_REMOVE_BUFFERS),
      URINGSIM_CONST(IORING_OP_TEE),
      URINGSIM_CONST(IORING_OP_SHUTDOWN),
      URINGSIM_CONST(IORING_OP_RENAMEAT),
      URINGSIM_CONST(IORING_OP_UNLINKAT),
      URINGSIM_CONST(IORING_OP_MKDIRAT),
      URINGSIM_CONST(IORING_OP_SYMLINKAT),
      URINGSIM_CONST(IORING_OP_LINKAT),
      URINGSIM_CONST(IORING_OP_MSG_RING),
      URINGSIM_CONST(IORING_OP_FSETXATTR),
      URINGSIM_CONST(IORING_OP_SETXATTR),
      URINGSIM_CONST(IORING_OP_FGETXATTR),
      URINGSIM_CONST(IORING_OP_GETXATTR),
      URINGSIM_CONST(IORING_OP_SOCKET),
      URINGSIM_CONST(IORING_OP_URING_CMD),
      URINGSIM_CONST(IORING_OP_SEND_ZC),
      URINGSIM_CONST(IORING_OP_SENDMSG_ZC),
      URINGSIM_CONST(IORING_MSG_DATA),
      URINGSIM_CONST(IORING_MSG_SEND_FD),
      URINGSIM_CONST(IORING_REGISTER_BUFFERS),
      URINGSIM_CONST(IORING_UNREGISTER_BUFFERS),
      URINGSIM_CONST(IORING_REGISTER_FILES),
      URINGSIM_CONST(IORING_UNREGISTER_FILES),
      URINGSIM_CONST(IORING_REGISTER_EVENTFD),
      URINGSIM_CONST(IORING_UNREGISTER_EVENTFD),
      URINGSIM_CONST(IORING_REGISTER_FILES_UPDATE),
      URINGSIM_CONST(IORING_REGISTER_EVENTFD_ASYNC),
      URINGSIM_CONST(IORING_REGISTER_PROBE),
      URINGSIM_CONST(IORING_REGISTER_PERSONALITY),
      URINGSIM_CONST(IORING_UNREGISTER_PERSONALITY),
      URINGSIM_CONST(IORING_REGISTER_RESTRICTIONS),
      URINGSIM_CONST(IORING_REGISTER_ENABLE_RINGS),
      URINGSIM_CONST(IORING_REGISTER_FILES2),
      URINGSIM_CONST(IORING_REGISTER_FILES_UPDATE2),
      URINGSIM_CONST(IORING_REGISTER_BUFFERS2),
      URINGSIM_CONST(IORING_REGISTER_BUFFERS_UPDATE),
      URINGSIM_CONST(IORING_REGISTER_IOWQ_AFF),
      URINGSIM_CONST(IORING_UNREGISTER_IOWQ_AFF),
      URINGSIM_CONST(IORING_REGISTER_IOWQ_MAX_WORKERS),
      URINGSIM_CONST(IORING_REGISTER_RING_FDS),
      URINGSIM_CONST(IORING_UNREGISTER_RING_FDS),
      URINGSIM_CONST(IORING_REGISTER_PBUF_RING),
      URINGSIM_CONST(IORING_UNREGISTER_PBUF_RING),
      URINGSIM_CONST(IORING_REGISTER_SYNC_CANCEL),
      URINGSIM_CONST(IORING_REGISTER_FILE_ALLOC_RANGE),
      URINGSIM_CONST(IO_WQ_BOUND),
      URINGSIM_CONST(IO_WQ_UNBOUND),
      URINGSIM_CONST(IORING_RESTRICTION_REGISTER_OP),
      URINGSIM_CONST(IORING_RESTRICTION_SQE_OP),
      URINGSIM_CONST(IORING_RESTRICTION_SQE_FLAGS_ALLOWED),
      URINGSIM_CONST(IORING_RESTRICTION_SQE_FLAGS_REQUIRED),
      URINGSIM_CONST(IORING_RESTRICTION_LAST),
      URINGSIM_CONST(IORING_CQE_BUFFER_SHIFT),
  };
  return t;
}

}  // namespace uringsim::uapi_test
