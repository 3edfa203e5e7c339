// Request: one SQE on its way through the model (the kernel's io_kiocb).
#pragma once

#include <cstdint>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel_model/fault.h"
#include "kernel_model/files.h"
#include "uapi/io_uring.h"

namespace uringsim {

struct BufferNode;

struct Request {
  // The SQE as it was read, once, from shared memory (first 64 bytes; SQE128's second
  // half is copied into `sqe_ext` when the ring has 128-byte SQEs).
  io_uring_sqe sqe{};
  uint8_t sqe_ext[64]{};
  uint32_t sqe_index = 0;  // the SQ slot it came from

  uint8_t opcode = 0;
  uint8_t flags = 0;  // IOSQE_*
  uint64_t user_data = 0;

  // Decoded by prep (meaning per opcode family; e.g. rw: user address, length, file
  // offset, RWF_* flags, registered buffer index, iovec count for vectored ops).
  uint64_t addr = 0;
  uint32_t len = 0;
  int64_t off = 0;
  uint32_t op_flags = 0;
  uint16_t buf_index = 0;

  // rw: the iovec array of READV/WRITEV, copied from user memory at prep (6.18 imports
  // it there, so later changes to the user's array do not matter: FEAT_SUBMIT_STABLE),
  // lengths already capped so their sum is at most MAX_RW_COUNT.
  struct UserIovec {
    uint64_t base = 0;
    uint64_t len = 0;
  };
  std::vector<UserIovec> iov;

  // kbuf (kbuf.cc): the provided buffer(s) picked for IOSQE_BUFFER_SELECT, as the
  // kernel's REQ_F_BUFFER_SELECTED / REQ_F_BUFFER_RING / REQ_F_BUFFERS_COMMIT state.
  struct SelectedBuffers {
    enum class Kind : uint8_t { kNone, kLegacy, kRing };
    Kind kind = Kind::kNone;
    bool commit = false;      // ring: head not advanced yet (REQ_F_BUFFERS_COMMIT)
    bool no_recycle = false;  // REQ_F_BL_NO_RECYCLE
    bool list_empty = false;  // REQ_F_BL_EMPTY: the group had nothing left after this pick
    uint16_t bgid = 0;
    uint16_t bid = 0;         // the (first) buffer id, reported in the CQE
    uint64_t addr = 0;        // legacy: the buffer, to put it back on a retry
    uint32_t len = 0;
    uint32_t wanted = UINT32_MAX;  // the length the SQE asked for (UINT32_MAX: not read yet)
  };
  SelectedBuffers kbuf;
  // net (net.cc): send/recv state that survives a poll retry (io_sr_msg).
  struct NetState {
    uint32_t done_io = 0;     // bytes moved by earlier passes (MSG_WAITALL retries)
    uint32_t msg_flags = 0;   // MSG_* as the op passes them to the socket
    uint32_t flags = 0;       // sqe->ioprio (IORING_RECVSEND_*) plus internal bits
    uint32_t mshot_len = 0;   // multishot recv: per-CQE length cap
    uint32_t vec_nr = 0;      // size of the cached iovec array (kmsg->vec.nr), 0 = none
    bool polled = false;      // REQ_F_POLLED: went through poll at least once
    bool zc_notif = false;    // zero-copy: a notification CQE is owed
    uint32_t nr_multishot_loops = 0;
    std::vector<std::byte> name;     // sendmsg/sendto destination, recvmsg name buffer
    uint64_t msghdr = 0;             // SENDMSG/RECVMSG: user address of the msghdr
    uint64_t msg_name_addr = 0;      // recvmsg: where to write the source address
    uint64_t msg_control_addr = 0;   // recvmsg/sendmsg: control buffer
    uint64_t msg_controllen = 0;
  };
  NetState net;

  // OPENAT/OPENAT2/STATX: the path read at prep, and open_how.
  std::string path;
  uint64_t open_flags = 0;
  uint64_t open_mode = 0;
  uint64_t open_resolve = 0;

  // Resolved by prep/issue.
  std::shared_ptr<File> file;
  std::shared_ptr<BufferNode> buf;  // registered buffer this request holds while in flight

  // Outcome.
  int32_t res = 0;
  uint32_t cqe_flags = 0;
  uint64_t big_cqe[2] = {0, 0};
  bool failed = false;          // REQ_F_FAIL: completes with `res`, links fail after it
  bool skip_cqe = false;        // IOSQE_CQE_SKIP_SUCCESS applies to this completion
  bool complete_in_task_work = false;  // post the CQE from task work (NOP's IORING_NOP_TW)
  std::optional<Fault> fault;   // why it failed, for explain mode and traces

  // Where the request lives in its context's pool, and how it is linked.
  int32_t self = -1;
  int32_t link_next = -1;     // next member of its link chain
  int32_t link_timeout = -1;  // an IORING_OP_LINK_TIMEOUT guarding this request
  int32_t guarded = -1;       // for a LINK_TIMEOUT: the request it guards
  bool drain = false;         // IOSQE_IO_DRAIN: waits for everything submitted before it
  bool force_async = false;   // IOSQE_ASYNC, or queued behind a drain

  // Parking: a request that could not complete at issue (kIssueParked).
  enum class Park : uint8_t { kNone, kTimer, kSequence, kPoll };
  Park park = Park::kNone;
  uint64_t deadline_ns = 0;  // kTimer: when it fires, on the model clock
  uint32_t target_seq = 0;   // kSequence: CQ position (less timeouts) that completes it
  uint32_t repeats = 0;      // multishot timeouts: firings left (0 = unlimited)
  uint64_t period_ns = 0;    // multishot timeouts: the re-arm interval
  uint32_t poll_events = 0;  // kPoll: what the file must be ready for before a retry
  bool poll_edge = false;    // multishot poll: posted for the current ready period
  // [poll wakeups] multishot POLL_ADD (poll.cc): File::wakeups() already taken in, and
  // wakeups taken in whose task work has not run yet (DEFER_TASKRUN outside a wait)
  // with the mask of the first of them (0: ask poll() when it runs).
  uint64_t poll_wakeups_seen = 0;
  uint32_t poll_wakeups_pending = 0;
  uint32_t poll_pending_mask = 0;

  // Marks the request failed with `f` (res = -f.err). Returns res for convenience.
  int32_t fail(Fault f) {
    res = -f.err;
    failed = true;
    fault = std::move(f);
    return res;
  }
};

}  // namespace uringsim
