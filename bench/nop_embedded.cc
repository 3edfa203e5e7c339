// Rows nop/embedded and sqpoll/embedded: NOPs on sim::EmbeddedKernel, the ring driven
// exactly as liburing drives a Linux ring: mmap the ring fd at the IORING_OFF_* offsets,
// write SQEs and the SQ array, store-release the tail, enter(batch, batch, GETEVENTS),
// read CQEs between head and tail, store-release the head. On an SQPOLL ring the
// embedded kernel's SQ thread host consumes the SQ; enter only waits, adding SQ_WAKEUP
// when IORING_SQ_NEED_WAKEUP says the thread sleeps.
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "bench/rows.h"
#include "sim/embedded.h"

namespace uringsim::bench {

namespace {

struct Mapped {
  void* p = MAP_FAILED;
  size_t len = 0;
  ~Mapped() {
    if (p != MAP_FAILED) munmap(p, len);
  }
  bool map(int fd, size_t n, uint64_t off) {
    len = n;
    p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, off);
    return p != MAP_FAILED;
  }
  std::byte* at(uint32_t off) const { return static_cast<std::byte*>(p) + off; }
};

inline uint32_t* word(const Mapped& m, uint32_t off) {
  return reinterpret_cast<uint32_t*>(m.at(off));
}

RowResult nop_on_embedded_ring(const RowParams& p, uint32_t setup_flags) {
  RowResult r;
  sim::EmbeddedKernel kernel;
  io_uring_params params{};
  params.flags = setup_flags;
  const bool sqpoll = setup_flags & IORING_SETUP_SQPOLL;
  const unsigned entries = p.batch > 128 ? p.batch : 128;
  int fd = kernel.setup(entries, &params);
  if (fd < 0) {
    r.error = "setup: " + std::string(strerror(-fd)) + ": " + kernel.last_fault().reason;
    return r;
  }
  Mapped sq, cq, sqes;
  const size_t sq_len = params.sq_off.array + params.sq_entries * sizeof(uint32_t);
  const size_t cq_len = params.cq_off.cqes + params.cq_entries * sizeof(io_uring_cqe);
  const bool single = params.features & IORING_FEAT_SINGLE_MMAP;
  if (!sq.map(fd, single ? std::max(sq_len, cq_len) : sq_len, IORING_OFF_SQ_RING) ||
      (!single && !cq.map(fd, cq_len, IORING_OFF_CQ_RING)) ||
      !sqes.map(fd, params.sq_entries * sizeof(io_uring_sqe), IORING_OFF_SQES)) {
    r.error = "mmap of the ring fd failed: " + std::string(strerror(errno));
    kernel.close(fd);
    return r;
  }
  const Mapped& cqm = single ? sq : cq;
  uint32_t* sq_tail = word(sq, params.sq_off.tail);
  uint32_t* sq_flags = word(sq, params.sq_off.flags);
  uint32_t* sq_array = word(sq, params.sq_off.array);
  const uint32_t sq_mask = *word(sq, params.sq_off.ring_mask);
  uint32_t* cq_head = word(cqm, params.cq_off.head);
  uint32_t* cq_tail = word(cqm, params.cq_off.tail);
  const uint32_t cq_mask = *word(cqm, params.cq_off.ring_mask);
  auto* cqes = reinterpret_cast<io_uring_cqe*>(cqm.at(params.cq_off.cqes));
  auto* sqe_array = static_cast<io_uring_sqe*>(sqes.p);

  uint32_t tail = *sq_tail;
  uint64_t done = 0;
  uint64_t check = 0;
  auto start = std::chrono::steady_clock::now();
  while (done < p.ops) {
    for (uint32_t i = 0; i < p.batch; ++i) {
      const uint32_t slot = tail & sq_mask;
      io_uring_sqe* sqe = &sqe_array[slot];
      std::memset(sqe, 0, sizeof *sqe);  // what io_uring_prep_nop does
      sqe->opcode = IORING_OP_NOP;
      sqe->user_data = done + i;
      sq_array[slot] = slot;
      ++tail;
    }
    __atomic_store_n(sq_tail, tail, __ATOMIC_RELEASE);
    uint32_t flags = IORING_ENTER_GETEVENTS;
    if (sqpoll && (__atomic_load_n(sq_flags, __ATOMIC_ACQUIRE) & IORING_SQ_NEED_WAKEUP)) {
      flags |= IORING_ENTER_SQ_WAKEUP;
    }
    int ret = kernel.enter(fd, p.batch, p.batch, flags);
    if (ret != static_cast<int>(p.batch)) {
      r.error = "enter returned " + std::to_string(ret) + ": " + kernel.last_fault().reason;
      kernel.close(fd);
      return r;
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
  kernel.close(fd);
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

RowResult nop_embedded(const RowParams& p) { return nop_on_embedded_ring(p, 0); }
RowResult nop_sqpoll_embedded(const RowParams& p) { return nop_on_embedded_ring(p, IORING_SETUP_SQPOLL); }

}  // namespace uringsim::bench
