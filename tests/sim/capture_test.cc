// `uringsim run`: each example program must print the same bytes and exit with the same
// status on the host kernel and under seccomp capture.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "uapi/io_uring.h"
#include "tests/sim/run_helpers.h"

namespace {

using uringsim::simtest::Outcome;
using uringsim::simtest::slurp_fd;
using uringsim::simtest::under_sim;

Outcome run(const std::vector<std::string>& argv, int stdin_fd = -1) {
  return uringsim::simtest::run(argv, {.stdin_fd = stdin_fd});
}

const std::string kCli = URINGSIM_CLI;
const std::string kExamples = URINGSIM_EXAMPLES_DIR;

std::string example(const char* name) { return kExamples + "/" + name; }

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string random_file(size_t size) {
  char path[] = "/var/tmp/uringsim-run-XXXXXX";
  int fd = mkstemp(path);
  std::mt19937 rng(static_cast<unsigned>(size));
  std::string data(size, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  EXPECT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  close(fd);
  return path;
}

class SimRun : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const std::string& bin : {kCli, example("uring_nop_ping"), example("uring_cat"),
                                   example("uring_copy_fixed"), example("uring_raw_nop"),
                                   example("uring_timeout")}) {
      if (access(bin.c_str(), X_OK) != 0) {
        GTEST_SKIP() << bin << " is not built (build the uringsim and examples targets)";
      }
    }
    io_uring_params p{};
    long fd = syscall(425, 1, &p);
    if (fd < 0) {
      GTEST_SKIP() << "io_uring is unavailable on the host kernel (io_uring_setup: "
                   << strerror(errno) << "), so there is nothing to compare with";
    }
    close(static_cast<int>(fd));
    Outcome probe = run(under_sim({"true"}));
    if (probe.status == 2 && probe.err.find("seccomp user notification unavailable") != std::string::npos) {
      GTEST_SKIP() << "seccomp user notification is unavailable here: " << probe.err;
    }
    ASSERT_EQ(probe.status, 0) << probe.err;
  }

  // Runs argv on the host and under `uringsim run`; both must agree byte for byte.
  Outcome expect_same(const std::vector<std::string>& argv) {
    Outcome host = run(argv);
    Outcome sim = run(under_sim(argv));
    EXPECT_EQ(sim.status, host.status) << "host stderr: " << host.err << "\nsim stderr: " << sim.err;
    EXPECT_EQ(sim.out, host.out) << "sim stderr: " << sim.err;
    EXPECT_EQ(sim.err, host.err);
    return sim;
  }
};

TEST_F(SimRun, NopPingMatchesHostKernel) {
  for (const char* batch : {"1", "8", "32"}) {
    Outcome o = expect_same({example("uring_nop_ping"), "1000", batch});
    EXPECT_EQ(o.status, 0);
    EXPECT_NE(o.out.find("1000 NOPs submitted, 1000 completed, 0 errors, 0 out of order"),
              std::string::npos) << o.out;
  }
}

TEST_F(SimRun, CatWithReadvMatchesHostKernel) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{8095}, size_t{8096}, size_t{300001}}) {
    std::string path = random_file(size);
    Outcome o = expect_same({example("uring_cat"), path});
    EXPECT_EQ(o.out, read_file(path)) << "size " << size;
    unlink(path.c_str());
  }
  Outcome missing = expect_same({example("uring_cat"), "/nonexistent/file"});
  EXPECT_EQ(missing.status, 1);
}

// A static binary has no dynamic loader to preload a shim into; the seccomp filter is
// what catches its io_uring syscalls.
TEST_F(SimRun, StaticallyLinkedProgramMatchesHostKernel) {
  const std::string bin = example("uring_cat_static");
  if (access(bin.c_str(), X_OK) != 0) GTEST_SKIP() << bin << " is not built (needs libc.a and liburing.a)";
  Outcome ldd = run({"ldd", bin});  // libc-bin's ldd: "not a dynamic executable", status 1
  EXPECT_NE((ldd.out + ldd.err).find("not a dynamic executable"), std::string::npos) << ldd.out << ldd.err;
  const std::string path = random_file(20000);
  Outcome o = expect_same({bin, path});
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.out, read_file(path));
  unlink(path.c_str());
}

TEST_F(SimRun, CopyWithFixedBuffersMatchesHostKernel) {
  std::string src = random_file(200000);
  std::string dst_host = src + ".host", dst_sim = src + ".sim";
  Outcome host = run({example("uring_copy_fixed"), src, dst_host});
  Outcome sim = run(under_sim({example("uring_copy_fixed"), src, dst_sim}));
  EXPECT_EQ(sim.status, host.status) << sim.err;
  EXPECT_EQ(sim.out, host.out) << sim.err;
  EXPECT_EQ(sim.err, host.err);
  EXPECT_EQ(read_file(dst_sim), read_file(src));
  EXPECT_EQ(read_file(dst_host), read_file(src));
  unlink(src.c_str());
  unlink(dst_host.c_str());
  unlink(dst_sim.c_str());
}

// 6.18 charges the ring's own pages (2 for 64 entries) to RLIMIT_MEMLOCK when the
// creator lacks CAP_IPC_LOCK (spec A.5).
TEST_F(SimRun, RingMemoryChargedToMemlockWithoutCapIpcLockMatchesHostKernel) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to drop CAP_IPC_LOCK from a child";
  if (access("/usr/bin/setpriv", X_OK) != 0 || access("/usr/bin/prlimit", X_OK) != 0) {
    GTEST_SKIP() << "needs util-linux's setpriv and prlimit";
  }
  for (const char* limit : {"--memlock=4096", "--memlock=8192"}) {
    Outcome o = expect_same({"/usr/bin/prlimit", limit, "/usr/bin/setpriv",
                             "--inh-caps=-ipc_lock", "--bounding-set=-ipc_lock", "--",
                             example("uring_nop_ping"), "10"});
    if (std::string(limit) == "--memlock=4096") {
      EXPECT_EQ(o.status, 1);
      EXPECT_NE(o.err.find("Cannot allocate memory"), std::string::npos) << o.err;
    } else {
      EXPECT_EQ(o.status, 0) << o.err;
    }
  }
}

// A ring dies with its process: three rings in a row fit in a two-page limit.
TEST_F(SimRun, RingsOfExitedProcessesReturnTheirCharge) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to drop CAP_IPC_LOCK from a child";
  const std::string ping = example("uring_nop_ping") + " 5";
  Outcome o = run(under_sim({"/usr/bin/setpriv", "--inh-caps=-ipc_lock", "--bounding-set=-ipc_lock",
                             "--", "/bin/sh", "-c", ping + " && " + ping + " && " + ping},
                            {"--memlock", "8192", "--stats"}));
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.err.find("0 rings left"), std::string::npos) << o.err;
}

// A raw program maps IORING_OFF_CQ_RING separately on a single-mmap ring; Linux gives
// it the rings region again, uringsim the caller's existing mapping of it.
TEST_F(SimRun, SeparateCqRingMmapOnSingleMmapRingMatchesHostKernel) {
  Outcome o = expect_same({example("uring_raw_nop"), "20"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("20/20 NOPs ok"), std::string::npos) << o.out;
}

// Completions that come later: a READ parked on an empty pipe (the service loop polls
// the pipe), a TIMEOUT (the loop's timer), and a timed wait nothing satisfies. The
// program's waits are parked notifications, answered when their CQEs arrive.
TEST_F(SimRun, RequestsThatCompleteLaterMatchHostKernel) {
  Outcome o = expect_same({example("uring_timeout")});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("READ completed: res 5, \"hello\""), std::string::npos) << o.out;
}

// A program killed while its enter is parked (a READV waiting on an empty pipe): the
// parked notification goes with it and `uringsim run` ends with its status.
TEST_F(SimRun, ProgramKilledWhileParkedInAWaitEndsTheRun) {
  if (access("/usr/bin/timeout", X_OK) != 0) GTEST_SKIP() << "needs coreutils' timeout";
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  auto t0 = std::chrono::steady_clock::now();
  Outcome o = run(under_sim({"/usr/bin/timeout", "-s", "KILL", "0.3", example("uring_cat"),
                             "/dev/stdin"}),
                  p[0]);
  auto took = std::chrono::steady_clock::now() - t0;
  close(p[0]);
  close(p[1]);
  EXPECT_EQ(o.status, 128 + SIGKILL) << o.err;
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST_F(SimRun, ExitStatusIsTheProgramsOr128PlusSignal) {
  EXPECT_EQ(run(under_sim({"/bin/sh", "-c", "exit 7"})).status, 7);
  EXPECT_EQ(run(under_sim({"/bin/sh", "-c", "kill -TERM $$"})).status, 128 + SIGTERM);
  Outcome missing = run(under_sim({"/nonexistent/prog"}));
  EXPECT_EQ(missing.status, 127);
  EXPECT_NE(missing.err.find("cannot run /nonexistent/prog"), std::string::npos) << missing.err;
}

TEST_F(SimRun, CaptureThatCannotBeSetUpSaysWhyAndExits2) {
  // Linux allows one listener per filter chain: a nested `uringsim run` cannot capture.
  Outcome o = run(under_sim({kCli, "run", "--", "true"}));
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("uringsim run: seccomp user notification unavailable:"), std::string::npos)
      << o.err;
  Outcome bad = run(under_sim({"true"}, {"--kernel", "no-such-kernel"}));
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("unknown kernel profile"), std::string::npos) << bad.err;
}

TEST_F(SimRun, StdinAndStdoutArePassedThrough) {
  std::string path = random_file(5000);
  Outcome o = run(under_sim({"/bin/sh", "-c", example("uring_cat") + " /dev/stdin < " + path}));
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, read_file(path));
  unlink(path.c_str());
}

}  // namespace
