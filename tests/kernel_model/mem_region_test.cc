// IORING_REGISTER_MEM_REGION and registered wait arguments (kernel_model/mem_region.h):
// the region's checks in io_create_region's order, one region per ring, and
// io_uring_enter reading its wait arguments from a slot of the region by offset.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "kernel_model/mem_region.h"
#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

constexpr uint64_t kRegArg = 0x20000;   // struct io_uring_mem_region_reg
constexpr uint64_t kDescArg = 0x21000;  // struct io_uring_region_desc
constexpr uint64_t kRegion = 0x40000;   // two pages of client memory for the region
constexpr uint32_t kExtReg = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG | IORING_ENTER_EXT_ARG_REG;

class MemRegionTest : public RingFixture {
 protected:
  MemRegionTest() {
    memory.map(kRegArg, 4096);
    memory.map(kDescArg, 4096);
    memory.map(kRegion, 8192);
  }
  int64_t register_region(io_uring_region_desc rd, uint64_t reg_flags, uint32_t nr_args = 1) {
    io_uring_mem_region_reg reg{};
    reg.region_uptr = kDescArg;
    reg.flags = reg_flags;
    memory.write(kDescArg, &rd, sizeof rd);
    memory.write(kRegArg, &reg, sizeof reg);
    return kernel.do_register(caller, kRingFd, IORING_REGISTER_MEM_REGION, kRegArg, nr_args);
  }
  static io_uring_region_desc user_region(uint64_t addr, uint64_t size) {
    io_uring_region_desc rd{};
    rd.user_addr = addr;
    rd.size = size;
    rd.flags = IORING_MEM_REGION_TYPE_USER;
    return rd;
  }
  int64_t enable() { return kernel.do_register(caller, kRingFd, IORING_REGISTER_ENABLE_RINGS, 0, 0); }
  void put_slot(uint32_t index, const io_uring_reg_wait& w) {
    memory.write(kRegion + index * sizeof w, &w, sizeof w);
  }
};

TEST_F(MemRegionTest, WaitArgRegionNeedsADisabledRingEINVAL) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(register_region(user_region(kRegion, 4096), IORING_MEM_REGION_REG_WAIT_ARG), -EINVAL);
  // Without REG_WAIT_ARG any ring may have a region.
  EXPECT_EQ(register_region(user_region(kRegion, 4096), 0), 0);
}

TEST_F(MemRegionTest, OneRegionPerRingEBUSY) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_R_DISABLED), 0);
  ASSERT_EQ(register_region(user_region(kRegion, 8192), IORING_MEM_REGION_REG_WAIT_ARG), 0);
  EXPECT_EQ(register_region(user_region(kRegion, 4096), IORING_MEM_REGION_REG_WAIT_ARG), -EBUSY);
}

TEST_F(MemRegionTest, DescriptorChecksInIoCreateRegionOrder) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_R_DISABLED), 0);
  constexpr uint64_t kWait = IORING_MEM_REGION_REG_WAIT_ARG;
  EXPECT_EQ(register_region(user_region(kRegion, 4096), 2), -EINVAL);            // reg.flags
  EXPECT_EQ(register_region(user_region(kRegion, 4096), kWait, 2), -EINVAL);     // nr_args
  EXPECT_EQ(register_region(user_region(0, 4096), kWait), -EFAULT);              // TYPE_USER, no address
  io_uring_region_desc rd = user_region(kRegion, 4096);
  rd.flags = 0;
  EXPECT_EQ(register_region(rd, kWait), -EFAULT);                                // address, no TYPE_USER
  rd.flags = 3;
  EXPECT_EQ(register_region(rd, kWait), -EINVAL);                                // unknown desc flag
  EXPECT_EQ(register_region(user_region(kRegion + 8, 4096), kWait), -EINVAL);    // unaligned
  EXPECT_EQ(register_region(user_region(kRegion, 100), kWait), -EINVAL);         // size not whole pages
  EXPECT_EQ(register_region(user_region(kRegion, 0), kWait), -EINVAL);
  rd = user_region(kRegion, 4096);
  rd.id = 1;
  EXPECT_EQ(register_region(rd, kWait), -EINVAL);
  EXPECT_EQ(register_region(user_region(0x1000, 4096), kWait), -EFAULT);         // unmapped
  EXPECT_EQ(register_region(user_region(kRegion, 3 * 4096), kWait), -EFAULT);    // runs past the mapping
  // None of the failures took the ring's one region.
  EXPECT_EQ(register_region(user_region(kRegion, 8192), kWait), 0);
}

TEST_F(MemRegionTest, RegionPagesAreChargedAndReturned) {
  caller.creds.cap_ipc_lock = false;
  ASSERT_GE(setup_flags(8, IORING_SETUP_R_DISABLED), 0);
  const uint64_t rings = kernel.accounting().locked_pages(caller.creds.uid);
  ASSERT_EQ(register_region(user_region(kRegion, 8192), IORING_MEM_REGION_REG_WAIT_ARG), 0);
  EXPECT_EQ(kernel.accounting().locked_pages(caller.creds.uid), rings + 2);
  kernel.destroy(ring);
  EXPECT_EQ(kernel.accounting().locked_pages(caller.creds.uid), 0u);
}

TEST_F(MemRegionTest, EnterReadsWaitArgumentsFromTheSlotAtTheOffset) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_R_DISABLED), 0);
  ASSERT_EQ(register_region(user_region(kRegion, 8192), IORING_MEM_REGION_REG_WAIT_ARG), 0);
  ASSERT_EQ(enable(), 0);
  kernel.set_now(1000);
  io_uring_reg_wait w{};
  w.flags = IORING_REG_WAIT_TS;
  w.ts.tv_nsec = 1000000;
  w.min_wait_usec = 7;
  put_slot(1, w);
  EnterResult r = enter(0, 1, kExtReg, /*offset=*/64, sizeof(io_uring_reg_wait));
  EXPECT_EQ(r.ret, 0);
  EXPECT_TRUE(r.must_wait);
  EXPECT_EQ(r.deadline_ns, 1000u + 1000000u);
  EXPECT_EQ(r.min_wait_ns, 7000u);
  // A slot without IORING_REG_WAIT_TS: no deadline.
  put_slot(2, io_uring_reg_wait{});
  r = enter(0, 1, kExtReg, 128, sizeof(io_uring_reg_wait));
  EXPECT_TRUE(r.must_wait);
  EXPECT_EQ(r.deadline_ns, UINT64_MAX);
}

TEST_F(MemRegionTest, BadOffsetsSizesAndSlotFlags) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_R_DISABLED), 0);
  ASSERT_EQ(register_region(user_region(kRegion, 8192), IORING_MEM_REGION_REG_WAIT_ARG), 0);
  EXPECT_EQ(enter(0, 0, kExtReg, 64, sizeof(io_uring_reg_wait)).ret, -EBADFD);  // still disabled
  ASSERT_EQ(enable(), 0);
  EXPECT_EQ(enter(0, 0, kExtReg, 64, 24).ret, -EINVAL);
  EXPECT_EQ(enter(0, 0, kExtReg, 4, 64).ret, -EFAULT);
  EXPECT_EQ(enter(0, 0, kExtReg, 8128, 64).ret, 0);      // the last slot ends at the region's end
  EXPECT_EQ(enter(0, 0, kExtReg, 8136, 64).ret, -EFAULT);
  io_uring_reg_wait w{};
  w.flags = 4;
  put_slot(2, w);
  EXPECT_EQ(enter(0, 0, kExtReg, 128, 64).ret, -EINVAL);
  // Without EXT_ARG the REG bit is not looked at (arg is a sigset pointer), nor
  // without GETEVENTS.
  EXPECT_EQ(enter(0, 0, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG_REG, 64, 64).ret, 0);
  EXPECT_EQ(enter(0, 0, IORING_ENTER_EXT_ARG | IORING_ENTER_EXT_ARG_REG, 4, 64).ret, 0);
}

TEST_F(MemRegionTest, KernelAllocatedRegionIsMappedAtTheParamRegionOffset) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_R_DISABLED), 0);
  size_t len = 1;
  EXPECT_EQ(kernel.map(ring, kParamRegionMmapOffset, &len), nullptr);  // none yet
  io_uring_region_desc rd{};
  rd.size = 8192;
  ASSERT_EQ(register_region(rd, IORING_MEM_REGION_REG_WAIT_ARG), 0) << kernel.last_fault().reason;
  memory.read(kDescArg, &rd, sizeof rd);
  EXPECT_EQ(rd.mmap_offset, 0x20000000u);
  std::byte* mapped = kernel.map(ring, kParamRegionMmapOffset | 0x1000, &len);  // low bits ignored
  ASSERT_NE(mapped, nullptr);
  EXPECT_EQ(len, 8192u);
  ASSERT_EQ(enable(), 0);
  io_uring_reg_wait w{};
  w.flags = IORING_REG_WAIT_TS;
  w.ts.tv_sec = 2;
  std::memcpy(mapped + 3 * sizeof w, &w, sizeof w);
  kernel.set_now(500);
  const EnterResult r = enter(0, 1, kExtReg, 3 * sizeof w, sizeof w);
  EXPECT_TRUE(r.must_wait);
  EXPECT_EQ(r.deadline_ns, 500u + 2000000000u);
}

TEST_F(MemRegionTest, NoWaitRegionMeansEveryOffsetIsEFAULT) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(register_region(user_region(kRegion, 4096), 0), 0);
  EXPECT_EQ(enter(0, 0, kExtReg, 0, 64).ret, -EFAULT);
}

TEST_F(MemRegionTest, ExtArgRegIsSimulatedFrom613) {
  const Profile* p612 = find_profile("6.12");
  ASSERT_NE(p612, nullptr);
  EXPECT_EQ(p612->enter_flags & IORING_ENTER_EXT_ARG_REG, 0u);
  EXPECT_NE(find_profile("6.13")->simulated_enter_flags & IORING_ENTER_EXT_ARG_REG, 0u);
  EXPECT_NE(default_profile().simulated_enter_flags & IORING_ENTER_EXT_ARG_REG, 0u);
}

}  // namespace
}  // namespace uringsim::testing
