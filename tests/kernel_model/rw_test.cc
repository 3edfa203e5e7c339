// READV/WRITEV/READ/WRITE/READ_FIXED/WRITE_FIXED and FSYNC: prep and issue checks in
// Linux's order, the bytes moved, the file position (spec C.4, rw.c, sync.c).
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "kernel_model/rsrc.h"
#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

constexpr uint64_t kIovArray = 0x20000;
constexpr uint64_t kBuf = 0x1000000;    // registered buffer 0: 4 pages
constexpr uint64_t kBuf1 = 0x2000000;   // registered buffer 1: 1 page
constexpr uint64_t kPlain = 0x3000000;  // ordinary user memory: 4 pages
constexpr int kFileFd = 5;
constexpr int kReadOnlyFd = 6;
constexpr int kWriteOnlyFd = 7;
constexpr int kDirFd = 8;

using C = RingFixture::SimpleCqe;

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

class RwTest : public RingFixture {
 public:
  explicit RwTest(const Profile& profile = default_profile()) : RingFixture(profile) {
    memory.map(kIovArray, 64 << 10);
    memory.map(kBuf, 4 * 4096);
    memory.map(kBuf1, 4096);
    memory.map(kPlain, 4 * 4096);
    file = files.add(kFileFd, std::make_shared<FakeFile>(pattern(20000)));
    files.add(kReadOnlyFd, std::make_shared<FakeFile>("read only", true, false));
    files.add(kWriteOnlyFd, std::make_shared<FakeFile>("", false, true));
    files.add(kDirFd, std::make_shared<FakeFile>("", true, false, FileKind::kDirectory));
  }

  int64_t register_buffers() {
    uint64_t iov[4] = {kBuf, 4 * 4096, kBuf1, 4096};
    memory.write(kIovArray, iov, sizeof iov);
    return kernel.do_register(caller, kRingFd, IORING_REGISTER_BUFFERS, kIovArray, 2);
  }
  io_uring_sqe& rw(uint8_t op, uint64_t ud, int fd, uint64_t addr, uint32_t len, uint64_t off,
                   uint16_t buf_index = 0) {
    io_uring_sqe& s = push(op, ud);
    s.fd = fd;
    s.addr = addr;
    s.len = len;
    s.off = off;
    s.buf_index = buf_index;
    return s;
  }
  void put_iovecs(const std::vector<std::pair<uint64_t, uint64_t>>& v) {
    for (size_t i = 0; i < v.size(); ++i) {
      uint64_t pair[2] = {v[i].first, v[i].second};
      memory.write(kIovArray + 16 * i, pair, sizeof pair);
    }
  }
  std::shared_ptr<FakeFile> file;
};

class RwTest51 : public RwTest {
 public:
  RwTest51() : RwTest(*find_profile("5.1")) {}
};

// Captures the reason attached to each CQE.
class ReasonObserver : public Observer {
 public:
  void on_cqe(RingId, const Cqe&, const Fault* why) override { last = why ? why->reason : ""; }
  std::string last;
};

// --- READ_FIXED / WRITE_FIXED --------------------------------------------------------

TEST_F(RwTest, ReadFixedReadsIntoTheRegisteredBuffer) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(register_buffers(), 0);
  rw(IORING_OP_READ_FIXED, 1, kFileFd, kBuf + 4096, 8192, 100);
  EXPECT_EQ(run_one(), (C{1, 8192, 0}));
  EXPECT_EQ(user_bytes(kBuf + 4096, 8192), file->data.substr(100, 8192));
  EXPECT_EQ(user_bytes(kBuf, 16), std::string(16, '\0'));  // before addr: untouched
}

TEST_F(RwTest, WriteFixedWritesFromTheRegisteredBuffer) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(register_buffers(), 0);
  const std::string src = "registered buffers, 2019";
  memory.write(kBuf1 + 10, src.data(), src.size());
  rw(IORING_OP_WRITE_FIXED, 2, kFileFd, kBuf1 + 10, static_cast<uint32_t>(src.size()), 3, 1);
  EXPECT_EQ(run_one(), (C{2, static_cast<int32_t>(src.size()), 0}));
  EXPECT_EQ(file->data.substr(3, src.size()), src);
}

TEST_F(RwTest, ReadFixedOutsideBufferIsEFAULTCqe) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(register_buffers(), 0);
  ReasonObserver obs;
  kernel.set_observer(&obs);
  rw(IORING_OP_READ_FIXED, 3, kFileFd, kBuf1, 8192, 0, 1);  // buffer 1 is 4096 bytes
  EXPECT_EQ(run_one(), (C{3, -EFAULT, 0}));
  EXPECT_NE(obs.last.find("outside registered buffer 1"), std::string::npos) << obs.last;
  kernel.set_observer(nullptr);
}

TEST_F(RwTest, FixedRangeFailuresAreAllEFAULT) {
  ASSERT_GE(setup(8), 0);
  // No table at all.
  rw(IORING_OP_READ_FIXED, 1, kFileFd, kBuf, 10, 0);
  EXPECT_EQ(run_one(), (C{1, -EFAULT, 0}));
  ASSERT_EQ(register_buffers(), 0);
  rw(IORING_OP_READ_FIXED, 2, kFileFd, kBuf, 10, 0, 3);  // index beyond the table
  EXPECT_EQ(run_one(), (C{2, -EFAULT, 0}));
  rw(IORING_OP_READ_FIXED, 3, kFileFd, kBuf, 10, 0, 65535);
  EXPECT_EQ(run_one(), (C{3, -EFAULT, 0}));
  rw(IORING_OP_READ_FIXED, 4, kFileFd, kBuf - 1, 10, 0);  // starts before the buffer
  EXPECT_EQ(run_one(), (C{4, -EFAULT, 0}));
  rw(IORING_OP_READ_FIXED, 5, kFileFd, 0, 10, 0);  // an offset is not an address
  EXPECT_EQ(run_one(), (C{5, -EFAULT, 0}));
  rw(IORING_OP_READ_FIXED, 6, kFileFd, kBuf, 10, 0, 1);  // addr in buffer 0, index 1
  EXPECT_EQ(run_one(), (C{6, -EFAULT, 0}));
  rw(IORING_OP_READ_FIXED, 7, kFileFd, 0xffffffffffffff00ull, 0x200, 0);  // wraps
  EXPECT_EQ(run_one(), (C{7, -EFAULT, 0}));
}

TEST_F(RwTest, EmptySlotIsEFAULT) {
  ASSERT_GE(setup(8), 0);
  uint64_t iov[4] = {0, 0, kBuf1, 4096};
  memory.write(kIovArray, iov, sizeof iov);
  ASSERT_EQ(kernel.do_register(caller, kRingFd, IORING_REGISTER_BUFFERS, kIovArray, 2), 0);
  rw(IORING_OP_READ_FIXED, 1, kFileFd, kBuf, 10, 0, 0);
  EXPECT_EQ(run_one(), (C{1, -EFAULT, 0}));
}

TEST_F(RwTest, FixedEdgeCases) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(register_buffers(), 0);
  rw(IORING_OP_READ_FIXED, 1, kFileFd, kBuf + 4 * 4096, 0, 0);  // at the end, len 0
  EXPECT_EQ(run_one(), (C{1, 0, 0}));
  rw(IORING_OP_READ_FIXED, 2, kFileFd, kBuf + 5, 0, 0);  // len 0 inside
  EXPECT_EQ(run_one(), (C{2, 0, 0}));
  rw(IORING_OP_READ_FIXED, 3, kFileFd, kBuf, 4 * 4096, 0);  // exactly the whole buffer
  EXPECT_EQ(run_one(), (C{3, 4 * 4096, 0}));
  EXPECT_EQ(user_bytes(kBuf, 4 * 4096), file->data.substr(0, 4 * 4096));
}

TEST_F(RwTest, WriteFixedOnReadOnlyFdIsEBADF) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(register_buffers(), 0);
  rw(IORING_OP_WRITE_FIXED, 1, kReadOnlyFd, kBuf, 10, 0);
  EXPECT_EQ(run_one(), (C{1, -EBADF, 0}));
}

TEST_F(RwTest, FixedRangeIsCheckedBeforeTheOpenMode) {
  // io_init_rw_fixed runs before io_rw_init_file's FMODE check.
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(register_buffers(), 0);
  rw(IORING_OP_WRITE_FIXED, 1, kReadOnlyFd, kBuf1, 8192, 0, 1);
  EXPECT_EQ(run_one(), (C{1, -EFAULT, 0}));
}

TEST_F(RwTest, BadFdIsEBADFBeforeTheBufferLookup) {
  ASSERT_GE(setup(8), 0);
  rw(IORING_OP_READ_FIXED, 1, 99, kBuf, 10, 0);  // no table either
  EXPECT_EQ(run_one(), (C{1, -EBADF, 0}));
}

TEST_F(RwTest, UnknownRwFlagIsEOPNOTSUPP) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(register_buffers(), 0);
  rw(IORING_OP_READ_FIXED, 1, kFileFd, kBuf, 10, 0).rw_flags = 0x100;
  EXPECT_EQ(run_one(), (C{1, -EOPNOTSUPP, 0}));
  rw(IORING_OP_READ, 2, kFileFd, kPlain, 10, 0).rw_flags = 0x10 | 0x20;  // APPEND|NOAPPEND
  EXPECT_EQ(run_one(), (C{2, -EINVAL, 0}));
  rw(IORING_OP_READ, 3, kFileFd, kPlain, 10, 0).rw_flags = 0x40;  // RWF_ATOMIC on a read
  EXPECT_EQ(run_one(), (C{3, -EOPNOTSUPP, 0}));
  rw(IORING_OP_READ, 4, kFileFd, kPlain, 10, 0).rw_flags = 0x2 | 0x4;  // DSYNC|SYNC: fine
  EXPECT_EQ(run_one(), (C{4, 10, 0}));
}

TEST_F(RwTest, AttrTypeMaskChecks) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(register_buffers(), 0);
  rw(IORING_OP_READ_FIXED, 1, kFileFd, kBuf, 10, 0).attr_type_mask = 2;
  EXPECT_EQ(run_one(), (C{1, -EINVAL, 0}));
  rw(IORING_OP_READ_FIXED, 2, kFileFd, kBuf, 10, 0).attr_type_mask = IORING_RW_ATTR_FLAG_PI;  // attr_ptr 0
  EXPECT_EQ(run_one(), (C{2, -EFAULT, 0}));
}

TEST_F(RwTest, IoprioIsChecked) {
  ASSERT_GE(setup(8), 0);
  rw(IORING_OP_READ, 1, kFileFd, kPlain, 10, 0).ioprio = (2 << 13) | 4;  // BE level 4
  EXPECT_EQ(run_one(), (C{1, 10, 0}));
  rw(IORING_OP_READ, 2, kFileFd, kPlain, 10, 0).ioprio = 4;  // class NONE, level 4
  EXPECT_EQ(run_one(), (C{2, -EINVAL, 0}));
  rw(IORING_OP_READ, 3, kFileFd, kPlain, 10, 0).ioprio = 5 << 13;  // no such class
  EXPECT_EQ(run_one(), (C{3, -EINVAL, 0}));
  rw(IORING_OP_READ, 4, kFileFd, kPlain, 10, 0).ioprio = 1 << 13;  // RT, uid 1000
  EXPECT_EQ(run_one(), (C{4, -EPERM, 0}));
}

TEST_F(RwTest, ReadFixedHoldsItsBufferUntilCompletion) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(register_buffers(), 0);
  std::weak_ptr<BufferNode> node = kernel.context(ring)->buffers().slots()[0];
  rw(IORING_OP_READ_FIXED, 1, kFileFd, kBuf, 10, 0);
  EXPECT_EQ(run_one(), (C{1, 10, 0}));
  EXPECT_FALSE(node.expired());  // still in the table
  EXPECT_EQ(kernel.do_register(caller, kRingFd, IORING_UNREGISTER_BUFFERS, 0, 0), 0);
  EXPECT_TRUE(node.expired());   // the completed request let go of it
}

// --- READ / WRITE / READV / WRITEV --------------------------------------------------

TEST_F(RwTest, ReadAndWriteMoveExactBytes) {
  ASSERT_GE(setup(8), 0);
  rw(IORING_OP_READ, 1, kFileFd, kPlain + 7, 5000, 26);
  EXPECT_EQ(run_one(), (C{1, 5000, 0}));
  EXPECT_EQ(user_bytes(kPlain + 7, 5000), file->data.substr(26, 5000));
  const std::string src = "written by io_uring";
  memory.write(kPlain, src.data(), src.size());
  rw(IORING_OP_WRITE, 2, kFileFd, kPlain, static_cast<uint32_t>(src.size()), 19990);
  EXPECT_EQ(run_one(), (C{2, static_cast<int32_t>(src.size()), 0}));
  EXPECT_EQ(file->data.substr(19990), src);
}

TEST_F(RwTest, ReadAtEndOfFileIsShort) {
  ASSERT_GE(setup(8), 0);
  rw(IORING_OP_READ, 1, kFileFd, kPlain, 4096, 20000 - 100);
  EXPECT_EQ(run_one(), (C{1, 100, 0}));
  rw(IORING_OP_READ, 2, kFileFd, kPlain, 4096, 30000);
  EXPECT_EQ(run_one(), (C{2, 0, 0}));
}

TEST_F(RwTest, OffsetMinusOneUsesAndAdvancesTheFilePosition) {
  ASSERT_GE(setup(8), 0);
  rw(IORING_OP_READ, 1, kFileFd, kPlain, 10, ~0ull);
  EXPECT_EQ(run_one(), (C{1, 10, 0}));
  rw(IORING_OP_READ, 2, kFileFd, kPlain + 10, 10, ~0ull);
  EXPECT_EQ(run_one(), (C{2, 10, 0}));
  EXPECT_EQ(user_bytes(kPlain, 20), file->data.substr(0, 20));
  EXPECT_EQ(file->position, 20u);
}

TEST_F(RwTest, NegativeOffsetIsEINVAL) {
  ASSERT_GE(setup(8), 0);
  rw(IORING_OP_READ, 1, kFileFd, kPlain, 10, static_cast<uint64_t>(-5));
  EXPECT_EQ(run_one(), (C{1, -EINVAL, 0}));
}

TEST_F(RwTest, ReadOnWriteOnlyFdIsEBADF) {
  ASSERT_GE(setup(8), 0);
  rw(IORING_OP_READ, 1, kWriteOnlyFd, kPlain, 10, 0);
  EXPECT_EQ(run_one(), (C{1, -EBADF, 0}));
  rw(IORING_OP_WRITE, 2, kReadOnlyFd, kPlain, 10, 0);
  EXPECT_EQ(run_one(), (C{2, -EBADF, 0}));
}

TEST_F(RwTest, ReadOfADirectoryIsEISDIR) {
  ASSERT_GE(setup(8), 0);
  rw(IORING_OP_READ, 1, kDirFd, kPlain, 10, 0);
  EXPECT_EQ(run_one(), (C{1, -EISDIR, 0}));
}

TEST_F(RwTest, ReadIntoKernelAddressIsEFAULTAtPrep) {
  ASSERT_GE(setup(8), 0);
  rw(IORING_OP_READ, 1, kFileFd, 0xffff888000000000ull, 10, 0);
  EXPECT_EQ(run_one(), (C{1, -EFAULT, 0}));
  EXPECT_EQ(file->position, 0u);
}

TEST_F(RwTest, ReadIntoUnmappedMemoryIsEFAULT) {
  ASSERT_GE(setup(8), 0);
  rw(IORING_OP_READ, 1, kFileFd, 0x5000000, 10, 0);
  EXPECT_EQ(run_one(), (C{1, -EFAULT, 0}));
}

TEST_F(RwTest, ReadPartlyIntoAHoleReturnsTheBytesBeforeIt) {
  ASSERT_GE(setup(8), 0);
  // The last page of kPlain is mapped, the page after it is not.
  rw(IORING_OP_READ, 1, kFileFd, kPlain + 3 * 4096 + 96, 8192, 0);
  EXPECT_EQ(run_one(), (C{1, 4000, 0}));
  EXPECT_EQ(user_bytes(kPlain + 3 * 4096 + 96, 4000), file->data.substr(0, 4000));
}

TEST_F(RwTest, ReadIntoReadOnlyMemoryIsEFAULT) {
  ASSERT_GE(setup(8), 0);
  memory.map(0x6000000, 4096, Backing::kAnonymous, /*writable=*/false);
  rw(IORING_OP_READ, 1, kFileFd, 0x6000000, 10, 0);
  EXPECT_EQ(run_one(), (C{1, -EFAULT, 0}));
}

TEST_F(RwTest, ReadvScattersAndWritevGathers) {
  ASSERT_GE(setup(8), 0);
  put_iovecs({{kPlain, 3}, {kPlain + 100, 0}, {kPlain + 200, 5}});
  rw(IORING_OP_READV, 1, kFileFd, kIovArray, 3, 2);
  EXPECT_EQ(run_one(), (C{1, 8, 0}));
  EXPECT_EQ(user_bytes(kPlain, 3), "cde");
  EXPECT_EQ(user_bytes(kPlain + 200, 5), "fghij");

  memory.write(kPlain + 1000, "HEAD", 4);
  memory.write(kPlain + 2000, "TAIL!", 5);
  put_iovecs({{kPlain + 1000, 4}, {kPlain + 2000, 5}});
  rw(IORING_OP_WRITEV, 2, kFileFd, kIovArray, 2, 0);
  EXPECT_EQ(run_one(), (C{2, 9, 0}));
  EXPECT_EQ(file->data.substr(0, 9), "HEADTAIL!");
}

TEST_F(RwTest, ReadvIovecArrayChecks) {
  ASSERT_GE(setup(8), 0);
  rw(IORING_OP_READV, 1, kFileFd, kIovArray, 1025, 0);  // > UIO_MAXIOV
  EXPECT_EQ(run_one(), (C{1, -EINVAL, 0}));
  rw(IORING_OP_READV, 2, kFileFd, 0x5000000, 2, 0);  // array not mapped
  EXPECT_EQ(run_one(), (C{2, -EFAULT, 0}));
  put_iovecs({{kPlain, 0x8000000000000000ull}});  // negative as ssize_t
  rw(IORING_OP_READV, 3, kFileFd, kIovArray, 1, 0);
  EXPECT_EQ(run_one(), (C{3, -EINVAL, 0}));
  put_iovecs({{0xffff888000000000ull, 10}, {kPlain, 10}});  // kernel address
  rw(IORING_OP_READV, 4, kFileFd, kIovArray, 2, 0);
  EXPECT_EQ(run_one(), (C{4, -EFAULT, 0}));
  rw(IORING_OP_READV, 5, kFileFd, kIovArray, 0, 0);  // zero segments: 0
  EXPECT_EQ(run_one(), (C{5, 0, 0}));
}

TEST_F(RwTest, LinkedReadvRunsAfterItsHead) {
  // The iovecs were imported at prep; the READV itself is issued from task work.
  ASSERT_GE(setup(8), 0);
  put_iovecs({{kPlain, 4}});
  push(IORING_OP_NOP, 1, IOSQE_IO_LINK);
  rw(IORING_OP_READV, 2, kFileFd, kIovArray, 1, 0);
  EXPECT_EQ(submit(2), 2);
  auto cqes = reap();
  ASSERT_EQ(cqes.size(), 2u);
  EXPECT_EQ(cqes[1], (C{2, 4, 0}));
}

TEST_F(RwTest, PlainReadIgnoresBufIndexOn618) {
  ASSERT_GE(setup(8), 0);
  put_iovecs({{kPlain, 4}});
  rw(IORING_OP_READV, 1, kFileFd, kIovArray, 1, 0, 7);
  EXPECT_EQ(run_one(), (C{1, 4, 0}));
}

TEST_F(RwTest, FixedFileRead) {
  ASSERT_GE(setup(8), 0);
  int32_t fds[2] = {-1, kFileFd};
  memory.write(kIovArray, fds, sizeof fds);
  ASSERT_EQ(kernel.do_register(caller, kRingFd, IORING_REGISTER_FILES, kIovArray, 2), 0);
  rw(IORING_OP_READ, 1, 1, kPlain, 6, 0).flags |= IOSQE_FIXED_FILE;
  EXPECT_EQ(run_one(), (C{1, 6, 0}));
  EXPECT_EQ(user_bytes(kPlain, 6), "abcdef");
  rw(IORING_OP_READ, 2, 0, kPlain, 6, 0).flags |= IOSQE_FIXED_FILE;  // empty slot
  EXPECT_EQ(run_one(), (C{2, -EBADF, 0}));
}

TEST_F(RwTest, ReadOnAnEmptyPipeParksUntilDataArrives) {
  ASSERT_GE(setup(8), 0);
  auto pipe = std::make_shared<FakePipe>();
  files.fds[9] = pipe;
  rw(IORING_OP_READ, 1, 9, kPlain, 100, ~0ull);
  EXPECT_EQ(submit(1), 1);
  EXPECT_TRUE(reap().empty());  // parked, as Linux arms a poll
  pipe->data = "late data";
  kernel.progress(caller, ring, false);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 9, 0}}));
  EXPECT_EQ(user_bytes(kPlain, 9), "late data");
}

TEST_F(RwTest, NowaitReadOnAnEmptyPipeIsEAGAIN) {
  ASSERT_GE(setup(8), 0);
  files.fds[9] = std::make_shared<FakePipe>();
  rw(IORING_OP_READ, 1, 9, kPlain, 100, ~0ull).rw_flags = 0x8;  // RWF_NOWAIT
  EXPECT_EQ(run_one(), (C{1, -EAGAIN, 0}));
}

// --- FSYNC -----------------------------------------------------------------------

TEST_F(RwTest, FsyncAndFdatasync) {
  ASSERT_GE(setup(8), 0);
  push(IORING_OP_FSYNC, 1).fd = kFileFd;
  EXPECT_EQ(run_one(), (C{1, 0, 0}));
  EXPECT_EQ(file->syncs, 1);
  EXPECT_FALSE(file->last_sync_was_data);
  io_uring_sqe& s = push(IORING_OP_FSYNC, 2);
  s.fd = kFileFd;
  s.fsync_flags = IORING_FSYNC_DATASYNC;
  EXPECT_EQ(run_one(), (C{2, 0, 0}));
  EXPECT_TRUE(file->last_sync_was_data);
}

TEST_F(RwTest, FsyncFieldChecks) {
  ASSERT_GE(setup(8), 0);
  io_uring_sqe* s = &push(IORING_OP_FSYNC, 1);
  s->fd = kFileFd;
  s->fsync_flags = 2;
  EXPECT_EQ(run_one(), (C{1, -EINVAL, 0}));
  s = &push(IORING_OP_FSYNC, 2);
  s->fd = kFileFd;
  s->addr = 1;
  EXPECT_EQ(run_one(), (C{2, -EINVAL, 0}));
  s = &push(IORING_OP_FSYNC, 3);
  s->fd = kFileFd;
  s->buf_index = 1;
  EXPECT_EQ(run_one(), (C{3, -EINVAL, 0}));
  s = &push(IORING_OP_FSYNC, 4);
  s->fd = kFileFd;
  s->splice_fd_in = 1;
  EXPECT_EQ(run_one(), (C{4, -EINVAL, 0}));
  s = &push(IORING_OP_FSYNC, 5);
  s->fd = kFileFd;
  s->off = static_cast<uint64_t>(-1);
  EXPECT_EQ(run_one(), (C{5, -EINVAL, 0}));
  s = &push(IORING_OP_FSYNC, 6);
  s->fd = 99;
  EXPECT_EQ(run_one(), (C{6, -EBADF, 0}));
  EXPECT_EQ(file->syncs, 0);
}

// --- 5.1 -------------------------------------------------------------------------

TEST_F(RwTest51, ReadFixedWorksOn51) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(register_buffers(), 0);
  rw(IORING_OP_READ_FIXED, 1, kFileFd, kBuf + 1, 100, 0);
  EXPECT_EQ(run_one(), (C{1, 100, 0}));
  EXPECT_EQ(user_bytes(kBuf + 1, 100), file->data.substr(0, 100));
}

TEST_F(RwTest51, ReadvWithBufIndexIsEINVALOn51) {
  ASSERT_GE(setup(8), 0);
  put_iovecs({{kPlain, 4}});
  rw(IORING_OP_READV, 1, kFileFd, kIovArray, 1, 0, 1);
  EXPECT_EQ(run_one(), (C{1, -EINVAL, 0}));
}

TEST_F(RwTest51, CurrentPositionOffsetIsEINVALOn51) {
  ASSERT_GE(setup(8), 0);
  put_iovecs({{kPlain, 4}});
  rw(IORING_OP_READV, 1, kFileFd, kIovArray, 1, ~0ull);
  EXPECT_EQ(run_one(), (C{1, -EINVAL, 0}));
}

TEST_F(RwTest51, PlainReadDoesNotExistOn51) {
  ASSERT_GE(setup(8), 0);
  rw(IORING_OP_READ, 1, kFileFd, kPlain, 4, 0);
  EXPECT_EQ(run_one(), (C{1, -EINVAL, 0}));
}

TEST_F(RwTest51, OpenModeIsCheckedBeforeTheFixedBufferOn51) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(register_buffers(), 0);
  rw(IORING_OP_WRITE_FIXED, 1, kReadOnlyFd, kBuf1, 8192, 0, 1);
  EXPECT_EQ(run_one(), (C{1, -EBADF, 0}));
}

}  // namespace
}  // namespace uringsim::testing
