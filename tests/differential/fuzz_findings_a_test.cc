// The differential fuzz findings of issue #6, part A, each as one scenario run on
// Linux 6.18 and on the simulated kernel (the model's side is pinned in
// tests/kernel_model/fuzz_findings_a_test.cc):
//  (a) a SEND_ZC deferred by draining never issues (its notification is allocated but
//      not deferred), and what is queued behind it waits with it;
//  (b) a short read posts despite IOSQE_CQE_SKIP_SUCCESS and cancels its link;
//  (c) RECVMSG/SEND with a len of 2 GiB or more fail prep with -EINVAL (ending the batch).
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "tests/differential/differential.h"
#include "tests/differential/test_files.h"

namespace uringsim::difftest {
namespace {

// Submits `n` SQEs and waits (at most 100 ms) for `want` CQEs.
void go(Syscalls& sys, Transcript& t, RawRing& r, const std::string& k, uint32_t n, uint32_t want) {
  submit_and_wait(sys, t, r, k, n, want, 100);
}

TEST(FuzzFindingsADiff, DrainedSendZcNeverIssues) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    UnixPair ux;
    AnonPages mem(4096);
    RawRing r(sys);
    io_uring_params p{};
    ASSERT_GE(r.setup(8, p), 0);
    prep_sqe(r, IORING_OP_SEND_ZC, 1, ux.a, mem.addr(), 8, IOSQE_IO_DRAIN);
    go(sys, t, r, "drained_send_zc", 1, 0);
    prep_sqe(r, IORING_OP_NOP, 2, -1, 0, 0);
    go(sys, t, r, "nop_behind_it", 1, 0);
  });
  EXPECT_EQ(both.linux.get("drained_send_zc.cqes"), "(none)");
  EXPECT_EQ(both.linux.get("nop_behind_it.cqes"), "(none)");
}

TEST(FuzzFindingsADiff, ShortReadPostsDespiteSkipSuccessAndCancelsItsLink) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    PatternFile f("/tmp", std::string(sys.name()) + "-short");
    AnonPages mem(4 * 4096);
    RawRing r(sys);
    io_uring_params p{};
    ASSERT_GE(r.setup(8, p), 0);
    io_uring_sqe* tail_read = r.next_sqe();
    prep_rw(tail_read, IORING_OP_READ, f.rw, mem.addr(), 4096, PatternFile::kSize - 100, 1);
    tail_read->flags = IOSQE_CQE_SKIP_SUCCESS;
    go(sys, t, r, "short_read_skip", 1, 1);
    io_uring_sqe* eof_read = r.next_sqe();
    prep_rw(eof_read, IORING_OP_READ, f.rw, mem.addr(), 4096, PatternFile::kSize, 2);
    eof_read->flags = IOSQE_IO_LINK;
    prep_sqe(r, IORING_OP_NOP, 3, -1, 0, 0);
    go(sys, t, r, "eof_read_link", 2, 2);
  });
  EXPECT_EQ(both.linux.get("short_read_skip.cqes"), "{ud=1 res=100 f=0x0}");
  EXPECT_EQ(both.linux.get("eof_read_link.cqes"), "{ud=2 res=0 f=0x0} {ud=3 res=-125 f=0x0}");
}

TEST(FuzzFindingsADiff, SendAndRecvmsgWithANegativeIntLenFailPrep) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    UnixPair ux;
    AnonPages mem(4096);
    RawRing r(sys);
    io_uring_params p{};
    ASSERT_GE(r.setup(8, p), 0);
    prep_sqe(r, IORING_OP_RECVMSG, 1, ux.a, mem.addr(), 0x80000000u);
    prep_sqe(r, IORING_OP_NOP, 2, -1, 0, 0);
    go(sys, t, r, "recvmsg_2g", 2, 1);
    go(sys, t, r, "then_nop", 1, 1);
    prep_sqe(r, IORING_OP_SEND, 3, ux.a, mem.addr(), 0xffffffffu);
    go(sys, t, r, "send_4g", 1, 1);
  });
}

}  // namespace
}  // namespace uringsim::difftest
