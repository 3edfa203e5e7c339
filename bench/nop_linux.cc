// Row nop/linux: NOPs on the real kernel through liburing, as an application would.
// (This file includes <liburing.h> and therefore must not include uapi/io_uring.h.)
#include <liburing.h>

#include <chrono>
#include <cstring>
#include <string>

#include "bench/rows.h"

namespace uringsim::bench {

RowResult nop_linux(const RowParams& p) {
  RowResult r;
  io_uring ring;
  const unsigned entries = p.batch > 128 ? p.batch : 128;
  int ret = io_uring_queue_init(entries, &ring, 0);
  if (ret < 0) {
    r.error = std::string("io_uring_queue_init: ") + strerror(-ret);
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
    if (ret != static_cast<int>(p.batch)) {
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

}  // namespace uringsim::bench
