// Files: the client's file descriptors, as the simulated kernel sees them.
//
// The model resolves an SQE's `fd` (or a register call's fds) through this interface
// and performs I/O on the returned File. Implementations: sim's process files (fds of
// a client fetched with pidfd_getfd, or the host's own fds when the client is this
// process) and traces' described files. A File that is an io_uring ring knows its
// ring id, so register calls that take ring fds (clone, attach) resolve through here.
#pragma once

#include <sys/types.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace uringsim {

using RingId = uint32_t;
inline constexpr RingId kNoRing = 0xffffffffu;

// kEventfd: an eventfd(2) (IORING_REGISTER_EVENTFD accepts only these).
enum class FileKind : uint8_t { kRegular, kDirectory, kPipe, kSocket, kCharDevice, kRing, kEventfd, kOther };

class File {
 public:
  virtual ~File() = default;

  virtual FileKind kind() const = 0;
  // Open mode, as O_RDONLY/O_WRONLY/O_RDWR decide: READ on a write-only fd is -EBADF.
  virtual bool readable() const = 0;
  virtual bool writable() const = 0;
  // For kind() == kRing: which ring of the model this fd is. kNoRing otherwise.
  virtual RingId ring() const { return kNoRing; }

  // Reads up to `len` bytes at file offset `off` into `buf` (model memory).
  // `off` == -1 means the file's current position, which then advances (RW_CUR_POS).
  // Returns bytes read (0 at EOF) or -errno. Never blocks on a regular file; on a pipe
  // or socket with no data returns -EAGAIN (the model parks the request).
  virtual ssize_t read(void* buf, size_t len, int64_t off) = 0;
  virtual ssize_t write(const void* buf, size_t len, int64_t off) = 0;
  // fsync(2) / fdatasync(2). Returns 0 or -errno.
  virtual int sync(bool datasync) = 0;
  // The subset of `events` (POLLIN, POLLOUT, ...) the file is ready for right now,
  // plus POLLERR/POLLHUP when they apply. Never blocks. Regular files are always ready.
  virtual uint32_t poll(uint32_t events) { return events; }
  // The descriptor the host can wait on (epoll/poll) for readiness, -1 if none.
  virtual int host_fd() const { return -1; }

  // --- wakeups of the file's wait queue (io_poll_wake) ---
  // A multishot POLL_ADD is edge-triggered on Linux: it posts a CQE per wakeup of the
  // file's wait queue (each write to a pipe, socket or eventfd is one) that task work
  // sees, not per level. Readiness alone cannot tell two writes from one, so the host
  // watches the files the model asks about and reports each wakeup here
  // (sim/wakeup_watch.h); the model only reads the count, so it stays deterministic:
  // same wakeups in, same CQEs out. A file nobody reports for keeps
  // wakeups_reported() false and the model takes each not-ready -> ready change of
  // poll() as one wakeup instead (replayed traces, test fakes, hosts without a watch).
  //
  // The model: a multishot poll is parked on this file for `events` (ORed in).
  void want_wakeups(uint32_t events) { wakeup_events_ |= events; }
  // The host: the events to watch for, 0 when no multishot poll ever asked.
  uint32_t wakeup_events() const { return wakeup_events_; }
  // The host: one wakeup of the wait queue with poll mask `mask` (0: the waker gave no
  // mask; the model then asks poll()). Marks the file as reported from now on.
  void note_wakeup(uint32_t mask) {
    ++wakeups_;
    last_wakeup_mask_ = mask;
    wakeups_reported_ = true;
  }
  // The host watches this file: wakeups() is the truth from now on, even while 0.
  void set_wakeups_reported() { wakeups_reported_ = true; }
  bool wakeups_reported() const { return wakeups_reported_; }
  // Wakeups reported so far, and the mask of the latest.
  uint64_t wakeups() const { return wakeups_; }
  uint32_t last_wakeup_mask() const { return last_wakeup_mask_; }
  // The host's handle for its watch of this file (0: not watched). The model never
  // reads it; it lets the host tell a new File from a freed one at the same address.
  uint64_t host_watch() const { return host_watch_; }
  void set_host_watch(uint64_t handle) { host_watch_ = handle; }

  // --- sockets (io_uring/net.c). Files that are not sockets answer -ENOTSOCK. ---
  // `msg` carries what sendmsg/recvmsg carry besides the data, all in model memory.
  struct SockMsg {
    void* name = nullptr;       // send: destination (null: connected); recv: room for the source
    uint32_t namelen = 0;       // in: bytes at `name`; recv out: the source's full length
    void* control = nullptr;    // ancillary data (send: to pass; recv: room)
    size_t controllen = 0;      // in: bytes at `control`; recv out: bytes written
    int msg_flags = 0;          // recv out: MSG_TRUNC, MSG_CTRUNC, ...
    int32_t inq = -1;           // recv out: bytes still queued (msg_inq), -1 when unknown
    bool want_inq = false;      // recv in: fill `inq` (io_uring asks for it on RECV/RECVMSG)
  };
  // One sendmsg(2) of `len` bytes with MSG_* `flags`. The model always adds
  // MSG_DONTWAIT: a full socket answers -EAGAIN and the model parks the request.
  // Returns bytes sent or -errno.
  virtual ssize_t sock_send(const void* buf, size_t len, int flags, const SockMsg& msg) {
    (void)buf, (void)len, (void)flags, (void)msg;
    return -ENOTSOCK;
  }
  // One recvmsg(2) into `buf`; -EAGAIN when nothing is queued (with MSG_DONTWAIT).
  virtual ssize_t sock_recv(void* buf, size_t len, int flags, SockMsg& msg) {
    (void)buf, (void)len, (void)flags, (void)msg;
    return -ENOTSOCK;
  }
  // Whether the socket's protocol does zero-copy sends (Linux's SOCK_SUPPORT_ZC: TCP
  // and UDP over IPv4/IPv6; not AF_UNIX). SEND_ZC elsewhere is -EOPNOTSUPP.
  virtual bool sock_supports_zc() const { return false; }
  // SOCK_STREAM / SOCK_SEQPACKET: a short MSG_WAITALL transfer is retried.
  virtual bool sock_is_stream() const { return false; }

 private:
  uint32_t wakeup_events_ = 0;
  uint32_t last_wakeup_mask_ = 0;
  uint64_t wakeups_ = 0;
  bool wakeups_reported_ = false;
  uint64_t host_watch_ = 0;
};

class Files {
 public:
  virtual ~Files() = default;

  // --- OPENAT / CLOSE / STATX: the host acts in the client's name. The defaults say
  // the host cannot; the op then fails with -EOPNOTSUPP and a reason naming the host.
  // Opens `path` relative to `dirfd` (AT_FDCWD: the client's cwd) as the client would
  // (open_how flags and mode). Returns the file, or null with *err = -errno.
  virtual std::shared_ptr<File> open_at(int /*dirfd*/, const std::string& /*path*/, uint64_t /*flags*/,
                                        uint64_t /*mode*/, uint64_t /*resolve*/, int* err) {
    *err = -EOPNOTSUPP;
    return nullptr;
  }
  // Gives the client a new descriptor for `file`. Returns the fd or -errno.
  virtual int install(const std::shared_ptr<File>& /*file*/, bool /*cloexec*/) { return -EOPNOTSUPP; }
  // close(2) of the client's descriptor. Returns 0 or -errno.
  virtual int close_fd(int /*fd*/) { return -EOPNOTSUPP; }
  // statx(2) in the client's name; `out` receives the 256-byte struct statx.
  virtual int statx(int /*dirfd*/, const std::string& /*path*/, int /*flags*/, uint32_t /*mask*/,
                    void* /*out*/) {
    return -EOPNOTSUPP;
  }
  // The open file behind the client's `fd`, or nullptr if the fd is not open (-EBADF).
  // Shared ownership: the registered file table keeps files alive past close(fd), as
  // Linux's fixed files hold a reference.
  virtual std::shared_ptr<File> get(int fd) = 0;
};

}  // namespace uringsim
