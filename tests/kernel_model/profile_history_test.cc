// One kernel after another: each profile shows something its predecessor lacked
// (spec G.4): 5.1 -> 5.6 -> 5.19 -> 6.1 -> 6.12 -> 6.13 -> 6.18.
#include <cerrno>
#include <string>
#include <vector>

#include "kernel_model/rsrc.h"
#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

constexpr uint64_t kArg = 0x20000;
constexpr uint64_t kIovs = 0x21000;
constexpr uint64_t kBuf = 0x1000000;
constexpr int kSrcFd = 101;

class History : public RingFixture {
 public:
  explicit History(const char* name) : RingFixture(*find_profile(name)) {
    memory.map(kArg, 0x3000);
    memory.map(kBuf, 16 * 4096);
  }
  int64_t reg_on(int fd, uint32_t op, uint64_t arg, uint32_t nr) { return kernel.do_register(caller, fd, op, arg, nr); }
  int64_t reg(uint32_t op, uint64_t arg, uint32_t nr) { return reg_on(kRingFd, op, arg, nr); }
  int64_t register_iov(int fd, uint64_t base, uint64_t len) {
    uint64_t iov[2] = {base, len};
    memory.write(kIovs, iov, sizeof iov);
    return reg_on(fd, IORING_REGISTER_BUFFERS, kIovs, 1);
  }
  int64_t buffers2_sparse(uint32_t nr) {
    io_uring_rsrc_register rr{};
    rr.nr = nr;
    rr.flags = IORING_RSRC_REGISTER_SPARSE;
    memory.write(kArg, &rr, sizeof rr);
    return reg(IORING_REGISTER_BUFFERS2, kArg, 32);
  }
  RingId second_ring(const Caller& who) {
    io_uring_params p{};
    memory.write(kParamsAddr, &p, sizeof p);
    const int64_t r = kernel.setup(who, 8, kParamsAddr);
    EXPECT_GE(r, 0);
    files.add(kSrcFd, std::make_shared<FakeFile>("", true, true, FileKind::kRing, static_cast<RingId>(r)));
    return static_cast<RingId>(r);
  }
  int64_t clone(uint32_t flags, uint32_t src_off, uint32_t dst_off, uint32_t nr) {
    io_uring_clone_buffers a{};
    a.src_fd = kSrcFd;
    a.flags = flags;
    a.src_off = src_off;
    a.dst_off = dst_off;
    a.nr = nr;
    memory.write(kArg, &a, sizeof a);
    return reg(IORING_REGISTER_CLONE_BUFFERS, kArg, 1);
  }
  uint64_t locked() { return kernel.accounting().locked_pages(caller.creds.uid); }
};

struct P56 : History { P56() : History("5.6") {} };
struct P519 : History { P519() : History("5.19") {} };
struct P61 : History { P61() : History("6.1") {} };
struct P612 : History { P612() : History("6.12") {} };
struct P613 : History { P613() : History("6.13") {} };
struct P618 : History { P618() : History("6.18") {} };

TEST(ProfileList, AllVersionsExistOldestFirst) {
  std::vector<std::string> names;
  for (const Profile& p : all_profiles()) names.emplace_back(p.name);
  const std::vector<std::string> want = {"5.1", "5.6", "5.19", "6.1", "6.12", "6.13", "6.18"};
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(names.at(i), want[i]);
  EXPECT_EQ(default_profile().name, "6.18");
}

// --- 5.6: one cache-aligned io_rings region, PROBE, features, -EBUSY on overflow ---------

TEST_F(P56, CacheAlignedRingOffsets) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(params.sq_off.head, 0u);
  EXPECT_EQ(params.sq_off.tail, 64u);
  EXPECT_EQ(params.cq_off.head, 128u);
  EXPECT_EQ(params.cq_off.tail, 192u);
  EXPECT_EQ(params.sq_off.ring_mask, 256u);
  EXPECT_EQ(params.cq_off.ring_entries, 268u);
  EXPECT_EQ(params.sq_off.dropped, 272u);
  EXPECT_EQ(params.sq_off.flags, 276u);
  EXPECT_EQ(params.cq_off.overflow, 280u);  // no cq_flags before 5.8
  EXPECT_EQ(params.cq_off.flags, 0u);
  EXPECT_EQ(params.cq_off.cqes, 320u);
  EXPECT_EQ(params.sq_off.array, 576u);     // ALIGN64(320 + 16 x 16)
  EXPECT_EQ(params.features, 0x1fu & default_profile().simulated_features);
  size_t len = 0;
  EXPECT_EQ(kernel.map(ring, IORING_OFF_CQ_RING, &len), sq_ring);  // one region (SINGLE_MMAP)
  EXPECT_EQ(len, 4096u);
}

TEST_F(P56, RingMemoryChargedInPowerOfTwoBlocks) {
  caller.creds.cap_ipc_lock = false;
  ASSERT_GE(setup(1024), 0);
  // rings: 320 + 2048 x 16 + 1024 x 4 = 37184 bytes -> order 4 (16 pages); SQEs 16.
  EXPECT_EQ(locked(), 32u);
}

TEST_F(P56, ProbeExistsButBuffers2DoesNot) {
  ASSERT_GE(setup(8), 0);
  std::vector<uint8_t> zero(16 + 8 * 64, 0);
  memory.write(kArg, zero.data(), zero.size());
  EXPECT_EQ(reg(IORING_REGISTER_PROBE, kArg, 64), 0);
  EXPECT_EQ(buffers2_sparse(4), -EINVAL);
}

TEST_F(P56, SubmitWithUnflushableOverflowIsEBUSY) {
  ASSERT_GE(setup(2), 0);  // CQ of 4
  for (int round = 0; round < 3; ++round) {
    nop(10 * round + 1);
    nop(10 * round + 2);
    ASSERT_EQ(submit(2), 2);
  }
  // 4 CQEs in the CQ, 2 in the backlog: 5.6 will not submit.
  nop(99);
  EXPECT_EQ(submit(1), -EBUSY);
  EXPECT_EQ(sq_head(), 6u);  // nothing consumed
  EXPECT_EQ(reap().size(), 4u);
  EXPECT_EQ(submit(1), 1);  // the backlog flushed first, then the NOP
  EXPECT_EQ(reap().size(), 3u);
}

TEST_F(P56, ShmemBufferIsEOPNOTSUPP) {
  ASSERT_GE(setup(8), 0);
  memory.map(0x5000000, 4096, Backing::kShmem);
  EXPECT_EQ(register_iov(kRingFd, 0x5000000, 4096), -EOPNOTSUPP);
}

// --- 5.19: ring-mapped provided buffers (user memory), SQE128/CQE32, SOCKET ---------------

TEST_F(P519, Sqe128AndCqe32ButNotSingleIssuer) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_SQE128 | IORING_SETUP_CQE32), 0);
  EXPECT_EQ(params.features, 0x1fffu & default_profile().simulated_features);
  EXPECT_EQ(params.cq_off.head, 128u);  // still cache-aligned, not packed
  EXPECT_EQ(setup_flags(8, IORING_SETUP_SINGLE_ISSUER), -EINVAL);  // 6.0
}

TEST_F(P519, ProbeEndsAtUringCmd) {
  ASSERT_GE(setup(8), 0);
  std::vector<uint8_t> probe(16 + 8 * 64, 0);
  memory.write(kArg, probe.data(), probe.size());
  ASSERT_EQ(reg(IORING_REGISTER_PROBE, kArg, 64), 0);
  memory.read(kArg, probe.data(), probe.size());
  EXPECT_EQ(probe[0], IORING_OP_URING_CMD);  // last_op 46: SOCKET (45) is in, SEND_ZC (47) is not
  EXPECT_EQ(probe[1], IORING_OP_URING_CMD + 1);
}

TEST_F(P519, PbufRingInUserMemoryButNoMmapFlag) {
  ASSERT_GE(setup(8), 0);
  io_uring_buf_reg br{};
  br.ring_addr = kBuf;
  br.ring_entries = 8;
  br.bgid = 3;
  memory.write(kArg, &br, sizeof br);
  EXPECT_EQ(reg(IORING_REGISTER_PBUF_RING, kArg, 1), 0);
  br.bgid = 4;
  br.flags = IOU_PBUF_RING_MMAP;  // 6.4: on 5.19 this word was `pad`
  memory.write(kArg, &br, sizeof br);
  EXPECT_EQ(reg(IORING_REGISTER_PBUF_RING, kArg, 1), -EINVAL);
  EXPECT_EQ(reg(IORING_REGISTER_SYNC_CANCEL, kArg, 1), -EINVAL);  // 6.0
}

TEST_F(P519, NoEbusyOnOverflowAndNoRingCharge) {
  caller.creds.cap_ipc_lock = false;
  ASSERT_GE(setup(2), 0);  // CQ of 4
  EXPECT_EQ(locked(), 0u);
  for (int round = 0; round < 3; ++round) {
    nop(10 * round + 1);
    nop(10 * round + 2);
    ASSERT_EQ(submit(2), 2);
  }
  nop(99);
  EXPECT_EQ(submit(1), 1);  // 5.6 said -EBUSY here
}

TEST_F(P519, PlainReadIgnoresBufIndex) {
  ASSERT_GE(setup(8), 0);
  files.add(7, std::make_shared<FakeFile>("abcd", true, false));
  io_uring_sqe& sqe = push(IORING_OP_READ, 1);
  sqe.fd = 7;
  sqe.addr = kBuf;
  sqe.len = 4;
  sqe.buf_index = 2;  // 5.6: -EINVAL; ignored since the 5.19 kbuf series
  ASSERT_EQ(submit(1), 1);
  auto cqes = reap();
  ASSERT_EQ(cqes.size(), 1u);
  EXPECT_EQ(cqes[0].res, 4);
}

// --- 6.1: BUFFERS2 and sparse tables, shmem buffers, no ring charge ---------------------

TEST_F(P61, SparseBuffers2Works) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(buffers2_sparse(4), 0);
  EXPECT_EQ(kernel.context(ring)->buffers().size(), 4u);
}

TEST_F(P61, RingMemoryIsNotCharged) {
  caller.creds.cap_ipc_lock = false;
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(locked(), 0u);
}

TEST_F(P61, ShmemAcceptedPrivateFileStillEOPNOTSUPP) {
  ASSERT_GE(setup(8), 0);
  memory.map(0x5000000, 4096, Backing::kShmem);
  memory.map(0x6000000, 4096, Backing::kPrivateFile);
  EXPECT_EQ(register_iov(kRingFd, 0x5000000, 4096), 0);
  EXPECT_EQ(reg(IORING_UNREGISTER_BUFFERS, 0, 0), 0);
  EXPECT_EQ(register_iov(kRingFd, 0x6000000, 4096), -EOPNOTSUPP);
}

TEST_F(P61, StillCacheAligned) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(params.cq_off.head, 128u);
  EXPECT_EQ(params.cq_off.flags, 280u);
  EXPECT_EQ(params.cq_off.overflow, 284u);
}

TEST_F(P61, CloneDoesNotExist) {
  ASSERT_GE(setup(8), 0);
  second_ring(caller);
  ASSERT_EQ(register_iov(kSrcFd, kBuf, 4096), 0);
  EXPECT_EQ(clone(0, 0, 0, 0), -EINVAL);
}

TEST_F(P61, KernelAllocatedPbufRingIsStillEINVAL) {
  ASSERT_GE(setup(8), 0);
  io_uring_buf_reg br{};
  br.ring_entries = 8;
  br.bgid = 1;
  br.flags = IOU_PBUF_RING_MMAP;  // 6.4
  memory.write(kArg, &br, sizeof br);
  EXPECT_EQ(reg(IORING_REGISTER_PBUF_RING, kArg, 1), -EINVAL);
}

// --- 6.12: packed rings, the first CLONE_BUFFERS -----------------------------------------

TEST_F(P612, KernelAllocatedAndIncrementalPbufRings) {
  ASSERT_GE(setup(8), 0);
  io_uring_buf_reg br{};
  br.ring_entries = 8;
  br.bgid = 1;
  br.flags = IOU_PBUF_RING_MMAP | IOU_PBUF_RING_INC;
  memory.write(kArg, &br, sizeof br);
  EXPECT_EQ(reg(IORING_REGISTER_PBUF_RING, kArg, 1), 0);
  size_t len = 0;
  EXPECT_NE(kernel.map(ring, IORING_OFF_PBUF_RING | (1ull << IORING_OFF_PBUF_SHIFT), &len), nullptr);
  EXPECT_EQ(len, 4096u);
}

TEST_F(P612, PackedRingAndFullClone) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(params.cq_off.head, 8u);
  second_ring(caller);
  ASSERT_EQ(register_iov(kSrcFd, kBuf, 4096), 0);
  EXPECT_EQ(clone(0, 0, 0, 1), -EINVAL);  // nr is still pad
  EXPECT_EQ(clone(0, 0, 0, 0), 0);
  EXPECT_NE(kernel.context(ring)->buffers().find(0), nullptr);
}

// --- 6.13: offsets and DST_REPLACE (tail entries lost before 525916ce) --------------------

TEST_F(P613, OffsetsWorkReplaceDropsTheTail) {
  ASSERT_GE(setup(8), 0);
  second_ring(caller);
  ASSERT_EQ(register_iov(kSrcFd, kBuf, 4096), 0);
  uint64_t iovs[6] = {kBuf + 4096, 4096, kBuf + 8192, 4096, kBuf + 12288, 4096};
  memory.write(kIovs, iovs, sizeof iovs);
  ASSERT_EQ(reg(IORING_REGISTER_BUFFERS, kIovs, 3), 0);
  EXPECT_EQ(clone(IORING_REGISTER_DST_REPLACE, 0, 1, 1), 0);
  const BufferTable& t = kernel.context(ring)->buffers();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_NE(t.find(0), nullptr);
  EXPECT_EQ((*t.find(1))->buf->ubuf, kBuf);
  EXPECT_EQ(t.find(2), nullptr);  // lost, as 6.13 did
}

TEST_F(P613, NoAccountingCheck) {
  ASSERT_GE(setup(8), 0);
  Caller other = caller;
  other.creds.mm = 4242;
  second_ring(other);
  ASSERT_EQ(register_iov(kSrcFd, kBuf, 4096), 0);
  EXPECT_EQ(clone(0, 0, 0, 1), 0);
}

// --- 6.18: the accounting check, ring memory charged again --------------------------------

TEST_F(P618, AccountingCheckAndRingCharge) {
  caller.creds.cap_ipc_lock = false;
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(locked(), 2u);
  Caller other = caller;
  other.creds.mm = 4242;
  second_ring(other);
  ASSERT_EQ(register_iov(kSrcFd, kBuf, 4096), 0);
  EXPECT_EQ(clone(0, 0, 0, 1), -EINVAL);
}

}  // namespace
}  // namespace uringsim::testing
