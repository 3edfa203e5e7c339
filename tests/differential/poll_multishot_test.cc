// Multishot POLL_ADD is edge-triggered on 6.18 (io_poll_parse_events adds EPOLLET
// unless IORING_POLL_ADD_LEVEL, which POLL_ADD itself refuses): one CQE per wakeup
// that task work sees, not one per SQE and not one per level check. On a
// DEFER_TASKRUN ring the wakeups between two waits coalesce into one CQE.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "tests/differential/differential.h"

namespace uringsim::difftest {
namespace {

TEST(PollMultishot, EdgeTriggeredCqeCountsOnADeferTaskrunRing) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    io_uring_params p{};
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    ASSERT_GE(ring.setup(8, p), 0);
    int pfd[2];
    ASSERT_EQ(pipe(pfd), 0);
    char buf[16];
    prep_poll(ring.next_sqe(), pfd[0], POLLIN, IORING_POLL_ADD_MULTI, 1);
    t.call("arm", ring.enter(1), sys);
    t.cqes("armed_not_ready", ring.reap());

    // Two writes before the next wait: their wakeups coalesce into one CQE.
    ASSERT_EQ(write(pfd[1], "ab", 2), 2);
    ASSERT_EQ(write(pfd[1], "c", 1), 1);
    t.call("wait1", ring.enter(0, 0, IORING_ENTER_GETEVENTS), sys);
    t.cqes("after_two_writes", ring.reap());

    // Drained: no wakeup, no CQE.
    ASSERT_EQ(read(pfd[0], buf, sizeof buf), 3);
    t.call("wait2", ring.enter(0, 0, IORING_ENTER_GETEVENTS), sys);
    t.cqes("after_read", ring.reap());

    // A new write is a new edge.
    ASSERT_EQ(write(pfd[1], "d", 1), 1);
    t.call("wait3", ring.enter(0, 0, IORING_ENTER_GETEVENTS), sys);
    t.cqes("after_new_write", ring.reap());

    // A second multishot poll armed on a ready pipe posts at once; the first, with no
    // new wakeup, does not.
    prep_poll(ring.next_sqe(), pfd[0], POLLIN, IORING_POLL_ADD_MULTI, 2);
    t.call("arm_ready", ring.enter(1, 0, IORING_ENTER_GETEVENTS), sys);
    t.cqes("armed_ready", ring.reap());

    // IORING_POLL_ADD_LEVEL is not a POLL_ADD flag.
    prep_poll(ring.next_sqe(), pfd[0], POLLIN, IORING_POLL_ADD_MULTI | IORING_POLL_ADD_LEVEL, 3);
    t.call("level", ring.enter(1, 0, IORING_ENTER_GETEVENTS), sys);
    t.cqes("level_cqe", ring.reap());

    close(pfd[1]);
    close(pfd[0]);
    ring.close();
  });
  EXPECT_EQ(both.linux.get("after_two_writes.cqes"), "{ud=1 res=1 f=0x2}");
  EXPECT_EQ(both.linux.get("after_read.cqes"), "(none)");
  EXPECT_EQ(both.linux.get("armed_ready.cqes"), "{ud=2 res=1 f=0x2}");
  EXPECT_EQ(both.linux.get("level_cqe.cqes"), "{ud=3 res=-22 f=0x0}");
}

}  // namespace
}  // namespace uringsim::difftest
