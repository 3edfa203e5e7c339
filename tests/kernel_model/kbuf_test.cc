// Provided buffers (spec E): PROVIDE/REMOVE_BUFFERS, buffer rings (register,
// unregister, status, MMAP, INC) and IOSQE_BUFFER_SELECT on READ.
#include <cerrno>
#include <cstring>
#include <string>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

constexpr uint64_t kArg = 0x20000;    // register arguments
constexpr uint64_t kBufs = 0x100000;  // provided buffer memory: 16 pages
constexpr uint64_t kRing = 0x200000;  // a buffer ring: 1 page
constexpr int kFileFd = 5;
constexpr int kPipeFd = 6;
constexpr uint32_t kSel = IORING_CQE_F_BUFFER;

using C = RingFixture::SimpleCqe;

uint32_t bid(uint16_t b) { return uint32_t{b} << IORING_CQE_BUFFER_SHIFT; }

class KbufTest : public RingFixture {
 public:
  KbufTest() {
    memory.map(kArg, 4096);
    memory.map(kBufs, 16 * 4096);
    memory.map(kRing, 4096);
    files.add(kFileFd, std::make_shared<FakeFile>("abcdefghijklmnopqrstuvwxyz0123456789"));
    pipe = std::make_shared<FakePipe>();
    files.fds[kPipeFd] = pipe;
    EXPECT_GE(setup(8), 0);
  }
  io_uring_sqe& provide(uint64_t ud, int nbufs, uint64_t addr, uint32_t len, uint64_t first_bid, uint16_t bgid) {
    io_uring_sqe& s = push(IORING_OP_PROVIDE_BUFFERS, ud);
    s.fd = nbufs;
    s.addr = addr;
    s.len = len;
    s.off = first_bid;
    s.buf_group = bgid;
    return s;
  }
  io_uring_sqe& read_select(uint64_t ud, int fd, uint32_t len, uint16_t bgid, uint8_t op = IORING_OP_READ) {
    io_uring_sqe& s = push(op, ud, IOSQE_BUFFER_SELECT);
    s.fd = fd;
    s.len = len;
    s.off = 0;
    s.buf_group = bgid;
    return s;
  }
  int64_t reg_ring(uint16_t bgid, uint32_t entries, uint16_t flags = 0, uint64_t addr = kRing, uint32_t nr = 1) {
    io_uring_buf_reg r{};
    r.ring_addr = addr;
    r.ring_entries = entries;
    r.bgid = bgid;
    r.flags = flags;
    memory.write(kArg, &r, sizeof r);
    return kernel.do_register(caller, kRingFd, IORING_REGISTER_PBUF_RING, kArg, nr);
  }
  int64_t unreg_ring(uint16_t bgid) {
    io_uring_buf_reg r{};
    r.bgid = bgid;
    memory.write(kArg, &r, sizeof r);
    return kernel.do_register(caller, kRingFd, IORING_UNREGISTER_PBUF_RING, kArg, 1);
  }
  int64_t status(uint32_t bgid, uint32_t* head) {
    io_uring_buf_status st{};
    st.buf_group = bgid;
    memory.write(kArg, &st, sizeof st);
    int64_t r = kernel.do_register(caller, kRingFd, IORING_REGISTER_PBUF_STATUS, kArg, 1);
    memory.read(kArg, &st, sizeof st);
    *head = st.head;
    return r;
  }
  // Writes ring entry `slot` and publishes tail.
  void ring_add(std::byte* base, uint32_t slot, uint64_t addr, uint32_t len, uint16_t b) {
    io_uring_buf e{addr, len, b, 0};
    std::memcpy(base + 16 * slot, &e, 14);  // not resv: that is the tail for slot 0
  }
  void ring_tail(std::byte* base, uint16_t tail) { std::memcpy(base + 14, &tail, 2); }
  std::shared_ptr<FakePipe> pipe;
};

TEST_F(KbufTest, ProvidedBuffersArePickedInProvideOrderAndReportedInTheCqe) {
  provide(1, 3, kBufs, 10, 7, 4);
  EXPECT_EQ(run(1), (std::vector<C>{{1, 0, 0}}));  // 6.18 answers 0, not the count
  read_select(2, kFileFd, 0, 4);                    // len 0: the whole buffer
  read_select(3, kFileFd, 4, 4);                    // len caps the transfer
  EXPECT_EQ(run(2), (std::vector<C>{{2, 10, kSel | bid(7)}, {3, 4, kSel | bid(8)}}));
  EXPECT_EQ(user_bytes(kBufs, 10), "abcdefghij");
  EXPECT_EQ(user_bytes(kBufs + 10, 4), "abcd");
}

TEST_F(KbufTest, EmptyOrMissingGroupIsENOBUFS) {
  read_select(1, kFileFd, 0, 9);
  EXPECT_EQ(run(1), (std::vector<C>{{1, -ENOBUFS, 0}}));
  provide(2, 1, kBufs, 10, 0, 9);
  read_select(3, kFileFd, 0, 9);
  read_select(4, kFileFd, 0, 9);
  EXPECT_EQ(run(3), (std::vector<C>{{2, 0, 0}, {3, 10, kSel}, {4, -ENOBUFS, 0}}));
}

TEST_F(KbufTest, ProvideChecksInLinuxOrder) {
  provide(1, 0, kBufs, 10, 0, 1);             // no buffers
  EXPECT_EQ(run(1), (std::vector<C>{{1, -E2BIG, 0}}));
  provide(2, 65537, kBufs, 10, 0, 1);
  EXPECT_EQ(run(1), (std::vector<C>{{2, -E2BIG, 0}}));
  provide(3, 1, kBufs, 0, 0, 1);              // len 0
  EXPECT_EQ(run(1), (std::vector<C>{{3, -EINVAL, 0}}));
  provide(4, 2, kBufs, 10, 65535, 1);         // bids would pass 65535
  EXPECT_EQ(run(1), (std::vector<C>{{4, -EINVAL, 0}}));
  provide(5, 1, kBufs, 10, 65536, 1);         // first bid too big
  EXPECT_EQ(run(1), (std::vector<C>{{5, -E2BIG, 0}}));
  provide(6, 1, 0x7ffffffff000ull, 8192, 0, 1);  // past the user address space
  EXPECT_EQ(run(1), (std::vector<C>{{6, -EFAULT, 0}}));
  provide(7, 1, kBufs, 10, 0, 1).flags = IOSQE_BUFFER_SELECT;
  EXPECT_EQ(run(1), (std::vector<C>{{7, -EOPNOTSUPP, 0}}));
}

TEST_F(KbufTest, RemoveBuffersReturnsHowManyAndENOENTForMissingGroups) {
  provide(1, 5, kBufs, 10, 0, 2);
  io_uring_sqe& r = push(IORING_OP_REMOVE_BUFFERS, 2);
  r.fd = 3;
  r.buf_group = 2;
  io_uring_sqe& r2 = push(IORING_OP_REMOVE_BUFFERS, 3);
  r2.fd = 10;
  r2.buf_group = 2;
  io_uring_sqe& r3 = push(IORING_OP_REMOVE_BUFFERS, 4);
  r3.fd = 1;
  r3.buf_group = 77;
  EXPECT_EQ(run(4), (std::vector<C>{{1, 0, 0}, {2, 3, 0}, {3, 2, 0}, {4, -ENOENT, 0}}));
  io_uring_sqe& r4 = push(IORING_OP_REMOVE_BUFFERS, 5);
  r4.fd = 0;
  EXPECT_EQ(run(1), (std::vector<C>{{5, -EINVAL, 0}}));
}

TEST_F(KbufTest, RegisterPbufRingChecks) {
  EXPECT_EQ(reg_ring(1, 8, 0, kRing, 2), -EINVAL);        // nr_args must be 1
  EXPECT_EQ(reg_ring(1, 6), -EINVAL);                     // not a power of two
  EXPECT_EQ(reg_ring(1, 0), -EINVAL);
  EXPECT_EQ(reg_ring(1, 65536), -EINVAL);
  EXPECT_EQ(reg_ring(1, 8, 4), -EINVAL);                  // unknown flag
  EXPECT_EQ(reg_ring(1, 8, 0, 0), -EFAULT);               // no address, no MMAP
  EXPECT_EQ(reg_ring(1, 8, 0, kRing + 16), -EINVAL);      // not page aligned
  EXPECT_EQ(reg_ring(1, 8, 0, 0x900000), -EFAULT);        // not mapped
  EXPECT_EQ(reg_ring(1, 8), 0);
  EXPECT_EQ(reg_ring(1, 8), -EEXIST);
  provide(1, 1, kBufs, 10, 0, 1);                         // PROVIDE into a ring group
  EXPECT_EQ(run(1), (std::vector<C>{{1, -EINVAL, 0}}));
  provide(2, 1, kBufs, 10, 0, 2);
  EXPECT_EQ(run(1), (std::vector<C>{{2, 0, 0}}));
  EXPECT_EQ(reg_ring(2, 8, 0, kRing), -EEXIST);           // legacy group with buffers
  EXPECT_EQ(unreg_ring(2), -EINVAL);                      // legacy group
  EXPECT_EQ(unreg_ring(3), -ENOENT);
  EXPECT_EQ(unreg_ring(1), 0);
  uint32_t head = 0;
  EXPECT_EQ(status(1, &head), -ENOENT);
  EXPECT_EQ(status(2, &head), -EINVAL);
}

TEST_F(KbufTest, RingBuffersAreConsumedFromHeadAndStatusReportsIt) {
  ASSERT_EQ(reg_ring(3, 4), 0);
  std::byte* ring = memory.at(kRing);
  ring_add(ring, 0, kBufs, 8, 100);
  ring_add(ring, 1, kBufs + 100, 8, 101);
  ring_tail(ring, 2);
  read_select(1, kFileFd, 0, 3);
  read_select(2, kFileFd, 4, 3);
  read_select(3, kFileFd, 0, 3);
  EXPECT_EQ(run(3), (std::vector<C>{{1, 8, kSel | bid(100)}, {2, 4, kSel | bid(101)}, {3, -ENOBUFS, 0}}));
  uint32_t head = 0;
  EXPECT_EQ(status(3, &head), 0);
  EXPECT_EQ(head, 2u);
}

TEST_F(KbufTest, IncrementalRingOnAPipeConsumesOnlyWhatWasRead) {
  ASSERT_EQ(reg_ring(5, 4, IOU_PBUF_RING_INC), 0);
  std::byte* ring = memory.at(kRing);
  ring_add(ring, 0, kBufs, 25, 9);
  ring_tail(ring, 1);
  const uint32_t more = IORING_CQE_F_BUF_MORE;
  pipe->data = "0123456789";
  read_select(1, kPipeFd, 10, 5);
  EXPECT_EQ(run(1), (std::vector<C>{{1, 10, kSel | bid(9) | more}}));
  pipe->data = "abcdefghij";
  read_select(2, kPipeFd, 10, 5);
  EXPECT_EQ(run(1), (std::vector<C>{{2, 10, kSel | bid(9) | more}}));
  pipe->data = "ABCDEFGHIJ";
  read_select(3, kPipeFd, 10, 5);
  EXPECT_EQ(run(1), (std::vector<C>{{3, 5, kSel | bid(9)}}));
  read_select(4, kPipeFd, 10, 5);
  EXPECT_EQ(run(1), (std::vector<C>{{4, -ENOBUFS, 0}}));
  EXPECT_EQ(user_bytes(kBufs, 25), "0123456789abcdefghijABCDE");
  io_uring_buf e{};
  std::memcpy(&e, ring, 12);
  // Rewritten in place while partly used; used up, its len is zeroed (addr stays).
  EXPECT_EQ(e.addr, kBufs + 20);
  EXPECT_EQ(e.len, 0u);
}

TEST_F(KbufTest, ReadOnAnEmptyPipeGivesItsRingBufferBackWhileItWaits) {
  ASSERT_EQ(reg_ring(6, 4), 0);
  std::byte* ring = memory.at(kRing);
  ring_add(ring, 0, kBufs, 16, 1);
  ring_add(ring, 1, kBufs + 16, 16, 2);
  ring_tail(ring, 2);
  read_select(1, kPipeFd, 0, 6);
  EXPECT_EQ(submit(1), 1);
  EXPECT_TRUE(reap().empty());
  uint32_t head = 99;
  EXPECT_EQ(status(6, &head), 0);
  EXPECT_EQ(head, 0u);  // nothing consumed while parked
  pipe->data = "hello";
  kernel.progress(caller, this->ring, false);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 5, kSel | bid(1)}}));
  EXPECT_EQ(status(6, &head), 0);
  EXPECT_EQ(head, 1u);
}

TEST_F(KbufTest, MmapRingIsKernelMemoryMappedAtThePbufOffset) {
  ASSERT_EQ(reg_ring(7, 8, IOU_PBUF_RING_MMAP, 0), 0);
  size_t len = 0;
  std::byte* ring = kernel.map(this->ring, IORING_OFF_PBUF_RING | (uint64_t{7} << IORING_OFF_PBUF_SHIFT), &len);
  ASSERT_NE(ring, nullptr);
  EXPECT_EQ(len, 4096u);
  EXPECT_EQ(kernel.map(this->ring, IORING_OFF_PBUF_RING | (uint64_t{8} << IORING_OFF_PBUF_SHIFT), &len), nullptr);
  ring_add(ring, 0, kBufs, 6, 42);
  ring_tail(ring, 1);
  read_select(1, kFileFd, 0, 7);
  EXPECT_EQ(run(1), (std::vector<C>{{1, 6, kSel | bid(42)}}));
  EXPECT_EQ(unreg_ring(7), 0);
  EXPECT_EQ(kernel.map(this->ring, IORING_OFF_PBUF_RING | (uint64_t{7} << IORING_OFF_PBUF_SHIFT), &len), nullptr);
}

TEST_F(KbufTest, ReadvSelectsOneBufferCappedByItsSingleIovec) {
  provide(1, 1, kBufs, 20, 3, 8);
  uint64_t iov[2] = {0, 6};
  memory.write(kArg, iov, sizeof iov);
  io_uring_sqe& s = read_select(2, kFileFd, 1, 8, IORING_OP_READV);
  s.addr = kArg;
  io_uring_sqe& bad = read_select(3, kFileFd, 2, 8, IORING_OP_READV);
  bad.addr = kArg;
  EXPECT_EQ(run(3), (std::vector<C>{{1, 0, 0}, {2, 6, kSel | bid(3)}, {3, -EINVAL, 0}}));
}

TEST_F(KbufTest, WriteRefusesBufferSelect) {
  push(IORING_OP_WRITE, 1, IOSQE_BUFFER_SELECT).fd = kFileFd;
  EXPECT_EQ(run(1), (std::vector<C>{{1, -EOPNOTSUPP, 0}}));
}

}  // namespace
}  // namespace uringsim::testing
