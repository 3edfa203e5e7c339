// `uringsim report`: the data recorded while replaying a sample trace, the page's
// structure (self-contained, data embedded), and -- when Debian's chromium is
// installed -- the page rendered in headless Chromium with its own self-check passing.
#include "traces/report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "traces/jsonl.h"

namespace uringsim::traces {
namespace {

const std::string kSamples = std::string(URINGSIM_TRACES_GOLDEN_DIR) + "/../../../traces/samples";

Trace load(const std::string& name) {
  Trace t;
  TraceError err;
  EXPECT_TRUE(read_trace_file(kSamples + "/" + name, &t, &err)) << err.message();
  return t;
}

size_t expected_cqes(const Trace& t) {
  size_t n = 0;
  for (const Event& e : t.events) {
    if (const auto* en = std::get_if<EnterEvent>(&e.body)) n += en->cqes.size();
    if (const auto* r = std::get_if<RegisterEvent>(&e.body)) n += r->cqes.size();
  }
  return n;
}

TEST(ReportTest, EverySampleReplaysWithoutDivergenceAndCountsItsCqes) {
  for (const auto& entry : std::filesystem::directory_iterator(kSamples)) {
    if (entry.path().extension() != ".jsonl") continue;
    SCOPED_TRACE(entry.path().filename().string());
    const Trace t = load(entry.path().filename().string());
    const Report r = build_report(t);
    ASSERT_FALSE(r.skipped) << r.skip_reason;
    EXPECT_TRUE(r.divergences.empty()) << r.divergences.front().message;
    EXPECT_EQ(r.steps, t.call_count() + std::count_if(t.events.begin(), t.events.end(), [](const Event& e) {
                         return std::holds_alternative<CloseEvent>(e.body);
                       }));
    EXPECT_EQ(r.cqes, expected_cqes(t));
    const nlohmann::json d = nlohmann::json::parse(r.data_json);
    EXPECT_EQ(d["steps"].size(), r.steps);
    EXPECT_EQ(d["summary"]["cqes"].get<size_t>(), r.cqes);
  }
}

TEST(ReportTest, ReadFixedBadRangeListsEveryFailedCqeWithItsReasonAndTheBufferTable) {
  const Report r = build_report(load("read_fixed_bad_range.jsonl"));
  const nlohmann::json d = nlohmann::json::parse(r.data_json);
  ASSERT_EQ(r.errors, 3u);
  for (const auto& e : d["errors"]) {
    EXPECT_EQ(e["kind"], "cqe");
    EXPECT_EQ(e["errno"], "EFAULT");
    EXPECT_NE(e["reason"].get<std::string>().find("READ_FIXED"), std::string::npos) << e["reason"];
    EXPECT_GT(e["line"].get<int>(), 0);
  }
  // After REGISTER_BUFFERS (step 1): one 4 KiB buffer at buf+0 in ring 0.
  const auto& buffers = d["steps"][1]["after"]["0"]["buffers"];
  ASSERT_EQ(buffers.size(), 1u);
  EXPECT_EQ(buffers[0]["region"], "buf");
  EXPECT_EQ(buffers[0]["offset"], 0);
  EXPECT_EQ(buffers[0]["len"], 4096);
  // Every step: the ring's head never passes its tail.
  for (const auto& s : d["steps"]) {
    for (const auto& [id, st] : s["after"].items()) {
      EXPECT_LE(st["sq_tail"].get<uint32_t>() - st["sq_head"].get<uint32_t>(), st["sq_entries"].get<uint32_t>());
      EXPECT_LE(st["cq_tail"].get<uint32_t>() - st["cq_head"].get<uint32_t>(), st["cq_entries"].get<uint32_t>());
    }
  }
}

TEST(ReportTest, MemlockExceededRecordsTheFailedRegisterAndTheLimit) {
  const Report r = build_report(load("memlock_exceeded.jsonl"));
  const nlohmann::json d = nlohmann::json::parse(r.data_json);
  bool failed_call = false;
  for (const auto& e : d["errors"]) failed_call |= e["kind"] == "call" && !e["reason"].get<std::string>().empty();
  EXPECT_TRUE(failed_call) << d["errors"].dump();
  EXPECT_FALSE(d["caller"]["memlock_limit"].is_null());
}

TEST(ReportTest, PageIsSelfContainedAndEmbedsTheData) {
  const Report r = build_report(load("read_fixed_bad_range.jsonl"));
  const std::string html = render_report_html(r);
  EXPECT_NE(html.find("<div id=\"self-check\" data-ok=\"false\">"), std::string::npos);
  EXPECT_NE(html.find("<script type=\"application/json\" id=\"trace-data\">"), std::string::npos);
  EXPECT_NE(html.find("\"summary\":{\"steps\":6"), std::string::npos);
  EXPECT_NE(html.find("is outside registered buffer"), std::string::npos);
  EXPECT_NE(html.find("id=\"step-slider\""), std::string::npos);
  for (const char* outside : {"http://", "https://", "<link", " src=", "@import", "url(", "@font-face"}) {
    EXPECT_EQ(html.find(outside), std::string::npos) << outside;
  }
}

TEST(ReportTest, TraceTextCannotCloseTheDataScript) {
  Trace t = load("nop_batch.jsonl");
  t.header.note = "</script><img onerror=alert(1)>";
  const std::string html = render_report_html(build_report(t));
  EXPECT_EQ(html.find("</script><img"), std::string::npos);
  EXPECT_NE(html.find("\\u003c/script>\\u003cimg"), std::string::npos);
}

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

TEST(ReportTest, RendersInHeadlessChromiumAndItsSelfCheckPasses) {
  const char* chromium = "/usr/bin/chromium";
  if (access(chromium, X_OK) != 0) GTEST_SKIP() << "chromium not installed (apt-get install chromium)";
  char dir_template[] = "/tmp/uringsim-report-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::filesystem::path dir = dir_template;
  const std::string page = (dir / "report.html").string();
  {
    std::ofstream out(page);
    out << render_report_html(build_report(load("read_fixed_bad_range.jsonl")));
  }
  const std::string common = std::string("timeout 120 ") + chromium +
                             " --headless --no-sandbox --disable-gpu --disable-background-networking"
                             " --disable-component-update --disable-sync --no-first-run --user-data-dir=" +
                             (dir / "profile").string() + " --window-size=1200,900 ";
  const std::string dom = run(common + "--dump-dom file://" + page + " 2>/dev/null");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom, m, std::regex("<div id=\"self-check\" data-ok=\"(true|false)\">(.*?)</div>")))
      << dom.substr(0, 2000);
  EXPECT_EQ(m[1], "true") << m[2];
  const std::string png = (dir / "report.png").string();
  run(common + "--screenshot=" + png + " file://" + page + " 2>/dev/null");
  ASSERT_TRUE(std::filesystem::exists(png));
  EXPECT_GT(std::filesystem::file_size(png), 10000u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace uringsim::traces
