// `uringsim record` then `uringsim replay` on the example programs: what a live program
// did under the simulator replays on the simulator and on this machine's io_uring.
// Runs the built binaries (bin/uringsim, bin/examples/*) found beside this test binary.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "traces/jsonl.h"
#include "traces/replay.h"

namespace uringsim::traces {
namespace {

namespace fs = std::filesystem;

// BUILD/bin, where uringsim and examples/ are built; this test is BUILD/tests/traces_tests.
fs::path bin_dir() {
  const fs::path here = fs::read_symlink("/proc/self/exe").parent_path();
  if (fs::exists(here / "uringsim")) return here;
  return here.parent_path() / "bin";
}

struct CmdResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CmdResult run(const std::string& command) {
  CmdResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class RecordCli : public ::testing::Test {
 protected:
  void SetUp() override {
    uringsim_ = bin_dir() / "uringsim";
    if (!fs::exists(uringsim_)) GTEST_SKIP() << uringsim_ << " is not built (build the uringsim target)";
    dir_ = fs::temp_directory_path() / ("uringsim_record_cli_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Records `example args` into dir_/trace.jsonl; skips when capture cannot work here.
  fs::path record(const std::string& example, const std::string& args, std::string* program_output) {
    const fs::path exe = bin_dir() / "examples" / example;
    if (!fs::exists(exe)) {
      skipped_ = "example " + exe.string() + " is not built";
      return {};
    }
    const fs::path trace = dir_ / (example + ".jsonl");
    const CmdResult r = run(uringsim_.string() + " record -o " + trace.string() + " -- " + exe.string() + " " + args);
    if (r.exit_code != 0 && (r.output.find("seccomp") != std::string::npos ||
                             r.output.find("not permitted") != std::string::npos)) {
      skipped_ = "capture is unavailable here: " + r.output;
      return {};
    }
    EXPECT_EQ(r.exit_code, 0) << r.output;
    if (program_output != nullptr) *program_output = r.output;
    return trace;
  }

  void replay_both(const fs::path& trace) {
    Trace t;
    TraceError err;
    ASSERT_TRUE(read_trace_file(trace.string(), &t, &err)) << err.message();
    EXPECT_GT(t.call_count(), 0u);
    const CmdResult sim = run(uringsim_.string() + " replay " + trace.string());
    EXPECT_EQ(sim.exit_code, 0) << sim.output << slurp(trace);
    EXPECT_NE(sim.output.find("agree with simulator"), std::string::npos) << sim.output;

    std::string why;
    if (!KernelTarget::available(&why)) {
      std::printf("[  SKIPPED ] --target kernel: no usable io_uring here: %s\n", why.c_str());
      return;
    }
    const CmdResult lin = run(uringsim_.string() + " replay --target kernel " + trace.string());
    if (lin.exit_code == 3) {
      std::printf("[  SKIPPED ] --target kernel: %s\n", lin.output.c_str());
      return;
    }
    EXPECT_EQ(lin.exit_code, 0) << lin.output << slurp(trace);
    EXPECT_NE(lin.output.find("agree with linux"), std::string::npos) << lin.output;
  }

  fs::path uringsim_;
  fs::path dir_;
  std::string skipped_;
};

TEST_F(RecordCli, NopPingRoundTrips) {
  std::string out;
  const fs::path t = record("uring_nop_ping", "40 8", &out);
  if (!skipped_.empty()) GTEST_SKIP() << skipped_;
  replay_both(t);
}

TEST_F(RecordCli, CatRoundTrips) {
  const fs::path in = dir_ / "in.txt";
  std::string text;
  for (int i = 0; i < 300; ++i) text += "line " + std::to_string(i) + " of the cat round trip\n";
  std::ofstream(in, std::ios::binary) << text;
  std::string out;
  const fs::path t = record("uring_cat", in.string(), &out);
  if (!skipped_.empty()) GTEST_SKIP() << skipped_;
  EXPECT_NE(out.find(text), std::string::npos);
  // uring_cat's second iovec starts in the binary's last .data page and runs on into
  // the anonymous .bss right after it: the recorder joins adjacent private VMAs into
  // one region so the replay keeps them adjacent.
  replay_both(t);
}

// The echo server's multishot RECV completes between calls, when the client side writes:
// the recorder lists those CQEs with the next call, the simulator produces them there
// from the trace's peer events, and on Linux the replayer counts them from where the
// previous call's comparison stopped (task work posts them as it returns from the
// peer's send, before the next call).
TEST_F(RecordCli, EchoServerRoundTrips) {
  std::string out;
  const fs::path t = record("uring_echo_server", "4", &out);
  if (!skipped_.empty()) GTEST_SKIP() << skipped_;
  EXPECT_NE(out.find("4/4 echoes ok"), std::string::npos) << out;
  EXPECT_NE(slurp(t).find("\"event\":\"peer\""), std::string::npos) << slurp(t);
  const CmdResult sim = run(uringsim_.string() + " replay " + t.string());
  EXPECT_NE(sim.output.find("17 CQEs agree with simulator"), std::string::npos) << sim.output;
  replay_both(t);
}

TEST_F(RecordCli, CopyFixedRoundTrips) {
  const fs::path in = dir_ / "in.bin", out_file = dir_ / "out.bin";
  std::string bytes(20000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + 3);
  std::ofstream(in, std::ios::binary) << bytes;
  const fs::path t = record("uring_copy_fixed", in.string() + " " + out_file.string(), nullptr);
  if (!skipped_.empty()) GTEST_SKIP() << skipped_;
  EXPECT_EQ(slurp(out_file), bytes);
  replay_both(t);
}

TEST_F(RecordCli, RecordedTracesCarryModelTime) {
  const fs::path t = record("uring_nop_ping", "8 8", nullptr);
  if (!skipped_.empty()) GTEST_SKIP() << skipped_;
  Trace trace;
  TraceError err;
  ASSERT_TRUE(read_trace_file(t.string(), &trace, &err)) << err.message();
  size_t with_time = 0;
  for (const Event& e : trace.events) with_time += e.model_time_ns.has_value();
  EXPECT_EQ(with_time, trace.call_count());
}

TEST_F(RecordCli, ImportPerfWritesAShapeTraceThatReplays) {
  const fs::path perf = fs::path(URINGSIM_TRACES_GOLDEN_DIR) / ".." / "data" / "perf_uring_copy.txt";
  const fs::path out = dir_ / "imported.jsonl";
  const CmdResult imp = run(uringsim_.string() + " import-perf " + perf.string() + " -o " + out.string());
  ASSERT_EQ(imp.exit_code, 0) << imp.output;
  const CmdResult rep = run(uringsim_.string() + " replay " + out.string());
  EXPECT_EQ(rep.exit_code, 0) << rep.output;
  EXPECT_NE(rep.output.find("shape check"), std::string::npos) << rep.output;
  EXPECT_NE(rep.output.find("not checked: memory contents"), std::string::npos) << rep.output;
  const CmdResult old = run(uringsim_.string() + " replay --kernel 5.6 " + out.string());
  EXPECT_EQ(old.exit_code, 1) << old.output;
  EXPECT_NE(old.output.find("SEND_ZC"), std::string::npos) << old.output;
  const CmdResult lin = run(uringsim_.string() + " replay --target kernel " + out.string());
  EXPECT_EQ(lin.exit_code, 3) << lin.output;
}

TEST_F(RecordCli, ImportPerfRejectsMalformedInputWithTheLine) {
  const fs::path bad = dir_ / "bad.txt";
  std::ofstream(bad) << "# comment\n"
                        "x 1 [000] 1.000000: io_uring:io_uring_create: ring 0x1, fd 3 sq size 8, cq size 16, flags 0x0\n"
                        "x 1 [000] 1.000001: io_uring:io_uring_complete: ring 0x1, req 0x2, user_data 0x1, result ??, "
                        "cflags 0x0\n";
  const CmdResult r = run(uringsim_.string() + " import-perf " + bad.string() + " -o " + (dir_ / "o.jsonl").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output, bad.string() + ":3: field 'result': expected an integer, got '?\?'\n");
}

}  // namespace
}  // namespace uringsim::traces

namespace uringsim::traces {
namespace {

// `replay --explain` streams the simulator's decisions, reasons included, and still
// compares the trace (exit 0); with the kernel target it is refused (exit 2).
TEST_F(RecordCli, ReplayExplainGivesTheReasonForEachError) {
  const std::string sample =
      std::string(URINGSIM_TRACES_GOLDEN_DIR) + "/../../../traces/samples/read_fixed_bad_range.jsonl";
  const CmdResult r = run(uringsim_.string() + " replay --explain " + sample);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("why: READ_FIXED: range [0x0, +16) is outside registered buffer 0"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("agree with simulator"), std::string::npos) << r.output;
  const CmdResult k = run(uringsim_.string() + " replay --explain --target kernel " + sample);
  EXPECT_EQ(k.exit_code, 2) << k.output;
}

}  // namespace
}  // namespace uringsim::traces

namespace uringsim::traces {
namespace {

const std::string kSampleDir = std::string(URINGSIM_TRACES_GOLDEN_DIR) + "/../../../traces/samples";

// What the sample golden test pins (golden/<sample>.explain.txt) is what the CLI prints
// on stderr: stdout goes elsewhere, stderr is compared byte for byte.
TEST_F(RecordCli, ReplayExplainStderrIsTheGoldenText) {
  const fs::path err = dir_ / "explain.txt";
  const CmdResult r = run("(" + uringsim_.string() + " replay --explain " + kSampleDir +
                          "/rfc_send_zc_bundle.jsonl 2>" + err.string() + " >/dev/null)");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(slurp(err), slurp(std::string(URINGSIM_TRACES_GOLDEN_DIR) + "/rfc_send_zc_bundle.explain.txt"));
}

TEST_F(RecordCli, ReplayCostModelChangesTheComparedModelTime) {
  const fs::path cm = dir_ / "cost.json";
  std::ofstream(cm) << R"({"format": "uringsim-cost-model/1", "syscall_ns": 1000})";
  const CmdResult r = run(uringsim_.string() + " replay " + kSampleDir + "/hugepage_clone.jsonl --cost-model " +
                          cm.string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("hugepage_clone.jsonl:8: model time: the call cost 18000 ns on the cost model, trace "
                          "expects 17150 ns"),
            std::string::npos)
      << r.output;
  const CmdResult k = run(uringsim_.string() + " replay --target kernel --cost-model " + cm.string() + " " +
                          kSampleDir + "/nop_batch.jsonl");
  EXPECT_EQ(k.exit_code, 2) << k.output;
  EXPECT_EQ(k.output, "uringsim replay: --cost-model sets the simulator's cost model; Linux has none\n");
}

TEST_F(RecordCli, ReplayAsUidIsForTheKernelTarget) {
  const CmdResult r = run(uringsim_.string() + " replay --as-uid 1000 " + kSampleDir + "/nop_batch.jsonl");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(r.output,
            "uringsim replay: --as-uid and --memlock are for --target kernel; the simulator takes the caller from "
            "the trace header\n");
}

TEST_F(RecordCli, RfcSampleOnTheKernelTargetSaysWhyNot) {
  const CmdResult r = run(uringsim_.string() + " replay --target kernel " + kSampleDir + "/rfc_send_zc_bundle.jsonl");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("skipped: linux cannot replay it: profile rfc-provided-registered is a proposed ABI that "
                          "no Linux kernel has"),
            std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace uringsim::traces
