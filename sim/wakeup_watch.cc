#include "sim/wakeup_watch.h"

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "uapi/io_uring.h"

namespace uringsim::sim {

namespace {

constexpr long kSysSetup = 425;
constexpr long kSysEnter = 426;
constexpr uint32_t kSqEntries = 64;
// Room for many wakeups between two collects (an overflowing CQ can end the multishot
// polls: they are then re-armed, and wakeups in between are lost), while the ring's
// pages -- charged to the user's RLIMIT_MEMLOCK on 6.18 -- stay few (6 with the SQEs).
constexpr uint32_t kCqEntries = 1024;
// user_data of our own POLL_REMOVEs, whose CQEs mean nothing to the model.
constexpr uint64_t kRemoveTag = uint64_t{1} << 63;

// libc's own syscall(2), asked of libc itself: wherever the shim is loaded (linked,
// LD_PRELOADed, even into a program that embeds the model), its interposed syscall()
// would send io_uring numbers to a simulated kernel, whose "wakeups" never come.
using SyscallFn = long (*)(long, ...);
SyscallFn host_syscall() {
  static const SyscallFn fn = [] {
    void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    return libc != nullptr ? reinterpret_cast<SyscallFn>(dlsym(libc, "syscall")) : nullptr;
  }();
  return fn;
}

uint32_t load_acquire(const uint32_t* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
void store_release(uint32_t* p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

}  // namespace

WakeupWatch::~WakeupWatch() {
  if (sqes_ != nullptr) munmap(sqes_, sqes_bytes_);
  if (rings_ != nullptr) munmap(rings_, rings_bytes_);
  if (ring_fd_ >= 0) close(ring_fd_);  // ends every watch
}

bool WakeupWatch::open_ring() {
  if (ring_fd_ >= 0) return true;
  if (unavailable_ || host_syscall() == nullptr) return false;
  unavailable_ = true;  // until everything below worked
  io_uring_params p{};
  p.flags = IORING_SETUP_CQSIZE;  // a plain ring: task work runs as each waker returns
  p.cq_entries = kCqEntries;
  const long fd = host_syscall()(kSysSetup, kSqEntries, &p);
  if (fd < 0) return false;
  ring_fd_ = static_cast<int>(fd);
  if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
    close(ring_fd_);
    ring_fd_ = -1;
    return false;
  }
  rings_bytes_ = std::max<size_t>(p.sq_off.array + p.sq_entries * sizeof(uint32_t),
                                  p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe));
  sqes_bytes_ = p.sq_entries * sizeof(io_uring_sqe);
  void* rings = mmap(nullptr, rings_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd_,
                     IORING_OFF_SQ_RING);
  void* sqes = mmap(nullptr, sqes_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd_,
                    IORING_OFF_SQES);
  if (rings == MAP_FAILED || sqes == MAP_FAILED) {
    if (rings != MAP_FAILED) munmap(rings, rings_bytes_);
    if (sqes != MAP_FAILED) munmap(sqes, sqes_bytes_);
    close(ring_fd_);
    ring_fd_ = -1;
    return false;
  }
  rings_ = rings;
  sqes_ = sqes;
  auto* base = static_cast<std::byte*>(rings);
  sq_head_ = reinterpret_cast<uint32_t*>(base + p.sq_off.head);
  sq_tail_ = reinterpret_cast<uint32_t*>(base + p.sq_off.tail);
  sq_array_ = reinterpret_cast<uint32_t*>(base + p.sq_off.array);
  sq_mask_ = *reinterpret_cast<uint32_t*>(base + p.sq_off.ring_mask);
  sq_entries_ = p.sq_entries;
  cq_head_ = reinterpret_cast<uint32_t*>(base + p.cq_off.head);
  cq_tail_ = reinterpret_cast<uint32_t*>(base + p.cq_off.tail);
  cq_mask_ = *reinterpret_cast<uint32_t*>(base + p.cq_off.ring_mask);
  cqes_ = base + p.cq_off.cqes;
  unavailable_ = false;
  return true;
}

WakeupWatch::Watch* WakeupWatch::find(uint64_t id) {
  for (Watch& w : watches_) {
    if (w.id == id) return &w;
  }
  return nullptr;
}

bool WakeupWatch::queue(uint8_t opcode, int fd, uint32_t events, uint32_t len, uint64_t addr, uint64_t user_data) {
  const uint32_t tail = *sq_tail_;
  if (tail - load_acquire(sq_head_) >= sq_entries_) return false;
  const uint32_t index = tail & sq_mask_;
  io_uring_sqe* sqe = static_cast<io_uring_sqe*>(sqes_) + index;
  std::memset(sqe, 0, sizeof *sqe);
  sqe->opcode = opcode;
  sqe->fd = fd;
  sqe->poll32_events = events;
  sqe->len = len;
  sqe->addr = addr;
  sqe->user_data = user_data;
  sq_array_[index] = index;
  store_release(sq_tail_, tail + 1);
  ++queued_;
  return true;
}

void WakeupWatch::submit() {
  while (queued_ > 0) {
    const long n = host_syscall()(kSysEnter, ring_fd_, queued_, 0, 0, nullptr, 0);
    if (n < 0 && errno == EINTR) continue;
    // EAGAIN/EBUSY (no memory, CQ backlog): the SQEs stay queued for the next round.
    if (n <= 0) return;
    queued_ -= static_cast<uint32_t>(std::min<long>(n, queued_));
  }
}

void WakeupWatch::drain(const std::vector<uint64_t>* fresh) {
  uint32_t head = *cq_head_;
  const uint32_t tail = load_acquire(cq_tail_);
  for (; head != tail; ++head) {
    const io_uring_cqe& c = static_cast<const io_uring_cqe*>(cqes_)[head & cq_mask_];
    if (c.user_data & kRemoveTag) continue;
    Watch* w = find(c.user_data);
    if (w == nullptr) continue;  // removed meanwhile: its last CQE
    const bool arm_time = fresh != nullptr && std::find(fresh->begin(), fresh->end(), w->id) != fresh->end();
    if (!(c.flags & IORING_CQE_F_MORE)) {
      // Ended: re-armed by the next keep() -- unless it ended at once (a file Linux
      // cannot watch, e.g. no poll method): trying again would fail again.
      w->alive = false;
      w->ended_at_arm = arm_time;
    }
    if (c.res > 0 && !arm_time) collected_.push_back(Wakeup{w->id, static_cast<uint32_t>(c.res)});
  }
  store_release(cq_head_, head);
}

void WakeupWatch::collect() {
  // Delivered ones, and those of watches removed before any deliver asked for them.
  collected_.erase(std::remove_if(collected_.begin(), collected_.end(),
                                  [this](const Wakeup& w) { return w.id == 0 || find(w.id) == nullptr; }),
                   collected_.end());
  if (ring_fd_ < 0) return;
  drain(nullptr);
}

void WakeupWatch::deliver(File& file) {
  const uint64_t id = file.host_watch();
  if (id == 0 || collected_.empty()) return;
  for (Wakeup& w : collected_) {
    if (w.id != id) continue;
    file.note_wakeup(w.mask);
    w.id = 0;  // a file listed twice is told once
  }
}

bool WakeupWatch::keep(File& file) {
  const uint32_t events = file.wakeup_events();
  if (events == 0 || file.host_fd() < 0) return false;
  Watch* w = file.host_watch() != 0 ? find(file.host_watch()) : nullptr;
  if (w != nullptr && (w->alive || w->ended_at_arm) && (w->events | events) == w->events) {
    w->kept_round = round_;
    return true;
  }
  if (!open_ring()) return false;
  // New, ended (a CQE without F_MORE) or asked for more events: a new watch. The old
  // one, not kept this round, is removed by end_round.
  watches_.push_back(Watch{next_id_++, file.host_fd(), events, round_, false, true, false});
  file.set_host_watch(watches_.back().id);
  file.set_wakeups_reported();
  return true;
}

void WakeupWatch::end_round() {
  if (watches_.empty()) {
    collected_.clear();
    return;
  }
  fresh_.clear();
  for (size_t i = 0; i < watches_.size();) {
    Watch& w = watches_[i];
    if (w.kept_round != round_) {
      if (w.armed && w.alive) {
        if (!queue(IORING_OP_POLL_REMOVE, -1, 0, 0, w.id, kRemoveTag | w.id)) {
          submit();
          queue(IORING_OP_POLL_REMOVE, -1, 0, 0, w.id, kRemoveTag | w.id);
        }
      }
      watches_[i] = watches_.back();
      watches_.pop_back();
      continue;
    }
    if (!w.armed) {
      if (!queue(IORING_OP_POLL_ADD, w.host_fd, w.events, IORING_POLL_ADD_MULTI, 0, w.id)) {
        submit();
        if (!queue(IORING_OP_POLL_ADD, w.host_fd, w.events, IORING_POLL_ADD_MULTI, 0, w.id)) {
          w.alive = false;  // the next keep() tries again with a new watch
          ++i;
          continue;
        }
      }
      w.armed = true;
      fresh_.push_back(w.id);
    }
    ++i;
  }
  ++round_;
  if (queued_ == 0) return;
  // The arm-time CQE of a ready file is posted by task work before this enter
  // returns to user space; drop it (the model judged readiness at arm itself).
  // Wakeups of older watches drained here wait for the next deliver.
  submit();
  drain(&fresh_);
  if (watches_.empty()) collected_.clear();
}

}  // namespace uringsim::sim
