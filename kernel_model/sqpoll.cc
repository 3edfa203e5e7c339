// SQPOLL threads: creation and sharing at setup (io_sq_offload_create,
// io_attach_sq_data), the thread's loop (io_sq_thread, __io_sq_thread), and the
// SQPOLL part of io_uring_enter (wake-up, io_sqpoll_wait_sq, -EOWNERDEAD).
#include <algorithm>
#include <cerrno>

#include "kernel_model/kernel.h"

namespace uringsim {

namespace {

bool sq_full(const Context& ctx) {
  const Ring& r = ctx.ring();
  return r.sq_tail() - r.sq_head() == r.layout().sq_entries;
}

}  // namespace

Check Kernel::start_sq_thread(Context& ctx, const Caller& caller, const io_uring_params& p) {
  const uint32_t flags = p.flags;
  // Without SQPOLL, ATTACH_WQ only shares io-wq (not modelled: the model has no
  // workers), but Linux still insists wq_fd is an io_uring.
  if ((flags & (IORING_SETUP_ATTACH_WQ | IORING_SETUP_SQPOLL)) == IORING_SETUP_ATTACH_WQ) {
    std::shared_ptr<File> f = caller.files->get(static_cast<int>(p.wq_fd));
    if (!f) return make_fault(ENXIO, "io_uring_setup: ATTACH_WQ: wq_fd %u is not an open fd -> ENXIO", p.wq_fd);
    if (f->kind() != FileKind::kRing || context(f->ring()) == nullptr)
      return make_fault(EINVAL, "io_uring_setup: ATTACH_WQ: wq_fd %u is not an io_uring -> EINVAL", p.wq_fd);
    return std::nullopt;
  }
  if (!(flags & IORING_SETUP_SQPOLL)) return std::nullopt;
  if (sqpoll_host_ == nullptr) {
    return make_fault(EINVAL, "io_uring_setup: IORING_SETUP_SQPOLL is valid on Linux %s but not simulated by this "
                      "host: nothing here runs the SQ thread (run the program under `uringsim run`)",
                      profile_.name.data());
  }
  const int32_t tgid = caller.creds.pid;
  SqThread* thread = nullptr;
  if (flags & IORING_SETUP_ATTACH_WQ) {
    // io_attach_sq_data: share wq_fd's thread -- if it is one of this process's.
    std::shared_ptr<File> f = caller.files->get(static_cast<int>(p.wq_fd));
    if (!f) return make_fault(ENXIO, "io_uring_setup: ATTACH_WQ: wq_fd %u is not an open fd -> ENXIO", p.wq_fd);
    Context* target = f->kind() == FileKind::kRing ? context(f->ring()) : nullptr;
    if (target == nullptr)
      return make_fault(EINVAL, "io_uring_setup: ATTACH_WQ: wq_fd %u is not an io_uring -> EINVAL", p.wq_fd);
    if (target->sq_thread() == nullptr) {
      return make_fault(EINVAL, "io_uring_setup: SQPOLL|ATTACH_WQ: the ring of wq_fd %u has no SQ thread to share -> EINVAL",
                        p.wq_fd);
    }
    // A thread of another process is not shared (-EPERM inside Linux): this ring
    // silently gets a thread of its own.
    if (target->sq_thread()->tgid == tgid) {
      thread = target->sq_thread();
      if (!thread->alive) {
        return make_fault(ENXIO, "io_uring_setup: SQPOLL|ATTACH_WQ: the SQ thread of wq_fd %u has exited -> ENXIO",
                          p.wq_fd);
      }
    }
  }
  // msecs_to_jiffies(sq_thread_idle), 0 meaning HZ (one second).
  const uint64_t idle_ns = p.sq_thread_idle != 0 ? uint64_t{p.sq_thread_idle} * 1'000'000 : kDefaultSqThreadIdleNs;
  if (thread == nullptr) {
    int32_t cpu = -1;
    if (flags & IORING_SETUP_SQ_AFF) {
      if (p.sq_thread_cpu >= online_cpus_) {
        return make_fault(EINVAL, "io_uring_setup: SQ_AFF: sq_thread_cpu %u is not an online cpu (this machine has %u) -> EINVAL",
                          p.sq_thread_cpu, online_cpus_);
      }
      cpu = static_cast<int32_t>(p.sq_thread_cpu);
    }
    auto fresh = std::make_unique<SqThread>();
    fresh->id = next_sq_thread_++;
    fresh->tgid = tgid;
    fresh->cpu = cpu;
    // A new thread starts with timeout 0: if its first pass finds the SQ empty it
    // sleeps at once and publishes NEED_WAKEUP (idle_deadline_ns 0: not polling yet).
    fresh->idle_deadline_ns = 0;
    thread = fresh.get();
    sq_threads_.emplace(thread->id, std::move(fresh));
  } else {
    // io_sq_thread_park/unpark wake the shared thread; it restarts its idle period.
    if (thread->sleeping) thread->woken = true;
    thread->idle_deadline_ns = now_ns_ + std::max(thread->idle_ns, idle_ns);
  }
  thread->rings.insert(thread->rings.begin(), ctx.id());
  thread->idle_ns = std::max(thread->idle_ns, idle_ns);  // io_sqd_update_thread_idle
  ctx.set_sq_thread(thread, idle_ns);
  return std::nullopt;
}

void Kernel::stop_sq_thread(Context& ctx) {
  SqThread* thread = ctx.sq_thread();
  if (thread == nullptr) return;
  ctx.set_sq_thread(nullptr, 0);
  auto it = std::find(thread->rings.begin(), thread->rings.end(), ctx.id());
  if (it != thread->rings.end()) thread->rings.erase(it);
  if (thread->rings.empty()) {
    sq_threads_.erase(thread->id);  // the last reference: the thread is stopped
    return;
  }
  uint64_t idle = 0;
  for (RingId r : thread->rings) {
    if (Context* other = context(r)) idle = std::max(idle, other->sq_thread_idle_ns());
  }
  thread->idle_ns = idle;
}

size_t Kernel::sq_thread_backlog(const Context& ctx) const {
  const SqThread* t = ctx.sq_thread();
  return t != nullptr && t->awake() && !ctx.disabled() ? ctx.ring().sq_ready() : 0;
}

const SqThread* Kernel::sq_thread(RingId ring) {
  Context* ctx = context(ring);
  return ctx == nullptr ? nullptr : ctx->sq_thread();
}

bool Kernel::sq_threads_awake() const {
  for (const auto& [id, t] : sq_threads_) {
    if (t->awake()) return true;
  }
  return false;
}

void Kernel::sqpoll_tick() {
  if (sqpoll_host_ == nullptr) return;
  clock_.begin_call();  // what the threads' submissions cost, as one "call"
  for (auto& [id, t] : sq_threads_) {
    if (t->awake()) run_sq_thread(*t);
  }
}

void Kernel::run_sq_thread(SqThread& t) {
  const uint64_t now = now_ns_;
  if (t.sleeping) {
    // Back from schedule(): the thread clears NEED_WAKEUP and starts a new idle period.
    t.sleeping = false;
    t.woken = false;
    for (RingId r : t.rings) {
      if (Context* ctx = context(r)) ctx->ring().clear_sq_flag(IORING_SQ_NEED_WAKEUP);
    }
    t.idle_deadline_ns = now + t.idle_ns;
  }
  ++t.loops;
  const bool cap_entries = t.rings.size() > 1;
  bool spun = false;
  for (RingId r : t.rings) {
    Context* ctx = context(r);
    if (ctx == nullptr) continue;
    uint32_t to_submit = ctx->ring().sq_ready();
    if (cap_entries) to_submit = std::min(to_submit, kSqpollCapEntries);
    // A ring still R_DISABLED is skipped (its entries wait for ENABLE_RINGS).
    if (to_submit == 0 || ctx->disabled()) continue;
    Caller caller;
    if (!sqpoll_host_->sq_thread_process(t.tgid, &caller)) continue;
    caller.creds = ctx->creator();  // ctx->sq_creds: the creator's, from setup
    const int64_t n = ctx->sq_thread_submit(caller, to_submit);
    if (n > 0) {
      spun = true;
      t.submitted += static_cast<uint64_t>(n);
    }
  }
  // Busy-poll while there is work or the idle period lasts.
  if (spun || (t.idle_deadline_ns != 0 && now <= t.idle_deadline_ns)) {
    if (spun) t.idle_deadline_ns = now + t.idle_ns;
    return;
  }
  // Idle: publish NEED_WAKEUP, then look at the SQs once more (the application may
  // have queued after the last pass without seeing the flag): work keeps it awake.
  bool work = false;
  for (RingId r : t.rings) {
    Context* ctx = context(r);
    if (ctx == nullptr) continue;
    ctx->ring().set_sq_flag(IORING_SQ_NEED_WAKEUP);
    if (ctx->ring().sq_ready() > 0) work = true;
  }
  if (!work) {
    t.sleeping = true;
    return;
  }
  for (RingId r : t.rings) {
    if (Context* ctx = context(r)) ctx->ring().clear_sq_flag(IORING_SQ_NEED_WAKEUP);
  }
  t.idle_deadline_ns = now + t.idle_ns;
}

void Kernel::sqpoll_process_exited(int32_t tgid) {
  for (auto& [id, t] : sq_threads_) {
    if (t->tgid != tgid || !t->alive) continue;
    // io_sq_thread's exit path: sqd->thread = NULL, NEED_WAKEUP on every ring, so
    // the application enters and learns -EOWNERDEAD.
    t->alive = false;
    for (RingId r : t->rings) {
      if (Context* ctx = context(r)) ctx->ring().set_sq_flag(IORING_SQ_NEED_WAKEUP);
    }
  }
}

Check Kernel::sqpoll_enter(Context& ctx, uint32_t flags) {
  SqThread* t = ctx.sq_thread();
  if (t == nullptr || !t->alive) {
    return make_fault(EOWNERDEAD, "io_uring_enter: the SQPOLL thread of this ring exited with its process (%d) -> EOWNERDEAD",
                      t == nullptr ? 0 : t->tgid);
  }
  if ((flags & IORING_ENTER_SQ_WAKEUP) && t->sleeping) t->woken = true;
  if ((flags & IORING_ENTER_SQ_WAIT) && sq_full(ctx) && sqpoll_host_ != nullptr) {
    // io_sqpoll_wait_sq: the caller sleeps until the SQ thread made room. An awake
    // thread does that in its next pass, so it runs now. A sleeping one never would:
    // Linux blocks until a signal (or another task's SQ_WAKEUP). As for a CQ wait that
    // nothing can end (sim/wait_policy.h), the model returns rather than hang, and
    // says so: explain and traces show the note.
    for (uint32_t pass = 0; pass <= ctx.ring().layout().sq_entries && sq_full(ctx) && t->awake(); ++pass)
      run_sq_thread(*t);
    if (sq_full(ctx) && observer_ != nullptr) {
      observer_->on_syscall_fault(
          "io_uring_enter",
          make_fault(0, "io_uring_enter: IORING_ENTER_SQ_WAIT with a full SQ while the SQ thread sleeps "
                        "(no IORING_ENTER_SQ_WAKEUP): Linux would block until a signal or another task "
                        "wakes the thread; uringsim returns instead of hanging"));
    }
  }
  return std::nullopt;
}

}  // namespace uringsim
