// Replay: re-execute a Trace on a Target and compare what happens with what the trace
// expects.
//
// The replayer plays the application: it places the trace's memory and files (through
// the target), writes each enter's SQEs into the SQ ring and advances the tail, sets
// the CQ head, issues the syscall, then reads the CQEs that appeared and the ring
// words, and compares each with the trace (traces/FORMAT.md, "How a replay compares").
// Addresses are rewritten from {region, offset} to wherever the target placed the
// region, in SQE fields, iovec arrays and register arguments alike.
//
// Two targets:
//  - SimTarget: a fresh kernel_model Kernel with the trace's profile (or another),
//    SyntheticMemory for the regions, in-memory files. Deterministic; every failed
//    call and CQE comes with the model's reason (Fault).
//  - KernelTarget: the host's real io_uring. Regions are mmap'ed as their kind says
//    (temp files on a disk filesystem for *_file, memfd for shmem, MAP_HUGETLB),
//    files are temp files, calls are raw syscalls 425-427.
// Socket files are real host socket pairs on both (traces/socket_pair.h): the target
// keeps the peer end, writes the trace's peer_sends into it, and the replay compares
// what it received at the end.
//
//   Trace t; TraceError err;
//   if (!read_trace_file(path, &t, &err)) { puts(err.message().c_str()); return 2; }
//   SimTarget sim(nullptr);
//   ReplayResult r = replay(t, sim, {});
//   for (const Divergence& d : r.divergences) puts(d.message.c_str());
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel_model/observer_list.h"
#include "kernel_model/kernel.h"
#include "traces/socket_pair.h"
#include "traces/synthetic_memory.h"
#include "traces/trace.h"

namespace uringsim::traces {

// A ring's memory as the application sees it after mmap.
struct RingMaps {
  uint8_t* sq_ring = nullptr;
  uint8_t* cq_ring = nullptr;
  uint8_t* sqes = nullptr;
  io_uring_params params{};  // as setup returned them
};

// Where a trace is re-executed. All calls return the kernel convention (>= 0 or -errno).
class Target {
 public:
  virtual ~Target() = default;
  virtual std::string name() const = 0;

  // Places the trace's regions and files. False with *why when this target cannot
  // replay this trace at all (the replay is skipped, not failed). `trace` must
  // outlive the target.
  virtual bool prepare(const Trace& trace, std::string* why) = 0;

  virtual uint64_t region_address(const std::string& id) = 0;
  // `len` bytes of the target's own anonymous memory, valid until reset_scratch().
  virtual uint64_t scratch(size_t len) = 0;
  virtual void reset_scratch() = 0;
  // Only inside placed regions and scratch; false elsewhere.
  virtual bool write_memory(uint64_t addr, const void* src, size_t len) = 0;
  virtual bool read_memory(uint64_t addr, void* dst, size_t len) = 0;

  // The target's fd for a file the trace declares.
  virtual int file_fd(int trace_fd) = 0;
  // An fd number certainly not open on the target (for fds the trace never declared).
  virtual int closed_fd(int trace_fd) = 0;

  virtual int64_t setup(uint32_t entries, uint64_t params_addr) = 0;
  virtual bool map_ring(int fd, const io_uring_params& p, RingMaps* out, std::string* why) = 0;
  virtual int64_t enter(int fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags,
                        uint64_t arg, uint64_t argsz) = 0;
  virtual int64_t do_register(int fd, uint32_t opcode, uint64_t arg, uint32_t nr_args) = 0;
  virtual void close_ring(int fd) = 0;

  // Gives completions that Linux posts asynchronously time to arrive: returns once
  // `want` CQEs are visible past `tail`, or after a bounded wait. No-op on the model.
  virtual void settle(const RingMaps& /*ring*/, uint32_t /*tail*/, uint32_t /*want*/) {}
  // Why the last failed call failed (the model's Fault); empty when unknown.
  virtual std::string last_call_reason() { return {}; }
  // The simulated time the last call cost (kernel_model/cost.h); nullopt when the
  // target has no cost model (Linux).
  virtual std::optional<uint64_t> last_call_model_ns() { return std::nullopt; }
  // Everything the peer of the trace's socket file `trace_fd` has received since the
  // last call (it drains the peer); empty for a file that is not a socket.
  virtual std::string peer_received(int trace_fd) = 0;
  // The peer of socket file `trace_fd` writes `bytes` (a peer event). False with *why.
  virtual bool peer_send(int trace_fd, const std::string& bytes, std::string* why) = 0;
  // Why the CQE {user_data, res, flags} read from ring `fd` has its res (the model's
  // Fault for failures); empty when unknown. Each posted CQE's reason is taken once.
  virtual std::string take_cqe_reason(int /*fd*/, uint64_t /*user_data*/, int32_t /*res*/,
                                      uint32_t /*flags*/) {
    return {};
  }
};

// The simulator: a kernel_model Kernel over SyntheticMemory and in-memory files.
class SimTarget : public Target, private Observer {
 public:
  // `profile`: null for the trace's own profile.
  explicit SimTarget(const Profile* profile = nullptr);
  ~SimTarget() override;

  std::string name() const override;
  bool prepare(const Trace& trace, std::string* why) override;
  uint64_t region_address(const std::string& id) override;
  uint64_t scratch(size_t len) override;
  void reset_scratch() override;
  bool write_memory(uint64_t addr, const void* src, size_t len) override;
  bool read_memory(uint64_t addr, void* dst, size_t len) override;
  int file_fd(int trace_fd) override;
  int closed_fd(int trace_fd) override;
  int64_t setup(uint32_t entries, uint64_t params_addr) override;
  bool map_ring(int fd, const io_uring_params& p, RingMaps* out, std::string* why) override;
  int64_t enter(int fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags, uint64_t arg,
                uint64_t argsz) override;
  int64_t do_register(int fd, uint32_t opcode, uint64_t arg, uint32_t nr_args) override;
  void close_ring(int fd) override;
  std::string last_call_reason() override;
  std::optional<uint64_t> last_call_model_ns() override {
    return kernel_ ? std::optional<uint64_t>(kernel_->last_call_model_ns()) : std::nullopt;
  }
  std::string take_cqe_reason(int fd, uint64_t user_data, int32_t res, uint32_t flags) override;
  std::string peer_received(int trace_fd) override;
  bool peer_send(int trace_fd, const std::string& bytes, std::string* why) override;

  // The cost model the Kernel made by prepare() charges with (kernel_model/cost.h);
  // unset: the profile's defaults. Call before prepare().
  void set_cost_model(const CostModel& model) { cost_model_ = model; }

  Kernel& kernel() { return *kernel_; }
  SyntheticMemory& memory() { return memory_; }
  // One more observer of the simulated kernel (e.g. explain mode), made by `factory`
  // when prepare() builds the Kernel. The observer must outlive this target.
  void set_observer_factory(std::function<Observer*(Kernel&)> factory) { observer_factory_ = std::move(factory); }
  // The profile given to the constructor; null: the trace's own.
  const Profile* override_profile() const { return override_profile_; }

 private:
  class SimFiles;
  void on_cqe(RingId ring, const Cqe& cqe, const Fault* why) override;
  RingId ring_of(int fd);

  const Profile* override_profile_;
  std::function<Observer*(Kernel&)> observer_factory_;
  ObserverList observers_;
  std::optional<CostModel> cost_model_;
  // Before kernel_: the model's files refer to these sockets' fds until it is gone.
  std::map<int, std::unique_ptr<SocketPair>> sockets_;  // trace fd -> host pair
  std::unique_ptr<Kernel> kernel_;
  SyntheticMemory memory_;
  std::unique_ptr<SimFiles> files_;
  Caller caller_;
  uint64_t scratch_base_ = 0;
  size_t scratch_used_ = 0;
  struct Posted {
    Cqe cqe;
    std::string reason;
  };
  std::map<RingId, std::deque<Posted>> posted_;
};

// The host's io_uring, through raw syscalls.
class KernelTarget : public Target {
 public:
  KernelTarget();
  ~KernelTarget() override;

  // Whether io_uring_setup works here; *why says what failed when it does not.
  static bool available(std::string* why);
  // This process already is the trace's caller (replay_on_linux_as switched to it):
  // prepare() then accepts a trace whose header caller is not root.
  void set_caller_is_current(bool yes) { caller_is_current_ = yes; }

  std::string name() const override { return "linux"; }
  bool prepare(const Trace& trace, std::string* why) override;
  uint64_t region_address(const std::string& id) override;
  uint64_t scratch(size_t len) override;
  void reset_scratch() override { scratch_used_ = 0; }
  bool write_memory(uint64_t addr, const void* src, size_t len) override;
  bool read_memory(uint64_t addr, void* dst, size_t len) override;
  int file_fd(int trace_fd) override;
  int closed_fd(int trace_fd) override;
  int64_t setup(uint32_t entries, uint64_t params_addr) override;
  bool map_ring(int fd, const io_uring_params& p, RingMaps* out, std::string* why) override;
  int64_t enter(int fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags, uint64_t arg,
                uint64_t argsz) override;
  int64_t do_register(int fd, uint32_t opcode, uint64_t arg, uint32_t nr_args) override;
  void close_ring(int fd) override;
  void settle(const RingMaps& ring, uint32_t tail, uint32_t want) override;
  std::string peer_received(int trace_fd) override;
  bool peer_send(int trace_fd, const std::string& bytes, std::string* why) override;

 private:
  struct Mapping {
    uint64_t start = 0;
    uint64_t len = 0;
    bool writable = true;
  };
  struct RingMapping {
    void* sq = nullptr;
    size_t sq_len = 0;
    void* cq = nullptr;
    size_t cq_len = 0;
    void* sqes = nullptr;
    size_t sqes_len = 0;
  };
  bool inside(uint64_t addr, size_t len, bool for_write) const;

  std::map<std::string, Mapping> regions_;
  std::vector<int> backing_fds_;
  std::map<int, int> files_;  // trace fd -> our fd (regular files)
  std::map<int, std::unique_ptr<SocketPair>> sockets_;  // trace fd -> host pair
  std::map<int, RingMapping> rings_;
  Mapping scratch_map_;
  size_t scratch_used_ = 0;
  bool caller_is_current_ = false;
};

struct Divergence {
  int line = 0;
  std::string message;  // "FILE:LINE: enter fd 3: CQE user_data 2 (...): expected ..., got ..."
};

struct ReplayOptions {
  // Build ReplayResult::updated: the trace with every expectation replaced by what
  // the target did (for `replay --update`).
  bool update = false;
};

struct ReplayResult {
  bool skipped = false;      // the target cannot replay this trace
  std::string skip_reason;
  std::vector<Divergence> divergences;
  size_t calls = 0;          // syscall events executed
  size_t sqes = 0;
  size_t cqes = 0;
  double seconds = 0;        // wall time of the replay proper (prepare excluded)
  Trace updated;             // with options.update
  // Shape replays (replay_shape): what the trace cannot tell, so was not checked.
  std::vector<std::string> unchecked;
  bool ok() const { return !skipped && divergences.empty(); }
};

// A trace whose header says "mode": "shape" is not re-executed: on a SimTarget it goes
// to replay_shape() with the target's profile; other targets skip it (they would need
// the memory and SQE fields the trace does not have).
ReplayResult replay(const Trace& trace, Target& target, const ReplayOptions& options = {});

// Replays `trace` on this machine's io_uring as another caller: a child process sets
// RLIMIT_MEMLOCK to caller.memlock (unlimited when unset), drops every supplementary
// group, switches to gid and uid caller.uid (which clears all its capabilities,
// CAP_IPC_LOCK included), replays there on a KernelTarget, and sends the result back
// through a pipe. So a trace recorded by an unprivileged user (memlock_exceeded) gets
// its ENOMEM on Linux too. Skipped (with the reason) unless this process is root, and
// for a caller that is not root but keeps CAP_IPC_LOCK (not reproducible this way).
// Returns 100 ms after the child exits: Linux returns the child's locked pages to the
// uid asynchronously, and the next replay as that uid must not see them.
ReplayResult replay_on_linux_as(const Trace& trace, const CallerDecl& caller, const ReplayOptions& options = {});

// Checks a shape trace (an import of perf io_uring tracepoints, traces/perf_import.h)
// against `profile` without executing it (traces/FORMAT.md, "Imported traces"):
//  - every opcode, IOSQE flag, register opcode and setup flag exists in the profile,
//    else the trace must show the -EINVAL Linux gives for it;
//  - every submitted user_data completes on its ring (unless IOSQE_CQE_SKIP_SUCCESS);
//  - results fall in the classes Linux allows: res >= 0 or -errno (1..4095); no
//    success CQE for a CQE_SKIP_SUCCESS request; after a failed member of an IO_LINK
//    chain, the members behind it that complete do so with -ECANCELED.
// Each failed check is a Divergence; ReplayResult::unchecked says what was not checked.
ReplayResult replay_shape(const Trace& trace, const Profile& profile);

// Replay throughput on the simulator: replays `trace` on fresh SimTargets until at
// least `min_seconds` of replay time have passed, and returns syscall events (setup,
// enter, register) per second, excluding the time spent placing memory. For
// `uringsim bench`. Returns 0 if the trace does not replay cleanly (*error says why).
double replay_events_per_second(const Trace& trace, double min_seconds = 0.2,
                                std::string* error = nullptr);

}  // namespace uringsim::traces
