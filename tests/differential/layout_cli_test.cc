// `uringsim layout --json` must print what Linux's io_uring_setup returns for the same
// parameters: sq_entries, cq_entries and every sq_off / cq_off field, or the same
// errno (exit status 2) when setup fails.
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/differential/differential.h"

namespace uringsim::difftest {
namespace {

#ifdef URINGSIM_CLI_PATH

struct CliResult {
  int exit_code = -1;
  std::string out;
};

CliResult run_cli(const std::string& args) {
  CliResult r;
  std::string cmd = std::string(URINGSIM_CLI_PATH) + " " + args + " 2>/dev/null";
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.out.append(buf, n);
  int st = pclose(f);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

struct LayoutCase {
  uint32_t entries;
  uint32_t cq_entries;  // 0: no --cq-entries
  const char* flags;    // --flags value ("" for none)
  uint32_t flag_bits;
};

TEST(LayoutCli, JsonEqualsLinuxSetup) {
  REQUIRE_IO_URING();
  const LayoutCase cases[] = {
      {1, 0, "", 0},
      {2, 0, "", 0},
      {3, 0, "", 0},
      {8, 0, "", 0},
      {9, 0, "", 0},
      {100, 0, "", 0},
      {1024, 0, "", 0},
      {4096, 0, "", 0},
      {32768, 0, "", 0},
      {32769, 0, "", 0},
      {32769, 0, "clamp", IORING_SETUP_CLAMP},
      {0, 0, "", 0},
      {8, 9, "", IORING_SETUP_CQSIZE},
      {8, 1, "", IORING_SETUP_CQSIZE},
      {8, 65536, "", IORING_SETUP_CQSIZE},
      {8, 65537, "", IORING_SETUP_CQSIZE},
      {8, 65537, "clamp", IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP},
      {8, 0, "cqe32", IORING_SETUP_CQE32},
      {8, 0, "sqe128", IORING_SETUP_SQE128},
      {8, 0, "no_sqarray", IORING_SETUP_NO_SQARRAY},
      {64, 0, "cqe32,sqe128", IORING_SETUP_CQE32 | IORING_SETUP_SQE128},
      {1000, 4000, "cqe32,no_sqarray",
       IORING_SETUP_CQSIZE | IORING_SETUP_CQE32 | IORING_SETUP_NO_SQARRAY},
      {16, 0, "submit_all", IORING_SETUP_SUBMIT_ALL},
      {8, 0, "taskrun_flag", IORING_SETUP_TASKRUN_FLAG},
  };
  LinuxSyscalls lx;
  for (const auto& c : cases) {
    std::string args = "layout --json --entries " + std::to_string(c.entries);
    if (c.cq_entries) args += " --cq-entries " + std::to_string(c.cq_entries);
    if (c.flags[0]) args += std::string(" --flags ") + c.flags;
    SCOPED_TRACE(args);
    io_uring_params p{};
    p.flags = c.flag_bits;
    p.cq_entries = c.cq_entries;
    int fd = lx.setup(c.entries, &p);
    if (fd >= 0) lx.close(fd);
    CliResult r = run_cli(args);
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << r.out;
    if (fd < 0) {
      EXPECT_EQ(r.exit_code, 2);
      EXPECT_EQ(j["error"]["errno"], -fd) << r.out;
      continue;
    }
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(j["sq_entries"], p.sq_entries);
    EXPECT_EQ(j["cq_entries"], p.cq_entries);
    const auto& s = j["sq_off"];
    EXPECT_EQ(s["head"], p.sq_off.head);
    EXPECT_EQ(s["tail"], p.sq_off.tail);
    EXPECT_EQ(s["ring_mask"], p.sq_off.ring_mask);
    EXPECT_EQ(s["ring_entries"], p.sq_off.ring_entries);
    EXPECT_EQ(s["flags"], p.sq_off.flags);
    EXPECT_EQ(s["dropped"], p.sq_off.dropped);
    EXPECT_EQ(s["array"], p.sq_off.array);
    EXPECT_EQ(s["resv1"], p.sq_off.resv1);
    EXPECT_EQ(s["user_addr"], p.sq_off.user_addr);
    const auto& q = j["cq_off"];
    EXPECT_EQ(q["head"], p.cq_off.head);
    EXPECT_EQ(q["tail"], p.cq_off.tail);
    EXPECT_EQ(q["ring_mask"], p.cq_off.ring_mask);
    EXPECT_EQ(q["ring_entries"], p.cq_off.ring_entries);
    EXPECT_EQ(q["overflow"], p.cq_off.overflow);
    EXPECT_EQ(q["cqes"], p.cq_off.cqes);
    EXPECT_EQ(q["flags"], p.cq_off.flags);
    EXPECT_EQ(q["resv1"], p.cq_off.resv1);
    EXPECT_EQ(q["user_addr"], p.cq_off.user_addr);
    ASSERT_TRUE(j["regions"].is_array());
    EXPECT_FALSE(j["regions"].empty());
  }
}

TEST(LayoutCli, TextOutputAndBadInput) {
  CliResult r = run_cli("layout --entries 8");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("array"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("IORING_OFF_SQES"), std::string::npos) << r.out;
  r = run_cli("layout --entries 8 --flags no_such_flag");
  EXPECT_EQ(r.exit_code, 2);
  r = run_cli("layout --entries 0");
  EXPECT_EQ(r.exit_code, 2);
  r = run_cli("layout --entries 8 --kernel no-such-kernel");
  EXPECT_EQ(r.exit_code, 2);
}

#else

TEST(LayoutCli, JsonEqualsLinuxSetup) {
  GTEST_SKIP() << "the uringsim CLI is not part of this build (needs target uringsim_sim)";
}

#endif

}  // namespace
}  // namespace uringsim::difftest
