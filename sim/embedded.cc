#include "sim/embedded.h"

#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <unordered_map>
#include <vector>

#include "sim/credentials.h"
#include "sim/process_files.h"
#include "sim/process_memory.h"
#include "sim/ring_memory.h"
#include "sim/wait_policy.h"

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
struct EmbeddedKernel::Impl {
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

  Impl(const Profile& profile, const Credentials& creds)
      : kernel(profile, &ring_memory), memory(getpid()), files(getpid(), &ring_memory) {
    caller.creds = creds;
    caller.memory = &memory;
    caller.files = &files;
    sync_clock(kernel);
  }

  // Lists the host fds parked requests of `ring` wait on.
  void collect_wanted(RingId ring) {
    wanted.clear();
    kernel.for_each_wanted_fd(ring, [this](File& f, uint32_t events) {
      if (f.host_fd() >= 0) wanted.push_back(pollfd{f.host_fd(), static_cast<short>(events), 0});
    });
  }

  // The caller blocks, as on Linux, while something can still complete (see
  // sim/wait_policy.h); never forever.
  int64_t wait(RingId ring, const EnterResult& entered) {
    Wait w{ring, entered, kernel.now_ns()};
    wait_note = Fault{};
    for (;;) {
      kernel.set_now(monotonic_ns());
      kernel.progress(caller, ring, /*waiting=*/true);
      collect_wanted(ring);
      const bool watchable = !wanted.empty() || kernel.next_deadline(ring) != UINT64_MAX;
      int64_t ret;
      if (wait_finished(kernel, w, watchable, &ret, &wait_note)) {
        wait_note_is_last = !wait_note.reason.empty();
        return ret;
      }
      const uint64_t wake = wait_wake_at(kernel, w);
      timespec ts{};
      timespec* tsp = nullptr;
      if (wake != UINT64_MAX) {
        const uint64_t now = kernel.now_ns();
        const uint64_t d = wake > now ? wake - now : 0;
        ts.tv_sec = static_cast<time_t>(d / 1000000000ull);
        ts.tv_nsec = static_cast<long>(d % 1000000000ull);
        tsp = &ts;
      }
      ppoll(wanted.data(), wanted.size(), tsp, nullptr);
    }
  }
};

EmbeddedKernel::EmbeddedKernel(const Profile& profile)
    : EmbeddedKernel(profile, self_credentials()) {}

EmbeddedKernel::EmbeddedKernel(const Profile& profile, const Credentials& creds)
    : impl_(std::make_unique<Impl>(profile, creds)) {}

EmbeddedKernel::~EmbeddedKernel() {
  // Destroy rings while the provider is certainly alive (returns their charges).
  for (auto& [fd, slot] : impl_->ring_fds) impl_->kernel.destroy(slot.id);
}

int EmbeddedKernel::setup(uint32_t entries, io_uring_params* params) {
  Impl& s = *impl_;
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
  return fd;
}

int EmbeddedKernel::enter(int ring_fd, uint32_t to_submit, uint32_t min_complete,
                          uint32_t flags, const void* arg, size_t argsz) {
  Impl& s = *impl_;
  s.wait_note_is_last = false;
  s.files.begin_call();
  s.caller.creds.tid = current_tid();
  // The model clock must be "now" when requests are submitted (timeouts count from it).
  // clock_gettime is a vDSO call, not a syscall: the NOP path stays syscall-free.
  s.kernel.set_now(monotonic_ns());
  auto it = s.ring_fds.find(ring_fd);
  // Linux completes timers and ready polls on its own; with no thread of our own, what
  // fell due since the last call completes now, before the caller looks again.
  if (it != s.ring_fds.end() && it->second.ctx->inflight() > 0) {
    s.kernel.progress(s.caller, it->second.id, /*waiting=*/false);
  }
  const uint64_t argp = reinterpret_cast<uint64_t>(arg);
  EnterResult r = s.kernel.enter(s.caller, ring_fd, to_submit, min_complete, flags, argp, argsz);
  if (!r.must_wait || it == s.ring_fds.end()) return static_cast<int>(r.ret);
  return static_cast<int>(s.wait(it->second.id, r));
}

int EmbeddedKernel::do_register(int ring_fd, uint32_t opcode, const void* arg, uint32_t nr_args) {
  Impl& s = *impl_;
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
  auto it = s.ring_fds.find(ring_fd);
  if (it == s.ring_fds.end()) return -EBADF;
  const RingId ring = it->second.id;
  s.ring_fds.erase(it);
  s.files.forget_ring(ring);
  s.kernel.destroy(ring);  // MemfdRingMemory::release closes the fd
  return 0;
}

Kernel& EmbeddedKernel::kernel() { return impl_->kernel; }

Credentials& EmbeddedKernel::credentials() { return impl_->caller.creds; }

const Fault& EmbeddedKernel::last_fault() const {
  return impl_->wait_note_is_last ? impl_->wait_note : impl_->kernel.last_fault();
}

}  // namespace uringsim::sim
