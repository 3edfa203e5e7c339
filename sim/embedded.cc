#include "sim/embedded.h"

#include <poll.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "sim/credentials.h"
#include "sim/process_files.h"
#include "sim/process_memory.h"
#include "sim/ring_memory.h"
#include "sim/wait_policy.h"
#include "sim/wakeup_watch.h"

namespace uringsim::sim {

namespace {

// The calling thread's id, without a syscall after the first call on each thread
// (SINGLE_ISSUER rings check which task submits).
int32_t current_tid() {
  thread_local const int32_t tid = static_cast<int32_t>(gettid());
  return tid;
}

}  // namespace

// Member order matters: the Kernel tears its rings down through ring_memory, so
// ring_memory must be constructed first and destroyed last.
//
// SQPOLL: the first SQPOLL ring starts a real thread here, the SQ thread host. From
// then on every call and that thread take `mu` around the model (the application's
// ring memory needs no lock: the model reads and writes it with atomics, as Linux
// does). While a simulated SQ thread is awake the host thread busy-polls -- one
// Kernel::sqpoll_tick per pass, like Linux's thread spinning for sq_thread_idle --
// and once they all sleep it blocks on `sq_wake` until an enter may have woken one.
// Before any SQPOLL ring exists nothing locks: the NOP path stays as it was.
struct EmbeddedKernel::Impl final : SqpollHost {
  MemfdRingMemory ring_memory;
  Kernel kernel;
  ProcessMemory memory;
  ProcessFiles files;
  Caller caller;
  struct RingSlot {
    RingId id;
    Context* ctx;  // stable while the ring lives (Kernel keeps it in a unique_ptr)
  };
  std::unordered_map<int, RingSlot> ring_fds;  // fds setup() returned
  Fault wait_note;
  bool wait_note_is_last = false;

  std::vector<pollfd> wanted;  // reused by wait()
  // Wakeups of the files multishot polls wait on (sim/wakeup_watch.h). Its host ring
  // is armed from the client's own thread, so that thread's writes count as on Linux.
  WakeupWatch wakeups;

  // The SQ thread host (see above).
  std::mutex mu;
  std::condition_variable sq_wake;     // to the host thread: an enter may have woken a thread
  std::condition_variable sq_progress; // to waiters: the SQ threads ran a pass
  std::thread sq_host;
  bool sq_host_running = false;  // set once, by setup, before the thread starts
  bool sq_host_stop = false;
  std::atomic<int> callers_waiting{0};  // calls queued on `mu`: the busy-poll backs off
  // A waiter on an SQPOLL ring polls this long before it sleeps on sq_progress.
  static constexpr uint64_t kSpinBeforeSleepNs = 50'000;

  Impl(const Profile& profile, const Credentials& creds)
      : kernel(profile, &ring_memory), memory(getpid()), files(getpid(), &ring_memory) {
    caller.creds = creds;
    caller.memory = &memory;
    caller.files = &files;
    sync_clock(kernel);
    kernel.set_sqpoll_host(this);
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    kernel.set_online_cpus(cpus > 0 ? static_cast<uint32_t>(cpus) : 1);
  }

  ~Impl() override { stop_sq_host(); }

  // SQ threads are threads of this process: they see its memory and fds.
  bool sq_thread_process(int32_t tgid, Caller* out) override {
    if (tgid != caller.creds.pid) return false;
    out->memory = &memory;
    out->files = &files;
    return true;
  }

  // Locks `mu` once the SQ thread host runs; before that, a no-op.
  std::unique_lock<std::mutex> lock_model() {
    std::unique_lock<std::mutex> lk(mu, std::defer_lock);
    if (sq_host_running) {
      ++callers_waiting;
      lk.lock();
      --callers_waiting;
    }
    return lk;
  }

  void start_sq_host() {
    if (sq_host_running) return;
    sq_host_running = true;
    sq_host = std::thread([this] { run_sq_host(); });
  }

  void stop_sq_host() {
    if (!sq_host.joinable()) return;  // never started, or already stopped
    {
      std::lock_guard<std::mutex> lk(mu);
      sq_host_stop = true;
    }
    sq_wake.notify_all();
    sq_host.join();
  }

  void run_sq_host() {
    std::unique_lock<std::mutex> lk(mu);
    while (!sq_host_stop) {
      kernel.set_now(monotonic_ns());
      files.begin_call();
      kernel.sqpoll_tick();
      sq_progress.notify_all();
      if (kernel.sq_threads_awake()) {
        // Busy-polling, as Linux's SQ thread does; callers waiting for the model go first.
        lk.unlock();
        do {
          sched_yield();
        } while (callers_waiting.load(std::memory_order_relaxed) > 0);
        lk.lock();
      } else {
        sq_wake.wait(lk, [this] { return sq_host_stop || kernel.sq_threads_awake(); });
      }
    }
  }

  // Lists the host fds parked requests of `ring` wait on. A watched multishot poll's
  // file is waited on through the watch instead: it may stay readable with nothing new.
  void collect_wanted(RingId ring) {
    wanted.clear();
    kernel.for_each_wanted_fd(ring, [this](File& f, uint32_t events) {
      if (f.host_fd() < 0 || (f.wakeup_events() != 0 && f.wakeups_reported())) return;
      wanted.push_back(pollfd{f.host_fd(), static_cast<short>(events), 0});
    });
    if (wakeups.fd() >= 0) wanted.push_back(pollfd{wakeups.fd(), POLLIN, 0});
  }

  // Before the model looks: the wakeups the host saw, to the files of every ring.
  void deliver_wakeups() {
    if (!wakeups.active()) return;
    wakeups.collect();
    for (auto& [fd, slot] : ring_fds) {
      if (slot.ctx->inflight() == 0) continue;
      kernel.for_each_wanted_fd(slot.id, [this](File& f, uint32_t) { wakeups.deliver(f); });
    }
  }

  // After the model ran: watches the files multishot polls now wait on, drops the rest.
  void watch_wakeups() {
    for (auto& [fd, slot] : ring_fds) {
      if (slot.ctx->inflight() == 0) continue;
      kernel.for_each_wanted_fd(slot.id, [this](File& f, uint32_t) { wakeups.keep(f); });
    }
    wakeups.end_round();
  }

  // The caller blocks, as on Linux, while something can still complete (see
  // sim/wait_policy.h); never forever. `lk` holds the model (when the SQ thread host
  // runs) and is released while sleeping.
  int64_t wait(RingId ring, const EnterResult& entered, std::unique_lock<std::mutex>& lk) {
    Wait w{ring, entered, kernel.now_ns()};
    wait_note = Fault{};
    const uint64_t spin_until = monotonic_ns() + kSpinBeforeSleepNs;
    for (;;) {
      kernel.set_now(monotonic_ns());
      deliver_wakeups();
      kernel.progress(caller, ring, /*waiting=*/true);
      watch_wakeups();
      collect_wanted(ring);
      const bool watchable = !wanted.empty() || kernel.next_deadline(ring) != UINT64_MAX;
      int64_t ret;
      if (wait_finished(kernel, w, watchable, &ret, &wait_note)) {
        wait_note_is_last = !wait_note.reason.empty();
        return ret;
      }
      const uint64_t wake = wait_wake_at(kernel, w);
      const uint64_t now = kernel.now_ns();
      uint64_t d = wake == UINT64_MAX ? UINT64_MAX : (wake > now ? wake - now : 0);
      const SqThread* sq = kernel.sq_thread(ring);
      if (sq != nullptr && sq->awake() && lk.owns_lock()) {
        // The ring's SQ thread is running: its passes post the CQEs. Sleep until the
        // next pass (or a timeout), polling fds now and then.
        constexpr uint64_t kRecheckNs = 200'000;
        if (wanted.empty()) {
          if (monotonic_ns() < spin_until) {
            // Spin first (docs: a cross-CPU futex wake-up costs ~85 us, a NOP ~100 ns).
            lk.unlock();
            sched_yield();
            ++callers_waiting;
            lk.lock();
            --callers_waiting;
          } else {
            sq_progress.wait_for(lk, std::chrono::nanoseconds(std::min(d, kRecheckNs)));
          }
          continue;
        }
        d = std::min(d, kRecheckNs);
      }
      timespec ts{};
      timespec* tsp = nullptr;
      if (d != UINT64_MAX) {
        ts.tv_sec = static_cast<time_t>(d / 1000000000ull);
        ts.tv_nsec = static_cast<long>(d % 1000000000ull);
        tsp = &ts;
      }
      if (lk.owns_lock()) lk.unlock();
      ppoll(wanted.data(), wanted.size(), tsp, nullptr);
      if (sq_host_running) {
        ++callers_waiting;
        lk.lock();
        --callers_waiting;
      }
    }
  }
};

EmbeddedKernel::EmbeddedKernel(const Profile& profile)
    : EmbeddedKernel(profile, self_credentials()) {}

EmbeddedKernel::EmbeddedKernel(const Profile& profile, const Credentials& creds)
    : impl_(std::make_unique<Impl>(profile, creds)) {}

EmbeddedKernel::~EmbeddedKernel() {
  impl_->stop_sq_host();  // no SQ thread may run while the rings go
  // Destroy rings while the provider is certainly alive (returns their charges).
  for (auto& [fd, slot] : impl_->ring_fds) impl_->kernel.destroy(slot.id);
}

int EmbeddedKernel::setup(uint32_t entries, io_uring_params* params) {
  Impl& s = *impl_;
  std::unique_lock<std::mutex> lk = s.lock_model();
  s.wait_note_is_last = false;
  s.files.begin_call();
  s.caller.creds.tid = current_tid();
  int64_t ring = s.kernel.setup(s.caller, entries, reinterpret_cast<uint64_t>(params));
  if (ring < 0) return static_cast<int>(ring);
  const RingId id = static_cast<RingId>(ring);
  const int fd = s.ring_memory.fd(id);
  if (fd < 0) {  // cannot happen: allocate() succeeded for this ring
    s.kernel.destroy(id);
    return -ENOMEM;
  }
  s.files.set_ring_fd(fd, id);
  s.ring_fds[fd] = Impl::RingSlot{id, s.kernel.context(id)};
  if (s.kernel.sq_thread(id) != nullptr) {
    s.start_sq_host();
    s.sq_wake.notify_all();  // a new thread makes its first pass
  }
  return fd;
}

int EmbeddedKernel::enter(int ring_fd, uint32_t to_submit, uint32_t min_complete,
                          uint32_t flags, const void* arg, size_t argsz) {
  Impl& s = *impl_;
  std::unique_lock<std::mutex> lk = s.lock_model();
  s.wait_note_is_last = false;
  s.files.begin_call();
  s.caller.creds.tid = current_tid();
  // The model clock must be "now" when requests are submitted (timeouts count from it).
  // clock_gettime is a vDSO call, not a syscall: the NOP path stays syscall-free.
  s.kernel.set_now(monotonic_ns());
  auto it = s.ring_fds.find(ring_fd);
  s.deliver_wakeups();
  // Linux completes timers and ready polls on its own; with no thread of our own, what
  // fell due since the last call completes now, before the caller looks again.
  if (it != s.ring_fds.end() && it->second.ctx->inflight() > 0) {
    s.kernel.progress(s.caller, it->second.id, /*waiting=*/false);
  }
  const uint64_t argp = reinterpret_cast<uint64_t>(arg);
  EnterResult r = s.kernel.enter(s.caller, ring_fd, to_submit, min_complete, flags, argp, argsz);
  // Before the caller runs again: a multishot poll armed now must see its next write.
  if (s.wakeups.active() || (it != s.ring_fds.end() && it->second.ctx->inflight() > 0)) s.watch_wakeups();
  // IORING_ENTER_SQ_WAKEUP may have woken a sleeping SQ thread.
  if (s.sq_host_running && (flags & IORING_ENTER_SQ_WAKEUP)) s.sq_wake.notify_all();
  if (!r.must_wait || it == s.ring_fds.end()) return static_cast<int>(r.ret);
  return static_cast<int>(s.wait(it->second.id, r, lk));
}

int EmbeddedKernel::do_register(int ring_fd, uint32_t opcode, const void* arg, uint32_t nr_args) {
  Impl& s = *impl_;
  std::unique_lock<std::mutex> lk = s.lock_model();
  s.wait_note_is_last = false;
  s.files.begin_call();
  s.caller.creds.tid = current_tid();
  // Registration classifies VMAs: never from a list older than this call.
  s.memory.invalidate();
  return static_cast<int>(
      s.kernel.do_register(s.caller, ring_fd, opcode, reinterpret_cast<uint64_t>(arg), nr_args));
}

int EmbeddedKernel::close(int ring_fd) {
  Impl& s = *impl_;
  std::unique_lock<std::mutex> lk = s.lock_model();
  auto it = s.ring_fds.find(ring_fd);
  if (it == s.ring_fds.end()) return -EBADF;
  const RingId ring = it->second.id;
  s.ring_fds.erase(it);
  s.files.forget_ring(ring);
  s.kernel.destroy(ring);  // MemfdRingMemory::release closes the fd
  // The watch's host polls hold their files open: let go of the ring's now.
  if (s.wakeups.active()) s.watch_wakeups();
  return 0;
}

Kernel& EmbeddedKernel::kernel() { return impl_->kernel; }

Credentials& EmbeddedKernel::credentials() { return impl_->caller.creds; }

const Fault& EmbeddedKernel::last_fault() const {
  return impl_->wait_note_is_last ? impl_->wait_note : impl_->kernel.last_fault();
}

}  // namespace uringsim::sim
