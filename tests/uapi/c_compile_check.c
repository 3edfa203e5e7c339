/*
 * Proves that uapi/io_uring.h compiles as C (C11 plus the GNU extensions the
 * kernel's own uapi headers rely on). The header's own _Static_asserts run
 * here too; these few add checks that only make sense from C.
 */
#include <stddef.h>

#include "uapi/io_uring.h"

_Static_assert(sizeof(struct io_uring_sqe) == 64, "sqe is 64 bytes");
_Static_assert(sizeof(struct io_uring_cqe) == 16, "cqe is 16 bytes");
_Static_assert(offsetof(struct io_uring_buf_ring, bufs) == 0, "bufs starts the ring");
_Static_assert(offsetof(struct io_uring_buf_ring, tail) == 14, "tail overlays bufs[0].resv");
_Static_assert(offsetof(struct io_uring_sqe, cmd) == 48, "SQE128 payload starts at 48");
_Static_assert(IORING_OP_LAST == 63, "6.18 has 63 opcodes");
_Static_assert(IORING_REGISTER_LAST == 36, "6.18 has 36 register opcodes");
_Static_assert(IORING_SETUP_CQE_MIXED == (1U << 18), "CQE_MIXED is bit 18");
