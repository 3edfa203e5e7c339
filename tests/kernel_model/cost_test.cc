// The cost model's virtual clock (kernel_model/cost.h): the seed calibration and what
// each operation charges.
#include <cerrno>
#include <vector>

#include "kernel_model/cost.h"
#include "kernel_model/kernel.h"
#include <gtest/gtest.h>

#include "tests/kernel_model/fakes.h"

namespace uringsim::testing {
namespace {

constexpr uint64_t k1G = uint64_t{1} << 30;
constexpr uint64_t k2M = uint64_t{2} << 20;
constexpr uint64_t kHuge = uint64_t{1} << 44;  // 900 GiB of declared 1 GiB pages here
constexpr uint64_t kScratch = 0x10000;

// Declared VMAs without bytes (huge ones), plus a small scratch area with real bytes.
class DeclaredMemory : public FakeMemory {
 public:
  void declare(uint64_t start, uint64_t len, Backing b, uint64_t page) {
    declared_.push_back(Vma{start, start + len, true, true, b, page, 0, ""});
  }
  bool vmas(uint64_t addr, uint64_t len, std::vector<Vma>& out) override {
    for (const Vma& v : declared_) {
      if (addr >= v.start && addr + len <= v.end) {
        out.assign(1, v);
        return true;
      }
    }
    return FakeMemory::vmas(addr, len, out);
  }

 private:
  std::vector<Vma> declared_;
};

class CostTest : public ::testing::Test {
 public:
  CostTest() {
    memory.map(kScratch, 64 << 10);
    memory.declare(kHuge, 900 * k1G, Backing::kHugetlb, k1G);
    memory.declare(kHuge - k1G, 512 * k2M / 2, Backing::kHugetlb, k2M);
    caller.creds = Credentials{4000, 4000, 0, true, kUnlimited, 4000};
    caller.memory = &memory;
    caller.files = &files;
  }
  int setup_ring(int fd) {
    io_uring_params p{};
    memory.write(kScratch, &p, sizeof p);
    int64_t r = kernel.setup(caller, 8, kScratch);
    files.add(fd, std::make_shared<FakeFile>("", true, true, FileKind::kRing, static_cast<RingId>(r)));
    return static_cast<int>(r);
  }
  int64_t register_n(int fd, uint64_t base, uint64_t size, uint32_t n) {
    std::vector<uint64_t> v;
    for (uint32_t i = 0; i < n; ++i) {
      v.push_back(base + i * size);
      v.push_back(size);
    }
    memory.write(kScratch + 4096, v.data(), 8 * v.size());
    return kernel.do_register(caller, fd, IORING_REGISTER_BUFFERS, kScratch + 4096, n);
  }
  DeclaredMemory memory;
  FakeFiles files;
  Caller caller;
  Kernel kernel;
};

TEST(CostModel, FolioCostsByPageSize) {
  CostModel c;
  EXPECT_EQ(c.pin_folio_ns(4096), c.pin_4k_page_ns);
  EXPECT_EQ(c.pin_folio_ns(k2M), c.pin_2m_folio_ns);
  EXPECT_EQ(c.pin_folio_ns(k1G), c.pin_1g_folio_ns);
  EXPECT_EQ(c.pin_folio_ns(64 << 10), 16 * c.pin_4k_page_ns);
}

TEST_F(CostTest, SeedCalibrationRegister500And900OneGiBBuffers) {
  setup_ring(3);
  ASSERT_EQ(register_n(3, kHuge, k1G, 500), 0);
  const double ms500 = kernel.last_call_model_ns() / 1e6;
  EXPECT_NEAR(ms500, 409.0, 409.0 * 0.02);
  ASSERT_EQ(kernel.do_register(caller, 3, IORING_UNREGISTER_BUFFERS, 0, 0), 0);
  ASSERT_EQ(register_n(3, kHuge, k1G, 900), 0);
  const double ms900 = kernel.last_call_model_ns() / 1e6;
  EXPECT_NEAR(ms900, 738.0, 738.0 * 0.02);
  EXPECT_NEAR(ms900 / ms500, 1.8, 0.01);  // linear in buffers
}

TEST_F(CostTest, SeedCalibrationClone900IsAbout17us) {
  setup_ring(3);
  setup_ring(4);
  ASSERT_EQ(register_n(3, kHuge, k1G, 900), 0);
  const uint64_t before = kernel.model_time_ns();
  io_uring_clone_buffers a{};
  a.src_fd = 3;
  memory.write(kScratch + 1024, &a, sizeof a);
  ASSERT_EQ(kernel.do_register(caller, 4, IORING_REGISTER_CLONE_BUFFERS, kScratch + 1024, 1), 0);
  EXPECT_NEAR(kernel.last_call_model_ns() / 1e3, 17.0, 1.0);
  EXPECT_EQ(kernel.model_time_ns() - before, kernel.last_call_model_ns());
}

TEST_F(CostTest, CloneCostIndependentOfBufferSize) {
  setup_ring(3);
  setup_ring(4);
  setup_ring(5);
  ASSERT_EQ(register_n(3, kHuge, k1G, 10), 0);
  memory.map(0x4000000, 10 * 4096);
  ASSERT_EQ(register_n(4, 0x4000000, 4096, 10), 0);
  io_uring_clone_buffers a{};
  a.src_fd = 3;
  memory.write(kScratch + 1024, &a, sizeof a);
  ASSERT_EQ(kernel.do_register(caller, 5, IORING_REGISTER_CLONE_BUFFERS, kScratch + 1024, 1), 0);
  const uint64_t big = kernel.last_call_model_ns();
  ASSERT_EQ(kernel.do_register(caller, 5, IORING_UNREGISTER_BUFFERS, 0, 0), 0);
  a.src_fd = 4;
  memory.write(kScratch + 1024, &a, sizeof a);
  ASSERT_EQ(kernel.do_register(caller, 5, IORING_REGISTER_CLONE_BUFFERS, kScratch + 1024, 1), 0);
  EXPECT_EQ(kernel.last_call_model_ns(), big);
}

TEST_F(CostTest, TwoMiBPagesCostPerFolio) {
  setup_ring(3);
  const CostModel& c = kernel.clock().model();
  // One 16 MiB buffer of 2 MiB pages: 8 folios.
  ASSERT_EQ(register_n(3, kHuge - k1G, 8 * k2M, 1), 0);
  EXPECT_EQ(kernel.last_call_model_ns(),
            c.syscall_ns + c.register_buffer_ns + 8 * c.pin_2m_folio_ns + c.account_ns);
}

TEST_F(CostTest, UnpinChargedOnlyWhenTheLastReferenceGoes) {
  setup_ring(3);
  setup_ring(4);
  const CostModel& c = kernel.clock().model();
  ASSERT_EQ(register_n(3, kHuge, k1G, 2), 0);
  io_uring_clone_buffers a{};
  a.src_fd = 3;
  memory.write(kScratch + 1024, &a, sizeof a);
  ASSERT_EQ(kernel.do_register(caller, 4, IORING_REGISTER_CLONE_BUFFERS, kScratch + 1024, 1), 0);
  ASSERT_EQ(kernel.do_register(caller, 3, IORING_UNREGISTER_BUFFERS, 0, 0), 0);
  EXPECT_EQ(kernel.last_call_model_ns(), c.syscall_ns + 2 * c.unregister_buffer_ns);
  ASSERT_EQ(kernel.do_register(caller, 4, IORING_UNREGISTER_BUFFERS, 0, 0), 0);
  EXPECT_EQ(kernel.last_call_model_ns(), c.syscall_ns + 2 * (c.unregister_buffer_ns + c.unpin_1g_folio_ns));
}

TEST_F(CostTest, CustomCoefficientsApply) {
  CostModel c;
  c.pin_1g_folio_ns = 1000;
  c.register_buffer_ns = 0;
  c.account_ns = 0;
  c.syscall_ns = 0;
  kernel.set_cost_model(c);
  setup_ring(3);
  ASSERT_EQ(register_n(3, kHuge, k1G, 3), 0);
  EXPECT_EQ(kernel.last_call_model_ns(), 3000u);
}

}  // namespace
}  // namespace uringsim::testing
