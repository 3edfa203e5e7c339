// `uringsim bench nop` runs every row (the real kernel, the embedded model, the shim, seccomp
// capture) and
// reports a ratio for every batch size. A smoke test with few operations: it checks
// that the rows run and verify their own CQEs, not how fast they are.
#include <sys/wait.h>

#include <cstdio>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/differential/differential.h"

namespace uringsim::difftest {
namespace {

#ifdef URINGSIM_CLI_PATH

TEST(BenchCli, NopRowsRunAndReportRatios) {
  REQUIRE_IO_URING();
  std::string cmd = std::string(URINGSIM_CLI_PATH) +
                    " bench nop --batch 1,8,32 --ops 2000 --reps 2 --json 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  int st = pclose(f);
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << out;
  nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(j["baseline"], "linux");
  std::map<std::string, int> batches_per_row;
  for (const auto& r : j["results"]) {
    ++batches_per_row[r["row"].get<std::string>()];
    EXPECT_TRUE(r["ok"].get<bool>()) << r.dump();
    EXPECT_GT(r["ops_per_sec"].get<double>(), 0) << r.dump();
    EXPECT_EQ(r["samples_ops_per_sec"].size(), 2u) << r.dump();
    if (r["row"] == "embedded") {
      EXPECT_GT(r["ratio_vs_baseline"].get<double>(), 0);
    }
  }
  const std::map<std::string, int> every_row_thrice = {
      {"linux", 3}, {"embedded", 3}, {"shim", 3}, {"seccomp", 3}};
  EXPECT_EQ(batches_per_row, every_row_thrice);
}

TEST(BenchCli, UnknownSuiteOrRowIsAnError) {
  std::string cli = URINGSIM_CLI_PATH;
  EXPECT_EQ(WEXITSTATUS(system((cli + " bench no-such-suite >/dev/null 2>&1").c_str())), 2);
  EXPECT_EQ(WEXITSTATUS(system((cli + " bench nop --rows nope >/dev/null 2>&1").c_str())), 2);
  EXPECT_EQ(WEXITSTATUS(system((cli + " bench nop --batch 0 >/dev/null 2>&1").c_str())), 2);
}

#endif

}  // namespace
}  // namespace uringsim::difftest
