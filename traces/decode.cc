// Decoders for SQEs, CQEs, errnos and syscall flag words (see decode.h).
//
// The SQE decoder reads each opcode's fields where Linux 6.18's prep functions read
// them (io_uring/nop.c, rw.c, net.c, timeout.c, ...). Every field it shows marks its
// bytes as read; afterwards every unread, non-zero part of the 64 bytes is shown
// under its generic name, so junk in a field the opcode ignores (or rejects) is
// never invisible.
#include "traces/decode.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cstring>

#include "kernel_model/fault.h"
#include "kernel_model/opdef.h"

namespace uringsim::traces {

namespace {

std::string hex(uint64_t v) { return strprintf("0x%" PRIx64, v); }
std::string dec(uint64_t v) { return std::to_string(v); }
std::string sdec(int64_t v) { return std::to_string(v); }

template <size_t N>
std::string names_of(uint64_t v, const char* const (&names)[N]) {
  return flag_names(v, names, N);
}

// --- name tables (bit i named by entry i; null = no such bit) ------------------------

constexpr const char* kSqeFlags[] = {"FIXED_FILE", "IO_DRAIN", "IO_LINK", "IO_HARDLINK",
                                     "ASYNC", "BUFFER_SELECT", "CQE_SKIP_SUCCESS"};

constexpr const char* kCqeFlags[] = {"F_BUFFER", "F_MORE", "F_SOCK_NONEMPTY", "F_NOTIF",
                                     "F_BUF_MORE", "F_SKIP", nullptr, nullptr,
                                     nullptr, nullptr, nullptr, nullptr,
                                     nullptr, nullptr, nullptr, "F_32"};

constexpr const char* kSetupFlags[] = {
    "IOPOLL", "SQPOLL", "SQ_AFF", "CQSIZE", "CLAMP", "ATTACH_WQ", "R_DISABLED", "SUBMIT_ALL",
    "COOP_TASKRUN", "TASKRUN_FLAG", "SQE128", "CQE32", "SINGLE_ISSUER", "DEFER_TASKRUN",
    "NO_MMAP", "REGISTERED_FD_ONLY", "NO_SQARRAY", "HYBRID_IOPOLL", "CQE_MIXED"};

constexpr const char* kFeatures[] = {
    "SINGLE_MMAP", "NODROP", "SUBMIT_STABLE", "RW_CUR_POS", "CUR_PERSONALITY", "FAST_POLL",
    "POLL_32BITS", "SQPOLL_NONFIXED", "EXT_ARG", "NATIVE_WORKERS", "RSRC_TAGS", "CQE_SKIP",
    "LINKED_FILE", "REG_REG_RING", "RECVSEND_BUNDLE", "MIN_TIMEOUT", "RW_ATTR", "NO_IOWAIT"};

constexpr const char* kEnterFlags[] = {"GETEVENTS", "SQ_WAKEUP", "SQ_WAIT", "EXT_ARG",
                                       "REGISTERED_RING", "ABS_TIMER", "EXT_ARG_REG", "NO_IOWAIT"};

constexpr const char* kSqRingFlags[] = {"NEED_WAKEUP", "CQ_OVERFLOW", "TASKRUN"};

constexpr const char* kNopFlags[] = {"INJECT_RESULT", "FILE", "FIXED_FILE", "FIXED_BUFFER",
                                     "TW", "CQE32"};

// RWF_* (include/uapi/linux/fs.h): DONTCACHE 6.14, NOSIGNAL 6.17.
constexpr const char* kRwFlags[] = {"RWF_HIPRI", "RWF_DSYNC", "RWF_SYNC", "RWF_NOWAIT",
                                    "RWF_APPEND", "RWF_NOAPPEND", "RWF_ATOMIC", "RWF_DONTCACHE",
                                    "RWF_NOSIGNAL"};

constexpr const char* kFsyncFlags[] = {"DATASYNC"};

constexpr const char* kSyncRangeFlags[] = {"SYNC_FILE_RANGE_WAIT_BEFORE", "SYNC_FILE_RANGE_WRITE",
                                           "SYNC_FILE_RANGE_WAIT_AFTER"};

constexpr const char* kTimeoutFlags[] = {"ABS", "UPDATE", "BOOTTIME", "REALTIME",
                                         "LINK_TIMEOUT_UPDATE", "ETIME_SUCCESS", "MULTISHOT"};

constexpr const char* kPollEvents[] = {
    "POLLIN", "POLLPRI", "POLLOUT", "POLLERR", "POLLHUP", "POLLNVAL", "POLLRDNORM", "POLLRDBAND",
    "POLLWRNORM", "POLLWRBAND", "POLLMSG", nullptr, "POLLREMOVE", "POLLRDHUP", nullptr, nullptr,
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
    nullptr, nullptr, nullptr, nullptr, "EPOLLEXCLUSIVE", "EPOLLWAKEUP", "EPOLLONESHOT", "EPOLLET"};

constexpr const char* kPollCommand[] = {"ADD_MULTI", "UPDATE_EVENTS", "UPDATE_USER_DATA",
                                        "ADD_LEVEL"};

constexpr const char* kMsgFlags[] = {
    "MSG_OOB", "MSG_PEEK", "MSG_DONTROUTE", "MSG_CTRUNC", "MSG_PROXY", "MSG_TRUNC",
    "MSG_DONTWAIT", "MSG_EOR", "MSG_WAITALL", "MSG_FIN", "MSG_SYN", "MSG_CONFIRM", "MSG_RST",
    "MSG_ERRQUEUE", "MSG_NOSIGNAL", "MSG_MORE", "MSG_WAITFORONE", nullptr, "MSG_BATCH",
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, "MSG_ZEROCOPY", nullptr,
    nullptr, "MSG_FASTOPEN", "MSG_CMSG_CLOEXEC"};

constexpr const char* kRecvSendPrio[] = {"POLL_FIRST", "RECV_MULTISHOT", "FIXED_BUF",
                                         "SEND_ZC_REPORT_USAGE", "BUNDLE", "SEND_VECTORIZED"};

constexpr const char* kAcceptPrio[] = {"MULTISHOT", "DONTWAIT", "POLL_FIRST"};

constexpr const char* kCancelFlags[] = {"ALL", "FD", "ANY", "FD_FIXED", "USERDATA", "OP"};

// O_* on x86_64/generic, bits 2 and up (the access mode is decoded separately).
constexpr const char* kOpenFlags[] = {
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, "O_CREAT", "O_EXCL", "O_NOCTTY",
    "O_TRUNC", "O_APPEND", "O_NONBLOCK", "O_DSYNC", "O_ASYNC", "O_DIRECT", "O_LARGEFILE",
    "O_DIRECTORY", "O_NOFOLLOW", "O_NOATIME", "O_CLOEXEC", "__O_SYNC", "O_PATH", "__O_TMPFILE"};

// SOCK_NONBLOCK / SOCK_CLOEXEC share O_NONBLOCK's and O_CLOEXEC's bits.
constexpr const char* kSockFlags[] = {
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
    nullptr, "SOCK_NONBLOCK", nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
    "SOCK_CLOEXEC"};

constexpr const char* kAtFlags[] = {
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, "AT_SYMLINK_NOFOLLOW",
    "AT_REMOVEDIR", "AT_SYMLINK_FOLLOW", "AT_NO_AUTOMOUNT", "AT_EMPTY_PATH",
    "AT_STATX_FORCE_SYNC", "AT_STATX_DONT_SYNC"};

constexpr const char* kRenameFlags[] = {"RENAME_NOREPLACE", "RENAME_EXCHANGE", "RENAME_WHITEOUT"};

constexpr const char* kSpliceFlags[] = {
    "SPLICE_F_MOVE", "SPLICE_F_NONBLOCK", "SPLICE_F_MORE", "SPLICE_F_GIFT", nullptr, nullptr,
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, "SPLICE_F_FD_IN_FIXED"};

constexpr const char* kXattrFlags[] = {"XATTR_CREATE", "XATTR_REPLACE"};
constexpr const char* kMsgRingFlags[] = {"CQE_SKIP", "FLAGS_PASS"};
constexpr const char* kUringCmdFlags[] = {"FIXED", "MULTISHOT"};
constexpr const char* kInstallFdFlags[] = {"NO_CLOEXEC"};
constexpr const char* kRwAttrFlags[] = {"PI"};

constexpr const char* kFadvise[] = {"POSIX_FADV_NORMAL", "POSIX_FADV_RANDOM",
                                    "POSIX_FADV_SEQUENTIAL", "POSIX_FADV_WILLNEED",
                                    "POSIX_FADV_DONTNEED", "POSIX_FADV_NOREUSE"};
constexpr const char* kMadvise[] = {
    "MADV_NORMAL", "MADV_RANDOM", "MADV_SEQUENTIAL", "MADV_WILLNEED", "MADV_DONTNEED", nullptr,
    nullptr, nullptr, "MADV_FREE", "MADV_REMOVE", "MADV_DONTFORK", "MADV_DOFORK",
    "MADV_MERGEABLE", "MADV_UNMERGEABLE", "MADV_HUGEPAGE", "MADV_NOHUGEPAGE", "MADV_DONTDUMP",
    "MADV_DODUMP", "MADV_WIPEONFORK", "MADV_KEEPONFORK", "MADV_COLD", "MADV_PAGEOUT",
    "MADV_POPULATE_READ", "MADV_POPULATE_WRITE", "MADV_DONTNEED_LOCKED", "MADV_COLLAPSE"};
constexpr const char* kEpollCtlOps[] = {nullptr, "EPOLL_CTL_ADD", "EPOLL_CTL_DEL", "EPOLL_CTL_MOD"};
constexpr const char* kShutdownHow[] = {"SHUT_RD", "SHUT_WR", "SHUT_RDWR"};
constexpr const char* kMsgRingCmds[] = {"MSG_DATA", "MSG_SEND_FD"};
constexpr const char* kWaitidTypes[] = {"P_ALL", "P_PID", "P_PGID", "P_PIDFD"};

// An enumerated value: its name, or the number when the table has none.
template <size_t N>
std::string enum_name(uint64_t v, const char* const (&names)[N]) {
  if (v < N && names[v] != nullptr) return names[v];
  return dec(v);
}

std::string open_flag_names(uint32_t flags) {
  static constexpr const char* kAccess[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE(3)"};
  std::string rest = names_of(flags & ~3u, kOpenFlags);
  std::string out = kAccess[flags & 3];
  if (rest != "0") out += "|" + rest;
  return out;
}

// --- the SQE decoder ---------------------------------------------------------------

constexpr uint8_t kBufferSelectOps[] = {IORING_OP_READV,   IORING_OP_READ,    IORING_OP_SENDMSG,
                                        IORING_OP_RECVMSG, IORING_OP_SEND,    IORING_OP_RECV,
                                        IORING_OP_READ_MULTISHOT, IORING_OP_URING_CMD};

class SqeDecoder {
 public:
  SqeDecoder(const io_uring_sqe& sqe, uint32_t setup_flags, const uint8_t* ext,
             std::vector<Field>& out)
      : sqe_(sqe), setup_flags_(setup_flags), ext_(ext), out_(out) {
    std::memcpy(bytes_.data(), &sqe, sizeof sqe);
  }

  void run() {
    const uint8_t op = sqe_.opcode;
    const char* name = opcode_name(op);
    op_name_ = name != nullptr ? name : "UNKNOWN";
    add("opcode", 0, 1, name != nullptr ? name : strprintf("%u", op),
        name != nullptr ? "" : "unknown opcode; Linux 6.18 has 0..62");
    add("flags", 1, 1, sqe_flag_names(sqe_.flags));
    add("user_data", 32, 8, hex(sqe_.user_data));
    if (name != nullptr) decode_op(op);
    leftovers(name != nullptr);
  }

 private:
  uint64_t load(size_t off, size_t size) const {
    uint64_t v = 0;
    std::memcpy(&v, bytes_.data() + off, std::min<size_t>(size, sizeof v));  // little-endian, as the ABI is here
    return v;
  }
  void add(std::string name, size_t off, size_t size, std::string value, std::string note = "") {
    for (size_t i = off; i < off + size; ++i) read_[i] = true;
    out_.push_back(Field{std::move(name), std::move(value), std::move(note), load(off, size)});
  }
  bool has(uint8_t iosqe) const { return (sqe_.flags & iosqe) != 0; }

  // --- field kinds ---
  void fd(const char* note = "") {
    if (has(IOSQE_FIXED_FILE)) {
      add("fd", 4, 4, sdec(sqe_.fd), strprintf("fixed file %d, an index into the registered file table", sqe_.fd));
    } else {
      add("fd", 4, 4, sdec(sqe_.fd), note);
    }
  }
  // A directory fd of the *at family: AT_FDCWD is -100.
  void dirfd(const char* name, size_t off) {
    const int32_t v = static_cast<int32_t>(load(off, 4));
    add(name, off, 4, sdec(v), v == -100 ? "AT_FDCWD" : "directory fd");
  }
  void u64(const char* name, size_t off, const char* note) { add(name, off, 8, dec(load(off, 8)), note); }
  void ptr(const char* name, size_t off, const char* note) { add(name, off, 8, hex(load(off, 8)), note); }
  void u32(const char* name, size_t off, const char* note) { add(name, off, 4, dec(load(off, 4)), note); }
  void s32(const char* name, size_t off, const char* note) {
    add(name, off, 4, sdec(static_cast<int32_t>(load(off, 4))), note);
  }
  template <size_t N>
  void flags(const char* name, size_t off, size_t size, const char* const (&names)[N]) {
    add(name, off, size, names_of(load(off, size), names));
  }
  template <size_t N>
  void choice(const char* name, size_t off, size_t size, const char* const (&names)[N], const char* note) {
    add(name, off, size, enum_name(load(off, size), names), note);
  }
  // A file offset where -1 means "the file's current position" (IORING_FEAT_RW_CUR_POS).
  void rw_off() {
    const int64_t off = static_cast<int64_t>(sqe_.off);
    add("off", 8, 8, sdec(off), off == -1 ? "current position" : "file offset");
  }
  void buf_index() { add("buf_index", 40, 2, dec(sqe_.buf_index), "registered buffer"); }
  // Ops that can pick a provided buffer read buf_group with IOSQE_BUFFER_SELECT.
  void buf_group_if_selected() {
    if (has(IOSQE_BUFFER_SELECT)) add("buf_group", 40, 2, dec(sqe_.buf_group), "provided-buffer group");
  }
  void file_index() {
    const uint32_t v = sqe_.file_index;
    std::string note;
    if (v == 0) {
      note = "0: install a normal fd";
    } else if (v == IORING_FILE_INDEX_ALLOC) {
      note = "IORING_FILE_INDEX_ALLOC: kernel picks a direct slot";
    } else {
      note = strprintf("direct descriptor slot %u", v - 1);
    }
    add("file_index", 44, 4, v == IORING_FILE_INDEX_ALLOC ? hex(v) : dec(v), note);
  }
  // ioprio of read/write: an I/O priority (class << 13 | level).
  void rw_ioprio() {
    static constexpr const char* kClass[] = {"NONE", "RT", "BE", "IDLE"};
    const uint16_t p = sqe_.ioprio;
    if (p == 0) {
      add("ioprio", 2, 2, "0", "default I/O priority");
    } else {
      add("ioprio", 2, 2, hex(p), strprintf("class %s, level %u", enum_name(p >> 13, kClass).c_str(),
                                             p & 0x1fffu));
    }
  }
  // Read/write attributes (IORING_FEAT_RW_ATTR), only when present.
  void rw_attrs() {
    if (sqe_.attr_type_mask != 0 || sqe_.attr_ptr != 0) {
      ptr("attr_ptr", 48, "struct io_uring_attr_pi *");
      flags("attr_type_mask", 56, 8, kRwAttrFlags);
    }
  }

  // --- per opcode, as each prep reads the SQE ---
  void decode_op(uint8_t op) {
    switch (op) {
      case IORING_OP_NOP: {
        const uint32_t nf = sqe_.nop_flags;
        flags("nop_flags", 28, 4, kNopFlags);
        if (nf & IORING_NOP_INJECT_RESULT) {
          const int32_t res = static_cast<int32_t>(sqe_.len);
          const char* err = res < 0 ? errno_name_of(-res) : nullptr;
          add("len", 24, 4, sdec(res), err != nullptr ? std::string("injected result, ") + err : "injected result");
        }
        if (nf & IORING_NOP_FILE) {
          if (nf & IORING_NOP_FIXED_FILE) {
            add("fd", 4, 4, sdec(sqe_.fd), strprintf("fixed file %d, IORING_NOP_FIXED_FILE", sqe_.fd));
          } else {
            fd();
          }
        }
        if (nf & IORING_NOP_FIXED_BUFFER) buf_index();
        if (nf & IORING_NOP_CQE32) {
          add("off", 8, 8, hex(sqe_.off), "becomes big_cqe[0]");
          add("addr", 16, 8, hex(sqe_.addr), "becomes big_cqe[1]");
        }
        return;
      }
      case IORING_OP_READV:
      case IORING_OP_WRITEV:
        fd();
        rw_off();
        if (op == IORING_OP_READV && has(IOSQE_BUFFER_SELECT)) {
          ptr("addr", 16, "iovec array; its one iovec caps the selected buffer's length");
          u32("len", 24, "iovec count, must be 1 with BUFFER_SELECT");
        } else {
          ptr("addr", 16, "iovec array");
          u32("len", 24, "iovec count");
        }
        flags("rw_flags", 28, 4, kRwFlags);
        rw_ioprio();
        buf_group_if_selected();
        rw_attrs();
        return;
      case IORING_OP_READ_FIXED:
      case IORING_OP_WRITE_FIXED:
        fd();
        rw_off();
        ptr("addr", 16, "user address inside the registered buffer");
        u32("len", 24, "bytes");
        buf_index();
        flags("rw_flags", 28, 4, kRwFlags);
        rw_ioprio();
        rw_attrs();
        return;
      case IORING_OP_READV_FIXED:
      case IORING_OP_WRITEV_FIXED:
        fd();
        rw_off();
        ptr("addr", 16, "iovec array, every iovec inside the registered buffer");
        u32("len", 24, "iovec count");
        buf_index();
        flags("rw_flags", 28, 4, kRwFlags);
        rw_ioprio();
        rw_attrs();
        return;
      case IORING_OP_READ:
      case IORING_OP_WRITE:
        fd();
        rw_off();
        if (op == IORING_OP_READ && has(IOSQE_BUFFER_SELECT)) {
          u32("len", 24, "bytes at most, 0: the whole selected buffer");
          buf_group_if_selected();
        } else {
          ptr("addr", 16, "buffer");
          u32("len", 24, "bytes");
        }
        flags("rw_flags", 28, 4, kRwFlags);
        rw_ioprio();
        if (op == IORING_OP_WRITE && sqe_.write_stream != 0)
          add("write_stream", 44, 1, dec(sqe_.write_stream), "write stream");
        rw_attrs();
        return;
      case IORING_OP_READ_MULTISHOT:
        fd();
        rw_off();
        u32("len", 24, "bytes per completion at most, 0: buffer size");
        buf_group_if_selected();
        return;
      case IORING_OP_FSYNC:
        fd();
        flags("fsync_flags", 28, 4, kFsyncFlags);
        u64("off", 8, "range start");
        u32("len", 24, "range length, 0: to the end of the file");
        return;
      case IORING_OP_SYNC_FILE_RANGE:
        fd();
        u64("off", 8, "range start");
        u32("len", 24, "range length, 0: to the end of the file");
        flags("sync_range_flags", 28, 4, kSyncRangeFlags);
        return;
      case IORING_OP_FALLOCATE:
        fd();
        u64("off", 8, "range start");
        u64("addr", 16, "range length");
        u32("len", 24, "fallocate mode");
        return;
      case IORING_OP_FTRUNCATE:
        fd();
        u64("off", 8, "new file length");
        return;
      case IORING_OP_FADVISE:
        fd();
        u64("off", 8, "range start");
        if (sqe_.addr != 0) {
          u64("addr", 16, "range length, 64-bit");
        } else {
          u32("len", 24, "range length");
        }
        choice("fadvise_advice", 28, 4, kFadvise, "");
        return;
      case IORING_OP_MADVISE:
        ptr("addr", 16, "start address");
        u32("len", 24, "range length");
        choice("fadvise_advice", 28, 4, kMadvise, "madvise advice");
        return;
      case IORING_OP_POLL_ADD:
        fd();
        flags("poll32_events", 28, 4, kPollEvents);
        flags("len", 24, 4, kPollCommand);
        return;
      case IORING_OP_POLL_REMOVE:
        ptr("addr", 16, "user_data of the poll request to remove or update");
        flags("len", 24, 4, kPollCommand);
        if (sqe_.len & IORING_POLL_UPDATE_USER_DATA) ptr("off", 8, "new user_data");
        if (sqe_.len & IORING_POLL_UPDATE_EVENTS) flags("poll32_events", 28, 4, kPollEvents);
        return;
      case IORING_OP_SENDMSG:
      case IORING_OP_RECVMSG:
      case IORING_OP_SENDMSG_ZC:
        fd();
        ptr("addr", 16, "struct msghdr *");
        flags("msg_flags", 28, 4, kMsgFlags);
        flags("ioprio", 2, 2, kRecvSendPrio);
        if (op == IORING_OP_RECVMSG) u32("len", 24, "bytes at most, for multishot with buffer select");
        if (op == IORING_OP_SENDMSG_ZC && (sqe_.ioprio & IORING_RECVSEND_FIXED_BUF)) buf_index();
        buf_group_if_selected();
        return;
      case IORING_OP_SEND:
      case IORING_OP_RECV:
      case IORING_OP_SEND_ZC:
        fd();
        if (!has(IOSQE_BUFFER_SELECT)) {
          ptr("addr", 16, (sqe_.ioprio & IORING_SEND_VECTORIZED) ? "iovec array" : "buffer");
        }
        u32("len", 24, (sqe_.ioprio & IORING_SEND_VECTORIZED) ? "iovec count" : "bytes");
        flags("msg_flags", 28, 4, kMsgFlags);
        flags("ioprio", 2, 2, kRecvSendPrio);
        if (op != IORING_OP_RECV && (sqe_.addr2 != 0 || sqe_.addr_len != 0)) {
          ptr("addr2", 8, "destination sockaddr for sendto");
          add("addr_len", 44, 2, dec(sqe_.addr_len), "destination sockaddr length");
        }
        if (op == IORING_OP_SEND_ZC && (sqe_.ioprio & IORING_RECVSEND_FIXED_BUF)) buf_index();
        buf_group_if_selected();
        return;
      case IORING_OP_RECV_ZC:
        fd();
        u32("len", 24, "bytes at most, 0: unlimited");
        flags("msg_flags", 28, 4, kMsgFlags);
        flags("ioprio", 2, 2, kRecvSendPrio);
        u32("zcrx_ifq_idx", 44, "zero-copy receive interface queue");
        return;
      case IORING_OP_TIMEOUT:
        ptr("addr", 16, "struct __kernel_timespec *");
        u32("len", 24, "timespec count, must be 1");
        u64("off", 8, "completions to wait for, 0: pure timer");
        flags("timeout_flags", 28, 4, kTimeoutFlags);
        return;
      case IORING_OP_TIMEOUT_REMOVE:
        ptr("addr", 16, "user_data of the timeout to remove or update");
        flags("timeout_flags", 28, 4, kTimeoutFlags);
        if (sqe_.timeout_flags & IORING_TIMEOUT_UPDATE_MASK) ptr("addr2", 8, "new struct __kernel_timespec *");
        return;
      case IORING_OP_LINK_TIMEOUT:
        ptr("addr", 16, "struct __kernel_timespec *");
        u32("len", 24, "timespec count, must be 1");
        flags("timeout_flags", 28, 4, kTimeoutFlags);
        return;
      case IORING_OP_ACCEPT:
        fd();
        ptr("addr", 16, "struct sockaddr * for the peer address, may be 0");
        ptr("addr2", 8, "socklen_t *, address length in and out");
        flags("accept_flags", 28, 4, kSockFlags);
        flags("ioprio", 2, 2, kAcceptPrio);
        file_index();
        return;
      case IORING_OP_CONNECT:
        fd();
        ptr("addr", 16, "struct sockaddr *");
        u64("addr2", 8, "sockaddr length");
        return;
      case IORING_OP_BIND:
        fd();
        ptr("addr", 16, "struct sockaddr *");
        u64("addr2", 8, "sockaddr length");
        return;
      case IORING_OP_LISTEN:
        fd();
        u32("len", 24, "backlog");
        return;
      case IORING_OP_SHUTDOWN:
        fd();
        choice("len", 24, 4, kShutdownHow, "how");
        return;
      case IORING_OP_SOCKET: {
        add("fd", 4, 4, sdec(sqe_.fd), "domain, AF_*");
        const uint64_t type = sqe_.off;
        add("off", 8, 8, dec(type), "type, SOCK_* with SOCK_NONBLOCK/SOCK_CLOEXEC bits");
        u32("len", 24, "protocol");
        u32("rw_flags", 28, "must be 0");
        file_index();
        return;
      }
      case IORING_OP_ASYNC_CANCEL: {
        const uint32_t cf = sqe_.cancel_flags;
        flags("cancel_flags", 28, 4, kCancelFlags);
        if (!(cf & (IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ANY)) || (cf & IORING_ASYNC_CANCEL_USERDATA))
          ptr("addr", 16, "user_data of the request to cancel");
        if (cf & IORING_ASYNC_CANCEL_FD) {
          add("fd", 4, 4, sdec(sqe_.fd), (cf & IORING_ASYNC_CANCEL_FD_FIXED) ? "match requests on fixed file"
                                                                             : "match requests on this fd");
        }
        if (cf & IORING_ASYNC_CANCEL_OP) {
          const char* target = opcode_name(static_cast<uint8_t>(sqe_.len));
          add("len", 24, 4, target != nullptr ? target : dec(sqe_.len), "match requests with this opcode");
        }
        return;
      }
      case IORING_OP_OPENAT:
        dirfd("fd", 4);
        ptr("addr", 16, "pathname");
        add("open_flags", 28, 4, open_flag_names(sqe_.open_flags));
        add("len", 24, 4, strprintf("0%o", sqe_.len), "mode, used with O_CREAT/O_TMPFILE");
        file_index();
        return;
      case IORING_OP_OPENAT2:
        dirfd("fd", 4);
        ptr("addr", 16, "pathname");
        ptr("addr2", 8, "struct open_how *");
        u32("len", 24, "sizeof(struct open_how)");
        file_index();
        return;
      case IORING_OP_CLOSE:
        if (sqe_.file_index != 0) {
          add("file_index", 44, 4, dec(sqe_.file_index),
              strprintf("close direct descriptor slot %u", sqe_.file_index - 1));
        } else {
          fd();
        }
        return;
      case IORING_OP_FILES_UPDATE:
        ptr("addr", 16, "int array of fds; -1 clears, IORING_REGISTER_FILES_SKIP keeps");
        u32("len", 24, "fd count");
        u64("off", 8, "first registered file slot; IORING_FILE_INDEX_ALLOC: any free");
        return;
      case IORING_OP_STATX:
        dirfd("fd", 4);
        ptr("addr", 16, "pathname");
        add("len", 24, 4, hex(sqe_.len), "STATX_* mask");
        flags("statx_flags", 28, 4, kAtFlags);
        ptr("addr2", 8, "struct statx *, out");
        return;
      case IORING_OP_EPOLL_CTL:
        add("fd", 4, 4, sdec(sqe_.fd), "epoll fd");
        choice("len", 24, 4, kEpollCtlOps, "operation");
        s32("off", 8, "target fd");
        ptr("addr", 16, "struct epoll_event *");
        return;
      case IORING_OP_EPOLL_WAIT:
        add("fd", 4, 4, sdec(sqe_.fd), "epoll fd");
        ptr("addr", 16, "struct epoll_event array, out");
        u32("len", 24, "maxevents");
        return;
      case IORING_OP_SPLICE:
      case IORING_OP_TEE: {
        const bool fixed_in = sqe_.splice_flags & SPLICE_F_FD_IN_FIXED;
        add("splice_fd_in", 44, 4, sdec(sqe_.splice_fd_in),
            fixed_in ? strprintf("input, fixed file %d", sqe_.splice_fd_in) : std::string("input fd"));
        if (op == IORING_OP_SPLICE) {
          const int64_t in = static_cast<int64_t>(sqe_.splice_off_in);
          add("splice_off_in", 16, 8, sdec(in), in == -1 ? "input: current position" : "input offset");
        }
        fd("output fd");
        if (op == IORING_OP_SPLICE) {
          const int64_t o = static_cast<int64_t>(sqe_.off);
          add("off", 8, 8, sdec(o), o == -1 ? "output: current position" : "output offset");
        }
        u32("len", 24, "bytes");
        flags("splice_flags", 28, 4, kSpliceFlags);
        return;
      }
      case IORING_OP_PROVIDE_BUFFERS:
        add("fd", 4, 4, sdec(sqe_.fd), "number of buffers");
        ptr("addr", 16, "first buffer");
        u32("len", 24, "bytes per buffer");
        u64("off", 8, "first buffer id");
        add("buf_group", 40, 2, dec(sqe_.buf_group), "provided-buffer group");
        return;
      case IORING_OP_REMOVE_BUFFERS:
        add("fd", 4, 4, sdec(sqe_.fd), "number of buffers to remove");
        add("buf_group", 40, 2, dec(sqe_.buf_group), "provided-buffer group");
        return;
      case IORING_OP_RENAMEAT:
        dirfd("fd", 4);
        ptr("addr", 16, "old pathname");
        dirfd("len", 24);
        ptr("addr2", 8, "new pathname");
        flags("rename_flags", 28, 4, kRenameFlags);
        return;
      case IORING_OP_UNLINKAT:
        dirfd("fd", 4);
        ptr("addr", 16, "pathname");
        flags("unlink_flags", 28, 4, kAtFlags);
        return;
      case IORING_OP_MKDIRAT:
        dirfd("fd", 4);
        ptr("addr", 16, "pathname");
        add("len", 24, 4, strprintf("0%o", sqe_.len), "mode");
        return;
      case IORING_OP_SYMLINKAT:
        dirfd("fd", 4);
        ptr("addr", 16, "target");
        ptr("addr2", 8, "link pathname");
        return;
      case IORING_OP_LINKAT:
        dirfd("fd", 4);
        ptr("addr", 16, "old pathname");
        dirfd("len", 24);
        ptr("addr2", 8, "new pathname");
        flags("hardlink_flags", 28, 4, kAtFlags);
        return;
      case IORING_OP_MSG_RING: {
        fd("target ring fd");
        choice("addr", 16, 8, kMsgRingCmds, "command");
        flags("msg_ring_flags", 28, 4, kMsgRingFlags);
        if (sqe_.addr == IORING_MSG_SEND_FD) {
          u64("addr3", 48, "source fixed file index");
          file_index();
          ptr("off", 8, "user_data of the target CQE");
        } else {
          s32("len", 24, "res of the target CQE");
          ptr("off", 8, "user_data of the target CQE");
          if (sqe_.msg_ring_flags & IORING_MSG_RING_FLAGS_PASS) u32("file_index", 44, "flags of the target CQE");
        }
        return;
      }
      case IORING_OP_FSETXATTR:
      case IORING_OP_SETXATTR:
      case IORING_OP_FGETXATTR:
      case IORING_OP_GETXATTR: {
        const bool by_fd = op == IORING_OP_FSETXATTR || op == IORING_OP_FGETXATTR;
        if (by_fd) fd();
        ptr("addr", 16, "attribute name");
        ptr("addr2", 8, "value buffer");
        u32("len", 24, "value size");
        flags("xattr_flags", 28, 4, kXattrFlags);
        if (!by_fd) ptr("addr3", 48, "pathname");
        return;
      }
      case IORING_OP_URING_CMD:
        fd();
        add("cmd_op", 8, 4, hex(sqe_.cmd_op), "command, driver specific");
        flags("uring_cmd_flags", 28, 4, kUringCmdFlags);
        if (sqe_.uring_cmd_flags & IORING_URING_CMD_FIXED) buf_index();
        buf_group_if_selected();
        cmd_payload();
        return;
      case IORING_OP_WAITID:
        choice("len", 24, 4, kWaitidTypes, "idtype");
        s32("fd", 4, "id");
        u32("file_index", 44, "options: WEXITED, WNOHANG, ...");
        ptr("addr2", 8, "siginfo_t *, out");
        u32("waitid_flags", 28, "must be 0");
        return;
      case IORING_OP_FUTEX_WAIT:
      case IORING_OP_FUTEX_WAKE:
        ptr("addr", 16, "futex address");
        add("addr2", 8, 8, hex(sqe_.addr2), op == IORING_OP_FUTEX_WAIT ? "expected value" : "tasks to wake");
        add("addr3", 48, 8, hex(sqe_.addr3), "bitset mask");
        add("fd", 4, 4, hex(static_cast<uint32_t>(sqe_.fd)), "FUTEX2_* flags: size, PRIVATE");
        u32("futex_flags", 28, "must be 0");
        return;
      case IORING_OP_FUTEX_WAITV:
        ptr("addr", 16, "struct futex_waitv array");
        u32("len", 24, "count");
        u32("futex_flags", 28, "must be 0");
        return;
      case IORING_OP_FIXED_FD_INSTALL:
        add("fd", 4, 4, sdec(sqe_.fd), strprintf("fixed file %d to install as a normal fd", sqe_.fd));
        flags("install_fd_flags", 28, 4, kInstallFdFlags);
        return;
      case IORING_OP_PIPE:
        ptr("addr", 16, "int fds[2], out");
        add("pipe_flags", 28, 4, open_flag_names(sqe_.pipe_flags));
        file_index();
        return;
      default:
        return;
    }
  }

  // URING_CMD's command bytes: 16 in a 64-byte SQE, 80 with SQE128.
  void cmd_payload() {
    std::string bytes;
    for (size_t i = 48; i < 64; ++i) bytes += strprintf("%02x", bytes_[i]);
    size_t n = 16;
    if ((setup_flags_ & IORING_SETUP_SQE128) && ext_ != nullptr) {
      for (size_t i = 0; i < 64; ++i) bytes += strprintf("%02x", ext_[i]);
      n += 64;
      ext_shown_ = true;
    }
    add("cmd", 48, 16, bytes, strprintf("%zu bytes of command payload", n));
  }

  // Every unread part of the SQE that is not zero, under its generic name.
  void leftovers(bool known) {
    struct Slot {
      const char* name;
      size_t off, size;
    };
    static constexpr Slot kSlots[] = {{"ioprio", 2, 2},       {"fd", 4, 4},         {"off", 8, 8},
                                      {"addr", 16, 8},        {"len", 24, 4},       {"rw_flags", 28, 4},
                                      {"buf_index", 40, 2},   {"personality", 42, 2},
                                      {"file_index", 44, 4},  {"addr3", 48, 8},     {"__pad2[0]", 56, 8}};
    const bool takes_ioprio = known && opdef(sqe_.opcode).ioprio;
    for (const Slot& s : kSlots) {
      bool any_read = false;
      for (size_t i = s.off; i < s.off + s.size; ++i) any_read |= read_[i];
      if (any_read) {
        // A union member narrower than its slot was read (cmd_op, addr_len): show any
        // other non-zero bytes of the slot by their byte range.
        for (size_t i = s.off; i < s.off + s.size;) {
          if (read_[i]) { ++i; continue; }
          size_t j = i;
          while (j < s.off + s.size && !read_[j]) ++j;
          if (load(i, j - i) != 0)
            add(strprintf("bytes %zu..%zu", i, j - 1), i, j - i, hex(load(i, j - i)),
                strprintf("part of %s not used by %s", s.name, op_name_));
          i = j;
        }
        continue;
      }
      const uint64_t v = load(s.off, s.size);
      if (v == 0) continue;
      std::string note = strprintf("not used by %s", op_name_);
      if (s.off == 2 && known && !takes_ioprio) {
        note = strprintf("must be 0: %s takes no ioprio, else EINVAL", op_name_);
      } else if (s.off == 42) {
        note = "registered personality id, credentials";
      }
      std::string value = s.off == 42 ? dec(v) : hex(v);
      add(s.name, s.off, s.size, value, note);
    }
    if ((setup_flags_ & IORING_SETUP_SQE128) && ext_ != nullptr && !ext_shown_) {
      bool nonzero = false;
      for (size_t i = 0; i < 64; ++i) nonzero |= ext_[i] != 0;
      if (nonzero) {
        std::string bytes;
        for (size_t i = 0; i < 64; ++i) bytes += strprintf("%02x", ext_[i]);
        out_.push_back(Field{"sqe128_tail", bytes, strprintf("second 64 bytes, not used by %s", op_name_), 0});
      }
    }
  }

  const io_uring_sqe& sqe_;
  uint32_t setup_flags_;
  const uint8_t* ext_;
  std::vector<Field>& out_;
  std::array<uint8_t, 64> bytes_{};
  std::array<bool, 64> read_{};
  const char* op_name_ = "UNKNOWN";
  bool ext_shown_ = false;
};

// --- errno table ------------------------------------------------------------------

struct ErrnoName {
  int number;
  const char* name;
};

// Every errno Linux defines for user space, by the kernel's spelling.
constexpr ErrnoName kErrnos[] = {
#define E(x) {x, #x}
    E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG), E(ENOEXEC), E(EBADF),
    E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(ENOTBLK), E(EBUSY), E(EEXIST),
    E(EXDEV), E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY),
    E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK), E(EPIPE), E(EDOM), E(ERANGE),
    E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK), E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(ENOMSG),
    E(EIDRM), E(ECHRNG), E(EL2NSYNC), E(EL3HLT), E(EL3RST), E(ELNRNG), E(EUNATCH), E(ENOCSI),
    E(EL2HLT), E(EBADE), E(EBADR), E(EXFULL), E(ENOANO), E(EBADRQC), E(EBADSLT), E(EBFONT),
    E(ENOSTR), E(ENODATA), E(ETIME), E(ENOSR), E(ENONET), E(ENOPKG), E(EREMOTE), E(ENOLINK),
    E(EADV), E(ESRMNT), E(ECOMM), E(EPROTO), E(EMULTIHOP), E(EDOTDOT), E(EBADMSG), E(EOVERFLOW),
    E(ENOTUNIQ), E(EBADFD), E(EREMCHG), E(ELIBACC), E(ELIBBAD), E(ELIBSCN), E(ELIBMAX),
    E(ELIBEXEC), E(EILSEQ), E(ERESTART), E(ESTRPIPE), E(EUSERS), E(ENOTSOCK), E(EDESTADDRREQ),
    E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT), E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT),
    E(EOPNOTSUPP), E(EPFNOSUPPORT), E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL),
    E(ENETDOWN), E(ENETUNREACH), E(ENETRESET), E(ECONNABORTED), E(ECONNRESET), E(ENOBUFS),
    E(EISCONN), E(ENOTCONN), E(ESHUTDOWN), E(ETOOMANYREFS), E(ETIMEDOUT), E(ECONNREFUSED),
    E(EHOSTDOWN), E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS), E(ESTALE), E(EUCLEAN),
    E(ENOTNAM), E(ENAVAIL), E(EISNAM), E(EREMOTEIO), E(EDQUOT), E(ENOMEDIUM), E(EMEDIUMTYPE),
    E(ECANCELED), E(ENOKEY), E(EKEYEXPIRED), E(EKEYREVOKED), E(EKEYREJECTED), E(EOWNERDEAD),
    E(ENOTRECOVERABLE), E(ERFKILL), E(EHWPOISON),
#undef E
};

// Other spellings of the same numbers.
constexpr ErrnoName kErrnoAliases[] = {
    {EWOULDBLOCK, "EWOULDBLOCK"}, {EDEADLOCK, "EDEADLOCK"}, {ENOTSUP, "ENOTSUP"}};

ErrnoInfo info_for(const ErrnoName& e) {
  const char* text = strerrordesc_np(e.number);  // glibc, not localised
  return ErrnoInfo{e.number, e.name, text != nullptr ? text : ""};
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

const Field* find_field(const std::vector<Field>& fields, std::string_view name) {
  for (const Field& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

std::vector<Field> decode_sqe(const io_uring_sqe& sqe, uint32_t setup_flags, const uint8_t* ext) {
  std::vector<Field> out;
  SqeDecoder(sqe, setup_flags, ext, out).run();
  return out;
}

std::vector<Field> decode_cqe(const io_uring_cqe& cqe, bool cqe32) {
  std::vector<Field> out;
  out.push_back(Field{"user_data", hex(cqe.user_data), "", cqe.user_data});
  std::string note;
  if (cqe.res < 0) {
    const char* name = errno_name_of(-cqe.res);
    note = name != nullptr ? name : "unknown errno";
  }
  out.push_back(Field{"res", sdec(cqe.res), note, static_cast<uint32_t>(cqe.res)});
  const bool has_bid = cqe.flags & IORING_CQE_F_BUFFER;
  const uint32_t shown = has_bid ? (cqe.flags & 0xffffu) : cqe.flags;
  out.push_back(Field{"flags", cqe_flag_names(shown), "", cqe.flags});
  if (has_bid) {
    const uint32_t bid = cqe.flags >> IORING_CQE_BUFFER_SHIFT;
    out.push_back(Field{"bid", dec(bid), "provided buffer id, flags >> 16", bid});
  }
  if (cqe32) {
    uint64_t big[2];
    std::memcpy(big, reinterpret_cast<const uint8_t*>(&cqe) + 16, sizeof big);
    out.push_back(Field{"big_cqe[0]", hex(big[0]), "", big[0]});
    out.push_back(Field{"big_cqe[1]", hex(big[1]), "", big[1]});
  }
  return out;
}

std::string fields_line(const std::vector<Field>& fields) {
  std::string out;
  for (const Field& f : fields) {
    if (!out.empty()) out += ' ';
    out += f.name;
    out += '=';
    out += f.value;
    if (!f.note.empty()) {
      out += " (";
      out += f.note;
      out += ')';
    }
  }
  return out;
}

std::string fields_table(const std::vector<Field>& fields, std::string_view indent) {
  size_t name_w = 0, value_w = 0;
  for (const Field& f : fields) {
    name_w = std::max(name_w, f.name.size());
    value_w = std::max(value_w, f.value.size());
  }
  std::string out;
  for (const Field& f : fields) {
    std::string line(indent);
    line += f.name;
    line.append(name_w - f.name.size() + 2, ' ');
    line += f.value;
    if (!f.note.empty()) {
      line.append(value_w - f.value.size() + 2, ' ');
      line += f.note;
    }
    out += line + "\n";
  }
  return out;
}

const char* opcode_name(uint8_t opcode) {
  return opcode < IORING_OP_LAST ? op_name(opcode) : nullptr;
}

std::string flag_names(uint64_t value, const char* const* names, size_t count) {
  if (value == 0) return "0";
  std::string out;
  uint64_t unknown = 0;
  for (unsigned bit = 0; bit < 64; ++bit) {
    const uint64_t m = uint64_t{1} << bit;
    if (!(value & m)) continue;
    if (bit < count && names[bit] != nullptr) {
      if (!out.empty()) out += '|';
      out += names[bit];
    } else {
      unknown |= m;
    }
  }
  if (unknown != 0) {
    if (!out.empty()) out += '|';
    out += hex(unknown);
  }
  return out;
}

std::string sqe_flag_names(uint8_t flags) { return names_of(flags, kSqeFlags); }
std::string cqe_flag_names(uint32_t flags) { return names_of(flags, kCqeFlags); }
std::string setup_flag_names(uint32_t flags) { return names_of(flags, kSetupFlags); }
std::string feature_names(uint32_t features) { return names_of(features, kFeatures); }
std::string enter_flag_names(uint32_t flags) { return names_of(flags, kEnterFlags); }
std::string sq_ring_flag_names(uint32_t flags) { return names_of(flags, kSqRingFlags); }

const char* errno_name_of(int err) {
  if (err < 0) err = -err;
  for (const ErrnoName& e : kErrnos)
    if (e.number == err) return e.name;
  return nullptr;
}

std::optional<ErrnoInfo> errno_by_number(int err) {
  if (err < 0) err = -err;
  for (const ErrnoName& e : kErrnos)
    if (e.number == err) return info_for(e);
  return std::nullopt;
}

std::optional<ErrnoInfo> errno_by_name(std::string_view name) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper.empty()) return std::nullopt;
  // As typed ("EFAULT"), then with the E the user left out ("FAULT", "EXIST").
  for (const std::string& candidate : {upper, "E" + upper}) {
    for (const ErrnoName& e : kErrnos)
      if (candidate == e.name) return info_for(e);
    for (const ErrnoName& a : kErrnoAliases) {
      if (candidate != a.name) continue;
      ErrnoInfo info = *errno_by_number(a.number);
      return info;
    }
  }
  return std::nullopt;
}

std::string result_text(int64_t res) {
  if (res >= 0) return std::to_string(res);
  const char* name = res >= -4095 ? errno_name_of(static_cast<int>(-res)) : nullptr;
  if (name == nullptr) return std::to_string(res);
  return std::to_string(res) + " (" + name + ")";
}

std::optional<std::vector<uint8_t>> parse_hex(std::string_view text, std::string* error) {
  std::vector<uint8_t> out;
  size_t i = 0;
  const auto is_sep = [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == ':' || c == ',' || c == '-';
  };
  while (i < text.size()) {
    if (is_sep(text[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < text.size() && !is_sep(text[i])) ++i;
    std::string_view token = text.substr(start, i - start);
    std::string_view digits = token;
    if (digits.size() >= 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
      digits.remove_prefix(2);
    if (digits.empty()) {
      if (error) *error = strprintf("'%.*s' has no hex digits", (int)token.size(), token.data());
      return std::nullopt;
    }
    for (size_t k = 0; k < digits.size(); ++k) {
      if (hex_digit(digits[k]) < 0) {
        if (error)
          *error = strprintf("'%c' at offset %zu is not a hex digit", digits[k],
                             start + (token.size() - digits.size()) + k);
        return std::nullopt;
      }
    }
    if (digits.size() % 2 != 0) {
      if (error)
        *error = strprintf("'%.*s' has an odd number of hex digits (%zu); write bytes as two digits each",
                           (int)token.size(), token.data(), digits.size());
      return std::nullopt;
    }
    for (size_t k = 0; k < digits.size(); k += 2)
      out.push_back(static_cast<uint8_t>(hex_digit(digits[k]) << 4 | hex_digit(digits[k + 1])));
  }
  if (out.empty()) {
    if (error) *error = "no bytes given";
    return std::nullopt;
  }
  return out;
}

}  // namespace uringsim::traces
