// Networking ops (io_uring/net.c, notif.c): SENDMSG (9), RECVMSG (10), SEND (26),
// RECV (27), SEND_ZC (47), SENDMSG_ZC (48), on the host's sockets through File.
//
// What they share, as in Linux 6.18:
//  - sqe->ioprio carries IORING_RECVSEND_* flags (POLL_FIRST, RECV_MULTISHOT,
//    FIXED_BUF for zero-copy sends, SEND_ZC_REPORT_USAGE, BUNDLE, SEND_VECTORIZED);
//  - IOSQE_BUFFER_SELECT picks provided buffers at issue (kbuf.h); BUNDLE takes
//    several consecutive ring buffers at once, res is bytes, the CQE names the first;
//  - a socket that would block parks the request (poll-armed) and the unused buffer
//    goes back; MSG_WAITALL on a stream socket keeps going after a short transfer;
//  - zero-copy sends post two CQEs: the result with IORING_CQE_F_MORE, then the
//    notification {res 0 (or IORING_NOTIF_USAGE_ZC_COPIED), IORING_CQE_F_NOTIF} --
//    also for errors found once the notification exists (prep after the
//    CQE_SKIP_SUCCESS check, a bad fd, a link cancellation, every issue-time error;
//    a silenced link cancellation posts the notification alone).
// Under the profile `rfc-provided-registered`, SEND_ZC also takes provided buffers
// and bundles, and with FIXED_BUF a provided buffer's addr encodes (registered buffer
// index, offset) -- see docs/rfc-provided-registered.md.
#pragma once

#include <cstdint>

namespace uringsim {

// The msg_flags bits the model reads or sets, as Linux's socket ABI numbers them. They
// are spelled out here so the model includes no socket API (the sockets are the
// host's, behind File::sock_send/sock_recv).
inline constexpr uint32_t kMsgCtrunc = 0x8;
inline constexpr uint32_t kMsgTrunc = 0x20;
inline constexpr uint32_t kMsgDontwait = 0x40;
inline constexpr uint32_t kMsgWaitall = 0x100;
inline constexpr uint32_t kMsgNosignal = 0x4000;
inline constexpr uint32_t kMsgZerocopy = 0x4000000;

// Request::NetState::flags bit (beside the IORING_RECVSEND_* ones): a zero-copy send
// completed as a victim of its failed link -- its CQE carries no F_MORE, its
// notification still follows (Context::finish).
inline constexpr uint32_t kNetFailedByLink = 1u << 30;


class Context;
struct Request;

int io_sendmsg_prep(Context& ctx, Request& req);  // SEND and SENDMSG
int io_recvmsg_prep(Context& ctx, Request& req);  // RECV and RECVMSG
int io_send_zc_prep(Context& ctx, Request& req);  // SEND_ZC and SENDMSG_ZC
int32_t io_send(Context& ctx, Request& req);      // SEND, SENDMSG
int32_t io_recv(Context& ctx, Request& req);      // RECV, RECVMSG
int32_t io_send_zc(Context& ctx, Request& req);   // SEND_ZC, SENDMSG_ZC

}  // namespace uringsim
