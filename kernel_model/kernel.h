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
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "kernel_model/accounting.h"
#include "kernel_model/chaos.h"
#include "kernel_model/cost.h"
#include "kernel_model/context.h"
#include "kernel_model/profile.h"
#include "kernel_model/ring_fds.h"
#include "kernel_model/sqpoll.h"

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

  // The kernel-allocated buffer ring of group `bgid` (IOU_PBUF_RING_MMAP, kbuf.cc):
  // `bytes` (whole pages) of zero-filled memory, which the client maps at
  // IORING_OFF_PBUF_RING | bgid << IORING_OFF_PBUF_SHIFT. Null when it cannot be had:
  // REGISTER_PBUF_RING then fails with -ENOMEM, or with -EINVAL when *not_simulated
  // was set (a placement this host cannot give; the text says why). The default is
  // page-aligned heap memory, for the in-process model where nothing maps it.
  virtual std::byte* allocate_pbuf_ring(RingId /*ring*/, uint16_t /*bgid*/, size_t bytes,
                                        std::string* /*not_simulated*/) {
    void* p = std::aligned_alloc(kPageSize, bytes);
    if (p != nullptr) std::memset(p, 0, bytes);
    return static_cast<std::byte*>(p);
  }
  // The group was unregistered or its ring torn down; the model never touches `memory`
  // again. (On Linux a client's mapping keeps the pages until munmap.)
  virtual void release_pbuf_ring(RingId /*ring*/, uint16_t /*bgid*/, std::byte* memory, size_t /*bytes*/) {
    std::free(memory);
  }

  // IORING_REGISTER_MEM_REGION without IORING_MEM_REGION_TYPE_USER (mem_region.cc):
  // `bytes` (whole pages) of zero-filled memory the client maps at
  // kParamRegionMmapOffset. Null (-ENOMEM), or -EINVAL when *not_simulated was set.
  // The default is page-aligned heap memory, for the in-process model.
  virtual std::byte* allocate_param_region(RingId /*ring*/, size_t bytes, std::string* /*not_simulated*/) {
    void* p = std::aligned_alloc(kPageSize, bytes);
    if (p != nullptr) std::memset(p, 0, bytes);
    return static_cast<std::byte*>(p);
  }
  virtual void release_param_region(RingId /*ring*/, std::byte* memory, size_t /*bytes*/) { std::free(memory); }

  // --- IORING_SETUP_NO_MMAP and IORING_REGISTER_RESIZE_RINGS (memmap.cc, resize.cc) ---
  // NO_MMAP: the rings region and the SQE array are the client's own pages at
  // `rings_addr` / `sqes_addr`, already checked by the model (mapped, writable,
  // pinnable). Fills `out` with pointers this process can use for those pages -- the
  // model's view of pinned pages -- or returns false with *not_simulated saying why this
  // host cannot (the call then fails with -EINVAL). The default cannot: the model's
  // process is not the client's.
  virtual bool adopt_user(RingId /*ring*/, const RingLayout& /*layout*/, const Credentials& /*client*/,
                          uint64_t /*rings_addr*/, uint64_t /*sqes_addr*/, RingMemory& /*out*/,
                          std::string* not_simulated) {
    *not_simulated = "this host gives the model no view of client pages";
    return false;
  }
  // Drops a view made by adopt_user. When the ring goes, release() follows with an
  // empty RingMemory, for anything else the host keeps per ring (its fd).
  virtual void release_user(RingId /*ring*/, const RingMemory& /*memory*/, const RingLayout& /*layout*/) {}
  // RESIZE_RINGS: zero-filled regions for `layout` replace `old` (which is released).
  // The model has copied what it keeps out of `old` before calling. Returns false, with
  // `old` still in place, when the memory cannot be had (-ENOMEM).
  virtual bool reallocate(RingId ring, const RingLayout& old_layout, const RingMemory& old,
                          const RingLayout& layout, RingMemory& out) {
    if (!allocate(ring, layout, out)) return false;
    release(ring, old, old_layout);
    return true;
  }
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
  // Where ring memory comes from (resize.cc replaces a ring's memory through it).
  RingMemoryProvider& ring_memory() { return *ring_memory_; }

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
  // Requests of the ring still in flight (parked or queued), plus the SQEs an awake
  // SQPOLL thread has yet to consume (they will complete without another syscall).
  size_t inflight(RingId ring) {
    Context* ctx = context(ring);
    return ctx == nullptr ? 0 : ctx->inflight() + sq_thread_backlog(*ctx);
  }

  // --- SQPOLL threads (kernel_model/sqpoll.h, sqpoll.cc) ---
  // The host that runs SQ threads (calls sqpoll_tick); null: SQPOLL setup is refused
  // with EINVAL "not simulated by this host".
  void set_sqpoll_host(SqpollHost* host) { sqpoll_host_ = host; }
  // Online cpus of the simulated machine (SQ_AFF wants sq_thread_cpu below this).
  void set_online_cpus(uint32_t n) { online_cpus_ = n == 0 ? 1 : n; }
  // One pass of io_sq_thread's loop for every awake SQ thread, at now_ns(): each of
  // its rings submits what its SQ holds (at most 8 SQEs per ring when the thread
  // serves several), then the idle clock decides whether the thread goes to sleep
  // and publishes IORING_SQ_NEED_WAKEUP. REQUIRES: set_sqpoll_host was called.
  void sqpoll_tick();
  // Whether some SQ thread is awake: the host must keep ticking (busy-polling, as
  // the Linux thread spins) until this is false.
  bool sq_threads_awake() const;
  // Process `tgid` exited: its SQ threads die with it (IORING_SQ_NEED_WAKEUP is set
  // on their rings; io_uring_enter on them is -EOWNERDEAD from now on).
  void sqpoll_process_exited(int32_t tgid);
  // The SQ thread serving `ring`, null when the ring has none.
  const SqThread* sq_thread(RingId ring);
  size_t sq_thread_count() const { return sq_threads_.size(); }
  // io_uring_enter's SQPOLL part for `ctx` (called by Context::enter): -EOWNERDEAD
  // when the thread is gone, SQ_WAKEUP wakes it, SQ_WAIT lets an awake thread run
  // until the SQ has room.
  Check sqpoll_enter(Context& ctx, uint32_t flags);

  Accounting& accounting() { return accounting_; }
  // The cost model's virtual clock (kernel_model/cost.h): what Linux would have spent.
  // model_time_ns() only grows; last_call_model_ns() is what the latest (or the
  // running) setup/enter/register call charged -- for explain output and traces.
  ModelClock& clock() { return clock_; }
  // --- chaos (kernel_model/chaos.h, docs/chaos.md): off until configured ---
  ChaosPolicy& chaos() { return chaos_; }
  const ChaosPolicy& chaos() const { return chaos_; }
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
  // Gives ring memory back to where it came from (provider memory or a user view).
  void release_ring_memory(RingId ring, const RingMemory& memory, const RingLayout& layout);
  int64_t do_setup(const Caller& caller, uint32_t entries, uint64_t params_addr);
  EnterResult do_enter(const Caller& caller, int fd, uint32_t to_submit, uint32_t min_complete,
                       uint32_t flags, uint64_t arg, uint64_t argsz, RingId* ring);
  int64_t register_call(const Caller& caller, int fd, uint32_t opcode, uint64_t arg,
                        uint32_t nr_args, RingId* ring);
  Context* resolve_ring(const Caller& caller, int fd, const char* call, int64_t* err);
  // io_sq_offload_create: ATTACH_WQ's wq_fd checks, then the SQ thread (new or
  // shared) for an SQPOLL ring.
  Check start_sq_thread(Context& ctx, const Caller& caller, const io_uring_params& p);
  // io_sq_thread_finish: the ring leaves its thread; the last ring ends the thread.
  void stop_sq_thread(Context& ctx);
  void run_sq_thread(SqThread& thread);
  size_t sq_thread_backlog(const Context& ctx) const;
  // A registered-ring index (IORING_ENTER_REGISTERED_RING / REGISTER_USE_REGISTERED_RING).
  Context* resolve_registered_ring(const Caller& caller, int index, const char* call, int64_t* err);

  const Profile& profile_;
  RingMemoryProvider* ring_memory_;
  std::unique_ptr<RingMemoryProvider> heap_memory_;
  Accounting accounting_;
  ModelClock clock_;
  ChaosPolicy chaos_;  // chaos
  std::map<RingId, std::unique_ptr<Context>> rings_;
  std::map<int32_t, TaskContext> tasks_;  // by tid
  RingId next_ring_ = 0;
  uint64_t now_ns_ = 0;
  int64_t realtime_offset_ns_ = 0;
  int64_t boottime_offset_ns_ = 0;
  Observer* observer_ = nullptr;
  Fault last_fault_;
  SqpollHost* sqpoll_host_ = nullptr;
  uint32_t online_cpus_ = 1;
  std::map<uint32_t, std::unique_ptr<SqThread>> sq_threads_;  // by id
  uint32_t next_sq_thread_ = 0;
};

}  // namespace uringsim
