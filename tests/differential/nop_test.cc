// Submission and completion mechanics with NOPs: batches, enter's return value, the
// SQ array and `dropped`, bad SQEs with and without SUBMIT_ALL, NOP's own flags,
// and CQ overflow (IORING_FEAT_NODROP).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "tests/differential/differential.h"

namespace uringsim::difftest {
namespace {

int setup_ring(RawRing& ring, uint32_t entries, uint32_t flags = 0, uint32_t cq = 0) {
  io_uring_params p{};
  p.flags = flags;
  p.cq_entries = cq;
  return ring.setup(entries, p);
}

uint64_t pattern(uint32_t batch, uint32_t i) {
  switch (i % 4) {
    case 0: return i;
    case 1: return ~uint64_t{i};
    case 2: return (uint64_t{1} << 63) | (uint64_t{batch} << 32) | i;
    default: return 0xdeadbeef00000000ull + i * 0x1010101ull;
  }
}

TEST(Nop, BatchesWithUserDataPatterns) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    t.call("setup", setup_ring(ring, 32) < 0 ? -1 : 0, sys);
    // Twice round, so the second pass wraps the SQ (32) and the CQ (64).
    for (int round = 0; round < 3; ++round) {
      for (uint32_t batch : {1u, 8u, 32u}) {
        const std::string k = "round" + std::to_string(round) + ".batch" + std::to_string(batch);
        for (uint32_t i = 0; i < batch; ++i) prep_nop(ring.next_sqe(), pattern(batch, i));
        t.call(k + ".enter", ring.enter(batch, batch, IORING_ENTER_GETEVENTS), sys);
        t.counters(k, ring);
        t.cqes(k, ring.reap());
      }
    }
  });
}

TEST(Nop, EnterReturnValues) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup_ring(ring, 8), 0);
    t.call("nothing", ring.enter(0, 0, 0), sys);
    t.call("empty_sq_to_submit_4", ring.enter(4, 0, 0), sys);
    t.call("empty_sq_to_submit_4_getevents_1", ring.enter(4, 1, IORING_ENTER_GETEVENTS), sys);
    for (uint32_t i = 0; i < 3; ++i) prep_nop(ring.next_sqe(), 100 + i);
    t.call("three_queued_to_submit_5", ring.enter(5, 0, 0), sys);
    t.counters("after_three", ring);
    t.call("getevents_min3_available3", ring.enter(0, 3, IORING_ENTER_GETEVENTS), sys);
    t.call("getevents_min1", ring.enter(0, 1, IORING_ENTER_GETEVENTS), sys);
    t.call("getevents_min0", ring.enter(0, 0, IORING_ENTER_GETEVENTS), sys);
    t.cqes("three", ring.reap());
    // More than the SQ holds: capped at sq_entries per call.
    for (uint32_t i = 0; i < 8; ++i) prep_nop(ring.next_sqe(), 200 + i);
    t.call("eight_to_submit_100", ring.enter(100, 8, IORING_ENTER_GETEVENTS), sys);
    t.cqes("eight", ring.reap());
    // Partial: submit 2 of 4 queued.
    for (uint32_t i = 0; i < 4; ++i) prep_nop(ring.next_sqe(), 300 + i);
    t.call("two_of_four", ring.enter(2, 2, IORING_ENTER_GETEVENTS), sys);
    t.counters("two_of_four", ring);
    t.call("rest", ring.enter(2, 2, IORING_ENTER_GETEVENTS), sys);
    t.cqes("four", ring.reap());
    // Ring-level errors.
    t.call("unknown_enter_flag", ring.enter(0, 0, 1u << 8), sys);
    t.call("bad_fd", sys.enter(9999, 0, 0, 0, nullptr, 0), sys);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    t.call("not_a_ring", sys.enter(devnull, 0, 0, 0, nullptr, 0), sys);
    ::close(devnull);
    t.call("ext_arg_bad_size", ring.enter(0, 0, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
                                          nullptr, 7),
           sys);
    t.counters("end", ring);
  });
  EXPECT_EQ(both.linux.get("empty_sq_to_submit_4"), "0");
  EXPECT_EQ(both.linux.get("three_queued_to_submit_5"), "3");
  EXPECT_EQ(both.linux.get("eight_to_submit_100"), "8");
}

// GETEVENTS that cannot be satisfied: with an EXT_ARG timeout Linux waits and returns
// -ETIME; the embedded kernel never blocks but must answer the same.
TEST(Nop, GeteventsTimeoutWithNothingInFlight) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup_ring(ring, 8), 0);
    __kernel_timespec ts{0, 5 * 1000 * 1000};
    io_uring_getevents_arg arg{};
    arg.ts = reinterpret_cast<uint64_t>(&ts);
    t.call("wait1_timeout",
           ring.enter(0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg), sys);
    prep_nop(ring.next_sqe(), 7);
    t.call("submit1_wait2_timeout",
           ring.enter(1, 2, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg), sys);
    t.call("wait2_with1_timeout",
           ring.enter(0, 2, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg), sys);
    t.cqes("cqes", ring.reap());
  });
  EXPECT_EQ(both.linux.get("wait1_timeout"), "-62 (ETIME)");
  EXPECT_EQ(both.linux.get("submit1_wait2_timeout"), "1");
}

// spec B.3: [NOP, bad index, NOP] with enter(3) returns 1, dropped 0 -> 1, head moves
// by 2, and the third NOP goes with the next enter.
TEST(Nop, SqArrayOutOfRangeIsDropped) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup_ring(ring, 8), 0);
    prep_nop(ring.next_sqe(), 1);
    ring.set_array(ring.local_tail(), 100);
    ring.advance_local_tail();
    prep_nop(ring.next_sqe(), 3);
    t.call("enter3", ring.enter(3, 0, 0), sys);
    t.counters("after_enter3", ring);
    t.call("enter1", ring.enter(1, 0, 0), sys);
    t.counters("after_enter1", ring);
    t.cqes("cqes", ring.reap());
    // index == sq_entries is out of range too; 0xffffffff as well.
    for (uint32_t bad : {8u, 0xffffffffu}) {
      ring.set_array(ring.local_tail(), bad);
      ring.advance_local_tail();
    }
    t.call("two_bad", ring.enter(2, 0, 0), sys);
    t.counters("two_bad", ring);
    t.call("second_bad", ring.enter(2, 0, 0), sys);
    t.counters("second_bad", ring);
  });
  EXPECT_EQ(both.linux.get("enter3"), "1");
  EXPECT_EQ(both.linux.get("after_enter3.sq_dropped"), "1");
  EXPECT_EQ(both.linux.get("after_enter3.sq_head"), "2");
}

// spec B.3: a failed SQE counts as submitted and stops the batch unless SUBMIT_ALL.
TEST(Nop, BadOpcodeStopsBatchUnlessSubmitAll) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    for (uint32_t flags : {0u, unsigned{IORING_SETUP_SUBMIT_ALL}}) {
      const std::string k = flags ? "submit_all" : "plain";
      RawRing ring(sys);
      ASSERT_GE(setup_ring(ring, 8, flags), 0);
      prep_nop(ring.next_sqe(), 1);
      io_uring_sqe* bad = ring.next_sqe();
      bad->opcode = 250;
      bad->user_data = 2;
      prep_nop(ring.next_sqe(), 3);
      t.call(k + ".enter3", ring.enter(3, 0, 0), sys);
      t.counters(k + ".after3", ring);
      t.cqes(k + ".first", ring.reap());
      t.call(k + ".enter_rest", ring.enter(1, 0, 0), sys);
      t.counters(k + ".after_rest", ring);
      t.cqes(k + ".rest", ring.reap());
      // IORING_OP_LAST itself (63 on 6.18) is the first invalid opcode.
      io_uring_sqe* last = ring.next_sqe();
      last->opcode = IORING_OP_LAST;
      last->user_data = 4;
      t.call(k + ".op_last", ring.enter(1, 1, IORING_ENTER_GETEVENTS), sys);
      t.cqes(k + ".op_last", ring.reap());
    }
  });
  EXPECT_EQ(both.linux.get("plain.enter3"), "2");
  EXPECT_EQ(both.linux.get("submit_all.enter3"), "3");
}

TEST(Nop, SqeFlagsAndNopFlags) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup_ring(ring, 8, IORING_SETUP_SUBMIT_ALL), 0);
    // `wait`: a CQE is expected (a skipped success posts none: waiting would hang).
    auto one = [&](const std::string& k, auto&& fill, bool wait = true) {
      io_uring_sqe* s = ring.next_sqe();
      prep_nop(s, 0x1000);
      fill(s);
      t.call(k + ".enter", ring.enter(1, wait ? 1 : 0, IORING_ENTER_GETEVENTS), sys);
      t.cqes(k, ring.reap());
    };
    one("sqe_flags_bit7", [](io_uring_sqe* s) { s->flags = 0x80; });
    one("sqe_flags_all_valid_plus_bit7", [](io_uring_sqe* s) { s->flags = 0xff; });
    one("inject_42", [](io_uring_sqe* s) {
      s->nop_flags = IORING_NOP_INJECT_RESULT;
      s->len = 42;
    });
    one("inject_minus5", [](io_uring_sqe* s) {
      s->nop_flags = IORING_NOP_INJECT_RESULT;
      s->len = static_cast<uint32_t>(-5);
    });
    one("inject_int_min", [](io_uring_sqe* s) {
      s->nop_flags = IORING_NOP_INJECT_RESULT;
      s->len = 0x80000000u;
    });
    one("len_without_inject_ignored", [](io_uring_sqe* s) { s->len = 42; });
    one("nop_flags_bit6", [](io_uring_sqe* s) { s->nop_flags = 1u << 6; });
    one("nop_flags_bit31", [](io_uring_sqe* s) { s->nop_flags = 1u << 31; });
    one("nop_file_bad_fd", [](io_uring_sqe* s) {
      s->nop_flags = IORING_NOP_FILE;
      s->fd = 9999;
    });
    one("nop_fixed_buffer_no_table", [](io_uring_sqe* s) {
      s->nop_flags = IORING_NOP_FIXED_BUFFER;
    });
    one("nop_cqe32_on_plain_ring", [](io_uring_sqe* s) { s->nop_flags = IORING_NOP_CQE32; });
    one("ioprio", [](io_uring_sqe* s) { s->ioprio = 1; });
    one("buffer_select", [](io_uring_sqe* s) { s->flags = IOSQE_BUFFER_SELECT; });
    one("personality_unregistered", [](io_uring_sqe* s) { s->personality = 5; });
    one("ignored_fields", [](io_uring_sqe* s) {
      s->fd = -1;
      s->addr = 0xdead;
      s->off = 77;
      s->buf_index = 9;
    });
    one("async", [](io_uring_sqe* s) { s->flags = IOSQE_ASYNC; });
    one("skip_success", [](io_uring_sqe* s) { s->flags = IOSQE_CQE_SKIP_SUCCESS; }, false);
    one("skip_success_failing", [](io_uring_sqe* s) {
      s->flags = IOSQE_CQE_SKIP_SUCCESS;
      s->nop_flags = IORING_NOP_INJECT_RESULT;
      s->len = static_cast<uint32_t>(-EIO);
    });
    t.counters("end", ring);
  });
  EXPECT_EQ(both.linux.get("sqe_flags_bit7.cqes"), "{ud=4096 res=-22 f=0x0}");
  EXPECT_EQ(both.linux.get("inject_42.cqes"), "{ud=4096 res=42 f=0x0}");
}

// spec B.4: NODROP overflow on a 2-entry CQ.
TEST(Nop, CqOverflowBacklog) {
  REQUIRE_IO_URING();
  BothSides both = run_both([](Syscalls& sys, Transcript& t) {
    RawRing ring(sys);
    ASSERT_GE(setup_ring(ring, 2, IORING_SETUP_CQSIZE, 2), 0);
    t.note("cq_entries", ring.params().cq_entries);
    uint64_t ud = 1;
    for (int i = 0; i < 4; ++i) {
      prep_nop(ring.next_sqe(), ud++);
      prep_nop(ring.next_sqe(), ud++);
      t.call("submit" + std::to_string(i), ring.enter(2, 0, 0), sys);
      t.counters("submit" + std::to_string(i), ring);
    }
    t.cqes("first_reap", ring.reap());
    t.counters("after_first_reap", ring);
    // New completions queue behind the backlog even though the CQ has room now.
    prep_nop(ring.next_sqe(), 100);
    prep_nop(ring.next_sqe(), 101);
    t.call("submit_behind_backlog", ring.enter(2, 0, 0), sys);
    t.counters("behind_backlog", ring);
    t.cqes("behind_backlog", ring.reap());
    for (int i = 0; i < 6; ++i) {
      const std::string k = "flush" + std::to_string(i);
      t.call(k, ring.enter(0, 0, IORING_ENTER_GETEVENTS), sys);
      t.counters(k, ring);
      t.cqes(k, ring.reap());
    }
  });
  EXPECT_EQ(both.linux.get("submit3.sq_flags"), std::to_string(IORING_SQ_CQ_OVERFLOW));
  EXPECT_EQ(both.linux.get("submit3.cq_overflow"), "0");
  EXPECT_EQ(both.linux.get("behind_backlog.cqes"), "(none)");
}

}  // namespace
}  // namespace uringsim::difftest
