// A ring in fake memory, driven like liburing drives a real one: params placed in
// client memory, SQEs written into the mapped SQE array, the SQ tail bumped, enter.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kernel_model/kernel.h"
#include "tests/kernel_model/fakes.h"

namespace uringsim::testing {

inline constexpr uint64_t kParamsAddr = 0x10000;
inline constexpr int kRingFd = 100;

class RingFixture : public ::testing::Test {
 public:
  explicit RingFixture(const Profile& profile = default_profile()) : kernel(profile) {
    memory.map(kParamsAddr, 4096);
    caller.creds.pid = 1000;
    caller.creds.uid = 1000;
    caller.creds.mm = 1000;
    caller.creds.cap_ipc_lock = true;
    caller.memory = &memory;
    caller.files = &files;
  }

  // io_uring_setup with the given params; returns the syscall's value.
  int64_t setup(uint32_t entries, io_uring_params p = {}) {
    memory.write(kParamsAddr, &p, sizeof p);
    int64_t r = kernel.setup(caller, entries, kParamsAddr);
    memory.read(kParamsAddr, &params, sizeof params);
    if (r >= 0) {
      ring = static_cast<RingId>(r);
      files.add(kRingFd, std::make_shared<FakeFile>("", true, true, FileKind::kRing, ring));
      size_t len = 0;
      sq_ring = kernel.map(ring, IORING_OFF_SQ_RING, &len);
      cq_ring = kernel.map(ring, IORING_OFF_CQ_RING, &len);
      sqes = reinterpret_cast<io_uring_sqe*>(kernel.map(ring, IORING_OFF_SQES, &len));
    }
    return r;
  }
  int64_t setup_flags(uint32_t entries, uint32_t flags, uint32_t cq_entries = 0) {
    io_uring_params p{};
    p.flags = flags;
    p.cq_entries = cq_entries;
    return setup(entries, p);
  }

  uint32_t& sq_word(uint32_t off) { return *reinterpret_cast<uint32_t*>(sq_ring + off); }
  uint32_t& cq_word(uint32_t off) { return *reinterpret_cast<uint32_t*>(cq_ring + off); }
  uint32_t& sq_tail() { return sq_word(params.sq_off.tail); }
  uint32_t sq_head() { return sq_word(params.sq_off.head); }
  uint32_t dropped() { return sq_word(params.sq_off.dropped); }
  uint32_t sq_flags() { return sq_word(params.sq_off.flags); }
  uint32_t& cq_head() { return cq_word(params.cq_off.head); }
  uint32_t cq_tail() { return cq_word(params.cq_off.tail); }
  uint32_t cq_overflow() { return cq_word(params.cq_off.overflow); }

  // Queues an SQE in the next slot (the SQ array maps position i to slot i).
  io_uring_sqe& push(uint8_t opcode, uint64_t user_data, uint8_t flags = 0) {
    uint32_t mask = params.sq_entries - 1;
    uint32_t pos = sq_tail() & mask;
    size_t stride = (params.flags & IORING_SETUP_SQE128) ? 2 : 1;
    io_uring_sqe& sqe = sqes[pos * stride];
    std::memset(&sqe, 0, sizeof sqe);
    sqe.opcode = opcode;
    sqe.flags = flags;
    sqe.user_data = user_data;
    if (!(params.flags & IORING_SETUP_NO_SQARRAY))
      sq_word(params.sq_off.array + 4 * pos) = pos;
    ++sq_tail();
    return sqe;
  }
  io_uring_sqe& nop(uint64_t user_data, uint8_t flags = 0) { return push(IORING_OP_NOP, user_data, flags); }
  // Queues an SQE with the fields most opcodes read: fd, addr, len.
  io_uring_sqe& op(uint8_t opcode, uint64_t user_data, int fd, uint64_t addr, uint32_t len, uint8_t flags = 0) {
    io_uring_sqe& s = push(opcode, user_data, flags);
    s.fd = fd;
    s.addr = addr;
    s.len = len;
    return s;
  }

  EnterResult enter(uint32_t to_submit, uint32_t min_complete = 0, uint32_t flags = 0,
                    uint64_t arg = 0, uint64_t argsz = 0) {
    return kernel.enter(caller, kRingFd, to_submit, min_complete, flags, arg, argsz);
  }
  int64_t submit(uint32_t n) { return enter(n).ret; }

  struct SimpleCqe {
    uint64_t user_data;
    int32_t res;
    uint32_t flags;
    bool operator==(const SimpleCqe&) const = default;
  };
  // Consumes every CQE in the CQ.
  std::vector<SimpleCqe> reap() {
    std::vector<SimpleCqe> out;
    uint32_t mask = params.cq_entries - 1;
    size_t stride = (params.flags & IORING_SETUP_CQE32) ? 2 : 1;
    auto* cqes = reinterpret_cast<io_uring_cqe*>(cq_ring + params.cq_off.cqes);
    while (cq_head() != cq_tail()) {
      const io_uring_cqe& c = cqes[(cq_head() & mask) * stride];
      out.push_back({c.user_data, c.res, c.flags});
      ++cq_head();
    }
    return out;
  }
  // Submits the one queued SQE and returns its single CQE.
  SimpleCqe run_one() {
    EXPECT_EQ(submit(1), 1);
    auto cqes = reap();
    EXPECT_EQ(cqes.size(), 1u);
    return cqes.empty() ? SimpleCqe{0, 0, 0} : cqes[0];
  }
  // n bytes of (fake) user memory at addr.
  std::string user_bytes(uint64_t addr, size_t n) {
    std::string s(n, '\0');
    memory.read(addr, s.data(), n);
    return s;
  }
  // Submits n queued SQEs (all must be consumed) and reaps every CQE.
  std::vector<SimpleCqe> run(uint32_t n) {
    EXPECT_EQ(submit(n), n);
    return reap();
  }

  FakeMemory memory;
  FakeFiles files;
  Caller caller;
  Kernel kernel;
  io_uring_params params{};
  RingId ring = kNoRing;
  std::byte* sq_ring = nullptr;
  std::byte* cq_ring = nullptr;
  io_uring_sqe* sqes = nullptr;
};

inline void PrintTo(const RingFixture::SimpleCqe& c, std::ostream* os) {
  *os << "{ud=" << c.user_data << " res=" << c.res << " flags=0x" << std::hex << c.flags << std::dec << "}";
}

}  // namespace uringsim::testing
