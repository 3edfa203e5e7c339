// Rows nop/linux and sqpoll/linux: NOPs on the real kernel through liburing, as an
// application would. On an SQPOLL ring the kernel's SQ thread submits;
// io_uring_submit_and_wait only wakes it when it sleeps and waits for the CQEs.
// (This file includes <liburing.h> and therefore must not include uapi/io_uring.h.)
#include <liburing.h>

#include <chrono>
#include <cstring>
#include <string>

#include "bench/rows.h"

namespace uringsim::bench {

namespace {

RowResult nop_on_linux_ring(const RowParams& p, unsigned setup_flags) {
  RowResult r;
  io_uring ring;
  io_uring_params params{};
  params.flags = setup_flags;  // SQPOLL: sq_thread_idle 0, Linux's default of one second
  const unsigned entries = p.batch > 128 ? p.batch : 128;
  int ret = io_uring_queue_init_params(entries, &ring, &params);
  if (ret < 0) {
    r.error = std::string("io_uring_queue_init_params: ") + strerror(-ret);
    return r;
  }
  uint64_t done = 0;
  uint64_t check = 0;
  auto start = std::chrono::steady_clock::now();
  while (done < p.ops) {
    for (uint32_t i = 0; i < p.batch; ++i) {
      io_uring_sqe* sqe = io_uring_get_sqe(&ring);
      io_uring_prep_nop(sqe);
      sqe->user_data = done + i;
    }
    ret = io_uring_submit_and_wait(&ring, p.batch);
    // On an SQPOLL ring liburing counts every SQE between the tail and the kernel's
    // head, and the SQ thread moves the head only after its pass: the previous
    // batch's SQEs, whose CQEs are already reaped, may still be counted.
    const bool sqpoll = setup_flags & IORING_SETUP_SQPOLL;
    if (sqpoll ? ret < static_cast<int>(p.batch) : ret != static_cast<int>(p.batch)) {
      r.error = "io_uring_submit_and_wait returned " + std::to_string(ret);
      io_uring_queue_exit(&ring);
      return r;
    }
    unsigned head, seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring, head, cqe) {
      check += cqe->user_data + static_cast<uint64_t>(cqe->res);
      ++seen;
    }
    io_uring_cq_advance(&ring, seen);
    done += seen;
  }
  auto end = std::chrono::steady_clock::now();
  io_uring_queue_exit(&ring);
  // Every user_data 0..ops-1 came back once, every res was 0.
  if (check != done * (done - 1) / 2) {
    r.error = "CQEs did not match the SQEs";
    return r;
  }
  r.ok = true;
  r.ops = done;
  r.seconds = std::chrono::duration<double>(end - start).count();
  return r;
}

}  // namespace

RowResult nop_linux(const RowParams& p) { return nop_on_linux_ring(p, 0); }
RowResult nop_sqpoll_linux(const RowParams& p) { return nop_on_linux_ring(p, IORING_SETUP_SQPOLL); }

}  // namespace uringsim::bench
