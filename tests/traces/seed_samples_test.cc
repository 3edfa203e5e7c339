// Seed samples that are generated rather than written by hand: the generator lives here,
// and the test checks that traces/samples/ holds exactly what it produces (inputs from
// the generator, expectations from the simulator). To regenerate after a deliberate
// change: URINGSIM_UPDATE_SAMPLES=1 build/bin/traces_tests --gtest_filter='SeedSamples.*'
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "traces/jsonl.h"
#include "traces/replay.h"

namespace uringsim::traces {
namespace {

const std::string kSamples = std::string(URINGSIM_TRACES_GOLDEN_DIR) + "/../../../traces/samples";
constexpr uint64_t kGiB = 1ull << 30;

Event event(int line, decltype(Event::body) body, std::string note = {}) {
  Event e;
  e.line = line;
  e.body = std::move(body);
  e.note = std::move(note);
  return e;
}

SetupEvent setup(int fd) {
  SetupEvent s;
  s.entries = 8;
  s.params = io_uring_params{};
  s.ret = fd;
  return s;
}

RegisterEvent register_huge_buffers(int fd, uint32_t n) {
  RegisterEvent r;
  r.fd = fd;
  r.opcode = IORING_REGISTER_BUFFERS;
  r.nr_args = n;
  r.payload.kind = Payload::Kind::kIovecs;
  for (uint32_t i = 0; i < n; ++i) r.payload.iovecs.push_back(IovecRef{Address{"huge", i * kGiB}, kGiB});
  return r;
}

// 7cc2a6eadc's cover letter: registering 900 x 1 GiB huge-page buffers takes 738 ms,
// cloning them into another ring 17 us. The inputs; the simulator fills in the rest.
Trace hugepage_clone_inputs() {
  Trace t;
  t.header.profile = "6.18";
  t.header.creator = "tests/traces/seed_samples_test.cc (hugepage_clone_inputs)";
  t.header.note =
      "Seed: 7cc2a6eadc (IORING_REGISTER_CLONE_BUFFERS). Registering 500 and then 900 x 1 GiB huge-page buffers "
      "pins every 1 GiB folio; cloning the 900-buffer table into a second ring copies references. Compare the "
      "model_time_ns of the two registers with the clone's: the cost model reproduces the ~25,000x ratio the "
      "commit reports (738 ms vs 17 us). The region is never touched, so the simulator allocates nothing; Linux "
      "replays it only with 900 free 1 GiB huge pages.";
  RegionDecl huge;
  huge.line = 2;
  huge.id = "huge";
  huge.size = 900 * kGiB;
  huge.kind = RegionKind::kHugetlb1G;
  huge.note = "900 GiB of MAP_HUGETLB | MAP_HUGE_1GB memory";
  t.regions.push_back(huge);
  t.events.push_back(event(3, setup(3)));
  t.events.push_back(event(4, register_huge_buffers(3, 500), "500 x 1 GiB: 500 folios pinned"));
  RegisterEvent unreg;
  unreg.fd = 3;
  unreg.opcode = IORING_UNREGISTER_BUFFERS;
  t.events.push_back(event(5, unreg, "unpins the 500 folios"));
  t.events.push_back(event(6, register_huge_buffers(3, 900), "900 x 1 GiB: the commit's 738 ms"));
  t.events.push_back(event(7, setup(4), "the second ring"));
  RegisterEvent clone;
  clone.fd = 4;
  clone.opcode = IORING_REGISTER_CLONE_BUFFERS;
  clone.nr_args = 1;
  clone.payload.kind = Payload::Kind::kClone;
  io_uring_clone_buffers arg{};
  arg.src_fd = 3;  // a trace fd name: the replay maps it to the first ring
  clone.payload.bytes.resize(sizeof arg);
  std::memcpy(clone.payload.bytes.data(), &arg, sizeof arg);
  t.events.push_back(event(8, clone, "clone all 900 buffers of ring 3: the commit's 17 us"));
  return t;
}

// What the generator's inputs become once the simulator has filled in the expectations.
std::string generate(const Trace& inputs) {
  Trace t;
  TraceError err;
  // Through the text form first, so lines and defaults are what a reader would see.
  EXPECT_TRUE(parse_trace(write_trace(inputs), "generated.jsonl", &t, &err)) << err.message();
  SimTarget sim;
  ReplayOptions opts;
  opts.update = true;
  ReplayResult r = replay(t, sim, opts);
  EXPECT_FALSE(r.skipped) << r.skip_reason;
  return write_trace(r.updated);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void check_sample(const std::string& file, const std::string& generated) {
  const std::string path = kSamples + "/" + file;
  if (std::getenv("URINGSIM_UPDATE_SAMPLES") != nullptr) {
    std::ofstream(path, std::ios::binary) << generated;
    GTEST_SKIP() << "wrote " << path;
  }
  // Line by line, so a difference names its line instead of printing 90 KiB.
  std::istringstream have(read_file(path)), want(generated);
  std::string a, b;
  for (int line = 1;; ++line) {
    const bool more_a = static_cast<bool>(std::getline(have, a)), more_b = static_cast<bool>(std::getline(want, b));
    if (!more_a && !more_b) break;
    if (a != b || more_a != more_b) {
      ADD_FAILURE() << path << ":" << line << " is not what the generator writes (" << a.substr(0, 200)
                    << " ...); regenerate with URINGSIM_UPDATE_SAMPLES=1";
      break;
    }
  }
}

uint64_t model_ns(const Trace& t, size_t event) { return t.events.at(event).model_time_ns.value_or(0); }

TEST(SeedSamples, HugepageCloneSampleIsWhatTheGeneratorWrites) {
  check_sample("hugepage_clone.jsonl", generate(hugepage_clone_inputs()));
}

TEST(SeedSamples, HugepageCloneShowsTheRegisterToCloneRatio) {
  Trace t;
  TraceError err;
  ASSERT_TRUE(read_trace_file(kSamples + "/hugepage_clone.jsonl", &t, &err)) << err.message();
  ASSERT_EQ(t.events.size(), 6u);
  for (size_t i : {1u, 2u, 3u, 5u}) EXPECT_EQ(std::get<RegisterEvent>(t.events[i].body).ret, 0) << i;
  const uint64_t reg500 = model_ns(t, 1), reg900 = model_ns(t, 3), clone = model_ns(t, 5);
  ASSERT_GT(clone, 0u);
  // Pinning is per folio: 900 costs 9/5 of 500.
  EXPECT_NEAR(static_cast<double>(reg900) / reg500, 1.8, 0.05);
  // The commit: 738 ms to register, 17 us to clone.
  EXPECT_GT(reg900, 600'000'000u);
  EXPECT_LT(reg900, 900'000'000u);
  EXPECT_GT(clone, 10'000u);
  EXPECT_LT(clone, 30'000u);
  EXPECT_GT(reg900 / clone, 25'000u);

  SimTarget sim;
  const ReplayResult r = replay(t, sim);
  EXPECT_TRUE(r.ok());
  EXPECT_LT(sim.memory().resident_pages(), 16u);  // the replayer's scratch; 900 GiB never materialised
}

TEST(SeedSamples, ModelTimeIsCompared) {
  Trace t;
  TraceError err;
  ASSERT_TRUE(read_trace_file(kSamples + "/hugepage_clone.jsonl", &t, &err)) << err.message();
  t.events[5].model_time_ns = 17;
  SimTarget sim;
  const ReplayResult r = replay(t, sim);
  ASSERT_EQ(r.divergences.size(), 1u);
  EXPECT_NE(r.divergences[0].message.find("model time"), std::string::npos) << r.divergences[0].message;
}

TEST(SeedSamples, CloneSourceFdIsMappedLikeAnyFd) {
  Trace t;
  TraceError err;
  ASSERT_TRUE(read_trace_file(kSamples + "/hugepage_clone.jsonl", &t, &err)) << err.message();
  // Cloning from an fd the trace never opened is EBADF, not a clone from whatever fd 3 is.
  auto& clone = std::get<RegisterEvent>(t.events[5].body);
  clone.payload.bytes[0] = 42;
  clone.ret = -EBADF;
  t.events[5].model_time_ns.reset();
  SimTarget sim;
  const ReplayResult r = replay(t, sim);
  EXPECT_TRUE(r.ok()) << (r.divergences.empty() ? "" : r.divergences[0].message);
}

}  // namespace
}  // namespace uringsim::traces
