// uringsim calibrate: measures on this host's real io_uring what the cost model
// (kernel_model/cost.h, docs/cost-model.md) charges, and writes a cost-model JSON file
// that `uringsim run --cost-model FILE` (and every other --cost-model) reads.
//
// Each coefficient is the median of N samples, every sample a timed loop of real
// syscalls; per-unit costs are separated from fixed ones by differencing (a big buffer
// against many small ones, a 1024-buffer clone against a 16-buffer one, a 64 KiB read
// against a 4 KiB one), the way the model adds them up. What cannot be measured here
// (hugetlb pages the host does not have, CLONE_BUFFERS before 6.12, accounting without
// CAP_IPC_LOCK to toggle) keeps its default and the summary says why.
//
// This file includes <liburing.h> and with it the system <linux/io_uring.h>; it must
// never include uapi/io_uring.h (see bench/CMakeLists.txt).
#include <fcntl.h>
#include <liburing.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel_model/cost.h"
#include "tools/commands.h"
#include "traces/cost_model_json.h"

namespace uringsim::tools {

namespace {

// Not in Debian's 6.1 <linux/io_uring.h>: IORING_REGISTER_CLONE_BUFFERS (6.12) and its
// argument, as include/uapi/linux/io_uring.h defines them.
constexpr unsigned kRegisterCloneBuffers = 30;
struct CloneBuffersArg {
  uint32_t src_fd;
  uint32_t flags;
  uint32_t src_off;
  uint32_t dst_off;
  uint32_t nr;
  uint32_t pad[3];
};

constexpr size_t k4K = 4096;
constexpr size_t k2M = size_t{2} << 20;
constexpr size_t k1G = size_t{1} << 30;

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int io_register(int fd, unsigned opcode, const void* arg, unsigned nr) {
  const long r = syscall(__NR_io_uring_register, fd, opcode, arg, nr);
  return r < 0 ? -errno : static_cast<int>(r);
}

// Anonymous memory, touched so registration pins present pages (the model does not
// charge first-touch faults), of plain 4 KiB pages or of hugetlb pages of `huge_size`.
class Pages {
 public:
  Pages(size_t bytes, size_t huge_size) : bytes_(bytes) {
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
    if (huge_size == k2M) flags |= MAP_HUGETLB | (21 << MAP_HUGE_SHIFT);
    if (huge_size == k1G) flags |= MAP_HUGETLB | (30 << MAP_HUGE_SHIFT);
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (p == MAP_FAILED) return;
    base_ = static_cast<char*>(p);
    // 4 KiB pages must stay 4 KiB pages: a THP folio would be pinned as one.
    if (huge_size == 0) madvise(base_, bytes, MADV_NOHUGEPAGE);
    std::memset(base_, 0x5a, bytes);
  }
  ~Pages() {
    if (base_ != nullptr) munmap(base_, bytes_);
  }
  Pages(const Pages&) = delete;
  Pages& operator=(const Pages&) = delete;
  char* base() const { return base_; }
  explicit operator bool() const { return base_ != nullptr; }

 private:
  size_t bytes_;
  char* base_ = nullptr;
};

// CAP_IPC_LOCK in the effective set decides, at ring creation, whether a ring's
// registrations are charged to locked_vm (ctx->user). Dropping it from the effective
// set only (it stays permitted) and raising it again is how one process gets both kinds.
bool set_ipc_lock_effective(bool on) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  if (!(data[0].permitted & (1u << CAP_IPC_LOCK))) return false;
  if (on) {
    data[0].effective |= 1u << CAP_IPC_LOCK;
  } else {
    data[0].effective &= ~(1u << CAP_IPC_LOCK);
  }
  return syscall(SYS_capset, &header, data) == 0;
}

bool has_ipc_lock() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  return syscall(SYS_capget, &header, data) == 0 && (data[0].effective & (1u << CAP_IPC_LOCK));
}

// Pages this process may still lock (RLIMIT_MEMLOCK), or SIZE_MAX when unlimited.
size_t memlock_pages() {
  rlimit rl{};
  if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return SIZE_MAX;
  return static_cast<size_t>(rl.rlim_cur / k4K);
}

// One coefficient's outcome, for the file and the summary table.
struct Result {
  std::string name;
  uint64_t default_ns = 0;
  std::optional<double> measured;  // ns; absent: the default is kept
  int samples = 0;
  std::string note;                // why not measured, or how
};

struct Config {
  int samples;        // medians of this many
  size_t big_bytes;   // the one big buffer of 4 KiB pages
  unsigned small_nr;  // single-page buffers for the per-buffer terms
  unsigned loop;      // syscalls per timed loop
  unsigned huge_2m;   // hugetlb 2 MiB pages to try
};

class Calibrator {
 public:
  Calibrator(const Config& config, bool tty) : c_(config), tty_(tty) {}
  ~Calibrator() {
    for (io_uring* r : {&a_, &b_, &dst_, &acct_})
      if (r->ring_fd > 0) io_uring_queue_exit(r);
  }

  // The whole run; false (with *error) only when io_uring itself is unusable.
  bool run(std::vector<Result>* results, std::string* error) {
    for (io_uring* r : {&a_, &b_, &dst_}) {
      const int ret = io_uring_queue_init(64, r, 0);
      if (ret < 0) {
        *error = std::string("io_uring_setup failed on this host: ") + std::strerror(-ret);
        return false;
      }
    }
    const CostModel d;
    step("syscall: io_uring_enter with nothing to do");
    syscall_ = measure_syscall();
    add("syscall_ns", d.syscall_ns, syscall_, c_.samples, "io_uring_enter(fd, 0, 0, 0)");
    step("SQE: batches of 32 NOPs");
    sqe_ = measure_sqe();
    add("sqe_ns", d.sqe_ns, sqe_, c_.samples, "NOP in batches of 32, less the syscall");
    step("pinning: one buffer of 4 KiB pages");
    measure_pin_4k();
    step("per buffer: single-page buffers");
    measure_per_buffer();
    step("accounting: a ring without CAP_IPC_LOCK");
    measure_account();
    step("hugetlb 2 MiB pages");
    measure_huge(k2M, "pin_2m_folio_ns", d.pin_2m_folio_ns, "unpin_2m_folio_ns", d.unpin_2m_folio_ns);
    step("hugetlb 1 GiB pages");
    measure_huge(k1G, "pin_1g_folio_ns", d.pin_1g_folio_ns, "unpin_1g_folio_ns", d.unpin_1g_folio_ns);
    step("CLONE_BUFFERS: 16 and N buffers");
    measure_clone();
    step("copies: 64 KiB and 4 KiB pipe reads");
    measure_copies();
    if (tty_) std::fprintf(stderr, "\r\033[K");
    *results = std::move(results_);
    return true;
  }

 private:
  void step(const char* what) {
    ++step_;
    if (tty_) {
      std::fprintf(stderr, "\r\033[Kcalibrate [%d/%d] %s ...", step_, kSteps, what);
    } else {
      std::fprintf(stderr, "calibrate [%d/%d] %s\n", step_, kSteps, what);
    }
    std::fflush(stderr);
  }
  void add(const std::string& name, uint64_t def, std::optional<double> v, int samples, std::string note) {
    results_.push_back(Result{name, def, v, v ? samples : 0, std::move(note)});
  }

  // Median over c_.samples of f(), each f() returning nanoseconds per unit.
  double sample(const std::function<double()>& f) {
    std::vector<double> v;
    for (int i = 0; i < c_.samples; ++i) v.push_back(f());
    return median(v);
  }

  double measure_syscall() {
    const int fd = a_.ring_fd;
    return sample([&] {
      const uint64_t t0 = now_ns();
      for (unsigned i = 0; i < c_.loop; ++i) syscall(__NR_io_uring_enter, fd, 0, 0, 0, nullptr, 0);
      return static_cast<double>(now_ns() - t0) / c_.loop;
    });
  }

  double measure_sqe() {
    constexpr unsigned kBatch = 32;
    const unsigned batches = std::max(1u, c_.loop / kBatch);
    return sample([&] {
      const uint64_t t0 = now_ns();
      for (unsigned b = 0; b < batches; ++b) {
        for (unsigned i = 0; i < kBatch; ++i) io_uring_prep_nop(io_uring_get_sqe(&a_));
        io_uring_submit_and_wait(&a_, kBatch);
        io_uring_cq_advance(&a_, kBatch);
      }
      const double per_op = static_cast<double>(now_ns() - t0) / (batches * kBatch);
      return per_op - syscall_ / kBatch;
    });
  }

  // One buffer over big_bytes of 4 KiB pages: per page, registering and unregistering.
  void measure_pin_4k() {
    const CostModel d;
    size_t bytes = c_.big_bytes;
    if (!has_ipc_lock()) bytes = std::min(bytes, memlock_pages() / 2 * k4K);
    Pages mem(bytes, 0);
    if (!mem || bytes < 64 * k4K) {
      add("pin_4k_page_ns", d.pin_4k_page_ns, std::nullopt, 0, "not measured: cannot map and lock enough memory");
      add("unpin_4k_page_ns", d.unpin_4k_page_ns, std::nullopt, 0, "not measured: as above");
      return;
    }
    const double pages = static_cast<double>(bytes / k4K);
    iovec iov{mem.base(), bytes};
    std::vector<double> pin, unpin;
    for (int i = 0; i < c_.samples; ++i) {
      uint64_t t0 = now_ns();
      if (io_register(a_.ring_fd, IORING_REGISTER_BUFFERS, &iov, 1) != 0) break;
      uint64_t t1 = now_ns();
      io_register(a_.ring_fd, IORING_UNREGISTER_BUFFERS, nullptr, 0);
      uint64_t t2 = now_ns();
      pin.push_back((static_cast<double>(t1 - t0) - syscall_) / pages);
      unpin.push_back((static_cast<double>(t2 - t1) - syscall_) / pages);
    }
    const std::string how = "1 buffer of " + std::to_string(bytes >> 20) + " MiB, prefaulted, no THP";
    if (pin.empty()) {
      add("pin_4k_page_ns", d.pin_4k_page_ns, std::nullopt, 0, "not measured: REGISTER_BUFFERS failed");
      add("unpin_4k_page_ns", d.unpin_4k_page_ns, std::nullopt, 0, "not measured: REGISTER_BUFFERS failed");
      return;
    }
    pin_4k_ = median(pin);
    unpin_4k_ = median(unpin);
    add("pin_4k_page_ns", d.pin_4k_page_ns, pin_4k_, static_cast<int>(pin.size()), how);
    add("unpin_4k_page_ns", d.unpin_4k_page_ns, unpin_4k_, static_cast<int>(unpin.size()), how);
  }

  // small_nr single-page buffers: what is left per buffer after the page is pinned.
  // Also leaves them registered on ring A for the clone measurement.
  void measure_per_buffer() {
    const CostModel d;
    unsigned nr = c_.small_nr;
    if (!has_ipc_lock()) nr = static_cast<unsigned>(std::min<size_t>(nr, memlock_pages() / 4));
    small_ = std::make_unique<Pages>(size_t{nr} * k4K, 0);
    if (nr < 32 || !*small_) {
      add("register_buffer_ns", d.register_buffer_ns, std::nullopt, 0, "not measured: not enough lockable memory");
      add("unregister_buffer_ns", d.unregister_buffer_ns, std::nullopt, 0, "not measured: as above");
      return;
    }
    small_iovs_.resize(nr);
    for (unsigned i = 0; i < nr; ++i) small_iovs_[i] = iovec{small_->base() + size_t{i} * k4K, k4K};
    std::vector<double> reg, unreg;
    for (int i = 0; i < c_.samples; ++i) {
      const double r = time_register(a_.ring_fd, small_iovs_.data(), nr);
      if (r < 0) break;
      const uint64_t t0 = now_ns();
      io_register(a_.ring_fd, IORING_UNREGISTER_BUFFERS, nullptr, 0);
      const double u = static_cast<double>(now_ns() - t0);
      reg.push_back((r - syscall_) / nr - pin_4k_);
      unreg.push_back((u - syscall_) / nr - unpin_4k_);
    }
    if (reg.empty()) {
      add("register_buffer_ns", d.register_buffer_ns, std::nullopt, 0, "not measured: REGISTER_BUFFERS failed");
      add("unregister_buffer_ns", d.unregister_buffer_ns, std::nullopt, 0, "not measured: as above");
      return;
    }
    register_buffer_ = median(reg);
    const std::string how = std::to_string(nr) + " single-page buffers, less the page's pin";
    add("register_buffer_ns", d.register_buffer_ns, register_buffer_, static_cast<int>(reg.size()), how);
    add("unregister_buffer_ns", d.unregister_buffer_ns, median(unreg), static_cast<int>(unreg.size()),
        std::to_string(nr) + " single-page buffers, less the page's unpin");
  }

  // Nanoseconds one REGISTER_BUFFERS of `iovs` took, or -1.
  double time_register(int fd, const iovec* iovs, unsigned nr) {
    const uint64_t t0 = now_ns();
    const int ret = io_register(fd, IORING_REGISTER_BUFFERS, iovs, nr);
    const uint64_t t1 = now_ns();
    return ret == 0 ? static_cast<double>(t1 - t0) : -1;
  }

  // The same single-page buffers on a ring created without CAP_IPC_LOCK (charged per
  // buffer to locked_vm) against ring A (not charged), samples interleaved.
  void measure_account() {
    const CostModel d;
    const char* name = "account_ns";
    if (small_iovs_.empty()) {
      add(name, d.account_ns, std::nullopt, 0, "not measured: no single-page buffers");
      return;
    }
    if (!has_ipc_lock() || !set_ipc_lock_effective(false)) {
      add(name, d.account_ns, std::nullopt, 0, "not measured: needs CAP_IPC_LOCK to compare with and without");
      return;
    }
    const int ret = io_uring_queue_init(8, &acct_, 0);
    set_ipc_lock_effective(true);
    // The charged ring counts against this process's RLIMIT_MEMLOCK: stay well inside.
    const unsigned nr = static_cast<unsigned>(std::min<size_t>(small_iovs_.size(), memlock_pages() / 2));
    if (ret < 0 || nr < 32) {
      add(name, d.account_ns, std::nullopt, 0,
          ret < 0 ? "not measured: io_uring_setup without CAP_IPC_LOCK failed"
                  : "not measured: RLIMIT_MEMLOCK too small for 32 charged pages");
      return;
    }
    std::vector<double> diff;
    for (int i = 0; i < c_.samples; ++i) {
      const double charged = time_register(acct_.ring_fd, small_iovs_.data(), nr);
      io_register(acct_.ring_fd, IORING_UNREGISTER_BUFFERS, nullptr, 0);
      const double free_ = time_register(a_.ring_fd, small_iovs_.data(), nr);
      io_register(a_.ring_fd, IORING_UNREGISTER_BUFFERS, nullptr, 0);
      if (charged < 0 || free_ < 0) break;
      diff.push_back((charged - free_) / nr);
    }
    if (diff.empty()) {
      add(name, d.account_ns, std::nullopt, 0, "not measured: REGISTER_BUFFERS on the charged ring failed");
      return;
    }
    add(name, d.account_ns, median(diff), static_cast<int>(diff.size()),
        std::to_string(nr) + " buffers on a charged ring minus an uncharged one");
  }

  void measure_huge(size_t page, const char* pin_name, uint64_t pin_def, const char* unpin_name, uint64_t unpin_def) {
    const unsigned count = page == k2M ? c_.huge_2m : 1;
    Pages mem(size_t{count} * page, page);
    const std::string what = page == k2M ? "2 MiB" : "1 GiB";
    if (!mem) {
      const std::string why = "not measured: no " + what + " hugetlb pages (" + std::strerror(errno) + ")";
      add(pin_name, pin_def, std::nullopt, 0, why);
      add(unpin_name, unpin_def, std::nullopt, 0, why);
      return;
    }
    iovec iov{mem.base(), size_t{count} * page};
    std::vector<double> pin, unpin;
    for (int i = 0; i < c_.samples; ++i) {
      const double r = time_register(a_.ring_fd, &iov, 1);
      if (r < 0) break;
      const uint64_t t0 = now_ns();
      io_register(a_.ring_fd, IORING_UNREGISTER_BUFFERS, nullptr, 0);
      pin.push_back((r - syscall_ - register_buffer_) / count);
      unpin.push_back((static_cast<double>(now_ns() - t0) - syscall_) / count);
    }
    if (pin.empty()) {
      add(pin_name, pin_def, std::nullopt, 0, "not measured: REGISTER_BUFFERS of hugetlb memory failed");
      add(unpin_name, unpin_def, std::nullopt, 0, "not measured: as above");
      return;
    }
    const std::string how = "1 buffer of " + std::to_string(count) + " x " + what + " hugetlb";
    add(pin_name, pin_def, median(pin), static_cast<int>(pin.size()), how);
    add(unpin_name, unpin_def, median(unpin), static_cast<int>(unpin.size()), how);
  }

  // Full-table clones into an empty ring from a 16-buffer and an N-buffer source: the
  // difference is per buffer, the rest is the call.
  void measure_clone() {
    const CostModel d;
    const unsigned nr = static_cast<unsigned>(small_iovs_.size());
    constexpr unsigned kFew = 16;
    if (nr < 4 * kFew) {
      add("clone_call_ns", d.clone_call_ns, std::nullopt, 0, "not measured: no single-page buffers");
      add("clone_buffer_ns", d.clone_buffer_ns, std::nullopt, 0, "not measured: no single-page buffers");
      return;
    }
    if (io_register(a_.ring_fd, IORING_REGISTER_BUFFERS, small_iovs_.data(), nr) != 0 ||
        io_register(b_.ring_fd, IORING_REGISTER_BUFFERS, small_iovs_.data(), kFew) != 0) {
      add("clone_call_ns", d.clone_call_ns, std::nullopt, 0, "not measured: REGISTER_BUFFERS failed");
      add("clone_buffer_ns", d.clone_buffer_ns, std::nullopt, 0, "not measured: REGISTER_BUFFERS failed");
      return;
    }
    auto time_clone = [&](int src) -> double {
      CloneBuffersArg arg{};
      arg.src_fd = static_cast<uint32_t>(src);
      const uint64_t t0 = now_ns();
      const int ret = io_register(dst_.ring_fd, kRegisterCloneBuffers, &arg, 1);
      const uint64_t t1 = now_ns();
      io_register(dst_.ring_fd, IORING_UNREGISTER_BUFFERS, nullptr, 0);
      return ret == 0 ? static_cast<double>(t1 - t0) : -1;
    };
    std::vector<double> per_buffer, call;
    int clone_errno = 0;
    for (int i = 0; i < c_.samples; ++i) {
      const double few = time_clone(b_.ring_fd);
      const double many = time_clone(a_.ring_fd);
      if (few < 0 || many < 0) {
        CloneBuffersArg arg{};
        arg.src_fd = static_cast<uint32_t>(b_.ring_fd);
        clone_errno = -io_register(dst_.ring_fd, kRegisterCloneBuffers, &arg, 1);
        break;
      }
      const double per = (many - few) / (nr - kFew);
      per_buffer.push_back(per);
      call.push_back(few - kFew * per - syscall_);
    }
    io_register(a_.ring_fd, IORING_UNREGISTER_BUFFERS, nullptr, 0);
    io_register(b_.ring_fd, IORING_UNREGISTER_BUFFERS, nullptr, 0);
    if (per_buffer.empty()) {
      const std::string why = std::string("not measured: CLONE_BUFFERS failed (") + std::strerror(clone_errno) +
                              "; it is Linux 6.12+)";
      add("clone_call_ns", d.clone_call_ns, std::nullopt, 0, why);
      add("clone_buffer_ns", d.clone_buffer_ns, std::nullopt, 0, why);
      return;
    }
    const std::string how = "full-table clones of " + std::to_string(kFew) + " and " + std::to_string(nr) + " buffers";
    add("clone_call_ns", d.clone_call_ns, median(call), static_cast<int>(call.size()), how);
    add("clone_buffer_ns", d.clone_buffer_ns, median(per_buffer), static_cast<int>(per_buffer.size()), how);
  }

  // READ and WRITE on a pipe (completes inline, no io-wq): 64 KiB against 4 KiB gives
  // the copy per KiB; what a 4 KiB op costs beyond syscall, SQE and copy is op_ns.
  void measure_copies() {
    const CostModel d;
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
      add("copy_ns_per_kib", d.copy_ns_per_kib, std::nullopt, 0, "not measured: pipe2 failed");
      return;
    }
    fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
    std::vector<char> buf(64 << 10, 'c');
    const unsigned reps = std::max(8u, c_.loop / 64);
    // Median per-op time of `reps` READs (or WRITEs) of `len` bytes.
    auto time_op = [&](bool read_op, size_t len) -> double {
      std::vector<double> t;
      for (unsigned i = 0; i < reps; ++i) {
        if (read_op && write(p[1], buf.data(), len) != static_cast<ssize_t>(len)) return -1;
        io_uring_sqe* sqe = io_uring_get_sqe(&a_);
        if (read_op) {
          io_uring_prep_read(sqe, p[0], buf.data(), static_cast<unsigned>(len), 0);
        } else {
          io_uring_prep_write(sqe, p[1], buf.data(), static_cast<unsigned>(len), 0);
        }
        const uint64_t t0 = now_ns();
        io_uring_submit_and_wait(&a_, 1);
        const uint64_t t1 = now_ns();
        io_uring_cqe* cqe = nullptr;
        io_uring_peek_cqe(&a_, &cqe);
        const int res = cqe != nullptr ? cqe->res : -1;
        io_uring_cq_advance(&a_, 1);
        if (res != static_cast<int>(len)) return -1;
        if (!read_op && read(p[0], buf.data(), len) != static_cast<ssize_t>(len)) return -1;
        t.push_back(static_cast<double>(t1 - t0));
      }
      return median(t);
    };
    std::vector<double> per_kib, read_extra, write_extra;
    for (int i = 0; i < c_.samples; ++i) {
      const double r64 = time_op(true, 64 << 10), r4 = time_op(true, 4 << 10);
      const double w4 = time_op(false, 4 << 10);
      if (r64 < 0 || r4 < 0 || w4 < 0) break;
      const double kib = (r64 - r4) / 60;
      per_kib.push_back(kib);
      read_extra.push_back(r4 - syscall_ - sqe_ - 4 * kib);
      write_extra.push_back(w4 - syscall_ - sqe_ - 4 * kib);
    }
    close(p[0]);
    close(p[1]);
    if (per_kib.empty()) {
      add("copy_ns_per_kib", d.copy_ns_per_kib, std::nullopt, 0, "not measured: pipe READ/WRITE failed");
      return;
    }
    const int n = static_cast<int>(per_kib.size());
    add("copy_ns_per_kib", d.copy_ns_per_kib, median(per_kib), n, "pipe READ of 64 KiB minus 4 KiB, per KiB");
    add("op_ns." + std::to_string(IORING_OP_READ), d.op_ns[IORING_OP_READ], median(read_extra), n,
        "READ: 4 KiB pipe read less syscall, SQE and copy");
    add("op_ns." + std::to_string(IORING_OP_WRITE), d.op_ns[IORING_OP_WRITE], median(write_extra), n,
        "WRITE: 4 KiB pipe write less syscall, SQE and copy");
  }

  static constexpr int kSteps = 9;
  Config c_;
  bool tty_;
  int step_ = 0;
  io_uring a_{}, b_{}, dst_{}, acct_{};
  std::unique_ptr<Pages> small_;
  std::vector<iovec> small_iovs_;
  std::vector<Result> results_;
  double syscall_ = 0, sqe_ = 0, pin_4k_ = 0, unpin_4k_ = 0, register_buffer_ = 0;
};

// A measured value as a coefficient: whole nanoseconds, at least 1 (a cost below the
// clock's resolution is still a cost; 0 would mean "free" to the model).
uint64_t coefficient(double ns) { return ns < 1 ? 1 : static_cast<uint64_t>(ns + 0.5); }

// The coefficients of `results` over the defaults.
CostModel model_of(const std::vector<Result>& results) {
  CostModel m;
  for (const Result& r : results) {
    if (!r.measured) continue;
    // Every name above is one of the file's; a typo would fail the round-trip test.
    traces::set_cost_coefficient(&m, r.name, coefficient(*r.measured));
  }
  return m;
}

std::string measured_on() {
  utsname u{};
  uname(&u);
  char date[32];
  const time_t t = time(nullptr);
  tm tm_utc{};
  gmtime_r(&t, &tm_utc);
  strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &tm_utc);
  return std::string("uringsim calibrate on ") + u.nodename + ", " + u.sysname + " " + u.release + " " + u.machine +
         ", " + date;
}

void print_summary(const std::vector<Result>& results, double seconds) {
  std::printf("%-22s %12s %10s %8s  %s\n", "parameter", "measured", "default", "samples", "how");
  for (const Result& r : results) {
    if (r.measured) {
      std::printf("%-22s %12llu %10llu %8s  %s\n", r.name.c_str(),
                  static_cast<unsigned long long>(coefficient(*r.measured)),
                  static_cast<unsigned long long>(r.default_ns), ("med " + std::to_string(r.samples)).c_str(),
                  r.note.c_str());
    } else {
      std::printf("%-22s %12s %10llu %8s  %s (default kept)\n", r.name.c_str(), "-",
                  static_cast<unsigned long long>(r.default_ns), "-", r.note.c_str());
    }
  }
  std::printf("(nanoseconds; measured in %.1f s)\n", seconds);
}

}  // namespace

void add_calibrate_command(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "calibrate", "Measure the cost model's coefficients on this host's real io_uring and write them as a "
                   "cost-model JSON file (docs/cost-model.md) for --cost-model");
  struct Args {
    std::string output;
    bool quick = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("-o,--output", args->output, "Where to write the cost-model JSON")->required();
  cmd->add_flag("--quick", args->quick, "Fewer, smaller samples (about a second; for tests)");
  cmd->footer("Exit status: 0 written; 1 io_uring unusable here or FILE not writable.\n"
              "Example: uringsim calibrate -o host.json && uringsim run --cost-model host.json -- PROG");
  cmd->callback([args, exit_code]() {
    const Config config = args->quick ? Config{.samples = 5, .big_bytes = size_t{16} << 20, .small_nr = 256,
                                               .loop = 256, .huge_2m = 4}
                                      : Config{.samples = 31, .big_bytes = size_t{256} << 20, .small_nr = 4096,
                                               .loop = 4096, .huge_2m = 64};
    // Fail on an unwritable FILE before spending the time.
    std::ofstream out(args->output, std::ios::app);
    if (!out) {
      std::fprintf(stderr, "uringsim calibrate: cannot write %s: %s\n", args->output.c_str(), std::strerror(errno));
      *exit_code = 1;
      return;
    }
    out.close();
    const uint64_t t0 = now_ns();
    std::vector<Result> results;
    std::string error;
    Calibrator calibrator(config, isatty(STDERR_FILENO) != 0);
    if (!calibrator.run(&results, &error)) {
      std::fprintf(stderr, "uringsim calibrate: %s\n", error.c_str());
      *exit_code = 1;
      return;
    }
    const std::string json = traces::cost_model_json(model_of(results), measured_on());
    std::ofstream file(args->output, std::ios::trunc);
    file << json;
    if (!file.flush()) {
      std::fprintf(stderr, "uringsim calibrate: cannot write %s\n", args->output.c_str());
      *exit_code = 1;
      return;
    }
    print_summary(results, static_cast<double>(now_ns() - t0) / 1e9);
    std::printf("wrote %s\n", args->output.c_str());
    *exit_code = 0;
  });
}

}  // namespace uringsim::tools
