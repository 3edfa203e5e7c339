// ProcessFiles: a real process's file descriptors as the model's Files.
//
// For our own pid (EmbeddedKernel) an fd is ours: get() dups it (the File holds a
// reference to the open file description, as Linux's fget / fixed-file table does, so a
// registered file survives close(fd)). For another process, get() fetches a duplicate
// with pidfd_getfd(2). Either way the duplicate shares the file offset with the
// client's fd, so reads "at the current position" (off == -1) advance the client's
// offset exactly as on Linux.
//
// Ring fds are recognised by the inode of the ring's memfd (MemfdRingMemory). The hot
// path -- io_uring_enter resolving its ring fd -- must not cost syscalls, so ring fds
// the host knows about are kept in a table (set_ring_fd): for our own pid a hit is
// trusted outright (EmbeddedKernel owns those fds); for another process a hit is
// confirmed with one kcmp(KCMP_FILE) (the client may have closed the fd and reused the
// number) and falls back to pidfd_getfd + fstat when kcmp is unavailable.
//
// Other fds are cached for the duration of one syscall (begin_call() clears the cache),
// so an enter with 32 SQEs on one fd costs one pidfd_getfd, not 32.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <unordered_map>

#include "kernel_model/files.h"
#include "sim/ring_memory.h"

namespace uringsim::sim {

// A file of the host (an fd we own) as the model's File.
class HostFile : public File {
 public:
  // Takes ownership of `fd`. `kind` and the access mode come from fstat/fcntl.
  HostFile(int fd, FileKind kind, bool readable, bool writable);
  ~HostFile() override;
  HostFile(const HostFile&) = delete;
  HostFile& operator=(const HostFile&) = delete;

  // Classifies `fd` (fstat + fcntl(F_GETFL)) and wraps it. Null if fd is not open.
  // Takes ownership of `fd` (closed on failure too).
  static std::shared_ptr<HostFile> adopt(int fd);

  int fd() const { return fd_; }
  FileKind kind() const override { return kind_; }
  bool readable() const override { return readable_; }
  bool writable() const override { return writable_; }
  ssize_t read(void* buf, size_t len, int64_t off) override;
  ssize_t write(const void* buf, size_t len, int64_t off) override;
  int sync(bool datasync) override;
  // poll(2) with a zero timeout: the events the fd is ready for now.
  uint32_t poll(uint32_t events) override;
  int host_fd() const override { return fd_; }
  // Sockets: sendmsg(2)/recvmsg(2) on the host fd (MSG_DONTWAIT comes from the model).
  ssize_t sock_send(const void* buf, size_t len, int flags, const SockMsg& msg) override;
  ssize_t sock_recv(void* buf, size_t len, int flags, SockMsg& msg) override;
  bool sock_supports_zc() const override;
  bool sock_is_stream() const override;

 private:
  int fd_;
  FileKind kind_;
  bool readable_;
  bool writable_;
};

// An fd that is one of the model's rings. I/O on it is not meaningful (a READ on a
// ring fd is -EINVAL-ish territory on Linux); the model only asks ring().
class RingFile : public File {
 public:
  explicit RingFile(RingId ring) : ring_(ring) {}
  FileKind kind() const override { return FileKind::kRing; }
  bool readable() const override { return true; }
  bool writable() const override { return true; }
  RingId ring() const override { return ring_; }
  ssize_t read(void*, size_t, int64_t) override;
  ssize_t write(const void*, size_t, int64_t) override;
  int sync(bool) override;

 private:
  RingId ring_;
};

class ProcessFiles : public Files {
 public:
  // `pid`: the process (thread-group id). `rings`: recognises ring memfds by inode.
  ProcessFiles(pid_t pid, const MemfdRingMemory* rings);
  ~ProcessFiles() override;
  ProcessFiles(const ProcessFiles&) = delete;
  ProcessFiles& operator=(const ProcessFiles&) = delete;

  std::shared_ptr<File> get(int fd) override;

  // OPENAT / STATX in the client's name: a relative path resolves against the
  // client's directory fd (AT_FDCWD: its cwd, /proc/PID/cwd). The host runs them with
  // its own credentials -- `uringsim run` starts the client as the same user.
  std::shared_ptr<File> open_at(int dirfd, const std::string& path, uint64_t flags, uint64_t mode,
                                uint64_t resolve, int* err) override;
  int statx(int dirfd, const std::string& path, int flags, uint32_t mask, void* out) override;
  // A new client descriptor for `file`: dup for ourselves, the installer (seccomp
  // ADDFD on the pending notification) for another process.
  int install(const std::shared_ptr<File>& file, bool cloexec) override;
  // close(2): possible only for ourselves; nothing lets one process close another's
  // descriptor, so for a captured client this is -EOPNOTSUPP (and CLOSE says why).
  int close_fd(int fd) override;
  // How install() reaches another process; set by the capture for one syscall.
  void set_installer(std::function<int(int srcfd, bool cloexec)> installer) { installer_ = std::move(installer); }

  // Starts a syscall: drops the per-call cache of non-ring files.
  void begin_call() {
    if (!call_cache_.empty()) call_cache_.clear();
  }
  // The host installed ring `ring` as `fd` in this process (setup's return value).
  void set_ring_fd(int fd, RingId ring);
  // Forgets fd (EmbeddedKernel::close).
  void clear_ring_fd(int fd);
  // Forgets every fd of `ring` (the ring was destroyed).
  void forget_ring(RingId ring);
  bool self() const { return self_; }
  pid_t pid() const { return pid_; }
  // pidfd of the process (-1 for ourselves or if it is gone). Owned here.
  int pidfd() const { return pidfd_; }

 private:
  std::shared_ptr<File> ring_file(RingId ring);
  // A duplicate of the process's fd, or -1 (errno set).
  int fetch(int fd);
  // A directory fd of ours standing for the client's `dirfd` (AT_FDCWD: its cwd), to be
  // closed by the caller; AT_FDCWD itself for ourselves. -errno on failure.
  int client_dirfd(int dirfd);
  // Whether the client's fd still refers to the ring's memfd.
  bool still_ring(int fd, RingId ring);

  pid_t pid_;
  pid_t self_pid_;  // getpid() once: kcmp needs it on every enter
  bool self_;
  int pidfd_ = -1;
  const MemfdRingMemory* rings_;
  int kcmp_works_ = -1;  // -1 unknown, 0 no, 1 yes
  std::unordered_map<int, RingId> ring_fds_;
  std::map<RingId, std::shared_ptr<File>> ring_files_;  // one RingFile per ring, reused
  std::unordered_map<int, std::shared_ptr<File>> call_cache_;
  std::function<int(int, bool)> installer_;
};

}  // namespace uringsim::sim
