// io_uring_register beyond buffers: R_DISABLED + ENABLE_RINGS, RESTRICTIONS, registered
// ring fds (REGISTER_RING_FDS, ENTER_REGISTERED_RING, REGISTER_USE_REGISTERED_RING),
// the registered eventfd and when it is signalled, FILES2 / FILES_UPDATE(2) /
// FILE_ALLOC_RANGE with sparse tables and tags, IORING_OP_FILES_UPDATE, SYNC_CANCEL.
//
// Registered ring fds live in the calling *task* on Linux and outlive the ring fd, so
// every scenario that registers some starts and ends by unregistering all 16 slots.
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "tests/differential/differential.h"

namespace uringsim::difftest {
namespace {

int setup_ring(RawRing& ring, uint32_t entries, uint32_t flags = 0) {
  io_uring_params p{};
  p.flags = flags;
  return ring.setup(entries, p);
}

// Waits (bounded by a 1 s timeout on Linux) until `n` CQEs are there.
int wait_cqes(RawRing& ring, uint32_t n) {
  static __kernel_timespec ts{1, 0};
  io_uring_getevents_arg arg{};
  arg.ts = reinterpret_cast<uint64_t>(&ts);
  return ring.enter(0, n, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg);
}

io_uring_restriction rule(uint16_t op, uint8_t value) {
  io_uring_restriction r{};
  r.opcode = op;
  r.register_op = value;
  return r;
}

// Empties every registered-ring slot of this task (Linux keeps them per task).
int clear_ring_fds(RawRing& ring) {
  io_uring_rsrc_update all[16] = {};
  for (uint32_t i = 0; i < 16; ++i) all[i].offset = i;
  return ring.do_register(IORING_UNREGISTER_RING_FDS, all, 16);
}

// The eventfd's counter, read (and reset); 0 when nothing was signalled.
int64_t take(int efd) {
  uint64_t v = 0;
  return read(efd, &v, sizeof v) == sizeof v ? static_cast<int64_t>(v) : 0;
}

// The CQ flags word, mapped from the ring fd as an application would.
class CqFlags {
 public:
  CqFlags(RawRing& ring) {
    len_ = ring.params().cq_off.cqes;
    // With IORING_FEAT_SINGLE_MMAP the CQ words live in the SQ ring mapping.
    void* p = mmap(nullptr, len_, PROT_READ | PROT_WRITE, MAP_SHARED, ring.fd(), IORING_OFF_SQ_RING);
    base_ = p == MAP_FAILED ? nullptr : static_cast<std::byte*>(p);
    off_ = ring.params().cq_off.flags;
  }
  ~CqFlags() {
    if (base_ != nullptr) munmap(base_, len_);
  }
  void set(uint32_t v) {
    if (base_ != nullptr) __atomic_store_n(reinterpret_cast<uint32_t*>(base_ + off_), v, __ATOMIC_RELEASE);
  }
  bool ok() const { return base_ != nullptr; }

 private:
  std::byte* base_ = nullptr;
  size_t len_ = 0;
  uint32_t off_ = 0;
};

TEST(RegisterExt, DisabledRingAndEnableRings) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup_ring(ring, 8, IORING_SETUP_R_DISABLED), 0);
    t.params("params", ring.params());
    prep_nop(ring.next_sqe(), 1);
    t.call("enter_disabled", ring.enter(1, 0, 0), sys);
    t.call("getevents_disabled", ring.enter(0, 0, IORING_ENTER_GETEVENTS), sys);
    t.call("bad_flag_disabled", ring.enter(0, 0, 1u << 20), sys);
    t.counters("after_refused", ring);
    io_uring_probe_op probe[8] = {};
    t.call("probe_while_disabled", ring.do_register(IORING_REGISTER_PROBE, probe, 1), sys);
    t.call("enable_with_arg", ring.do_register(IORING_REGISTER_ENABLE_RINGS, probe, 0), sys);
    t.call("enable_with_nr", ring.do_register(IORING_REGISTER_ENABLE_RINGS, nullptr, 1), sys);
    t.call("enable", ring.do_register(IORING_REGISTER_ENABLE_RINGS, nullptr, 0), sys);
    t.call("enable_again", ring.do_register(IORING_REGISTER_ENABLE_RINGS, nullptr, 0), sys);
    t.call("submit", ring.enter(1, 0, 0), sys);
    t.cqes("cqes", ring.reap());
    RawRing plain(sys);
    ASSERT_GE(setup_ring(plain, 8), 0);
    t.call("enable_plain_ring", plain.do_register(IORING_REGISTER_ENABLE_RINGS, nullptr, 0), sys);
  });
  EXPECT_EQ(both.linux.get("enter_disabled"), "-77 (EBADFD)");
  EXPECT_EQ(both.linux.get("enable_again"), "-77 (EBADFD)");
}

TEST(RegisterExt, Restrictions) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    {
      RawRing plain(sys);
      ASSERT_GE(setup_ring(plain, 8), 0);
      io_uring_restriction r = rule(IORING_RESTRICTION_SQE_OP, IORING_OP_NOP);
      t.call("on_enabled_ring", plain.do_register(IORING_REGISTER_RESTRICTIONS, &r, 1), sys);
    }
    {
      RawRing ring(sys);
      ASSERT_GE(setup_ring(ring, 8, IORING_SETUP_R_DISABLED), 0);
      std::vector<io_uring_restriction> rules(110);
      rules[0] = rule(IORING_RESTRICTION_SQE_OP, IORING_OP_NOP);
      rules[1] = rule(IORING_RESTRICTION_SQE_FLAGS_ALLOWED, IOSQE_IO_LINK);
      rules[2] = rule(IORING_RESTRICTION_REGISTER_OP, IORING_REGISTER_PROBE);
      t.call("null", ring.do_register(IORING_REGISTER_RESTRICTIONS, nullptr, 2), sys);
      t.call("too_many", ring.do_register(IORING_REGISTER_RESTRICTIONS, rules.data(), 104), sys);
      std::vector<io_uring_restriction> bad = {rules[0], rule(IORING_RESTRICTION_REGISTER_OP, 200)};
      t.call("bad_register_op", ring.do_register(IORING_REGISTER_RESTRICTIONS, bad.data(), 2), sys);
      bad[1] = rule(IORING_RESTRICTION_SQE_OP, 250);
      t.call("bad_sqe_op", ring.do_register(IORING_REGISTER_RESTRICTIONS, bad.data(), 2), sys);
      bad[1] = rule(9, 0);
      t.call("bad_kind", ring.do_register(IORING_REGISTER_RESTRICTIONS, bad.data(), 2), sys);
      t.call("good", ring.do_register(IORING_REGISTER_RESTRICTIONS, rules.data(), 3), sys);
      t.call("again", ring.do_register(IORING_REGISTER_RESTRICTIONS, rules.data(), 3), sys);
      t.call("enable", ring.do_register(IORING_REGISTER_ENABLE_RINGS, nullptr, 0), sys);
      io_uring_probe_op probe[8] = {};
      t.call("probe_allowed", ring.do_register(IORING_REGISTER_PROBE, probe, 1), sys);
      t.call("unregister_files_refused", ring.do_register(IORING_UNREGISTER_FILES, nullptr, 0), sys);
      t.call("enable_refused", ring.do_register(IORING_REGISTER_ENABLE_RINGS, nullptr, 0), sys);
      t.call("bad_opcode_first", ring.do_register(99, nullptr, 0), sys);
      prep_nop(ring.next_sqe(), 1);
      prep_nop(ring.next_sqe(), 2, IOSQE_IO_LINK);
      prep_nop(ring.next_sqe(), 3);
      t.call("allowed_batch", ring.enter(3, 0, 0), sys);
      prep_nop(ring.next_sqe(), 4, IOSQE_ASYNC);
      t.call("flag_refused", ring.enter(1, 0, 0), sys);
      ring.next_sqe()->opcode = IORING_OP_TIMEOUT;
      t.call("op_refused", ring.enter(1, 0, 0), sys);
      prep_nop(ring.next_sqe(), 6, 0x80);
      t.call("invalid_flag", ring.enter(1, 0, 0), sys);
      t.cqes("cqes", ring.reap());
    }
    {
      RawRing ring(sys);
      ASSERT_GE(setup_ring(ring, 8, IORING_SETUP_R_DISABLED), 0);
      std::vector<io_uring_restriction> rules = {rule(IORING_RESTRICTION_SQE_OP, IORING_OP_NOP),
                                                 rule(IORING_RESTRICTION_SQE_FLAGS_REQUIRED, IOSQE_ASYNC)};
      t.call("required.register", ring.do_register(IORING_REGISTER_RESTRICTIONS, rules.data(), 2), sys);
      t.call("required.enable", ring.do_register(IORING_REGISTER_ENABLE_RINGS, nullptr, 0), sys);
      prep_nop(ring.next_sqe(), 7);
      t.call("required.missing", ring.enter(1, 0, 0), sys);
      prep_nop(ring.next_sqe(), 8, IOSQE_ASYNC);
      t.call("required.present", ring.enter(1, 0, 0), sys);
      t.call("required.wait", wait_cqes(ring, 2), sys);
      t.cqes("required.cqes", ring.reap());
    }
    {
      RawRing ring(sys);
      ASSERT_GE(setup_ring(ring, 8, IORING_SETUP_R_DISABLED), 0);
      io_uring_restriction none[1] = {};
      t.call("empty.register", ring.do_register(IORING_REGISTER_RESTRICTIONS, none, 0), sys);
      t.call("empty.enable", ring.do_register(IORING_REGISTER_ENABLE_RINGS, nullptr, 0), sys);
      prep_nop(ring.next_sqe(), 9);
      t.call("empty.submit", ring.enter(1, 0, 0), sys);
      t.cqes("empty.cqes", ring.reap());
    }
  });
  EXPECT_EQ(both.linux.get("flag_refused"), "1");
  EXPECT_EQ(both.linux.get("unregister_files_refused"), "-13 (EACCES)");
}

TEST(RegisterExt, RegisteredRingFds) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys), other(sys);
    ASSERT_GE(setup_ring(ring, 8), 0);
    ASSERT_GE(setup_ring(other, 8), 0);
    t.note("features.reg_reg_ring", (ring.params().features & IORING_FEAT_REG_REG_RING) != 0);
    t.call("clear", clear_ring_fds(ring), sys);
    io_uring_rsrc_update up[4] = {};
    t.call("nr0", ring.do_register(IORING_REGISTER_RING_FDS, up, 0), sys);
    t.call("nr17", ring.do_register(IORING_REGISTER_RING_FDS, up, 17), sys);
    t.call("null", ring.do_register(IORING_REGISTER_RING_FDS, nullptr, 1), sys);
    up[0] = {~0u, 0, static_cast<uint64_t>(ring.fd())};
    up[1] = {5, 0, static_cast<uint64_t>(other.fd())};
    up[2] = {~0u, 0, static_cast<uint64_t>(ring.fd())};
    t.call("register3", ring.do_register(IORING_REGISTER_RING_FDS, up, 3), sys);
    t.note("register3.offsets", up[0].offset * 10000 + up[1].offset * 100 + up[2].offset);
    io_uring_rsrc_update one = {5, 0, static_cast<uint64_t>(ring.fd())};
    t.call("slot_taken", ring.do_register(IORING_REGISTER_RING_FDS, &one, 1), sys);
    one = {16, 0, static_cast<uint64_t>(ring.fd())};
    t.call("slot16", ring.do_register(IORING_REGISTER_RING_FDS, &one, 1), sys);
    int pipefd[2];
    ASSERT_EQ(pipe(pipefd), 0);
    one = {~0u, 0, static_cast<uint64_t>(pipefd[0])};
    t.call("not_a_ring", ring.do_register(IORING_REGISTER_RING_FDS, &one, 1), sys);
    one = {~0u, 0, 9999};
    t.call("bad_fd", ring.do_register(IORING_REGISTER_RING_FDS, &one, 1), sys);
    one = {~0u, 1, static_cast<uint64_t>(ring.fd())};
    t.call("resv", ring.do_register(IORING_REGISTER_RING_FDS, &one, 1), sys);
    io_uring_rsrc_update two[2] = {{~0u, 0, static_cast<uint64_t>(ring.fd())}, {16, 0, 0}};
    t.call("partial", ring.do_register(IORING_REGISTER_RING_FDS, two, 2), sys);
    t.note("partial.offset", two[0].offset);
    // Enter and register through the indexes.
    prep_nop(ring.next_sqe(), 11);
    ring.publish();
    t.call("enter_idx0", sys.enter(0, 1, 0, IORING_ENTER_REGISTERED_RING, nullptr, 0), sys);
    t.cqes("enter_idx0.cqes", ring.reap());
    t.call("enter_idx16", sys.enter(16, 0, 0, IORING_ENTER_REGISTERED_RING, nullptr, 0), sys);
    t.call("enter_idx_empty", sys.enter(9, 0, 0, IORING_ENTER_REGISTERED_RING, nullptr, 0), sys);
    io_uring_probe_op probe[8] = {};
    const uint32_t probe_op = IORING_REGISTER_PROBE | IORING_REGISTER_USE_REGISTERED_RING;
    t.call("register_idx5", sys.do_register(5, probe_op, probe, 1), sys);
    t.call("register_idx16", sys.do_register(16, probe_op, probe, 1), sys);
    t.call("register_idx_empty", sys.do_register(9, probe_op, probe, 1), sys);
    // Unregister.
    io_uring_rsrc_update un[2] = {{5, 0, 0}, {3, 0, 1}};
    t.call("unregister_stops_at_data", ring.do_register(IORING_UNREGISTER_RING_FDS, un, 2), sys);
    t.call("unregister_nr0", ring.do_register(IORING_UNREGISTER_RING_FDS, un, 0), sys);
    un[0] = {16, 0, 0};
    t.call("unregister_slot16", ring.do_register(IORING_UNREGISTER_RING_FDS, un, 1), sys);
    un[0] = {5, 0, 0};
    t.call("unregister_empty", ring.do_register(IORING_UNREGISTER_RING_FDS, un, 1), sys);
    t.call("enter_unregistered", sys.enter(5, 0, 0, IORING_ENTER_REGISTERED_RING, nullptr, 0), sys);
    t.call("clear_end", clear_ring_fds(ring), sys);
    close(pipefd[0]);
    close(pipefd[1]);
  });
  EXPECT_EQ(both.linux.get("register3"), "3");
  EXPECT_EQ(both.linux.get("register3.offsets"), "501");
}

TEST(RegisterExt, EventfdRegistration) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup_ring(ring, 8), 0);
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ASSERT_GE(efd, 0);
    int pipefd[2];
    ASSERT_EQ(pipe(pipefd), 0);
    int bad = 9999;
    t.call("nr0", ring.do_register(IORING_REGISTER_EVENTFD, &efd, 0), sys);
    t.call("null", ring.do_register(IORING_REGISTER_EVENTFD, nullptr, 1), sys);
    t.call("bad_fd", ring.do_register(IORING_REGISTER_EVENTFD, &bad, 1), sys);
    t.call("pipe", ring.do_register(IORING_REGISTER_EVENTFD, &pipefd[0], 1), sys);
    t.call("unregister_none", ring.do_register(IORING_UNREGISTER_EVENTFD, nullptr, 0), sys);
    t.call("unregister_arg", ring.do_register(IORING_UNREGISTER_EVENTFD, &efd, 0), sys);
    t.call("register", ring.do_register(IORING_REGISTER_EVENTFD, &efd, 1), sys);
    t.call("again", ring.do_register(IORING_REGISTER_EVENTFD, &efd, 1), sys);
    t.call("again_async", ring.do_register(IORING_REGISTER_EVENTFD_ASYNC, &efd, 1), sys);
    t.call("unregister", ring.do_register(IORING_UNREGISTER_EVENTFD, nullptr, 0), sys);
    t.call("unregister_twice", ring.do_register(IORING_UNREGISTER_EVENTFD, nullptr, 0), sys);
    t.call("async_nr2", ring.do_register(IORING_REGISTER_EVENTFD_ASYNC, &efd, 2), sys);
    close(efd);
    close(pipefd[0]);
    close(pipefd[1]);
  });
  EXPECT_EQ(both.linux.get("pipe"), "-22 (EINVAL)");
}

TEST(RegisterExt, EventfdSignals) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup_ring(ring, 8), 0);
    CqFlags cq_flags(ring);
    ASSERT_TRUE(cq_flags.ok());
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ASSERT_GE(efd, 0);
    prep_nop(ring.next_sqe(), 100);
    t.call("before_register", ring.enter(1, 0, 0), sys);
    t.call("register", ring.do_register(IORING_REGISTER_EVENTFD, &efd, 1), sys);
    t.note("count.register", take(efd));
    prep_nop(ring.next_sqe(), 1);
    prep_nop(ring.next_sqe(), 2);
    t.call("two_nops", ring.enter(2, 0, 0), sys);
    t.note("count.two_nops", take(efd));
    prep_nop(ring.next_sqe(), 3, IOSQE_IO_LINK);
    prep_nop(ring.next_sqe(), 4, IOSQE_IO_LINK);
    prep_nop(ring.next_sqe(), 5);
    t.call("link3", ring.enter(3, 0, 0), sys);
    t.note("count.link3", take(efd));
    // One io-wq completion (several at once race with each other and with inline
    // commits on Linux: two CQEs posted before either commit give one signal).
    prep_nop(ring.next_sqe(), 6, IOSQE_ASYNC);
    t.call("async", ring.enter(1, 0, 0), sys);
    t.call("async.wait", wait_cqes(ring, 7), sys);
    t.note("count.async", take(efd));
    t.cqes("cqes1", ring.reap(), /*as_multiset=*/true);
    prep_nop(ring.next_sqe(), 8, IOSQE_CQE_SKIP_SUCCESS);
    t.call("skipped", ring.enter(1, 0, 0), sys);
    t.note("count.skipped", take(efd));
    io_uring_sqe* s = ring.next_sqe();
    prep_nop(s, 9);
    s->nop_flags = IORING_NOP_TW;
    prep_nop(ring.next_sqe(), 10);
    t.call("tw_and_inline", ring.enter(2, 0, 0), sys);
    t.note("count.tw_and_inline", take(efd));
    cq_flags.set(IORING_CQ_EVENTFD_DISABLED);
    prep_nop(ring.next_sqe(), 11);
    t.call("muted", ring.enter(1, 0, 0), sys);
    t.note("count.muted", take(efd));
    cq_flags.set(0);
    prep_nop(ring.next_sqe(), 12);
    t.call("unmuted", ring.enter(1, 0, 0), sys);
    t.note("count.unmuted", take(efd));
    t.call("getevents_nothing_new", ring.enter(0, 0, IORING_ENTER_GETEVENTS), sys);
    t.note("count.getevents_nothing_new", take(efd));
    t.cqes("cqes2", ring.reap(), /*as_multiset=*/true);
    // Tag CQEs: one commit each.
    int fds[3] = {efd, efd, efd};
    uint64_t tags[3] = {200, 201, 202};
    io_uring_rsrc_register rr{};
    rr.nr = 3;
    rr.data = reinterpret_cast<uint64_t>(fds);
    rr.tags = reinterpret_cast<uint64_t>(tags);
    t.call("files2", ring.do_register(IORING_REGISTER_FILES2, &rr, sizeof rr), sys);
    t.call("unregister_files", ring.do_register(IORING_UNREGISTER_FILES, nullptr, 0), sys);
    t.note("count.tags", take(efd));
    t.cqes("tags", ring.reap());
    // EVENTFD_ASYNC: only io-wq completions.
    t.call("unregister", ring.do_register(IORING_UNREGISTER_EVENTFD, nullptr, 0), sys);
    t.call("register_async", ring.do_register(IORING_REGISTER_EVENTFD_ASYNC, &efd, 1), sys);
    prep_nop(ring.next_sqe(), 13);
    t.call("async_reg.inline", ring.enter(1, 0, 0), sys);
    t.note("count.async_reg.inline", take(efd));
    prep_nop(ring.next_sqe(), 14, IOSQE_ASYNC);
    t.call("async_reg.async", ring.enter(1, 0, 0), sys);
    t.call("async_reg.wait", wait_cqes(ring, 2), sys);
    t.note("count.async_reg.async", take(efd));
    t.cqes("cqes3", ring.reap());
    close(efd);
  });
  EXPECT_EQ(both.linux.get("count.two_nops"), "1");
  EXPECT_EQ(both.linux.get("count.link3"), "3");
  EXPECT_EQ(both.linux.get("count.tags"), "3");
}

TEST(RegisterExt, FileTable) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup_ring(ring, 8), 0);
    int f[4];
    for (int& fd : f) fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    io_uring_rsrc_register rr{};
    t.call("files2.size", ring.do_register(IORING_REGISTER_FILES2, &rr, sizeof rr - 1), sys);
    t.call("files2.nr0", ring.do_register(IORING_REGISTER_FILES2, &rr, sizeof rr), sys);
    t.call("files2.null", ring.do_register(IORING_REGISTER_FILES2, nullptr, sizeof rr), sys);
    int fds[4] = {f[0], f[1], f[2], -1};
    uint64_t tags[4] = {0, 11, 0, 5};
    rr.nr = 4;
    rr.flags = 2;
    t.call("files2.badflag", ring.do_register(IORING_REGISTER_FILES2, &rr, sizeof rr), sys);
    rr.flags = IORING_RSRC_REGISTER_SPARSE;
    rr.data = reinterpret_cast<uint64_t>(fds);
    t.call("files2.sparse_with_data", ring.do_register(IORING_REGISTER_FILES2, &rr, sizeof rr), sys);
    rr.flags = 0;
    rr.tags = reinterpret_cast<uint64_t>(tags);
    t.call("files2.tag_on_empty", ring.do_register(IORING_REGISTER_FILES2, &rr, sizeof rr), sys);
    fds[3] = -2;
    tags[3] = 0;
    t.call("files2.fd_minus2", ring.do_register(IORING_REGISTER_FILES2, &rr, sizeof rr), sys);
    fds[3] = -1;
    t.call("files2", ring.do_register(IORING_REGISTER_FILES2, &rr, sizeof rr), sys);
    t.call("files2.again", ring.do_register(IORING_REGISTER_FILES2, &rr, sizeof rr), sys);
    io_uring_file_index_range range{};
    t.call("range.nr1", ring.do_register(IORING_REGISTER_FILE_ALLOC_RANGE, &range, 1), sys);
    t.call("range.null", ring.do_register(IORING_REGISTER_FILE_ALLOC_RANGE, nullptr, 0), sys);
    range = {2, 3, 0};
    t.call("range.past_end", ring.do_register(IORING_REGISTER_FILE_ALLOC_RANGE, &range, 0), sys);
    range = {0xffffffffu, 2, 0};
    t.call("range.overflow", ring.do_register(IORING_REGISTER_FILE_ALLOC_RANGE, &range, 0), sys);
    range = {1, 2, 1};
    t.call("range.resv", ring.do_register(IORING_REGISTER_FILE_ALLOC_RANGE, &range, 0), sys);
    range = {3, 1, 0};
    t.call("range", ring.do_register(IORING_REGISTER_FILE_ALLOC_RANGE, &range, 0), sys);
    // FILES_UPDATE (6).
    int nf[3] = {f[1], -1, IORING_REGISTER_FILES_SKIP};
    io_uring_rsrc_update up{};
    up.data = reinterpret_cast<uint64_t>(nf);
    t.call("update.nr0", ring.do_register(IORING_REGISTER_FILES_UPDATE, &up, 0), sys);
    up.offset = 3;
    t.call("update.past_end", ring.do_register(IORING_REGISTER_FILES_UPDATE, &up, 2), sys);
    up.offset = 0xffffffffu;
    t.call("update.overflow", ring.do_register(IORING_REGISTER_FILES_UPDATE, &up, 2), sys);
    up.offset = 0;
    up.resv = 1;
    t.call("update.resv", ring.do_register(IORING_REGISTER_FILES_UPDATE, &up, 2), sys);
    up.resv = 0;
    up.offset = 1;
    t.call("update", ring.do_register(IORING_REGISTER_FILES_UPDATE, &up, 3), sys);
    t.cqes("update.cqes", ring.reap());
    nf[0] = ring.fd();
    up.offset = 0;
    t.call("update.ring_fd", ring.do_register(IORING_REGISTER_FILES_UPDATE, &up, 1), sys);
    nf[0] = f[0];
    nf[1] = 9999;
    t.call("update.good_then_bad", ring.do_register(IORING_REGISTER_FILES_UPDATE, &up, 2), sys);
    // FILES_UPDATE2 (14) with tags.
    int nf2[2] = {f[2], IORING_REGISTER_FILES_SKIP};
    uint64_t t2[2] = {77, 0};
    io_uring_rsrc_update2 up2{};
    t.call("update2.size", ring.do_register(IORING_REGISTER_FILES_UPDATE2, &up2, sizeof up2 + 1), sys);
    t.call("update2.nr0", ring.do_register(IORING_REGISTER_FILES_UPDATE2, &up2, sizeof up2), sys);
    up2.nr = 2;
    up2.data = reinterpret_cast<uint64_t>(nf2);
    up2.tags = reinterpret_cast<uint64_t>(t2);
    t.call("update2", ring.do_register(IORING_REGISTER_FILES_UPDATE2, &up2, sizeof up2), sys);
    t.cqes("update2.cqes", ring.reap());
    t2[1] = 3;
    t.call("update2.tag_on_skip", ring.do_register(IORING_REGISTER_FILES_UPDATE2, &up2, sizeof up2), sys);
    t.cqes("update2.tag_on_skip.cqes", ring.reap());
    // IORING_OP_FILES_UPDATE: allocation into the range [3, 4), then ENFILE.
    int of[2] = {f[1], f[0]};
    io_uring_sqe* s = ring.next_sqe();
    s->opcode = IORING_OP_FILES_UPDATE;
    s->fd = -1;
    s->off = IORING_FILE_INDEX_ALLOC;
    s->addr = reinterpret_cast<uint64_t>(of);
    s->len = 2;
    s->user_data = 1;
    t.call("op.alloc", ring.enter(1, 0, 0), sys);
    t.cqes("op.alloc.cqes", ring.reap());
    t.note("op.alloc.written", of[0] * 1000 + (of[1] == f[0] ? 999 : of[1]));
    s = ring.next_sqe();
    s->opcode = IORING_OP_FILES_UPDATE;
    s->off = 1;
    s->addr = reinterpret_cast<uint64_t>(of);
    s->len = 0;
    s->user_data = 2;
    t.call("op.len0", ring.enter(1, 0, 0), sys);
    s = ring.next_sqe();
    s->opcode = IORING_OP_FILES_UPDATE;
    s->off = 1;
    s->addr = reinterpret_cast<uint64_t>(of);
    s->len = 1;
    s->flags = IOSQE_FIXED_FILE;
    s->user_data = 3;
    t.call("op.fixed", ring.enter(1, 0, 0), sys);
    int clear[1] = {-1};
    s = ring.next_sqe();
    s->opcode = IORING_OP_FILES_UPDATE;
    s->off = 1;
    s->addr = reinterpret_cast<uint64_t>(clear);
    s->len = 1;
    s->user_data = 4;
    t.call("op.clear", ring.enter(1, 0, 0), sys);
    t.cqes("op.cqes", ring.reap());
    t.call("unregister", ring.do_register(IORING_UNREGISTER_FILES, nullptr, 0), sys);
    t.cqes("unregister.cqes", ring.reap());
    t.call("update.no_table", ring.do_register(IORING_REGISTER_FILES_UPDATE, &up, 1), sys);
    t.call("range.no_table", ring.do_register(IORING_REGISTER_FILE_ALLOC_RANGE, &range, 0), sys);
    // Sparse: allocation fills the range, writes the slots back, then ENFILE.
    rr = {};
    rr.nr = 4;
    rr.flags = IORING_RSRC_REGISTER_SPARSE;
    t.call("sparse", ring.do_register(IORING_REGISTER_FILES2, &rr, sizeof rr), sys);
    range = {2, 2, 0};
    t.call("sparse.range", ring.do_register(IORING_REGISTER_FILE_ALLOC_RANGE, &range, 0), sys);
    int a3[3] = {f[0], f[1], f[2]};
    s = ring.next_sqe();
    s->opcode = IORING_OP_FILES_UPDATE;
    s->off = IORING_FILE_INDEX_ALLOC;
    s->addr = reinterpret_cast<uint64_t>(a3);
    s->len = 3;
    s->user_data = 5;
    t.call("sparse.alloc", ring.enter(1, 0, 0), sys);
    t.cqes("sparse.alloc.cqes", ring.reap());
    t.note("sparse.alloc.written", a3[0] * 10 + a3[1]);
    t.call("sparse.unregister", ring.do_register(IORING_UNREGISTER_FILES, nullptr, 0), sys);
    rr = {};
    rr.nr = 2;
    t.call("null_data_is_sparse", ring.do_register(IORING_REGISTER_FILES2, &rr, sizeof rr), sys);
    t.call("null_data_is_sparse.unregister", ring.do_register(IORING_UNREGISTER_FILES, nullptr, 0), sys);
    t.call("register_files_null", ring.do_register(IORING_REGISTER_FILES, nullptr, 2), sys);
    for (int fd : f) close(fd);
  });
  EXPECT_EQ(both.linux.get("update"), "3");
  EXPECT_EQ(both.linux.get("op.alloc.written"), "3999");
  EXPECT_EQ(both.linux.get("sparse.alloc.written"), "23");
}

TEST(RegisterExt, SyncCancel) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup_ring(ring, 8), 0);
    io_uring_sync_cancel_reg sc{};
    t.call("nr0", ring.do_register(IORING_REGISTER_SYNC_CANCEL, &sc, 0), sys);
    t.call("null", ring.do_register(IORING_REGISTER_SYNC_CANCEL, nullptr, 1), sys);
    sc.addr = 42;
    t.call("none", ring.do_register(IORING_REGISTER_SYNC_CANCEL, &sc, 1), sys);
    sc.pad[0] = 1;
    t.call("pad", ring.do_register(IORING_REGISTER_SYNC_CANCEL, &sc, 1), sys);
    sc.pad[0] = 0;
    sc.pad2[1] = 1;
    t.call("pad2", ring.do_register(IORING_REGISTER_SYNC_CANCEL, &sc, 1), sys);
    sc.pad2[1] = 0;
    sc.flags = 1u << 10;
    t.call("bad_flag", ring.do_register(IORING_REGISTER_SYNC_CANCEL, &sc, 1), sys);
    sc.flags = IORING_ASYNC_CANCEL_FD;
    sc.fd = 9999;
    t.call("bad_fd", ring.do_register(IORING_REGISTER_SYNC_CANCEL, &sc, 1), sys);
    sc.flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_FD_FIXED;
    sc.fd = 0;
    t.call("fixed_no_table", ring.do_register(IORING_REGISTER_SYNC_CANCEL, &sc, 1), sys);
    sc.flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ANY;
    sc.fd = ring.fd();
    t.call("fd_and_any", ring.do_register(IORING_REGISTER_SYNC_CANCEL, &sc, 1), sys);
    sc.flags = IORING_ASYNC_CANCEL_ALL;
    t.call("all_none", ring.do_register(IORING_REGISTER_SYNC_CANCEL, &sc, 1), sys);
    static __kernel_timespec ten_s{10, 0};
    for (uint64_t ud : {50, 50, 51}) {
      io_uring_sqe* s = ring.next_sqe();
      s->opcode = IORING_OP_TIMEOUT;
      s->addr = reinterpret_cast<uint64_t>(&ten_s);
      s->len = 1;
      s->user_data = ud;
    }
    t.call("timeouts", ring.enter(3, 0, 0), sys);
    sc = {};
    sc.addr = 50;
    t.call("one", ring.do_register(IORING_REGISTER_SYNC_CANCEL, &sc, 1), sys);
    t.cqes("one.cqes", ring.reap());
    sc.flags = IORING_ASYNC_CANCEL_ANY;
    t.call("any", ring.do_register(IORING_REGISTER_SYNC_CANCEL, &sc, 1), sys);
    t.cqes("any.cqes", ring.reap());
    for (int i = 0; i < 2; ++i) {
      io_uring_sqe* s = ring.next_sqe();
      s->opcode = IORING_OP_TIMEOUT;
      s->addr = reinterpret_cast<uint64_t>(&ten_s);
      s->len = 1;
      s->user_data = 60;
    }
    t.call("timeouts2", ring.enter(2, 0, 0), sys);
    sc = {};
    sc.addr = 60;
    sc.flags = IORING_ASYNC_CANCEL_ALL;
    t.call("all", ring.do_register(IORING_REGISTER_SYNC_CANCEL, &sc, 1), sys);
    t.cqes("all.cqes", ring.reap());
    io_uring_sqe* s = ring.next_sqe();
    s->opcode = IORING_OP_TIMEOUT;
    s->addr = reinterpret_cast<uint64_t>(&ten_s);
    s->len = 1;
    s->user_data = 70;
    t.call("timeout3", ring.enter(1, 0, 0), sys);
    sc = {};
    sc.flags = IORING_ASYNC_CANCEL_OP;
    sc.opcode = IORING_OP_TIMEOUT;
    t.call("by_op", ring.do_register(IORING_REGISTER_SYNC_CANCEL, &sc, 1), sys);
    t.cqes("by_op.cqes", ring.reap());
  });
  EXPECT_EQ(both.linux.get("any"), "2");
}

}  // namespace
}  // namespace uringsim::difftest
