// A multishot POLL_ADD posts one CQE per wakeup of the file's wait queue that task
// work sees (io_poll_wake / io_poll_check_events), not per level:
//  - plain ring: the writer's return to user space runs the task work, so each write
//    is a CQE, even several writes before the next io_uring_enter;
//  - DEFER_TASKRUN ring: the task work waits for a wait; the wakeups in between
//    coalesce into one CQE whose mask is read again then (none if the data is gone);
//  - a file that stays readable with no new write posts nothing;
//  - a regular file has no wait queue: one CQE without IORING_CQE_F_MORE, done.
// The sim hears of the wakeups through sim/wakeup_watch.h.
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "tests/differential/differential.h"

namespace uringsim::difftest {
namespace {

void prep_poll_remove(io_uring_sqe* sqe, uint64_t target, uint64_t user_data) {
  sqe->opcode = IORING_OP_POLL_REMOVE;
  sqe->fd = -1;
  sqe->addr = target;
  sqe->user_data = user_data;
}

// The pipe scenario, on a ring set up with `setup_flags`.
BothSides run_pipe_scenario(uint32_t setup_flags) {
  return run_both([setup_flags](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    io_uring_params p{};
    p.flags = setup_flags;
    ASSERT_GE(ring.setup(8, p), 0);
    int pfd[2];
    ASSERT_EQ(pipe(pfd), 0);
    char buf[64];
    prep_poll(ring.next_sqe(), pfd[0], POLLIN, IORING_POLL_ADD_MULTI, 1);
    t.call("arm", ring.enter(1), sys);
    t.cqes("armed_empty", ring.reap());

    // Three writes, a wait after each: three CQEs on every kind of ring.
    for (int i = 0; i < 3; ++i) {
      ASSERT_EQ(write(pfd[1], "a", 1), 1);
      const std::string k = "write_wait" + std::to_string(i);
      t.call(k, ring.enter(0, 1, IORING_ENTER_GETEVENTS), sys);
      t.cqes(k, ring.reap());
    }
    // Still readable, nothing new: no CQE.
    t.call("idle_wait", ring.enter(0, 0, IORING_ENTER_GETEVENTS), sys);
    t.cqes("idle", ring.reap());

    // Three writes, then one wait: three CQEs on a plain ring, one on DEFER_TASKRUN.
    for (int i = 0; i < 3; ++i) ASSERT_EQ(write(pfd[1], "b", 1), 1);
    t.call("three_then_wait", ring.enter(0, 1, IORING_ENTER_GETEVENTS), sys);
    t.cqes("three_then_wait", ring.reap());

    // Two writes, then the data is read before the wait: a plain ring posted both at
    // the writes; DEFER_TASKRUN finds nothing ready when its task work runs.
    ASSERT_EQ(read(pfd[0], buf, sizeof buf), 6);
    ASSERT_EQ(write(pfd[1], "cd", 2), 2);
    ASSERT_EQ(write(pfd[1], "e", 1), 1);
    ASSERT_EQ(read(pfd[0], buf, sizeof buf), 3);
    t.call("drained_wait", ring.enter(0, 0, IORING_ENTER_GETEVENTS), sys);
    t.cqes("drained", ring.reap());

    // The write end closes: a wakeup with POLLHUP.
    close(pfd[1]);
    t.call("hup_wait", ring.enter(0, 1, IORING_ENTER_GETEVENTS), sys);
    t.cqes("hup", ring.reap());

    prep_poll_remove(ring.next_sqe(), 1, 2);
    t.call("remove", ring.enter(1, 2, IORING_ENTER_GETEVENTS), sys);
    t.cqes("removed", ring.reap(), /*as_multiset=*/true);
    close(pfd[0]);
    ring.close();
  });
}

TEST(PollWakeups, PlainRingPostsOneCqePerWrite) {
  REQUIRE_IO_URING();
  BothSides both = run_pipe_scenario(0);
  const std::string one = "{ud=1 res=1 f=0x2}";
  EXPECT_EQ(both.linux.get("armed_empty.cqes"), "(none)");
  EXPECT_EQ(both.linux.get("write_wait0.cqes"), one);
  EXPECT_EQ(both.linux.get("write_wait2.cqes"), one);
  EXPECT_EQ(both.linux.get("idle.cqes"), "(none)");
  EXPECT_EQ(both.linux.get("three_then_wait.cqes"), one + " " + one + " " + one);
  EXPECT_EQ(both.linux.get("drained.cqes"), one + " " + one);
  EXPECT_EQ(both.linux.get("hup.cqes"), "{ud=1 res=16 f=0x2}");
  EXPECT_EQ(both.linux.get("removed.cqes(sorted)"), "{ud=1 res=-125 f=0x0} {ud=2 res=0 f=0x0}");
}

TEST(PollWakeups, DeferTaskrunRingCoalescesWakeupsBetweenWaits) {
  REQUIRE_IO_URING();
  BothSides both = run_pipe_scenario(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
  const std::string one = "{ud=1 res=1 f=0x2}";
  EXPECT_EQ(both.linux.get("write_wait1.cqes"), one);
  EXPECT_EQ(both.linux.get("idle.cqes"), "(none)");
  EXPECT_EQ(both.linux.get("three_then_wait.cqes"), one);
  EXPECT_EQ(both.linux.get("drained.cqes"), "(none)");
  EXPECT_EQ(both.linux.get("hup.cqes"), "{ud=1 res=16 f=0x2}");
}

TEST(PollWakeups, EventfdWritesEachWakeOnAPlainRing) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    io_uring_params p{};
    ASSERT_GE(ring.setup(8, p), 0);
    const int efd = eventfd(0, EFD_NONBLOCK);
    ASSERT_GE(efd, 0);
    prep_poll(ring.next_sqe(), efd, POLLIN, IORING_POLL_ADD_MULTI, 5);
    t.call("arm", ring.enter(1), sys);
    const uint64_t one = 1;
    ASSERT_EQ(write(efd, &one, sizeof one), 8);
    ASSERT_EQ(write(efd, &one, sizeof one), 8);
    t.call("wait", ring.enter(0, 2, IORING_ENTER_GETEVENTS), sys);
    t.cqes("two_writes", ring.reap());
    prep_poll_remove(ring.next_sqe(), 5, 6);
    t.call("remove", ring.enter(1, 2, IORING_ENTER_GETEVENTS), sys);
    t.cqes("removed", ring.reap(), /*as_multiset=*/true);
    close(efd);
    ring.close();
  });
  EXPECT_EQ(both.linux.get("two_writes.cqes"), "{ud=5 res=1 f=0x2} {ud=5 res=1 f=0x2}");
}

TEST(PollWakeups, RegularFileHasNoWaitQueueSoMultishotEndsAtOnce) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    io_uring_params p{};
    ASSERT_GE(ring.setup(8, p), 0);
    char path[] = "/tmp/uringsim-poll-regular-XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    unlink(path);
    prep_poll(ring.next_sqe(), fd, POLLIN | POLLOUT, IORING_POLL_ADD_MULTI, 7);
    // POLLPRI alone: a regular file is never ready for it, and nothing can wake it.
    prep_poll(ring.next_sqe(), fd, POLLPRI, IORING_POLL_ADD_MULTI, 8);
    t.call("arm", ring.enter(2, 2, IORING_ENTER_GETEVENTS), sys);
    t.cqes("regular", ring.reap());
    close(fd);
    ring.close();
  });
  EXPECT_EQ(both.linux.get("regular.cqes"), "{ud=7 res=5 f=0x0} {ud=8 res=-22 f=0x0}");
}

}  // namespace
}  // namespace uringsim::difftest
