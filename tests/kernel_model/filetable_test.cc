// The registered file table: IORING_REGISTER_FILES2, FILES_UPDATE (6), FILES_UPDATE2 (14),
// FILE_ALLOC_RANGE (25), sparse tables, tags and IORING_OP_FILES_UPDATE (20), as Linux
// 6.18 answers them (io_uring/rsrc.c, filetable.c).
#include <cerrno>
#include <string>
#include <vector>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

using C = RingFixture::SimpleCqe;
constexpr uint64_t kArg = 0x20000;   // the struct
constexpr uint64_t kFds = 0x21000;   // s32 fds
constexpr uint64_t kTags = 0x22000;  // u64 tags

class FileTableTest : public RingFixture {
 public:
  FileTableTest() {
    memory.map(kArg, 3 * 4096);
    for (int fd : {0, 1, 2, 3}) files.add(fd, std::make_shared<FakeFile>("file" + std::to_string(fd)));
  }
  int64_t reg(uint32_t opcode, uint64_t arg, uint32_t nr) { return kernel.do_register(caller, kRingFd, opcode, arg, nr); }
  const std::string& why() { return kernel.last_fault().reason; }
  void fds(std::vector<int32_t> v) { memory.write(kFds, v.data(), v.size() * 4); }
  void tags(std::vector<uint64_t> v) { memory.write(kTags, v.data(), v.size() * 8); }
  std::vector<int32_t> read_fds(size_t n) {
    std::vector<int32_t> v(n);
    memory.read(kFds, v.data(), n * 4);
    return v;
  }
  int64_t files2(uint32_t nr, uint64_t data, uint64_t tag_addr = 0, uint32_t flags = 0) {
    io_uring_rsrc_register rr{};
    rr.nr = nr;
    rr.flags = flags;
    rr.data = data;
    rr.tags = tag_addr;
    memory.write(kArg, &rr, sizeof rr);
    return reg(IORING_REGISTER_FILES2, kArg, sizeof rr);
  }
  int64_t update(uint32_t offset, uint32_t nr) {
    io_uring_rsrc_update up{};
    up.offset = offset;
    up.data = kFds;
    memory.write(kArg, &up, sizeof up);
    return reg(IORING_REGISTER_FILES_UPDATE, kArg, nr);
  }
  int64_t update2(uint32_t offset, uint32_t nr, uint64_t tag_addr = 0) {
    io_uring_rsrc_update2 up{};
    up.offset = offset;
    up.data = kFds;
    up.tags = tag_addr;
    up.nr = nr;
    memory.write(kArg, &up, sizeof up);
    return reg(IORING_REGISTER_FILES_UPDATE2, kArg, sizeof up);
  }
  int64_t alloc_range(uint32_t off, uint32_t len, uint64_t resv = 0) {
    io_uring_file_index_range r{off, len, resv};
    memory.write(kArg, &r, sizeof r);
    return reg(IORING_REGISTER_FILE_ALLOC_RANGE, kArg, 0);
  }
  io_uring_sqe& files_update_sqe(uint64_t ud, uint64_t off, uint32_t len) {
    io_uring_sqe& s = push(IORING_OP_FILES_UPDATE, ud);
    s.fd = -1;
    s.off = off;
    s.addr = kFds;
    s.len = len;
    return s;
  }
  bool slot_has_file(uint32_t i) { return kernel.context(ring)->fixed_files().find(i) != nullptr; }
};

TEST_F(FileTableTest, Files2ArgumentChecks) {
  ASSERT_GE(setup(8), 0);
  io_uring_rsrc_register rr{};
  memory.write(kArg, &rr, sizeof rr);
  EXPECT_EQ(reg(IORING_REGISTER_FILES2, kArg, sizeof rr - 1), -EINVAL);
  EXPECT_EQ(reg(IORING_REGISTER_FILES2, kArg, sizeof rr), -EINVAL);  // nr 0
  EXPECT_EQ(reg(IORING_REGISTER_FILES2, 0, sizeof rr), -EFAULT);
  EXPECT_EQ(files2(4, kFds, 0, 2), -EINVAL);
  EXPECT_EQ(files2(4, kFds, 0, IORING_RSRC_REGISTER_SPARSE), -EINVAL);
  fds({0, 1, 2, -1});
  tags({0, 11, 0, 5});
  EXPECT_EQ(files2(4, kFds, kTags), -EINVAL);  // a tag on an empty slot
  EXPECT_NE(why().find("tag"), std::string::npos) << why();
  fds({0, 1, 2, -2});
  EXPECT_EQ(files2(4, kFds), -EBADF);  // only -1 is an empty slot at registration
  fds({0, 1, 2, -1});
  EXPECT_EQ(files2(4, kFds, 8), -EFAULT);
  EXPECT_EQ(files2((1u << 20) + 1, 0, 0, IORING_RSRC_REGISTER_SPARSE), -EMFILE);
  EXPECT_EQ(reap(), (std::vector<C>{}));  // failed registrations post no tags
  tags({0, 11, 0, 0});
  EXPECT_EQ(files2(4, kFds, kTags), 0);
  EXPECT_EQ(files2(4, kFds, kTags), -EBUSY);
}

TEST_F(FileTableTest, SparseTables) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(files2(4, 0, 0, IORING_RSRC_REGISTER_SPARSE), 0);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_FALSE(slot_has_file(i));
  EXPECT_EQ(reg(IORING_UNREGISTER_FILES, 0, 0), 0);
  EXPECT_EQ(files2(2, 0), 0);  // data 0 without SPARSE: empty slots too
  EXPECT_EQ(reg(IORING_UNREGISTER_FILES, 0, 0), 0);
  EXPECT_EQ(reg(IORING_REGISTER_FILES, 0, 2), -EFAULT);  // the old call needs an array
}

TEST_F(FileTableTest, UpdateReplacesClearsSkipsAndPostsTags) {
  ASSERT_GE(setup(8), 0);
  fds({0, 1, 2, -1});
  tags({0, 11, 0, 0});
  ASSERT_EQ(files2(4, kFds, kTags), 0);
  EXPECT_EQ(reg(IORING_REGISTER_FILES_UPDATE, kArg, 0), -EINVAL);
  fds({1, -1, IORING_REGISTER_FILES_SKIP});
  EXPECT_EQ(update(3, 2), -EINVAL);          // past the table
  EXPECT_EQ(update(0xffffffffu, 2), -EOVERFLOW);
  EXPECT_EQ(update(1, 3), 3);
  EXPECT_EQ(reap(), (std::vector<C>{{11, 0, 0}}));
  EXPECT_TRUE(slot_has_file(1));
  EXPECT_FALSE(slot_has_file(2));
  EXPECT_FALSE(slot_has_file(3));
}

TEST_F(FileTableTest, UpdateStopsAtTheFirstBadEntry) {
  ASSERT_GE(setup(8), 0);
  fds({0, 1, 2, 3});
  ASSERT_EQ(files2(4, kFds), 0);
  fds({kRingFd});
  EXPECT_EQ(update(0, 1), -EBADF);
  EXPECT_FALSE(slot_has_file(0));  // the old file left before the new one was refused
  fds({0, 999});
  EXPECT_EQ(update(0, 2), 1);
  EXPECT_TRUE(slot_has_file(0));
  EXPECT_FALSE(slot_has_file(1));
  io_uring_rsrc_update up{};
  up.data = 8;
  memory.write(kArg, &up, sizeof up);
  EXPECT_EQ(reg(IORING_REGISTER_FILES_UPDATE, kArg, 1), -EFAULT);
  up.data = kFds;
  up.resv = 1;
  memory.write(kArg, &up, sizeof up);
  EXPECT_EQ(reg(IORING_REGISTER_FILES_UPDATE, kArg, 1), -EINVAL);
}

TEST_F(FileTableTest, Update2WithTags) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(files2(4, 0, 0, IORING_RSRC_REGISTER_SPARSE), 0);
  io_uring_rsrc_update2 up{};
  memory.write(kArg, &up, sizeof up);
  EXPECT_EQ(reg(IORING_REGISTER_FILES_UPDATE2, kArg, sizeof up + 1), -EINVAL);
  EXPECT_EQ(reg(IORING_REGISTER_FILES_UPDATE2, kArg, sizeof up), -EINVAL);  // nr 0
  fds({2, IORING_REGISTER_FILES_SKIP});
  tags({77, 0});
  EXPECT_EQ(update2(0, 2, kTags), 2);
  EXPECT_EQ(reap(), (std::vector<C>{}));
  tags({77, 3});  // a tag on SKIP is refused, after slot 0 was replaced again
  EXPECT_EQ(update2(0, 2, kTags), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{77, 0, 0}}));
  EXPECT_EQ(reg(IORING_UNREGISTER_FILES, 0, 0), 0);
  EXPECT_EQ(reap(), (std::vector<C>{{77, 0, 0}}));
}

TEST_F(FileTableTest, UnregisterPostsTagsFromTheLastSlotDown) {
  ASSERT_GE(setup(8), 0);
  fds({0, 1, 2});
  tags({100, 101, 102});
  ASSERT_EQ(files2(3, kFds, kTags), 0);
  EXPECT_EQ(reg(IORING_UNREGISTER_FILES, 0, 0), 0);
  EXPECT_EQ(reap(), (std::vector<C>{{102, 0, 0}, {101, 0, 0}, {100, 0, 0}}));
}

TEST_F(FileTableTest, NoTableErrors) {
  ASSERT_GE(setup(8), 0);
  fds({0});
  EXPECT_EQ(update(0, 1), -ENXIO);
  EXPECT_EQ(alloc_range(0, 1), -EINVAL);
  EXPECT_EQ(alloc_range(0, 0), 0);
  files_update_sqe(8, IORING_FILE_INDEX_ALLOC, 1);
  files_update_sqe(9, 0, 1);
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(reap(), (std::vector<C>{{8, -ENXIO, 0}, {9, -ENXIO, 0}}));
}

TEST_F(FileTableTest, AllocRangeChecks) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(files2(4, 0, 0, IORING_RSRC_REGISTER_SPARSE), 0);
  EXPECT_EQ(reg(IORING_REGISTER_FILE_ALLOC_RANGE, kArg, 1), -EINVAL);
  EXPECT_EQ(reg(IORING_REGISTER_FILE_ALLOC_RANGE, 0, 0), -EINVAL);
  EXPECT_EQ(alloc_range(2, 3), -EINVAL);
  EXPECT_EQ(alloc_range(0xffffffffu, 2), -EOVERFLOW);
  EXPECT_EQ(alloc_range(1, 2, 1), -EINVAL);
  EXPECT_EQ(alloc_range(3, 1), 0);
}

TEST_F(FileTableTest, OpFilesUpdateAllocatesInTheRangeAndWritesSlotsBack) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(files2(4, 0, 0, IORING_RSRC_REGISTER_SPARSE), 0);
  ASSERT_EQ(alloc_range(2, 2), 0);
  fds({0, 1, 2});
  files_update_sqe(10, IORING_FILE_INDEX_ALLOC, 3);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{10, 2, 0}}));  // two slots, then ENFILE
  EXPECT_EQ(read_fds(3), (std::vector<int32_t>{2, 3, 2}));
  ASSERT_EQ(alloc_range(0, 0), 0);
  fds({0});
  files_update_sqe(11, IORING_FILE_INDEX_ALLOC, 1);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{11, -ENFILE, 0}}));
}

TEST_F(FileTableTest, AllocationHintStaysInsideTheRange) {
  ASSERT_GE(setup(8), 0);
  fds({0, 1, 2, -1});
  ASSERT_EQ(files2(4, kFds), 0);
  ASSERT_EQ(alloc_range(3, 1), 0);
  fds({-1});
  ASSERT_EQ(update(1, 1), 1);  // slot 1 freed: the hint drops below the range
  fds({3});
  files_update_sqe(1, IORING_FILE_INDEX_ALLOC, 1);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 1, 0}}));
  EXPECT_EQ(read_fds(1), (std::vector<int32_t>{3}));
}

TEST_F(FileTableTest, OpFilesUpdatePrep) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(files2(2, 0, 0, IORING_RSRC_REGISTER_SPARSE), 0);
  fds({0});
  files_update_sqe(1, 1, 0);
  files_update_sqe(2, 1, 1).flags = IOSQE_FIXED_FILE;
  files_update_sqe(3, 1, 1).rw_flags = 1;
  files_update_sqe(4, 1, 1).ioprio = 1;
  files_update_sqe(5, 1, 1).splice_fd_in = 1;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EINVAL, 0}, {2, -EINVAL, 0}, {3, -EINVAL, 0}, {4, -EINVAL, 0}, {5, -EINVAL, 0}}));
  io_uring_sqe& s = files_update_sqe(6, 1, 1);
  s.fd = 5;  // fd and buf_index are ignored
  s.buf_index = 3;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{6, 1, 0}}));
  EXPECT_TRUE(slot_has_file(1));
  fds({-1});
  files_update_sqe(7, 1, 1);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{7, 1, 0}}));
  EXPECT_FALSE(slot_has_file(1));
}

TEST_F(FileTableTest, RegisteredFileWorksWithFixedFileReads) {
  ASSERT_GE(setup(8), 0);
  ASSERT_EQ(files2(2, 0, 0, IORING_RSRC_REGISTER_SPARSE), 0);
  fds({3});
  ASSERT_EQ(update(1, 1), 1);
  memory.map(0x30000, 4096);
  io_uring_sqe& s = push(IORING_OP_READ, 1, IOSQE_FIXED_FILE);
  s.fd = 1;
  s.addr = 0x30000;
  s.len = 5;
  io_uring_sqe& t = push(IORING_OP_READ, 2, IOSQE_FIXED_FILE);
  t.fd = 0;
  t.addr = 0x30000;
  t.len = 5;
  EXPECT_EQ(submit(2), 2);
  EXPECT_EQ(reap(), (std::vector<C>{{1, 5, 0}, {2, -EBADF, 0}}));
}

}  // namespace
}  // namespace uringsim::testing
