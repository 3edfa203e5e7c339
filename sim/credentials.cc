#include "sim/credentials.h"

#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace uringsim::sim {

namespace {

constexpr int kCapIpcLock = 14;  // CAP_IPC_LOCK

uint64_t memlock_of(pid_t pid) {
  struct rlimit rl;
  if (prlimit(pid, RLIMIT_MEMLOCK, nullptr, &rl) != 0) return kUnlimited;
  return rl.rlim_cur == RLIM_INFINITY ? kUnlimited : static_cast<uint64_t>(rl.rlim_cur);
}

// Fields of /proc/PID/status we need.
struct Status {
  bool ok = false;
  pid_t tgid = -1;
  uint32_t uid = 0;
  uint64_t cap_eff = 0;
};

Status read_status(pid_t pid) {
  Status s;
  char name[64];
  std::snprintf(name, sizeof name, "/proc/%d/status", static_cast<int>(pid));
  FILE* f = std::fopen(name, "re");
  if (f == nullptr) return s;
  char line[256];
  int found = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    unsigned long long v;
    int tgid;
    if (std::sscanf(line, "Tgid: %d", &tgid) == 1) {
      s.tgid = tgid;
      ++found;
    } else if (std::sscanf(line, "Uid: %llu", &v) == 1) {  // real uid first
      s.uid = static_cast<uint32_t>(v);
      ++found;
    } else if (std::sscanf(line, "CapEff: %llx", &v) == 1) {
      s.cap_eff = v;
      ++found;
    }
  }
  std::fclose(f);
  s.ok = found == 3;
  return s;
}

}  // namespace

Credentials self_credentials() {
  Credentials c;
  c.pid = getpid();
  c.mm = static_cast<uint64_t>(getpid());
  c.uid = getuid();
  c.memlock_limit = memlock_of(0);
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &hdr, data) == 0) {
    c.cap_ipc_lock = (data[0].effective >> kCapIpcLock) & 1u;
  } else {
    c.cap_ipc_lock = (read_status(getpid()).cap_eff >> kCapIpcLock) & 1u;
  }
  return c;
}

bool process_credentials(pid_t tid, pid_t tgid, Credentials* out, std::string* error) {
  Status s = read_status(tid);
  if (!s.ok) {
    if (error) *error = "cannot read /proc/" + std::to_string(tid) + "/status";
    return false;
  }
  out->pid = tgid;
  out->mm = static_cast<uint64_t>(tgid);
  out->uid = s.uid;
  out->cap_ipc_lock = (s.cap_eff >> kCapIpcLock) & 1u;
  out->memlock_limit = memlock_of(tgid);
  return true;
}

pid_t thread_group_of(pid_t tid) { return read_status(tid).tgid; }

}  // namespace uringsim::sim
