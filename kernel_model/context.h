// Context: one io_uring instance (the kernel's io_ring_ctx).
//
// Owns the ring, the registered resources and the requests in flight; runs the
// submission loop, links, drain and CQE posting. Created by Kernel::setup, driven by
// Kernel::enter / Kernel::do_register with the calling task's credentials, memory and
// files bound for the duration of each call.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "kernel_model/accounting.h"
#include "kernel_model/eventfd.h"
#include "kernel_model/fault.h"
#include "kernel_model/mem_region.h"
#include "kernel_model/files.h"
#include "kernel_model/profile.h"
#include "kernel_model/request.h"
#include "kernel_model/restriction.h"
#include "kernel_model/ring.h"
#include "kernel_model/rsrc.h"
#include "kernel_model/user_memory.h"

namespace uringsim {

class Kernel;
class Observer;
struct SqThread;
class ProvidedBuffers;

// Who is calling, and through what the model reaches their world.
struct Caller {
  Credentials creds;
  UserMemory* memory = nullptr;
  Files* files = nullptr;
};

// What io_uring_enter answers. The model never blocks: when Linux would sleep,
// `must_wait` is set and the host waits (for CQEs to appear, a timeout or a signal)
// and then calls Kernel::wait_done. `ret` is the value to return if no wait happens.
struct EnterResult {
  int64_t ret = 0;
  bool must_wait = false;
  uint32_t wait_nr = 0;  // CQEs the caller waits for (min_complete, capped at cq_entries)
  // IORING_ENTER_EXT_ARG: give up with -ETIME when the model clock reaches this.
  uint64_t deadline_ns = UINT64_MAX;
  // io_uring_getevents_arg.min_wait_usec (6.12): after this long, any CQE ends the wait.
  uint64_t min_wait_ns = 0;
  // A signal mask to apply while waiting (client address), 0 for none.
  uint64_t sigmask_addr = 0;
  // [wait sigmask] The sigset at sigmask_addr (bit N-1 blocks signal N), copied when
  // the wait begins, as set_user_sigmask does; meaningful when sigmask_addr != 0.
  uint64_t sigmask = 0;
};

class Context {
 public:
  Context(Kernel& kernel, RingId id, const Profile& profile, const RingLayout& layout,
          const RingMemory& memory, const Credentials& creator);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  RingId id() const { return id_; }
  const Profile& profile() const { return profile_; }
  uint32_t setup_flags() const { return ring_.layout().setup_flags; }
  Ring& ring() { return ring_; }
  const Ring& ring() const { return ring_; }
  Kernel& kernel() { return kernel_; }
  Accounting& accounting();
  Observer* observer();

  // The ring's creator: decides whether memory is charged (no CAP_IPC_LOCK) and to whom.
  const Credentials& creator() const { return creator_; }
  // Whether pins and ring memory are charged to the creator's locked_vm.
  bool charges_memlock() const { return !creator_.cap_ipc_lock; }
  // Ring pages charged at setup (returned at teardown).
  uint64_t ring_acct_pages = 0;
  // IORING_REGISTER_MEM_REGION's region and its wait-argument slots (mem_region.h).
  ParamRegion param_region;

  // The caller of the syscall in progress. Valid only during enter/register.
  const Caller& caller() const { return *caller_; }
  UserMemory& memory() { return *caller_->memory; }
  Files& files() { return *caller_->files; }

  BufferTable& buffers() { return buffers_; }
  FileTable& fixed_files() { return fixed_files_; }
  // Provided-buffer groups (kbuf.h).
  ProvidedBuffers& provided_buffers() { return *provided_buffers_; }

  // Scratch memory for copies between files and user memory; grows once, then reused
  // (the hot path allocates nothing after warm-up).
  std::byte* scratch(size_t n);

  // io_uring_enter on this ring. REQUIRES: flags already checked against the profile.
  EnterResult enter(const Caller& caller, uint32_t to_submit, uint32_t min_complete,
                    uint32_t flags, uint64_t arg, uint64_t argsz);
  // While the host waits for an EnterResult with must_wait: flushes the overflow
  // backlog (as Linux's wait loop does) and says whether `wait_nr` CQEs are there.
  bool wait_satisfied(uint32_t wait_nr);
  // After the wait: the value io_uring_enter returns. `submitted` is EnterResult::ret;
  // `wait_error` is 0 or the -errno that ended the wait (-ETIME, -EINTR).
  int64_t wait_done(int64_t submitted, int wait_error);

  // io_uring_register on this ring (register.cc). `opcode` without the
  // USE_REGISTERED_RING bit; common checks (opcode range, fd) already done.
  int64_t do_register(const Caller& caller, uint32_t opcode, uint64_t arg, uint32_t nr_args);

  // Posts a CQE for an event that is not a request's completion (tag CQEs). Like
  // io_post_aux_cqe, it commits the CQ (commit_cqring).
  void post_aux_cqe(uint64_t user_data, int32_t res, uint32_t flags);
  // io_commit_cqring_flush: a batch of CQEs is now visible; signals the registered
  // eventfd if the CQ tail moved (eventfd.cc). `from_iowq`: posted by an io-wq worker.
  void commit_cqring(bool from_iowq);
  IoEventfd& eventfd() { return eventfd_; }

  // --- IORING_SETUP_R_DISABLED, ENABLE_RINGS, restrictions (restriction.cc) ---
  // Still waiting for IORING_REGISTER_ENABLE_RINGS: io_uring_enter is -EBADFD.
  bool disabled() const { return disabled_; }
  Restrictions& restrictions() { return restrictions_; }
  const Restrictions& restrictions() const { return restrictions_; }
  // Registered restrictions are binding (set when the ring is enabled).
  bool restricted() const { return restricted_; }
  void enable() {
    disabled_ = false;
    restricted_ = restrictions_.registered;
  }
  // Runs deferred task work now, as the return to user space does (not on
  // DEFER_TASKRUN rings, which run it only while waiting). For register calls that
  // complete requests (IORING_REGISTER_SYNC_CANCEL).
  void flush_task_work() {
    if (!(setup_flags() & IORING_SETUP_DEFER_TASKRUN)) run_task_work();
  }

  // --- requests that outlive their issue (timeouts; io_uring/timeout.c, cancel.c) ---
  // The model clock (CLOCK_MONOTONIC nanoseconds), as the host last set it.
  uint64_t now_ns() const;
  Request& request(int32_t index) { return requests_[static_cast<size_t>(index)]; }
  // The last member of the link being assembled, or -1 (LINK_TIMEOUT's prep needs it).
  int32_t link_last() const { return link_head_ >= 0 ? link_last_ : -1; }
  // Parks `req` until the clock passes `deadline_ns` (then Context::on_timer runs).
  void arm_timer(Request& req, uint64_t deadline_ns);
  // Parks `req` until `target_seq` CQEs (not counting timeouts') have been posted.
  void arm_sequence(Request& req, uint32_t target_seq);
  // Parks `req` until its file is ready for `events` (POLLIN / POLLOUT); progress()
  // then issues it again, as Linux's internal poll retry does (IORING_FEAT_FAST_POLL).
  void arm_poll(Request& req, uint32_t events);
  void disarm(Request& req);
  // Files parked requests wait on, with the events wanted (for the host to poll).
  template <class F>
  void for_each_wanted_fd(F&& f) {
    for (int32_t i : parked_) {
      const Request& r = requests_[static_cast<size_t>(i)];
      if (r.park == Request::Park::kPoll && r.file) f(*r.file, r.poll_events);
    }
  }
  // The CQ position timeouts count from: CQEs posted minus timeouts that fired.
  uint32_t sequence_now() const { return static_cast<uint32_t>(ring_.cqes_posted()) - cq_timeouts_; }
  void count_fired_timeout() { ++cq_timeouts_; }
  // Finishes a parked request with req.res already set: posts its CQE and runs or
  // fails its link (from task work, as Linux completes out-of-line requests).
  void complete_parked(Request& req);
  // Posts one CQE for a multishot request that stays parked (IORING_CQE_F_MORE set).
  void post_more(Request& req, int32_t res);
  // Calls f(Request&) for every parked request, in submission order.
  template <class F>
  void for_each_parked(F&& f) {
    for (int32_t i : parked_) f(requests_[static_cast<size_t>(i)]);
  }
  // Cancels a parked request: completes it with -ECANCELED (and fails its link).
  void cancel_parked(Request& req, const char* why);

  // Runs what is due: timers up to now_ns(), then deferred task work (unless the ring
  // uses DEFER_TASKRUN and `waiting` is false). The host calls this through
  // Kernel::progress after moving the clock.
  void progress(const Caller& caller, bool waiting);
  // The earliest timer deadline, or UINT64_MAX.
  uint64_t next_deadline() const;
  // Requests allocated and not yet completed.
  size_t inflight() const { return requests_.size() - free_.size(); }
  // SINGLE_ISSUER: the task (tid) that owns submission, 0 when not yet fixed.
  int32_t submitter_tid() const { return submitter_tid_; }
  void set_submitter_tid(int32_t tid) { submitter_tid_ = tid; }

  // Whether IOSQE_CQE_SKIP_SUCCESS has ever been seen (then DRAIN is refused).
  bool seen_cqe_skip() const { return seen_cqe_skip_; }

  // Why the last syscall-level rejection happened (for explain mode).
  void set_fault(Fault f) { last_fault_ = std::move(f); }
  const Fault& last_fault() const { return last_fault_; }
  // A syscall-level rejection (register opcodes, enter arguments): records why and
  // returns -errno, the value the syscall returns.
  int64_t reject(Fault f) {
    const int64_t ret = -f.err;
    set_fault(std::move(f));
    return ret;
  }

  // --- IORING_SETUP_SQPOLL (sqpoll.h) ---
  // The SQ thread that submits for this ring; null without SQPOLL.
  SqThread* sq_thread() const { return sq_thread_; }
  // params.sq_thread_idle of this ring (ns; 0 asked for the default, one second).
  uint64_t sq_thread_idle_ns() const { return sq_thread_idle_ns_; }
  void set_sq_thread(SqThread* thread, uint64_t idle_ns) {
    sq_thread_ = thread;
    sq_thread_idle_ns_ = idle_ns;
  }
  // The SQ thread's __io_sq_thread for this ring: submits up to `to_submit` SQEs as
  // `caller` (the creator's process and credentials). Returns the number submitted.
  int64_t sq_thread_submit(const Caller& caller, uint32_t to_submit);

  // Invoke on teardown before destruction: drops tables (tag CQEs), returns charges.
  void teardown();

  // Binds the syscall's caller to the context for the duration of one call.
  class CallerScope {
   public:
    // Nests: an SQ thread running inside an enter's SQ_WAIT restores the enter's caller.
    CallerScope(Context& ctx, const Caller& caller) : ctx_(ctx), outer_(ctx.caller_) {
      ctx_.caller_ = &caller;
    }
    ~CallerScope() { ctx_.caller_ = outer_; }
    CallerScope(const CallerScope&) = delete;
    CallerScope& operator=(const CallerScope&) = delete;

   private:
    Context& ctx_;
    const Caller* outer_;
  };

 private:
  // Deferred work after the inline part of a batch: issue a request (a link
  // successor, an IOSQE_ASYNC request) or post a completion decided earlier (a
  // cancelled link member, NOP's task-work completion).
  struct Work {
    int32_t index;
    bool issue;
  };
  int32_t alloc_request();
  void free_request(int32_t index);
  void flush_sequence_timeouts();
  void on_timer(Request& req);
  void finish(int32_t index);  // post if due, free, continue or fail the link

  int64_t submit_sqes(uint32_t to_submit);
  // io_init_req: the checks every SQE passes before its op's prep, then prep.
  // Returns 0, or -errno with the request failed.
  int init_request(Request& req);
  // io_submit_sqe: link assembly, then queueing. Returns non-zero when the loop
  // should stop (a failed SQE that is not in the middle of a link).
  int submit_request(int32_t index, int init_err);
  void queue_fallback(int32_t index);
  // io_queue_deferred: moves drained requests whose turn has come to task work.
  void queue_deferred();
  void issue_request(int32_t index);
  // What follows an op's issue(): parked, or finished now / from task work.
  void after_issue(int32_t index, int32_t res);
  // `waiting`: as progress(); a DEFER_TASKRUN ring runs poll task work only then.
  void retry_ready_polls(bool waiting);
  // [poll wakeups] io_poll_post_wakeups for every parked multishot POLL_ADD.
  void post_poll_wakeups(bool task_work_runs);
  void complete(int32_t index);
  void post_request_cqe(const Request& req);
  void fail_links(const Request& failed);
  void run_task_work();

  Kernel& kernel_;
  RingId id_;
  const Profile& profile_;
  Ring ring_;
  Credentials creator_;
  const Caller* caller_ = nullptr;
  BufferTable buffers_;
  FileTable fixed_files_;
  std::unique_ptr<ProvidedBuffers> provided_buffers_;
  std::vector<std::byte> scratch_;
  Fault last_fault_;
  bool seen_cqe_skip_ = false;
  bool disabled_ = false;
  bool restricted_ = false;
  Restrictions restrictions_;
  IoEventfd eventfd_;
  SqThread* sq_thread_ = nullptr;
  uint64_t sq_thread_idle_ns_ = 0;

  // Every request lives in this pool (stable addresses) from init to completion;
  // slots are reused, so steady-state submission allocates nothing.
  std::deque<Request> requests_;
  std::vector<int32_t> free_;
  std::vector<int32_t> parked_;          // submission order
  std::multimap<uint64_t, int32_t> timers_;  // deadline -> request
  std::vector<int32_t> sequence_timeouts_;   // by target
  uint32_t cq_timeouts_ = 0;
  int32_t submitter_tid_ = 0;
  int32_t link_head_ = -1;
  int32_t link_last_ = -1;
  std::vector<Work> task_work_;   // FIFO, consumed from task_work_next_
  size_t task_work_next_ = 0;
  std::vector<int32_t> drained_;  // IOSQE_IO_DRAIN and everything after it, in order
  size_t drained_next_ = 0;
  bool running_task_work_ = false;
  bool drain_active_ = false;
  bool drain_next_ = false;
  // Requests (and zero-copy notifications) completed inline in the submit batch under
  // way: Linux frees them only when the batch is flushed, so until then they still
  // count as allocated for draining (queue_deferred).
  bool in_submit_batch_ = false;
  uint32_t batch_completed_ = 0;
};

}  // namespace uringsim
