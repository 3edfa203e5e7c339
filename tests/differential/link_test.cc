// Links, hard links, CQE_SKIP_SUCCESS and DRAIN.
//
// Ordering: CQEs of a chain that succeeds are compared in ring order (Linux posts
// inline completions in submission order, spec H.2). When a chain fails, Linux posts
// the -ECANCELED completions of the rest through task work, possibly after unrelated
// CQEs ([NOP -> bad op -> NOP] gave 55, 58, 56, 57): those cases are compared as
// multisets ("cqes(sorted)") and nothing else about their order is asserted.
#include <cerrno>
#include <string>

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

void inject(io_uring_sqe* s, int32_t res) {
  s->nop_flags = IORING_NOP_INJECT_RESULT;
  s->len = static_cast<uint32_t>(res);
}

// Submits what is queued (n SQEs), waits for `expect` CQEs, records everything.
void submit_and_record(Syscalls& sys, Transcript& t, RawRing& ring, const std::string& k,
                       uint32_t n, uint32_t expect, bool multiset) {
  t.call(k + ".submit", ring.enter(n, 0, 0), sys);
  t.call(k + ".wait", wait_cqes(ring, expect), sys);
  t.cqes(k, ring.reap(), multiset);
  t.counters(k, ring);
}

TEST(Link, ChainOfThreeNops) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup_ring(ring, 8), 0);
    prep_nop(ring.next_sqe(), 1, IOSQE_IO_LINK);
    prep_nop(ring.next_sqe(), 2, IOSQE_IO_LINK);
    prep_nop(ring.next_sqe(), 3);
    submit_and_record(sys, t, ring, "chain", 3, 3, false);
    // A link left open at the end of the batch is started anyway.
    prep_nop(ring.next_sqe(), 4, IOSQE_IO_LINK);
    submit_and_record(sys, t, ring, "open_link", 1, 1, false);
    // ... and does not swallow the next batch's first SQE.
    prep_nop(ring.next_sqe(), 5);
    submit_and_record(sys, t, ring, "after_open_link", 1, 1, false);
  });
  EXPECT_EQ(both.linux.get("chain.cqes"),
            "{ud=1 res=0 f=0x0} {ud=2 res=0 f=0x0} {ud=3 res=0 f=0x0}");
}

TEST(Link, FailingMemberCancelsTheRest) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup_ring(ring, 8), 0);
    // READ on a bad fd in the middle.
    prep_nop(ring.next_sqe(), 1, IOSQE_IO_LINK);
    io_uring_sqe* r = ring.next_sqe();
    static char buf[16];
    prep_rw(r, IORING_OP_READ, 9999, reinterpret_cast<uint64_t>(buf), sizeof buf, 0, 2);
    r->flags = IOSQE_IO_LINK;
    prep_nop(ring.next_sqe(), 3, IOSQE_IO_LINK);
    prep_nop(ring.next_sqe(), 4);
    submit_and_record(sys, t, ring, "read_badf", 4, 4, true);
    // NOP with an injected negative result fails the link like any error.
    io_uring_sqe* s = ring.next_sqe();
    prep_nop(s, 11, IOSQE_IO_LINK);
    inject(s, -EIO);
    prep_nop(ring.next_sqe(), 12, IOSQE_IO_LINK);
    prep_nop(ring.next_sqe(), 13);
    submit_and_record(sys, t, ring, "inject_eio_head", 3, 3, true);
    // Injected positive result is a success.
    s = ring.next_sqe();
    prep_nop(s, 21, IOSQE_IO_LINK);
    inject(s, 5);
    prep_nop(ring.next_sqe(), 22);
    submit_and_record(sys, t, ring, "inject_positive", 2, 2, false);
    // A member failing init (bad opcode) inside a link: the head is failed with
    // -ECANCELED, the bad SQE gets -EINVAL, the rest -ECANCELED (spec B.3).
    prep_nop(ring.next_sqe(), 31, IOSQE_IO_LINK);
    io_uring_sqe* bad = ring.next_sqe();
    bad->opcode = 250;
    bad->flags = IOSQE_IO_LINK;
    bad->user_data = 32;
    prep_nop(ring.next_sqe(), 33, IOSQE_IO_LINK);
    prep_nop(ring.next_sqe(), 34);
    prep_nop(ring.next_sqe(), 35);  // not in the chain
    submit_and_record(sys, t, ring, "bad_op_in_link", 5, 5, true);
  });
  EXPECT_EQ(both.linux.get("read_badf.cqes(sorted)"),
            "{ud=1 res=0 f=0x0} {ud=2 res=-9 f=0x0} {ud=3 res=-125 f=0x0} {ud=4 res=-125 f=0x0}");
}

TEST(Link, HardlinkContinuesAfterError) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup_ring(ring, 8), 0);
    io_uring_sqe* s = ring.next_sqe();
    prep_nop(s, 1, IOSQE_IO_HARDLINK);
    inject(s, -EIO);
    prep_nop(ring.next_sqe(), 2, IOSQE_IO_HARDLINK);
    static char buf[8];
    io_uring_sqe* r = ring.next_sqe();
    prep_rw(r, IORING_OP_READ, 9999, reinterpret_cast<uint64_t>(buf), sizeof buf, 0, 3);
    r->flags = IOSQE_IO_HARDLINK;
    prep_nop(ring.next_sqe(), 4);
    submit_and_record(sys, t, ring, "hardlink", 4, 4, false);
    // Mixed: hard link then soft link that fails.
    s = ring.next_sqe();
    prep_nop(s, 11, IOSQE_IO_HARDLINK);
    inject(s, -EIO);
    s = ring.next_sqe();
    prep_nop(s, 12, IOSQE_IO_LINK);
    inject(s, -EINVAL);
    prep_nop(ring.next_sqe(), 13);
    submit_and_record(sys, t, ring, "hard_then_soft", 3, 3, true);
  });
}

TEST(Link, CqeSkipSuccess) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup_ring(ring, 8), 0);
    prep_nop(ring.next_sqe(), 1, IOSQE_CQE_SKIP_SUCCESS);
    prep_nop(ring.next_sqe(), 2, IOSQE_CQE_SKIP_SUCCESS);
    prep_nop(ring.next_sqe(), 3);
    submit_and_record(sys, t, ring, "skip_two", 3, 1, false);
    // In a link: successful skipped members post nothing, the failing one posts; the
    // members it cancels inherit its CQE_SKIP_SUCCESS and post nothing either (6.18:
    // io_fail_links skips link CQEs when the failed request had the flag).
    prep_nop(ring.next_sqe(), 11, IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS);
    io_uring_sqe* s = ring.next_sqe();
    prep_nop(s, 12, IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS);
    inject(s, -EIO);
    prep_nop(ring.next_sqe(), 13, IOSQE_CQE_SKIP_SUCCESS);
    submit_and_record(sys, t, ring, "skip_link_fail", 3, 1, true);
    // Whole chain skipped: no CQE at all.
    prep_nop(ring.next_sqe(), 21, IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS);
    prep_nop(ring.next_sqe(), 22, IOSQE_CQE_SKIP_SUCCESS);
    submit_and_record(sys, t, ring, "skip_all", 2, 0, false);
  });
}

TEST(Link, DrainAfterCqeSkipIsRefused) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup_ring(ring, 8), 0);
    // DRAIN on a ring that never saw CQE_SKIP_SUCCESS works.
    prep_nop(ring.next_sqe(), 1);
    prep_nop(ring.next_sqe(), 2, IOSQE_IO_DRAIN);
    prep_nop(ring.next_sqe(), 3);
    submit_and_record(sys, t, ring, "drain_ok", 3, 3, false);
    prep_nop(ring.next_sqe(), 4, IOSQE_CQE_SKIP_SUCCESS);
    submit_and_record(sys, t, ring, "skip", 1, 0, false);
    prep_nop(ring.next_sqe(), 5, IOSQE_IO_DRAIN);
    prep_nop(ring.next_sqe(), 6);
    submit_and_record(sys, t, ring, "drain_refused", 2, 1, false);
    t.call("rest", ring.enter(1, 0, 0), sys);
    t.call("rest.wait", wait_cqes(ring, 1), sys);
    t.cqes("rest", ring.reap());
  });
  EXPECT_EQ(both.linux.get("drain_refused.cqes"), "{ud=5 res=-95 f=0x0}");
}

}  // namespace
}  // namespace uringsim::difftest
