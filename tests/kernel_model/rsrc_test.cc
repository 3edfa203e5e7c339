// Registered buffers and files: validation per profile, the pin model, memlock and
// pinned_vm accounting (spec C.1-C.3, rsrc.c).
#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "kernel_model/rsrc.h"
#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

constexpr uint64_t kIovArray = 0x20000;  // where the tests put iovec / fd arrays
constexpr uint64_t kBuf = 0x1000000;     // first buffer mapping
constexpr uint64_t kHuge = 0x40000000;   // 2 MiB aligned, for hugetlb / THP
constexpr uint64_t k2M = 2ull << 20;
constexpr uint32_t kUid = 1000;
constexpr uint64_t kMm = 1000;

using Iov = std::pair<uint64_t, uint64_t>;

class RsrcTest : public RingFixture {
 public:
  explicit RsrcTest(const Profile& profile = default_profile()) : RingFixture(profile) {
    memory.map(kIovArray, 64 << 10);
  }

  // An unprivileged caller with RLIMIT_MEMLOCK `limit_bytes`; the ring takes its pages
  // out of the same budget on profiles that charge ring memory.
  int64_t setup_unprivileged(uint64_t limit_bytes, uint32_t entries = 8) {
    caller.creds.cap_ipc_lock = false;
    caller.creds.memlock_limit = limit_bytes;
    return setup(entries);
  }

  int64_t reg(uint32_t opcode, uint64_t arg, uint32_t nr) {
    return kernel.do_register(caller, kRingFd, opcode, arg, nr);
  }
  int64_t register_iovecs(const std::vector<Iov>& iovs) {
    for (size_t i = 0; i < iovs.size(); ++i) {
      uint64_t pair[2] = {iovs[i].first, iovs[i].second};
      memory.write(kIovArray + 16 * i, pair, sizeof pair);
    }
    return reg(IORING_REGISTER_BUFFERS, kIovArray, static_cast<uint32_t>(iovs.size()));
  }
  int64_t register_fds(const std::vector<int32_t>& fds) {
    memory.write(kIovArray, fds.data(), 4 * fds.size());
    return reg(IORING_REGISTER_FILES, kIovArray, static_cast<uint32_t>(fds.size()));
  }
  uint64_t locked() { return kernel.accounting().locked_pages(kUid); }
  uint64_t pinned() { return kernel.accounting().pinned_pages(kMm); }
  const std::string& why() { return kernel.last_fault().reason; }
  Context& ctx() { return *kernel.context(ring); }
};

class RsrcTest51 : public RsrcTest {
 public:
  RsrcTest51() : RsrcTest(*find_profile("5.1")) {}
};

// --- 6.18: what may back a buffer ------------------------------------------------

TEST_F(RsrcTest, RegisterAnonymousBufferChargesSpannedPages) {
  ASSERT_GE(setup_unprivileged(kUnlimited), 0);
  const uint64_t ring_pages = locked();
  EXPECT_EQ(ring_pages, 2u);  // 6.18 charges the ring itself: 1 + 1 pages for 8 entries
  memory.map(kBuf, 8 * 4096);
  // Unaligned: 4 pages of data starting 100 bytes into a page span 5 pages.
  ASSERT_EQ(register_iovecs({{kBuf + 100, 4 * 4096}}), 0);
  EXPECT_EQ(locked(), ring_pages + 5);
  EXPECT_EQ(pinned(), 5u);
  ASSERT_TRUE(ctx().buffers().exists());
  EXPECT_EQ(ctx().buffers().size(), 1u);
  const MappedBuffer& b = *ctx().buffers().slots()[0]->buf;
  EXPECT_EQ(b.ubuf, kBuf + 100);
  EXPECT_EQ(b.len, 4u * 4096);
}

TEST_F(RsrcTest, RegisterSharedFileMappingFailsWithEFAULTOn618) {
  ASSERT_GE(setup(8), 0);
  memory.map(kBuf, 8192, Backing::kSharedFile);
  EXPECT_EQ(register_iovecs({{kBuf, 8192}}), -EFAULT);
  EXPECT_NE(why().find("shared mapping"), std::string::npos) << why();
  EXPECT_NE(why().find("iovec 0"), std::string::npos) << why();
  EXPECT_FALSE(ctx().buffers().exists());
  EXPECT_EQ(pinned(), 0u);
}

TEST_F(RsrcTest, PrivateFileShmemHugetlbAndThpAcceptedOn618) {
  ASSERT_GE(setup(8), 0);
  memory.map(kBuf, 4096, Backing::kPrivateFile);
  memory.map(kBuf + 0x10000, 4096, Backing::kShmem);
  memory.map(kHuge, k2M, Backing::kHugetlb, true, k2M);
  memory.map(kHuge + k2M, k2M, Backing::kAnonymous, true, 4096, k2M);
  EXPECT_EQ(register_iovecs({{kBuf, 4096}, {kBuf + 0x10000, 4096}, {kHuge, 4096}, {kHuge + k2M, 4096}}), 0);
  // CAP_IPC_LOCK: nothing locked, but every pin counts in pinned_vm -- the huge
  // pages whole: 1 + 1 + 512 + 512.
  EXPECT_EQ(locked(), 0u);
  EXPECT_EQ(pinned(), 1026u);
}

TEST_F(RsrcTest, SpecialMappingIsEFAULT) {
  ASSERT_GE(setup(8), 0);
  memory.map(kBuf, 4096, Backing::kSpecial);
  EXPECT_EQ(register_iovecs({{kBuf, 4096}}), -EFAULT);
}

TEST_F(RsrcTest, ReadOnlyMappingIsEFAULT) {
  ASSERT_GE(setup(8), 0);
  memory.map(kBuf, 4096, Backing::kAnonymous, /*writable=*/false);
  EXPECT_EQ(register_iovecs({{kBuf, 4096}}), -EFAULT);
  EXPECT_NE(why().find("read-only"), std::string::npos) << why();
}

TEST_F(RsrcTest, UnmappedOrPartlyMappedIsEFAULT) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(register_iovecs({{kBuf, 4096}}), -EFAULT);
  memory.map(kBuf, 4096);
  EXPECT_EQ(register_iovecs({{kBuf, 8192}}), -EFAULT);  // second page is a hole
}

// --- 6.18: iovec shapes and argument checks, in Linux's order -------------------------

TEST_F(RsrcTest, NullArgIsEFAULTBeforeNrCheck) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(reg(IORING_REGISTER_BUFFERS, 0, 0), -EFAULT);
  EXPECT_EQ(reg(IORING_REGISTER_BUFFERS, 0, 20000), -EFAULT);
}

TEST_F(RsrcTest, TableExistsIsEBUSYBeforeNrCheck) {
  ASSERT_GE(setup(8), 0);
  memory.map(kBuf, 4096);
  ASSERT_EQ(register_iovecs({{kBuf, 4096}}), 0);
  EXPECT_EQ(reg(IORING_REGISTER_BUFFERS, kIovArray, 0), -EBUSY);
  EXPECT_EQ(reg(IORING_REGISTER_BUFFERS, kIovArray, 20000), -EBUSY);
}

TEST_F(RsrcTest, NrZeroOrAbove16384IsEINVAL) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(reg(IORING_REGISTER_BUFFERS, kIovArray, 0), -EINVAL);
  EXPECT_EQ(reg(IORING_REGISTER_BUFFERS, kIovArray, 16385), -EINVAL);
  // 1025 (above 5.1's UIO_MAXIOV) is fine: 1025 empty slots.
  std::vector<Iov> empty(1025, Iov{0, 0});
  EXPECT_EQ(register_iovecs(empty), 0);
  EXPECT_EQ(ctx().buffers().size(), 1025u);
}

TEST_F(RsrcTest, NullZeroIovecIsEmptySlotOn618) {
  ASSERT_GE(setup(8), 0);
  memory.map(kBuf, 4096);
  ASSERT_EQ(register_iovecs({{0, 0}, {kBuf, 4096}}), 0);
  EXPECT_EQ(ctx().buffers().find(0), nullptr);
  EXPECT_NE(ctx().buffers().find(1), nullptr);
}

TEST_F(RsrcTest, IovecShapeErrors) {
  ASSERT_GE(setup(8), 0);
  memory.map(kBuf, 8192);
  EXPECT_EQ(register_iovecs({{0, 4096}}), -EFAULT);                       // {NULL, >0}
  EXPECT_EQ(register_iovecs({{kBuf, 0}}), -EFAULT);                       // {valid, 0}
  EXPECT_EQ(register_iovecs({{kBuf, (1ull << 30) + 1}}), -EFAULT);        // > 1 GiB
  EXPECT_EQ(register_iovecs({{0xfffffffffffff000ull, 8192}}), -EOVERFLOW);  // wraps
  EXPECT_EQ(register_iovecs({{kBuf + 1, 100}}), 0);                       // unaligned is fine
}

TEST_F(RsrcTest, UnreadableIovecArrayIsEFAULT) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(reg(IORING_REGISTER_BUFFERS, 0x7000000, 1), -EFAULT);
}

// --- accounting (C.3) -------------------------------------------------------------

TEST_F(RsrcTest, HugePageChargedWholeOncePerTable) {
  ASSERT_GE(setup_unprivileged(kUnlimited), 0);
  const uint64_t base = locked();
  memory.map(kHuge, k2M, Backing::kHugetlb, true, k2M);
  // Two 4 KiB buffers in one 2 MiB page: 512 pages, once.
  ASSERT_EQ(register_iovecs({{kHuge, 4096}, {kHuge + 8192, 4096}}), 0);
  EXPECT_EQ(locked() - base, 512u);
  EXPECT_EQ(pinned(), 512u);
  EXPECT_EQ(ctx().buffers().slots()[0]->buf->acct_pages, 512u);
  EXPECT_EQ(ctx().buffers().slots()[1]->buf->acct_pages, 0u);
}

TEST_F(RsrcTest, ThpChargedWhole) {
  ASSERT_GE(setup_unprivileged(kUnlimited), 0);
  const uint64_t base = locked();
  memory.map(kHuge, 2 * k2M, Backing::kAnonymous, true, 4096, k2M);
  // 8 KiB straddling the two THPs: both compound pages, whole.
  ASSERT_EQ(register_iovecs({{kHuge + k2M - 4096, 8192}}), 0);
  EXPECT_EQ(locked() - base, 1024u);
  EXPECT_EQ(pinned(), 1024u);
}

TEST_F(RsrcTest, HugePageDedupedOnlyAgainstLastHeadWithinOneCall) {
  // Linux 6.18 remembers the last compound head it charged and looks at the buffers
  // already in the table -- which, during the registering call itself, is still empty.
  // So A(H1) B(H2) C(H1) charges H1 twice.
  ASSERT_GE(setup_unprivileged(kUnlimited), 0);
  const uint64_t base = locked();
  memory.map(kHuge, 2 * k2M, Backing::kHugetlb, true, k2M);
  ASSERT_EQ(register_iovecs({{kHuge, 4096}, {kHuge + k2M, 4096}, {kHuge + 4096, 4096}}), 0);
  EXPECT_EQ(locked() - base, 1536u);
}

TEST_F(RsrcTest, SamePlainPageInTwoBuffersChargedTwice) {
  ASSERT_GE(setup_unprivileged(kUnlimited), 0);
  const uint64_t base = locked();
  memory.map(kBuf, 4096);
  ASSERT_EQ(register_iovecs({{kBuf, 4096}, {kBuf + 100, 200}}), 0);
  EXPECT_EQ(locked() - base, 2u);
  EXPECT_EQ(pinned(), 2u);
}

TEST_F(RsrcTest, MemlockExceededIsENOMEMAndAllOrNothing) {
  // 16 pages of budget; the ring takes 2.
  ASSERT_GE(setup_unprivileged(16 * 4096), 0);
  ASSERT_EQ(locked(), 2u);
  memory.map(kBuf, 32 * 4096);
  // 10 pages fit, the next 5 do not (2 + 10 + 5 > 16).
  EXPECT_EQ(register_iovecs({{kBuf, 10 * 4096}, {kBuf + 10 * 4096, 5 * 4096}}), -ENOMEM);
  EXPECT_NE(why().find("RLIMIT_MEMLOCK"), std::string::npos) << why();
  EXPECT_NE(why().find("iovec 1"), std::string::npos) << why();
  // The first buffer was dropped with the failed call.
  EXPECT_EQ(locked(), 2u);
  EXPECT_EQ(pinned(), 0u);
  EXPECT_FALSE(ctx().buffers().exists());
  // Exactly the budget fits.
  EXPECT_EQ(register_iovecs({{kBuf, 14 * 4096}}), 0);
  EXPECT_EQ(locked(), 16u);
}

TEST_F(RsrcTest, MemlockIsSharedByRingsOfOneUser) {
  ASSERT_GE(setup_unprivileged(16 * 4096), 0);  // ring 1: 2 pages
  memory.map(kBuf, 32 * 4096);
  ASSERT_EQ(register_iovecs({{kBuf, 10 * 4096}}), 0);  // 12 used
  // A second ring of the same uid (2 pages) fits, then has room for 2 more pages.
  files.fds.erase(kRingFd);
  const RingId first = ring;
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(locked(), 14u);
  EXPECT_EQ(register_iovecs({{kBuf + 10 * 4096, 3 * 4096}}), -ENOMEM);
  EXPECT_EQ(register_iovecs({{kBuf + 10 * 4096, 2 * 4096}}), 0);
  EXPECT_EQ(locked(), 16u);
  EXPECT_NE(first, ring);
}

TEST_F(RsrcTest, CapIpcLockChargesNothing) {
  caller.creds.cap_ipc_lock = true;
  caller.creds.memlock_limit = 0;
  ASSERT_GE(setup(8), 0);
  memory.map(kBuf, 64 * 4096);
  ASSERT_EQ(register_iovecs({{kBuf, 64 * 4096}}), 0);
  EXPECT_EQ(locked(), 0u);
  EXPECT_EQ(pinned(), 64u);  // VmPin counts for everybody
}

TEST_F(RsrcTest, ReadOnlyBeatsMemlockOn618BecausePinComesFirst) {
  ASSERT_GE(setup_unprivileged(4 * 4096), 0);
  memory.map(kBuf, 16 * 4096, Backing::kAnonymous, /*writable=*/false);
  EXPECT_EQ(register_iovecs({{kBuf, 16 * 4096}}), -EFAULT);
}

TEST_F(RsrcTest, UnregisterReturnsCharge) {
  ASSERT_GE(setup_unprivileged(kUnlimited), 0);
  const uint64_t base = locked();
  memory.map(kBuf, 8 * 4096);
  ASSERT_EQ(register_iovecs({{kBuf, 8 * 4096}}), 0);
  EXPECT_EQ(locked(), base + 8);
  EXPECT_EQ(reg(IORING_UNREGISTER_BUFFERS, 0, 0), 0);
  EXPECT_EQ(locked(), base);
  EXPECT_EQ(pinned(), 0u);
  EXPECT_FALSE(ctx().buffers().exists());
  // Registering again works.
  EXPECT_EQ(register_iovecs({{kBuf, 4096}}), 0);
}

TEST_F(RsrcTest, UnregisterKeepsChargeWhileARequestHoldsTheBuffer) {
  ASSERT_GE(setup_unprivileged(kUnlimited), 0);
  const uint64_t base = locked();
  memory.map(kBuf, 4 * 4096);
  ASSERT_EQ(register_iovecs({{kBuf, 4 * 4096}}), 0);
  // What a request in flight holds (Request::buf).
  std::shared_ptr<BufferNode> held = ctx().buffers().slots()[0];
  EXPECT_EQ(reg(IORING_UNREGISTER_BUFFERS, 0, 0), 0);
  EXPECT_EQ(locked(), base + 4);
  EXPECT_EQ(pinned(), 4u);
  held.reset();
  EXPECT_EQ(locked(), base);
  EXPECT_EQ(pinned(), 0u);
}

TEST_F(RsrcTest, TaggedNodePostsTagCqeWhenReleased) {
  ASSERT_GE(setup(8), 0);
  memory.map(kBuf, 4096);
  ASSERT_EQ(register_iovecs({{kBuf, 4096}}), 0);
  ctx().buffers().slots()[0]->tag = 0x7a6;
  EXPECT_EQ(reg(IORING_UNREGISTER_BUFFERS, 0, 0), 0);
  EXPECT_EQ(reap(), (std::vector<SimpleCqe>{{0x7a6, 0, 0}}));
}

TEST_F(RsrcTest, UnregisterChecks) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(reg(IORING_UNREGISTER_BUFFERS, 0, 0), -ENXIO);
  EXPECT_EQ(reg(IORING_UNREGISTER_BUFFERS, kIovArray, 0), -EINVAL);
  EXPECT_EQ(reg(IORING_UNREGISTER_BUFFERS, 0, 1), -EINVAL);
}

// --- 5.1 (edafccee56) ------------------------------------------------------------

TEST_F(RsrcTest51, RegisterFileBackedFailsWithEOPNOTSUPPOn51) {
  ASSERT_GE(setup(8), 0);
  memory.map(kBuf, 4096, Backing::kPrivateFile);
  memory.map(kBuf + 0x10000, 4096, Backing::kShmem);
  memory.map(kBuf + 0x20000, 4096, Backing::kSharedFile);
  EXPECT_EQ(register_iovecs({{kBuf, 4096}}), -EOPNOTSUPP);
  EXPECT_EQ(register_iovecs({{kBuf + 0x10000, 4096}}), -EOPNOTSUPP);
  EXPECT_EQ(register_iovecs({{kBuf + 0x20000, 4096}}), -EOPNOTSUPP);
  EXPECT_NE(why().find("EOPNOTSUPP"), std::string::npos) << why();
}

TEST_F(RsrcTest51, HugetlbAcceptedAndChargedBySpanOn51) {
  ASSERT_GE(setup_unprivileged(kUnlimited), 0);
  const uint64_t base = locked();
  memory.map(kHuge, k2M, Backing::kHugetlb, true, k2M);
  ASSERT_EQ(register_iovecs({{kHuge, 4096}, {kHuge + 8192, 4096}}), 0);
  // No compound-page rule in 5.1, and no pinned_vm.
  EXPECT_EQ(locked() - base, 2u);
  EXPECT_EQ(pinned(), 0u);
}

TEST_F(RsrcTest51, NullZeroIovecIsEFAULTOn51) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(register_iovecs({{0, 0}}), -EFAULT);
}

TEST_F(RsrcTest51, NrAbove1024IsEINVALOn51) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(reg(IORING_REGISTER_BUFFERS, kIovArray, 1025), -EINVAL);
}

TEST_F(RsrcTest51, NullArgIsCheckedAfterNrOn51) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(reg(IORING_REGISTER_BUFFERS, 0, 0), -EINVAL);
  EXPECT_EQ(reg(IORING_REGISTER_BUFFERS, 0, 1), -EFAULT);
}

TEST_F(RsrcTest51, MemlockBeatsReadOnlyOn51BecauseChargeComesFirst) {
  ASSERT_GE(setup_unprivileged(4 * 4096), 0);
  memory.map(kBuf, 16 * 4096, Backing::kAnonymous, /*writable=*/false);
  EXPECT_EQ(register_iovecs({{kBuf, 16 * 4096}}), -ENOMEM);
}

TEST_F(RsrcTest51, FailedPinReturnsTheChargeOn51) {
  ASSERT_GE(setup_unprivileged(kUnlimited), 0);
  const uint64_t base = locked();
  memory.map(kBuf, 4096, Backing::kShmem);
  EXPECT_EQ(register_iovecs({{kBuf, 4096}}), -EOPNOTSUPP);
  EXPECT_EQ(locked(), base);
}

// --- registered files -------------------------------------------------------------

TEST_F(RsrcTest, RegisterFilesWithSparseSlots) {
  ASSERT_GE(setup(8), 0);
  files.add(5, std::make_shared<FakeFile>("abc"));
  ASSERT_EQ(register_fds({5, -1, 5}), 0);
  ASSERT_TRUE(ctx().fixed_files().exists());
  EXPECT_NE(ctx().fixed_files().find(0), nullptr);
  EXPECT_EQ(ctx().fixed_files().find(1), nullptr);
  EXPECT_NE(ctx().fixed_files().find(2), nullptr);
  EXPECT_EQ(register_fds({5}), -EBUSY);
  EXPECT_EQ(reg(IORING_UNREGISTER_FILES, 0, 0), 0);
  EXPECT_EQ(reg(IORING_UNREGISTER_FILES, 0, 0), -ENXIO);
}

TEST_F(RsrcTest, RegisterFilesErrors) {
  ASSERT_GE(setup(8), 0);
  files.add(5, std::make_shared<FakeFile>("abc"));
  EXPECT_EQ(reg(IORING_REGISTER_FILES, 0, 1), -EFAULT);
  EXPECT_EQ(reg(IORING_REGISTER_FILES, kIovArray, 0), -EINVAL);
  EXPECT_EQ(reg(IORING_REGISTER_FILES, kIovArray, (1u << 20) + 1), -EMFILE);
  EXPECT_EQ(register_fds({5, 77}), -EBADF);         // fd 77 is not open
  EXPECT_FALSE(ctx().fixed_files().exists());      // all or nothing
  EXPECT_EQ(register_fds({kRingFd}), -EBADF);       // rings cannot be registered
  EXPECT_EQ(reg(IORING_UNREGISTER_FILES, kIovArray, 0), -EINVAL);
}

TEST_F(RsrcTest51, SparseFileSlotIsEBADFOn51) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(register_fds({-1}), -EBADF);
}

}  // namespace
}  // namespace uringsim::testing
