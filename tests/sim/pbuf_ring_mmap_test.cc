// Kernel-allocated provided-buffer rings (IOU_PBUF_RING_MMAP) through the ring's memfd:
// the client maps IORING_OFF_PBUF_RING | bgid << IORING_OFF_PBUF_SHIFT of its own ring
// fd and sees the very memory the model reads (sim/ring_memory.h).
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "sim/embedded.h"
#include "tests/sim/run_helpers.h"
#include "uapi/io_uring.h"

namespace uringsim::sim {
namespace {

constexpr uint64_t pbuf_offset(uint16_t bgid) { return IORING_OFF_PBUF_RING | (uint64_t{bgid} << IORING_OFF_PBUF_SHIFT); }

int register_mmap_ring(EmbeddedKernel& k, int fd, uint16_t bgid, uint32_t entries) {
  io_uring_buf_reg reg{};
  reg.ring_entries = entries;
  reg.bgid = bgid;
  reg.flags = IOU_PBUF_RING_MMAP;
  return k.do_register(fd, IORING_REGISTER_PBUF_RING, &reg, 1);
}

int unregister_ring(EmbeddedKernel& k, int fd, uint16_t bgid) {
  io_uring_buf_reg reg{};
  reg.bgid = bgid;
  return k.do_register(fd, IORING_UNREGISTER_PBUF_RING, &reg, 1);
}

class PbufRingMmap : public ::testing::Test {
 protected:
  void SetUp() override {
    fd_ = k_.setup(8, &p_);
    ASSERT_GE(fd_, 0) << k_.last_fault().reason;
    sq_len_ = std::max(p_.sq_off.array + p_.sq_entries * 4, p_.cq_off.cqes + p_.cq_entries * 16);
    rings_ = static_cast<uint8_t*>(mmap(nullptr, sq_len_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, IORING_OFF_SQ_RING));
    ASSERT_NE(rings_, MAP_FAILED);
    sqes_ = static_cast<io_uring_sqe*>(
        mmap(nullptr, p_.sq_entries * sizeof(io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED, fd_, IORING_OFF_SQES));
    ASSERT_NE(sqes_, MAP_FAILED);
    ASSERT_EQ(pipe(pipe_), 0);
  }
  void TearDown() override {
    for (auto [m, len] : maps_) munmap(m, len);
    if (sqes_ != nullptr && sqes_ != MAP_FAILED) munmap(sqes_, p_.sq_entries * sizeof(io_uring_sqe));
    if (rings_ != nullptr && rings_ != MAP_FAILED) munmap(rings_, sq_len_);
    ::close(pipe_[0]);
    ::close(pipe_[1]);
  }
  // The client's own mmap of the group's offset on its ring fd.
  io_uring_buf_ring* map(uint16_t bgid) {
    void* m = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, static_cast<off_t>(pbuf_offset(bgid)));
    if (m == MAP_FAILED) return nullptr;
    maps_.push_back({m, 4096});
    return static_cast<io_uring_buf_ring*>(m);
  }
  uint32_t& word(uint32_t off) { return *reinterpret_cast<uint32_t*>(rings_ + off); }
  // Writes `text` to the pipe and READs it with a buffer selected from `bgid`.
  io_uring_cqe read_selected(uint16_t bgid, const char* text) {
    EXPECT_EQ(write(pipe_[1], text, strlen(text)), static_cast<ssize_t>(strlen(text)));
    const uint32_t tail = word(p_.sq_off.tail);
    const uint32_t idx = tail & (p_.sq_entries - 1);
    io_uring_sqe& sqe = sqes_[idx];
    std::memset(&sqe, 0, sizeof sqe);
    sqe.opcode = IORING_OP_READ;
    sqe.fd = pipe_[0];
    sqe.len = 32;
    sqe.flags = IOSQE_BUFFER_SELECT;
    sqe.buf_group = bgid;
    reinterpret_cast<uint32_t*>(rings_ + p_.sq_off.array)[idx] = idx;
    __atomic_store_n(&word(p_.sq_off.tail), tail + 1, __ATOMIC_RELEASE);
    EXPECT_EQ(k_.enter(fd_, 1, 1, IORING_ENTER_GETEVENTS), 1) << k_.last_fault().reason;
    const uint32_t head = word(p_.cq_off.head);
    EXPECT_NE(head, __atomic_load_n(&word(p_.cq_off.tail), __ATOMIC_ACQUIRE));
    io_uring_cqe cqe = reinterpret_cast<io_uring_cqe*>(rings_ + p_.cq_off.cqes)[head & (p_.cq_entries - 1)];
    __atomic_store_n(&word(p_.cq_off.head), head + 1, __ATOMIC_RELEASE);
    if (cqe.res < 0) {
      char sink[64];
      EXPECT_GT(read(pipe_[0], sink, sizeof sink), 0);
    }
    return cqe;
  }

  EmbeddedKernel k_;
  io_uring_params p_{};
  int fd_ = -1;
  uint8_t* rings_ = nullptr;
  size_t sq_len_ = 0;
  io_uring_sqe* sqes_ = nullptr;
  int pipe_[2] = {-1, -1};
  std::vector<std::pair<void*, size_t>> maps_;
};

TEST_F(PbufRingMmap, TheClientsMappingIsTheRingTheKernelReads) {
  ASSERT_EQ(register_mmap_ring(k_, fd_, 5, 8), 0) << k_.last_fault().reason;
  io_uring_buf_ring* ring = map(5);
  ASSERT_NE(ring, nullptr) << strerror(errno);
  char buf[16] = {};
  ring->bufs[0].addr = reinterpret_cast<uint64_t>(buf);
  ring->bufs[0].len = sizeof buf;
  ring->bufs[0].bid = 9;
  __atomic_store_n(&ring->tail, 1, __ATOMIC_RELEASE);
  const io_uring_cqe cqe = read_selected(5, "abc");
  EXPECT_EQ(cqe.res, 3);
  EXPECT_EQ(cqe.flags, IORING_CQE_F_BUFFER | (9u << IORING_CQE_BUFFER_SHIFT));
  EXPECT_EQ(std::string(buf, 3), "abc");
  io_uring_buf_status st{};
  st.buf_group = 5;
  ASSERT_EQ(k_.do_register(fd_, IORING_REGISTER_PBUF_STATUS, &st, 1), 0);
  EXPECT_EQ(st.head, 1u);
  EXPECT_EQ(read_selected(5, "xyz").res, -ENOBUFS);  // the one buffer is used up
}

TEST_F(PbufRingMmap, NeighbouringGroupsEachSeeTheirOwnRing) {
  ASSERT_EQ(register_mmap_ring(k_, fd_, 1, 4), 0);
  ASSERT_EQ(register_mmap_ring(k_, fd_, 2, 4), 0);
  io_uring_buf_ring* r1 = map(1);
  io_uring_buf_ring* r2 = map(2);
  ASSERT_NE(r1, nullptr);
  ASSERT_NE(r2, nullptr);
  char b2[8] = {};
  r2->bufs[0].addr = reinterpret_cast<uint64_t>(b2);
  r2->bufs[0].len = sizeof b2;
  r2->bufs[0].bid = 4;
  __atomic_store_n(&r2->tail, 1, __ATOMIC_RELEASE);
  EXPECT_EQ(read_selected(1, "one").res, -ENOBUFS);  // group 1's ring is still empty
  const io_uring_cqe cqe = read_selected(2, "two");
  EXPECT_EQ(cqe.res, 3);
  EXPECT_EQ(cqe.flags >> IORING_CQE_BUFFER_SHIFT, 4u);
  EXPECT_EQ(std::string(b2, 3), "two");
}

TEST_F(PbufRingMmap, UnregisterLeavesTheMappingButNotTheGroup) {
  ASSERT_EQ(register_mmap_ring(k_, fd_, 3, 8), 0);
  io_uring_buf_ring* ring = map(3);
  ASSERT_NE(ring, nullptr);
  char buf[8] = {};
  ring->bufs[0].addr = reinterpret_cast<uint64_t>(buf);
  ring->bufs[0].len = sizeof buf;
  ring->bufs[0].bid = 6;
  __atomic_store_n(&ring->tail, 1, __ATOMIC_RELEASE);
  ASSERT_EQ(unregister_ring(k_, fd_, 3), 0);
  // As on Linux: requests no longer find the group, the pages stay for the mapping.
  EXPECT_EQ(read_selected(3, "late").res, -ENOBUFS);
  EXPECT_EQ(ring->tail, 1u);
  EXPECT_EQ(ring->bufs[0].bid, 6u);
  EXPECT_EQ(std::string(buf, 4), std::string(4, '\0'));
  // A new ring of the same group starts zeroed.
  ASSERT_EQ(register_mmap_ring(k_, fd_, 3, 8), 0);
  io_uring_buf_ring* again = map(3);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->tail, 0u);
  EXPECT_EQ(again->bufs[0].bid, 0u);
}

TEST_F(PbufRingMmap, RingsThatWouldOverlapInTheFileAreNotSimulated) {
  // 8192 entries = 128 KiB at group 0's offset: it covers group 1's offset.
  ASSERT_EQ(register_mmap_ring(k_, fd_, 0, 8192), 0) << k_.last_fault().reason;
  EXPECT_EQ(register_mmap_ring(k_, fd_, 1, 8), -EINVAL);
  EXPECT_NE(k_.last_fault().reason.find("not simulated"), std::string::npos) << k_.last_fault().reason;
  EXPECT_EQ(register_mmap_ring(k_, fd_, 2, 8), 0) << k_.last_fault().reason;  // just past it
  ASSERT_EQ(unregister_ring(k_, fd_, 0), 0);
  EXPECT_EQ(register_mmap_ring(k_, fd_, 1, 8), 0) << k_.last_fault().reason;  // free again
}

// --- the same through `uringsim run`, against the host kernel ---------------------------

using simtest::Outcome;

const std::string kCli = URINGSIM_CLI;
const std::string kClient =
    std::string(URINGSIM_STRESS_CLIENT).substr(0, std::string(URINGSIM_STRESS_CLIENT).rfind('/')) +
    "/pbuf_ring_mmap_client";

TEST(PbufRingMmapRun, ClientOutputMatchesTheHostKernel) {
  for (const std::string& bin : {kCli, kClient}) {
    if (access(bin.c_str(), X_OK) != 0) GTEST_SKIP() << bin << " is not built";
  }
  io_uring_params p{};
  const long fd = syscall(__NR_io_uring_setup, 1, &p);
  if (fd < 0) GTEST_SKIP() << "io_uring is unavailable on the host kernel: " << strerror(errno);
  close(static_cast<int>(fd));
  Outcome probe = simtest::run({kCli, "run", "--", "true"}, {.time_limit_s = 20});
  if (probe.status == 2 && probe.err.find("seccomp user notification unavailable") != std::string::npos) {
    GTEST_SKIP() << "seccomp user notification is unavailable here: " << probe.err;
  }
  Outcome host = simtest::run({kClient}, {.time_limit_s = 20});
  if (host.out.find("register group 7 (MMAP, 4 entries): -22") != std::string::npos) {
    GTEST_SKIP() << "the host kernel predates IOU_PBUF_RING_MMAP (6.4): " << host.out;
  }
  Outcome sim = simtest::run(simtest::under_sim({kClient}), {.time_limit_s = 20});
  EXPECT_EQ(host.status, 0) << host.out << host.err;
  EXPECT_EQ(sim.status, host.status) << sim.err;
  EXPECT_EQ(sim.out, host.out) << "sim stderr: " << sim.err;
  EXPECT_NE(host.out.find("read group 8: res 5 flags 0x1 bid 3 data \"eight\""), std::string::npos) << host.out;
  EXPECT_NE(host.out.find("old mapping of group 7: tail 3, bufs[2] bid 2 len 64"), std::string::npos) << host.out;
}

}  // namespace
}  // namespace uringsim::sim
