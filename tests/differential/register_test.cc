// io_uring_register: REGISTER_BUFFERS / UNREGISTER_BUFFERS edge cases (spec C.2),
// PROBE (spec G.1) and the common prefix (opcode, fd).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tests/differential/differential.h"

namespace uringsim::difftest {
namespace {

constexpr size_t kPage = 4096;

void* map_anon(size_t len, int prot = PROT_READ | PROT_WRITE, int flags = MAP_PRIVATE) {
  void* p = mmap(nullptr, len, prot, flags | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

// A file of `len` bytes in `dir`, mapped with `flags`; unlinked at once.
void* map_file(const std::string& dir, size_t len, int flags, const char* tag) {
  std::string path = dir + "/uringsim-diff-reg-" + std::to_string(getpid()) + "-" + tag;
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return nullptr;
  unlink(path.c_str());
  if (ftruncate(fd, len) != 0) {
    close(fd);
    return nullptr;
  }
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, flags, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return nullptr;
  memset(p, 1, len);  // populate
  return p;
}

// Registers `iovs`, records the result, unregisters on success.
void try_register(Syscalls& sys, Transcript& t, RawRing& ring, const std::string& k,
                  std::vector<iovec> iovs) {
  int r = ring.do_register(IORING_REGISTER_BUFFERS, iovs.data(), iovs.size());
  t.call(k, r, sys);
  if (r >= 0) t.call(k + ".unregister", ring.do_register(IORING_UNREGISTER_BUFFERS, nullptr, 0), sys);
}

TEST(Register, BufferEdgeCases) {
  REQUIRE_IO_URING();
  // Memory shared by both sides (the kernels only read its VMAs).
  void* anon = map_anon(5 * kPage);  // 4 pages and a PROT_NONE guard page
  mprotect(static_cast<char*>(anon) + 4 * kPage, kPage, PROT_NONE);
  void* ro = map_anon(kPage, PROT_READ);
  void* hole = map_anon(kPage);
  munmap(hole, kPage);
  void* shared_ext4 = map_file("/tmp", 2 * kPage, MAP_SHARED, "shared");
  void* private_ext4 = map_file("/tmp", 2 * kPage, MAP_PRIVATE, "private");
  void* shared_shm = map_file("/dev/shm", 2 * kPage, MAP_SHARED, "shm");
  void* shared_anon = map_anon(2 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED);
  int mfd = memfd_create("uringsim-diff", MFD_CLOEXEC);
  ASSERT_EQ(ftruncate(mfd, 2 * kPage), 0);
  void* memfd_map = mmap(nullptr, 2 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
  ASSERT_NE(memfd_map, MAP_FAILED);
  close(mfd);
  ASSERT_TRUE(anon && ro && shared_ext4 && private_ext4 && shared_shm && shared_anon);
  memset(memfd_map, 1, 2 * kPage);
  std::vector<iovec> many(16385, iovec{nullptr, 0});

  BothSides both = run_both([&](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    io_uring_params p{};
    ASSERT_GE(ring.setup(8, p), 0);
    t.call("unregister_no_table", ring.do_register(IORING_UNREGISTER_BUFFERS, nullptr, 0), sys);
    t.call("arg_null_nr1", ring.do_register(IORING_REGISTER_BUFFERS, nullptr, 1), sys);
    t.call("arg_null_nr0", ring.do_register(IORING_REGISTER_BUFFERS, nullptr, 0), sys);
    t.call("nr0", ring.do_register(IORING_REGISTER_BUFFERS, many.data(), 0), sys);
    t.call("nr16385", ring.do_register(IORING_REGISTER_BUFFERS, many.data(), 16385), sys);
    try_register(sys, t, ring, "nr16384_all_empty",
                 std::vector<iovec>(many.begin(), many.begin() + 16384));
    try_register(sys, t, ring, "null_0", {{nullptr, 0}});
    try_register(sys, t, ring, "null_8", {{nullptr, 8}});
    try_register(sys, t, ring, "p_0", {{anon, 0}});
    try_register(sys, t, ring, "p_4k", {{anon, kPage}});
    try_register(sys, t, ring, "unaligned", {{static_cast<char*>(anon) + 1, 100}});
    try_register(sys, t, ring, "over_1g", {{anon, (size_t{1} << 30) + 1}});
    try_register(sys, t, ring, "runs_past_mapping", {{anon, 5 * kPage}});
    try_register(sys, t, ring, "overflow",
                 {{reinterpret_cast<void*>(0xfffffffffffff000ull), 8192}});
    try_register(sys, t, ring, "kernel_addr",
                 {{reinterpret_cast<void*>(0xffff888000000000ull), 4096}});
    try_register(sys, t, ring, "unmapped", {{hole, kPage}});
    try_register(sys, t, ring, "low_unmapped", {{reinterpret_cast<void*>(0x1000), kPage}});
    try_register(sys, t, ring, "read_only", {{ro, kPage}});
    try_register(sys, t, ring, "shared_file_tmp_ext4", {{shared_ext4, 2 * kPage}});
    try_register(sys, t, ring, "private_file_tmp_ext4", {{private_ext4, 2 * kPage}});
    try_register(sys, t, ring, "shared_file_dev_shm", {{shared_shm, 2 * kPage}});
    try_register(sys, t, ring, "shared_anonymous", {{shared_anon, 2 * kPage}});
    try_register(sys, t, ring, "memfd", {{memfd_map, 2 * kPage}});
    // All or nothing: a bad second iovec leaves no table behind.
    try_register(sys, t, ring, "good_then_bad", {{anon, kPage}, {nullptr, 8}});
    t.call("after_good_then_bad.unregister",
           ring.do_register(IORING_UNREGISTER_BUFFERS, nullptr, 0), sys);
    // Table exists: EBUSY, checked before nr.
    iovec one{anon, kPage};
    t.call("first", ring.do_register(IORING_REGISTER_BUFFERS, &one, 1), sys);
    t.call("again_ebusy", ring.do_register(IORING_REGISTER_BUFFERS, &one, 1), sys);
    t.call("again_nr0", ring.do_register(IORING_REGISTER_BUFFERS, &one, 0), sys);
    t.call("again_nr20000", ring.do_register(IORING_REGISTER_BUFFERS, &one, 20000), sys);
    t.call("again_arg_null", ring.do_register(IORING_REGISTER_BUFFERS, nullptr, 1), sys);
    t.call("unregister_with_arg", ring.do_register(IORING_UNREGISTER_BUFFERS, &one, 0), sys);
    t.call("unregister_with_nr", ring.do_register(IORING_UNREGISTER_BUFFERS, nullptr, 1), sys);
    t.call("unregister", ring.do_register(IORING_UNREGISTER_BUFFERS, nullptr, 0), sys);
    t.call("unregister_twice", ring.do_register(IORING_UNREGISTER_BUFFERS, nullptr, 0), sys);
    t.call("reregister", ring.do_register(IORING_REGISTER_BUFFERS, &one, 1), sys);
  });
  EXPECT_EQ(both.linux.get("arg_null_nr0"), "-14 (EFAULT)");
  EXPECT_EQ(both.linux.get("nr16385"), "-22 (EINVAL)");
  EXPECT_EQ(both.linux.get("shared_file_tmp_ext4"), "-14 (EFAULT)");
  EXPECT_EQ(both.linux.get("private_file_tmp_ext4"), "0");
  EXPECT_EQ(both.linux.get("again_nr0"), "-16 (EBUSY)");
  EXPECT_EQ(both.linux.get("overflow"), "-75 (EOVERFLOW)");

  munmap(anon, 5 * kPage);
  munmap(ro, kPage);
  munmap(shared_ext4, 2 * kPage);
  munmap(private_ext4, 2 * kPage);
  munmap(shared_shm, 2 * kPage);
  munmap(shared_anon, 2 * kPage);
  munmap(memfd_map, 2 * kPage);
}

TEST(Register, CommonPrefix) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    io_uring_params p{};
    ASSERT_GE(ring.setup(8, p), 0);
    // Opcode range is checked before the fd.
    t.call("op9999_bad_fd", sys.do_register(-1, 9999, nullptr, 200), sys);
    t.call("op_last", ring.do_register(IORING_REGISTER_LAST, nullptr, 0), sys);
    t.call("bad_fd", sys.do_register(9999, IORING_UNREGISTER_BUFFERS, nullptr, 0), sys);
    t.call("fd_minus1", sys.do_register(-1, IORING_UNREGISTER_BUFFERS, nullptr, 0), sys);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    t.call("not_a_ring", sys.do_register(devnull, IORING_UNREGISTER_BUFFERS, nullptr, 0), sys);
    close(devnull);
  });
}

// PROBE: the sim answers "supported" only for the ops it simulates (op_is_simulated:
// the model's op table); the others are compared for op number only and listed.
TEST(Register, Probe) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    io_uring_params p{};
    ASSERT_GE(ring.setup(8, p), 0);
    std::vector<unsigned char> buf(sizeof(io_uring_probe) + 300 * sizeof(io_uring_probe_op));
    auto* probe = reinterpret_cast<io_uring_probe*>(buf.data());
    auto probe_case = [&](const std::string& k, uint32_t nr, bool record_ops) {
      t.call(k, ring.do_register(IORING_REGISTER_PROBE, probe, nr), sys);
      t.note(k + ".last_op", probe->last_op);
      t.note(k + ".ops_len", probe->ops_len);
      if (!record_ops) return;
      std::string sim_ops, not_compared;
      for (int i = 0; i < probe->ops_len; ++i) {
        const io_uring_probe_op& o = probe->ops[i];
        std::string row = std::to_string(o.op);
        if (op_is_simulated(static_cast<uint8_t>(i))) {
          row += (o.flags & IO_URING_OP_SUPPORTED) ? "+" : "-";
          sim_ops += row + " ";
        } else {
          not_compared += row + " ";
        }
      }
      t.note_str(k + ".simulated_ops", sim_ops);
      t.note_str(k + ".other_ops(number only)", not_compared);
    };
    memset(buf.data(), 0, buf.size());
    probe_case("nr256", 256, true);
    memset(buf.data(), 0, buf.size());
    probe_case("nr0", 0, false);
    memset(buf.data(), 0, buf.size());
    probe_case("nr4", 4, true);
    memset(buf.data(), 0, buf.size());
    probe_case("nr257", 257, false);
    memset(buf.data(), 0, buf.size());
    t.call("arg_null", ring.do_register(IORING_REGISTER_PROBE, nullptr, 4), sys);
    buf[2] = 1;  // resv
    t.call("resv_nonzero", ring.do_register(IORING_REGISTER_PROBE, probe, 4), sys);
    memset(buf.data(), 0, buf.size());
    buf[sizeof(io_uring_probe) + 3 * sizeof(io_uring_probe_op) + 2] = 1;  // ops[3].flags
    t.call("op3_nonzero", ring.do_register(IORING_REGISTER_PROBE, probe, 4), sys);
    memset(buf.data(), 0, buf.size());
    buf[sizeof(io_uring_probe) + 4 * sizeof(io_uring_probe_op)] = 1;  // beyond nr: unchecked
    t.call("beyond_nr_nonzero", ring.do_register(IORING_REGISTER_PROBE, probe, 4), sys);
    t.call("fd_minus1", sys.do_register(-1, IORING_REGISTER_PROBE, probe, 4), sys);
  });
  std::string not_simulated;
  for (int op = 0; op < IORING_OP_LAST; ++op) {
    if (!op_is_simulated(static_cast<uint8_t>(op))) not_simulated += " " + std::to_string(op);
  }
  printf("[   NOTE   ] PROBE: SUPPORTED compared for simulated ops; not simulated:%s\n",
         not_simulated.empty() ? " (none)" : not_simulated.c_str());
  EXPECT_EQ(both.linux.get("nr256.last_op"), "62");
  EXPECT_EQ(both.linux.get("nr256.ops_len"), "63");
}

}  // namespace
}  // namespace uringsim::difftest
