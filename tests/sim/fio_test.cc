// fio, unmodified, under `uringsim run` (issue 3, "Evidence"): --ioengine=io_uring writes
// a 16 MiB file in /dev/shm and reads every block back with --verify=crc32c. fio calls
// syscall() for setup/register and issues io_uring_enter inline; seccomp capture serves
// both. Zero errors is read from fio's JSON ("error": 0 for each job).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "uapi/io_uring.h"
#include "tests/sim/run_helpers.h"

namespace {

using uringsim::simtest::Outcome;
using uringsim::simtest::run;
using uringsim::simtest::slurp_fd;

const std::string kCli = URINGSIM_CLI;

std::string find_fio() {
  for (const char* p : {"/usr/bin/fio", "/usr/local/bin/fio"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

class SimFio : public ::testing::TestWithParam<std::vector<std::string>> {
 protected:
  void SetUp() override {
    fio_ = find_fio();
    if (fio_.empty()) GTEST_SKIP() << "fio is not installed (scripts/install-deps.sh installs it)";
    if (access(kCli.c_str(), X_OK) != 0) GTEST_SKIP() << kCli << " is not built";
    Outcome probe = run({kCli, "run", "--", "true"});
    if (probe.status == 2 &&
        probe.err.find("seccomp user notification unavailable") != std::string::npos) {
      GTEST_SKIP() << "seccomp user notification is unavailable here: " << probe.err;
    }
    ASSERT_EQ(probe.status, 0) << probe.err;
    if (access("/dev/shm", W_OK) != 0) GTEST_SKIP() << "/dev/shm is not writable";
  }
  std::string fio_;
};

TEST_P(SimFio, VerifyCrc32cOnShmFileHasZeroErrors) {
  char path[] = "/dev/shm/fio-verify-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0) << strerror(errno);
  close(fd);
  std::vector<std::string> argv{kCli,
                                "run",
                                "--stats",
                                "--",
                                fio_,
                                "--name=verify",
                                "--ioengine=io_uring",
                                std::string("--filename=") + path,
                                "--size=16M",
                                "--rw=randwrite",
                                "--bs=4k",
                                "--iodepth=16",
                                "--verify=crc32c",
                                "--do_verify=1",
                                "--verify_fatal=1",
                                "--output-format=json"};
  for (const std::string& extra : GetParam()) argv.push_back(extra);
  Outcome o = run(argv);
  unlink(path);
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  // fio may print notes before the JSON document.
  const size_t brace = o.out.find('{');
  ASSERT_NE(brace, std::string::npos) << o.out;
  nlohmann::json doc = nlohmann::json::parse(o.out.substr(brace), nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(doc.is_discarded()) << o.out;
  ASSERT_TRUE(doc.contains("jobs") && doc["jobs"].is_array() && !doc["jobs"].empty()) << o.out;
  for (const auto& job : doc["jobs"]) {
    EXPECT_EQ(job.value("error", -1), 0) << job.dump();
    // Every byte written was read back and verified.
    EXPECT_EQ(job["write"].value("io_bytes", 0ull), 16ull << 20) << job.dump();
    EXPECT_EQ(job["read"].value("io_bytes", 0ull), 16ull << 20) << job.dump();
  }
  // The I/O really went through the simulated kernel, which is left with no ring.
  EXPECT_NE(o.err.find("io_uring syscalls served"), std::string::npos) << o.err;
  EXPECT_EQ(o.err.find(" 0 io_uring syscalls served"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("0 rings left"), std::string::npos) << o.err;
}

INSTANTIATE_TEST_SUITE_P(Variants, SimFio,
                         ::testing::Values(std::vector<std::string>{},
                                           std::vector<std::string>{"--fixedbufs"},
                                           std::vector<std::string>{"--registerfiles"},
                                           std::vector<std::string>{"--fixedbufs",
                                                                    "--registerfiles"}),
                         [](const auto& info) {
                           std::string name;
                           for (const std::string& s : info.param) {
                             name += s == "--fixedbufs" ? "FixedBufs" : "RegisterFiles";
                           }
                           return name.empty() ? std::string("Plain") : name;
                         });

}  // namespace
