// The registered eventfd (io_uring/eventfd.c): IORING_REGISTER_EVENTFD,
// IORING_REGISTER_EVENTFD_ASYNC, IORING_UNREGISTER_EVENTFD.
//
// The eventfd is one of the client's files; the model signals it as Linux's
// eventfd_signal does, by adding 1 to its counter (File::write of the 8-byte value 1).
// When: at every point where Linux commits CQEs to the CQ ring (io_commit_cqring_flush)
// -- the end of an inline submission batch, each task-work completion, each io-wq
// completion, each auxiliary CQE (resource tags), an overflow flush -- and only if the
// CQ tail moved since the eventfd last looked ("the count changes iff a CQE was added";
// several CQEs of one batch give one signal). Not while the application has set
// IORING_CQ_EVENTFD_DISABLED in the CQ flags word. An EVENTFD_ASYNC registration
// signals only for completions posted by io-wq workers (IOSQE_ASYNC and drained
// requests). On DEFER_TASKRUN rings, queueing task work onto an empty list signals too,
// without looking at the tail.
#pragma once

#include <cstdint>
#include <memory>

#include "kernel_model/files.h"

namespace uringsim {

class Context;

class IoEventfd {
 public:
  bool registered() const { return file_ != nullptr; }
  bool async() const { return async_; }
  // Signals written so far (for explain mode and tests).
  uint64_t signals() const { return signals_; }

  // io_eventfd_signal. `cqe_event`: a CQ commit (skip when the tail has not moved);
  // `from_iowq`: the completion was posted by an io-wq worker.
  void signal(Context& ctx, bool cqe_event, bool from_iowq);

  void set(std::shared_ptr<File> file, bool async, uint32_t cq_tail) {
    file_ = std::move(file);
    async_ = async;
    last_cq_tail_ = cq_tail;
  }
  void clear() { file_.reset(); }

 private:
  std::shared_ptr<File> file_;
  bool async_ = false;
  uint32_t last_cq_tail_ = 0;  // ev_fd->last_cq_tail
  uint64_t signals_ = 0;
};

// IORING_REGISTER_EVENTFD (async = false) / IORING_REGISTER_EVENTFD_ASYNC: `arg` points
// to one s32 fd; nr_args must be 1 (-EINVAL). -EBUSY when one is registered, -EFAULT,
// -EBADF for a closed fd, -EINVAL when the fd is not an eventfd.
int64_t register_eventfd(Context& ctx, uint64_t arg, uint32_t nr_args, bool async);
// IORING_UNREGISTER_EVENTFD: arg and nr_args must be 0 (-EINVAL); -ENXIO when none.
int64_t unregister_eventfd(Context& ctx, uint64_t arg, uint32_t nr_args);

}  // namespace uringsim
