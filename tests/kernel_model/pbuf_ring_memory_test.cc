// Kernel-allocated buffer rings (IOU_PBUF_RING_MMAP) take their memory from the host
// (RingMemoryProvider::allocate_pbuf_ring), so sim/ can put it where the client's mmap
// of the ring fd finds it; the model gives it back when the group goes, on
// UNREGISTER_PBUF_RING or with the ring. A host that cannot place a ring makes the
// registration fail loudly: EINVAL with a "not simulated" reason.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kernel_model/kernel.h"
#include "tests/kernel_model/fakes.h"

namespace uringsim::testing {
namespace {

constexpr uint64_t kParams = 0x10000;
constexpr uint64_t kArg = 0x20000;
constexpr int kFd = 100;

// Heap ring memory, and buffer rings handed out and taken back on the record.
class RecordingProvider : public RingMemoryProvider {
 public:
  struct PbufCall {
    RingId ring;
    uint16_t bgid;
    std::byte* memory;
    size_t bytes;
  };
  bool allocate(RingId, const RingLayout& layout, RingMemory& out) override {
    out.sq_ring = zeroed(layout.sq_ring_bytes);
    out.cq_ring = layout.single_mmap() ? out.sq_ring : zeroed(layout.cq_ring_bytes);
    out.sqes = zeroed(layout.sqes_bytes);
    return true;
  }
  void release(RingId, const RingMemory& m, const RingLayout& layout) override {
    std::free(m.sq_ring);
    if (!layout.single_mmap()) std::free(m.cq_ring);
    std::free(m.sqes);
  }
  std::byte* allocate_pbuf_ring(RingId ring, uint16_t bgid, size_t bytes, std::string* not_simulated) override {
    if (refuse_with != nullptr) {
      if (*refuse_with != '\0') *not_simulated = refuse_with;
      return nullptr;
    }
    std::byte* m = zeroed(bytes);
    allocated.push_back({ring, bgid, m, bytes});
    return m;
  }
  void release_pbuf_ring(RingId ring, uint16_t bgid, std::byte* memory, size_t bytes) override {
    released.push_back({ring, bgid, memory, bytes});
    std::free(memory);
  }

  const char* refuse_with = nullptr;  // "" : no memory (ENOMEM); text: not simulated
  std::vector<PbufCall> allocated, released;

 private:
  static std::byte* zeroed(size_t n) {
    const size_t bytes = (n + 4095) / 4096 * 4096;
    void* p = std::aligned_alloc(4096, bytes);
    std::memset(p, 0, bytes);
    return static_cast<std::byte*>(p);
  }
};

class PbufRingMemory : public ::testing::Test {
 protected:
  PbufRingMemory() : kernel(default_profile(), &provider) {
    memory.map(kParams, 4096);
    memory.map(kArg, 4096);
    caller.creds.pid = caller.creds.tid = 1000;
    caller.creds.uid = 1000;
    caller.creds.mm = 1000;
    caller.creds.cap_ipc_lock = false;  // the ring's memory is charged: check it comes back
    caller.creds.memlock_limit = 1 << 20;
    caller.memory = &memory;
    caller.files = &files;
    io_uring_params p{};
    memory.write(kParams, &p, sizeof p);
    const int64_t r = kernel.setup(caller, 8, kParams);
    EXPECT_GE(r, 0) << kernel.last_fault().reason;
    ring = static_cast<RingId>(r);
    files.add(kFd, std::make_shared<FakeFile>("", true, true, FileKind::kRing, ring));
    ring_pages = kernel.accounting().locked_pages(1000);
  }
  int64_t register_mmap_ring(uint16_t bgid, uint32_t entries) {
    io_uring_buf_reg reg{};
    reg.ring_entries = entries;
    reg.bgid = bgid;
    reg.flags = IOU_PBUF_RING_MMAP;
    memory.write(kArg, &reg, sizeof reg);
    return kernel.do_register(caller, kFd, IORING_REGISTER_PBUF_RING, kArg, 1);
  }
  int64_t unregister_ring(uint16_t bgid) {
    io_uring_buf_reg reg{};
    reg.bgid = bgid;
    memory.write(kArg, &reg, sizeof reg);
    return kernel.do_register(caller, kFd, IORING_UNREGISTER_PBUF_RING, kArg, 1);
  }

  RecordingProvider provider;  // outlives the kernel
  FakeMemory memory;
  FakeFiles files;
  Caller caller;
  Kernel kernel;
  RingId ring = 0;
  uint64_t ring_pages = 0;
};

TEST_F(PbufRingMemory, RegisterTakesTheHostsMemoryAndUnregisterGivesItBack) {
  ASSERT_EQ(register_mmap_ring(5, 512), 0) << kernel.last_fault().reason;
  ASSERT_EQ(provider.allocated.size(), 1u);
  const RecordingProvider::PbufCall a = provider.allocated[0];
  EXPECT_EQ(a.ring, ring);
  EXPECT_EQ(a.bgid, 5u);
  EXPECT_EQ(a.bytes, 8192u);  // 512 x 16 bytes, whole pages
  size_t len = 0;
  EXPECT_EQ(kernel.map(ring, IORING_OFF_PBUF_RING | (5ull << IORING_OFF_PBUF_SHIFT), &len), a.memory);
  EXPECT_EQ(len, 8192u);
  EXPECT_EQ(kernel.accounting().locked_pages(1000), ring_pages + 2);
  EXPECT_TRUE(provider.released.empty());

  ASSERT_EQ(unregister_ring(5), 0);
  ASSERT_EQ(provider.released.size(), 1u);
  EXPECT_EQ(provider.released[0].memory, a.memory);
  EXPECT_EQ(provider.released[0].bgid, 5u);
  EXPECT_EQ(provider.released[0].bytes, 8192u);
  EXPECT_EQ(kernel.accounting().locked_pages(1000), ring_pages);
  EXPECT_EQ(kernel.map(ring, IORING_OFF_PBUF_RING | (5ull << IORING_OFF_PBUF_SHIFT), &len), nullptr);
}

TEST_F(PbufRingMemory, DestroyingTheRingGivesItBack) {
  ASSERT_EQ(register_mmap_ring(1, 8), 0);
  ASSERT_EQ(register_mmap_ring(2, 8), 0);
  kernel.destroy(ring);
  ASSERT_EQ(provider.released.size(), 2u);
  EXPECT_EQ(kernel.accounting().locked_pages(1000), 0u);
}

TEST_F(PbufRingMemory, HostThatCannotPlaceTheRingIsEINVALNotSimulated) {
  provider.refuse_with = "it would overlap group 4's ring";
  EXPECT_EQ(register_mmap_ring(3, 8), -EINVAL);
  EXPECT_NE(kernel.last_fault().reason.find("not simulated: it would overlap group 4's ring"), std::string::npos)
      << kernel.last_fault().reason;
  EXPECT_EQ(kernel.accounting().locked_pages(1000), ring_pages);  // the charge is returned
  io_uring_buf_status st{};
  st.buf_group = 3;
  memory.write(kArg, &st, sizeof st);
  EXPECT_EQ(kernel.do_register(caller, kFd, IORING_REGISTER_PBUF_STATUS, kArg, 1), -ENOENT);  // no group
}

TEST_F(PbufRingMemory, HostWithoutMemoryIsENOMEM) {
  provider.refuse_with = "";
  EXPECT_EQ(register_mmap_ring(3, 8), -ENOMEM);
  EXPECT_EQ(kernel.accounting().locked_pages(1000), ring_pages);
}

}  // namespace
}  // namespace uringsim::testing
