// `uringsim calibrate --quick -o FILE` measures the cost model on this host's io_uring
// and writes a file that parses, holds every coefficient (positive), and that
// `uringsim run --cost-model FILE` accepts (it refuses unknown keys and bad values, so
// the round trip is the parse check). The CLI is what is tested: the measuring code
// lives in tools/cmd_calibrate.cc.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/differential/differential.h"

namespace uringsim::difftest {
namespace {

#ifdef URINGSIM_CLI_PATH

struct Ran {
  int status = -1;
  std::string out;  // stdout and stderr
};

Ran shell(const std::string& cmd) {
  Ran r;
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (f == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.out.append(buf, n);
  const int st = pclose(f);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CalibrateCli : public ::testing::Test {
 protected:
  void TearDown() override { unlink(path_.c_str()); }
  const std::string cli_ = URINGSIM_CLI_PATH;
  const std::string path_ = "/tmp/uringsim-calibrate-test-" + std::to_string(getpid()) + ".json";
};

TEST_F(CalibrateCli, QuickWritesEveryCoefficientPositive) {
  REQUIRE_IO_URING();
  const Ran r = shell(cli_ + " calibrate --quick -o " + path_);
  ASSERT_EQ(r.status, 0) << r.out;
  // The summary names every measured coefficient with its default and sample count.
  EXPECT_NE(r.out.find("parameter"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("syscall_ns"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("med 5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("wrote " + path_), std::string::npos) << r.out;

  const std::string text = slurp(path_);
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  ASSERT_TRUE(j.is_object()) << text;
  EXPECT_EQ(j["format"], "uringsim-cost-model/1");
  EXPECT_TRUE(j["measured_on"].is_string()) << text;
  // Every coefficient the format has (docs/cost-model.md), as a positive integer.
  for (const char* key : {"register_buffer_ns", "pin_4k_page_ns", "pin_2m_folio_ns", "pin_1g_folio_ns", "account_ns",
                          "clone_call_ns", "clone_buffer_ns", "unregister_buffer_ns", "unpin_4k_page_ns",
                          "unpin_2m_folio_ns", "unpin_1g_folio_ns", "syscall_ns", "sqe_ns", "copy_ns_per_kib"}) {
    ASSERT_TRUE(j.contains(key)) << key << " missing from " << text;
    EXPECT_TRUE(j[key].is_number_unsigned()) << key;
    EXPECT_GT(j[key].get<uint64_t>(), 0u) << key;
  }
  ASSERT_TRUE(j["op_ns"].is_object()) << text;
  for (auto it = j["op_ns"].begin(); it != j["op_ns"].end(); ++it) EXPECT_GT(it->get<uint64_t>(), 0u) << it.key();
  EXPECT_TRUE(j["op_ns"].contains("22")) << text;  // READ
  EXPECT_TRUE(j["op_ns"].contains("23")) << text;  // WRITE
  // Nothing else: a key the format does not have would make --cost-model refuse the file.
  EXPECT_EQ(j.size(), 14u + 3u) << text;  // + format, measured_on, op_ns
}

TEST_F(CalibrateCli, RunAcceptsTheCalibratedFile) {
  REQUIRE_IO_URING();
  const std::string cli_dir = cli_.substr(0, cli_.rfind('/'));
  const std::string nop_ping = cli_dir + "/examples/uring_nop_ping";
  if (access(nop_ping.c_str(), X_OK) != 0) GTEST_SKIP() << nop_ping << " is not built";
  const Ran probe = shell(cli_ + " run -- true");
  if (probe.status == 2 && probe.out.find("seccomp user notification unavailable") != std::string::npos) {
    GTEST_SKIP() << "seccomp user notification is unavailable here: " << probe.out;
  }
  ASSERT_EQ(shell(cli_ + " calibrate --quick -o " + path_).status, 0);
  const Ran plain = shell(cli_ + " run -- " + nop_ping + " 50");
  const Ran with = shell(cli_ + " run --cost-model " + path_ + " -- " + nop_ping + " 50");
  EXPECT_EQ(with.status, 0) << with.out;
  EXPECT_EQ(with.out, plain.out);
  EXPECT_NE(with.out.find("50 NOPs submitted, 50 completed"), std::string::npos) << with.out;
}

TEST_F(CalibrateCli, UnwritableOutputIsAnErrorNamingTheFile) {
  const Ran r = shell(cli_ + " calibrate --quick -o /nonexistent-dir/x.json");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("cannot write /nonexistent-dir/x.json"), std::string::npos) << r.out;
  EXPECT_EQ(shell(cli_ + " calibrate --quick").status, 2);  // -o is required
}

#endif  // URINGSIM_CLI_PATH

}  // namespace
}  // namespace uringsim::difftest
