// Chaos profiles and the trace header's "chaos" object (traces/chaos_profile.h):
// the cq_overflow key (forced CQ overflow) from a profile file, into a header and back.
#include "traces/chaos_profile.h"

#include <gtest/gtest.h>

#include <string>

namespace uringsim::traces {
namespace {

TEST(ChaosProfile, CqOverflowIsOffByDefault) {
  EXPECT_EQ(default_chaos_config(1).cq_overflow_ppm, 0u);
  ChaosConfig c;
  std::string error;
  ASSERT_TRUE(parse_chaos_profile("{\"reorder\": 0}", "p.json", 1, &c, &error)) << error;
  EXPECT_EQ(c.cq_overflow_ppm, 0u);
}

TEST(ChaosProfile, CqOverflowRateIsKeptInPartsPerMillion) {
  ChaosConfig c;
  std::string error;
  ASSERT_TRUE(parse_chaos_profile("{\"cq_overflow\": 0.25}", "p.json", 9, &c, &error)) << error;
  EXPECT_EQ(c.cq_overflow_ppm, 250000u);
  EXPECT_EQ(c.seed, 9u);
  EXPECT_EQ(c.reorder_ppm, default_chaos_config(9).reorder_ppm);  // the other keys keep the defaults
  ASSERT_TRUE(parse_chaos_profile("{\"cq_overflow\": 1}", "p.json", 9, &c, &error)) << error;
  EXPECT_EQ(c.cq_overflow_ppm, 1000000u);
}

TEST(ChaosProfile, CqOverflowOutOfRangeOrNotANumberIsRefusedWithFileAndLine) {
  ChaosConfig c;
  std::string error;
  EXPECT_FALSE(parse_chaos_profile("{\"reorder\": 0,\n \"cq_overflow\": 1.5}", "p.json", 1, &c, &error));
  EXPECT_EQ(error, "p.json:2: \"cq_overflow\" must be a probability between 0 and 1, got 1.5");
  EXPECT_FALSE(parse_chaos_profile("{\"cq_overflow\": \"often\"}", "p.json", 1, &c, &error));
  EXPECT_EQ(error, "p.json:1: \"cq_overflow\" must be a probability between 0 and 1, got \"often\"");
}

TEST(ChaosProfile, UnknownKeyListsCqOverflowAmongTheKnownOnes) {
  ChaosConfig c;
  std::string error;
  EXPECT_FALSE(parse_chaos_profile("{\"cq_overflows\": 1}", "p.json", 1, &c, &error));
  EXPECT_EQ(error,
            "p.json:1: unknown key \"cq_overflows\" (known: short_transfer, short_max_bytes, eio, enobufs, "
            "eagain, reorder, latency, latency_ns, cq_overflow)");
}

TEST(ChaosProfile, HeaderCarriesCqOverflowLastAndReadsBackTheSameConfig) {
  ChaosConfig c = default_chaos_config(42);
  c.cq_overflow_ppm = 750000;
  const nlohmann::ordered_json j = chaos_to_json(c);
  EXPECT_EQ(j.dump(),
            "{\"seed\":42,\"short_transfer\":0.25,\"short_max_bytes\":0,\"eio\":0.0,\"enobufs\":0.05,"
            "\"eagain\":0.1,\"reorder\":0.5,\"latency\":0.1,\"latency_ns\":20000,\"cq_overflow\":0.75}");
  ChaosConfig back;
  std::string key, why;
  ASSERT_TRUE(chaos_from_json(nlohmann::json::parse(j.dump()), /*with_seed=*/true, &back, &key, &why)) << why;
  EXPECT_EQ(back, c);
}

// A header written before the key existed has no "cq_overflow": it replays with 0.
TEST(ChaosProfile, HeaderWithoutCqOverflowMeansNone) {
  ChaosConfig back;
  std::string key, why;
  ASSERT_TRUE(chaos_from_json(nlohmann::json::parse("{\"seed\": 3, \"reorder\": 0.5}"), true, &back, &key, &why))
      << why;
  EXPECT_EQ(back.cq_overflow_ppm, 0u);
  EXPECT_EQ(back.reorder_ppm, 500000u);
}

}  // namespace
}  // namespace uringsim::traces
