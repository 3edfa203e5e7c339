// WakeupWatch: tells the model about wakeups of the files its multishot polls wait on.
//
// Linux's multishot POLL_ADD posts a CQE per wakeup of the file's wait queue that
// task work sees (io_poll_wake), not per level: three writes to a pipe are three CQEs
// on a plain ring even though the pipe just stays readable. Readiness (poll/ppoll)
// cannot count them, and neither can an EPOLLET epoll, which merges every wakeup
// between two epoll_wait calls -- and an in-process host runs only when its client
// calls io_uring_enter. So the watch asks the host kernel itself: one real io_uring of
// our own (a plain ring) with a multishot POLL_ADD per watched file. Its CQEs are
// exactly Linux's wakeup accounting for the task that armed it -- the client's
// thread in EmbeddedKernel, whose own writes then each run the task work on their
// return to user space, as they would for the client's ring. Each CQE is reported to
// the model as one wakeup (File::note_wakeup); the model decides what to post.
//
// Which files: those whose File::wakeup_events() a multishot poll set. The host calls
//   collect(); deliver(f) for each wanted file      -- before the model looks
//   keep(f) for each wanted file; end_round()       -- after the model ran
// and waits on fd() instead of the watched files' own fds (which may stay readable).
// A watch is armed when keep() first sees the file; its first CQE when the file is
// already ready is the arm-time readiness, which the model judged itself, and is
// dropped. Without io_uring on the host (io_uring_disabled, seccomp) nothing is
// watched and the model falls back to treating readiness changes as wakeups.
//
// Not thread-safe: the host serialises it with its model calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernel_model/files.h"

namespace uringsim::sim {

class WakeupWatch {
 public:
  WakeupWatch() = default;
  ~WakeupWatch();
  WakeupWatch(const WakeupWatch&) = delete;
  WakeupWatch& operator=(const WakeupWatch&) = delete;

  // Whether any file is watched (the host may skip the deliver pass when not).
  bool active() const { return !watches_.empty(); }
  // Reads the wakeups the host kernel reported since the last call.
  void collect();
  // Gives `file` the wakeups collected for it, each as File::note_wakeup.
  void deliver(File& file);
  // Marks `file` wanted in this round and watches it if a multishot poll asked.
  // Returns whether it is watched: the host then waits on fd(), not on the file.
  bool keep(File& file);
  // Ends a round of keep(): arms the new watches, drops the ones not kept.
  void end_round();
  // Readable while wakeups wait to be collected; -1 when nothing is watched.
  int fd() const { return watches_.empty() ? -1 : ring_fd_; }

 private:
  struct Watch {
    uint64_t id;
    int host_fd;
    uint32_t events;
    uint64_t kept_round;
    bool armed;  // its POLL_ADD was submitted
    bool alive;  // false once a CQE without IORING_CQE_F_MORE ended it
    bool ended_at_arm;  // ended by its arm-time CQE: not retried
  };
  struct Wakeup {
    uint64_t id;
    uint32_t mask;
  };

  bool open_ring();
  Watch* find(uint64_t id);
  // Queues one SQE; false when the SQ is full (then submit() first).
  bool queue(uint8_t opcode, int fd, uint32_t events, uint32_t len, uint64_t addr, uint64_t user_data);
  void submit();
  // Reads every CQE; arm-time CQEs of `fresh` watches are dropped.
  void drain(const std::vector<uint64_t>* fresh);

  int ring_fd_ = -1;
  bool unavailable_ = false;  // io_uring_setup failed once: never retried
  void* rings_ = nullptr;
  size_t rings_bytes_ = 0;
  void* sqes_ = nullptr;
  size_t sqes_bytes_ = 0;
  uint32_t* sq_head_ = nullptr;
  uint32_t* sq_tail_ = nullptr;
  uint32_t* sq_array_ = nullptr;
  uint32_t sq_mask_ = 0;
  uint32_t sq_entries_ = 0;
  uint32_t* cq_head_ = nullptr;
  uint32_t* cq_tail_ = nullptr;
  uint32_t cq_mask_ = 0;
  void* cqes_ = nullptr;
  uint32_t queued_ = 0;

  uint64_t next_id_ = 1;
  uint64_t round_ = 1;
  std::vector<Watch> watches_;
  std::vector<Wakeup> collected_;
  std::vector<uint64_t> fresh_;  // reused by end_round
};

}  // namespace uringsim::sim
