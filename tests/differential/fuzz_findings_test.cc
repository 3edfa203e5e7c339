// The differential fuzz findings of issue #6, each as one scenario run on Linux 6.18
// and on the simulated kernel (the model's side is pinned in
// tests/kernel_model/fuzz_findings_test.cc):
//  (a) PROVIDE_BUFFERS corners: nbufs 65536 with a first bid past 0, nbufs past 65536;
//  (b) SEND_ZC failing before its issue (bad fd, link cancellation, silenced
//      cancellation): the result with F_MORE and the notification;
//  (c) SENDMSG with IOSQE_BUFFER_SELECT and addr2 set;
//  (d) SENDMSG/RECVMSG with a msg_controllen above INT_MAX, and with too many iovecs.
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#include "tests/differential/differential.h"
#include "tests/differential/test_files.h"

namespace uringsim::difftest {
namespace {

// Submits `n` SQEs and waits (at most 300 ms) for `want` CQEs.
void go(Syscalls& sys, Transcript& t, RawRing& r, const std::string& k, uint32_t n, uint32_t want) {
  submit_and_wait(sys, t, r, k, n, want, 300);
}

// A user_msghdr at mem+256 with `iovlen` iovecs (all [mem+4096, +len)).
uint64_t msghdr(const AnonPages& mem, uint32_t len, uint64_t controllen, uint64_t iovlen = 1) {
  uint64_t iov[2] = {mem.addr(4096), len};
  std::memcpy(mem.p, iov, sizeof iov);
  uint64_t hdr[7] = {0, 0, mem.addr(), iovlen, mem.addr(8192), controllen, 0};
  std::memcpy(mem.p + 256, hdr, sizeof hdr);
  return mem.addr(256);
}

TEST(FuzzFindingsDiff, ProvideBuffersBidAndCountLimits) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    AnonPages mem(4 * 4096);
    RawRing r(sys);
    io_uring_params p{};
    ASSERT_GE(r.setup(8, p), 0);
    prep_sqe(r, IORING_OP_PROVIDE_BUFFERS, 1, 65536, mem.addr(), 16)->off = 2;
    go(sys, t, r, "bids_past_65535", 1, 1);
    prep_sqe(r, IORING_OP_PROVIDE_BUFFERS, 2, 65537, mem.addr(), 16);
    go(sys, t, r, "nbufs_65537", 1, 1);
    prep_sqe(r, IORING_OP_PROVIDE_BUFFERS, 3, -1, mem.addr(), 16);
    go(sys, t, r, "nbufs_minus_1", 1, 1);
    prep_sqe(r, IORING_OP_PROVIDE_BUFFERS, 4, 65536, mem.addr(), 0);
    go(sys, t, r, "len_0", 1, 1);
    prep_sqe(r, IORING_OP_PROVIDE_BUFFERS, 5, 4, mem.addr(), 1024)->off = 65533;
    go(sys, t, r, "last_bid_65536", 1, 1);
    prep_sqe(r, IORING_OP_PROVIDE_BUFFERS, 6, 4, mem.addr(), 1024)->off = 65536;
    go(sys, t, r, "first_bid_65536", 1, 1);
  });
}

TEST(FuzzFindingsDiff, SendZcFailingBeforeIssueStillPostsTheNotification) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    UnixPair ux;
    AnonPages mem(4096);
    RawRing r(sys);
    io_uring_params p{};
    ASSERT_GE(r.setup(8, p), 0);
    prep_sqe(r, IORING_OP_SEND_ZC, 1, -1, mem.addr(), 8);
    go(sys, t, r, "bad_fd", 1, 2);
    io_uring_sqe* nop = prep_sqe(r, IORING_OP_NOP, 2, -1, 0, static_cast<uint32_t>(-EIO), IOSQE_IO_LINK);
    nop->nop_flags = IORING_NOP_INJECT_RESULT;
    prep_sqe(r, IORING_OP_SEND_ZC, 3, ux.a, mem.addr(), 8);
    go(sys, t, r, "link_cancel", 2, 3);
    io_uring_sqe* bad = prep_sqe(r, IORING_OP_REMOVE_BUFFERS, 4, 1, 0, 0, IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS);
    bad->off = 1;
    prep_sqe(r, IORING_OP_SEND_ZC, 5, ux.a, mem.addr(), 8, IOSQE_IO_LINK);
    prep_sqe(r, IORING_OP_NOP, 6, -1, 0, 0);
    go(sys, t, r, "silenced_cancel", 3, 2);
  });
}

TEST(FuzzFindingsDiff, SendmsgWithBufferSelectIsEOPNOTSUPP) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    UnixPair ux;
    AnonPages mem(4 * 4096);
    RawRing r(sys);
    io_uring_params p{};
    ASSERT_GE(r.setup(8, p), 0);
    prep_sqe(r, IORING_OP_SENDMSG, 1, -1, msghdr(mem, 8, 0), 0, IOSQE_BUFFER_SELECT)->addr2 = 8192;
    go(sys, t, r, "select_addr2", 1, 1);
    prep_sqe(r, IORING_OP_SENDMSG, 2, ux.a, msghdr(mem, 8, 0), 0)->addr2 = 8192;
    go(sys, t, r, "addr2", 1, 1);
  });
}

TEST(FuzzFindingsDiff, HugeControllenAndTooManyIovecs) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    UnixPair ux;
    AnonPages mem(4 * 4096);
    RawRing r(sys);
    io_uring_params p{};
    ASSERT_GE(r.setup(8, p), 0);
    const uint64_t huge = uint64_t{INT_MAX} + 1;
    prep_sqe(r, IORING_OP_SENDMSG, 1, ux.a, msghdr(mem, 8, huge), 0);
    go(sys, t, r, "sendmsg_huge_control", 1, 1);
    prep_sqe(r, IORING_OP_RECVMSG, 2, ux.b, msghdr(mem, 8, uint64_t{1} << 40, 1025), 0);
    go(sys, t, r, "recvmsg_huge_control_1025_iovecs", 1, 1);
    prep_sqe(r, IORING_OP_SENDMSG, 3, ux.a, msghdr(mem, 8, huge, 1025), 0);
    go(sys, t, r, "sendmsg_huge_control_1025_iovecs", 1, 1);
    t.note("peer_write", ::write(ux.a, "hello", 5));
    prep_sqe(r, IORING_OP_RECVMSG, 4, ux.b, msghdr(mem, 8, uint64_t{1} << 40), 0);
    go(sys, t, r, "recvmsg_huge_control", 1, 1);
    t.note_str("received", std::string(reinterpret_cast<const char*>(mem.p + 4096), 5));
  });
}

}  // namespace
}  // namespace uringsim::difftest
