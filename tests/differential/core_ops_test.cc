// Timeouts, cancellation, poll, MSG_RING, OPENAT/STATX/CLOSE: the same sequences on
// Linux 6.18 and on the simulator (issue 8). Timeouts are short (wall-clock on both).
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <gtest/gtest.h>

#include "tests/differential/differential.h"
#include "tests/differential/raw_ring.h"

namespace uringsim::difftest {
namespace {

struct Ts {
  int64_t sec;
  int64_t nsec;
};

void prep_timeout(io_uring_sqe* s, const Ts* ts, uint32_t count, uint32_t flags, uint64_t ud) {
  s->opcode = IORING_OP_TIMEOUT;
  s->fd = -1;
  s->addr = reinterpret_cast<uint64_t>(ts);
  s->len = 1;
  s->off = count;
  s->timeout_flags = flags;
  s->user_data = ud;
}

// TIMEOUT_REMOVE / ASYNC_CANCEL / POLL_REMOVE of the request whose user_data is `target`.
io_uring_sqe* prep_by_user_data(io_uring_sqe* s, uint8_t opcode, uint64_t target, uint64_t ud) {
  s->opcode = opcode;
  s->fd = -1;
  s->addr = target;
  s->user_data = ud;
  return s;
}

int setup8(RawRing& ring) {
  io_uring_params p{};
  return ring.setup(8, p);
}

TEST(CoreOps, TimeoutsExpireAndCount) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup8(ring), 0);
    static const Ts ten_ms{0, 10 * 1000 * 1000};
    static const Ts long_ts{10, 0};
    prep_timeout(ring.next_sqe(), &ten_ms, 0, 0, 1);
    t.call("rel.enter", ring.enter(1, 1, IORING_ENTER_GETEVENTS), sys);
    t.cqes("rel.cqes", ring.reap());
    // count 2: completes with 0 once two other CQEs are posted.
    prep_timeout(ring.next_sqe(), &long_ts, 2, 0, 2);
    prep_nop(ring.next_sqe(), 3);
    prep_nop(ring.next_sqe(), 4);
    t.call("count.enter", ring.enter(3, 3, IORING_ENTER_GETEVENTS), sys);
    t.cqes("count.cqes", ring.reap());
    // ETIME_SUCCESS keeps a link going; a plain expiry cancels it.
    io_uring_sqe* soft = ring.next_sqe();
    prep_timeout(soft, &ten_ms, 0, IORING_TIMEOUT_ETIME_SUCCESS, 5);
    soft->flags = IOSQE_IO_LINK;
    prep_nop(ring.next_sqe(), 6);
    t.call("etime_success.enter", ring.enter(2, 2, IORING_ENTER_GETEVENTS), sys);
    t.cqes("etime_success.cqes", ring.reap());
    io_uring_sqe* hard = ring.next_sqe();
    prep_timeout(hard, &ten_ms, 0, 0, 7);
    hard->flags = IOSQE_IO_LINK;
    prep_nop(ring.next_sqe(), 8);
    t.call("etime_fails.enter", ring.enter(2, 2, IORING_ENTER_GETEVENTS), sys);
    t.cqes("etime_fails.cqes", ring.reap());
  });
}

TEST(CoreOps, TimeoutRemoveAndCancel) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup8(ring), 0);
    static const Ts long_ts{10, 0};
    prep_timeout(ring.next_sqe(), &long_ts, 0, 0, 1);
    t.call("arm.enter", ring.enter(1), sys);
    prep_by_user_data(ring.next_sqe(), IORING_OP_TIMEOUT_REMOVE, 1, 2);
    t.call("remove.enter", ring.enter(1, 2, IORING_ENTER_GETEVENTS), sys);
    t.cqes("remove.cqes", ring.reap());
    prep_by_user_data(ring.next_sqe(), IORING_OP_TIMEOUT_REMOVE, 1, 3);
    t.call("remove_missing.enter", ring.enter(1, 1, IORING_ENTER_GETEVENTS), sys);
    t.cqes("remove_missing.cqes", ring.reap());
    // ASYNC_CANCEL by user_data, then of something that no longer exists.
    prep_timeout(ring.next_sqe(), &long_ts, 0, 0, 4);
    t.call("arm2.enter", ring.enter(1), sys);
    prep_by_user_data(ring.next_sqe(), IORING_OP_ASYNC_CANCEL, 4, 5);
    t.call("cancel.enter", ring.enter(1, 2, IORING_ENTER_GETEVENTS), sys);
    t.cqes("cancel.cqes", ring.reap(), true);
    prep_by_user_data(ring.next_sqe(), IORING_OP_ASYNC_CANCEL, 4, 6);
    t.call("cancel_missing.enter", ring.enter(1, 1, IORING_ENTER_GETEVENTS), sys);
    t.cqes("cancel_missing.cqes", ring.reap());
    // CANCEL_ANY over two timeouts: how many it reports.
    prep_timeout(ring.next_sqe(), &long_ts, 0, 0, 7);
    prep_timeout(ring.next_sqe(), &long_ts, 0, 0, 8);
    t.call("arm3.enter", ring.enter(2), sys);
    io_uring_sqe* any = ring.next_sqe();
    any->opcode = IORING_OP_ASYNC_CANCEL;
    any->fd = -1;
    any->cancel_flags = IORING_ASYNC_CANCEL_ANY;
    any->user_data = 9;
    t.call("cancel_any.enter", ring.enter(1, 3, IORING_ENTER_GETEVENTS), sys);
    t.cqes("cancel_any.cqes", ring.reap(), true);
  });
}

TEST(CoreOps, LinkTimeouts) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup8(ring), 0);
    static const Ts one_s{1, 0};
    static const Ts ten_ms{0, 10 * 1000 * 1000};
    static const Ts long_ts{10, 0};
    prep_nop(ring.next_sqe(), 1, IOSQE_IO_LINK);
    io_uring_sqe* lt = ring.next_sqe();
    lt->opcode = IORING_OP_LINK_TIMEOUT;
    lt->fd = -1;
    lt->addr = reinterpret_cast<uint64_t>(&one_s);
    lt->len = 1;
    lt->user_data = 2;
    t.call("nop_first.enter", ring.enter(2, 2, IORING_ENTER_GETEVENTS), sys);
    t.cqes("nop_first.cqes", ring.reap(), true);
    // The guarded request is a timeout that would take 10 s: the link timeout wins.
    io_uring_sqe* slow = ring.next_sqe();
    prep_timeout(slow, &long_ts, 0, 0, 3);
    slow->flags = IOSQE_IO_LINK;
    io_uring_sqe* lt2 = ring.next_sqe();
    lt2->opcode = IORING_OP_LINK_TIMEOUT;
    lt2->fd = -1;
    lt2->addr = reinterpret_cast<uint64_t>(&ten_ms);
    lt2->len = 1;
    lt2->user_data = 4;
    lt2->flags = IOSQE_IO_LINK;
    prep_nop(ring.next_sqe(), 5);
    t.call("timeout_first.enter", ring.enter(3, 3, IORING_ENTER_GETEVENTS), sys);
    t.cqes("timeout_first.cqes", ring.reap(), true);
  });
}

TEST(CoreOps, PollOnAPipe) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup8(ring), 0);
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    io_uring_sqe* s = ring.next_sqe();
    s->opcode = IORING_OP_POLL_ADD;
    s->fd = p[0];
    s->poll32_events = POLLIN;
    s->user_data = 1;
    t.call("arm.enter", ring.enter(1), sys);
    t.cqes("arm.cqes", ring.reap());
    ASSERT_EQ(write(p[1], "x", 1), 1);
    t.call("wait.enter", ring.enter(0, 1, IORING_ENTER_GETEVENTS), sys);
    t.cqes("wait.cqes", ring.reap());
    // Writable end: ready at once.
    io_uring_sqe* w = ring.next_sqe();
    w->opcode = IORING_OP_POLL_ADD;
    w->fd = p[1];
    w->poll32_events = POLLOUT;
    w->user_data = 2;
    t.call("out.enter", ring.enter(1, 1, IORING_ENTER_GETEVENTS), sys);
    t.cqes("out.cqes", ring.reap());
    // Remove a poll that is armed, then one that is not.
    char c;
    ASSERT_EQ(read(p[0], &c, 1), 1);
    io_uring_sqe* again = ring.next_sqe();
    again->opcode = IORING_OP_POLL_ADD;
    again->fd = p[0];
    again->poll32_events = POLLIN;
    again->user_data = 3;
    t.call("arm2.enter", ring.enter(1), sys);
    prep_by_user_data(ring.next_sqe(), IORING_OP_POLL_REMOVE, 3, 4);
    t.call("remove.enter", ring.enter(1, 2, IORING_ENTER_GETEVENTS), sys);
    t.cqes("remove.cqes", ring.reap(), true);
    prep_by_user_data(ring.next_sqe(), IORING_OP_POLL_REMOVE, 3, 5);
    t.call("remove_missing.enter", ring.enter(1, 1, IORING_ENTER_GETEVENTS), sys);
    t.cqes("remove_missing.cqes", ring.reap());
    close(p[0]);
    close(p[1]);
  });
}

TEST(CoreOps, MsgRingData) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    RawRing a(sys), b(sys);
    ASSERT_GE(setup8(a), 0);
    ASSERT_GE(setup8(b), 0);
    io_uring_sqe* s = a.next_sqe();
    s->opcode = IORING_OP_MSG_RING;
    s->fd = b.fd();
    s->addr = IORING_MSG_DATA;
    s->off = 0xabc;
    s->len = 77;
    s->user_data = 1;
    t.call("send.enter", a.enter(1, 1, IORING_ENTER_GETEVENTS), sys);
    t.cqes("send.cqes", a.reap());
    t.cqes("target.cqes", b.reap());
    io_uring_sqe* bad = a.next_sqe();
    bad->opcode = IORING_OP_MSG_RING;
    bad->fd = 0;  // stdin: not a ring
    bad->addr = IORING_MSG_DATA;
    bad->user_data = 2;
    t.call("not_ring.enter", a.enter(1, 1, IORING_ENTER_GETEVENTS), sys);
    t.cqes("not_ring.cqes", a.reap());
  });
}

TEST(CoreOps, OpenStatxClose) {
  REQUIRE_IO_URING();
  char path[] = "/tmp/uringsim-openat-XXXXXX";
  int tmp = mkstemp(path);
  ASSERT_GE(tmp, 0);
  ASSERT_EQ(write(tmp, "hello", 5), 5);
  close(tmp);
  run_both([&](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup8(ring), 0);
    io_uring_sqe* o = ring.next_sqe();
    o->opcode = IORING_OP_OPENAT;
    o->fd = AT_FDCWD;
    o->addr = reinterpret_cast<uint64_t>(path);
    o->open_flags = O_RDONLY;
    o->user_data = 1;
    ASSERT_EQ(ring.enter(1, 1, IORING_ENTER_GETEVENTS), 1);
    std::vector<RawCqe> cqes = ring.reap();
    ASSERT_EQ(cqes.size(), 1u);
    const int fd = cqes[0].res;
    t.note("open.ok", fd >= 0 ? 1 : fd);
    char buf[8] = {};
    if (fd >= 0) t.note("read_back", pread(fd, buf, 5, 0));
    t.note_str("bytes", std::string(buf));
    struct statx stx {};
    io_uring_sqe* st = ring.next_sqe();
    st->opcode = IORING_OP_STATX;
    st->fd = AT_FDCWD;
    st->addr = reinterpret_cast<uint64_t>(path);
    st->len = STATX_SIZE;
    st->addr2 = reinterpret_cast<uint64_t>(&stx);
    st->user_data = 2;
    t.call("statx.enter", ring.enter(1, 1, IORING_ENTER_GETEVENTS), sys);
    t.cqes("statx.cqes", ring.reap());
    t.note("statx.size", static_cast<int64_t>(stx.stx_size));
    io_uring_sqe* missing = ring.next_sqe();
    missing->opcode = IORING_OP_OPENAT;
    missing->fd = AT_FDCWD;
    missing->addr = reinterpret_cast<uint64_t>("/nonexistent/uringsim");
    missing->user_data = 3;
    t.call("missing.enter", ring.enter(1, 1, IORING_ENTER_GETEVENTS), sys);
    t.cqes("missing.cqes", ring.reap());
    io_uring_sqe* c = ring.next_sqe();
    c->opcode = IORING_OP_CLOSE;
    c->fd = fd;
    c->user_data = 4;
    t.call("close.enter", ring.enter(1, 1, IORING_ENTER_GETEVENTS), sys);
    t.cqes("close.cqes", ring.reap());
    t.note("closed", fcntl(fd, F_GETFD) == -1 && errno == EBADF ? 1 : 0);
    io_uring_sqe* c2 = ring.next_sqe();
    c2->opcode = IORING_OP_CLOSE;
    c2->fd = fd;
    c2->user_data = 5;
    t.call("close_again.enter", ring.enter(1, 1, IORING_ENTER_GETEVENTS), sys);
    t.cqes("close_again.cqes", ring.reap());
  });
  unlink(path);
}

}  // namespace
}  // namespace uringsim::difftest
