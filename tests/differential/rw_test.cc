// READ / WRITE / READV / WRITEV / READ_FIXED / WRITE_FIXED on real files in /tmp
// (the host's root filesystem) and /dev/shm (tmpfs). Each side gets its own freshly
// written files with the same contents; results, bytes read and the file contents
// afterwards must be identical.
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "tests/differential/differential.h"
#include "tests/differential/test_files.h"

namespace uringsim::difftest {
namespace {

constexpr size_t kFileSize = PatternFile::kSize;

// One SQE, submitted and waited for (regular files complete inline or via io-wq; the
// wait covers both).
void one(Syscalls& sys, Transcript& t, RawRing& ring, const std::string& k,
         void (*fill)(io_uring_sqe*, void*), void* ctx) {
  io_uring_sqe* s = ring.next_sqe();
  fill(s, ctx);
  s->user_data = 0x77;
  t.call(k + ".enter", ring.enter(1, 1, IORING_ENTER_GETEVENTS), sys);
  t.cqes(k, ring.reap());
}

struct Ctx {
  PatternFile* f;
  GuardedPages* mem;
  uint64_t addr;
  uint32_t len;
  uint64_t off;
  int fd;
  uint16_t buf_index;
  iovec iov[3];
};

void fill_rw(io_uring_sqe* s, uint8_t op, void* vc) {
  auto* c = static_cast<Ctx*>(vc);
  prep_rw(s, op, c->fd, c->addr, c->len, c->off, 0);
  s->buf_index = c->buf_index;
}

void rw_scenario(Syscalls& sys, Transcript& t, const std::string& dir) {
  PatternFile f(dir, sys.name());
  GuardedPages mem(3 * 4096);
  RawRing ring(sys);
  io_uring_params p{};
  ASSERT_GE(ring.setup(8, p), 0);
  Ctx c{};
  c.f = &f;
  c.mem = &mem;

  auto read_case = [&](const std::string& k, int fd, uint64_t off, uint32_t len,
                       uint64_t addr_off = 0) {
    memset(mem.p, 0xa5, mem.len);
    c.fd = fd;
    c.off = off;
    c.len = len;
    c.addr = mem.addr(addr_off);
    one(sys, t, ring, k, [](io_uring_sqe* s, void* v) { fill_rw(s, IORING_OP_READ, v); }, &c);
    t.note_str(k + ".bytes", mem.summary());
    t.note(k + ".pos", lseek(fd, 0, SEEK_CUR));
  };
  read_case("read_4k_at_0", f.rw, 0, 4096);
  read_case("read_unaligned", f.rw, 333, 5000, 17);
  read_case("read_near_eof", f.rw, kFileSize - 1000, 4096);
  read_case("read_at_eof", f.rw, kFileSize, 4096);
  read_case("read_past_eof", f.rw, kFileSize + 5000, 4096);
  read_case("read_len0", f.rw, 0, 0);
  read_case("read_cur_pos_1", f.rw, static_cast<uint64_t>(-1), 3000);
  read_case("read_cur_pos_2", f.rw, static_cast<uint64_t>(-1), 3000);
  read_case("read_ro_fd", f.ro, 10, 100);
  read_case("read_wo_fd", f.wo, 10, 100);
  read_case("read_bad_fd", 9999, 0, 100);
  read_case("read_negative_fd", -1, 0, 100);
  // A buffer that runs off the end of the mapping.
  read_case("read_buffer_unmapped_tail", f.rw, 0, 8192, 3 * 4096 - 100);
  c.fd = f.rw;
  c.addr = 0x1000;  // never mapped
  c.len = 100;
  c.off = 0;
  one(sys, t, ring, "read_to_unmapped",
      [](io_uring_sqe* s, void* v) { fill_rw(s, IORING_OP_READ, v); }, &c);

  auto write_case = [&](const std::string& k, int fd, uint64_t off, uint32_t len, uint8_t byte) {
    memset(mem.p, byte, mem.len);
    c.fd = fd;
    c.off = off;
    c.len = len;
    c.addr = mem.addr();
    one(sys, t, ring, k, [](io_uring_sqe* s, void* v) { fill_rw(s, IORING_OP_WRITE, v); }, &c);
    t.note_str(k + ".file", f.contents());
    t.note(k + ".pos", lseek(fd, 0, SEEK_CUR));
  };
  write_case("write_100_at_50", f.rw, 50, 100, 0x11);
  write_case("write_ro_fd", f.ro, 0, 10, 0x22);
  write_case("write_wo_fd", f.wo, 200, 10, 0x33);
  write_case("write_extends", f.rw, kFileSize - 10, 100, 0x44);
  lseek(f.rw, 500, SEEK_SET);
  write_case("write_cur_pos", f.rw, static_cast<uint64_t>(-1), 64, 0x55);
  write_case("write_bad_fd", 9999, 0, 10, 0x66);

  // Vectored.
  memset(mem.p, 0xa5, mem.len);
  c.iov[0] = {mem.at(10), 100};
  c.iov[1] = {mem.at(4096), 0};
  c.iov[2] = {mem.at(5000), 3000};
  c.fd = f.rw;
  c.addr = reinterpret_cast<uint64_t>(c.iov);
  c.len = 3;
  c.off = 20;
  one(sys, t, ring, "readv3", [](io_uring_sqe* s, void* v) { fill_rw(s, IORING_OP_READV, v); },
      &c);
  t.note_str("readv3.bytes", mem.summary());
  c.len = 0;
  one(sys, t, ring, "readv0", [](io_uring_sqe* s, void* v) { fill_rw(s, IORING_OP_READV, v); },
      &c);
  c.len = 2;
  c.off = 7000;
  one(sys, t, ring, "writev2",
      [](io_uring_sqe* s, void* v) { fill_rw(s, IORING_OP_WRITEV, v); }, &c);
  t.note_str("writev2.file", f.contents());
  c.addr = 0x1000;
  one(sys, t, ring, "readv_bad_iov_ptr",
      [](io_uring_sqe* s, void* v) { fill_rw(s, IORING_OP_READV, v); }, &c);
  c.addr = reinterpret_cast<uint64_t>(c.iov);
  c.fd = f.ro;
  one(sys, t, ring, "writev_ro_fd",
      [](io_uring_sqe* s, void* v) { fill_rw(s, IORING_OP_WRITEV, v); }, &c);

  // Fixed buffers. First with no table at all.
  c.fd = f.rw;
  c.addr = mem.addr();
  c.len = 100;
  c.off = 0;
  c.buf_index = 0;
  one(sys, t, ring, "read_fixed_no_table",
      [](io_uring_sqe* s, void* v) { fill_rw(s, IORING_OP_READ_FIXED, v); }, &c);

  iovec regs[3] = {{mem.at(0), 8192}, {mem.at(8192), 4096}, {nullptr, 0}};
  t.call("register", ring.do_register(IORING_REGISTER_BUFFERS, regs, 3), sys);

  auto fixed = [&](const std::string& k, uint8_t op, uint16_t idx, uint64_t addr, uint32_t len,
                   uint64_t off) {
    if (op == IORING_OP_READ_FIXED) memset(mem.p, 0xa5, mem.len);
    c.fd = f.rw;
    c.buf_index = idx;
    c.addr = addr;
    c.len = len;
    c.off = off;
    one(sys, t, ring, k,
        op == IORING_OP_READ_FIXED
            ? +[](io_uring_sqe* s, void* v) { fill_rw(s, IORING_OP_READ_FIXED, v); }
            : +[](io_uring_sqe* s, void* v) { fill_rw(s, IORING_OP_WRITE_FIXED, v); },
        &c);
    if (op == IORING_OP_READ_FIXED) {
      t.note_str(k + ".bytes", mem.summary());
    } else {
      t.note_str(k + ".file", f.contents());
    }
  };
  const uint8_t R = IORING_OP_READ_FIXED, W = IORING_OP_WRITE_FIXED;
  fixed("rf_whole_buf0", R, 0, mem.addr(), 8192, 0);
  fixed("rf_whole_buf1", R, 1, mem.addr(8192), 4096, 100);
  fixed("rf_exact_end_len0", R, 0, mem.addr(8192), 0, 0);
  fixed("rf_len0_inside", R, 0, mem.addr(100), 0, 0);
  fixed("rf_one_byte_over", R, 0, mem.addr(1), 8192, 0);
  fixed("rf_tail_exact", R, 0, mem.addr(8000), 192, 0);
  fixed("rf_tail_plus1", R, 0, mem.addr(8000), 193, 0);
  fixed("rf_before_start", R, 1, mem.addr(8191), 10, 0);
  fixed("rf_addr0", R, 0, 0, 100, 0);
  fixed("rf_bad_index3", R, 3, mem.addr(), 100, 0);
  fixed("rf_bad_index65535", R, 65535, mem.addr(), 100, 0);
  fixed("rf_empty_slot", R, 2, mem.addr(), 100, 0);
  fixed("rf_wrong_buffer", R, 1, mem.addr(), 100, 0);
  fixed("rf_cur_pos", R, 0, mem.addr(), 1000, static_cast<uint64_t>(-1));
  fixed("rf_past_eof", R, 0, mem.addr(), 1000, kFileSize + 1);
  memset(mem.at(8192), 0x99, 4096);
  fixed("wf_buf1", W, 1, mem.addr(8192), 4096, 3000);
  fixed("wf_over", W, 1, mem.addr(8192), 4097, 0);
  c.fd = f.ro;
  c.buf_index = 0;
  c.addr = mem.addr();
  c.len = 10;
  one(sys, t, ring, "wf_ro_fd",
      [](io_uring_sqe* s, void* v) { fill_rw(s, IORING_OP_WRITE_FIXED, v); }, &c);
  c.fd = 9999;
  one(sys, t, ring, "rf_bad_fd",
      [](io_uring_sqe* s, void* v) { fill_rw(s, IORING_OP_READ_FIXED, v); }, &c);
  t.counters("end", ring);
}

TEST(ReadWrite, TmpFiles) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) { rw_scenario(sys, t, "/tmp"); });
  EXPECT_EQ(both.linux.get("read_wo_fd.cqes"), "{ud=119 res=-9 f=0x0}");
  EXPECT_EQ(both.linux.get("rf_addr0.cqes"), "{ud=119 res=-14 f=0x0}");
  EXPECT_EQ(both.linux.get("rf_exact_end_len0.cqes"), "{ud=119 res=0 f=0x0}");
}

TEST(ReadWrite, DevShmFiles) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) { rw_scenario(sys, t, "/dev/shm"); });
}

}  // namespace
}  // namespace uringsim::difftest
