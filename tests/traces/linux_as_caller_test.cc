// replay_on_linux_as: a trace recorded by an unprivileged caller reproduces on Linux
// when the replay runs as that caller (a child process with its uid, its
// RLIMIT_MEMLOCK and no capabilities).
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "traces/jsonl.h"
#include "traces/replay.h"

namespace uringsim::traces {
namespace {

const std::string kSamples = std::string(URINGSIM_TRACES_GOLDEN_DIR) + "/../../../traces/samples";

Trace load(const std::string& path) {
  Trace t;
  TraceError err;
  EXPECT_TRUE(read_trace_file(path, &t, &err)) << err.message();
  return t;
}

std::string joined(const ReplayResult& r) {
  std::string s = r.skip_reason;
  for (const Divergence& d : r.divergences) s += d.message + "\n";
  return s;
}

#define REQUIRE_ROOT_AND_IO_URING()                                                            \
  do {                                                                                         \
    std::string why;                                                                           \
    if (!KernelTarget::available(&why)) GTEST_SKIP() << "no usable io_uring on this host: " << why; \
    if (geteuid() != 0) GTEST_SKIP() << "switching to another uid needs root; this is uid " << geteuid(); \
  } while (0)

// Linux charges a user's locked memory per uid and releases a closed ring's charge
// asynchronously (io_ring_exit_work); replay_on_linux_as waits for that, and the tests
// below use a uid each besides.

// The trace's caller (uid 1000, RLIMIT_MEMLOCK 64 KiB, no CAP_IPC_LOCK): Linux 6.18
// charges the ring 2 pages, refuses the 16-page buffer with ENOMEM and takes the
// 14-page one, exactly at the limit -- as the trace says.
TEST(LinuxAsCaller, MemlockExceededGivesTheSameEnomemOnLinux) {
  REQUIRE_ROOT_AND_IO_URING();
  const Trace t = load(kSamples + "/memlock_exceeded.jsonl");
  ASSERT_EQ(t.header.caller.uid, 1000u);
  ASSERT_FALSE(t.header.caller.cap_ipc_lock);
  const ReplayResult r = replay_on_linux_as(t, t.header.caller);
  ASSERT_FALSE(r.skipped) << r.skip_reason;
  EXPECT_TRUE(r.ok()) << joined(r);
  EXPECT_EQ(r.calls, t.call_count());
}

// Two pages more of RLIMIT_MEMLOCK: the 16-page buffer fits beside the ring's 2.
TEST(LinuxAsCaller, TheLimitIsTheOneGiven) {
  REQUIRE_ROOT_AND_IO_URING();
  const Trace t = load(kSamples + "/memlock_exceeded.jsonl");
  CallerDecl caller = t.header.caller;
  caller.uid = 1002;
  caller.memlock = *caller.memlock + 2 * 4096;
  const ReplayResult r = replay_on_linux_as(t, caller);
  ASSERT_FALSE(r.skipped) << r.skip_reason;
  ASSERT_GE(r.divergences.size(), 1u) << joined(r);
  EXPECT_EQ(r.divergences[0].line, 4);
  EXPECT_NE(r.divergences[0].message.find("returned 0, trace expects -12 (ENOMEM)"), std::string::npos) << joined(r);
}

// The same trace as root (CAP_IPC_LOCK, no limit): the register that should fail works.
TEST(LinuxAsCaller, AsRootTheRegisterSucceedsInstead) {
  REQUIRE_ROOT_AND_IO_URING();
  const Trace t = load(kSamples + "/memlock_exceeded.jsonl");
  const ReplayResult r = replay_on_linux_as(t, CallerDecl{0, true, std::nullopt});
  ASSERT_FALSE(r.skipped) << r.skip_reason;
  ASSERT_FALSE(r.divergences.empty());
  EXPECT_NE(r.divergences[0].message.find("ENOMEM"), std::string::npos) << joined(r);
}

TEST(LinuxAsCaller, UpdateComesBackThroughThePipe) {
  REQUIRE_ROOT_AND_IO_URING();
  const Trace t = load(kSamples + "/memlock_exceeded.jsonl");
  ReplayOptions opts;
  opts.update = true;
  CallerDecl caller = t.header.caller;
  caller.uid = 1001;
  const ReplayResult r = replay_on_linux_as(t, caller, opts);
  ASSERT_FALSE(r.skipped) << r.skip_reason;
  ASSERT_EQ(r.updated.events.size(), t.events.size());
  EXPECT_EQ(std::get<RegisterEvent>(r.updated.events[1].body).ret, -12);
  EXPECT_EQ(std::get<RegisterEvent>(r.updated.events[2].body).ret, 0);
}

TEST(LinuxAsCaller, UnreproducibleCallersAreSkippedWithTheReason) {
  const Trace t = load(kSamples + "/memlock_exceeded.jsonl");
  const ReplayResult r = replay_on_linux_as(t, CallerDecl{1000, true, std::nullopt});
  EXPECT_TRUE(r.skipped);
  EXPECT_EQ(r.skip_reason,
            "a caller with uid 1000 that keeps CAP_IPC_LOCK cannot be made by switching uid (switching drops every "
            "capability)");
}

}  // namespace
}  // namespace uringsim::traces

namespace uringsim::traces {
namespace {

// Back-to-back replays as one uid: each sees none of the previous one's locked pages
// (without the wait for Linux's asynchronous ring teardown, most of these failed with
// ENOMEM at setup).
TEST(LinuxAsCaller, BackToBackReplaysAsOneUidAgree) {
  REQUIRE_ROOT_AND_IO_URING();
  const Trace t = load(kSamples + "/memlock_exceeded.jsonl");
  CallerDecl caller = t.header.caller;
  caller.uid = 1003;
  for (int i = 0; i < 5; ++i) {
    const ReplayResult r = replay_on_linux_as(t, caller);
    EXPECT_TRUE(r.ok()) << "replay " << i << ": " << joined(r);
  }
}

}  // namespace
}  // namespace uringsim::traces
