#include "sim/wait_signals.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace uringsim::sim {

namespace {

constexpr uint64_t kUnblockable = signal_bit(SIGKILL) | signal_bit(SIGSTOP);

// The hex mask after "\nNAME:\t" in a status file's text, or false.
bool status_mask(const char* text, const char* name, uint64_t* out) {
  const char* at = std::strstr(text, name);
  if (at == nullptr) return false;
  char* end = nullptr;
  *out = std::strtoull(at + std::strlen(name), &end, 16);
  return end != at + std::strlen(name);
}

int lowest_signal(uint64_t set) { return set == 0 ? 0 : __builtin_ctzll(set) + 1; }

}  // namespace

bool read_task_signals(pid_t tgid, pid_t tid, TaskSignals* out) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/task/%d/status", static_cast<int>(tgid), static_cast<int>(tid));
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  // The whole file is about 1.5 KiB; the signal lines come in its second half.
  char text[8192];
  size_t len = 0;
  ssize_t n;
  while (len < sizeof text - 1 && (n = read(fd, text + len, sizeof text - 1 - len)) > 0) {
    len += static_cast<size_t>(n);
  }
  close(fd);
  text[len] = '\0';
  return status_mask(text, "\nSigPnd:", &out->pending) &&
         status_mask(text, "\nShdPnd:", &out->shared_pending) &&
         status_mask(text, "\nSigBlk:", &out->blocked);
}

bool signals_for_waiter(pid_t tgid, pid_t tid, TaskSignals* out) {
  if (!read_task_signals(tgid, tid, out)) return false;
  if (out->shared_pending != 0 && tid != tgid) {
    // The leader takes the process's signals it does not block. A leader that is gone
    // takes none.
    TaskSignals leader;
    if (read_task_signals(tgid, tgid, &leader)) out->shared_pending &= leader.blocked;
  }
  return true;
}

WaitSignal signal_ending_wait(uint64_t pending, uint64_t blocked, const EnterResult& entered) {
  const uint64_t wait_mask = (entered.sigmask_addr != 0 ? entered.sigmask : blocked) & ~kUnblockable;
  const uint64_t wakes = pending & ~wait_mask;
  WaitSignal w;
  // Delivered on Linux during the wait, but blocked in the task, which only the task
  // itself can change.
  const uint64_t undeliverable = wakes & blocked & ~kUnblockable;
  if (undeliverable != 0) {
    w.signo = lowest_signal(undeliverable);
    w.simulated = false;
  } else {
    w.signo = lowest_signal(wakes);
  }
  return w;
}

}  // namespace uringsim::sim
