// Explain mode: small fixed scenarios driven in-process against the model, their
// explain streams (text and JSON Lines) compared with golden files.
//
// Regenerate the golden files after an intended change:
//   URINGSIM_UPDATE_GOLDEN=1 ./build/tests/traces_tests --gtest_filter='Explain*'
// then read the diff before committing it.
//
// To add as the model grows: WRITE_FIXED on a read-only fd, READV with a bad iovec,
// a shared file mapping refused by REGISTER_BUFFERS (-EFAULT), a tag CQE posted by
// BUFFERS_UPDATE, CLONE_BUFFERS between rings, and a request parked and completed
// later by Kernel::progress (the "outside any syscall" block).
#include "traces/explain.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "kernel_model/kernel.h"
#include "tests/kernel_model/fakes.h"
#include "traces/decode.h"

namespace uringsim::traces {
namespace {

using uringsim::testing::FakeFile;
using uringsim::testing::FakeFiles;
using uringsim::testing::FakeMemory;

constexpr uint64_t kParamsAddr = 0x10000;
constexpr uint64_t kScratchAddr = 0x20000;
constexpr int kRingFd = 100;

// A client of the model, as a program using raw syscalls would be: params in its
// memory, SQEs written into the mapped SQE array, tail bumped, enter. Unprivileged,
// with a 64 KiB RLIMIT_MEMLOCK, so memlock lines have something to say.
class Client {
 public:
  explicit Client(Kernel& kernel) : kernel_(kernel) {
    memory.map(kParamsAddr, 4096);
    memory.map(kScratchAddr, 4096);
    caller.creds.pid = 1000;
    caller.creds.uid = 1000;
    caller.creds.mm = 1000;
    caller.creds.cap_ipc_lock = false;
    caller.creds.memlock_limit = 64 << 10;
    caller.memory = &memory;
    caller.files = &files;
  }

  int64_t setup(uint32_t entries, uint32_t flags = 0, uint32_t cq_entries = 0) {
    io_uring_params p{};
    p.flags = flags;
    p.cq_entries = cq_entries;
    memory.write(kParamsAddr, &p, sizeof p);
    const int64_t r = kernel_.setup(caller, entries, kParamsAddr);
    memory.read(kParamsAddr, &params, sizeof params);
    if (r < 0) return r;
    ring = static_cast<RingId>(r);
    files.add(kRingFd, std::make_shared<FakeFile>("", true, true, FileKind::kRing, ring));
    size_t len = 0;
    sq_ring = kernel_.map(ring, IORING_OFF_SQ_RING, &len);
    cq_ring = kernel_.map(ring, IORING_OFF_CQ_RING, &len);
    sqes = reinterpret_cast<io_uring_sqe*>(kernel_.map(ring, IORING_OFF_SQES, &len));
    return r;
  }

  uint32_t& sq_word(uint32_t off) { return *reinterpret_cast<uint32_t*>(sq_ring + off); }
  uint32_t& cq_word(uint32_t off) { return *reinterpret_cast<uint32_t*>(cq_ring + off); }

  // Queues an SQE; `array_index` overrides what the SQ array entry says (a bad index
  // is dropped by the kernel).
  io_uring_sqe& push(uint8_t opcode, uint64_t user_data, uint8_t flags = 0, int64_t array_index = -1) {
    uint32_t& tail = sq_word(params.sq_off.tail);
    const uint32_t pos = tail & (params.sq_entries - 1);
    io_uring_sqe& sqe = sqes[pos];
    std::memset(&sqe, 0, sizeof sqe);
    sqe.opcode = opcode;
    sqe.flags = flags;
    sqe.user_data = user_data;
    sq_word(params.sq_off.array + 4 * pos) = array_index >= 0 ? static_cast<uint32_t>(array_index) : pos;
    ++tail;
    return sqe;
  }

  EnterResult enter(uint32_t to_submit, uint32_t min_complete = 0, uint32_t flags = 0, int fd = kRingFd) {
    return kernel_.enter(caller, fd, to_submit, min_complete, flags, 0, 0);
  }

  // Consumes every CQE in the CQ, as the application does.
  int reap() {
    uint32_t& head = cq_word(params.cq_off.head);
    const uint32_t tail = cq_word(params.cq_off.tail);
    const int n = static_cast<int>(tail - head);
    head = tail;
    return n;
  }

  FakeMemory memory;
  FakeFiles files;
  Caller caller;
  io_uring_params params{};
  RingId ring = kNoRing;
  std::byte* sq_ring = nullptr;
  std::byte* cq_ring = nullptr;
  io_uring_sqe* sqes = nullptr;

 private:
  Kernel& kernel_;
};

using Scenario = std::function<void(Kernel&, Client&)>;

// The explain stream of `scenario` run on a fresh 6.18 kernel.
std::string explain(const Scenario& scenario, ExplainFormat format, ColorMode color = ColorMode::kNever) {
  std::ostringstream out;
  Kernel kernel;
  {
    Client client(kernel);
    ExplainObserver observer(kernel, out, ExplainOptions{format, color});
    kernel.set_observer(&observer);
    scenario(kernel, client);
    kernel.set_observer(nullptr);
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

// Compares with golden/<name>; URINGSIM_UPDATE_GOLDEN=1 rewrites the file instead.
void expect_golden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(URINGSIM_TRACES_GOLDEN_DIR) + "/" + name;
  const char* update = std::getenv("URINGSIM_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
    std::printf("rewrote %s\n", path.c_str());
    return;
  }
  bool found = false;
  const std::string expected = read_file(path, &found);
  ASSERT_TRUE(found) << path << " is missing; create it with URINGSIM_UPDATE_GOLDEN=1";
  EXPECT_EQ(actual, expected) << "explain output differs from " << path
                              << " (URINGSIM_UPDATE_GOLDEN=1 rewrites it if the change is intended)";
}

void expect_golden_both(const std::string& name, const Scenario& scenario) {
  expect_golden(name + ".txt", explain(scenario, ExplainFormat::kText));
  expect_golden(name + ".jsonl", explain(scenario, ExplainFormat::kJson));
}

// --- the scenarios --------------------------------------------------------------------

// Three NOPs in one batch, waited for; the ring's memory charged to memlock; teardown.
void nop_batch(Kernel& kernel, Client& c) {
  ASSERT_EQ(c.setup(4), 0);
  c.push(IORING_OP_NOP, 1);
  c.push(IORING_OP_NOP, 2, IOSQE_IO_LINK);
  io_uring_sqe& inject = c.push(IORING_OP_NOP, 3);
  inject.nop_flags = IORING_NOP_INJECT_RESULT;
  inject.len = 42;
  EXPECT_EQ(c.enter(3, 3, IORING_ENTER_GETEVENTS).ret, 3);
  EXPECT_EQ(c.reap(), 3);
  kernel.destroy(c.ring);
}

// [NOP, opcode 250, NOP]: the bad SQE gets -EINVAL and ends the batch; the last NOP
// waits for the next enter.
void bad_opcode(Kernel&, Client& c) {
  ASSERT_EQ(c.setup(4), 0);
  c.push(IORING_OP_NOP, 1);
  c.push(250, 2);
  c.push(IORING_OP_NOP, 3);
  EXPECT_EQ(c.enter(3).ret, 2);
  EXPECT_EQ(c.enter(1).ret, 1);
}

// An SQE flag bit Linux does not define, then a link whose second member fails prep:
// the head is cancelled with the reason pointing at the member.
void invalid_sqe_flag(Kernel&, Client& c) {
  ASSERT_EQ(c.setup(4), 0);
  c.push(IORING_OP_NOP, 1, 0x80);
  EXPECT_EQ(c.enter(1).ret, 1);
  c.push(IORING_OP_NOP, 2, IOSQE_IO_LINK);
  io_uring_sqe& bad = c.push(IORING_OP_NOP, 3);
  bad.ioprio = 1;
  EXPECT_EQ(c.enter(2).ret, 2);
}

// A 4-entry CQ (2-entry SQ) fed six CQEs without reaping: two wait in the overflow
// backlog (IORING_SQ_CQ_OVERFLOW) until the application reaps and enters with
// GETEVENTS.
void cq_overflow(Kernel&, Client& c) {
  ASSERT_EQ(c.setup(2), 0);
  for (uint64_t batch = 0; batch < 3; ++batch) {
    c.push(IORING_OP_NOP, 10 * batch + 1);
    c.push(IORING_OP_NOP, 10 * batch + 2);
    EXPECT_EQ(c.enter(2).ret, 2);
  }
  EXPECT_EQ(c.reap(), 4);
  EXPECT_EQ(c.enter(0, 0, IORING_ENTER_GETEVENTS).ret, 0);
  EXPECT_EQ(c.reap(), 2);
}

// An enter that must wait for more CQEs than there are; the host's timer ends the
// wait (-ETIME), which Linux does not report because the CQ is not empty.
void wait_timeout(Kernel& kernel, Client& c) {
  ASSERT_EQ(c.setup(4), 0);
  c.push(IORING_OP_NOP, 1);
  const EnterResult r = c.enter(1, 2, IORING_ENTER_GETEVENTS);
  EXPECT_TRUE(r.must_wait);
  EXPECT_EQ(r.wait_nr, 2u);
  EXPECT_EQ(kernel.wait_done(c.ring, r, -ETIME), 1);
}

// Registered buffers and memlock: one 8 KiB buffer (2 pages on top of the ring's 2),
// a READ_FIXED inside it and one running past its end (-EFAULT), then, after
// unregistering, a 64 KiB buffer that RLIMIT_MEMLOCK refuses because the ring's own
// 2 pages still count (6.18 charges ring memory).
void registered_buffers(Kernel& kernel, Client& c) {
  constexpr uint64_t kBuf = 0x40000;
  constexpr uint64_t kIovecs = 0x30000;
  constexpr int kFileFd = 3;
  c.memory.map(kBuf, 64 << 10);
  c.memory.map(kIovecs, 4096);
  c.files.add(kFileFd, std::make_shared<FakeFile>(std::string(16384, 'x')));
  ASSERT_EQ(c.setup(4), 0);
  const uint64_t small[2] = {kBuf, 8192};
  c.memory.write(kIovecs, small, sizeof small);
  EXPECT_EQ(kernel.do_register(c.caller, kRingFd, IORING_REGISTER_BUFFERS, kIovecs, 1), 0);
  io_uring_sqe& ok = c.push(IORING_OP_READ_FIXED, 1);
  ok.fd = kFileFd;
  ok.addr = kBuf;
  ok.len = 4096;
  io_uring_sqe& past = c.push(IORING_OP_READ_FIXED, 2);
  past.fd = kFileFd;
  past.addr = kBuf + 4096;
  past.len = 8192;
  EXPECT_EQ(c.enter(2).ret, 2);
  EXPECT_EQ(kernel.do_register(c.caller, kRingFd, IORING_UNREGISTER_BUFFERS, 0, 0), 0);
  const uint64_t big[2] = {kBuf, 64 << 10};
  c.memory.write(kIovecs, big, sizeof big);
  EXPECT_EQ(kernel.do_register(c.caller, kRingFd, IORING_REGISTER_BUFFERS, kIovecs, 1), -ENOMEM);
}

// Syscall-level failures and the SQ array's dropped counter.
void syscall_faults(Kernel& kernel, Client& c) {
  EXPECT_EQ(c.setup(0), -EINVAL);
  EXPECT_EQ(c.setup(1024), -ENOMEM);  // 26 pages of ring memory > 16 allowed
  ASSERT_EQ(c.setup(4), 0);
  EXPECT_EQ(c.enter(1, 0, 0, 55).ret, -EBADF);
  EXPECT_EQ(c.enter(1, 0, 1u << 20).ret, -EINVAL);
  EXPECT_EQ(kernel.do_register(c.caller, kRingFd, 99, 0, 0), -EINVAL);
  EXPECT_EQ(kernel.do_register(c.caller, kRingFd, IORING_REGISTER_PROBE, kScratchAddr, 4), 0);
  c.push(IORING_OP_NOP, 1);
  c.push(IORING_OP_NOP, 2, 0, 9);  // SQ array entry 9 on a 4-entry ring
  c.push(IORING_OP_NOP, 3);
  EXPECT_EQ(c.enter(3).ret, 1);
}

TEST(ExplainGolden, NopBatch) { expect_golden_both("nop_batch", nop_batch); }
TEST(ExplainGolden, BadOpcode) { expect_golden_both("bad_opcode", bad_opcode); }
TEST(ExplainGolden, InvalidSqeFlag) { expect_golden_both("invalid_sqe_flag", invalid_sqe_flag); }
TEST(ExplainGolden, CqOverflow) { expect_golden_both("cq_overflow", cq_overflow); }
TEST(ExplainGolden, WaitTimeout) { expect_golden_both("wait_timeout", wait_timeout); }
TEST(ExplainGolden, RegisteredBuffers) { expect_golden_both("registered_buffers", registered_buffers); }
TEST(ExplainGolden, SyscallFaults) { expect_golden_both("syscall_faults", syscall_faults); }

// --- properties that do not need a golden file -----------------------------------------

TEST(Explain, JsonIsOneObjectPerLineWithSeqAndEvent) {
  const std::string out = explain(cq_overflow, ExplainFormat::kJson);
  std::istringstream lines(out);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    const auto j = nlohmann::json::parse(line);
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_TRUE(j.contains("seq")) << line;
    EXPECT_TRUE(j.contains("event")) << line;
  }
  EXPECT_GT(n, 10);
}

TEST(Explain, FailedCqesCarryTheModelsReason) {
  const std::string out = explain(bad_opcode, ExplainFormat::kText);
  EXPECT_NE(out.find("CQE user_data=0x2 res=-22 (EINVAL) flags=0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("why: opcode 250 does not exist on Linux 6.18"), std::string::npos) << out;
}

TEST(Explain, ColourOnlyWhenAsked) {
  const std::string plain = explain(bad_opcode, ExplainFormat::kText, ColorMode::kNever);
  EXPECT_EQ(plain.find('\033'), std::string::npos);
  const std::string auto_stream = explain(bad_opcode, ExplainFormat::kText, ColorMode::kAuto);
  EXPECT_EQ(auto_stream.find('\033'), std::string::npos) << "an ostream is never a terminal";
  const std::string colour = explain(bad_opcode, ExplainFormat::kText, ColorMode::kAlways);
  EXPECT_NE(colour.find("\033[1m#2 io_uring_enter("), std::string::npos) << "syscalls bold";
  EXPECT_NE(colour.find("\033[32mCQE user_data=0x1 res=0"), std::string::npos) << "CQEs green";
  EXPECT_NE(colour.find("\033[31mCQE user_data=0x2 res=-22"), std::string::npos) << "errors red";
  const std::string json = explain(bad_opcode, ExplainFormat::kJson, ColorMode::kAlways);
  EXPECT_EQ(json.find('\033'), std::string::npos) << "JSON is never coloured";
}

TEST(Explain, FormatNames) {
  EXPECT_EQ(parse_explain_format("text"), ExplainFormat::kText);
  EXPECT_EQ(parse_explain_format("json"), ExplainFormat::kJson);
  EXPECT_FALSE(parse_explain_format("xml"));
}

}  // namespace
}  // namespace uringsim::traces
