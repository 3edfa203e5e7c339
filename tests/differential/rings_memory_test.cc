// Ring memory beyond the mmap-at-setup model: IORING_REGISTER_RESIZE_RINGS (pending
// SQEs and CQEs carried over, errnos, params written back), IORING_SETUP_NO_MMAP
// (rings in the caller's pages: address checks, offsets, a NOP through them) and
// IORING_REGISTER_MEM_REGION with registered wait arguments (IORING_ENTER_EXT_ARG_REG).
//
// RawRing maps its rings once at setup, so these scenarios keep their own view of the
// rings (the client's pages for NO_MMAP, a fresh mmap after a resize).
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "tests/differential/differential.h"

namespace uringsim::difftest {
namespace {

constexpr uint32_t kDeferTaskrun = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;

// A ring's words and entries seen through one base pointer for the rings region and
// one for the SQEs, at the offsets the params give (single-mmap rings, 16-byte CQEs).
struct RingView {
  std::byte* rings = nullptr;
  std::byte* sqes = nullptr;
  io_uring_params p{};

  uint32_t& word(uint32_t off) { return *reinterpret_cast<uint32_t*>(rings + off); }
  uint32_t load(uint32_t off) { return __atomic_load_n(&word(off), __ATOMIC_ACQUIRE); }
  void store(uint32_t off, uint32_t v) { __atomic_store_n(&word(off), v, __ATOMIC_RELEASE); }
  // Queues a NOP at the tail (NO_SQARRAY rings, or an identity SQ array entry).
  void push_nop(uint64_t user_data) {
    const uint32_t tail = load(p.sq_off.tail);
    const uint32_t slot = tail & (p.sq_entries - 1);
    auto* sqe = reinterpret_cast<io_uring_sqe*>(sqes + 64 * size_t{slot});
    std::memset(sqe, 0, sizeof *sqe);
    sqe->opcode = IORING_OP_NOP;
    sqe->user_data = user_data;
    if (!(p.flags & IORING_SETUP_NO_SQARRAY) && p.sq_off.array != 0) word(p.sq_off.array + 4 * slot) = slot;
    store(p.sq_off.tail, tail + 1);
  }
  std::vector<RawCqe> reap() {
    std::vector<RawCqe> out;
    uint32_t head = load(p.cq_off.head);
    const uint32_t tail = load(p.cq_off.tail);
    for (; head != tail; ++head) {
      const auto* c = reinterpret_cast<const io_uring_cqe*>(rings + p.cq_off.cqes +
                                                            16 * size_t{head & (p.cq_entries - 1)});
      out.push_back(RawCqe{c->user_data, c->res, c->flags, {0, 0}});
    }
    store(p.cq_off.head, head);
    return out;
  }
  void counters(Transcript& t, const std::string& key) {
    t.note(key + ".sq_head", load(p.sq_off.head));
    t.note(key + ".sq_tail", load(p.sq_off.tail));
    t.note(key + ".sq_flags", load(p.sq_off.flags));
    t.note(key + ".sq_ring_entries", load(p.sq_off.ring_entries));
    t.note(key + ".cq_head", load(p.cq_off.head));
    t.note(key + ".cq_tail", load(p.cq_off.tail));
    t.note(key + ".cq_ring_entries", load(p.cq_off.ring_entries));
    t.note(key + ".cq_ring_mask", load(p.cq_off.ring_mask));
  }
};

// mmap of the rings region and the SQEs of ring `fd`, as a client does after setup and
// again after a resize. Sizes from the params (rings: array end or CQE end).
struct Mapped {
  void* rings = MAP_FAILED;
  size_t rings_len = 0;
  void* sqes = MAP_FAILED;
  size_t sqes_len = 0;
  ~Mapped() { unmap(); }
  void unmap() {
    if (rings != MAP_FAILED) munmap(rings, rings_len);
    if (sqes != MAP_FAILED) munmap(sqes, sqes_len);
    rings = sqes = MAP_FAILED;
  }
  bool map(int fd, const io_uring_params& p, uint32_t array_off) {
    unmap();
    const size_t cq_end = p.cq_off.cqes + 16 * size_t{p.cq_entries};
    const size_t sq_end = array_off + 4 * size_t{p.sq_entries};
    rings_len = std::max(cq_end, sq_end);
    sqes_len = 64 * size_t{p.sq_entries};
    rings = mmap(nullptr, rings_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
    sqes = mmap(nullptr, sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
    return rings != MAP_FAILED && sqes != MAP_FAILED;
  }
};

io_uring_params resize_params(uint32_t sq, uint32_t cq = 0, uint32_t flags = 0) {
  io_uring_params rp{};
  rp.sq_entries = sq;
  rp.cq_entries = cq;
  rp.flags = flags | (cq != 0 ? IORING_SETUP_CQSIZE : 0);
  return rp;
}

void note_resize(Syscalls& sys, Transcript& t, const std::string& key, int fd, io_uring_params rp,
                 uint32_t nr_args = 1) {
  t.call(key, sys.do_register(fd, IORING_REGISTER_RESIZE_RINGS, &rp, nr_args), sys);
}

TEST(ResizeRings, ErrnosAndParamsWrittenBack) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    io_uring_params p{};
    int fd = sys.setup(8, &p);
    ASSERT_GE(fd, 0);
    note_resize(sys, t, "not_defer_taskrun", fd, resize_params(16));
    sys.close(fd);

    p = io_uring_params{};
    p.flags = kDeferTaskrun;
    fd = sys.setup(8, &p);
    ASSERT_GE(fd, 0);
    note_resize(sys, t, "nr_args_0", fd, resize_params(16), 0);
    t.call("arg_null", sys.do_register(fd, IORING_REGISTER_RESIZE_RINGS, nullptr, 1), sys);
    t.call("arg_unmapped", sys.do_register(fd, IORING_REGISTER_RESIZE_RINGS, reinterpret_cast<void*>(8), 1), sys);
    note_resize(sys, t, "flag_sqe128", fd, resize_params(16, 0, IORING_SETUP_SQE128));
    note_resize(sys, t, "flag_no_mmap", fd, resize_params(16, 0, IORING_SETUP_NO_MMAP));
    note_resize(sys, t, "sq_0", fd, resize_params(0));
    note_resize(sys, t, "sq_40000", fd, resize_params(40000));
    note_resize(sys, t, "cq_below_sq", fd, resize_params(16, 8));
    note_resize(sys, t, "cqsize_0", fd, resize_params(16, 0, IORING_SETUP_CQSIZE));

    io_uring_params rp = resize_params(5, 100);
    rp.resv[0] = 1;              // not checked by a resize
    rp.sq_off.array = 999;       // not filled in by a resize
    rp.sq_off.user_addr = 123;   // zeroed: not a NO_MMAP ring
    rp.features = 77;            // untouched
    t.call("resize_5_100", sys.do_register(fd, IORING_REGISTER_RESIZE_RINGS, &rp, 1), sys);
    t.params("resize_5_100", rp);
    t.note("resize_5_100.sq_off.array", rp.sq_off.array);
    t.note("resize_5_100.sq_off.user_addr", static_cast<int64_t>(rp.sq_off.user_addr));
    t.note("resize_5_100.resv0", rp.resv[0]);

    rp = resize_params(40000, 0, IORING_SETUP_CLAMP);
    t.call("clamp", sys.do_register(fd, IORING_REGISTER_RESIZE_RINGS, &rp, 1), sys);
    t.note("clamp.sq_entries", rp.sq_entries);
    t.note("clamp.cq_entries", rp.cq_entries);
    sys.close(fd);

    p = io_uring_params{};
    p.flags = kDeferTaskrun | IORING_SETUP_R_DISABLED;
    fd = sys.setup(8, &p);
    ASSERT_GE(fd, 0);
    note_resize(sys, t, "r_disabled_ring", fd, resize_params(16));
    sys.close(fd);
  });
  EXPECT_EQ(both.linux.get("not_defer_taskrun"), "-22 (EINVAL)");
  EXPECT_EQ(both.linux.get("arg_unmapped"), "-14 (EFAULT)");
  EXPECT_EQ(both.linux.get("resize_5_100"), "0");
  EXPECT_EQ(both.linux.get("resize_5_100.cq_entries"), "128");
}

TEST(ResizeRings, PendingSqesAndCqesSurvive) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    io_uring_params p{};
    p.flags = kDeferTaskrun | IORING_SETUP_NO_SQARRAY;
    const int fd = sys.setup(8, &p);
    ASSERT_GE(fd, 0);
    Mapped m;
    ASSERT_TRUE(m.map(fd, p, p.sq_off.array));
    RingView v{static_cast<std::byte*>(m.rings), static_cast<std::byte*>(m.sqes), p};
    for (uint64_t i = 1; i <= 6; ++i) v.push_nop(i);
    t.call("submit6", sys.enter(fd, 6, 0, 0, nullptr, 0), sys);
    v.store(p.cq_off.head, 2);  // reap two of the six
    v.push_nop(7);
    v.push_nop(8);

    // Six CQEs minus two reaped do not fit a 2-entry CQ; two SQEs do not fit one slot.
    note_resize(sys, t, "overflow_cq", fd, resize_params(1));
    note_resize(sys, t, "overflow_sq", fd, resize_params(1, 4));
    v.counters(t, "after_refused");

    io_uring_params rp = resize_params(16, 64);
    t.call("resize", sys.do_register(fd, IORING_REGISTER_RESIZE_RINGS, &rp, 1), sys);
    ASSERT_TRUE(m.map(fd, rp, 0));
    v = RingView{static_cast<std::byte*>(m.rings), static_cast<std::byte*>(m.sqes), rp};
    v.p.flags = IORING_SETUP_NO_SQARRAY;
    v.counters(t, "after_resize");
    t.call("submit2", sys.enter(fd, 2, 0, 0, nullptr, 0), sys);
    t.cqes("cqes", v.reap());
    for (uint64_t i = 9; i <= 24; ++i) v.push_nop(i);  // wraps the new SQ once
    t.call("submit16", sys.enter(fd, 16, 0, 0, nullptr, 0), sys);
    t.cqes("cqes_after", v.reap());
    v.counters(t, "end");
    sys.close(fd);
  });
  EXPECT_EQ(both.linux.get("resize"), "0");
  EXPECT_EQ(both.linux.get("overflow_cq"), "-75 (EOVERFLOW)");
  EXPECT_EQ(both.linux.get("after_resize.cq_tail"), "6");
}

// Page-aligned scratch memory the scenario hands to the kernel.
struct Pages {
  std::byte* p = nullptr;
  size_t len = 0;
  Pages(size_t n, int prot = PROT_READ | PROT_WRITE, int flags = MAP_PRIVATE | MAP_ANONYMOUS) : len(n) {
    void* m = mmap(nullptr, n, prot, flags, -1, 0);
    p = m == MAP_FAILED ? nullptr : static_cast<std::byte*>(m);
  }
  ~Pages() {
    if (p) munmap(p, len);
  }
  uint64_t at(size_t off) const { return reinterpret_cast<uint64_t>(p + off); }
};

TEST(NoMmap, SetupAddressChecksOffsetsAndANop) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    Pages mem(65536);
    Pages ro(8192, PROT_READ);
    ASSERT_NE(mem.p, nullptr);
    auto attempt = [&](const std::string& key, uint32_t entries, uint64_t sqes, uint64_t rings, uint32_t flags) {
      io_uring_params p{};
      p.flags = IORING_SETUP_NO_MMAP | flags;
      p.sq_off.user_addr = sqes;
      p.cq_off.user_addr = rings;
      const int fd = sys.setup(entries, &p);
      t.call(key, fd < 0 ? fd : 0, sys);
      if (fd >= 0) {
        t.params(key, p);
        t.note(key + ".sq_off.user_addr_kept", p.sq_off.user_addr == sqes);
        t.note(key + ".cq_off.user_addr_kept", p.cq_off.user_addr == rings);
        sys.close(fd);
      }
    };
    attempt("ok", 8, mem.at(4096), mem.at(0), 0);
    attempt("same_page", 8, mem.at(0), mem.at(0), 0);
    attempt("sq_addr_0", 8, 0, mem.at(4096), 0);
    attempt("cq_addr_0", 8, mem.at(0), 0, 0);
    attempt("cq_unaligned", 8, mem.at(0), mem.at(4100), 0);
    attempt("sq_unaligned", 8, mem.at(8), mem.at(4096), 0);
    attempt("cq_read_only", 8, mem.at(0), ro.at(0), 0);
    attempt("sq_read_only", 8, ro.at(0), mem.at(0), 0);
    attempt("cq_unmapped", 8, mem.at(0), 0x1000, 0);
    attempt("sqes_past_mapping", 4096, mem.at(0), mem.at(8192), 0);
    attempt("multi_page_rings", 256, mem.at(0), mem.at(16384), 0);
    attempt("sqe128_cqe32", 8, mem.at(0), mem.at(8192), IORING_SETUP_SQE128 | IORING_SETUP_CQE32);

    // A NOP through the caller's own pages.
    io_uring_params p{};
    p.flags = IORING_SETUP_NO_MMAP;
    p.sq_off.user_addr = mem.at(32768);
    p.cq_off.user_addr = mem.at(36864);
    const int fd = sys.setup(8, &p);
    ASSERT_GE(fd, 0);
    RingView v{mem.p + 36864, mem.p + 32768, p};
    v.push_nop(42);
    v.push_nop(43);
    t.call("submit", sys.enter(fd, 2, 0, 0, nullptr, 0), sys);
    t.cqes("cqes", v.reap());
    v.counters(t, "ring");
    sys.close(fd);
  });
  EXPECT_EQ(both.linux.get("ok"), "0");
  EXPECT_EQ(both.linux.get("sq_addr_0"), "-14 (EFAULT)");
  EXPECT_EQ(both.linux.get("cq_unaligned"), "-22 (EINVAL)");
}

TEST(NoMmap, ResizeMovesToNewPages) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    Pages mem(65536);
    io_uring_params p{};
    p.flags = IORING_SETUP_NO_MMAP | IORING_SETUP_NO_SQARRAY | kDeferTaskrun;
    p.sq_off.user_addr = mem.at(0);
    p.cq_off.user_addr = mem.at(4096);
    const int fd = sys.setup(8, &p);
    ASSERT_GE(fd, 0);
    RingView v{mem.p + 4096, mem.p, p};
    for (uint64_t i = 1; i <= 3; ++i) v.push_nop(i);
    t.call("submit3", sys.enter(fd, 3, 0, 0, nullptr, 0), sys);
    v.push_nop(4);
    io_uring_params rp = resize_params(16);
    t.call("no_addresses", sys.do_register(fd, IORING_REGISTER_RESIZE_RINGS, &rp, 1), sys);
    rp = resize_params(16);
    rp.sq_off.user_addr = mem.at(16384);
    rp.cq_off.user_addr = mem.at(32768);
    t.call("resize", sys.do_register(fd, IORING_REGISTER_RESIZE_RINGS, &rp, 1), sys);
    t.note("resize.flags", rp.flags);
    t.note("resize.addrs_kept", rp.sq_off.user_addr == mem.at(16384) && rp.cq_off.user_addr == mem.at(32768));
    v = RingView{mem.p + 32768, mem.p + 16384, rp};
    v.p.flags |= IORING_SETUP_NO_SQARRAY;
    v.counters(t, "after_resize");
    t.call("submit1", sys.enter(fd, 1, 0, 0, nullptr, 0), sys);
    t.cqes("cqes", v.reap());
    sys.close(fd);
  });
}

TEST(MemRegion, RegistrationErrnos) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    Pages buf(8192);
    io_uring_region_desc rd{};
    io_uring_mem_region_reg reg{};
    auto attempt = [&](const std::string& key, int fd, uint64_t addr, uint64_t size, uint32_t rd_flags,
                       uint64_t reg_flags, uint32_t nr_args = 1) {
      rd = io_uring_region_desc{};
      rd.user_addr = addr;
      rd.size = size;
      rd.flags = rd_flags;
      reg = io_uring_mem_region_reg{};
      reg.region_uptr = reinterpret_cast<uint64_t>(&rd);
      reg.flags = reg_flags;
      t.call(key, sys.do_register(fd, IORING_REGISTER_MEM_REGION, &reg, nr_args), sys);
    };
    constexpr uint32_t kUser = IORING_MEM_REGION_TYPE_USER;
    constexpr uint64_t kWait = IORING_MEM_REGION_REG_WAIT_ARG;
    io_uring_params p{};
    int fd = sys.setup(8, &p);
    ASSERT_GE(fd, 0);
    attempt("wait_on_enabled_ring", fd, buf.at(0), 4096, kUser, kWait);
    attempt("plain_on_enabled_ring", fd, buf.at(0), 4096, kUser, 0);
    attempt("second_region", fd, buf.at(0), 4096, kUser, 0);
    sys.close(fd);

    p = io_uring_params{};
    p.flags = IORING_SETUP_R_DISABLED;
    fd = sys.setup(8, &p);
    ASSERT_GE(fd, 0);
    attempt("reg_flags_2", fd, buf.at(0), 4096, kUser, 2);
    attempt("nr_args_2", fd, buf.at(0), 4096, kUser, kWait, 2);
    attempt("user_without_addr", fd, 0, 4096, kUser, kWait);
    attempt("addr_without_user", fd, buf.at(0), 4096, 0, kWait);
    attempt("desc_flags_3", fd, buf.at(0), 4096, 3, kWait);
    attempt("unaligned", fd, buf.at(8), 4096, kUser, kWait);
    attempt("size_100", fd, buf.at(0), 100, kUser, kWait);
    attempt("size_0", fd, buf.at(0), 0, kUser, kWait);
    attempt("unmapped", fd, 0x1000, 4096, kUser, kWait);
    attempt("past_mapping", fd, buf.at(0), 4 * 8192, kUser, kWait);
    reg = io_uring_mem_region_reg{};
    reg.region_uptr = 8;
    t.call("desc_unreadable", sys.do_register(fd, IORING_REGISTER_MEM_REGION, &reg, 1), sys);
    t.call("reg_unreadable", sys.do_register(fd, IORING_REGISTER_MEM_REGION, reinterpret_cast<void*>(8), 1), sys);
    attempt("ok", fd, buf.at(0), 8192, kUser, kWait);
    t.note("ok.mmap_offset", static_cast<int64_t>(rd.mmap_offset));
    attempt("again", fd, buf.at(0), 4096, kUser, kWait);
    sys.close(fd);

    // A kernel-allocated region: the offset to mmap comes back in the descriptor.
    p = io_uring_params{};
    p.flags = IORING_SETUP_R_DISABLED;
    fd = sys.setup(8, &p);
    ASSERT_GE(fd, 0);
    attempt("kernel_allocated", fd, 0, 8192, 0, kWait);
    t.note("kernel_allocated.mmap_offset", static_cast<int64_t>(rd.mmap_offset));
    sys.close(fd);
  });
  EXPECT_EQ(both.linux.get("wait_on_enabled_ring"), "-22 (EINVAL)");
  EXPECT_EQ(both.linux.get("again"), "-16 (EBUSY)");
}

TEST(MemRegion, RegisteredWaitArguments) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    Pages buf(8192);
    auto* slots = reinterpret_cast<io_uring_reg_wait*>(buf.p);
    io_uring_params p{};
    p.flags = IORING_SETUP_R_DISABLED;
    const int fd = sys.setup(8, &p);
    ASSERT_GE(fd, 0);
    io_uring_region_desc rd{};
    rd.user_addr = buf.at(0);
    rd.size = 8192;
    rd.flags = IORING_MEM_REGION_TYPE_USER;
    io_uring_mem_region_reg reg{};
    reg.region_uptr = reinterpret_cast<uint64_t>(&rd);
    reg.flags = IORING_MEM_REGION_REG_WAIT_ARG;
    t.call("register", sys.do_register(fd, IORING_REGISTER_MEM_REGION, &reg, 1), sys);
    constexpr uint32_t kReg = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG | IORING_ENTER_EXT_ARG_REG;
    auto at = [](uint64_t off) { return reinterpret_cast<const void*>(off); };
    t.call("before_enable", sys.enter(fd, 0, 0, kReg, at(64), 64), sys);
    t.call("enable", sys.do_register(fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0), sys);
    slots[1].flags = IORING_REG_WAIT_TS;
    slots[1].ts.tv_nsec = 1000000;  // 1 ms, nothing will complete
    t.call("wait_ts", sys.enter(fd, 0, 1, kReg, at(64), 64), sys);
    t.call("argsz_24", sys.enter(fd, 0, 1, kReg, at(64), 24), sys);
    t.call("offset_4", sys.enter(fd, 0, 0, kReg, at(4), 64), sys);
    t.call("last_slot", sys.enter(fd, 0, 0, kReg, at(8128), 64), sys);
    t.call("past_end", sys.enter(fd, 0, 0, kReg, at(8136), 64), sys);
    slots[2].flags = 4;
    t.call("bad_slot_flags", sys.enter(fd, 0, 0, kReg, at(128), 64), sys);
    t.call("without_ext_arg", sys.enter(fd, 0, 0, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG_REG, at(64), 64), sys);
    t.call("without_getevents", sys.enter(fd, 0, 0, IORING_ENTER_EXT_ARG | IORING_ENTER_EXT_ARG_REG, at(4), 64), sys);
    sys.close(fd);

    // The same through a kernel-allocated region the caller maps from the ring fd.
    io_uring_params kp{};
    kp.flags = IORING_SETUP_R_DISABLED;
    const int kfd = sys.setup(8, &kp);
    ASSERT_GE(kfd, 0);
    rd = io_uring_region_desc{};
    rd.size = 4096;
    reg.flags = IORING_MEM_REGION_REG_WAIT_ARG;
    t.call("kernel_register", sys.do_register(kfd, IORING_REGISTER_MEM_REGION, &reg, 1), sys);
    void* region = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, kfd, static_cast<off_t>(rd.mmap_offset));
    t.note("kernel_region_mapped", region != MAP_FAILED);
    t.call("kernel_enable", sys.do_register(kfd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0), sys);
    if (region != MAP_FAILED) {
      auto* kslots = static_cast<io_uring_reg_wait*>(region);
      kslots[5].flags = IORING_REG_WAIT_TS;
      kslots[5].ts.tv_nsec = 1000000;
      t.call("kernel_wait_ts", sys.enter(kfd, 0, 1, kReg, at(5 * 64), 64), sys);
      kslots[6].flags = 2;
      t.call("kernel_bad_slot_flags", sys.enter(kfd, 0, 0, kReg, at(6 * 64), 64), sys);
      munmap(region, 4096);
    }
    sys.close(kfd);

    io_uring_params plain{};
    const int fd2 = sys.setup(8, &plain);
    ASSERT_GE(fd2, 0);
    t.call("no_wait_region", sys.enter(fd2, 0, 0, kReg, at(0), 64), sys);
    sys.close(fd2);
  });
  EXPECT_EQ(both.linux.get("wait_ts"), "-62 (ETIME)");
  EXPECT_EQ(both.linux.get("offset_4"), "-14 (EFAULT)");
}

}  // namespace
}  // namespace uringsim::difftest
