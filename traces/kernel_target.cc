// KernelTarget: replays on the host's io_uring with raw syscalls (see replay.h).
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "kernel_model/fault.h"
#include "kernel_model/profile.h"
#include "traces/replay.h"

namespace uringsim::traces {

namespace {

constexpr long kSysSetup = 425;
constexpr long kSysEnter = 426;
constexpr long kSysRegister = 427;

int64_t sys_ret(long r) { return r < 0 ? -static_cast<int64_t>(errno) : r; }

// A directory on a disk filesystem: MAP_SHARED of a tmpfs file is shmem, which Linux
// pins happily; a shared_file region must be on a real filesystem.
std::string disk_dir() {
  for (const char* d : {static_cast<const char*>(std::getenv("TMPDIR")), "/var/tmp", "/tmp", "."}) {
    if (d == nullptr) continue;
    struct statfs st;
    if (statfs(d, &st) == 0 && st.f_type != TMPFS_MAGIC && access(d, W_OK) == 0) return d;
  }
  return "";
}

// A temp file of `size` bytes, unlinked; -1 with *why on failure.
int temp_file(uint64_t size, std::string* why) {
  const std::string dir = disk_dir();
  if (dir.empty()) {
    *why = "no writable directory on a disk filesystem for file-backed regions";
    return -1;
  }
  std::string path = dir + "/uringsim-replay-XXXXXX";
  const int fd = mkstemp(path.data());
  if (fd < 0) {
    *why = "mkstemp in " + dir + ": " + std::strerror(errno);
    return -1;
  }
  unlink(path.c_str());
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    *why = std::string("ftruncate: ") + std::strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

void on_alarm(int) {}

// Linux sleeps in a GETEVENTS enter that cannot be satisfied; a replay must not hang
// forever. An interval timer interrupts such a wait (-EINTR) after a while.
class WaitGuard {
 public:
  explicit WaitGuard(bool arm) : armed_(arm) {
    if (!armed_) return;
    struct sigaction sa{};
    sa.sa_handler = on_alarm;  // no SA_RESTART: the syscall returns -EINTR
    sigaction(SIGALRM, &sa, &old_);
    itimerval t{};
    t.it_value.tv_sec = 2;
    setitimer(ITIMER_REAL, &t, nullptr);
  }
  ~WaitGuard() {
    if (!armed_) return;
    itimerval t{};
    setitimer(ITIMER_REAL, &t, nullptr);
    sigaction(SIGALRM, &old_, nullptr);
  }

 private:
  bool armed_;
  struct sigaction old_ {};
};

}  // namespace

KernelTarget::KernelTarget() = default;

KernelTarget::~KernelTarget() {
  for (auto& [fd, r] : rings_) {
    if (r.sq) munmap(r.sq, r.sq_len);
    if (r.cq && r.cq != r.sq) munmap(r.cq, r.cq_len);
    if (r.sqes) munmap(r.sqes, r.sqes_len);
    close(fd);
  }
  for (auto& [id, m] : regions_) munmap(reinterpret_cast<void*>(m.start), m.len);
  if (scratch_map_.start != 0) munmap(reinterpret_cast<void*>(scratch_map_.start), scratch_map_.len);
  for (auto& [tfd, fd] : files_) close(fd);
  for (int fd : backing_fds_) close(fd);
}

bool KernelTarget::available(std::string* why) {
  io_uring_params p{};
  const long fd = syscall(kSysSetup, 1, &p);
  if (fd < 0) {
    *why = std::string("io_uring_setup: ") + std::strerror(errno);
    return false;
  }
  close(static_cast<int>(fd));
  return true;
}

bool KernelTarget::prepare(const Trace& trace, std::string* why) {
  // chaos: Linux does not inject the recorded faults, so the trace cannot match it.
  if (trace.header.chaos) {
    *why = "the trace was recorded with chaos injection (seed " + std::to_string(trace.header.chaos->seed) +
           "); only the simulator re-applies it";
    return false;
  }
  if (!trace.header.caller.is_default() && !caller_is_current_) {
    *why = "the trace's caller (uid, CAP_IPC_LOCK, RLIMIT_MEMLOCK) differs from this process's; "
           "the Linux target replays only as the calling process is";
    return false;
  }
  // A proposed ABI (an RFC profile) exists on no Linux: replaying it here would only
  // show how Linux rejects it, which the trace does not describe.
  if (const Profile* p = find_profile(trace.header.profile); p != nullptr && p->rfc_provided_registered) {
    *why = "profile " + trace.header.profile +
           " is a proposed ABI that no Linux kernel has (docs/rfc-provided-registered.md); replay it on the "
           "simulator";
    return false;
  }
  // The probe ring is charged to the caller and Linux returns its pages only after an
  // asynchronous teardown: as a non-root caller it would eat into the trace's
  // RLIMIT_MEMLOCK. replay_on_linux_as probes as root before it switches.
  if (!caller_is_current_ && !available(why)) return false;
  for (const RegionDecl& r : trace.regions) {
    const uint64_t page = region_page_size(r.kind);
    const uint64_t len = (r.size + page - 1) / page * page;
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
    int fd = -1;
    switch (r.kind) {
      case RegionKind::kAnonymous: break;
      case RegionKind::kSynthetic: flags |= MAP_NORESERVE; break;
      case RegionKind::kHugetlb2M: flags |= MAP_HUGETLB | (21 << MAP_HUGE_SHIFT); break;
      case RegionKind::kHugetlb1G: flags |= MAP_HUGETLB | (30 << MAP_HUGE_SHIFT); break;
      case RegionKind::kShmem:
        fd = static_cast<int>(syscall(SYS_memfd_create, "uringsim-replay", 0));
        if (fd < 0 || ftruncate(fd, static_cast<off_t>(len)) != 0) {
          *why = "region \"" + r.id + "\": memfd: " + std::strerror(errno);
          return false;
        }
        flags = MAP_SHARED;
        break;
      case RegionKind::kPrivateFile:
      case RegionKind::kSharedFile:
        fd = temp_file(len, why);
        if (fd < 0) return false;
        flags = r.kind == RegionKind::kSharedFile ? MAP_SHARED : MAP_PRIVATE;
        break;
    }
    if (fd >= 0) backing_fds_.push_back(fd);
    // Keep the THP alignment a trace asks for: over-allocate and trim.
    const uint64_t align = std::max<uint64_t>(r.thp_size, page);
    void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, flags, fd, 0);
    if (align > page && p != MAP_FAILED && reinterpret_cast<uint64_t>(p) % align != 0) {
      munmap(p, len);
      void* big = mmap(nullptr, len + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (big == MAP_FAILED) {
        p = MAP_FAILED;
      } else {
        const uint64_t at = (reinterpret_cast<uint64_t>(big) + align - 1) / align * align;
        p = mmap(reinterpret_cast<void*>(at), len, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, 0);
        if (at > reinterpret_cast<uint64_t>(big)) munmap(big, at - reinterpret_cast<uint64_t>(big));
        const uint64_t end = reinterpret_cast<uint64_t>(big) + len + align;
        if (end > at + len) munmap(reinterpret_cast<void*>(at + len), end - (at + len));
      }
    }
    if (p == MAP_FAILED) {
      *why = "region \"" + r.id + "\" (" + region_kind_name(r.kind) + ", " + std::to_string(r.size) +
             " bytes): mmap: " + std::strerror(errno);
      return false;
    }
    if (r.thp_size != 0) madvise(p, len, MADV_HUGEPAGE);
    auto* bytes = static_cast<uint8_t*>(p);
    if (r.seed) fill_seeded(*r.seed, 0, bytes, r.size);
    for (const Chunk& c : r.content) std::memcpy(bytes + c.offset, c.bytes.data(), c.bytes.size());
    if (!r.writable) mprotect(p, len, PROT_READ);
    regions_[r.id] = Mapping{reinterpret_cast<uint64_t>(p), len, r.writable};
  }
  for (const FileDecl& f : trace.files) {
    if (f.is_socket()) {
      auto pair = std::make_unique<SocketPair>();
      std::string what;
      if (!pair->open(f.socket, &what) || !pair->peer_send(f.peer_sends, &what)) {
        *why = strprintf("socket fd %d (%s): %s", f.fd, socket_kind_name(f.socket), what.c_str());
        return false;
      }
      sockets_[f.fd] = std::move(pair);
      continue;
    }
    const int fd = temp_file(0, why);
    if (fd < 0) return false;
    if (!f.contents.empty() && pwrite(fd, f.contents.data(), f.contents.size(), 0) != static_cast<ssize_t>(f.contents.size())) {
      *why = std::string("file: pwrite: ") + std::strerror(errno);
      close(fd);
      return false;
    }
    // Reopen with the trace's mode through /proc (the file is already unlinked).
    const int mode = f.readable && f.writable ? O_RDWR : f.readable ? O_RDONLY : O_WRONLY;
    const std::string self = "/proc/self/fd/" + std::to_string(fd);
    const int opened = open(self.c_str(), mode | O_CLOEXEC);
    close(fd);
    if (opened < 0) {
      *why = std::string("file: reopen: ") + std::strerror(errno);
      return false;
    }
    files_[f.fd] = opened;
  }
  const size_t scratch_len = 1 << 20;
  void* s = mmap(nullptr, scratch_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (s == MAP_FAILED) {
    *why = std::string("scratch: mmap: ") + std::strerror(errno);
    return false;
  }
  scratch_map_ = Mapping{reinterpret_cast<uint64_t>(s), scratch_len, true};
  return true;
}

uint64_t KernelTarget::region_address(const std::string& id) {
  auto it = regions_.find(id);
  return it == regions_.end() ? 0 : it->second.start;
}

uint64_t KernelTarget::scratch(size_t len) {
  const size_t aligned = (len + 63) & ~size_t{63};
  if (scratch_used_ + aligned > scratch_map_.len) scratch_used_ = 0;
  const uint64_t at = scratch_map_.start + scratch_used_;
  scratch_used_ += aligned;
  return at;
}

bool KernelTarget::inside(uint64_t addr, size_t len, bool for_write) const {
  auto in = [&](const Mapping& m) {
    return addr >= m.start && addr - m.start <= m.len && len <= m.len - (addr - m.start) && (!for_write || m.writable);
  };
  if (scratch_map_.start != 0 && in(scratch_map_)) return true;
  for (const auto& [id, m] : regions_) {
    if (in(m)) return true;
  }
  return false;
}

bool KernelTarget::write_memory(uint64_t addr, const void* src, size_t len) {
  if (len == 0) return true;
  if (!inside(addr, len, true)) return false;
  std::memcpy(reinterpret_cast<void*>(addr), src, len);
  return true;
}

bool KernelTarget::read_memory(uint64_t addr, void* dst, size_t len) {
  if (len == 0) return true;
  if (!inside(addr, len, false)) return false;
  std::memcpy(dst, reinterpret_cast<const void*>(addr), len);
  return true;
}

int KernelTarget::file_fd(int trace_fd) {
  auto sock = sockets_.find(trace_fd);
  if (sock != sockets_.end()) return sock->second->app_fd();
  auto it = files_.find(trace_fd);
  return it == files_.end() ? closed_fd(trace_fd) : it->second;
}

int KernelTarget::closed_fd(int trace_fd) {
  // Far above anything this process has open (and usually above RLIMIT_NOFILE).
  int fd = (1 << 20) + (trace_fd & 0xffff);
  while (fcntl(fd, F_GETFD) >= 0) ++fd;
  return fd;
}

int64_t KernelTarget::setup(uint32_t entries, uint64_t params_addr) {
  return sys_ret(syscall(kSysSetup, entries, params_addr));
}

bool KernelTarget::map_ring(int fd, const io_uring_params& p, RingMaps* out, std::string* why) {
  RingMapping m;
  const size_t cqe = (p.flags & IORING_SETUP_CQE32) ? 32 : 16;
  const size_t sqe = (p.flags & IORING_SETUP_SQE128) ? 128 : 64;
  m.sq_len = (p.flags & IORING_SETUP_NO_SQARRAY) ? p.sq_off.dropped + 4 : p.sq_off.array + p.sq_entries * 4;
  m.cq_len = p.cq_off.cqes + p.cq_entries * cqe;
  const bool single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
  if (single) m.sq_len = m.cq_len = std::max(m.sq_len, m.cq_len);
  m.sq = mmap(nullptr, m.sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
  if (m.sq == MAP_FAILED) {
    *why = std::string("mmap SQ ring: ") + std::strerror(errno);
    return false;
  }
  if (single) {
    m.cq = m.sq;
  } else {
    m.cq = mmap(nullptr, m.cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
    if (m.cq == MAP_FAILED) {
      *why = std::string("mmap CQ ring: ") + std::strerror(errno);
      munmap(m.sq, m.sq_len);
      return false;
    }
  }
  m.sqes_len = p.sq_entries * sqe;
  m.sqes = mmap(nullptr, m.sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
  if (m.sqes == MAP_FAILED) {
    *why = std::string("mmap SQEs: ") + std::strerror(errno);
    munmap(m.sq, m.sq_len);
    if (!single) munmap(m.cq, m.cq_len);
    return false;
  }
  out->params = p;
  out->sq_ring = static_cast<uint8_t*>(m.sq);
  out->cq_ring = static_cast<uint8_t*>(m.cq);
  out->sqes = static_cast<uint8_t*>(m.sqes);
  rings_[fd] = m;
  return true;
}

int64_t KernelTarget::enter(int fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags, uint64_t arg,
                            uint64_t argsz) {
  WaitGuard guard((flags & IORING_ENTER_GETEVENTS) && min_complete > 0);
  return sys_ret(syscall(kSysEnter, fd, to_submit, min_complete, flags, arg, argsz));
}

int64_t KernelTarget::do_register(int fd, uint32_t opcode, uint64_t arg, uint32_t nr_args) {
  return sys_ret(syscall(kSysRegister, fd, opcode, arg, nr_args));
}

void KernelTarget::close_ring(int fd) {
  auto it = rings_.find(fd);
  if (it != rings_.end()) {
    RingMapping& r = it->second;
    munmap(r.sq, r.sq_len);
    if (r.cq != r.sq) munmap(r.cq, r.cq_len);
    munmap(r.sqes, r.sqes_len);
    rings_.erase(it);
  }
  close(fd);
}

void KernelTarget::settle(const RingMaps& ring, uint32_t tail, uint32_t want) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (;;) {
    const uint32_t now =
        __atomic_load_n(reinterpret_cast<const uint32_t*>(ring.cq_ring + ring.params.cq_off.tail), __ATOMIC_ACQUIRE);
    if (now - tail >= want || std::chrono::steady_clock::now() > deadline) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

bool KernelTarget::peer_send(int trace_fd, const std::string& bytes, std::string* why) {
  auto it = sockets_.find(trace_fd);
  if (it == sockets_.end()) {
    *why = "fd " + std::to_string(trace_fd) + " is not a socket";
    return false;
  }
  return it->second->peer_send(bytes, why);
}

std::string KernelTarget::peer_received(int trace_fd) {
  auto it = sockets_.find(trace_fd);
  return it == sockets_.end() ? std::string() : it->second->peer_drain();
}

}  // namespace uringsim::traces
