// fio, unmodified, with --sqthread_poll=1 (IORING_SETUP_SQPOLL) under `uringsim run`
// (issues 3 and 8): the same job runs on Linux and under the simulator, and both must
// report the same result -- no error, every byte written read back and verified
// (crc32c) -- in fio's JSON. fio submits by moving the SQ tail and enters only with
// SQ_WAKEUP when NEED_WAKEUP is set, so the I/O going through proves the simulated SQ
// thread consumed the SQEs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/sim/run_helpers.h"

namespace {

using uringsim::simtest::Outcome;
using uringsim::simtest::run;
using uringsim::simtest::RunOptions;

const std::string kCli = URINGSIM_CLI;

struct FioResult {
  int error = -1;
  unsigned long long write_bytes = 0;
  unsigned long long read_bytes = 0;
  std::string shape;  // the JSON keys of the job, sorted: the "result line shape"
};

// The first job of fio's JSON output.
bool parse_fio(const std::string& out, FioResult* r, std::string* why) {
  const size_t brace = out.find('{');
  if (brace == std::string::npos) {
    *why = "no JSON in fio's output: " + out;
    return false;
  }
  nlohmann::json doc = nlohmann::json::parse(out.substr(brace), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.contains("jobs") || !doc["jobs"].is_array() || doc["jobs"].empty()) {
    *why = "fio's JSON has no jobs: " + out;
    return false;
  }
  const auto& job = doc["jobs"][0];
  r->error = job.value("error", -1);
  r->write_bytes = job["write"].value("io_bytes", 0ull);
  r->read_bytes = job["read"].value("io_bytes", 0ull);
  for (auto it = job.begin(); it != job.end(); ++it) r->shape += it.key() + " ";
  return true;
}

TEST(SimFioSqpoll, SqthreadPollVerifiesLikeLinux) {
  std::string fio;
  for (const char* p : {"/usr/bin/fio", "/usr/local/bin/fio"}) {
    if (access(p, X_OK) == 0) fio = p;
  }
  if (fio.empty()) GTEST_SKIP() << "fio is not installed (scripts/install-deps.sh installs it)";
  if (access(kCli.c_str(), X_OK) != 0) GTEST_SKIP() << kCli << " is not built";
  if (access("/dev/shm", W_OK) != 0) GTEST_SKIP() << "/dev/shm is not writable";
  Outcome probe = run({kCli, "run", "--", "true"});
  if (probe.status == 2 && probe.err.find("seccomp user notification unavailable") != std::string::npos) {
    GTEST_SKIP() << "seccomp user notification is unavailable here: " << probe.err;
  }
  ASSERT_EQ(probe.status, 0) << probe.err;

  char path[] = "/dev/shm/fio-sqpoll-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0) << strerror(errno);
  close(fd);
  const std::vector<std::string> job{fio,
                                     "--name=sqpoll",
                                     "--ioengine=io_uring",
                                     "--sqthread_poll=1",
                                     std::string("--filename=") + path,
                                     "--size=4M",
                                     "--rw=randwrite",
                                     "--bs=4k",
                                     "--iodepth=16",
                                     "--verify=crc32c",
                                     "--do_verify=1",
                                     "--verify_fatal=1",
                                     "--output-format=json"};
  RunOptions limit;
  limit.time_limit_s = 120;  // a hang fails the test instead of stalling the suite

  Outcome on_linux = run(job, limit);
  std::vector<std::string> under{kCli, "run", "--stats", "--"};
  under.insert(under.end(), job.begin(), job.end());
  Outcome on_sim = run(under, limit);
  unlink(path);

  ASSERT_EQ(on_linux.status, 0) << on_linux.out << on_linux.err;
  ASSERT_EQ(on_sim.status, 0) << on_sim.out << on_sim.err;
  FioResult lx, sim;
  std::string why;
  ASSERT_TRUE(parse_fio(on_linux.out, &lx, &why)) << why;
  ASSERT_TRUE(parse_fio(on_sim.out, &sim, &why)) << why;
  EXPECT_EQ(lx.error, 0);
  EXPECT_EQ(sim.error, 0);
  EXPECT_EQ(lx.write_bytes, 4ull << 20);
  EXPECT_EQ(sim.write_bytes, 4ull << 20);
  EXPECT_EQ(lx.read_bytes, 4ull << 20);
  EXPECT_EQ(sim.read_bytes, 4ull << 20);
  EXPECT_EQ(sim.shape, lx.shape);
  // The I/O went through the simulated kernel, which is left with no ring.
  EXPECT_NE(on_sim.err.find("io_uring syscalls served"), std::string::npos) << on_sim.err;
  EXPECT_NE(on_sim.err.find("0 rings left"), std::string::npos) << on_sim.err;
}

}  // namespace
