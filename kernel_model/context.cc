// The submission loop, links, drain, parking and completion posting
// (io_uring/io_uring.c, with the link-timeout and timeout plumbing of timeout.c).
#include "kernel_model/context.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "kernel_model/kbuf.h"
#include "kernel_model/kernel.h"
#include "kernel_model/net.h"
#include "kernel_model/mem_region.h"
#include "kernel_model/opdef.h"
#include "kernel_model/poll.h"
#include "kernel_model/timeout.h"

namespace uringsim {

namespace {

constexpr uint8_t kLinkFlags = IOSQE_IO_LINK | IOSQE_IO_HARDLINK;
// Flags every kernel since 5.6 accepts without further checks (SQE_COMMON_FLAGS).
constexpr uint8_t kCommonFlags = IOSQE_FIXED_FILE | IOSQE_IO_LINK | IOSQE_IO_HARDLINK | IOSQE_ASYNC;

}  // namespace

Context::Context(Kernel& kernel, RingId id, const Profile& profile, const RingLayout& layout,
                 const RingMemory& memory, const Credentials& creator)
    : kernel_(kernel), id_(id), profile_(profile),
      ring_(layout, memory, (profile.features & IORING_FEAT_NODROP) != 0), creator_(creator),
      provided_buffers_(std::make_unique<ProvidedBuffers>()) {
  // Room for a full SQ's worth of requests and their deferred work, so steady-state
  // submission never allocates.
  free_.reserve(layout.sq_entries);
  task_work_.reserve(2 * size_t{layout.sq_entries});
  drained_.reserve(layout.sq_entries);
  parked_.reserve(16);
  if ((layout.setup_flags & IORING_SETUP_SINGLE_ISSUER) &&
      !(layout.setup_flags & IORING_SETUP_R_DISABLED)) {
    submitter_tid_ = creator.tid != 0 ? creator.tid : creator.pid;
  }
  disabled_ = (layout.setup_flags & IORING_SETUP_R_DISABLED) != 0;
}

Context::~Context() = default;

Accounting& Context::accounting() { return kernel_.accounting(); }
Observer* Context::observer() { return kernel_.observer(); }
uint64_t Context::now_ns() const { return kernel_.now_ns(); }

std::byte* Context::scratch(size_t n) {
  if (scratch_.size() < n) scratch_.resize(std::max(n, size_t{64} << 10));
  return scratch_.data();
}

void Context::teardown() {
  // Parked requests die with the ring (Linux cancels them; nobody reads the CQEs).
  timers_.clear();
  sequence_timeouts_.clear();
  parked_.clear();
  task_work_.clear();
  task_work_next_ = 0;
  requests_.clear();
  free_.clear();
  // Dropping the tables returns the charges (tagged nodes post into a dying ring).
  buffers_.destroy();
  fixed_files_.destroy();
  provided_buffers_->clear();
  release_mem_region(*this);  // IORING_REGISTER_MEM_REGION's memlock charge
}

// --- the request pool ----------------------------------------------------------------

int32_t Context::alloc_request() {
  int32_t index;
  if (free_.empty()) {
    index = static_cast<int32_t>(requests_.size());
    requests_.emplace_back();
  } else {
    index = free_.back();
    free_.pop_back();
  }
  Request& req = requests_[static_cast<size_t>(index)];
  req = Request{};
  req.self = index;
  return index;
}

void Context::free_request(int32_t index) {
  Request& req = requests_[static_cast<size_t>(index)];
  req.file.reset();
  req.buf.reset();
  req.fault.reset();
  req.self = -1;
  free_.push_back(index);
  // A zero-copy send whose own CQE was its notification held two requests.
  if (in_submit_batch_) batch_completed_ += (req.cqe_flags & IORING_CQE_F_NOTIF) ? 2 : 1;
}

// --- CQE posting -----------------------------------------------------------------------

void Context::post_aux_cqe(uint64_t user_data, int32_t res, uint32_t flags) {
  Cqe c;
  c.user_data = user_data;
  c.res = res;
  c.flags = flags;
  // chaos: forced CQ overflow (kernel_model/chaos.h); io_post_aux_cqe overflows on Linux.
  if (kernel_.chaos().enabled() && kernel_.chaos().divert_cqe_to_overflow(ring_)) {
    ring_.post_overflowed(c);
  } else {
    ring_.post(c);
  }
  if (Observer* o = observer()) o->on_cqe(id_, c, nullptr);
  if (!sequence_timeouts_.empty()) flush_sequence_timeouts();
  commit_cqring(false);
}

void Context::post_request_cqe(const Request& req) {
  Cqe c;
  c.user_data = req.user_data;
  c.res = req.res;
  c.flags = req.cqe_flags;
  c.big[0] = req.big_cqe[0];
  c.big[1] = req.big_cqe[1];
  // chaos: forced CQ overflow (kernel_model/chaos.h); io_fill_cqe_req overflows on Linux.
  if (kernel_.chaos().enabled() && kernel_.chaos().divert_cqe_to_overflow(ring_)) {
    ring_.post_overflowed(c);
  } else {
    ring_.post(c);
  }
  if (Observer* o = observer()) o->on_cqe(id_, c, req.fault ? &*req.fault : nullptr);
  if (!sequence_timeouts_.empty()) flush_sequence_timeouts();
}

void Context::post_more(Request& req, int32_t res) {
  Cqe c;
  c.user_data = req.user_data;
  c.res = res;
  c.flags = req.cqe_flags | IORING_CQE_F_MORE;
  ring_.post(c);
  if (Observer* o = observer()) o->on_cqe(id_, c, nullptr);
  if (!sequence_timeouts_.empty()) flush_sequence_timeouts();
}

// --- io_uring_enter --------------------------------------------------------------------

EnterResult Context::enter(const Caller& caller, uint32_t to_submit, uint32_t min_complete,
                           uint32_t flags, uint64_t arg, uint64_t argsz) {
  CallerScope scope(*this, caller);
  EnterResult r;
  const int32_t tid = caller.creds.tid != 0 ? caller.creds.tid : caller.creds.pid;
  const bool defer = setup_flags() & IORING_SETUP_DEFER_TASKRUN;
  if (setup_flags() & IORING_SETUP_SQPOLL) {
    // The SQ thread submits: enter flushes the overflow backlog, checks the thread is
    // alive, wakes it (SQ_WAKEUP), waits for SQ space (SQ_WAIT) and returns to_submit
    // as passed, whether or not anything is queued.
    if (ring_.has_overflow()) {
      ring_.flush_overflow();
      commit_cqring(false);
    }
    if (Check c = kernel_.sqpoll_enter(*this, flags)) {
      r.ret = -c->err;
      set_fault(std::move(*c));
      return r;
    }
    r.ret = to_submit;
  } else if (to_submit > 0) {
    if (submitter_tid_ != 0 && submitter_tid_ != tid) {
      Fault f = make_fault(EEXIST, "io_uring_enter: SINGLE_ISSUER ring submitted to by task %d; its submitter is task %d",
                           tid, submitter_tid_);
      r.ret = -f.err;
      set_fault(std::move(f));
      return r;
    }
    // 5.5-5.x io_submit_sqes: with a CQ overflow backlog that cannot be flushed into
    // the CQ now, nothing is submitted and enter fails with -EBUSY.
    if (profile_.overflow_ebusy && ring_.has_overflow()) {
      ring_.flush_overflow();
      if (ring_.has_overflow()) {
        Fault f = make_fault(EBUSY, "io_uring_enter: %zu CQEs wait in the overflow backlog and the CQ is full; "
                             "Linux %s refuses to submit until the application reaps -> EBUSY",
                             ring_.overflow_backlog(), profile_.name.data());
        r.ret = -f.err;
        set_fault(std::move(f));
        return r;
      }
    }
    r.ret = submit_sqes(to_submit);
    // Linux returns at once when it could not submit everything asked for, even
    // with GETEVENTS: the caller must look at the SQ before waiting.
    if (r.ret != static_cast<int64_t>(to_submit)) return r;
  }
  if (!(flags & IORING_ENTER_GETEVENTS)) return r;

  // io_get_ext_arg runs before anything else on the wait path.
  if (flags & IORING_ENTER_EXT_ARG) {
    io_uring_getevents_arg ext{};
    Check bad;
    if (flags & IORING_ENTER_EXT_ARG_REG) {
      // [reg-wait] arg is an offset into the registered wait region (mem_region.cc).
      io_uring_reg_wait w{};
      bad = read_reg_wait(*this, arg, argsz, &w);
      if (!bad) {
        ext.sigmask = w.sigmask;
        ext.sigmask_sz = w.sigmask_sz;
        ext.min_wait_usec = w.min_wait_usec;
        if (w.flags & IORING_REG_WAIT_TS) {
          const uint64_t ns = static_cast<uint64_t>(w.ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(w.ts.tv_nsec);
          r.deadline_ns = (flags & IORING_ENTER_ABS_TIMER) ? ns : now_ns() + ns;
        }
      }
    } else if (argsz != sizeof ext) {
      bad = make_fault(EINVAL, "io_uring_enter: EXT_ARG argsz %llu, Linux wants sizeof(io_uring_getevents_arg) = 24",
                       (unsigned long long)argsz);
    } else if (!memory().read(arg, &ext, sizeof ext)) {
      bad = make_fault(EFAULT, "io_uring_enter: EXT_ARG 0x%llx is not readable", (unsigned long long)arg);
    } else if (ext.ts != 0) {
      struct {
        int64_t tv_sec;
        int64_t tv_nsec;
      } ts;
      if (!memory().read(ext.ts, &ts, sizeof ts)) {
        bad = make_fault(EFAULT, "io_uring_enter: EXT_ARG timespec 0x%llx is not readable",
                         (unsigned long long)ext.ts);
      } else {
        const uint64_t ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
        r.deadline_ns = (flags & IORING_ENTER_ABS_TIMER) ? ns : now_ns() + ns;
      }
    }
    if (bad) {
      if (r.ret == 0) r.ret = -bad->err;
      set_fault(std::move(*bad));
      return r;
    }
    r.min_wait_ns = uint64_t{ext.min_wait_usec} * 1000;
    r.sigmask_addr = ext.sigmask;
    argsz = ext.sigmask_sz;
    arg = ext.sigmask;
  } else {
    r.sigmask_addr = arg;
  }
  if (defer && submitter_tid_ != 0 && submitter_tid_ != tid) {
    Fault f = make_fault(EEXIST, "io_uring_enter: DEFER_TASKRUN ring waited on by task %d; only task %d may",
                         tid, submitter_tid_);
    if (r.ret == 0) r.ret = -f.err;
    set_fault(std::move(f));
    return r;
  }
  // The wait runs pending task work first (that is when DEFER_TASKRUN posts).
  post_poll_wakeups(/*task_work_runs=*/true);  // [poll wakeups]
  run_task_work();
  r.wait_nr = std::min(min_complete, ring_.layout().cq_entries);
  if (wait_satisfied(r.wait_nr)) return r;

  // The sigset is looked at only once Linux really sleeps.
  if (r.sigmask_addr != 0 && argsz != 8) {
    Fault f = make_fault(EINVAL, "io_uring_enter: sigset size %llu, Linux wants sizeof(sigset_t) = 8",
                         (unsigned long long)argsz);
    if (r.ret == 0) r.ret = -f.err;
    set_fault(std::move(f));
    return r;
  }
  // [wait sigmask] set_user_sigmask copies the set after checking its size.
  if (r.sigmask_addr != 0 && !memory().read(r.sigmask_addr, &r.sigmask, sizeof r.sigmask)) {
    Fault f = make_fault(EFAULT, "io_uring_enter: sigset 0x%llx is not readable",
                         (unsigned long long)r.sigmask_addr);
    if (r.ret == 0) r.ret = -f.err;
    set_fault(std::move(f));
    return r;
  }
  r.must_wait = true;
  return r;
}

bool Context::wait_satisfied(uint32_t wait_nr) {
  if (ring_.has_overflow()) {
    ring_.flush_overflow();
    commit_cqring(false);
  }
  return ring_.cq_ready() >= wait_nr;
}

int64_t Context::wait_done(int64_t submitted, int wait_error) {
  if (ring_.has_overflow()) {
    ring_.flush_overflow();
    commit_cqring(false);
  }
  if (submitted != 0) return submitted;
  // As io_cqring_wait: an error ending the wait is reported only if the CQ is empty.
  return ring_.cq_ready() > 0 ? 0 : wait_error;
}

// --- the submission loop (io_submit_sqes) ----------------------------------------------

int64_t Context::submit_sqes(uint32_t to_submit) {
  const uint32_t entries = ring_.sq_ready();
  if (entries == 0) return 0;
  const bool task_work_was_empty = task_work_next_ >= task_work_.size();
  uint32_t left = std::min(to_submit, entries);
  const int64_t wanted = left;
  in_submit_batch_ = true;
  batch_completed_ = 0;
  const bool submit_all = (setup_flags() & IORING_SETUP_SUBMIT_ALL) || !profile_.submit_stops_on_error;
  const uint32_t sq_entries = ring_.layout().sq_entries;
  const bool sqe128 = ring_.layout().sqe_size == 128;

  do {
    const uint32_t index = ring_.sq_next_index();
    ring_.sq_advance();
    if (index >= sq_entries) {
      // A bad SQ array entry is consumed and counted in `dropped`, not submitted;
      // the batch ends there.
      ring_.count_dropped();
      if (Observer* o = observer()) o->on_dropped(id_, index);
      break;
    }
    const int32_t slot = alloc_request();
    Request& req = requests_[static_cast<size_t>(slot)];
    req.sqe_index = index;
    ring_.copy_sqe(index, &req.sqe);
    if (sqe128) std::memcpy(req.sqe_ext, ring_.memory().sqes + size_t{index} * 128 + 64, 64);
    const int err = init_request(req);
    kernel_.clock().charge(kernel_.clock().model().sqe_ns + kernel_.clock().model().op_ns[req.opcode & 63]);
    if (Observer* o = observer()) o->on_sqe(id_, req);
    if (submit_request(slot, err) != 0 && !submit_all) {
      --left;
      break;
    }
  } while (--left);

  // An unterminated link at the end of the batch is submitted as it is.
  if (link_head_ >= 0) {
    const int32_t head = link_head_;
    link_head_ = link_last_ = -1;
    queue_fallback(head);
  }
  // io_submit_state_end: the inline completions of the batch are committed together,
  // then drained requests whose turn has come are queued (__io_submit_flush_completions).
  commit_cqring(false);
  in_submit_batch_ = false;
  batch_completed_ = 0;
  if (drained_next_ < drained_.size()) queue_deferred();
  if (!(setup_flags() & IORING_SETUP_DEFER_TASKRUN)) {
    run_task_work();
  } else if (task_work_was_empty && task_work_next_ < task_work_.size() && eventfd_.registered()) {
    // io_req_local_work_add onto an empty list signals the eventfd (no tail check).
    eventfd_.signal(*this, /*cqe_event=*/false, /*from_iowq=*/false);
  }
  if ((setup_flags() & IORING_SETUP_TASKRUN_FLAG) && task_work_next_ < task_work_.size())
    ring_.set_sq_flag(IORING_SQ_TASKRUN);
  ring_.sq_publish_head();
  return wanted - left;
}

int64_t Context::sq_thread_submit(const Caller& caller, uint32_t to_submit) {
  CallerScope scope(*this, caller);
  return submit_sqes(to_submit);
}

int Context::init_request(Request& req) {
  const io_uring_sqe& sqe = req.sqe;
  req.opcode = sqe.opcode;
  req.flags = sqe.flags;
  req.user_data = sqe.user_data;
  req.skip_cqe = (req.flags & IOSQE_CQE_SKIP_SUCCESS) != 0;
  req.force_async = (req.flags & IOSQE_ASYNC) != 0;

  if (req.opcode >= profile_.op_last) {
    return req.fail(make_fault(EINVAL, "opcode %u does not exist on Linux %s (IORING_OP_LAST is %u)",
                               req.opcode, profile_.name.data(), profile_.op_last));
  }
  const OpDef& def = opdef(req.opcode);
  const uint8_t flags = req.flags;
  if (flags & ~profile_.sqe_flags) {
    return req.fail(make_fault(EINVAL, "%s: sqe->flags 0x%02x has bits Linux %s does not define (valid: 0x%02x)",
                               def.name, flags, profile_.name.data(), profile_.sqe_flags));
  }
  if (flags & ~kCommonFlags) {
    if ((flags & IOSQE_BUFFER_SELECT) && !op_accepts_buffer_select(profile_, req.opcode)) {
      return req.fail(make_fault(EOPNOTSUPP, "%s: IOSQE_BUFFER_SELECT is not supported by this opcode",
                                 def.name));
    }
    if (flags & IOSQE_CQE_SKIP_SUCCESS) seen_cqe_skip_ = true;
    if (flags & IOSQE_IO_DRAIN) {
      if (seen_cqe_skip_) {
        return req.fail(make_fault(EOPNOTSUPP, "%s: IOSQE_IO_DRAIN on a ring that has seen IOSQE_CQE_SKIP_SUCCESS "
                                   "(Linux cannot count skipped completions for draining)", def.name));
      }
      drain_active_ = true;
      req.drain = true;
      if (link_head_ >= 0) {
        // Draining in the middle of a link drains its head and the request after it.
        request(link_head_).drain = true;
        drain_next_ = true;
      }
    }
  }
  if (drain_active_ || drain_next_) {
    if (drain_active_) req.force_async = true;
    if (drain_next_ && link_head_ < 0) {
      drain_next_ = false;
      drain_active_ = true;
      req.drain = true;
      req.force_async = true;
    }
  }
  // io_check_restriction: after the drain bookkeeping, before ioprio.
  if (restricted_) {
    if (Check c = check_sqe_restriction(*this, req)) return req.fail(std::move(*c));
  }
  if (!def.ioprio && sqe.ioprio != 0) {
    return req.fail(make_fault(EINVAL, "%s: sqe->ioprio is %u; this opcode takes no ioprio, it must be 0",
                               def.name, sqe.ioprio));
  }
  if (sqe.personality != 0) {
    return req.fail(make_fault(EINVAL, "%s: personality %u is not registered on this ring",
                               def.name, sqe.personality));
  }
  if (def.prep == nullptr) {
    return req.fail(make_fault(EINVAL, "IORING_OP_%s exists in Linux %d.%d+ but is not simulated by uringsim yet",
                               def.name, def.since_major, def.since_minor));
  }
  return def.prep(*this, req);
}

int Context::submit_request(int32_t index, int init_err) {
  Request& req = request(index);
  if (init_err != 0) {
    // io_submit_fail_init: keep assembling the link so it fails as a whole; its
    // head is cancelled, this member keeps its own error.
    if (link_head_ >= 0 && !request(link_head_).failed) {
      // The member's own reason is kept: what cancelled the chain is explained too.
      request(link_head_).fail(make_fault(ECANCELED, "cancelled: SQE %u later in its link failed to prepare%s%s%s",
                                          req.sqe_index, req.fault ? " (" : "", req.fault ? req.fault->reason.c_str() : "",
                                          req.fault ? ")" : ""));
    }
    if (!(req.flags & kLinkFlags)) {
      int32_t head = index;
      if (link_head_ >= 0) {
        request(link_last_).link_next = index;
        head = link_head_;
        link_head_ = link_last_ = -1;
      }
      queue_fallback(head);
      return init_err;
    }
    if (link_head_ >= 0) {
      request(link_last_).link_next = index;
    } else {
      link_head_ = index;
    }
    link_last_ = index;
    return 0;
  }

  if (link_head_ >= 0) {
    request(link_last_).link_next = index;
    link_last_ = index;
    if (req.flags & kLinkFlags) return 0;
    const int32_t head = link_head_;
    link_head_ = link_last_ = -1;
    const Request& h = request(head);
    if (h.force_async || h.failed || h.drain) {
      queue_fallback(head);
    } else {
      issue_request(head);
    }
    return 0;
  }
  if (req.flags & kLinkFlags) {
    link_head_ = link_last_ = index;
    return 0;
  }
  if (req.force_async || req.drain) {
    queue_fallback(index);
    return 0;
  }
  issue_request(index);
  return 0;
}

void Context::queue_fallback(int32_t index) {
  Request& req = request(index);
  if (req.failed) {
    // A request that failed before issue fails its whole chain, hard links included.
    req.flags = static_cast<uint8_t>((req.flags & ~IOSQE_IO_HARDLINK) | IOSQE_IO_LINK);
    finish(index);
    return;
  }
  if (drain_active_) {
    // io_drain_req: deferred, then let go at once if nothing else is in flight. Only a
    // request without IOSQE_IO_DRAIN that finds the list empty ends draining.
    drained_.push_back(index);
    queue_deferred();
    if (!req.drain && drained_.empty()) drain_active_ = false;
    return;
  }
  // IOSQE_ASYNC: Linux hands it to an io-wq worker; here it runs after the inline
  // part of the batch, with the same result.
  task_work_.push_back(Work{index, true});
}

void Context::queue_deferred() {
  // Linux 6.18 lets a drained request go only when every allocated request
  // (ctx->nr_req_allocated) is a deferred one (ctx->nr_drained, links counted whole).
  // A zero-copy send's notification is a request of its own from prep until it is
  // posted, so a deferred SEND_ZC/SENDMSG_ZC holds the drain -- and everything queued
  // behind it -- until the ring is closed.
  size_t allocated = inflight() + batch_completed_;
  for (const Request& r : requests_) allocated += (r.self >= 0 && r.net.zc_notif) ? 1 : 0;
  size_t drained = 0;
  for (size_t i = drained_next_; i < drained_.size(); ++i) {
    for (int32_t m = drained_[i]; m >= 0; m = request(m).link_next) ++drained;
  }
  bool drain_seen = false;
  bool first = true;
  while (drained_next_ < drained_.size()) {
    const int32_t index = drained_[drained_next_];
    drain_seen |= request(index).drain;
    if ((drain_seen || first) && allocated != drained) return;
    ++drained_next_;
    for (int32_t m = index; m >= 0; m = request(m).link_next) --drained;
    task_work_.push_back(Work{index, true});
    first = false;
  }
  drained_.clear();
  drained_next_ = 0;
}

void Context::issue_request(int32_t index) {
  Request& req = request(index);
  const OpDef& def = opdef(req.opcode);
  // A LINK_TIMEOUT right behind this request is armed as the request starts.
  if (req.link_next >= 0 && request(req.link_next).opcode == IORING_OP_LINK_TIMEOUT &&
      !request(req.link_next).failed) {
    Request& lt = request(req.link_next);
    req.link_timeout = lt.self;
    lt.guarded = index;
    arm_link_timeout(*this, lt);
  }
  if (def.needs_file) {
    const int fd = req.sqe.fd;
    if (req.flags & IOSQE_FIXED_FILE) {
      const auto* f = fixed_files_.find(static_cast<uint32_t>(fd));
      if (f == nullptr) {
        req.fail(make_fault(EBADF, "%s: fixed file index %d is not in the registered file table (%u slots)",
                            def.name, fd, fixed_files_.size()));
        finish(index);
        return;
      }
      req.file = *f;
    } else {
      req.file = files().get(fd);
      if (!req.file) {
        req.fail(make_fault(EBADF, "%s: fd %d is not an open file descriptor", def.name, fd));
        finish(index);
        return;
      }
    }
  }
  // --- chaos (kernel_model/chaos.h): an injected failure instead of the issue, a
  // shortened transfer, added model time; then maybe a completion held back until the
  // rest of the batch has posted (never for a request something is ordered after).
  ChaosPolicy& chaos = kernel_.chaos();
  if (chaos.enabled()) {
    uint64_t latency_ns = 0;
    std::optional<Fault> injected = chaos.before_issue(req, req.file.get(), &latency_ns);
    if (latency_ns != 0) kernel_.clock().charge(latency_ns);
    if (injected) {
      after_issue(index, req.fail(std::move(*injected)));
      return;
    }
    const int32_t res = def.issue(*this, req);
    const bool independent = !(req.flags & kLinkFlags) && req.link_timeout < 0 && !req.drain && !drain_active_;
    if (req.park == Request::Park::kNone && !req.complete_in_task_work && chaos.defer_completion(req, independent)) {
      req.complete_in_task_work = true;
    }
    after_issue(index, res);
    return;
  }
  // --- end chaos ---
  // IOSQE_BUFFER_SELECT: each op picks its buffer inside issue (kbuf_select), as Linux
  // does, so a poll retry can pick again after giving an unused buffer back.
  after_issue(index, def.issue(*this, req));
}

void Context::after_issue(int32_t index, int32_t res) {
  Request& req = request(index);
  // Parked (an arm_* call): completes later through complete_parked or a poll retry.
  // Decided by the request's state, not by `res`: every int32 is a valid result.
  if (req.park != Request::Park::kNone) return;
  req.res = res;
  if (res < 0 && !req.failed) {
    req.fail(make_fault(-res, "%s failed: %s", op_name(req.opcode), describe_result(res).c_str()));
  }
  if (req.complete_in_task_work) {
    task_work_.push_back(Work{index, false});
    return;
  }
  finish(index);
}

void Context::retry_ready_polls(bool waiting) {
  // POLLERR/POLLHUP also wake a waiter: the retried op then sees EOF or the error.
  constexpr uint32_t kAlways = 0x008 | 0x010;
  std::vector<int32_t> ready;
  for (int32_t i : parked_) {
    Request& r = request(i);
    if (r.park != Request::Park::kPoll || !r.file) continue;
    if (io_poll_counts_wakeups(r)) continue;  // [poll wakeups] post_poll_wakeups
    if (r.file->poll(r.poll_events) & (r.poll_events | kAlways)) {
      if (!r.poll_edge) ready.push_back(i);
    } else {
      r.poll_edge = false;  // a multishot poll may fire again on the next readiness
    }
  }
  for (int32_t i : ready) {
    Request& r = request(i);
    disarm(r);
    after_issue(i, opdef(r.opcode).issue(*this, r));
  }
  post_poll_wakeups(waiting || !(setup_flags() & IORING_SETUP_DEFER_TASKRUN));
}

// [poll wakeups] A multishot POLL_ADD posts per wakeup of its file, not per level
// (poll.cc). Collected first: a CQE can fire count timeouts, which change parked_.
void Context::post_poll_wakeups(bool task_work_runs) {
  std::vector<int32_t> multishot;
  for (int32_t i : parked_) {
    if (io_poll_counts_wakeups(request(i))) multishot.push_back(i);
  }
  for (int32_t i : multishot) {
    Request& r = request(i);
    if (r.park == Request::Park::kPoll) io_poll_post_wakeups(*this, r, task_work_runs);
  }
}

void Context::finish(int32_t index) {
  Request& req = request(index);
  // IOSQE_CQE_SKIP_SUCCESS hides only successes: a failure always posts.
  if (req.net.zc_notif) {
    // A zero-copy send whose notification exists but whose issue never posted the
    // pair (bad fd, prep error after the notification, link cancellation): Linux's
    // io_sendrecv_fail adds F_MORE to the result -- not for a link's victims, whose
    // io_fail_links completion skips it -- and io_send_zc_cleanup flushes the
    // notification, posted even when a silenced link cancellation skips the result.
    const uint32_t flags = req.cqe_flags;
    if (!(req.net.flags & kNetFailedByLink)) req.cqe_flags = flags | IORING_CQE_F_MORE;
    if (!req.skip_cqe || req.failed) post_request_cqe(req);
    req.cqe_flags = flags;
    req.net.zc_notif = false;
    post_aux_cqe(req.user_data, 0, IORING_CQE_F_NOTIF);
    if (in_submit_batch_) ++batch_completed_;  // the notification, freed at the flush
  } else if (!req.skip_cqe || req.failed) {
    post_request_cqe(req);
  }

  int32_t next = req.link_next;
  if (req.link_timeout >= 0) {
    // The guarded request finished first: its link timeout is cancelled and the
    // chain goes on after it.
    Request& lt = request(req.link_timeout);
    if (lt.park != Request::Park::kNone) {
      disarm(lt);
      lt.fail(make_fault(ECANCELED, "LINK_TIMEOUT: the request it guarded (user_data 0x%llx) completed first",
                         (unsigned long long)req.user_data));
      next = lt.link_next;
      lt.link_next = -1;
      lt.guarded = -1;
      task_work_.push_back(Work{lt.self, false});
    } else if (lt.guarded == index) {
      // It fired and is completing: the chain after it is failed from there.
      next = -1;
    }
  }
  const bool fail_chain = req.failed && !(req.flags & IOSQE_IO_HARDLINK);
  const bool silent = req.skip_cqe;
  const uint64_t user_data = req.user_data;
  const int32_t res = req.res;
  // Why the chain fails, for the reasons of the members it cancels (failure path only).
  std::optional<Fault> cause;
  if (fail_chain && next >= 0 && req.fault && !req.fault->reason.empty()) cause = std::move(req.fault);
  free_request(index);
  if (next < 0) return;
  if (!fail_chain) {
    // The next member runs from task work, after the rest of the batch.
    task_work_.push_back(Work{next, true});
    return;
  }
  // io_fail_links: every remaining member completes with -ECANCELED (or its own
  // error); a failed request that asked to skip its CQE also silences them.
  for (int32_t i = next; i >= 0;) {
    Request& link = request(i);
    if (!link.failed) {
      link.fail(make_fault(ECANCELED, "cancelled: an earlier request in its link (user_data 0x%llx) failed with %s%s%s%s",
                           (unsigned long long)user_data, describe_result(res).c_str(), cause ? " (" : "",
                           cause ? cause->reason.c_str() : "", cause ? ")" : ""));
    }
    link.skip_cqe = silent;
    if (silent) link.failed = false;  // a silenced cancellation is skipped like a success
    // A zero-copy send failed by its link gets no F_MORE (io_fail_links does not run
    // the op's fail hook) but its notification still follows (see the top of finish).
    if (link.net.zc_notif) link.net.flags |= kNetFailedByLink;
    const int32_t after = link.link_next;
    link.link_next = -1;
    task_work_.push_back(Work{i, false});
    i = after;
  }
}

void Context::complete_parked(Request& req) {
  auto it = std::find(parked_.begin(), parked_.end(), req.self);
  if (it != parked_.end()) parked_.erase(it);
  req.park = Request::Park::kNone;
  // Posted from task work: at the end of the current syscall, or by progress().
  task_work_.push_back(Work{req.self, false});
}

void Context::cancel_parked(Request& req, const char* why) {
  disarm(req);
  req.fail(make_fault(ECANCELED, "%s: %s", op_name(req.opcode), why));
  complete_parked(req);
}

void Context::run_task_work() {
  if (running_task_work_) return;  // the running loop picks up what was queued
  running_task_work_ = true;
  for (;;) {
    while (task_work_next_ < task_work_.size()) {
      const Work w = task_work_[task_work_next_++];
      // An IOSQE_ASYNC (or drained) request runs in an io-wq worker on Linux.
      const bool iowq = w.issue && request(w.index).force_async;
      if (w.issue) {
        issue_request(w.index);
      } else {
        finish(w.index);
      }
      // Each task-work run and each io-wq completion commits its CQEs on its own.
      commit_cqring(iowq);
    }
    // __io_submit_flush_completions: after each round of completions the drained
    // requests whose turn has come are queued as task work of their own.
    if (drained_next_ >= drained_.size()) break;
    queue_deferred();
    if (task_work_next_ >= task_work_.size()) break;
  }
  task_work_.clear();
  task_work_next_ = 0;
  running_task_work_ = false;
  if (setup_flags() & IORING_SETUP_TASKRUN_FLAG) ring_.clear_sq_flag(IORING_SQ_TASKRUN);
}

// --- timers and sequences ----------------------------------------------------------------

void Context::arm_timer(Request& req, uint64_t deadline_ns) {
  req.park = Request::Park::kTimer;
  req.deadline_ns = deadline_ns;
  timers_.emplace(deadline_ns, req.self);
  if (std::find(parked_.begin(), parked_.end(), req.self) == parked_.end()) parked_.push_back(req.self);
}

void Context::arm_sequence(Request& req, uint32_t target_seq) {
  req.target_seq = target_seq;
  sequence_timeouts_.push_back(req.self);
  if (std::find(parked_.begin(), parked_.end(), req.self) == parked_.end()) parked_.push_back(req.self);
}

void Context::arm_poll(Request& req, uint32_t events) {
  req.park = Request::Park::kPoll;
  req.poll_events = events;
  if (std::find(parked_.begin(), parked_.end(), req.self) == parked_.end()) parked_.push_back(req.self);
}

void Context::disarm(Request& req) {
  if (req.park == Request::Park::kTimer) {
    auto range = timers_.equal_range(req.deadline_ns);
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second == req.self) {
        timers_.erase(it);
        break;
      }
    }
  }
  auto s = std::find(sequence_timeouts_.begin(), sequence_timeouts_.end(), req.self);
  if (s != sequence_timeouts_.end()) sequence_timeouts_.erase(s);
  auto p = std::find(parked_.begin(), parked_.end(), req.self);
  if (p != parked_.end()) parked_.erase(p);
  req.park = Request::Park::kNone;
}

void Context::flush_sequence_timeouts() {
  // io_flush_timeouts: a count timeout completes (res 0) once `off` other CQEs have
  // been posted since it was armed. Firing posts a CQE, which must not recurse.
  std::vector<int32_t> due;
  for (int32_t i : sequence_timeouts_) {
    const Request& t = request(i);
    if (static_cast<int32_t>(sequence_now() - t.target_seq) >= 0) due.push_back(i);
  }
  for (int32_t i : due) {
    Request& t = request(i);
    disarm(t);
    count_fired_timeout();
    t.res = 0;
    complete_parked(t);
  }
}

uint64_t Context::next_deadline() const {
  return timers_.empty() ? UINT64_MAX : timers_.begin()->first;
}

void Context::on_timer(Request& req) { timer_fired(*this, req); }

void Context::progress(const Caller& caller, bool waiting) {
  CallerScope scope(*this, caller);
  const bool task_work_was_empty = task_work_next_ >= task_work_.size();
  const uint64_t now = now_ns();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    const int32_t index = timers_.begin()->second;
    timers_.erase(timers_.begin());
    Request& req = request(index);
    req.park = Request::Park::kNone;
    on_timer(req);
  }
  retry_ready_polls(waiting);
  commit_cqring(false);
  if (waiting || !(setup_flags() & IORING_SETUP_DEFER_TASKRUN)) {
    run_task_work();
  } else if (task_work_was_empty && task_work_next_ < task_work_.size() && eventfd_.registered()) {
    eventfd_.signal(*this, /*cqe_event=*/false, /*from_iowq=*/false);
  }
}

}  // namespace uringsim
