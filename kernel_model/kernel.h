// Kernel: the simulated kernel, the model's public face.
//
// One Kernel holds every ring of one simulated machine, the per-user memlock
// accounting they share, and the profile (which Linux it is). Its three calls mirror
// the three syscalls; pointers in their arguments are client addresses, read and
// written through the caller's UserMemory. Pure and deterministic: no threads, no
// clocks, no globals; the host (sim/, traces/, tests) provides memory, files and
// the waiting.
//
//   uringsim::Kernel k;                           // Linux 6.18
//   int64_t ring = k.setup(caller, 8, params_addr);  // >= 0: ring id
//   uint8_t* sq = k.map(ring, IORING_OFF_SQ_RING, &len);
//   ... write SQEs, bump the tail ...
//   EnterResult r = k.enter(caller, ring_fd, 1, 1, IORING_ENTER_GETEVENTS, 0, 0);
#pragma once

#include <cstdint>
#include <map>
#include <memory>

#include "kernel_model/accounting.h"
#include "kernel_model/cost.h"
#include "kernel_model/context.h"
#include "kernel_model/profile.h"
#include "kernel_model/ring_fds.h"

namespace uringsim {

// Gives each ring its memory. The default keeps it on the heap (in-process use);
// sim/ provides shared memory that a client process maps.
class RingMemoryProvider {
 public:
  virtual ~RingMemoryProvider() = default;
  // Zero-filled regions for `layout`. Returns false when the memory cannot be had
  // (the setup fails with -ENOMEM).
  virtual bool allocate(RingId ring, const RingLayout& layout, RingMemory& out) = 0;
  virtual void release(RingId ring, const RingMemory& memory, const RingLayout& layout) = 0;
};

// Sees everything the model does: explain mode and the trace recorder implement this.
// Hooks run synchronously inside the model's calls; they must not call back into
// the Kernel. Syscall hooks see the arguments exactly as the client passed them.
class Observer {
 public:
  virtual ~Observer() = default;
  // Before the model looks at the arguments (a recorder copies argument memory here).
  virtual void before_setup(const Caller&, uint32_t /*entries*/, uint64_t /*params_addr*/) {}
  virtual void before_register(const Caller&, int /*fd*/, uint32_t /*opcode*/, uint64_t /*arg*/,
                               uint32_t /*nr_args*/) {}
  virtual void before_enter(const Caller&, int /*fd*/, uint32_t /*to_submit*/,
                            uint32_t /*min_complete*/, uint32_t /*flags*/) {}
  // After the model answered. `ring` is kNoRing when the fd did not resolve to a ring.
  virtual void after_setup(const Caller&, uint32_t /*entries*/, uint64_t /*params_addr*/,
                           int64_t /*ret*/) {}
  virtual void after_register(const Caller&, RingId /*ring*/, uint32_t /*opcode*/,
                              uint64_t /*arg*/, uint32_t /*nr_args*/, int64_t /*ret*/) {}
  virtual void after_enter(const Caller&, RingId /*ring*/, const EnterResult&) {}
  // A wait finished (Kernel::wait_done) with this final return value.
  virtual void after_wait(RingId /*ring*/, int64_t /*ret*/) {}
  virtual void on_ring_destroyed(RingId /*ring*/) {}
  virtual void on_sqe(RingId, const Request&) {}
  // `why`: the fault behind a failed request's CQE, null for successes.
  virtual void on_cqe(RingId, const Cqe&, const Fault* /*why*/) {}
  // An SQ array entry held an index >= sq_entries (counted in `dropped`).
  virtual void on_dropped(RingId, uint32_t /*sq_index*/) {}
  virtual void on_syscall_fault(const char* /*call*/, const Fault&) {}
};

class Kernel {
 public:
  explicit Kernel(const Profile& profile = default_profile(),
                  RingMemoryProvider* ring_memory = nullptr);
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  const Profile& profile() const { return profile_; }

  // io_uring_setup(entries, params): returns the new ring's id (>= 0) or -errno.
  // The host turns the id into an fd whose File::ring() answers it.
  int64_t setup(const Caller& caller, uint32_t entries, uint64_t params_addr);

  // io_uring_enter(fd, ...). `fd` is resolved through caller.files (File::ring()).
  EnterResult enter(const Caller& caller, int fd, uint32_t to_submit, uint32_t min_complete,
                    uint32_t flags, uint64_t arg, uint64_t argsz);
  // Completes an enter that returned must_wait (see EnterResult): the value the
  // syscall returns. wait_error: 0, or the -errno that ended the wait (-ETIME, -EINTR).
  int64_t wait_done(RingId ring, const EnterResult& entered, int wait_error);

  // io_uring_register(fd, opcode, arg, nr_args).
  int64_t do_register(const Caller& caller, int fd, uint32_t opcode, uint64_t arg,
                      uint32_t nr_args);

  // The last ring reference is gone (fd closed and unmapped, or the client died):
  // tears the ring down, returning its pins and memlock charges.
  void destroy(RingId ring);

  // A ring by id, or null.
  Context* context(RingId ring);
  size_t ring_count() const { return rings_.size(); }

  // The memory the client maps at `offset` (IORING_OFF_*), and its length; null with
  // *len = 0 when there is none (mmap answers -ENOMEM / -EINVAL as Linux does).
  std::byte* map(RingId ring, uint64_t offset, size_t* len);

  // The model clock: CLOCK_MONOTONIC nanoseconds as the host says (the model never
  // reads a clock). It only moves forward. Offsets turn REALTIME/BOOTTIME absolute
  // timeouts into it.
  uint64_t now_ns() const { return now_ns_; }
  void set_now(uint64_t monotonic_ns) {
    if (monotonic_ns > now_ns_) now_ns_ = monotonic_ns;
  }
  void set_clock_offsets(int64_t realtime_minus_monotonic, int64_t boottime_minus_monotonic) {
    realtime_offset_ns_ = realtime_minus_monotonic;
    boottime_offset_ns_ = boottime_minus_monotonic;
  }
  int64_t realtime_offset_ns() const { return realtime_offset_ns_; }
  int64_t boottime_offset_ns() const { return boottime_offset_ns_; }
  // Fires the ring's due timers and runs its deferred work. `owner` is the caller
  // whose memory and files completions may touch; `waiting` says the owner is in a
  // GETEVENTS wait (DEFER_TASKRUN rings only run their work then).
  void progress(const Caller& owner, RingId ring, bool waiting);
  // The ring's earliest timer, UINT64_MAX when none.
  uint64_t next_deadline(RingId ring);
  // Calls f(File&, uint32_t poll_events) for every file a parked request of the ring
  // waits on; the host polls them and calls progress() when one is ready.
  template <class F>
  void for_each_wanted_fd(RingId ring, F&& f) {
    if (Context* ctx = context(ring)) ctx->for_each_wanted_fd(f);
  }
  // Requests of the ring still in flight (parked or queued).
  size_t inflight(RingId ring) {
    Context* ctx = context(ring);
    return ctx == nullptr ? 0 : ctx->inflight();
  }

  Accounting& accounting() { return accounting_; }
  // The cost model's virtual clock (kernel_model/cost.h): what Linux would have spent.
  // model_time_ns() only grows; last_call_model_ns() is what the latest (or the
  // running) setup/enter/register call charged -- for explain output and traces.
  ModelClock& clock() { return clock_; }
  uint64_t model_time_ns() const { return clock_.now_ns(); }
  uint64_t last_call_model_ns() const { return clock_.call_ns(); }
  void set_cost_model(const CostModel& model) { clock_.set_model(model); }

  // The io_uring state of task `tid` (current->io_uring; ring_fds.h): null until the
  // task set up a ring, submitted SQEs or registered ring fds.
  TaskContext* task_context(int32_t tid);
  TaskContext& add_task_context(int32_t tid);

  void set_observer(Observer* o) { observer_ = o; }
  Observer* observer() { return observer_; }

  // Why the last call that failed at the syscall level failed.
  const Fault& last_fault() const { return last_fault_; }

 private:
  int64_t fail(const char* call, Fault f);
  int64_t do_setup(const Caller& caller, uint32_t entries, uint64_t params_addr);
  EnterResult do_enter(const Caller& caller, int fd, uint32_t to_submit, uint32_t min_complete,
                       uint32_t flags, uint64_t arg, uint64_t argsz, RingId* ring);
  int64_t register_call(const Caller& caller, int fd, uint32_t opcode, uint64_t arg,
                        uint32_t nr_args, RingId* ring);
  Context* resolve_ring(const Caller& caller, int fd, const char* call, int64_t* err);
  // A registered-ring index (IORING_ENTER_REGISTERED_RING / REGISTER_USE_REGISTERED_RING).
  Context* resolve_registered_ring(const Caller& caller, int index, const char* call, int64_t* err);

  const Profile& profile_;
  RingMemoryProvider* ring_memory_;
  std::unique_ptr<RingMemoryProvider> heap_memory_;
  Accounting accounting_;
  ModelClock clock_;
  std::map<RingId, std::unique_ptr<Context>> rings_;
  std::map<int32_t, TaskContext> tasks_;  // by tid
  RingId next_ring_ = 0;
  uint64_t now_ns_ = 0;
  int64_t realtime_offset_ns_ = 0;
  int64_t boottime_offset_ns_ = 0;
  Observer* observer_ = nullptr;
  Fault last_fault_;
};

}  // namespace uringsim
