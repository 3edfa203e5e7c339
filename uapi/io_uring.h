/*
 * uringsim — the io_uring user ABI as of Linux 6.18.
 *
 * This header is written for uringsim from the published ABI facts (names,
 * sizes, offsets, values); it is not a copy of the kernel's header text. It is
 * meant to be a drop-in replacement for <linux/io_uring.h> from Linux 6.18:
 * every struct, field, union member and constant has the kernel's name, size,
 * offset and value, so code written against the real header compiles against
 * this one and produces byte-identical SQEs, CQEs and argument structs.
 *
 * Usable from C (C11, GNU extensions allowed) and C++. Do not include it in the
 * same translation unit as the system <linux/io_uring.h>: both define the same
 * names.
 *
 * Things that are deliberately absent because 6.18 does not have them:
 * IORING_SETUP_SQE_MIXED / SQ_REWIND, IORING_OP_NOP128 / URING_CMD128,
 * IORING_REGISTER_ZCRX_CTRL / BPF_FILTER, IORING_TIMEOUT_IMMEDIATE_ARG,
 * io_uring_buf_reg.min_left, and struct io_uring_cqwait_reg_arg (removed
 * before 6.13 shipped). The query interface (IORING_REGISTER_QUERY's argument
 * structs) lives in a separate kernel header and is not reproduced here, nor
 * are the zero-copy receive (zcrx) registration structs.
 */
#ifndef URINGSIM_UAPI_IO_URING_H
#define URINGSIM_UAPI_IO_URING_H

#include <linux/types.h>      /* __u8 .. __u64, __s32, __aligned_u64 */
#include <linux/time_types.h> /* struct __kernel_timespec */

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A flexible array that can sit inside a union. C needs it wrapped in a struct
 * with a (zero-sized, GNU) leading member; C++ gives an empty struct size 1,
 * which would shift the array, so C++ uses a GNU zero-length array instead.
 * Either way the array starts at offset 0 of the union.
 */
#ifdef __cplusplus
#define URINGSIM_FLEX_ARRAY_IN_UNION(TYPE, NAME) TYPE NAME[0]
#else
#define URINGSIM_FLEX_ARRAY_IN_UNION(TYPE, NAME) \
	struct {                                  \
		struct {                          \
		} uringsim_empty_##NAME;          \
		TYPE NAME[];                      \
	}
#endif

/* Compile-time layout checks that work in both languages. */
#ifdef __cplusplus
#define URINGSIM_UAPI_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define URINGSIM_UAPI_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif
#ifdef __cplusplus
#define URINGSIM_UAPI_OFFSETOF(type, member) __builtin_offsetof(type, member)
#else
#define URINGSIM_UAPI_OFFSETOF(type, member) __builtin_offsetof(struct type, member)
#endif
#ifdef __cplusplus
#define URINGSIM_UAPI_SIZEOF(type) sizeof(type)
#else
#define URINGSIM_UAPI_SIZEOF(type) sizeof(struct type)
#endif
#define URINGSIM_UAPI_CHECK_SIZE(type, size) \
	URINGSIM_UAPI_ASSERT(URINGSIM_UAPI_SIZEOF(type) == (size), #type " size")
#define URINGSIM_UAPI_CHECK_OFF(type, member, off)                      \
	URINGSIM_UAPI_ASSERT(URINGSIM_UAPI_OFFSETOF(type, member) == (off), \
			     #type "." #member " offset")

/* ------------------------------------------------------------------------ */
/* Submission queue entry: one request, 64 bytes (128 on SQE128 rings).     */
/* ------------------------------------------------------------------------ */

struct io_uring_sqe {
	__u8 opcode;  /* IORING_OP_* */
	__u8 flags;   /* IOSQE_* */
	__u16 ioprio; /* I/O priority, or per-op flags for send/recv/accept */
	__s32 fd;     /* target fd, or registered-file index with FIXED_FILE */
	union {       /* byte 8 */
		__u64 off;   /* file position */
		__u64 addr2; /* second address (e.g. sendto destination) */
		struct {
			__u32 cmd_op; /* URING_CMD sub-command */
			__u32 __pad1;
		};
	};
	union {                     /* byte 16 */
		__u64 addr;          /* buffer or iovec array address */
		__u64 splice_off_in; /* SPLICE: offset in the input file */
		struct {
			__u32 level;   /* socket option level */
			__u32 optname; /* socket option name */
		};
	};
	__u32 len; /* byte 24: byte count or iovec count */
	union {    /* byte 28: flags whose meaning depends on the opcode */
		__u32 rw_flags;
		__u32 fsync_flags;
		__u16 poll_events; /* legacy 16-bit poll mask */
		__u32 poll32_events;
		__u32 sync_range_flags;
		__u32 msg_flags;
		__u32 timeout_flags;
		__u32 accept_flags;
		__u32 cancel_flags;
		__u32 open_flags;
		__u32 statx_flags;
		__u32 fadvise_advice;
		__u32 splice_flags;
		__u32 rename_flags;
		__u32 unlink_flags;
		__u32 hardlink_flags;
		__u32 xattr_flags;
		__u32 msg_ring_flags;
		__u32 uring_cmd_flags;
		__u32 waitid_flags;
		__u32 futex_flags;
		__u32 install_fd_flags;
		__u32 nop_flags;
		__u32 pipe_flags;
	};
	__u64 user_data; /* byte 32: copied unchanged into the CQE */
	/* byte 40: packed so that ABIs with odd union alignment keep 2 bytes */
	union {
		__u16 buf_index; /* registered-buffer index */
		__u16 buf_group; /* provided-buffer group (IOSQE_BUFFER_SELECT) */
	} __attribute__((packed));
	__u16 personality; /* byte 42: registered credentials id, 0 = none */
	union {            /* byte 44 */
		__s32 splice_fd_in;
		__u32 file_index; /* direct-descriptor slot + 1 */
		__u32 zcrx_ifq_idx;
		__u32 optlen;
		struct {
			__u16 addr_len; /* length of the addr2 sockaddr */
			__u16 __pad3[1];
		};
		struct {
			__u8 write_stream;
			__u8 __pad4[3];
		};
	};
	union { /* byte 48 */
		struct {
			__u64 addr3;
			__u64 __pad2[1];
		};
		struct {
			__u64 attr_ptr;       /* address of read/write attributes */
			__u64 attr_type_mask; /* IORING_RW_ATTR_FLAG_* present */
		};
		__u64 optval;
		/* On SQE128 rings this runs for 80 bytes of command payload. */
		__u8 cmd[0];
	};
};

/* Read/write attributes (IORING_FEAT_RW_ATTR): bits of sqe->attr_type_mask. */
#define IORING_RW_ATTR_FLAG_PI (1U << 0)

/* Protection-information attribute pointed to by sqe->attr_ptr. */
struct io_uring_attr_pi {
	__u16 flags;
	__u16 app_tag;
	__u32 len;
	__u64 addr;
	__u64 seed;
	__u64 rsvd;
};

/* sqe->file_index value asking the kernel to pick a free direct slot. */
#define IORING_FILE_INDEX_ALLOC (~0U)

/* Bit numbers of sqe->flags. */
enum io_uring_sqe_flags_bit {
	IOSQE_FIXED_FILE_BIT,
	IOSQE_IO_DRAIN_BIT,
	IOSQE_IO_LINK_BIT,
	IOSQE_IO_HARDLINK_BIT,
	IOSQE_ASYNC_BIT,
	IOSQE_BUFFER_SELECT_BIT,
	IOSQE_CQE_SKIP_SUCCESS_BIT,
};

/* sqe->flags */
#define IOSQE_FIXED_FILE (1U << IOSQE_FIXED_FILE_BIT)             /* fd is a registered index */
#define IOSQE_IO_DRAIN (1U << IOSQE_IO_DRAIN_BIT)                 /* wait for everything before */
#define IOSQE_IO_LINK (1U << IOSQE_IO_LINK_BIT)                   /* next SQE runs after this succeeds */
#define IOSQE_IO_HARDLINK (1U << IOSQE_IO_HARDLINK_BIT)           /* next SQE runs after this, even on error */
#define IOSQE_ASYNC (1U << IOSQE_ASYNC_BIT)                       /* go straight to the worker pool */
#define IOSQE_BUFFER_SELECT (1U << IOSQE_BUFFER_SELECT_BIT)       /* pick a buffer from buf_group */
#define IOSQE_CQE_SKIP_SUCCESS (1U << IOSQE_CQE_SKIP_SUCCESS_BIT) /* no CQE when it succeeds */

/* io_uring_setup(2) flags: io_uring_params.flags */
#define IORING_SETUP_IOPOLL (1U << 0)              /* busy-poll for completions */
#define IORING_SETUP_SQPOLL (1U << 1)              /* kernel thread consumes the SQ */
#define IORING_SETUP_SQ_AFF (1U << 2)              /* sq_thread_cpu is meaningful */
#define IORING_SETUP_CQSIZE (1U << 3)              /* cq_entries chosen by the caller */
#define IORING_SETUP_CLAMP (1U << 4)               /* clamp oversize entry counts */
#define IORING_SETUP_ATTACH_WQ (1U << 5)           /* share wq_fd's worker pool */
#define IORING_SETUP_R_DISABLED (1U << 6)          /* start disabled until ENABLE_RINGS */
#define IORING_SETUP_SUBMIT_ALL (1U << 7)          /* keep submitting after a failed SQE */
#define IORING_SETUP_COOP_TASKRUN (1U << 8)        /* no IPI to run completion work */
#define IORING_SETUP_TASKRUN_FLAG (1U << 9)        /* raise IORING_SQ_TASKRUN when work waits */
#define IORING_SETUP_SQE128 (1U << 10)             /* 128-byte SQEs */
#define IORING_SETUP_CQE32 (1U << 11)              /* 32-byte CQEs */
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)      /* one task submits */
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)      /* run completion work only when waiting */
#define IORING_SETUP_NO_MMAP (1U << 14)            /* caller supplies ring memory */
#define IORING_SETUP_REGISTERED_FD_ONLY (1U << 15) /* return a registered ring index */
#define IORING_SETUP_NO_SQARRAY (1U << 16)         /* no SQ index indirection */
#define IORING_SETUP_HYBRID_IOPOLL (1U << 17)      /* sleep, then poll (needs IOPOLL) */
#define IORING_SETUP_CQE_MIXED (1U << 18)          /* 16- and 32-byte CQEs in one ring */

/* Request opcodes: sqe->opcode. */
enum io_uring_op {
	IORING_OP_NOP,
	IORING_OP_READV,
	IORING_OP_WRITEV,
	IORING_OP_FSYNC,
	IORING_OP_READ_FIXED,
	IORING_OP_WRITE_FIXED,
	IORING_OP_POLL_ADD,
	IORING_OP_POLL_REMOVE,
	IORING_OP_SYNC_FILE_RANGE,
	IORING_OP_SENDMSG,
	IORING_OP_RECVMSG,
	IORING_OP_TIMEOUT,
	IORING_OP_TIMEOUT_REMOVE,
	IORING_OP_ACCEPT,
	IORING_OP_ASYNC_CANCEL,
	IORING_OP_LINK_TIMEOUT,
	IORING_OP_CONNECT,
	IORING_OP_FALLOCATE,
	IORING_OP_OPENAT,
	IORING_OP_CLOSE,
	IORING_OP_FILES_UPDATE,
	IORING_OP_STATX,
	IORING_OP_READ,
	IORING_OP_WRITE,
	IORING_OP_FADVISE,
	IORING_OP_MADVISE,
	IORING_OP_SEND,
	IORING_OP_RECV,
	IORING_OP_OPENAT2,
	IORING_OP_EPOLL_CTL,
	IORING_OP_SPLICE,
	IORING_OP_PROVIDE_BUFFERS,
	IORING_OP_REMOVE_BUFFERS,
	IORING_OP_TEE,
	IORING_OP_SHUTDOWN,
	IORING_OP_RENAMEAT,
	IORING_OP_UNLINKAT,
	IORING_OP_MKDIRAT,
	IORING_OP_SYMLINKAT,
	IORING_OP_LINKAT,
	IORING_OP_MSG_RING,
	IORING_OP_FSETXATTR,
	IORING_OP_SETXATTR,
	IORING_OP_FGETXATTR,
	IORING_OP_GETXATTR,
	IORING_OP_SOCKET,
	IORING_OP_URING_CMD,
	IORING_OP_SEND_ZC,
	IORING_OP_SENDMSG_ZC,
	IORING_OP_READ_MULTISHOT,
	IORING_OP_WAITID,
	IORING_OP_FUTEX_WAIT,
	IORING_OP_FUTEX_WAKE,
	IORING_OP_FUTEX_WAITV,
	IORING_OP_FIXED_FD_INSTALL,
	IORING_OP_FTRUNCATE,
	IORING_OP_BIND,
	IORING_OP_LISTEN,
	IORING_OP_RECV_ZC,
	IORING_OP_EPOLL_WAIT,
	IORING_OP_READV_FIXED,
	IORING_OP_WRITEV_FIXED,
	IORING_OP_PIPE,

	/* one past the highest opcode (63 on 6.18) */
	IORING_OP_LAST,
};

/* sqe->uring_cmd_flags */
#define IORING_URING_CMD_FIXED (1U << 0)     /* use the registered buffer buf_index */
#define IORING_URING_CMD_MULTISHOT (1U << 1) /* command posts several CQEs */
#define IORING_URING_CMD_MASK (IORING_URING_CMD_FIXED | IORING_URING_CMD_MULTISHOT)

/* sqe->fsync_flags */
#define IORING_FSYNC_DATASYNC (1U << 0)

/* sqe->timeout_flags (TIMEOUT, TIMEOUT_REMOVE, LINK_TIMEOUT) */
#define IORING_TIMEOUT_ABS (1U << 0)
#define IORING_TIMEOUT_UPDATE (1U << 1)
#define IORING_TIMEOUT_BOOTTIME (1U << 2)
#define IORING_TIMEOUT_REALTIME (1U << 3)
#define IORING_LINK_TIMEOUT_UPDATE (1U << 4)
#define IORING_TIMEOUT_ETIME_SUCCESS (1U << 5)
#define IORING_TIMEOUT_MULTISHOT (1U << 6)
#define IORING_TIMEOUT_CLOCK_MASK (IORING_TIMEOUT_BOOTTIME | IORING_TIMEOUT_REALTIME)
#define IORING_TIMEOUT_UPDATE_MASK (IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE)

/* sqe->splice_flags: the top bit says splice_fd_in is a registered index. */
#define SPLICE_F_FD_IN_FIXED (1U << 31)

/* POLL_ADD / POLL_REMOVE command flags, carried in sqe->len. */
#define IORING_POLL_ADD_MULTI (1U << 0)        /* multishot: CQEs carry F_MORE */
#define IORING_POLL_UPDATE_EVENTS (1U << 1)    /* replace the event mask */
#define IORING_POLL_UPDATE_USER_DATA (1U << 2) /* replace the user_data */
#define IORING_POLL_ADD_LEVEL (1U << 3)        /* level-triggered */

/* sqe->cancel_flags (ASYNC_CANCEL and IORING_REGISTER_SYNC_CANCEL) */
#define IORING_ASYNC_CANCEL_ALL (1U << 0)      /* every match, not just the first */
#define IORING_ASYNC_CANCEL_FD (1U << 1)       /* match on fd */
#define IORING_ASYNC_CANCEL_ANY (1U << 2)      /* match anything */
#define IORING_ASYNC_CANCEL_FD_FIXED (1U << 3) /* the fd is a registered index */
#define IORING_ASYNC_CANCEL_USERDATA (1U << 4) /* match on user_data */
#define IORING_ASYNC_CANCEL_OP (1U << 5)       /* match on opcode */

/* send/recv family flags, carried in sqe->ioprio */
#define IORING_RECVSEND_POLL_FIRST (1U << 0)  /* poll before the first attempt */
#define IORING_RECV_MULTISHOT (1U << 1)       /* keep receiving, one CQE per chunk */
#define IORING_RECVSEND_FIXED_BUF (1U << 2)   /* zero-copy send from a registered buffer */
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3) /* notification says whether data was copied */
#define IORING_RECVSEND_BUNDLE (1U << 4)      /* several provided buffers per operation */
#define IORING_SEND_VECTORIZED (1U << 5)      /* SEND/SEND_ZC addr is an iovec array */

/* Bit in a SEND_ZC notification's res when REPORT_USAGE saw a copy. */
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)

/* accept flags, carried in sqe->ioprio */
#define IORING_ACCEPT_MULTISHOT (1U << 0)
#define IORING_ACCEPT_DONTWAIT (1U << 1)
#define IORING_ACCEPT_POLL_FIRST (1U << 2)

/* MSG_RING command, carried in sqe->addr */
enum io_uring_msg_ring_flags {
	IORING_MSG_DATA,    /* post a CQE with res = len, user_data = off */
	IORING_MSG_SEND_FD, /* move a registered file to the target ring */
};

/* sqe->msg_ring_flags */
#define IORING_MSG_RING_CQE_SKIP (1U << 0)   /* no CQE on the target ring */
#define IORING_MSG_RING_FLAGS_PASS (1U << 1) /* file_index becomes the target cqe->flags */

/* sqe->install_fd_flags (FIXED_FD_INSTALL) */
#define IORING_FIXED_FD_NO_CLOEXEC (1U << 0)

/* sqe->nop_flags */
#define IORING_NOP_INJECT_RESULT (1U << 0) /* res = (s32)len */
#define IORING_NOP_FILE (1U << 1)          /* look up fd */
#define IORING_NOP_FIXED_FILE (1U << 2)    /* fd is a registered index */
#define IORING_NOP_FIXED_BUFFER (1U << 3)  /* resolve buf_index */
#define IORING_NOP_TW (1U << 4)            /* complete through task work */
#define IORING_NOP_CQE32 (1U << 5)         /* post a 32-byte CQE */

/* ------------------------------------------------------------------------ */
/* Completion queue entry: 16 bytes (32 on CQE32 rings or F_32 entries).    */
/* ------------------------------------------------------------------------ */

struct io_uring_cqe {
	__u64 user_data; /* the SQE's user_data */
	__s32 res;       /* result, or -errno */
	__u32 flags;     /* IORING_CQE_F_*, buffer id in the top 16 bits */
	/* Second 16 bytes on CQE32 rings (and F_32 entries on CQE_MIXED rings). */
	__u64 big_cqe[];
};

/* cqe->flags */
#define IORING_CQE_F_BUFFER (1U << 0)        /* a provided buffer was used; id in bits 16..31 */
#define IORING_CQE_F_MORE (1U << 1)          /* more CQEs will follow for this request */
#define IORING_CQE_F_SOCK_NONEMPTY (1U << 2) /* socket still had data after this recv */
#define IORING_CQE_F_NOTIF (1U << 3)         /* zero-copy send notification */
#define IORING_CQE_F_BUF_MORE (1U << 4)      /* incremental buffer not used up yet */
#define IORING_CQE_F_SKIP (1U << 5)          /* padding entry: ignore, just advance */
#define IORING_CQE_F_32 (1U << 15)           /* this entry is 32 bytes (CQE_MIXED) */

#define IORING_CQE_BUFFER_SHIFT 16

/* mmap(2) offsets selecting which ring region to map */
#define IORING_OFF_SQ_RING 0ULL
#define IORING_OFF_CQ_RING 0x8000000ULL
#define IORING_OFF_SQES 0x10000000ULL
#define IORING_OFF_PBUF_RING 0x80000000ULL /* | (bgid << IORING_OFF_PBUF_SHIFT) */
#define IORING_OFF_PBUF_SHIFT 16
#define IORING_OFF_MMAP_MASK 0xf8000000ULL

/* Where the SQ ring's fields are, as byte offsets into the ring mapping. */
struct io_sqring_offsets {
	__u32 head;
	__u32 tail;
	__u32 ring_mask;
	__u32 ring_entries;
	__u32 flags;
	__u32 dropped;
	__u32 array;
	__u32 resv1;
	__u64 user_addr; /* ring memory, in with IORING_SETUP_NO_MMAP */
};

/* SQ ring flags word, written by the kernel */
#define IORING_SQ_NEED_WAKEUP (1U << 0) /* SQPOLL thread sleeps; enter with SQ_WAKEUP */
#define IORING_SQ_CQ_OVERFLOW (1U << 1) /* CQEs are waiting in the overflow list */
#define IORING_SQ_TASKRUN (1U << 2)     /* completion work waits for an enter */

/* Where the CQ ring's fields are, as byte offsets into the ring mapping. */
struct io_cqring_offsets {
	__u32 head;
	__u32 tail;
	__u32 ring_mask;
	__u32 ring_entries;
	__u32 overflow;
	__u32 cqes;
	__u32 flags;
	__u32 resv1;
	__u64 user_addr; /* ring memory, in with IORING_SETUP_NO_MMAP */
};

/* CQ ring flags word, written by the application */
#define IORING_CQ_EVENTFD_DISABLED (1U << 0) /* don't signal the registered eventfd */

/* io_uring_enter(2) flags */
#define IORING_ENTER_GETEVENTS (1U << 0)       /* wait for min_complete CQEs */
#define IORING_ENTER_SQ_WAKEUP (1U << 1)       /* wake the SQPOLL thread */
#define IORING_ENTER_SQ_WAIT (1U << 2)         /* wait for SQ space (SQPOLL) */
#define IORING_ENTER_EXT_ARG (1U << 3)         /* argp is io_uring_getevents_arg */
#define IORING_ENTER_REGISTERED_RING (1U << 4) /* fd is a registered ring index */
#define IORING_ENTER_ABS_TIMER (1U << 5)       /* the wait timeout is absolute */
#define IORING_ENTER_EXT_ARG_REG (1U << 6)     /* argp is an offset into the wait region */
#define IORING_ENTER_NO_IOWAIT (1U << 7)       /* don't account the wait as iowait */

/* io_uring_setup(2) argument: filled in and returned by the kernel. */
struct io_uring_params {
	__u32 sq_entries;
	__u32 cq_entries;
	__u32 flags;
	__u32 sq_thread_cpu;
	__u32 sq_thread_idle; /* milliseconds */
	__u32 features;       /* out: IORING_FEAT_* */
	__u32 wq_fd;
	__u32 resv[3]; /* must be zero */
	struct io_sqring_offsets sq_off;
	struct io_cqring_offsets cq_off;
};

/* io_uring_params.features: what this kernel offers */
#define IORING_FEAT_SINGLE_MMAP (1U << 0)
#define IORING_FEAT_NODROP (1U << 1)
#define IORING_FEAT_SUBMIT_STABLE (1U << 2)
#define IORING_FEAT_RW_CUR_POS (1U << 3)
#define IORING_FEAT_CUR_PERSONALITY (1U << 4)
#define IORING_FEAT_FAST_POLL (1U << 5)
#define IORING_FEAT_POLL_32BITS (1U << 6)
#define IORING_FEAT_SQPOLL_NONFIXED (1U << 7)
#define IORING_FEAT_EXT_ARG (1U << 8)
#define IORING_FEAT_NATIVE_WORKERS (1U << 9)
#define IORING_FEAT_RSRC_TAGS (1U << 10)
#define IORING_FEAT_CQE_SKIP (1U << 11)
#define IORING_FEAT_LINKED_FILE (1U << 12)
#define IORING_FEAT_REG_REG_RING (1U << 13)
#define IORING_FEAT_RECVSEND_BUNDLE (1U << 14)
#define IORING_FEAT_MIN_TIMEOUT (1U << 15)
#define IORING_FEAT_RW_ATTR (1U << 16)
#define IORING_FEAT_NO_IOWAIT (1U << 17)

/* io_uring_register(2) opcodes */
enum io_uring_register_op {
	IORING_REGISTER_BUFFERS = 0,
	IORING_UNREGISTER_BUFFERS = 1,
	IORING_REGISTER_FILES = 2,
	IORING_UNREGISTER_FILES = 3,
	IORING_REGISTER_EVENTFD = 4,
	IORING_UNREGISTER_EVENTFD = 5,
	IORING_REGISTER_FILES_UPDATE = 6,
	IORING_REGISTER_EVENTFD_ASYNC = 7,
	IORING_REGISTER_PROBE = 8,
	IORING_REGISTER_PERSONALITY = 9,
	IORING_UNREGISTER_PERSONALITY = 10,
	IORING_REGISTER_RESTRICTIONS = 11,
	IORING_REGISTER_ENABLE_RINGS = 12,

	/* tagged resource tables */
	IORING_REGISTER_FILES2 = 13,
	IORING_REGISTER_FILES_UPDATE2 = 14,
	IORING_REGISTER_BUFFERS2 = 15,
	IORING_REGISTER_BUFFERS_UPDATE = 16,

	/* worker pool CPU affinity and size */
	IORING_REGISTER_IOWQ_AFF = 17,
	IORING_UNREGISTER_IOWQ_AFF = 18,
	IORING_REGISTER_IOWQ_MAX_WORKERS = 19,

	/* per-task table of registered ring fds */
	IORING_REGISTER_RING_FDS = 20,
	IORING_UNREGISTER_RING_FDS = 21,

	/* provided-buffer rings */
	IORING_REGISTER_PBUF_RING = 22,
	IORING_UNREGISTER_PBUF_RING = 23,

	IORING_REGISTER_SYNC_CANCEL = 24,
	IORING_REGISTER_FILE_ALLOC_RANGE = 25,
	IORING_REGISTER_PBUF_STATUS = 26,

	/* NAPI busy polling */
	IORING_REGISTER_NAPI = 27,
	IORING_UNREGISTER_NAPI = 28,

	IORING_REGISTER_CLOCK = 29,
	IORING_REGISTER_CLONE_BUFFERS = 30,
	IORING_REGISTER_SEND_MSG_RING = 31, /* used with fd -1 */
	IORING_REGISTER_ZCRX_IFQ = 32,
	IORING_REGISTER_RESIZE_RINGS = 33,
	IORING_REGISTER_MEM_REGION = 34,
	IORING_REGISTER_QUERY = 35, /* also with fd -1 */

	/* one past the highest opcode (36 on 6.18) */
	IORING_REGISTER_LAST,

	/* OR'ed into the opcode: fd is a registered ring index */
	IORING_REGISTER_USE_REGISTERED_RING = 1U << 31
};

/* Worker classes for IORING_REGISTER_IOWQ_MAX_WORKERS */
enum {
	IO_WQ_BOUND,
	IO_WQ_UNBOUND,
};

/* Older update argument; same layout as io_uring_rsrc_update. */
struct io_uring_files_update {
	__u32 offset;
	__u32 resv;
	__aligned_u64 fds; /* address of an __s32 array */
};

/* io_uring_region_desc.flags */
enum {
	IORING_MEM_REGION_TYPE_USER = 1, /* memory supplied at user_addr */
};

/* One memory region shared between application and kernel. */
struct io_uring_region_desc {
	__u64 user_addr;
	__u64 size;
	__u32 flags;
	__u32 id;
	__u64 mmap_offset;
	__u64 __resv[4];
};

/* io_uring_mem_region_reg.flags */
enum {
	IORING_MEM_REGION_REG_WAIT_ARG = 1, /* region holds io_uring_reg_wait slots */
};

/* IORING_REGISTER_MEM_REGION argument */
struct io_uring_mem_region_reg {
	__u64 region_uptr; /* address of a struct io_uring_region_desc */
	__u64 flags;
	__u64 __resv[2];
};

/* io_uring_rsrc_register.flags: create an all-empty table of nr slots */
#define IORING_RSRC_REGISTER_SPARSE (1U << 0)

/* IORING_REGISTER_FILES2 / BUFFERS2 argument */
struct io_uring_rsrc_register {
	__u32 nr;
	__u32 flags;
	__u64 resv2;
	__aligned_u64 data;
	__aligned_u64 tags;
};

/* IORING_REGISTER_FILES_UPDATE argument */
struct io_uring_rsrc_update {
	__u32 offset;
	__u32 resv;
	__aligned_u64 data;
};

/* IORING_REGISTER_FILES_UPDATE2 / BUFFERS_UPDATE argument */
struct io_uring_rsrc_update2 {
	__u32 offset;
	__u32 resv;
	__aligned_u64 data;
	__aligned_u64 tags;
	__u32 nr;
	__u32 resv2;
};

/* An fd value in a files update that leaves the slot as it is */
#define IORING_REGISTER_FILES_SKIP (-2)

/* io_uring_probe_op.flags */
#define IO_URING_OP_SUPPORTED (1U << 0)

struct io_uring_probe_op {
	__u8 op;
	__u8 resv;
	__u16 flags; /* IO_URING_OP_* */
	__u32 resv2;
};

/* IORING_REGISTER_PROBE argument, followed by ops_len entries */
struct io_uring_probe {
	__u8 last_op; /* highest supported opcode */
	__u8 ops_len; /* entries filled in ops[] */
	__u16 resv;
	__u32 resv2[3];
	struct io_uring_probe_op ops[];
};

/* One rule for IORING_REGISTER_RESTRICTIONS */
struct io_uring_restriction {
	__u16 opcode; /* IORING_RESTRICTION_* */
	union {
		__u8 register_op;
		__u8 sqe_op;
		__u8 sqe_flags;
	};
	__u8 resv;
	__u32 resv2[3];
};

/* IORING_REGISTER_CLOCK argument */
struct io_uring_clock_register {
	__u32 clockid;
	__u32 __resv[3];
};

/* io_uring_clone_buffers.flags */
enum {
	IORING_REGISTER_SRC_REGISTERED = (1U << 0), /* src_fd is a registered ring index */
	IORING_REGISTER_DST_REPLACE = (1U << 1),    /* overwrite an existing table */
};

/* IORING_REGISTER_CLONE_BUFFERS argument */
struct io_uring_clone_buffers {
	__u32 src_fd;
	__u32 flags;
	__u32 src_off;
	__u32 dst_off;
	__u32 nr;
	__u32 pad[3];
};

/* One entry of a provided-buffer ring */
struct io_uring_buf {
	__u64 addr;
	__u32 len;
	__u16 bid;
	__u16 resv;
};

/*
 * A provided-buffer ring. The application's tail index shares storage with
 * bufs[0].resv (byte 14) so the ring needs no header of its own.
 */
struct io_uring_buf_ring {
	union {
		struct {
			__u64 resv1;
			__u32 resv2;
			__u16 resv3;
			__u16 tail;
		};
		URINGSIM_FLEX_ARRAY_IN_UNION(struct io_uring_buf, bufs);
	};
};

/* io_uring_buf_reg.flags */
enum io_uring_register_pbuf_ring_flags {
	IOU_PBUF_RING_MMAP = 1, /* kernel allocates; map at IORING_OFF_PBUF_RING */
	IOU_PBUF_RING_INC = 2,  /* buffers are consumed incrementally */
};

/* IORING_(UN)REGISTER_PBUF_RING argument */
struct io_uring_buf_reg {
	__u64 ring_addr;
	__u32 ring_entries;
	__u16 bgid;
	__u16 flags;
	__u64 resv[3];
};

/* IORING_REGISTER_PBUF_STATUS argument */
struct io_uring_buf_status {
	__u32 buf_group; /* in */
	__u32 head;      /* out */
	__u32 resv[8];
};

/* io_uring_napi.opcode */
enum io_uring_napi_op {
	IO_URING_NAPI_REGISTER_OP = 0,
	IO_URING_NAPI_STATIC_ADD_ID = 1,
	IO_URING_NAPI_STATIC_DEL_ID = 2,
};

/* io_uring_napi.op_param for IO_URING_NAPI_REGISTER_OP */
enum io_uring_napi_tracking_strategy {
	IO_URING_NAPI_TRACKING_DYNAMIC = 0,
	IO_URING_NAPI_TRACKING_STATIC = 1,
	IO_URING_NAPI_TRACKING_INACTIVE = 255,
};

/* IORING_(UN)REGISTER_NAPI argument */
struct io_uring_napi {
	__u32 busy_poll_to;
	__u8 prefer_busy_poll;
	__u8 opcode; /* enum io_uring_napi_op */
	__u8 pad[2];
	__u32 op_param; /* tracking strategy, or a NAPI id */
	__u32 resv;
};

/* io_uring_restriction.opcode */
enum io_uring_register_restriction_op {
	IORING_RESTRICTION_REGISTER_OP = 0,        /* allow a register opcode */
	IORING_RESTRICTION_SQE_OP = 1,             /* allow an SQE opcode */
	IORING_RESTRICTION_SQE_FLAGS_ALLOWED = 2,  /* allow these sqe->flags */
	IORING_RESTRICTION_SQE_FLAGS_REQUIRED = 3, /* require these sqe->flags */

	IORING_RESTRICTION_LAST
};

/* io_uring_reg_wait.flags */
enum {
	IORING_REG_WAIT_TS = (1U << 0), /* ts is valid */
};

/* One slot of a registered wait region (IORING_ENTER_EXT_ARG_REG). */
struct io_uring_reg_wait {
	struct __kernel_timespec ts;
	__u32 min_wait_usec;
	__u32 flags;
	__u64 sigmask;
	__u32 sigmask_sz;
	__u32 pad[3];
	__u64 pad2[2];
};

/* io_uring_enter(2) argument with IORING_ENTER_EXT_ARG */
struct io_uring_getevents_arg {
	__u64 sigmask;
	__u32 sigmask_sz;
	__u32 min_wait_usec;
	__u64 ts; /* address of a struct __kernel_timespec */
};

/* IORING_REGISTER_SYNC_CANCEL argument */
struct io_uring_sync_cancel_reg {
	__u64 addr;
	__s32 fd;
	__u32 flags;
	struct __kernel_timespec timeout;
	__u8 opcode;
	__u8 pad[7];
	__u64 pad2[3];
};

/* IORING_REGISTER_FILE_ALLOC_RANGE argument: slots [off, off + len) */
struct io_uring_file_index_range {
	__u32 off;
	__u32 len;
	__u64 resv;
};

/* Header written at the start of a multishot RECVMSG buffer */
struct io_uring_recvmsg_out {
	__u32 namelen;
	__u32 controllen;
	__u32 payloadlen;
	__u32 flags;
};

/* URING_CMD sub-commands on sockets (sqe->cmd_op) */
enum io_uring_socket_op {
	SOCKET_URING_OP_SIOCINQ = 0,
	SOCKET_URING_OP_SIOCOUTQ,
	SOCKET_URING_OP_GETSOCKOPT,
	SOCKET_URING_OP_SETSOCKOPT,
	SOCKET_URING_OP_TX_TIMESTAMP,
};

/* SOCKET_URING_OP_TX_TIMESTAMP: what the CQE flags carry */
#define IORING_TIMESTAMP_HW_SHIFT 16
#define IORING_TIMESTAMP_TYPE_SHIFT (IORING_TIMESTAMP_HW_SHIFT + 1)
#define IORING_CQE_F_TSTAMP_HW ((__u32)1 << IORING_TIMESTAMP_HW_SHIFT)

/* Timestamp carried in big_cqe[] by SOCKET_URING_OP_TX_TIMESTAMP */
struct io_timespec {
	__u64 tv_sec;
	__u64 tv_nsec;
};

/* ------------------------------------------------------------------------ */
/* Layout checks: sizes of every struct, offsets of the fields that matter. */
/* ------------------------------------------------------------------------ */

URINGSIM_UAPI_CHECK_SIZE(io_uring_sqe, 64);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, opcode, 0);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, flags, 1);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, ioprio, 2);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, fd, 4);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, off, 8);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, addr2, 8);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, cmd_op, 8);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, __pad1, 12);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, addr, 16);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, splice_off_in, 16);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, level, 16);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, optname, 20);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, len, 24);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, rw_flags, 28);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, poll_events, 28);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, nop_flags, 28);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, pipe_flags, 28);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, user_data, 32);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, buf_index, 40);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, buf_group, 40);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, personality, 42);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, splice_fd_in, 44);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, file_index, 44);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, zcrx_ifq_idx, 44);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, optlen, 44);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, addr_len, 44);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, __pad3, 46);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, write_stream, 44);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, __pad4, 45);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, addr3, 48);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, __pad2, 56);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, attr_ptr, 48);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, attr_type_mask, 56);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, optval, 48);
URINGSIM_UAPI_CHECK_OFF(io_uring_sqe, cmd, 48);

URINGSIM_UAPI_CHECK_SIZE(io_uring_attr_pi, 32);
URINGSIM_UAPI_CHECK_OFF(io_uring_attr_pi, len, 4);
URINGSIM_UAPI_CHECK_OFF(io_uring_attr_pi, addr, 8);
URINGSIM_UAPI_CHECK_OFF(io_uring_attr_pi, rsvd, 24);

URINGSIM_UAPI_CHECK_SIZE(io_uring_cqe, 16);
URINGSIM_UAPI_CHECK_OFF(io_uring_cqe, res, 8);
URINGSIM_UAPI_CHECK_OFF(io_uring_cqe, flags, 12);
URINGSIM_UAPI_CHECK_OFF(io_uring_cqe, big_cqe, 16);

URINGSIM_UAPI_CHECK_SIZE(io_sqring_offsets, 40);
URINGSIM_UAPI_CHECK_OFF(io_sqring_offsets, flags, 16);
URINGSIM_UAPI_CHECK_OFF(io_sqring_offsets, array, 24);
URINGSIM_UAPI_CHECK_OFF(io_sqring_offsets, user_addr, 32);
URINGSIM_UAPI_CHECK_SIZE(io_cqring_offsets, 40);
URINGSIM_UAPI_CHECK_OFF(io_cqring_offsets, overflow, 16);
URINGSIM_UAPI_CHECK_OFF(io_cqring_offsets, cqes, 20);
URINGSIM_UAPI_CHECK_OFF(io_cqring_offsets, flags, 24);
URINGSIM_UAPI_CHECK_OFF(io_cqring_offsets, user_addr, 32);

URINGSIM_UAPI_CHECK_SIZE(io_uring_params, 120);
URINGSIM_UAPI_CHECK_OFF(io_uring_params, features, 20);
URINGSIM_UAPI_CHECK_OFF(io_uring_params, wq_fd, 24);
URINGSIM_UAPI_CHECK_OFF(io_uring_params, resv, 28);
URINGSIM_UAPI_CHECK_OFF(io_uring_params, sq_off, 40);
URINGSIM_UAPI_CHECK_OFF(io_uring_params, cq_off, 80);

URINGSIM_UAPI_CHECK_SIZE(io_uring_files_update, 16);
URINGSIM_UAPI_CHECK_OFF(io_uring_files_update, fds, 8);
URINGSIM_UAPI_CHECK_SIZE(io_uring_region_desc, 64);
URINGSIM_UAPI_CHECK_OFF(io_uring_region_desc, mmap_offset, 24);
URINGSIM_UAPI_CHECK_SIZE(io_uring_mem_region_reg, 32);
URINGSIM_UAPI_CHECK_SIZE(io_uring_rsrc_register, 32);
URINGSIM_UAPI_CHECK_OFF(io_uring_rsrc_register, data, 16);
URINGSIM_UAPI_CHECK_OFF(io_uring_rsrc_register, tags, 24);
URINGSIM_UAPI_CHECK_SIZE(io_uring_rsrc_update, 16);
URINGSIM_UAPI_CHECK_OFF(io_uring_rsrc_update, data, 8);
URINGSIM_UAPI_CHECK_SIZE(io_uring_rsrc_update2, 32);
URINGSIM_UAPI_CHECK_OFF(io_uring_rsrc_update2, tags, 16);
URINGSIM_UAPI_CHECK_OFF(io_uring_rsrc_update2, nr, 24);
URINGSIM_UAPI_CHECK_SIZE(io_uring_probe_op, 8);
URINGSIM_UAPI_CHECK_SIZE(io_uring_probe, 16);
URINGSIM_UAPI_CHECK_OFF(io_uring_probe, ops, 16);
URINGSIM_UAPI_CHECK_SIZE(io_uring_restriction, 16);
URINGSIM_UAPI_CHECK_OFF(io_uring_restriction, register_op, 2);
URINGSIM_UAPI_CHECK_OFF(io_uring_restriction, resv2, 4);
URINGSIM_UAPI_CHECK_SIZE(io_uring_clock_register, 16);
URINGSIM_UAPI_CHECK_SIZE(io_uring_clone_buffers, 32);
URINGSIM_UAPI_CHECK_OFF(io_uring_clone_buffers, nr, 16);
URINGSIM_UAPI_CHECK_OFF(io_uring_clone_buffers, pad, 20);
URINGSIM_UAPI_CHECK_SIZE(io_uring_buf, 16);
URINGSIM_UAPI_CHECK_OFF(io_uring_buf, bid, 12);
URINGSIM_UAPI_CHECK_SIZE(io_uring_buf_ring, 16);
URINGSIM_UAPI_CHECK_OFF(io_uring_buf_ring, tail, 14);
URINGSIM_UAPI_CHECK_OFF(io_uring_buf_ring, bufs, 0);
URINGSIM_UAPI_CHECK_SIZE(io_uring_buf_reg, 40);
URINGSIM_UAPI_CHECK_OFF(io_uring_buf_reg, flags, 14);
URINGSIM_UAPI_CHECK_OFF(io_uring_buf_reg, resv, 16);
URINGSIM_UAPI_CHECK_SIZE(io_uring_buf_status, 40);
URINGSIM_UAPI_CHECK_SIZE(io_uring_napi, 16);
URINGSIM_UAPI_CHECK_OFF(io_uring_napi, op_param, 8);
URINGSIM_UAPI_CHECK_SIZE(io_uring_reg_wait, 64);
URINGSIM_UAPI_CHECK_OFF(io_uring_reg_wait, min_wait_usec, 16);
URINGSIM_UAPI_CHECK_OFF(io_uring_reg_wait, sigmask, 24);
URINGSIM_UAPI_CHECK_OFF(io_uring_reg_wait, pad2, 48);
URINGSIM_UAPI_CHECK_SIZE(io_uring_getevents_arg, 24);
URINGSIM_UAPI_CHECK_OFF(io_uring_getevents_arg, min_wait_usec, 12);
URINGSIM_UAPI_CHECK_OFF(io_uring_getevents_arg, ts, 16);
URINGSIM_UAPI_CHECK_SIZE(io_uring_sync_cancel_reg, 64);
URINGSIM_UAPI_CHECK_OFF(io_uring_sync_cancel_reg, timeout, 16);
URINGSIM_UAPI_CHECK_OFF(io_uring_sync_cancel_reg, opcode, 32);
URINGSIM_UAPI_CHECK_OFF(io_uring_sync_cancel_reg, pad2, 40);
URINGSIM_UAPI_CHECK_SIZE(io_uring_file_index_range, 16);
URINGSIM_UAPI_CHECK_SIZE(io_uring_recvmsg_out, 16);
URINGSIM_UAPI_CHECK_SIZE(io_timespec, 16);

#ifdef __cplusplus
}
#endif

#endif /* URINGSIM_UAPI_IO_URING_H */
