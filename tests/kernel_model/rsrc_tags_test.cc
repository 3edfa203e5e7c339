// IORING_REGISTER_BUFFERS2, IORING_REGISTER_BUFFERS_UPDATE and resource tags
// (spec C.2; io_register_rsrc, io_register_rsrc_update, __io_sqe_buffers_update).
#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "kernel_model/rsrc.h"
#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

constexpr uint64_t kArg = 0x20000;   // the 32-byte argument struct
constexpr uint64_t kIovs = 0x21000;  // iovec array
constexpr uint64_t kTags = 0x22000;  // u64 tag array
constexpr uint64_t kBuf = 0x1000000;
constexpr uint32_t kUid = 1000;

using Iov = std::pair<uint64_t, uint64_t>;

class RsrcTagsTest : public RingFixture {
 public:
  RsrcTagsTest() {
    memory.map(kArg, 0x3000);
    memory.map(kBuf, 16 * 4096);
  }
  int64_t reg(uint32_t opcode, uint64_t arg, uint32_t nr) { return kernel.do_register(caller, kRingFd, opcode, arg, nr); }
  void put_iovs(const std::vector<Iov>& iovs) {
    for (size_t i = 0; i < iovs.size(); ++i) {
      uint64_t pair[2] = {iovs[i].first, iovs[i].second};
      memory.write(kIovs + 16 * i, pair, sizeof pair);
    }
  }
  void put_tags(const std::vector<uint64_t>& tags) { memory.write(kTags, tags.data(), 8 * tags.size()); }
  int64_t buffers2(io_uring_rsrc_register rr, uint32_t size = 32) {
    memory.write(kArg, &rr, sizeof rr);
    return reg(IORING_REGISTER_BUFFERS2, kArg, size);
  }
  int64_t buffers2(const std::vector<Iov>& iovs, const std::vector<uint64_t>& tags) {
    put_iovs(iovs);
    put_tags(tags);
    io_uring_rsrc_register rr{};
    rr.nr = static_cast<uint32_t>(iovs.size());
    rr.data = kIovs;
    rr.tags = tags.empty() ? 0 : kTags;
    return buffers2(rr);
  }
  int64_t update(io_uring_rsrc_update2 up, uint32_t size = 32) {
    memory.write(kArg, &up, sizeof up);
    return reg(IORING_REGISTER_BUFFERS_UPDATE, kArg, size);
  }
  int64_t update(uint32_t offset, const std::vector<Iov>& iovs, const std::vector<uint64_t>& tags) {
    put_iovs(iovs);
    put_tags(tags);
    io_uring_rsrc_update2 up{};
    up.offset = offset;
    up.nr = static_cast<uint32_t>(iovs.size());
    up.data = kIovs;
    up.tags = tags.empty() ? 0 : kTags;
    return update(up);
  }
  const std::string& why() { return kernel.last_fault().reason; }
  Context& ctx() { return *kernel.context(ring); }
  uint64_t locked() { return kernel.accounting().locked_pages(kUid); }
  uint64_t pinned() { return kernel.accounting().pinned_pages(1000); }
  uint64_t page(int i) { return kBuf + 4096 * uint64_t(i); }
};

// --- REGISTER_BUFFERS2 argument checks, in io_register_rsrc's order ----------------

TEST_F(RsrcTagsTest, Buffers2SizeMustBe32) {
  ASSERT_GE(setup(8), 0);
  io_uring_rsrc_register rr{};
  rr.nr = 1;
  EXPECT_EQ(buffers2(rr, 24), -EINVAL);
  EXPECT_EQ(buffers2(rr, 0), -EINVAL);
  EXPECT_NE(why().find("32"), std::string::npos) << why();
}

TEST_F(RsrcTagsTest, Buffers2UnreadableArgIsEFAULT) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(reg(IORING_REGISTER_BUFFERS2, 0, 32), -EFAULT);
  EXPECT_EQ(reg(IORING_REGISTER_BUFFERS2, 0x7000000, 32), -EFAULT);
}

TEST_F(RsrcTagsTest, Buffers2NrZeroOrResv2IsEINVAL) {
  ASSERT_GE(setup(8), 0);
  io_uring_rsrc_register rr{};
  EXPECT_EQ(buffers2(rr), -EINVAL);
  rr.nr = 1;
  rr.resv2 = 1;
  EXPECT_EQ(buffers2(rr), -EINVAL);
}

TEST_F(RsrcTagsTest, Buffers2UnknownFlagIsEINVAL) {
  ASSERT_GE(setup(8), 0);
  io_uring_rsrc_register rr{};
  rr.nr = 1;
  rr.flags = 2;
  EXPECT_EQ(buffers2(rr), -EINVAL);
}

TEST_F(RsrcTagsTest, SparseWithDataIsEINVAL) {
  ASSERT_GE(setup(8), 0);
  io_uring_rsrc_register rr{};
  rr.nr = 1;
  rr.flags = IORING_RSRC_REGISTER_SPARSE;
  rr.data = kIovs;
  EXPECT_EQ(buffers2(rr), -EINVAL);
  EXPECT_FALSE(ctx().buffers().exists());
}

TEST_F(RsrcTagsTest, SparseCreatesEmptySlotsUpTo16384) {
  ASSERT_GE(setup(8), 0);
  io_uring_rsrc_register rr{};
  rr.nr = 16385;
  rr.flags = IORING_RSRC_REGISTER_SPARSE;
  EXPECT_EQ(buffers2(rr), -EINVAL);
  rr.nr = 16384;
  EXPECT_EQ(buffers2(rr), 0);
  EXPECT_EQ(ctx().buffers().size(), 16384u);
  EXPECT_EQ(ctx().buffers().find(0), nullptr);
  EXPECT_EQ(pinned(), 0u);
}

TEST_F(RsrcTagsTest, DataZeroWithoutSparseFlagAlsoMakesEmptySlots) {
  // io_sqe_buffers_register treats a NULL iovec array as all {NULL, 0}.
  ASSERT_GE(setup(8), 0);
  io_uring_rsrc_register rr{};
  rr.nr = 4;
  EXPECT_EQ(buffers2(rr), 0);
  EXPECT_EQ(ctx().buffers().size(), 4u);
}

TEST_F(RsrcTagsTest, Buffers2OnRingWithTableIsEBUSY) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(buffers2({{page(0), 4096}}, {}), 0);
  EXPECT_EQ(buffers2({{page(1), 4096}}, {}), -EBUSY);
}

TEST_F(RsrcTagsTest, TagOnEmptySlotIsEINVALAndNothingRegistered) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(buffers2({{page(0), 4096}, {0, 0}}, {0x11, 0x22}), -EINVAL);
  EXPECT_NE(why().find("slot 1"), std::string::npos) << why();
  EXPECT_FALSE(ctx().buffers().exists());
  EXPECT_EQ(pinned(), 0u);
  // The failed registration posts no tag for the buffer it dropped.
  EXPECT_TRUE(reap().empty());
}

TEST_F(RsrcTagsTest, UnreadableTagsIsEFAULT) {
  ASSERT_GE(setup(8), 0);
  put_iovs({{page(0), 4096}});
  io_uring_rsrc_register rr{};
  rr.nr = 1;
  rr.data = kIovs;
  rr.tags = 0x7000000;
  EXPECT_EQ(buffers2(rr), -EFAULT);
}

// --- tags -------------------------------------------------------------------------

TEST_F(RsrcTagsTest, TagsPostOnUnregisterInDescendingSlotOrder) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(buffers2({{page(0), 4096}, {page(1), 4096}, {0, 0}, {page(2), 4096}}, {0xa, 0, 0, 0xc}), 0);
  EXPECT_TRUE(reap().empty());
  EXPECT_EQ(reg(IORING_UNREGISTER_BUFFERS, 0, 0), 0);
  // io_rsrc_data_free walks the table from the last slot down.
  EXPECT_EQ(reap(), (std::vector<SimpleCqe>{{0xc, 0, 0}, {0xa, 0, 0}}));
}

TEST_F(RsrcTagsTest, TagWaitsForTheLastRequestHoldingTheBuffer) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(buffers2({{page(0), 4096}}, {0x77}), 0);
  std::shared_ptr<BufferNode> in_flight = ctx().buffers().slots()[0];  // a request's reference
  EXPECT_EQ(reg(IORING_UNREGISTER_BUFFERS, 0, 0), 0);
  EXPECT_TRUE(reap().empty());
  EXPECT_EQ(pinned(), 1u);
  in_flight.reset();
  EXPECT_EQ(reap(), (std::vector<SimpleCqe>{{0x77, 0, 0}}));
  EXPECT_EQ(pinned(), 0u);
}

// --- BUFFERS_UPDATE ------------------------------------------------------------------

TEST_F(RsrcTagsTest, UpdateArgumentChecksInOrder) {
  ASSERT_GE(setup(8), 0);
  io_uring_rsrc_update2 up{};
  up.nr = 1;
  EXPECT_EQ(update(up, 16), -EINVAL);                              // size
  EXPECT_EQ(reg(IORING_REGISTER_BUFFERS_UPDATE, 0, 32), -EFAULT);  // copy
  up.nr = 0;
  EXPECT_EQ(update(up), -EINVAL);  // nr 0
  up.nr = 1;
  up.resv = 1;
  EXPECT_EQ(update(up), -EINVAL);
  up.resv = 0;
  up.resv2 = 1;
  EXPECT_EQ(update(up), -EINVAL);
  up.resv2 = 0;
  up.offset = 0xffffffffu;
  EXPECT_EQ(update(up), -EOVERFLOW);  // before the table check
  up.offset = 0;
  EXPECT_EQ(update(up), -ENXIO);      // no table
  ASSERT_EQ(buffers2({{page(0), 4096}, {page(1), 4096}}, {}), 0);
  up.offset = 1;
  up.nr = 2;
  EXPECT_EQ(update(up), -EINVAL);     // offset + nr > 2 slots
}

TEST_F(RsrcTagsTest, UpdateReplacesReleasesOldAndPostsItsTag) {
  caller.creds.cap_ipc_lock = false;
  ASSERT_GE(setup(8), 0);
  const uint64_t base = locked();
  ASSERT_EQ(buffers2({{page(0), 2 * 4096}, {page(2), 4096}}, {0x100, 0x101}), 0);
  EXPECT_EQ(locked(), base + 3);
  EXPECT_EQ(update(0, {{page(4), 3 * 4096}}, {0x200}), 1);
  EXPECT_EQ(reap(), (std::vector<SimpleCqe>{{0x100, 0, 0}}));
  EXPECT_EQ(locked(), base + 3 + 1);
  EXPECT_EQ(pinned(), 4u);
  EXPECT_EQ(ctx().buffers().slots()[0]->buf->ubuf, page(4));
  EXPECT_EQ(ctx().buffers().slots()[0]->tag, 0x200u);
}

TEST_F(RsrcTagsTest, UpdateNullZeroClearsSlot) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(buffers2({{page(0), 4096}, {page(1), 4096}}, {0, 0x5}), 0);
  EXPECT_EQ(update(1, {{0, 0}}, {}), 1);
  EXPECT_EQ(ctx().buffers().find(1), nullptr);
  EXPECT_EQ(ctx().buffers().size(), 2u);
  EXPECT_EQ(reap(), (std::vector<SimpleCqe>{{0x5, 0, 0}}));
  EXPECT_EQ(pinned(), 1u);
}

TEST_F(RsrcTagsTest, UpdateNullZeroWithTagIsEINVAL) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(buffers2({{page(0), 4096}}, {}), 0);
  EXPECT_EQ(update(0, {{0, 0}}, {0x9}), -EINVAL);
  EXPECT_NE(ctx().buffers().find(0), nullptr);  // untouched
}

TEST_F(RsrcTagsTest, UpdateStopsAtFirstFailureAndReturnsCount) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(buffers2({{page(0), 4096}, {page(1), 4096}, {page(2), 4096}}, {}), 0);
  // [good, bad, good]: 1 updated, the rest untouched.
  EXPECT_EQ(update(0, {{page(5), 4096}, {page(6), 0}, {page(7), 4096}}, {}), 1);
  EXPECT_EQ(ctx().buffers().slots()[0]->buf->ubuf, page(5));
  EXPECT_EQ(ctx().buffers().slots()[1]->buf->ubuf, page(1));
  EXPECT_EQ(ctx().buffers().slots()[2]->buf->ubuf, page(2));
  // Why it stopped is kept on the ring for explain mode (the call itself succeeded).
  EXPECT_NE(ctx().last_fault().reason.find("length 0"), std::string::npos) << ctx().last_fault().reason;
  // [bad, ...]: the error itself.
  EXPECT_EQ(update(0, {{page(6), 0}, {page(7), 4096}}, {}), -EFAULT);
}

TEST_F(RsrcTagsTest, UpdateWorksOnTableFromPlainRegisterBuffers) {
  ASSERT_GE(setup(8), 0);
  put_iovs({{0, 0}, {0, 0}});
  ASSERT_EQ(reg(IORING_REGISTER_BUFFERS, kIovs, 2), 0);
  EXPECT_EQ(update(1, {{page(3), 4096}}, {0x42}), 1);
  ASSERT_NE(ctx().buffers().find(1), nullptr);
  EXPECT_EQ(ctx().buffers().slots()[1]->tag, 0x42u);
}

TEST_F(RsrcTagsTest, UpdateOfHugePageBufferDedupsAgainstTheTable) {
  caller.creds.cap_ipc_lock = false;
  ASSERT_GE(setup(8), 0);
  const uint64_t base = locked();
  constexpr uint64_t kHuge = 0x40000000, k2M = 2ull << 20;
  memory.map(kHuge, k2M, Backing::kHugetlb, true, k2M);
  ASSERT_EQ(buffers2({{kHuge, 4096}, {0, 0}}, {}), 0);
  EXPECT_EQ(locked(), base + 512);
  // Another piece of the same huge page into slot 1: already charged by slot 0.
  EXPECT_EQ(update(1, {{kHuge + 8192, 4096}}, {}), 1);
  EXPECT_EQ(locked(), base + 512);
}

}  // namespace
}  // namespace uringsim::testing
