// READV_FIXED (60) / WRITEV_FIXED (61) on real files in /tmp: an iovec array whose
// entries must all lie inside the one registered buffer buf_index names (spec C.4).
// Each side gets its own freshly written file; results, bytes read and the file
// contents afterwards must be identical.
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "tests/differential/differential.h"
#include "tests/differential/test_files.h"

namespace uringsim::difftest {
namespace {

constexpr size_t kFileSize = PatternFile::kSize;

void vectored_fixed_scenario(Syscalls& sys, Transcript& t) {
  PatternFile f("/tmp", sys.name());
  GuardedPages mem(4 * 4096);    // buffer 0: [0, 8192), buffer 1: [8192, 12288), then plain memory
  RawRing ring(sys);
  io_uring_params p{};
  ASSERT_GE(ring.setup(8, p), 0);
  std::vector<iovec> iov(1100);

  // Submits one vectored-fixed SQE over iov[0..nr) and records its CQE.
  auto one = [&](const std::string& k, uint8_t op, int fd, uint32_t nr, uint64_t off, uint16_t idx,
                 const std::function<void(io_uring_sqe*)>& tweak = nullptr) {
    if (op == IORING_OP_READV_FIXED) memset(mem.p, 0xa5, mem.len);
    io_uring_sqe* s = ring.next_sqe();
    prep_rw(s, op, fd, reinterpret_cast<uint64_t>(iov.data()), nr, off, 0x77);
    s->buf_index = idx;
    if (tweak) tweak(s);
    t.call(k + ".enter", ring.enter(1, 1, IORING_ENTER_GETEVENTS), sys);
    t.cqes(k, ring.reap());
    if (op == IORING_OP_READV_FIXED) {
      t.note_str(k + ".bytes", mem.summary());
    } else {
      t.note_str(k + ".file", f.contents());
    }
  };
  const uint8_t R = IORING_OP_READV_FIXED, W = IORING_OP_WRITEV_FIXED;

  iov[0] = {mem.at(0), 100};
  one("rvf_no_table", R, f.rw, 1, 0, 0);

  iovec regs[3] = {{mem.at(0), 8192}, {mem.at(8192), 4096}, {nullptr, 0}};
  t.call("register", ring.do_register(IORING_REGISTER_BUFFERS, regs, 3), sys);

  iov[0] = {mem.at(100), 10};
  iov[1] = {mem.at(4096), 500};
  iov[2] = {mem.at(0), 3};
  one("rvf_three", R, f.rw, 3, 7, 0);
  one("rvf_cur_pos", R, f.rw, 3, static_cast<uint64_t>(-1), 0);
  t.note("rvf_cur_pos.pos", lseek(f.rw, 0, SEEK_CUR));
  one("rvf_near_eof", R, f.rw, 3, kFileSize - 200, 0);
  one("rvf_past_eof", R, f.rw, 3, kFileSize + 1, 0);
  one("rvf_zero_iovecs", R, f.rw, 0, 0, 0);
  one("rvf_bad_index", R, f.rw, 3, 0, 3);
  one("rvf_empty_slot", R, f.rw, 3, 0, 2);
  one("rvf_wrong_buffer", R, f.rw, 3, 0, 1);
  iov[0] = {mem.at(0), 8192};
  one("rvf_whole_buf0", R, f.rw, 1, 0, 0);
  iov[0] = {mem.at(1), 8192};
  one("rvf_one_byte_over", R, f.rw, 1, 0, 0);
  iov[0] = {mem.at(8192), 10};
  iov[1] = {mem.at(8191), 10};
  one("rvf_second_before_start", R, f.rw, 2, 0, 1);
  iov[0] = {mem.at(8192), 10};
  iov[1] = {mem.at(8200), 0};
  one("rvf_zero_len_iovec", R, f.rw, 2, 0, 1);
  iov[0] = {mem.at(12288), 10};  // plain memory after buffer 1
  one("rvf_plain_memory", R, f.rw, 1, 0, 1);
  iov[0] = {nullptr, 10};
  one("rvf_null_base", R, f.rw, 1, 0, 0);
  iov[0] = {mem.at(0), static_cast<size_t>(-1)};
  one("rvf_negative_len", R, f.rw, 1, 0, 0);
  one("rvf_uio_maxiov_plus1", R, f.rw, 1025, 0, 0);
  one("rvf_huge_count", R, f.rw, 262145, 0, 0);
  one("rvf_bad_array", R, f.rw, 1, 0, 0, [](io_uring_sqe* s) { s->addr = 0x1000; });
  iov[0] = {mem.at(0), 10};
  one("rvf_buffer_select", R, f.rw, 1, 0, 0, [](io_uring_sqe* s) { s->flags |= IOSQE_BUFFER_SELECT; });
  one("rvf_bad_fd", R, 9999, 1, 0, 0);
  one("rvf_rw_flags", R, f.rw, 1, 0, 0, [](io_uring_sqe* s) { s->rw_flags = 0x40000000; });
  // Overlapping iovecs adding up to more than the buffer: 1024 x 8 KiB = 8 MiB.
  for (size_t i = 0; i < 1024; ++i) iov[i] = {mem.at(0), 8192};
  one("rvf_1024_overlapping", R, f.rw, 1024, 0, 0);

  // Writes.
  memset(mem.at(0), 0x11, 8192);
  memset(mem.at(8192), 0x22, 4096);
  iov[0] = {mem.at(8192), 4096};
  iov[1] = {mem.at(10), 30};
  one("wvf_wrong_buffer", W, f.rw, 2, 0, 1);
  iov[0] = {mem.at(9000), 100};
  iov[1] = {mem.at(8192), 4096};
  one("wvf_two", W, f.rw, 2, 500, 1);
  one("wvf_extends", W, f.rw, 2, kFileSize - 50, 1);
  one("wvf_ro_fd", W, f.ro, 2, 0, 1);
  iov[0] = {mem.at(12288), 4};
  one("wvf_ro_fd_and_bad_range", W, f.ro, 1, 0, 1);
  t.counters("end", ring);
}

TEST(VectoredFixed, ReadvWritevFixedOnTmpFiles) {
  REQUIRE_IO_URING();
  BothSides both = run_both(vectored_fixed_scenario);
  // Pins of spec C.4 as Linux answers them.
  EXPECT_EQ(both.linux.get("rvf_zero_len_iovec.cqes"), "{ud=119 res=-14 f=0x0}");
  EXPECT_EQ(both.linux.get("rvf_wrong_buffer.cqes"), "{ud=119 res=-14 f=0x0}");
  EXPECT_EQ(both.linux.get("rvf_three.cqes"), "{ud=119 res=513 f=0x0}");
}

}  // namespace
}  // namespace uringsim::difftest
