// Every sample trace's explain text, pinned: replaying traces/samples/<name>.jsonl on
// the simulator with explain mode on (what `uringsim replay --explain FILE` prints on
// stderr, plain text) must give golden/<name>.explain.txt exactly -- decoded SQEs,
// CQEs, reasons, ring words, memlock and model time. The simulator places regions and
// scratch memory at fixed addresses, so the text is the same on every run.
//
// Regenerate after an intended change:
//   URINGSIM_UPDATE_GOLDEN=1 BUILD/tests/traces/traces_tests --gtest_filter='SampleExplainGolden.*'
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "traces/explain.h"
#include "traces/jsonl.h"
#include "traces/replay.h"

namespace uringsim::traces {
namespace {

const std::string kGolden = URINGSIM_TRACES_GOLDEN_DIR;
const std::string kSamples = kGolden + "/../../../traces/samples";

std::vector<std::filesystem::path> samples() {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(kSamples)) {
    if (e.path().extension() == ".jsonl") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string golden_path(const std::filesystem::path& sample) {
  return kGolden + "/" + sample.stem().string() + ".explain.txt";
}

// What `uringsim replay --explain FILE` writes on stderr for `sample`.
std::string explain_replay(const std::filesystem::path& sample, ReplayResult* result) {
  Trace t;
  TraceError err;
  EXPECT_TRUE(read_trace_file(sample.string(), &t, &err)) << err.message();
  std::ostringstream out;
  std::unique_ptr<ExplainObserver> explainer;
  {
    SimTarget sim;
    sim.set_observer_factory([&](Kernel& kernel) -> Observer* {
      explainer = std::make_unique<ExplainObserver>(kernel, out, ExplainOptions{ExplainFormat::kText, ColorMode::kNever});
      return explainer.get();
    });
    *result = replay(t, sim);
  }
  return out.str();
}

std::string read_file(const std::string& path, bool* found) {
  std::ifstream in(path, std::ios::binary);
  *found = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool updating() {
  const char* u = std::getenv("URINGSIM_UPDATE_GOLDEN");
  return u != nullptr && std::string(u) == "1";
}

TEST(SampleExplainGolden, EverySampleExplainsAsItsGoldenFileSays) {
  ASSERT_GE(samples().size(), 13u);
  for (const std::filesystem::path& sample : samples()) {
    SCOPED_TRACE(sample.string());
    ReplayResult r;
    const std::string text = explain_replay(sample, &r);
    ASSERT_TRUE(r.ok()) << "the sample does not replay cleanly on the simulator";
    const std::string path = golden_path(sample);
    if (updating()) {
      std::ofstream(path, std::ios::binary) << text;
      continue;
    }
    bool found = false;
    const std::string expected = read_file(path, &found);
    ASSERT_TRUE(found) << path << " is missing; create it with URINGSIM_UPDATE_GOLDEN=1";
    EXPECT_EQ(text, expected) << "explain output differs from " << path
                              << " (URINGSIM_UPDATE_GOLDEN=1 rewrites it if the change is intended)";
  }
}

TEST(SampleExplainGolden, EveryGoldenFileHasItsSample) {
  for (const auto& e : std::filesystem::directory_iterator(kGolden)) {
    const std::string name = e.path().filename().string();
    const std::string suffix = ".explain.txt";
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const std::string stem = name.substr(0, name.size() - suffix.size());
    EXPECT_TRUE(std::filesystem::exists(kSamples + "/" + stem + ".jsonl")) << name << " has no sample " << stem << ".jsonl";
  }
}

// Two replays of one sample explain identically: no address or time varies per run.
TEST(SampleExplainGolden, ExplainTextIsDeterministic) {
  const std::filesystem::path sample = kSamples + "/rfc_send_zc_bundle.jsonl";
  ReplayResult a, b;
  EXPECT_EQ(explain_replay(sample, &a), explain_replay(sample, &b));
}

// The explain text carries the cost model's charge for each call: the seed's
// register-versus-clone contrast (7cc2a6eadc: 738 ms vs 17 us) is in the golden text.
TEST(SampleExplainGolden, HugepageCloneShowsRegisterAndCloneModelTimes) {
  ReplayResult r;
  const std::string text = explain_replay(kSamples + "/hugepage_clone.jsonl", &r);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(text.find("model time: 737.6 ms (total"), std::string::npos) << text;
  EXPECT_NE(text.find("model time: 17.1 µs (total 1.21 s)"), std::string::npos) << text;
}

}  // namespace
}  // namespace uringsim::traces
