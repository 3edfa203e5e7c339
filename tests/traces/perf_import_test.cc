// import-perf: `perf script` output of the io_uring:* tracepoints becomes a shape-mode
// trace, which replay_shape checks against a profile; bad input names its line.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "kernel_model/profile.h"
#include "traces/jsonl.h"
#include "traces/perf_import.h"
#include "traces/replay.h"

namespace uringsim::traces {
namespace {

const std::string kData = std::string(URINGSIM_TRACES_GOLDEN_DIR) + "/../data";

std::string sample_text() {
  std::ifstream in(kData + "/perf_uring_copy.txt");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Trace import_ok(const std::string& text) {
  Trace t;
  TraceError err;
  EXPECT_TRUE(import_perf_script(text, "perf.txt", {}, &t, &err)) << err.message();
  return t;
}

TraceError import_fails(const std::string& text) {
  Trace t;
  TraceError err;
  EXPECT_FALSE(import_perf_script(text, "perf.txt", {}, &t, &err));
  return err;
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

std::string joined(const ReplayResult& r) {
  std::string s = r.skip_reason;
  for (const Divergence& d : r.divergences) s += d.message + "\n";
  return s;
}

const SqeRecord* find_sqe(const Trace& t, uint64_t user_data) {
  for (const Event& e : t.events) {
    if (const auto* en = std::get_if<EnterEvent>(&e.body)) {
      for (const SqeRecord& s : en->sqes) {
        if (s.sqe().user_data == user_data) return &s;
      }
    }
  }
  return nullptr;
}

TEST(PerfImport, SampleBecomesAShapeTraceWithWhatTheEventsCarry) {
  PerfImportStats stats;
  Trace t;
  TraceError err;
  ASSERT_TRUE(import_perf_script_file(kData + "/perf_uring_copy.txt", {}, &t, &err, &stats)) << err.message();
  EXPECT_TRUE(t.header.shape);
  EXPECT_EQ(stats.skipped_events, 0u);
  EXPECT_GT(stats.io_uring_events, 25u);
  ASSERT_FALSE(t.events.empty());
  const auto* setup = std::get_if<SetupEvent>(&t.events[0].body);
  ASSERT_NE(setup, nullptr);
  EXPECT_EQ(setup->ret, 3);
  EXPECT_EQ(setup->entries, 8u);
  EXPECT_EQ(setup->params_out.at("cq_entries"), 16u);
  const auto* reg = std::get_if<RegisterEvent>(&t.events[1].body);
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->opcode, IORING_REGISTER_BUFFERS);

  const SqeRecord* read = find_sqe(t, 0x10);
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->sqe().opcode, IORING_OP_READ_FIXED);
  EXPECT_EQ(read->sqe().flags, IOSQE_FIXED_FILE);  // REQ_F_* bits above 0x7f dropped
  EXPECT_EQ(read->sqe().fd, 0);                    // from io_uring_file_get
  EXPECT_NE(read->note.find("hashed io-wq"), std::string::npos) << read->note;

  const SqeRecord* bad = find_sqe(t, 0x30);  // io_uring_req_failed, "opcode INVALID"
  ASSERT_NE(bad, nullptr);
  EXPECT_EQ(bad->sqe().opcode, 255);
  EXPECT_NE(bad->note.find("-22"), std::string::npos);

  const SqeRecord* cancelled = find_sqe(t, 0x21);
  ASSERT_NE(cancelled, nullptr);
  EXPECT_NE(cancelled->note.find("cancelled"), std::string::npos) << cancelled->note;

  // The two inline NOPs were submitted back to back: one enter.
  const auto* first = std::get_if<EnterEvent>(&t.events[3].body);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->sqes.size(), 2u);
  EXPECT_EQ(first->cqes.size(), 2u);
}

TEST(PerfImport, ShapeTraceSurvivesJsonLines) {
  const Trace t = import_ok(sample_text());
  Trace back;
  TraceError err;
  ASSERT_TRUE(parse_trace(write_trace(t), "t.jsonl", &back, &err)) << err.message();
  EXPECT_TRUE(back.header.shape);
  EXPECT_EQ(back.events.size(), t.events.size());
  EXPECT_EQ(write_trace(back), write_trace(t));
  EXPECT_NE(write_trace(t).find("\"mode\":\"shape\""), std::string::npos);
}

TEST(PerfImport, SampleIsConsistentWithItsProfileAndSaysWhatItDidNotCheck) {
  const Trace t = import_ok(sample_text());
  SimTarget sim;
  const ReplayResult r = replay(t, sim);
  EXPECT_TRUE(r.ok()) << joined(r);
  EXPECT_GE(r.sqes, 8u);
  EXPECT_GE(r.cqes, 8u);
  ASSERT_FALSE(r.unchecked.empty());
  EXPECT_NE(r.unchecked[0].find("memory"), std::string::npos);
}

TEST(PerfImport, AnOlderProfileWithoutTheOpcodeIsADivergence) {
  const Trace t = import_ok(sample_text());
  SimTarget sim(find_profile("5.6"));  // no SEND_ZC (6.0)
  const ReplayResult r = replay(t, sim);
  ASSERT_FALSE(r.divergences.empty());
  EXPECT_NE(joined(r).find("SEND_ZC"), std::string::npos) << joined(r);
  EXPECT_NE(joined(r).find("does not exist in profile 5.6"), std::string::npos) << joined(r);
}

TEST(PerfImport, ARequestThatNeverCompletesIsReported) {
  std::string text = sample_text();
  const size_t at = text.find("io_uring_complete: ring 0xffff9e4f8b3c6000, req 0xffff9e4f91a20000, user_data 0x10");
  ASSERT_NE(at, std::string::npos);
  const size_t start = text.rfind('\n', at) + 1;
  text.erase(start, text.find('\n', at) + 1 - start);
  SimTarget sim;
  const ReplayResult r = replay(import_ok(text), sim);
  ASSERT_EQ(r.divergences.size(), 1u) << joined(r);
  EXPECT_NE(r.divergences[0].message.find("user_data 0x10 was submitted but never completed"), std::string::npos)
      << joined(r);
}

TEST(PerfImport, ABrokenChainMustCancelTheRest) {
  const std::string text =
      replace(sample_text(), "user_data 0x21, result -125", "user_data 0x21, result 0");
  SimTarget sim;
  const ReplayResult r = replay(import_ok(text), sim);
  ASSERT_EQ(r.divergences.size(), 1u) << joined(r);
  EXPECT_NE(r.divergences[0].message.find("-ECANCELED"), std::string::npos) << joined(r);
}

TEST(PerfImport, SkipSuccessRequestsPostNoSuccessCqe) {
  std::string text = sample_text();
  text += "  uring_copy_fix  41873 [002]  7412.119030: io_uring:io_uring_complete: ring 0xffff9e4f8b3c6000, req "
          "0xffff9e4f91a20600, user_data 0x50, result 0, cflags 0x0 extra1 0 extra2 0\n";
  SimTarget sim;
  const ReplayResult r = replay(import_ok(text), sim);
  ASSERT_EQ(r.divergences.size(), 1u) << joined(r);
  EXPECT_NE(r.divergences[0].message.find("SKIP_SUCCESS"), std::string::npos) << joined(r);
}

TEST(PerfImport, OlderKernelsNumericOpcodesAndRingsCreatedBeforePerf) {
  // 5.x io_uring_submit_sqe printed the opcode as a number; the ring's create was not traced.
  const Trace t = import_ok(
      "fio 900 [000] 10.000001: io_uring:io_uring_submit_sqe: ring 0xffff1, req 0xffff2, user_data 0x7, opcode 22, "
      "flags 0x0, non block 1, sq_thread 0\n"
      "fio 900 [000] 10.000009: io_uring:io_uring_complete: ring 0xffff1, req 0xffff2, user_data 0x7, result 0, "
      "cflags 0x0\n");
  ASSERT_EQ(t.events.size(), 2u);
  EXPECT_NE(t.events[0].note.find("not traced"), std::string::npos);
  const SqeRecord* s = find_sqe(t, 7);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->sqe().opcode, 22);
  SimTarget sim;
  EXPECT_TRUE(replay(t, sim).ok());
}

TEST(PerfImport, TheLinuxTargetSkipsShapeTraces) {
  const Trace t = import_ok(sample_text());
  KernelTarget linux_target;
  const ReplayResult r = replay(t, linux_target);
  EXPECT_TRUE(r.skipped);
  EXPECT_NE(r.skip_reason.find("shape"), std::string::npos);
}

TEST(PerfImport, MalformedInputNamesTheLine) {
  const std::string good =
      "x 1 [000] 1.000000: io_uring:io_uring_create: ring 0xffff1, fd 3 sq size 8, cq size 16, flags 0x0\n";
  TraceError e = import_fails(good + "\nthis is not perf output\n");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.message().find("perf.txt:3: "), 0u) << e.message();

  e = import_fails(good + "x 1 [000] 1.000001: io_uring:io_uring_complete: ring 0xffff1, req 0x1, user_data 0x1, "
                          "result abc, cflags 0x0\n");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.field, "result");

  e = import_fails(good + "x 1 [000] 1.000001: io_uring:io_uring_complete: ring 0xffff1, req 0x1, result 0\n");
  EXPECT_EQ(e.field, "user_data");

  e = import_fails(good + "x 1 [000] 1.000001: io_uring:io_uring_submit_req: ring 0xffff1, req 0x1, user_data 0x1, "
                          "opcode FROBNICATE, flags 0x0, sq_thread 0\n");
  EXPECT_EQ(e.field, "opcode");

  e = import_fails("x 1 [000] 1.000000: sched:sched_switch: prev_comm=x\n");
  EXPECT_NE(e.what.find("no io_uring"), std::string::npos);
  e = import_fails("");
  EXPECT_NE(e.what.find("no io_uring"), std::string::npos);
  EXPECT_EQ(e.message().find('\n'), std::string::npos);
}

TEST(PerfImport, OtherSubsystemsAndPeriodsAreSkipped) {
  PerfImportStats stats;
  Trace t;
  TraceError err;
  ASSERT_TRUE(import_perf_script(
      "Web Content 77/78 [001] 5.000000:          1 sched:sched_switch: prev_comm=a prev_pid=1\n"
      "Web Content 77/78 [001] 5.000001:          1 io_uring:io_uring_create: ring 0xa, fd 4 sq size 4, cq size 8, "
      "flags 0x0\n",
      "p.txt", {}, &t, &err, &stats))
      << err.message();
  EXPECT_EQ(stats.skipped_events, 1u);
  EXPECT_EQ(stats.io_uring_events, 1u);
  ASSERT_EQ(t.events.size(), 1u);
  EXPECT_EQ(std::get<SetupEvent>(t.events[0].body).ret, 4);
}

}  // namespace
}  // namespace uringsim::traces
