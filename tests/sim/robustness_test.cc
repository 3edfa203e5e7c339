// The kernel process trusts no client (issue 3, "Security and reliability"): real
// clients under one `uringsim run` are SIGKILLed mid-I/O, hammer it concurrently, and
// hand it bad pointers. The client is tests/sim/clients/sim_stress_client.c.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "uapi/io_uring.h"
#include "tests/sim/run_helpers.h"

namespace {

using uringsim::simtest::Outcome;
using uringsim::simtest::run;
using uringsim::simtest::slurp_fd;
using uringsim::simtest::under_sim;

const std::string kCli = URINGSIM_CLI;
const std::string kClient = URINGSIM_STRESS_CLIENT;

// Names in /dev/shm that could be ours (ring memory must never appear there).
std::set<std::string> shm_entries_like_ours() {
  std::set<std::string> names;
  if (DIR* d = opendir("/dev/shm")) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.find("uring") != std::string::npos || n.find("ring") != std::string::npos) names.insert(n);
    }
    closedir(d);
  }
  return names;
}

class SimRobustness : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const std::string& bin : {kCli, kClient}) {
      if (access(bin.c_str(), X_OK) != 0) {
        GTEST_SKIP() << bin << " is not built (build the uringsim and sim_stress_client targets)";
      }
    }
    Outcome probe = run(under_sim({"true"}));
    if (probe.status == 2 &&
        probe.err.find("seccomp user notification unavailable") != std::string::npos) {
      GTEST_SKIP() << "seccomp user notification is unavailable here: " << probe.err;
    }
    ASSERT_EQ(probe.status, 0) << probe.err;
  }
};

// 200 clients, each with registered buffers and two READs parked on an empty pipe,
// SIGKILLed while blocked in io_uring_enter(GETEVENTS) (or just before). Meanwhile a
// sibling keeps doing NOPs and must be served throughout; before and after, the largest
// registrable buffer under a 64-page RLIMIT_MEMLOCK (no CAP_IPC_LOCK, so every ring and
// buffer is charged) must be the same number of pages: the accounting is back to exactly
// its baseline. Each victim checks its ring is a memfd mapping (never /dev/shm), and
// /dev/shm gains nothing.
TEST_F(SimRobustness, ClientsKilledMidIoReturnEverythingAndOthersKeepBeingServed) {
  // Root holds CAP_IPC_LOCK, which exempts it from accounting: drop it for the client.
  std::vector<std::string> client{kClient, "killloop", "200", "64"};
  if (geteuid() == 0) {
    if (access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "needs util-linux's setpriv as root";
    client.insert(client.begin(), {"/usr/bin/setpriv", "--inh-caps=-ipc_lock",
                                   "--bounding-set=-ipc_lock", "--"});
  }
  const std::set<std::string> shm_before = shm_entries_like_ours();
  const auto t0 = std::chrono::steady_clock::now();
  Outcome o = run(under_sim(client, {"--memlock", std::to_string(64 * 4096), "--stats"}));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("200 victims killed"), std::string::npos) << o.out << o.err;
  // The kernel process itself is left with no ring at all.
  EXPECT_NE(o.err.find("0 rings left"), std::string::npos) << o.err;
  EXPECT_EQ(shm_entries_like_ours(), shm_before);
  EXPECT_LT(took, std::chrono::seconds(60));
  std::printf("%s", o.out.c_str());
}

// 16 processes at once, each with its own ring, registered buffer and data file, under
// one kernel process: every NOP and every READ_FIXED completes, with the right bytes.
TEST_F(SimRobustness, SixteenConcurrentClientsHammeringNopsAndFixedReads) {
  char dir[] = "/var/tmp/uringsim-hammer-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  Outcome o = run(under_sim({kClient, "hammer", "16", "1000", dir}, {"--stats"}));
  rmdir(dir);
  EXPECT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("hammer: 16 clients x 1000 rounds of 8 NOPs + 8 READ_FIXED: 0 failed"),
            std::string::npos)
      << o.out << o.err;
  EXPECT_NE(o.err.find("0 rings left"), std::string::npos) << o.err;
}

// Bad pointers in io_uring_setup's params, in io_uring_register's arguments and the
// iovecs they point to, in enter's extended argument and in SQEs: each is -EFAULT (as a
// return value or a CQE), exactly as the host kernel says, and the kernel process lives.
TEST_F(SimRobustness, BadPointersFromARealClientAreEfaultNotACrash) {
  Outcome sim = run(under_sim({kClient, "badptr", kClient}));
  EXPECT_EQ(sim.status, 0) << sim.out << sim.err;
  std::istringstream lines(sim.out);
  std::string line;
  int cases = 0;
  while (std::getline(lines, line)) {
    ++cases;
    EXPECT_NE(line.find(": -EFAULT"), std::string::npos) << line;
  }
  EXPECT_GE(cases, 20) << sim.out << sim.err;

  io_uring_params p{};
  long fd = syscall(425, 1, &p);
  if (fd < 0) return;  // no host io_uring to compare with
  close(static_cast<int>(fd));
  Outcome host = run({kClient, "badptr", kClient});
  EXPECT_EQ(sim.out, host.out) << "host stderr: " << host.err << "\nsim stderr: " << sim.err;
  EXPECT_EQ(sim.status, host.status);
}

}  // namespace
