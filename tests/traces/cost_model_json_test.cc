// The cost-model file (traces/cost_model_json.h, docs/cost-model.md).
#include <gtest/gtest.h>

#include <string>

#include "traces/cost_model_json.h"

namespace uringsim::traces {
namespace {

TEST(CostModelJson, RoundTripsEveryCoefficient) {
  CostModel m;
  m.pin_1g_folio_ns = 123456;
  m.op_ns[4] = 77;
  CostModel back;
  std::string error;
  ASSERT_TRUE(parse_cost_model(cost_model_json(m), &back, &error)) << error;
  EXPECT_EQ(back.pin_1g_folio_ns, 123456u);
  EXPECT_EQ(back.op_ns[4], 77u);
  EXPECT_EQ(back.clone_buffer_ns, m.clone_buffer_ns);
}

TEST(CostModelJson, MeasuredOnIsWrittenAndReadBack) {
  CostModel m;
  m.syscall_ns = 131;
  const std::string text = cost_model_json(m, "host vm, Linux 6.18");
  EXPECT_NE(text.find("\"measured_on\": \"host vm, Linux 6.18\""), std::string::npos) << text;
  CostModel back;
  std::string error;
  ASSERT_TRUE(parse_cost_model(text, &back, &error)) << error;
  EXPECT_EQ(back.syscall_ns, 131u);
}

TEST(CostModelJson, SetCoefficientByItsFileName) {
  CostModel m;
  EXPECT_TRUE(set_cost_coefficient(&m, "clone_call_ns", 900));
  EXPECT_EQ(m.clone_call_ns, 900u);
  EXPECT_TRUE(set_cost_coefficient(&m, "op_ns.22", 170));
  EXPECT_EQ(m.op_ns[22], 170u);
  EXPECT_FALSE(set_cost_coefficient(&m, "op_ns.64", 1));
  EXPECT_FALSE(set_cost_coefficient(&m, "op_ns.", 1));
  EXPECT_FALSE(set_cost_coefficient(&m, "clone_call", 1));
  EXPECT_EQ(m.sqe_ns, CostModel{}.sqe_ns);
}

TEST(CostModelJson, PartialFileKeepsDefaults) {
  CostModel m;
  std::string error;
  ASSERT_TRUE(parse_cost_model(R"({"format": "uringsim-cost-model/1", "clone_buffer_ns": 250})", &m, &error));
  EXPECT_EQ(m.clone_buffer_ns, 250u);
  EXPECT_EQ(m.pin_1g_folio_ns, CostModel{}.pin_1g_folio_ns);
}

TEST(CostModelJson, RejectsUnknownKeysNegativesAndOtherFormats) {
  CostModel m;
  std::string error;
  EXPECT_FALSE(parse_cost_model(R"({"pin_1g_ns": 5})", &m, &error));
  EXPECT_NE(error.find("unknown key"), std::string::npos);
  EXPECT_FALSE(parse_cost_model(R"({"clone_buffer_ns": -1})", &m, &error));
  EXPECT_FALSE(parse_cost_model(R"({"clone_buffer_ns": 1.5})", &m, &error));
  EXPECT_FALSE(parse_cost_model(R"({"format": "v2"})", &m, &error));
  EXPECT_FALSE(parse_cost_model(R"({"op_ns": {"64": 1}})", &m, &error));
  EXPECT_FALSE(parse_cost_model("[1]", &m, &error));
  EXPECT_EQ(m.clone_buffer_ns, CostModel{}.clone_buffer_ns);  // untouched on failure
}

}  // namespace
}  // namespace uringsim::traces
