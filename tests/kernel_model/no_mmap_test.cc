// IORING_SETUP_NO_MMAP (kernel_model/memmap.h): the rings and SQEs live in client
// pages given in sq_off.user_addr / cq_off.user_addr. The model works on them through
// the host's view (here: the fake memory's own bytes), refuses to map them, and checks
// the addresses as io_create_region does.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>

#include "tests/kernel_model/fakes.h"
#include "kernel_model/kernel.h"

namespace uringsim::testing {
namespace {

constexpr uint64_t kParams = 0x10000;
constexpr uint64_t kUser = 0x100000;  // 64 KiB of client memory for rings and SQEs
constexpr uint64_t kReadOnly = 0x200000;
constexpr int kFd = 100;

// Heap memory for ordinary rings; the fake client's own bytes for NO_MMAP rings.
class FakeClientRingMemory : public RingMemoryProvider {
 public:
  explicit FakeClientRingMemory(FakeMemory& memory) : memory_(memory) {}
  bool allocate(RingId, const RingLayout& layout, RingMemory& out) override {
    out.sq_ring = static_cast<std::byte*>(std::calloc(1, layout.sq_ring_bytes));
    out.cq_ring = out.sq_ring;
    out.sqes = static_cast<std::byte*>(std::calloc(1, layout.sqes_bytes));
    return true;
  }
  void release(RingId, const RingMemory& m, const RingLayout&) override {
    std::free(m.sq_ring);
    std::free(m.sqes);
  }
  bool adopt_user(RingId, const RingLayout&, const Credentials&, uint64_t rings_addr, uint64_t sqes_addr,
                  RingMemory& out, std::string*) override {
    out.sq_ring = memory_.at(rings_addr);
    out.cq_ring = out.sq_ring;
    out.sqes = memory_.at(sqes_addr);
    ++adopted;
    return true;
  }
  void release_user(RingId, const RingMemory&, const RingLayout&) override { ++released; }
  int adopted = 0;
  int released = 0;

 private:
  FakeMemory& memory_;
};

class NoMmapTest : public ::testing::Test {
 protected:
  NoMmapTest() : provider(memory), kernel(default_profile(), &provider) {
    memory.map(kParams, 4096);
    memory.map(kUser, 65536);
    memory.map(kReadOnly, 8192, Backing::kAnonymous, /*writable=*/false);
    caller.creds.pid = 1000;
    caller.creds.uid = 1000;
    caller.creds.mm = 1000;
    caller.creds.cap_ipc_lock = true;
    caller.memory = &memory;
    caller.files = &files;
  }
  int64_t setup(uint32_t entries, uint64_t sqes_addr, uint64_t rings_addr, uint32_t flags = 0) {
    io_uring_params p{};
    p.flags = IORING_SETUP_NO_MMAP | flags;
    p.sq_off.user_addr = sqes_addr;
    p.cq_off.user_addr = rings_addr;
    memory.write(kParams, &p, sizeof p);
    const int64_t r = kernel.setup(caller, entries, kParams);
    memory.read(kParams, &params, sizeof params);
    if (r >= 0) files.add(kFd, std::make_shared<FakeFile>("", true, true, FileKind::kRing, static_cast<RingId>(r)));
    return r;
  }
  uint32_t& rings_word(uint32_t off) { return *reinterpret_cast<uint32_t*>(memory.at(kUser + off)); }

  FakeMemory memory;
  FakeFiles files;
  Caller caller;
  FakeClientRingMemory provider;
  Kernel kernel;
  io_uring_params params{};
};

TEST_F(NoMmapTest, RingsLiveInTheClientPagesAndCannotBeMapped) {
  const int64_t ring = setup(8, kUser + 4096, kUser);
  ASSERT_GE(ring, 0) << kernel.last_fault().reason;
  EXPECT_EQ(params.sq_off.user_addr, kUser + 4096);
  EXPECT_EQ(params.cq_off.user_addr, kUser);
  EXPECT_EQ(params.sq_off.array, 320u);
  EXPECT_EQ(rings_word(params.sq_off.ring_entries), 8u);
  EXPECT_EQ(rings_word(params.cq_off.ring_entries), 16u);
  size_t len = 1;
  EXPECT_EQ(kernel.map(static_cast<RingId>(ring), IORING_OFF_SQ_RING, &len), nullptr);
  EXPECT_EQ(len, 0u);
  EXPECT_EQ(kernel.map(static_cast<RingId>(ring), IORING_OFF_SQES, &len), nullptr);

  // A NOP written into the client's SQE page completes into the client's CQ page.
  io_uring_sqe sqe{};
  sqe.opcode = IORING_OP_NOP;
  sqe.user_data = 42;
  memory.write(kUser + 4096, &sqe, sizeof sqe);
  rings_word(params.sq_off.array) = 0;
  rings_word(params.sq_off.tail) = 1;
  EXPECT_EQ(kernel.enter(caller, kFd, 1, 0, 0, 0, 0).ret, 1);
  EXPECT_EQ(rings_word(params.cq_off.tail), 1u);
  io_uring_cqe cqe{};
  memory.read(kUser + params.cq_off.cqes, &cqe, sizeof cqe);
  EXPECT_EQ(cqe.user_data, 42u);
  EXPECT_EQ(cqe.res, 0);
  kernel.destroy(static_cast<RingId>(ring));
  EXPECT_EQ(provider.released, 1);
}

TEST_F(NoMmapTest, RingsAndSqesMayShareAPage) {
  // Linux accepts the same address for both (the client's problem, not the kernel's).
  EXPECT_GE(setup(8, kUser, kUser), 0) << kernel.last_fault().reason;
}

TEST_F(NoMmapTest, AddressChecksAsLinuxMakesThem) {
  EXPECT_EQ(setup(8, 0, kUser), -EFAULT);
  EXPECT_EQ(setup(8, kUser, 0), -EFAULT);
  EXPECT_EQ(setup(8, kUser, kUser + 4100), -EINVAL);
  EXPECT_EQ(setup(8, kUser + 8, kUser), -EINVAL);
  EXPECT_EQ(setup(8, kUser, kReadOnly), -EFAULT);
  EXPECT_EQ(setup(8, kReadOnly, kUser), -EFAULT);
  EXPECT_EQ(setup(8, kUser, 0x1000), -EFAULT);
  // 4096 entries: the SQEs need 64 pages, the mapping has 16.
  EXPECT_EQ(setup(4096, kUser, kUser + 8192), -EFAULT);
  EXPECT_EQ(provider.adopted, 0);
  EXPECT_EQ(kernel.ring_count(), 0u);
}

TEST_F(NoMmapTest, UserAddressesOfOrdinaryRingsAreZeroedInTheParams) {
  io_uring_params p{};
  p.sq_off.user_addr = 5;
  p.cq_off.user_addr = 7;
  memory.write(kParams, &p, sizeof p);
  ASSERT_GE(kernel.setup(caller, 8, kParams), 0);
  memory.read(kParams, &p, sizeof p);
  EXPECT_EQ(p.sq_off.user_addr, 0u);
  EXPECT_EQ(p.cq_off.user_addr, 0u);
}

TEST_F(NoMmapTest, ResizeMovesToNewClientPages) {
  const int64_t ring = setup(8, kUser + 4096, kUser, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
  ASSERT_GE(ring, 0) << kernel.last_fault().reason;
  io_uring_params rp{};
  rp.sq_entries = 16;
  memory.write(kParams, &rp, sizeof rp);
  EXPECT_EQ(kernel.do_register(caller, kFd, IORING_REGISTER_RESIZE_RINGS, kParams, 1), -EFAULT);
  rp.sq_off.user_addr = kUser + 16384;
  rp.cq_off.user_addr = kUser + 32768;
  memory.write(kParams, &rp, sizeof rp);
  ASSERT_EQ(kernel.do_register(caller, kFd, IORING_REGISTER_RESIZE_RINGS, kParams, 1), 0)
      << kernel.last_fault().reason;
  memory.read(kParams, &rp, sizeof rp);
  EXPECT_EQ(rp.flags, uint32_t{IORING_SETUP_NO_MMAP});
  EXPECT_EQ(rp.sq_off.user_addr, kUser + 16384);
  EXPECT_EQ(rp.cq_off.user_addr, kUser + 32768);
  EXPECT_EQ(*reinterpret_cast<uint32_t*>(memory.at(kUser + 32768 + rp.sq_off.ring_entries)), 16u);
  EXPECT_EQ(provider.adopted, 2);
  EXPECT_EQ(provider.released, 1);  // the old view
}

TEST_F(NoMmapTest, TheDefaultHostCannotReachClientPagesEINVAL) {
  Kernel heap_kernel;
  io_uring_params p{};
  p.flags = IORING_SETUP_NO_MMAP;
  p.sq_off.user_addr = kUser + 4096;
  p.cq_off.user_addr = kUser;
  memory.write(kParams, &p, sizeof p);
  EXPECT_EQ(heap_kernel.setup(caller, 8, kParams), -EINVAL);
  EXPECT_NE(heap_kernel.last_fault().reason.find("not simulated"), std::string::npos)
      << heap_kernel.last_fault().reason;
}

TEST_F(NoMmapTest, OnlyProfilesFrom65HaveIt) {
  const Profile* p61 = find_profile("6.1");
  ASSERT_NE(p61, nullptr);
  EXPECT_EQ(p61->setup_flags & IORING_SETUP_NO_MMAP, 0u);
  EXPECT_NE(default_profile().simulated_setup_flags & IORING_SETUP_NO_MMAP, 0u);
}

}  // namespace
}  // namespace uringsim::testing
