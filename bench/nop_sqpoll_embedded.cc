// Row sqpoll/embedded: NOPs on an SQPOLL ring of sim::EmbeddedKernel, driven as
// liburing drives one: write SQEs and the SQ array, store-release the tail, enter
// with GETEVENTS (plus SQ_WAKEUP when IORING_SQ_NEED_WAKEUP is set) to wait; the
// embedded kernel's SQ thread host consumes the SQ.
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "bench/rows.h"
#include "sim/embedded.h"

namespace uringsim::bench {

RowResult nop_sqpoll_embedded(const RowParams& p) {
  RowResult r;
  sim::EmbeddedKernel kernel;
  io_uring_params params{};
  params.flags = IORING_SETUP_SQPOLL;
  const unsigned entries = p.batch > 128 ? p.batch : 128;
  const int fd = kernel.setup(entries, &params);
  if (fd < 0) {
    r.error = "setup(SQPOLL): " + std::string(strerror(-fd)) + ": " + kernel.last_fault().reason;
    return r;
  }
  // One mapping: the 6.18 profile has IORING_FEAT_SINGLE_MMAP.
  const size_t ring_len = std::max(params.sq_off.array + params.sq_entries * sizeof(uint32_t),
                                   params.cq_off.cqes + params.cq_entries * sizeof(io_uring_cqe));
  const size_t sqes_len = params.sq_entries * sizeof(io_uring_sqe);
  void* ring = mmap(nullptr, ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
  void* sqes = mmap(nullptr, sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
  if (ring == MAP_FAILED || sqes == MAP_FAILED) {
    r.error = "mmap of the ring fd failed: " + std::string(strerror(errno));
    if (ring != MAP_FAILED) munmap(ring, ring_len);
    if (sqes != MAP_FAILED) munmap(sqes, sqes_len);
    kernel.close(fd);
    return r;
  }
  auto* base = static_cast<std::byte*>(ring);
  auto word = [base](uint32_t off) { return reinterpret_cast<uint32_t*>(base + off); };
  uint32_t* sq_tail = word(params.sq_off.tail);
  uint32_t* sq_flags = word(params.sq_off.flags);
  uint32_t* sq_array = word(params.sq_off.array);
  const uint32_t sq_mask = *word(params.sq_off.ring_mask);
  uint32_t* cq_head = word(params.cq_off.head);
  uint32_t* cq_tail = word(params.cq_off.tail);
  const uint32_t cq_mask = *word(params.cq_off.ring_mask);
  auto* cqes = reinterpret_cast<io_uring_cqe*>(base + params.cq_off.cqes);
  auto* sqe_array = static_cast<io_uring_sqe*>(sqes);

  uint32_t tail = *sq_tail;
  uint64_t done = 0;
  uint64_t check = 0;
  auto start = std::chrono::steady_clock::now();
  while (done < p.ops) {
    for (uint32_t i = 0; i < p.batch; ++i) {
      const uint32_t slot = tail & sq_mask;
      io_uring_sqe* sqe = &sqe_array[slot];
      std::memset(sqe, 0, sizeof *sqe);
      sqe->opcode = IORING_OP_NOP;
      sqe->user_data = done + i;
      sq_array[slot] = slot;
      ++tail;
    }
    __atomic_store_n(sq_tail, tail, __ATOMIC_RELEASE);
    uint32_t flags = IORING_ENTER_GETEVENTS;
    if (__atomic_load_n(sq_flags, __ATOMIC_ACQUIRE) & IORING_SQ_NEED_WAKEUP) flags |= IORING_ENTER_SQ_WAKEUP;
    const int ret = kernel.enter(fd, p.batch, p.batch, flags);
    if (ret < 0) {
      r.error = "enter returned " + std::to_string(ret) + ": " + kernel.last_fault().reason;
      break;
    }
    uint32_t head = *cq_head;
    const uint32_t ctail = __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE);
    for (; head != ctail; ++head) {
      const io_uring_cqe& c = cqes[head & cq_mask];
      check += c.user_data + static_cast<uint64_t>(c.res);
      ++done;
    }
    __atomic_store_n(cq_head, head, __ATOMIC_RELEASE);
  }
  auto end = std::chrono::steady_clock::now();
  munmap(ring, ring_len);
  munmap(sqes, sqes_len);
  kernel.close(fd);
  if (!r.error.empty()) return r;
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
