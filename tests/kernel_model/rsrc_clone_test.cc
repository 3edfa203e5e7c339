// IORING_REGISTER_CLONE_BUFFERS (spec D; io_register_clone_buffers / io_clone_buffers
// on 6.18.y, 6.13 and the 6.12 original).
#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "kernel_model/rsrc.h"
#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

constexpr uint64_t kArg = 0x20000;
constexpr uint64_t kIovs = 0x21000;
constexpr uint64_t kTags = 0x22000;
constexpr uint64_t kBuf = 0x1000000;
constexpr int kSrcFd = 101;
constexpr uint32_t kUid = 1000;

using Iov = std::pair<uint64_t, uint64_t>;

class CloneTest : public RingFixture {
 public:
  explicit CloneTest(const Profile& p = default_profile()) : RingFixture(p) {
    memory.map(kArg, 0x3000);
    memory.map(kBuf, 64 * 4096);
  }
  uint64_t page(int i) { return kBuf + 4096 * uint64_t(i); }

  // The destination is the fixture's ring (kRingFd); the source a second ring at
  // kSrcFd, created by `creds` (default: the fixture's caller).
  void setup_both(bool unprivileged = false) {
    caller.creds.cap_ipc_lock = !unprivileged;
    ASSERT_GE(setup(8), 0);
    src = setup_other(caller, kSrcFd);
  }
  RingId setup_other(const Caller& who, int fd) {
    io_uring_params p{};
    memory.write(kParamsAddr, &p, sizeof p);
    int64_t r = kernel.setup(who, 8, kParamsAddr);
    EXPECT_GE(r, 0);
    files.add(fd, std::make_shared<FakeFile>("", true, true, FileKind::kRing, static_cast<RingId>(r)));
    return static_cast<RingId>(r);
  }
  int64_t reg_on(int fd, uint32_t opcode, uint64_t arg, uint32_t nr) {
    return kernel.do_register(caller, fd, opcode, arg, nr);
  }
  int64_t register_on(int fd, const std::vector<Iov>& iovs, const std::vector<uint64_t>& tags = {}) {
    for (size_t i = 0; i < iovs.size(); ++i) {
      uint64_t pair[2] = {iovs[i].first, iovs[i].second};
      memory.write(kIovs + 16 * i, pair, sizeof pair);
    }
    if (!tags.empty()) memory.write(kTags, tags.data(), 8 * tags.size());
    io_uring_rsrc_register rr{};
    rr.nr = static_cast<uint32_t>(iovs.size());
    rr.data = kIovs;
    rr.tags = tags.empty() ? 0 : kTags;
    memory.write(kArg, &rr, sizeof rr);
    return reg_on(fd, IORING_REGISTER_BUFFERS2, kArg, 32);
  }
  int64_t clone(io_uring_clone_buffers a, int dst_fd = kRingFd) {
    memory.write(kArg, &a, sizeof a);
    return reg_on(dst_fd, IORING_REGISTER_CLONE_BUFFERS, kArg, 1);
  }
  io_uring_clone_buffers from(int fd, uint32_t flags = 0, uint32_t src_off = 0, uint32_t dst_off = 0,
                              uint32_t nr = 0) {
    io_uring_clone_buffers a{};
    a.src_fd = static_cast<uint32_t>(fd);
    a.flags = flags;
    a.src_off = src_off;
    a.dst_off = dst_off;
    a.nr = nr;
    return a;
  }
  BufferTable& table(RingId r) { return kernel.context(r)->buffers(); }
  uint64_t ubuf(RingId r, uint32_t i) {
    const auto* n = table(r).find(i);
    return n == nullptr ? 0 : (*n)->buf->ubuf;
  }
  uint64_t locked() { return kernel.accounting().locked_pages(kUid); }
  uint64_t pinned() { return kernel.accounting().pinned_pages(1000); }
  const std::string& why() { return kernel.last_fault().reason; }

  RingId src = kNoRing;
};

// --- the dispatcher and the order of checks ------------------------------------------

TEST_F(CloneTest, NullArgOrNrNotOneIsEINVAL) {
  setup_both();
  EXPECT_EQ(reg_on(kRingFd, IORING_REGISTER_CLONE_BUFFERS, 0, 1), -EINVAL);
  EXPECT_EQ(reg_on(kRingFd, IORING_REGISTER_CLONE_BUFFERS, kArg, 0), -EINVAL);
  EXPECT_EQ(reg_on(kRingFd, IORING_REGISTER_CLONE_BUFFERS, kArg, 2), -EINVAL);
}

TEST_F(CloneTest, UnreadableArgIsEFAULT) {
  setup_both();
  EXPECT_EQ(reg_on(kRingFd, IORING_REGISTER_CLONE_BUFFERS, 0x7000000, 1), -EFAULT);
}

TEST_F(CloneTest, UnknownFlagIsEINVAL) {
  setup_both();
  EXPECT_EQ(clone(from(kSrcFd, 4)), -EINVAL);
}

TEST_F(CloneTest, CloneIntoRingWithBuffersFailsWithEBUSYBeforePadAndSource) {
  setup_both();
  ASSERT_EQ(register_on(kRingFd, {{page(0), 4096}}), 0);
  io_uring_clone_buffers a = from(999);  // not even an open fd
  a.pad[1] = 7;                          // and a bad pad
  EXPECT_EQ(clone(a), -EBUSY);
}

TEST_F(CloneTest, NonZeroPadIsEINVAL) {
  setup_both();
  io_uring_clone_buffers a = from(kSrcFd);
  a.pad[2] = 1;
  EXPECT_EQ(clone(a), -EINVAL);
}

TEST_F(CloneTest, BadSourceFd) {
  setup_both();
  EXPECT_EQ(clone(from(999)), -EBADF);
  files.add(7, std::make_shared<FakeFile>("x"));
  EXPECT_EQ(clone(from(7)), -EOPNOTSUPP);
}

TEST_F(CloneTest, RegisteredSourceIndexChecks) {
  setup_both();
  EXPECT_EQ(clone(from(16, IORING_REGISTER_SRC_REGISTERED)), -EINVAL);
  EXPECT_EQ(clone(from(3, IORING_REGISTER_SRC_REGISTERED)), -EBADF);  // empty slot
}

TEST_F(CloneTest, RegisteredSourceIndexWorks) {
  setup_both();
  ASSERT_EQ(register_on(kSrcFd, {{page(0), 4096}}), 0);
  io_uring_rsrc_update up{};
  up.offset = 5;
  up.data = kSrcFd;
  memory.write(kIovs, &up, sizeof up);
  ASSERT_EQ(reg_on(kRingFd, IORING_REGISTER_RING_FDS, kIovs, 1), 1);
  EXPECT_EQ(clone(from(5, IORING_REGISTER_SRC_REGISTERED)), 0);
  EXPECT_EQ(ubuf(ring, 0), page(0));
}

TEST_F(CloneTest, EmptySourceIsENXIOEvenWithNr) {
  setup_both();
  EXPECT_EQ(clone(from(kSrcFd)), -ENXIO);
  EXPECT_EQ(clone(from(kSrcFd, 0, 0, 0, 1)), -ENXIO);
}

TEST_F(CloneTest, OffsetsWithNrZeroIsEINVAL) {
  setup_both();
  ASSERT_EQ(register_on(kSrcFd, {{page(0), 4096}, {page(1), 4096}}), 0);
  EXPECT_EQ(clone(from(kSrcFd, 0, 1, 0, 0)), -EINVAL);
  EXPECT_EQ(clone(from(kSrcFd, 0, 0, 1, 0)), -EINVAL);
}

TEST_F(CloneTest, RangeChecks) {
  setup_both();
  ASSERT_EQ(register_on(kSrcFd, {{page(0), 4096}, {page(1), 4096}, {page(2), 4096}}), 0);
  EXPECT_EQ(clone(from(kSrcFd, 0, 0, 0, 4)), -EINVAL);             // nr > source size
  EXPECT_EQ(clone(from(kSrcFd, 0, 2, 0, 2)), -EOVERFLOW);          // src_off + nr > 3
  EXPECT_EQ(clone(from(kSrcFd, 0, 0xffffffffu, 0, 1)), -EOVERFLOW);
  EXPECT_EQ(clone(from(kSrcFd, 0, 0, 0xffffffffu, 1)), -EOVERFLOW);  // dst_off + nr wraps
  EXPECT_EQ(clone(from(kSrcFd, 0, 0, 16383, 2)), -EINVAL);         // past 16384 slots
  // Source range checked before the destination's (6.18.y order): both bad -> EOVERFLOW.
  EXPECT_EQ(clone(from(kSrcFd, 0, 2, 16383, 2)), -EOVERFLOW);
  EXPECT_FALSE(table(ring).exists());
}

TEST_F(CloneTest, DifferentUidIsEINVAL) {
  setup_both(/*unprivileged=*/true);
  Caller other = caller;
  other.creds.uid = 2000;
  RingId foreign = setup_other(other, 102);
  (void)foreign;
  ASSERT_EQ(register_on(102, {{page(0), 4096}}), 0);
  EXPECT_EQ(clone(from(102)), -EINVAL);
  EXPECT_NE(why().find("accounted"), std::string::npos) << why();
}

TEST_F(CloneTest, DifferentMmIsEINVAL) {
  setup_both();
  Caller child = caller;
  child.creds.pid = 2000;
  child.creds.mm = 2000;
  setup_other(child, 102);
  ASSERT_EQ(register_on(102, {{page(0), 4096}}), 0);
  EXPECT_EQ(clone(from(102)), -EINVAL);
}

TEST_F(CloneTest, PrivilegedAndUnprivilegedRingsDiffer) {
  // ctx->user is NULL for a CAP_IPC_LOCK ring: a root ring and a ring of the same uid
  // without the capability are accounted differently.
  setup_both();
  Caller plain = caller;
  plain.creds.cap_ipc_lock = false;
  setup_other(plain, 102);
  ASSERT_EQ(register_on(102, {{page(0), 4096}}), 0);
  EXPECT_EQ(clone(from(102)), -EINVAL);
}

TEST_F(CloneTest, SingleIssuerSourceOwnedByAnotherTaskIsEEXIST) {
  caller.creds.cap_ipc_lock = true;
  ASSERT_GE(setup(8), 0);
  Caller owner = caller;
  owner.creds.tid = 4242;
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER;
  memory.write(kParamsAddr, &p, sizeof p);
  int64_t r = kernel.setup(owner, 8, kParamsAddr);
  ASSERT_GE(r, 0);
  files.add(kSrcFd, std::make_shared<FakeFile>("", true, true, FileKind::kRing, static_cast<RingId>(r)));
  ASSERT_EQ(kernel.do_register(owner, kSrcFd, IORING_REGISTER_BUFFERS2, kArg, 32), -EINVAL);  // (nr 0)
  EXPECT_EQ(clone(from(kSrcFd)), -EEXIST);
}

// --- semantics -------------------------------------------------------------------------

TEST_F(CloneTest, FullCloneSharesBuffersWithoutNewCharge) {
  setup_both(/*unprivileged=*/true);
  ASSERT_EQ(register_on(kSrcFd, {{page(0), 4 * 4096}, {0, 0}, {page(8), 4096}}), 0);
  const uint64_t l = locked(), pin = pinned();
  ASSERT_EQ(clone(from(kSrcFd)), 0);
  EXPECT_EQ(locked(), l);
  EXPECT_EQ(pinned(), pin);
  ASSERT_EQ(table(ring).size(), 3u);
  EXPECT_EQ(ubuf(ring, 0), page(0));
  EXPECT_EQ(table(ring).find(1), nullptr);
  EXPECT_EQ(ubuf(ring, 2), page(8));
  // The same pinned buffer, not a copy.
  EXPECT_EQ(table(ring).slots()[0]->buf, table(src).slots()[0]->buf);
}

TEST_F(CloneTest, UnregisteringSourceLeavesDestinationWorkingAndCharged) {
  setup_both(/*unprivileged=*/true);
  const uint64_t rings = locked();
  ASSERT_EQ(register_on(kSrcFd, {{page(0), 4 * 4096}}), 0);
  ASSERT_EQ(clone(from(kSrcFd)), 0);
  EXPECT_EQ(reg_on(kSrcFd, IORING_UNREGISTER_BUFFERS, 0, 0), 0);
  EXPECT_EQ(locked(), rings + 4);
  EXPECT_EQ(pinned(), 4u);
  EXPECT_EQ(ubuf(ring, 0), page(0));
  EXPECT_EQ(reg_on(kRingFd, IORING_UNREGISTER_BUFFERS, 0, 0), 0);
  EXPECT_EQ(locked(), rings);
  EXPECT_EQ(pinned(), 0u);
}

TEST_F(CloneTest, DestroyingSourceRingKeepsDestinationsPins) {
  setup_both();
  ASSERT_EQ(register_on(kSrcFd, {{page(0), 2 * 4096}}), 0);
  ASSERT_EQ(clone(from(kSrcFd)), 0);
  kernel.destroy(src);
  EXPECT_EQ(pinned(), 2u);
  EXPECT_EQ(ubuf(ring, 0), page(0));
}

TEST_F(CloneTest, TagsAreNotCloned) {
  setup_both();
  ASSERT_EQ(register_on(kSrcFd, {{page(0), 4096}}, {0x5a}), 0);
  ASSERT_EQ(clone(from(kSrcFd)), 0);
  EXPECT_EQ(table(ring).slots()[0]->tag, 0u);
  // The source's tag fires when the source drops its slot, although the buffer lives on.
  EXPECT_EQ(reg_on(kSrcFd, IORING_UNREGISTER_BUFFERS, 0, 0), 0);
  EXPECT_EQ(pinned(), 1u);
  EXPECT_EQ(reg_on(kRingFd, IORING_UNREGISTER_BUFFERS, 0, 0), 0);
  EXPECT_TRUE(reap().empty());  // nothing on the destination ring
}

TEST_F(CloneTest, RangeCloneIntoEmptyRingLeavesLowerSlotsEmpty) {
  setup_both();
  ASSERT_EQ(register_on(kSrcFd, {{page(0), 4096}, {page(1), 4096}, {page(2), 4096}}), 0);
  ASSERT_EQ(clone(from(kSrcFd, 0, 1, 4, 2)), 0);
  ASSERT_EQ(table(ring).size(), 6u);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(table(ring).find(i), nullptr) << i;
  EXPECT_EQ(ubuf(ring, 4), page(1));
  EXPECT_EQ(ubuf(ring, 5), page(2));
}

TEST_F(CloneTest, ReplaceKeepsSlotsBeforeAndAfterTheRange) {
  setup_both();
  ASSERT_EQ(register_on(kSrcFd, {{page(10), 4096}, {page(11), 4096}}), 0);
  ASSERT_EQ(register_on(kRingFd, {{page(0), 4096}, {page(1), 4096}, {page(2), 4096}, {page(3), 4096}},
                        {0xd0, 0xd1, 0xd2, 0xd3}),
            0);
  ASSERT_EQ(clone(from(kSrcFd, IORING_REGISTER_DST_REPLACE, 0, 1, 2)), 0);
  ASSERT_EQ(table(ring).size(), 4u);
  EXPECT_EQ(ubuf(ring, 0), page(0));
  EXPECT_EQ(ubuf(ring, 1), page(10));
  EXPECT_EQ(ubuf(ring, 2), page(11));
  EXPECT_EQ(ubuf(ring, 3), page(3));  // 525916ce: kept
  // The replaced slots' tags, last slot first.
  EXPECT_EQ(reap(), (std::vector<SimpleCqe>{{0xd2, 0, 0}, {0xd1, 0, 0}}));
  EXPECT_EQ(table(ring).slots()[3]->tag, 0xd3u);
  EXPECT_EQ(pinned(), 4u);  // pages 0, 3, 10, 11
}

TEST_F(CloneTest, ReplaceGrowsTheTable) {
  setup_both();
  ASSERT_EQ(register_on(kSrcFd, {{page(10), 4096}}), 0);
  ASSERT_EQ(register_on(kRingFd, {{page(0), 4096}}), 0);
  ASSERT_EQ(clone(from(kSrcFd, IORING_REGISTER_DST_REPLACE, 0, 3, 1)), 0);
  ASSERT_EQ(table(ring).size(), 4u);
  EXPECT_EQ(ubuf(ring, 0), page(0));
  EXPECT_EQ(table(ring).find(1), nullptr);
  EXPECT_EQ(ubuf(ring, 3), page(10));
}

TEST_F(CloneTest, ReplaceOnRingWithoutTableActsAsPlainClone) {
  setup_both();
  ASSERT_EQ(register_on(kSrcFd, {{page(10), 4096}}), 0);
  EXPECT_EQ(clone(from(kSrcFd, IORING_REGISTER_DST_REPLACE)), 0);
  EXPECT_EQ(ubuf(ring, 0), page(10));
}

TEST_F(CloneTest, SameRingWithReplaceDuplicatesARange) {
  setup_both();
  ASSERT_EQ(register_on(kRingFd, {{page(0), 4096}, {0, 0}}), 0);
  ASSERT_EQ(clone(from(kRingFd, IORING_REGISTER_DST_REPLACE, 0, 1, 1)), 0);
  EXPECT_EQ(ubuf(ring, 0), page(0));
  EXPECT_EQ(ubuf(ring, 1), page(0));
  EXPECT_EQ(pinned(), 1u);
}

TEST_F(CloneTest, SameRingWithoutReplaceIsEBUSY) {
  setup_both();
  ASSERT_EQ(register_on(kRingFd, {{page(0), 4096}}), 0);
  EXPECT_EQ(clone(from(kRingFd)), -EBUSY);
}

TEST_F(CloneTest, CloneChargesModelTimePerBufferNotPerByte) {
  setup_both();
  ASSERT_EQ(register_on(kSrcFd, {{page(0), 4096}, {page(1), 32 * 4096}}), 0);
  ASSERT_EQ(clone(from(kSrcFd)), 0);
  const CostModel& c = kernel.clock().model();
  EXPECT_EQ(kernel.last_call_model_ns(), c.syscall_ns + c.clone_call_ns + 2 * c.clone_buffer_ns);
}

// --- 6.12: the original ----------------------------------------------------------------

class CloneTest612 : public CloneTest {
 public:
  CloneTest612() : CloneTest(*find_profile("6.12")) {}
};

TEST_F(CloneTest612, FullTableCloneWorks) {
  setup_both();
  ASSERT_EQ(register_on(kSrcFd, {{page(0), 4096}, {page(1), 4096}}), 0);
  EXPECT_EQ(clone(from(kSrcFd)), 0);
  EXPECT_EQ(ubuf(ring, 1), page(1));
}

TEST_F(CloneTest612, OffsetsAreStillPadAndEINVAL) {
  setup_both();
  ASSERT_EQ(register_on(kSrcFd, {{page(0), 4096}, {page(1), 4096}}), 0);
  EXPECT_EQ(clone(from(kSrcFd, 0, 0, 0, 1)), -EINVAL);
  EXPECT_EQ(clone(from(kSrcFd, IORING_REGISTER_DST_REPLACE)), -EINVAL);
}

TEST_F(CloneTest612, DestinationTableIsEBUSYBeforeReadingTheArgument) {
  setup_both();
  ASSERT_EQ(register_on(kRingFd, {{page(0), 4096}}), 0);
  EXPECT_EQ(reg_on(kRingFd, IORING_REGISTER_CLONE_BUFFERS, 0x7000000, 1), -EBUSY);
}

TEST_F(CloneTest612, NoAccountingCheckYet) {
  setup_both();
  Caller child = caller;
  child.creds.mm = 2000;
  setup_other(child, 102);
  ASSERT_EQ(register_on(102, {{page(0), 4096}}), 0);
  EXPECT_EQ(clone(from(102)), 0);
}

// --- 6.1: no clone at all -------------------------------------------------------------

class CloneTest61 : public CloneTest {
 public:
  CloneTest61() : CloneTest(*find_profile("6.1")) {}
};

TEST_F(CloneTest61, CloneBuffersDoesNotExist) {
  setup_both();
  ASSERT_EQ(register_on(kSrcFd, {{page(0), 4096}}), 0);
  EXPECT_EQ(clone(from(kSrcFd)), -EINVAL);
}

}  // namespace
}  // namespace uringsim::testing
