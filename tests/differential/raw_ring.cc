#include "tests/differential/raw_ring.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace uringsim::difftest {

namespace {

// The generic syscall numbers (x86_64 uses the same).
constexpr long kSysSetup = 425;
constexpr long kSysEnter = 426;
constexpr long kSysRegister = 427;

int ret_or_errno(long r) { return r < 0 ? -errno : static_cast<int>(r); }

}  // namespace

void Syscalls::set_memlock_limit(uint64_t bytes) {
  rlimit rl{};
  getrlimit(RLIMIT_MEMLOCK, &rl);
  rl.rlim_cur = bytes;
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < bytes) rl.rlim_max = bytes;
  setrlimit(RLIMIT_MEMLOCK, &rl);
}

int LinuxSyscalls::setup(uint32_t entries, io_uring_params* params) {
  return ret_or_errno(syscall(kSysSetup, entries, params));
}

int LinuxSyscalls::enter(int fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags,
                         const void* arg, size_t argsz) {
  return ret_or_errno(syscall(kSysEnter, fd, to_submit, min_complete, flags, arg, argsz));
}

int LinuxSyscalls::do_register(int fd, uint32_t opcode, const void* arg, uint32_t nr_args) {
  return ret_or_errno(syscall(kSysRegister, fd, opcode, arg, nr_args));
}

int LinuxSyscalls::close(int fd) { return ret_or_errno(::close(fd)); }

std::string linux_io_uring_unavailable() {
  static const std::string reason = [] {
    io_uring_params p{};
    LinuxSyscalls sys;
    int fd = sys.setup(1, &p);
    if (fd >= 0) {
      sys.close(fd);
      return std::string();
    }
    if (fd == -ENOSYS || fd == -EPERM) {
      return std::string(fd == -ENOSYS ? "ENOSYS" : "EPERM") + " (" + strerror(-fd) + ")";
    }
    return std::string();  // other errors (e.g. ENOMEM) are for the tests to see
  }();
  return reason;
}

RawRing::~RawRing() { close(); }

void RawRing::close() {
  if (sqes_) munmap(sqes_, sqes_len_);
  if (cq_ring_ && cq_ring_ != sq_ring_) munmap(cq_ring_, cq_ring_len_);
  if (sq_ring_) munmap(sq_ring_, sq_ring_len_);
  sqes_ = cq_ring_ = sq_ring_ = nullptr;
  if (fd_ >= 0) sys_.close(fd_);
  fd_ = -1;
}

int RawRing::setup(uint32_t entries, io_uring_params& params) {
  close();
  mmap_failed_ = false;
  local_tail_ = 0;
  int fd = sys_.setup(entries, &params);
  if (fd < 0) return fd;
  fd_ = fd;
  params_ = params;
  sqe_size_ = (params.flags & IORING_SETUP_SQE128) ? 128 : 64;
  cqe_size_ = (params.flags & IORING_SETUP_CQE32) ? 32 : 16;

  // What liburing's io_uring_mmap computes.
  size_t sq_len = (params.flags & IORING_SETUP_NO_SQARRAY)
                      ? 0
                      : params.sq_off.array + params.sq_entries * sizeof(uint32_t);
  size_t cq_len = params.cq_off.cqes + params.cq_entries * cqe_size_;
  bool single = params.features & IORING_FEAT_SINGLE_MMAP;
  if (single || sq_len == 0) sq_len = cq_len > sq_len ? cq_len : sq_len;

  auto map = [&](size_t len, uint64_t off) -> std::byte* {
    void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, off);
    return p == MAP_FAILED ? nullptr : static_cast<std::byte*>(p);
  };
  int err = 0;
  sq_ring_ = map(sq_len, IORING_OFF_SQ_RING);
  if (!sq_ring_) err = -errno;
  sq_ring_len_ = sq_len;
  if (!err) {
    if (single) {
      cq_ring_ = sq_ring_;
    } else {
      cq_ring_ = map(cq_len, IORING_OFF_CQ_RING);
      cq_ring_len_ = cq_len;
      if (!cq_ring_) err = -errno;
    }
  }
  if (!err) {
    sqes_len_ = params.sq_entries * sqe_size_;
    sqes_ = map(sqes_len_, IORING_OFF_SQES);
    if (!sqes_) err = -errno;
  }
  if (err) {
    mmap_failed_ = true;
    close();
    return err;
  }
  local_tail_ = sq_tail();
  return fd;
}

uint32_t RawRing::load(const std::byte* base, uint32_t off) const {
  return __atomic_load_n(reinterpret_cast<const uint32_t*>(base + off), __ATOMIC_ACQUIRE);
}

void RawRing::store(std::byte* base, uint32_t off, uint32_t v) {
  __atomic_store_n(reinterpret_cast<uint32_t*>(base + off), v, __ATOMIC_RELEASE);
}

io_uring_sqe* RawRing::next_sqe() {
  uint32_t mask = params_.sq_entries - 1;
  uint32_t slot = local_tail_ & mask;
  auto* sqe = reinterpret_cast<io_uring_sqe*>(sqes_ + slot * sqe_size_);
  std::memset(sqe, 0, sqe_size_);
  if (!(params_.flags & IORING_SETUP_NO_SQARRAY)) set_array(local_tail_, slot);
  ++local_tail_;
  return sqe;
}

void RawRing::set_array(uint32_t pos, uint32_t value) {
  auto* array = reinterpret_cast<uint32_t*>(sq_ring_ + params_.sq_off.array);
  array[pos & (params_.sq_entries - 1)] = value;
}

void RawRing::publish() { store(sq_ring_, params_.sq_off.tail, local_tail_); }

int RawRing::enter(uint32_t to_submit, uint32_t min_complete, uint32_t flags, const void* arg,
                   size_t argsz) {
  if (sq_ring_) publish();
  return sys_.enter(fd_, to_submit, min_complete, flags, arg, argsz);
}

int RawRing::do_register(uint32_t opcode, const void* arg, uint32_t nr_args) {
  return sys_.do_register(fd_, opcode, arg, nr_args);
}

std::vector<RawCqe> RawRing::reap() {
  std::vector<RawCqe> out;
  uint32_t head = cq_head();
  uint32_t tail = cq_tail();
  uint32_t mask = params_.cq_entries - 1;
  for (; head != tail; ++head) {
    const std::byte* p = cq_ring_ + params_.cq_off.cqes + (head & mask) * cqe_size_;
    RawCqe c;
    std::memcpy(&c.user_data, p, 8);
    std::memcpy(&c.res, p + 8, 4);
    std::memcpy(&c.flags, p + 12, 4);
    if (cqe_size_ == 32) std::memcpy(c.big, p + 16, 16);
    out.push_back(c);
  }
  store(cq_ring_, params_.cq_off.head, head);
  return out;
}

uint32_t RawRing::sq_head() const { return load(sq_ring_, params_.sq_off.head); }
uint32_t RawRing::sq_tail() const { return load(sq_ring_, params_.sq_off.tail); }
uint32_t RawRing::sq_flags() const { return load(sq_ring_, params_.sq_off.flags); }
uint32_t RawRing::sq_dropped() const { return load(sq_ring_, params_.sq_off.dropped); }
uint32_t RawRing::sq_ring_mask() const { return load(sq_ring_, params_.sq_off.ring_mask); }
uint32_t RawRing::sq_ring_entries() const { return load(sq_ring_, params_.sq_off.ring_entries); }
uint32_t RawRing::cq_head() const { return load(cq_ring_, params_.cq_off.head); }
uint32_t RawRing::cq_tail() const { return load(cq_ring_, params_.cq_off.tail); }
uint32_t RawRing::cq_overflow() const { return load(cq_ring_, params_.cq_off.overflow); }
uint32_t RawRing::cq_flags() const { return load(cq_ring_, params_.cq_off.flags); }
uint32_t RawRing::cq_ring_mask() const { return load(cq_ring_, params_.cq_off.ring_mask); }
uint32_t RawRing::cq_ring_entries() const { return load(cq_ring_, params_.cq_off.ring_entries); }

}  // namespace uringsim::difftest
