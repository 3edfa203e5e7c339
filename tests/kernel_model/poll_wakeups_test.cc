// Multishot POLL_ADD driven by reported wakeups (File::note_wakeup), as Linux's
// io_poll_wake / io_poll_check_events: a CQE per wakeup on a plain ring, wakeups
// coalescing until a wait on a DEFER_TASKRUN ring, nothing while a file just stays
// ready, and no wait queue at all for regular files.
#include <poll.h>

#include <cerrno>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

using C = RingFixture::SimpleCqe;

// What a pipe's writer passes to its readers' wait queue (pipe_write).
constexpr uint32_t kPipeWriteMask = POLLIN | POLLRDNORM;
constexpr uint32_t kUnmask = POLLERR | POLLHUP | POLLNVAL | POLLRDHUP;

class PollWakeups : public RingFixture {
 public:
  std::shared_ptr<FakeFile> pipe_end = files.add(7, std::make_shared<FakeFile>("", true, true, FileKind::kPipe));
  io_uring_sqe& poll_add(uint64_t ud, uint32_t events, uint32_t flags = IORING_POLL_ADD_MULTI, int fd = 7) {
    io_uring_sqe& s = push(IORING_OP_POLL_ADD, ud);
    s.fd = fd;
    s.poll32_events = events;
    s.len = flags;
    return s;
  }
  // A write to the pipe: it becomes readable and its wait queue is woken.
  void write_to_pipe() {
    pipe_end->ready = POLLIN;
    pipe_end->note_wakeup(kPipeWriteMask);
  }
  void progress(bool waiting) { kernel.progress(caller, ring, waiting); }
  void arm_on_empty_pipe() {
    pipe_end->ready = 0;
    poll_add(1, POLLIN);
    ASSERT_EQ(submit(1), 1);
    ASSERT_TRUE(reap().empty());
    pipe_end->set_wakeups_reported();  // what the host's watch does once it watches
  }
};

TEST_F(PollWakeups, ArmingAsksTheHostToReportWakeups) {
  ASSERT_GE(setup(8), 0);
  EXPECT_EQ(pipe_end->wakeup_events(), 0u);
  arm_on_empty_pipe();
  EXPECT_EQ(pipe_end->wakeup_events(), POLLIN | kUnmask);
}

TEST_F(PollWakeups, PlainRingPostsOneCqePerWakeup) {
  ASSERT_GE(setup(8), 0);
  arm_on_empty_pipe();
  write_to_pipe();
  write_to_pipe();
  write_to_pipe();
  progress(false);
  const C more{1, POLLIN, IORING_CQE_F_MORE};
  EXPECT_EQ(reap(), (std::vector<C>{more, more, more}));
  // Still readable, no new wakeup: nothing, however often the model looks.
  progress(false);
  progress(true);
  EXPECT_TRUE(reap().empty());
  write_to_pipe();
  progress(false);
  EXPECT_EQ(reap(), (std::vector<C>{more}));
  EXPECT_EQ(kernel.inflight(ring), 1u);
}

TEST_F(PollWakeups, PlainRingPostsTheWakersMaskEvenIfTheDataIsGone) {
  ASSERT_GE(setup(8), 0);
  arm_on_empty_pipe();
  write_to_pipe();
  pipe_end->ready = 0;  // read before the model looked; Linux posted at the write
  progress(false);
  EXPECT_EQ(reap(), (std::vector<C>{{1, POLLIN, IORING_CQE_F_MORE}}));
}

TEST_F(PollWakeups, DeferTaskrunRingCoalescesWakeupsUntilAWait) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN), 0);
  arm_on_empty_pipe();
  write_to_pipe();
  write_to_pipe();
  progress(false);  // not waiting: the task work stays queued
  EXPECT_TRUE(reap().empty());
  write_to_pipe();
  progress(true);
  EXPECT_EQ(reap(), (std::vector<C>{{1, POLLIN, IORING_CQE_F_MORE}}));
  progress(true);
  EXPECT_TRUE(reap().empty());
}

TEST_F(PollWakeups, DeferTaskrunRingPostsAtAGeteventsEnter) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN), 0);
  arm_on_empty_pipe();
  write_to_pipe();
  write_to_pipe();
  EXPECT_EQ(enter(0).ret, 0);  // no GETEVENTS: no task work
  EXPECT_TRUE(reap().empty());
  EnterResult r = enter(0, 1, IORING_ENTER_GETEVENTS);
  EXPECT_FALSE(r.must_wait);
  EXPECT_EQ(reap(), (std::vector<C>{{1, POLLIN, IORING_CQE_F_MORE}}));
}

TEST_F(PollWakeups, DeferTaskrunCoalescedWakeupsReadTheMaskAgain) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN), 0);
  arm_on_empty_pipe();
  write_to_pipe();
  write_to_pipe();
  pipe_end->ready = 0;  // drained before the wait: poll() finds nothing, no CQE
  progress(true);
  EXPECT_TRUE(reap().empty());
  // A single wakeup keeps the waker's mask (io_poll_check_events does not re-poll).
  pipe_end->note_wakeup(kPipeWriteMask);
  progress(true);
  EXPECT_EQ(reap(), (std::vector<C>{{1, POLLIN, IORING_CQE_F_MORE}}));
  // A wakeup without a mask (a pipe's last writer closing) reads poll().
  pipe_end->ready = POLLHUP;
  pipe_end->note_wakeup(0);
  progress(true);
  EXPECT_EQ(reap(), (std::vector<C>{{1, POLLHUP, IORING_CQE_F_MORE}}));
}

TEST_F(PollWakeups, DeferTaskrunArmTimeReadinessWaitsForTheWaitAndCoalesces) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN), 0);
  pipe_end->ready = POLLIN;
  poll_add(1, POLLIN);
  EXPECT_EQ(submit(1), 1);
  EXPECT_TRUE(reap().empty());  // __io_poll_execute queued it as task work
  pipe_end->set_wakeups_reported();
  write_to_pipe();
  progress(true);
  EXPECT_EQ(reap(), (std::vector<C>{{1, POLLIN, IORING_CQE_F_MORE}}));
}

TEST_F(PollWakeups, PlainRingArmTimeReadinessPostsAtOnce) {
  ASSERT_GE(setup(8), 0);
  pipe_end->ready = POLLIN;
  poll_add(1, POLLIN);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, POLLIN, IORING_CQE_F_MORE}}));
  pipe_end->set_wakeups_reported();
  progress(false);  // readable, but no wakeup since the arm
  EXPECT_TRUE(reap().empty());
}

TEST_F(PollWakeups, WakeupForOtherEventsIsNotOurs) {
  ASSERT_GE(setup(8), 0);
  arm_on_empty_pipe();
  pipe_end->note_wakeup(POLLOUT | POLLWRNORM);  // io_poll_wake: no event match
  progress(false);
  EXPECT_TRUE(reap().empty());
  pipe_end->note_wakeup(POLLPRI);  // EPOLLPRI alone does not count either
  progress(false);
  EXPECT_TRUE(reap().empty());
}

TEST_F(PollWakeups, OneShotPollIgnoresWakeupsAndCompletesOnReadiness) {
  ASSERT_GE(setup(8), 0);
  pipe_end->ready = 0;
  poll_add(1, POLLIN, 0);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(pipe_end->wakeup_events(), 0u);
  pipe_end->ready = POLLIN;
  progress(false);
  EXPECT_EQ(reap(), (std::vector<C>{{1, POLLIN, 0}}));
  EXPECT_EQ(kernel.inflight(ring), 0u);
}

TEST_F(PollWakeups, RemovedPollPostsNothingForLaterWakeups) {
  ASSERT_GE(setup(8), 0);
  arm_on_empty_pipe();
  io_uring_sqe& r = push(IORING_OP_POLL_REMOVE, 2);
  r.addr = 1;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{2, 0, 0}, {1, -ECANCELED, 0}}));
  write_to_pipe();
  progress(false);
  EXPECT_TRUE(reap().empty());
}

TEST_F(PollWakeups, LevelModeIsNotAPollAddFlag) {
  ASSERT_GE(setup(8), 0);
  poll_add(1, POLLIN, IORING_POLL_ADD_MULTI | IORING_POLL_ADD_LEVEL);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EINVAL, 0}}));
}

TEST_F(PollWakeups, RegularFileHasNoWaitQueue) {
  ASSERT_GE(setup(8), 0);
  files.add(9, std::make_shared<FakeFile>("data"));  // kRegular: DEFAULT_POLLMASK
  poll_add(1, POLLIN | POLLOUT, IORING_POLL_ADD_MULTI, 9);
  poll_add(2, POLLPRI, IORING_POLL_ADD_MULTI, 9);
  poll_add(3, POLLPRI, 0, 9);
  EXPECT_EQ(submit(3), 3);
  EXPECT_EQ(reap(), (std::vector<C>{{1, POLLIN | POLLOUT, 0}, {2, -EINVAL, 0}, {3, -EINVAL, 0}}));
  EXPECT_EQ(kernel.inflight(ring), 0u);
}

}  // namespace
}  // namespace uringsim::testing
