#include "kernel_model/opdef.h"

#include "kernel_model/cancel.h"
#include "kernel_model/filetable.h"
#include "kernel_model/kbuf.h"
#include "kernel_model/net.h"
#include "kernel_model/msg_ring.h"
#include "kernel_model/nop.h"
#include "kernel_model/openclose.h"
#include "kernel_model/poll.h"
#include "kernel_model/rw.h"
#include "kernel_model/sync.h"
#include "kernel_model/timeout.h"

namespace uringsim {

namespace {

// Traits mirror Linux 6.18's io_issue_defs. Rows with null prep exist in Linux but
// are not simulated yet: they fail with -EINVAL and a reason naming them. Their
// buffer_select/ioprio traits are still right, so the checks that precede prep in
// io_init_req (BUFFER_SELECT -> EOPNOTSUPP) give Linux's errno for them too.
#define NOT_SIMULATED nullptr, nullptr
constexpr OpDef kTable[IORING_OP_LAST] = {
    /*  0 */ {"NOP", 5, 1, false, false, false, false, true, false, io_nop_prep, io_nop},
    /*  1 */ {"READV", 5, 1, true, true, true, true, true, true, io_prep_readv, io_read},
    /*  2 */ {"WRITEV", 5, 1, true, true, false, true, true, true, io_prep_writev, io_write},
    /*  3 */ {"FSYNC", 5, 1, true, false, false, false, false, false, io_fsync_prep, io_fsync},
    /*  4 */ {"READ_FIXED", 5, 1, true, true, false, true, true, false, io_prep_read_fixed, io_read},
    /*  5 */ {"WRITE_FIXED", 5, 1, true, true, false, true, true, false, io_prep_write_fixed, io_write},
    /*  6 */ {"POLL_ADD", 5, 1, true, true, false, false, false, false, io_poll_add_prep, io_poll_add},
    /*  7 */ {"POLL_REMOVE", 5, 1, false, false, false, false, false, false, io_poll_remove_prep, io_poll_remove},
    /*  8 */ {"SYNC_FILE_RANGE", 5, 2, true, false, false, false, false, false, NOT_SIMULATED},
    /*  9 */ {"SENDMSG", 5, 3, true, true, false, true, false, false, io_sendmsg_prep, io_send},
    /* 10 */ {"RECVMSG", 5, 3, true, true, true, true, false, false, io_recvmsg_prep, io_recv},
    /* 11 */ {"TIMEOUT", 5, 4, false, false, false, false, false, false, io_timeout_prep, io_timeout},
    /* 12 */ {"TIMEOUT_REMOVE", 5, 5, false, false, false, false, false, false, io_timeout_remove_prep, io_timeout_remove},
    /* 13 */ {"ACCEPT", 5, 5, true, true, false, true, false, false, NOT_SIMULATED},
    /* 14 */ {"ASYNC_CANCEL", 5, 5, false, false, false, false, false, false, io_async_cancel_prep, io_async_cancel},
    /* 15 */ {"LINK_TIMEOUT", 5, 5, false, false, false, false, false, false, io_link_timeout_prep, io_link_timeout},
    /* 16 */ {"CONNECT", 5, 5, true, true, false, false, false, false, NOT_SIMULATED},
    /* 17 */ {"FALLOCATE", 5, 6, true, false, false, false, false, false, NOT_SIMULATED},
    /* 18 */ {"OPENAT", 5, 6, false, false, false, false, false, false, io_openat_prep, io_openat},
    /* 19 */ {"CLOSE", 5, 6, false, false, false, false, false, false, io_close_prep, io_close},
    /* 20 */ {"FILES_UPDATE", 5, 6, false, false, false, false, true, false, io_files_update_prep, io_files_update},
    /* 21 */ {"STATX", 5, 6, false, false, false, false, false, false, io_statx_prep, io_statx},
    /* 22 */ {"READ", 5, 6, true, true, true, true, true, false, io_prep_read, io_read},
    /* 23 */ {"WRITE", 5, 6, true, true, false, true, true, false, io_prep_write, io_write},
    /* 24 */ {"FADVISE", 5, 6, true, false, false, false, false, false, NOT_SIMULATED},
    /* 25 */ {"MADVISE", 5, 6, false, false, false, false, false, false, NOT_SIMULATED},
    /* 26 */ {"SEND", 5, 6, true, true, true, true, false, false, io_sendmsg_prep, io_send},
    /* 27 */ {"RECV", 5, 6, true, true, true, true, false, false, io_recvmsg_prep, io_recv},
    /* 28 */ {"OPENAT2", 5, 6, false, false, false, false, false, false, io_openat2_prep, io_openat},
    /* 29 */ {"EPOLL_CTL", 5, 6, true, true, false, false, false, false, NOT_SIMULATED},
    /* 30 */ {"SPLICE", 5, 7, true, true, false, false, false, false, NOT_SIMULATED},
    /* 31 */ {"PROVIDE_BUFFERS", 5, 7, false, false, false, false, true, false, io_provide_buffers_prep, io_manage_buffers_legacy},
    /* 32 */ {"REMOVE_BUFFERS", 5, 7, false, false, false, false, true, false, io_remove_buffers_prep, io_manage_buffers_legacy},
    /* 33 */ {"TEE", 5, 8, true, true, false, false, false, false, NOT_SIMULATED},
    /* 34 */ {"SHUTDOWN", 5, 11, true, false, false, false, false, false, NOT_SIMULATED},
    /* 35 */ {"RENAMEAT", 5, 11, false, false, false, false, false, false, NOT_SIMULATED},
    /* 36 */ {"UNLINKAT", 5, 11, false, false, false, false, false, false, NOT_SIMULATED},
    /* 37 */ {"MKDIRAT", 5, 15, false, false, false, false, false, false, NOT_SIMULATED},
    /* 38 */ {"SYMLINKAT", 5, 15, false, false, false, false, false, false, NOT_SIMULATED},
    /* 39 */ {"LINKAT", 5, 15, false, false, false, false, false, false, NOT_SIMULATED},
    /* 40 */ {"MSG_RING", 5, 18, true, false, false, false, true, false, io_msg_ring_prep, io_msg_ring},
    /* 41 */ {"FSETXATTR", 5, 19, true, false, false, false, false, false, NOT_SIMULATED},
    /* 42 */ {"SETXATTR", 5, 19, false, false, false, false, false, false, NOT_SIMULATED},
    /* 43 */ {"FGETXATTR", 5, 19, true, false, false, false, false, false, NOT_SIMULATED},
    /* 44 */ {"GETXATTR", 5, 19, false, false, false, false, false, false, NOT_SIMULATED},
    /* 45 */ {"SOCKET", 5, 19, false, false, false, false, false, false, NOT_SIMULATED},
    /* 46 */ {"URING_CMD", 5, 19, true, false, true, true, true, false, NOT_SIMULATED},
    /* 47 */ {"SEND_ZC", 6, 0, true, true, false, true, false, false, io_send_zc_prep, io_send_zc},
    /* 48 */ {"SENDMSG_ZC", 6, 1, true, true, false, true, false, false, io_send_zc_prep, io_send_zc},
    /* 49 */ {"READ_MULTISHOT", 6, 7, true, true, true, true, false, false, io_read_mshot_prep, io_read_mshot},
    /* 50 */ {"WAITID", 6, 7, false, false, false, false, false, false, NOT_SIMULATED},
    /* 51 */ {"FUTEX_WAIT", 6, 7, false, false, false, false, false, false, NOT_SIMULATED},
    /* 52 */ {"FUTEX_WAKE", 6, 7, false, false, false, false, false, false, NOT_SIMULATED},
    /* 53 */ {"FUTEX_WAITV", 6, 7, false, false, false, false, false, false, NOT_SIMULATED},
    /* 54 */ {"FIXED_FD_INSTALL", 6, 8, true, false, false, false, false, false, NOT_SIMULATED},
    /* 55 */ {"FTRUNCATE", 6, 9, true, false, false, false, false, false, NOT_SIMULATED},
    /* 56 */ {"BIND", 6, 11, true, false, false, false, false, false, NOT_SIMULATED},
    /* 57 */ {"LISTEN", 6, 11, true, false, false, false, false, false, NOT_SIMULATED},
    /* 58 */ {"RECV_ZC", 6, 15, true, true, false, true, false, false, NOT_SIMULATED},
    /* 59 */ {"EPOLL_WAIT", 6, 15, true, true, false, false, false, false, NOT_SIMULATED},
    /* 60 */ {"READV_FIXED", 6, 15, true, true, false, true, true, true, io_prep_readv_fixed, io_read},
    /* 61 */ {"WRITEV_FIXED", 6, 15, true, true, false, true, true, true, io_prep_writev_fixed, io_write},
    /* 62 */ {"PIPE", 6, 16, false, false, false, false, false, false, NOT_SIMULATED},
};
#undef NOT_SIMULATED

}  // namespace

const OpDef& opdef(uint8_t opcode) { return kTable[opcode]; }

const char* op_name(uint8_t opcode) {
  return opcode < IORING_OP_LAST ? kTable[opcode].name : "UNKNOWN";
}

}  // namespace uringsim
