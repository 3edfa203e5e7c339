// POLL_ADD / POLL_REMOVE with readiness from File::poll.
#include <poll.h>

#include <cerrno>

#include "tests/kernel_model/ring_fixture.h"

namespace uringsim::testing {
namespace {

using C = RingFixture::SimpleCqe;

class Polls : public RingFixture {
 public:
  std::shared_ptr<FakeFile> pipe_end = files.add(7, std::make_shared<FakeFile>("", true, true, FileKind::kPipe));
  io_uring_sqe& poll_add(uint64_t ud, uint32_t events, uint32_t flags = 0) {
    io_uring_sqe& s = push(IORING_OP_POLL_ADD, ud);
    s.fd = 7;
    s.poll32_events = events;
    s.len = flags;
    return s;
  }
  void progress() { kernel.progress(caller, ring, false); }
};

TEST_F(Polls, ReadyFileCompletesAtOnceWithMask) {
  ASSERT_GE(setup(8), 0);
  poll_add(1, POLLIN | POLLOUT);
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{1, POLLIN | POLLOUT, 0}}));
}

TEST_F(Polls, ParksUntilReady) {
  ASSERT_GE(setup(8), 0);
  pipe_end->ready = 0;
  poll_add(1, POLLIN);
  EXPECT_EQ(submit(1), 1);
  EXPECT_TRUE(reap().empty());
  int wanted = 0;
  kernel.for_each_wanted_fd(ring, [&](File&, uint32_t ev) {
    ++wanted;
    EXPECT_TRUE(ev & POLLIN);
  });
  EXPECT_EQ(wanted, 1);
  progress();
  EXPECT_TRUE(reap().empty());
  pipe_end->ready = POLLIN;
  progress();
  EXPECT_EQ(reap(), (std::vector<C>{{1, POLLIN, 0}}));
  EXPECT_EQ(kernel.inflight(ring), 0u);
}

TEST_F(Polls, MultishotPostsOncePerReadinessEdge) {
  ASSERT_GE(setup(8), 0);
  pipe_end->ready = 0;
  poll_add(1, POLLIN, IORING_POLL_ADD_MULTI);
  EXPECT_EQ(submit(1), 1);
  pipe_end->ready = POLLIN;
  progress();
  progress();  // still ready: no second CQE for the same readiness
  pipe_end->ready = 0;
  progress();
  pipe_end->ready = POLLIN;
  progress();
  EXPECT_EQ(reap(), (std::vector<C>{{1, POLLIN, IORING_CQE_F_MORE}, {1, POLLIN, IORING_CQE_F_MORE}}));
  io_uring_sqe& r = push(IORING_OP_POLL_REMOVE, 2);
  r.addr = 1;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{2, 0, 0}, {1, -ECANCELED, 0}}));
}

TEST_F(Polls, RemoveUnknownIsENOENT) {
  ASSERT_GE(setup(8), 0);
  io_uring_sqe& r = push(IORING_OP_POLL_REMOVE, 2);
  r.addr = 99;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{2, -ENOENT, 0}}));
}

TEST_F(Polls, UpdateUserDataKeepsItArmed) {
  ASSERT_GE(setup(8), 0);
  pipe_end->ready = 0;
  poll_add(1, POLLIN);
  EXPECT_EQ(submit(1), 1);
  io_uring_sqe& u = push(IORING_OP_POLL_REMOVE, 2);
  u.addr = 1;
  u.off = 11;
  u.len = IORING_POLL_UPDATE_USER_DATA;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{2, 0, 0}}));
  pipe_end->ready = POLLIN;
  progress();
  EXPECT_EQ(reap(), (std::vector<C>{{11, POLLIN, 0}}));
}

TEST_F(Polls, PrepRules) {
  ASSERT_GE(setup_flags(8, IORING_SETUP_SUBMIT_ALL), 0);
  poll_add(1, POLLIN).addr = 1;
  poll_add(2, POLLIN, 1u << 5);
  io_uring_sqe& m = poll_add(3, POLLIN, IORING_POLL_ADD_MULTI);
  m.flags = IOSQE_CQE_SKIP_SUCCESS;
  io_uring_sqe& r = push(IORING_OP_POLL_REMOVE, 4);
  r.len = IORING_POLL_ADD_MULTI;
  EXPECT_EQ(submit(4), 4);
  EXPECT_EQ(reap(), (std::vector<C>{{1, -EINVAL, 0}, {2, -EINVAL, 0}, {3, -EINVAL, 0}, {4, -EINVAL, 0}}));
}

TEST_F(Polls, AsyncCancelFindsAParkedPoll) {
  ASSERT_GE(setup(8), 0);
  pipe_end->ready = 0;
  poll_add(1, POLLIN);
  EXPECT_EQ(submit(1), 1);
  io_uring_sqe& c = push(IORING_OP_ASYNC_CANCEL, 2);
  c.fd = 7;
  c.cancel_flags = IORING_ASYNC_CANCEL_FD;
  EXPECT_EQ(submit(1), 1);
  EXPECT_EQ(reap(), (std::vector<C>{{2, 0, 0}, {1, -ECANCELED, 0}}));
}

}  // namespace
}  // namespace uringsim::testing
