#include "sim/process_files.h"

#include <fcntl.h>
#include <linux/kcmp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "traces/host_socket.h"

namespace uringsim::sim {

namespace {

int sys_pidfd_open(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }
int sys_pidfd_getfd(int pidfd, int fd) {
  return static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd, 0));
}
int sys_kcmp(pid_t a, pid_t b, int type, unsigned long x, unsigned long y) {
  return static_cast<int>(syscall(SYS_kcmp, a, b, type, x, y));
}

FileKind kind_of(mode_t mode) {
  if (S_ISREG(mode)) return FileKind::kRegular;
  if (S_ISDIR(mode)) return FileKind::kDirectory;
  if (S_ISFIFO(mode)) return FileKind::kPipe;
  if (S_ISSOCK(mode)) return FileKind::kSocket;
  if (S_ISCHR(mode)) return FileKind::kCharDevice;
  return FileKind::kOther;
}

// An eventfd is an anonymous inode; only its /proc link names it.
bool is_eventfd(int fd) {
  char path[64], target[32];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(path, target, sizeof target);
  static constexpr char kEventfd[] = "anon_inode:[eventfd]";
  return n == static_cast<ssize_t>(sizeof kEventfd - 1) && memcmp(target, kEventfd, sizeof kEventfd - 1) == 0;
}

}  // namespace

// ---- HostFile ----

HostFile::HostFile(int fd, FileKind kind, bool readable, bool writable)
    : fd_(fd), kind_(kind), readable_(readable), writable_(writable) {}

HostFile::~HostFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::shared_ptr<HostFile> HostFile::adopt(int fd) {
  struct stat st;
  int fl;
  if (fd < 0 || fstat(fd, &st) != 0 || (fl = fcntl(fd, F_GETFL)) < 0) {
    if (fd >= 0) ::close(fd);
    return nullptr;
  }
  const int acc = fl & O_ACCMODE;
  // O_PATH fds can neither read nor write (Linux: -EBADF on I/O).
  const bool path_only = (fl & O_PATH) != 0;
  FileKind kind = kind_of(st.st_mode);
  if (kind == FileKind::kOther && is_eventfd(fd)) kind = FileKind::kEventfd;
  return std::make_shared<HostFile>(fd, kind,
                                    !path_only && (acc == O_RDONLY || acc == O_RDWR),
                                    !path_only && (acc == O_WRONLY || acc == O_RDWR));
}

namespace {

// Pipes and sockets are streams: Linux's io_uring ignores the SQE offset for them
// (FMODE_STREAM: no file position), and the model must never block on them: with no
// data (or no room) the answer is -EAGAIN and the model parks the request.
bool is_stream(FileKind kind) { return kind == FileKind::kPipe || kind == FileKind::kSocket; }

bool ready(int fd, short events) {
  pollfd p{fd, events, 0};
  int r;
  do {
    r = poll(&p, 1, 0);
  } while (r < 0 && errno == EINTR);
  return r > 0;
}

}  // namespace

ssize_t HostFile::read(void* buf, size_t len, int64_t off) {
  ssize_t r;
  // A character device may or may not seek (/dev/zero does, a tty does not): try the
  // positioned read first and treat ESPIPE as "this is a stream".
  bool stream = is_stream(kind_);
  for (;;) {
    if (stream && !ready(fd_, POLLIN)) return -EAGAIN;
    do {
      r = (stream || off == -1) ? ::read(fd_, buf, len)
                                : ::pread(fd_, buf, len, static_cast<off_t>(off));
    } while (r < 0 && errno == EINTR);
    if (r < 0 && errno == ESPIPE && !stream) {
      stream = true;
      continue;
    }
    return r < 0 ? -errno : r;
  }
}

ssize_t HostFile::write(const void* buf, size_t len, int64_t off) {
  ssize_t r;
  bool stream = is_stream(kind_);
  for (;;) {
    if (stream && !ready(fd_, POLLOUT)) return -EAGAIN;
    do {
      r = (stream || off == -1) ? ::write(fd_, buf, len)
                                : ::pwrite(fd_, buf, len, static_cast<off_t>(off));
    } while (r < 0 && errno == EINTR);
    if (r < 0 && errno == ESPIPE && !stream) {
      stream = true;
      continue;
    }
    return r < 0 ? -errno : r;
  }
}

int HostFile::sync(bool datasync) {
  int r = datasync ? ::fdatasync(fd_) : ::fsync(fd_);
  return r < 0 ? -errno : 0;
}

// ---- HostFile: sockets (for kernel_model/net.cc) ----

namespace {

int sockopt_int(int fd, int opt) {
  int v = -1;
  socklen_t len = sizeof v;
  return getsockopt(fd, SOL_SOCKET, opt, &v, &len) == 0 ? v : -1;
}

}  // namespace

ssize_t HostFile::sock_send(const void* buf, size_t len, int flags, const SockMsg& m) {
  if (kind_ != FileKind::kSocket) return -ENOTSOCK;
  return traces::host_sock_send(fd_, buf, len, flags, m);
}

ssize_t HostFile::sock_recv(void* buf, size_t len, int flags, SockMsg& m) {
  if (kind_ != FileKind::kSocket) return -ENOTSOCK;
  return traces::host_sock_recv(fd_, buf, len, flags, m, sockopt_int(fd_, SO_TYPE) == SOCK_STREAM);
}

bool HostFile::sock_supports_zc() const {
  if (kind_ != FileKind::kSocket) return false;
  const int domain = sockopt_int(fd_, SO_DOMAIN);
  const int proto = sockopt_int(fd_, SO_PROTOCOL);
  return (domain == AF_INET || domain == AF_INET6) && (proto == IPPROTO_TCP || proto == IPPROTO_UDP);
}

bool HostFile::sock_is_stream() const {
  if (kind_ != FileKind::kSocket) return false;
  const int type = sockopt_int(fd_, SO_TYPE);
  return type == SOCK_STREAM || type == SOCK_SEQPACKET;
}

uint32_t HostFile::poll(uint32_t events) {
  pollfd p{fd_, static_cast<short>(events), 0};
  int r;
  do {
    r = ::poll(&p, 1, 0);
  } while (r < 0 && errno == EINTR);
  return r > 0 ? static_cast<uint16_t>(p.revents) : 0;
}

// ---- RingFile ----
// Linux's io_uring file has no read/write file operations: vfs_read answers -EINVAL.
ssize_t RingFile::read(void*, size_t, int64_t) { return -EINVAL; }
ssize_t RingFile::write(const void*, size_t, int64_t) { return -EINVAL; }
int RingFile::sync(bool) { return -EINVAL; }

// ---- ProcessFiles ----

ProcessFiles::ProcessFiles(pid_t pid, const MemfdRingMemory* rings)
    : pid_(pid), self_pid_(getpid()), self_(pid == self_pid_), rings_(rings) {
  if (!self_) pidfd_ = sys_pidfd_open(pid);
}

ProcessFiles::~ProcessFiles() {
  if (pidfd_ >= 0) ::close(pidfd_);
}

void ProcessFiles::set_ring_fd(int fd, RingId ring) { ring_fds_[fd] = ring; }

void ProcessFiles::clear_ring_fd(int fd) { ring_fds_.erase(fd); }

void ProcessFiles::forget_ring(RingId ring) {
  for (auto it = ring_fds_.begin(); it != ring_fds_.end();) {
    it = it->second == ring ? ring_fds_.erase(it) : std::next(it);
  }
  ring_files_.erase(ring);
}

std::shared_ptr<File> ProcessFiles::ring_file(RingId ring) {
  auto& f = ring_files_[ring];
  if (!f) f = std::make_shared<RingFile>(ring);
  return f;
}

int ProcessFiles::fetch(int fd) {
  if (self_) return fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (pidfd_ < 0) {
    errno = ESRCH;
    return -1;
  }
  return sys_pidfd_getfd(pidfd_, fd);
}

bool ProcessFiles::still_ring(int fd, RingId ring) {
  if (kcmp_works_ != 0 && rings_ != nullptr) {
    int ours = rings_->fd(ring);
    if (ours >= 0) {
      int r = sys_kcmp(pid_, self_pid_, KCMP_FILE, static_cast<unsigned long>(fd),
                       static_cast<unsigned long>(ours));
      if (r >= 0) {
        kcmp_works_ = 1;
        if (r == 0) return true;
        // A different struct file can still be the same memfd (reopened through
        // /proc/PID/fd): let the slow path decide.
        return false;
      }
      if (errno == ENOSYS || errno == EPERM) kcmp_works_ = 0;
    }
  }
  return false;
}

std::shared_ptr<File> ProcessFiles::get(int fd) {
  if (fd < 0) return nullptr;
  auto r = ring_fds_.find(fd);
  if (r != ring_fds_.end()) {
    // Our own fds: EmbeddedKernel owns them, so the table is the truth (no syscall on
    // the enter path). Another process: confirm the number still names the ring.
    if (self_ || still_ring(fd, r->second)) return ring_file(r->second);
    ring_fds_.erase(r);
  }
  auto c = call_cache_.find(fd);
  if (c != call_cache_.end()) return c->second;

  int dup = fetch(fd);
  if (dup < 0) return nullptr;  // EBADF (or the process is gone)
  struct stat st;
  if (rings_ != nullptr && fstat(dup, &st) == 0) {
    RingId ring = rings_->ring_by_inode(st.st_dev, st.st_ino);
    if (ring != kNoRing) {
      ::close(dup);
      if (!self_) ring_fds_[fd] = ring;
      return ring_file(ring);
    }
  }
  std::shared_ptr<File> f = HostFile::adopt(dup);
  if (f) call_cache_[fd] = f;
  return f;
}

// ---- OPENAT / CLOSE / STATX in the client's name ----

int ProcessFiles::client_dirfd(int dirfd) {
  if (self_) {
    if (dirfd == AT_FDCWD) return AT_FDCWD;
    const int d = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    return d >= 0 ? d : -errno;
  }
  if (dirfd == AT_FDCWD) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cwd", static_cast<int>(pid_));
    const int d = ::open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    return d >= 0 ? d : -errno;
  }
  const int d = fetch(dirfd);
  return d >= 0 ? d : -EBADF;
}

std::shared_ptr<File> ProcessFiles::open_at(int dirfd, const std::string& path, uint64_t flags, uint64_t mode,
                                            uint64_t resolve, int* err) {
  int dfd = AT_FDCWD;
  if (path.empty() || path[0] != '/') {
    dfd = client_dirfd(dirfd);
    if (dfd < 0 && dfd != AT_FDCWD) {
      *err = dfd;
      return nullptr;
    }
  }
  struct {
    uint64_t flags, mode, resolve;
  } how{flags | O_CLOEXEC, mode, resolve};
  const int fd = static_cast<int>(syscall(SYS_openat2, dfd, path.c_str(), &how, sizeof how));
  const int saved = errno;
  if (dfd >= 0) ::close(dfd);
  if (fd < 0) {
    *err = -saved;
    return nullptr;
  }
  std::shared_ptr<HostFile> f = HostFile::adopt(fd);
  if (!f) *err = -EBADF;
  return f;
}

int ProcessFiles::statx(int dirfd, const std::string& path, int flags, uint32_t mask, void* out) {
  int dfd = AT_FDCWD;
  if (path.empty() || path[0] != '/') {
    dfd = client_dirfd(dirfd);
    if (dfd < 0 && dfd != AT_FDCWD) return dfd;
  }
  const int r = ::statx(dfd, path.c_str(), flags, mask, static_cast<struct statx*>(out));
  const int saved = errno;
  if (dfd >= 0) ::close(dfd);
  return r == 0 ? 0 : -saved;
}

int ProcessFiles::install(const std::shared_ptr<File>& file, bool cloexec) {
  const int src = file ? file->host_fd() : -1;
  if (src < 0) return -EBADF;
  if (self_) {
    const int fd = fcntl(src, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
    return fd >= 0 ? fd : -errno;
  }
  if (!installer_) return -EOPNOTSUPP;
  return installer_(src, cloexec);
}

int ProcessFiles::close_fd(int fd) {
  if (!self_) return -EOPNOTSUPP;
  call_cache_.erase(fd);
  return ::close(fd) == 0 ? 0 : -errno;
}

}  // namespace uringsim::sim
