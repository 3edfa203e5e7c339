// replay_on_linux_as: a Linux replay in a child process that runs as the trace's
// caller (see replay.h). The child replays the whole trace and writes the result into
// a pipe; the parent reads it back. Fork, not threads: credentials and rlimits are
// per process, and the parent must stay root for the next replay.
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "kernel_model/fault.h"
#include "traces/jsonl.h"
#include "traces/replay.h"

namespace uringsim::traces {

namespace {

// The result crosses the pipe as length-prefixed fields: integers as decimal text,
// strings as "<length>:<bytes>".
void put(std::string* out, const std::string& s) { *out += std::to_string(s.size()) + ":" + s; }
void put(std::string* out, uint64_t v) { put(out, std::to_string(v)); }

bool take(const std::string& in, size_t* at, std::string* s) {
  const size_t colon = in.find(':', *at);
  if (colon == std::string::npos) return false;
  size_t len = 0;
  for (size_t i = *at; i < colon; ++i) {
    if (in[i] < '0' || in[i] > '9') return false;
    len = len * 10 + static_cast<size_t>(in[i] - '0');
  }
  if (in.size() - (colon + 1) < len) return false;
  *s = in.substr(colon + 1, len);
  *at = colon + 1 + len;
  return true;
}
bool take(const std::string& in, size_t* at, uint64_t* v) {
  std::string s;
  if (!take(in, at, &s) || s.empty()) return false;
  *v = std::stoull(s);
  return true;
}

std::string encode(const ReplayResult& r, bool with_update) {
  std::string out;
  put(&out, r.skipped ? 1 : 0);
  put(&out, r.skip_reason);
  put(&out, r.calls);
  put(&out, r.sqes);
  put(&out, r.cqes);
  put(&out, static_cast<uint64_t>(r.seconds * 1e9));
  put(&out, r.divergences.size());
  for (const Divergence& d : r.divergences) {
    put(&out, static_cast<uint64_t>(d.line));
    put(&out, d.message);
  }
  put(&out, with_update ? write_trace(r.updated) : std::string());
  return out;
}

bool decode(const std::string& in, const std::string& path, ReplayResult* r) {
  size_t at = 0;
  uint64_t skipped = 0, calls = 0, sqes = 0, cqes = 0, ns = 0, n = 0;
  if (!take(in, &at, &skipped) || !take(in, &at, &r->skip_reason) || !take(in, &at, &calls) ||
      !take(in, &at, &sqes) || !take(in, &at, &cqes) || !take(in, &at, &ns) || !take(in, &at, &n)) {
    return false;
  }
  r->skipped = skipped != 0;
  r->calls = calls;
  r->sqes = sqes;
  r->cqes = cqes;
  r->seconds = static_cast<double>(ns) / 1e9;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t line = 0;
    Divergence d;
    if (!take(in, &at, &line) || !take(in, &at, &d.message)) return false;
    d.line = static_cast<int>(line);
    r->divergences.push_back(std::move(d));
  }
  std::string updated;
  if (!take(in, &at, &updated)) return false;
  if (!updated.empty()) {
    TraceError err;
    if (!parse_trace(updated, path, &r->updated, &err)) return false;
  }
  return true;
}

// In the child: become `caller`. Returns an empty string, or what failed.
std::string become(const CallerDecl& caller) {
  // Root with CAP_IPC_LOCK is never held to the limit: keep the inherited one then
  // (raising it to unlimited needs CAP_SYS_RESOURCE, which a container may lack).
  if (caller.memlock || caller.uid != 0) {
    rlimit lim{};
    lim.rlim_cur = lim.rlim_max = caller.memlock ? *caller.memlock : RLIM_INFINITY;
    if (setrlimit(RLIMIT_MEMLOCK, &lim) != 0) return std::string("setrlimit(RLIMIT_MEMLOCK): ") + std::strerror(errno);
  }
  if (caller.uid == 0) return {};
  // Switching every uid away from 0 clears the permitted and effective capability
  // sets (capabilities(7), "Effect of user ID changes on capabilities").
  if (setgroups(0, nullptr) != 0) return std::string("setgroups: ") + std::strerror(errno);
  if (setresgid(caller.uid, caller.uid, caller.uid) != 0) return std::string("setresgid: ") + std::strerror(errno);
  if (setresuid(caller.uid, caller.uid, caller.uid) != 0) return std::string("setresuid: ") + std::strerror(errno);
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("CapEff:", 0) == 0 && line.find_first_not_of("0\t ", 7) != std::string::npos) {
      return "capabilities survived the switch to uid " + std::to_string(caller.uid) + " (" + line + ")";
    }
  }
  return {};
}

ReplayResult skipped(std::string why) {
  ReplayResult r;
  r.skipped = true;
  r.skip_reason = std::move(why);
  return r;
}

}  // namespace

ReplayResult replay_on_linux_as(const Trace& trace, const CallerDecl& caller, const ReplayOptions& options) {
  if (caller.uid != 0 && caller.cap_ipc_lock) {
    return skipped(strprintf("a caller with uid %u that keeps CAP_IPC_LOCK cannot be made by switching uid "
                             "(switching drops every capability)", caller.uid));
  }
  if (caller.uid == 0 && !caller.cap_ipc_lock) {
    return skipped("root without CAP_IPC_LOCK cannot be made by switching uid; record as a non-root uid");
  }
  if (geteuid() != 0) {
    return skipped("replaying as uid " + std::to_string(caller.uid) + " needs root (this process is uid " +
                   std::to_string(geteuid()) + ")");
  }
  std::string unavailable;
  if (!KernelTarget::available(&unavailable)) return skipped(unavailable);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return skipped(std::string("pipe: ") + std::strerror(errno));
  const pid_t child = fork();
  if (child < 0) {
    close(fds[0]);
    close(fds[1]);
    return skipped(std::string("fork: ") + std::strerror(errno));
  }
  if (child == 0) {
    close(fds[0]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    ReplayResult r;
    const std::string failed = become(caller);
    if (!failed.empty()) {
      r = skipped("cannot run as the trace's caller: " + failed);
    } else {
      KernelTarget target;
      target.set_caller_is_current(true);
      r = replay(trace, target, options);
    }
    const std::string bytes = encode(r, options.update && !r.skipped);
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = write(fds[1], bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) _exit(1);
      done += static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string bytes;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    bytes.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  // Linux returns a closed ring's locked pages to its user from a workqueue
  // (io_ring_exit_work), after the process is gone, and nothing outside the kernel can
  // watch for it. Measured here: 5-20 ms. Another replay as the same uid started
  // before that sees the pages still charged (setup itself fails with ENOMEM), so
  // give the teardown time before returning.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ReplayResult r;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !decode(bytes, trace.path, &r)) {
    return skipped(WIFSIGNALED(status) ? strprintf("the replay process (uid %u) died of signal %d", caller.uid,
                                                   WTERMSIG(status))
                                       : strprintf("the replay process (uid %u) sent no readable result", caller.uid));
  }
  return r;
}

}  // namespace uringsim::traces
