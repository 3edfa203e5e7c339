// Signals and the enter's sigset during a wait parked under `uringsim run`
// (sim/wait_signals.h): the decision rules on their own, the /proc reader on this
// process, and a liburing client that must print under capture exactly what it prints
// on the host kernel.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "sim/wait_signals.h"
#include "tests/sim/run_helpers.h"
#include "uapi/io_uring.h"

namespace uringsim::sim {
namespace {

using simtest::Outcome;
using simtest::under_sim;

EnterResult wait_with_sigset(uint64_t sigset) {
  EnterResult e;
  e.must_wait = true;
  e.sigmask_addr = 0x7000;
  e.sigmask = sigset;
  return e;
}

TEST(WaitSignalRules, NothingPendingKeepsWaiting) {
  const WaitSignal w = signal_ending_wait(0, 0, EnterResult{});
  EXPECT_EQ(w.signo, 0);
  EXPECT_TRUE(w.simulated);
}

TEST(WaitSignalRules, UnblockedPendingSignalEndsTheWait) {
  const WaitSignal w = signal_ending_wait(signal_bit(SIGALRM), 0, EnterResult{});
  EXPECT_EQ(w.signo, SIGALRM);
  EXPECT_TRUE(w.simulated);
}

TEST(WaitSignalRules, SignalTheTaskBlocksKeepsWaitingWithoutASigset) {
  EXPECT_EQ(signal_ending_wait(signal_bit(SIGUSR1), signal_bit(SIGUSR1), EnterResult{}).signo, 0);
}

TEST(WaitSignalRules, SignalTheWaitSigsetBlocksKeepsWaiting) {
  // Linux delivers it when the wait ends and the task's own mask comes back.
  EXPECT_EQ(signal_ending_wait(signal_bit(SIGALRM), 0, wait_with_sigset(signal_bit(SIGALRM))).signo, 0);
}

TEST(WaitSignalRules, SignalOnlyTheWaitSigsetUnblocksIsNotSimulated) {
  const WaitSignal w = signal_ending_wait(signal_bit(SIGALRM), signal_bit(SIGALRM), wait_with_sigset(0));
  EXPECT_EQ(w.signo, SIGALRM);
  EXPECT_FALSE(w.simulated);
}

TEST(WaitSignalRules, NotSimulatedSignalIsNamedBeforeADeliverableOne) {
  // SIGUSR1 (10) could be delivered, SIGUSR2 (12) could not: the answer must say so.
  const WaitSignal w = signal_ending_wait(signal_bit(SIGUSR1) | signal_bit(SIGUSR2), signal_bit(SIGUSR2),
                                          wait_with_sigset(0));
  EXPECT_EQ(w.signo, SIGUSR2);
  EXPECT_FALSE(w.simulated);
}

TEST(WaitSignalRules, LowestDeliverableSignalIsNamed) {
  const WaitSignal w = signal_ending_wait(signal_bit(SIGTERM) | signal_bit(SIGHUP) | signal_bit(SIGRTMIN), 0,
                                          EnterResult{});
  EXPECT_EQ(w.signo, SIGHUP);
  EXPECT_TRUE(w.simulated);
}

TEST(WaitSignalRules, SigstopIgnoresTheWaitSigset) {
  // set_user_sigmask drops SIGKILL and SIGSTOP from the set: a stop interrupts the wait.
  const WaitSignal w = signal_ending_wait(signal_bit(SIGSTOP), 0, wait_with_sigset(~uint64_t{0}));
  EXPECT_EQ(w.signo, SIGSTOP);
  EXPECT_TRUE(w.simulated);
}

// Blocks `sig` in this thread for the test's duration, and drains it afterwards.
class BlockedSignal {
 public:
  explicit BlockedSignal(int sig) : sig_(sig) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    pthread_sigmask(SIG_BLOCK, &s, &old_);
  }
  ~BlockedSignal() {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig_);
    const timespec zero{};
    while (sigtimedwait(&s, nullptr, &zero) == sig_) {}
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  int sig_;
  sigset_t old_;
};

TEST(TaskSignalsReader, SeesThreadAndProcessPendingSignalsAndTheMask) {
  BlockedSignal usr1(SIGUSR1), usr2(SIGUSR2);
  const pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
  TaskSignals before;
  ASSERT_TRUE(read_task_signals(getpid(), tid, &before));
  EXPECT_EQ(before.blocked & (signal_bit(SIGUSR1) | signal_bit(SIGUSR2)), signal_bit(SIGUSR1) | signal_bit(SIGUSR2));
  EXPECT_EQ(before.pending & signal_bit(SIGUSR1), 0u);
  ASSERT_EQ(syscall(SYS_tgkill, getpid(), tid, SIGUSR1), 0);  // to this thread
  ASSERT_EQ(kill(getpid(), SIGUSR2), 0);                       // to the process
  TaskSignals after;
  ASSERT_TRUE(read_task_signals(getpid(), tid, &after));
  EXPECT_EQ(after.pending & (signal_bit(SIGUSR1) | signal_bit(SIGUSR2)), signal_bit(SIGUSR1));
  EXPECT_EQ(after.shared_pending & (signal_bit(SIGUSR1) | signal_bit(SIGUSR2)), signal_bit(SIGUSR2));
  TaskSignals waiter;
  ASSERT_TRUE(signals_for_waiter(getpid(), tid, &waiter));
  EXPECT_EQ(waiter.shared_pending & signal_bit(SIGUSR2), signal_bit(SIGUSR2));  // the leader itself
}

TEST(TaskSignalsReader, ThreadOtherThanTheLeaderTakesProcessSignalsTheLeaderBlocks) {
  BlockedSignal usr2(SIGUSR2);  // blocked in the leader (this thread) and, inherited, in the other
  std::atomic<pid_t> other_tid{0};
  std::atomic<bool> done{false};
  std::thread other([&] {
    other_tid = static_cast<pid_t>(syscall(SYS_gettid));
    while (!done) sched_yield();
  });
  while (other_tid == 0) sched_yield();
  ASSERT_EQ(kill(getpid(), SIGUSR2), 0);
  TaskSignals waiter;
  const bool read = signals_for_waiter(getpid(), other_tid, &waiter);
  done = true;
  other.join();
  ASSERT_TRUE(read);
  EXPECT_EQ(waiter.shared_pending & signal_bit(SIGUSR2), signal_bit(SIGUSR2));
  EXPECT_EQ(waiter.pending & signal_bit(SIGUSR2), 0u);
}

TEST(TaskSignalsReader, GoneTaskIsFalse) {
  TaskSignals s;
  EXPECT_FALSE(read_task_signals(getpid(), 0, &s));
}

const std::string kCli = URINGSIM_CLI;
const std::string kClient = std::string(URINGSIM_EXAMPLES_DIR) + "/../tests/wait_signal_client";

class WaitSignalRun : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const std::string& bin : {kCli, kClient}) {
      if (access(bin.c_str(), X_OK) != 0) GTEST_SKIP() << bin << " is not built (build the sim_tests target)";
    }
    Outcome probe;
    const std::string why = simtest::host_comparison_unavailable(&probe);
    if (!why.empty()) GTEST_SKIP() << why;
    ASSERT_EQ(probe.status, 0) << probe.err;
  }

  // Runs the client in `mode` on the host and under `uringsim run`; both must print
  // `expected` and exit 0.
  void expect_same(const char* mode, const std::string& expected) {
    const Outcome host = simtest::run({kClient, mode});
    const Outcome sim = simtest::run(under_sim({kClient, mode}));
    EXPECT_EQ(host.out, expected) << "host kernel, stderr: " << host.err;
    EXPECT_EQ(host.status, 0);
    EXPECT_EQ(sim.out, host.out) << "uringsim run, stderr: " << sim.err;
    EXPECT_EQ(sim.status, 0) << sim.err;
    EXPECT_EQ(sim.err, host.err);
  }
};

const char kStillWorks[] =
    "then: peek EAGAIN\n"
    "then: wait_cqe 0, user_data 2 res 0\n";

TEST_F(WaitSignalRun, HandlerWithoutSaRestartEndsTheWaitWithEintr) {
  expect_same("handler", std::string("handler: wait_cqe EINTR, handler ran 1 time(s)\n") + kStillWorks);
}

TEST_F(WaitSignalRun, HandlerWithSaRestartStillEndsTheWaitWithEintr) {
  // io_cqring_wait returns -EINTR, never -ERESTARTSYS: SA_RESTART does not restart it.
  expect_same("restart", std::string("restart: wait_cqe EINTR, handler ran 1 time(s)\n") + kStillWorks);
}

TEST_F(WaitSignalRun, SignalToTheWaitingThreadEndsTheWaitWithEintr) {
  expect_same("thread-signal", std::string("thread-signal: wait_cqe EINTR, handler ran 1 time(s)\n") + kStillWorks);
}

TEST_F(WaitSignalRun, SignalTheWaitSigsetBlocksWaitsForTheTimeoutThenRunsTheHandler) {
  expect_same("wait-mask-blocks",
              "wait-mask-blocks: wait_cqes ETIME\n"
              "wait-mask-blocks: handler ran 1 time(s)\n");
}

TEST_F(WaitSignalRun, SigsetArgumentsAreCheckedOnlyWhenTheCallWaits) {
  expect_same("args",
              "args: sigset size 16: EINVAL\n"
              "args: sigset at 0x8: EFAULT\n"
              "args: EXT_ARG sigmask_sz 4: EINVAL\n"
              "args: EXT_ARG sigmask at 0x8: EFAULT\n"
              "args: EXT_ARG good sigmask, 1 ms: ETIME\n"
              "args: NOP, then sigset size 16: 1\n");
}

TEST_F(WaitSignalRun, SignalOnlyTheWaitSigsetUnblocksFailsLoudlyUnderCapture) {
  // Linux runs the handler during the wait; from outside the task uringsim cannot.
  const Outcome host = simtest::run({kClient, "wait-mask-unblocks"});
  EXPECT_EQ(host.out, "wait-mask-unblocks: wait_cqes EINTR, handler ran 1 time(s)\n") << host.err;
  const Outcome sim = simtest::run(under_sim({kClient, "wait-mask-unblocks"}));
  EXPECT_EQ(sim.out, "wait-mask-unblocks: wait_cqes EINVAL, handler ran 0 time(s)\n") << sim.err;
  EXPECT_NE(sim.err.find("signal 14 (SIGALRM) is pending and blocked by task"), std::string::npos) << sim.err;
  EXPECT_NE(sim.err.find("not simulated under capture"), std::string::npos) << sim.err;
  EXPECT_EQ(sim.status, 0);
}

}  // namespace
}  // namespace uringsim::sim
