// A raw io_uring ring driven by hand, for differential tests.
//
// The same test code drives the real kernel and the simulated one: a `Syscalls`
// is the three io_uring syscalls (plus close) behind one interface, and `RawRing`
// does what liburing does, by hand and nothing more: setup with params, mmap the
// rings and the SQE array from the returned fd at the offsets the kernel returned,
// push SQEs through the SQ array, publish the tail, enter, reap CQEs, and read the
// ring words (head, tail, dropped, overflow, flags) where the offsets say they are.
// Nothing here knows which kernel it talks to.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "uapi/io_uring.h"

namespace uringsim {
struct Credentials;
}

namespace uringsim::difftest {

// io_uring_setup / io_uring_enter / io_uring_register / close, kernel convention:
// >= 0 on success, -errno on failure.
class Syscalls {
 public:
  virtual ~Syscalls() = default;
  // "linux" or "sim": names the side in failure messages.
  virtual const char* name() const = 0;
  virtual bool is_linux() const = 0;
  virtual int setup(uint32_t entries, io_uring_params* params) = 0;
  virtual int enter(int fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags,
                    const void* arg, size_t argsz) = 0;
  virtual int do_register(int fd, uint32_t opcode, const void* arg, uint32_t nr_args) = 0;
  virtual int close(int fd) = 0;
  // Why the last failing call failed, in words ("" when the side cannot say: Linux).
  virtual std::string last_reason() const { return ""; }
  // The RLIMIT_MEMLOCK the next calls see. Linux reads the process limit; the sim
  // side also updates its caller's credentials.
  virtual void set_memlock_limit(uint64_t bytes);
};

// The real kernel: syscall(425/426/427).
class LinuxSyscalls final : public Syscalls {
 public:
  const char* name() const override { return "linux"; }
  bool is_linux() const override { return true; }
  int setup(uint32_t entries, io_uring_params* params) override;
  int enter(int fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags,
            const void* arg, size_t argsz) override;
  int do_register(int fd, uint32_t opcode, const void* arg, uint32_t nr_args) override;
  int close(int fd) override;
};

// Whether this host lets us use io_uring. Returns "" if it does, else a description
// of the errno that setup failed with (ENOSYS: not built; EPERM: disabled by sysctl
// or seccomp). Probed once.
std::string linux_io_uring_unavailable();

// The simulated kernel in this process (sim::EmbeddedKernel), defined in
// sim_syscalls.cc. `profile_name` is a kernel profile name ("6.18"); `creds` the
// caller the model sees (null: this process's own uid, CAP_IPC_LOCK, RLIMIT_MEMLOCK).
// Returns null when the embedded kernel is not built into this binary.
std::unique_ptr<Syscalls> make_sim_syscalls(const char* profile_name = "6.18",
                                            const Credentials* creds = nullptr);
bool sim_available();
// Whether the sim's op table simulates `op` (false when the sim is not built in).
bool sim_op_has_prep(uint8_t op);

// One CQE as read from the ring.
struct RawCqe {
  uint64_t user_data = 0;
  int32_t res = 0;
  uint32_t flags = 0;
  uint64_t big[2] = {0, 0};  // CQE32 rings only
};

class RawRing {
 public:
  explicit RawRing(Syscalls& sys) : sys_(sys) {}
  ~RawRing();
  RawRing(const RawRing&) = delete;
  RawRing& operator=(const RawRing&) = delete;

  // io_uring_setup(entries, params) and, on success, the three mmaps. Returns the fd
  // (>= 0) or the setup's -errno; an mmap failure closes the ring and returns
  // -errno of mmap (with `mmap_failed()` true). `params` is in/out, as for the syscall.
  int setup(uint32_t entries, io_uring_params& params);
  bool mmap_failed() const { return mmap_failed_; }
  void close();

  int fd() const { return fd_; }
  const io_uring_params& params() const { return params_; }
  Syscalls& sys() { return sys_; }

  // --- submission ---
  // The next free SQE (at the local, unpublished tail), zeroed; its SQ array entry
  // points at it. REQUIRES: space (the caller keeps track).
  io_uring_sqe* next_sqe();
  // Overwrites the SQ array entry at ring position `pos` (absolute, masked here).
  void set_array(uint32_t pos, uint32_t value);
  // Moves the local tail on without touching the SQE (for a bad array index).
  void advance_local_tail(uint32_t n = 1) { local_tail_ += n; }
  // Stores the local tail into the shared SQ tail (release).
  void publish();
  uint32_t local_tail() const { return local_tail_; }
  // publish() + io_uring_enter.
  int enter(uint32_t to_submit, uint32_t min_complete = 0, uint32_t flags = 0,
            const void* arg = nullptr, size_t argsz = 0);
  int do_register(uint32_t opcode, const void* arg, uint32_t nr_args);

  // --- completion ---
  // Every CQE between head and tail; advances the CQ head past them.
  std::vector<RawCqe> reap();

  // --- ring words, read where the returned offsets say ---
  uint32_t sq_head() const;
  uint32_t sq_tail() const;
  uint32_t sq_flags() const;
  uint32_t sq_dropped() const;
  uint32_t sq_ring_mask() const;
  uint32_t sq_ring_entries() const;
  uint32_t cq_head() const;
  uint32_t cq_tail() const;
  uint32_t cq_overflow() const;
  uint32_t cq_flags() const;
  uint32_t cq_ring_mask() const;
  uint32_t cq_ring_entries() const;

  size_t sqe_size() const { return sqe_size_; }
  size_t cqe_size() const { return cqe_size_; }

 private:
  uint32_t load(const std::byte* base, uint32_t off) const;
  void store(std::byte* base, uint32_t off, uint32_t v);

  Syscalls& sys_;
  int fd_ = -1;
  io_uring_params params_{};
  bool mmap_failed_ = false;
  std::byte* sq_ring_ = nullptr;
  size_t sq_ring_len_ = 0;
  std::byte* cq_ring_ = nullptr;  // == sq_ring_ with IORING_FEAT_SINGLE_MMAP
  size_t cq_ring_len_ = 0;
  std::byte* sqes_ = nullptr;
  size_t sqes_len_ = 0;
  size_t sqe_size_ = 64;
  size_t cqe_size_ = 16;
  uint32_t local_tail_ = 0;
};

// Queues an SQE on `r` with the fields most opcodes read (the rest stay zero).
inline io_uring_sqe* prep_sqe(RawRing& r, uint8_t op, uint64_t user_data, int fd, uint64_t addr, uint32_t len,
                              uint8_t flags = 0) {
  io_uring_sqe* s = r.next_sqe();
  s->opcode = op;
  s->flags = flags;
  s->fd = fd;
  s->addr = addr;
  s->len = len;
  s->user_data = user_data;
  return s;
}

}  // namespace uringsim::difftest
