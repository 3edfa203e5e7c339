// Recording: a program driven against the model through a Recorder produces a trace
// that replays cleanly on the simulator -- and on Linux -- at other addresses.
#include <gtest/gtest.h>

#include <cstring>

#include "kernel_model/kernel.h"
#include "tests/kernel_model/fakes.h"
#include "traces/jsonl.h"
#include "traces/recorder.h"
#include "traces/replay.h"
#include "traces/socket_file.h"
#include "traces/socket_pair.h"

namespace uringsim::traces {
namespace {

using uringsim::testing::FakeFile;
using uringsim::testing::FakeFiles;
using uringsim::testing::FakeMemory;

// A tiny application: raw ring handling over FakeMemory, like liburing would do.
class App {
 public:
  App() : rec_(kernel_, "trace_record_test") {
    caller_.creds.cap_ipc_lock = true;  // as root is: the Linux target can then replay it
    caller_.memory = &mem_;
    caller_.files = &files_;
    rec_.attach(kernel_, caller_);
    mem_.map(kParams, 4096);
    mem_.map(kBuf, 16384);
    mem_.map(kIov, 4096);
  }

  void setup(uint32_t entries) {
    io_uring_params p{};
    mem_.write(kParams, &p, sizeof p);
    const int64_t ring = kernel_.setup(caller_, entries, kParams);
    ASSERT_GE(ring, 0);
    ring_ = static_cast<RingId>(ring);
    mem_.read(kParams, &p_, sizeof p_);
    files_.add(kRingFd, std::make_shared<FakeFile>("", true, true, FileKind::kRing, ring_));
    size_t len;
    sq_ = reinterpret_cast<uint8_t*>(kernel_.map(ring_, IORING_OFF_SQ_RING, &len));
    cq_ = reinterpret_cast<uint8_t*>(kernel_.map(ring_, IORING_OFF_CQ_RING, &len));
    sqes_ = reinterpret_cast<io_uring_sqe*>(kernel_.map(ring_, IORING_OFF_SQES, &len));
  }

  void push(const io_uring_sqe& sqe) {
    uint32_t& tail = *reinterpret_cast<uint32_t*>(sq_ + p_.sq_off.tail);
    const uint32_t pos = tail & (p_.sq_entries - 1);
    reinterpret_cast<uint32_t*>(sq_ + p_.sq_off.array)[pos] = pos;
    sqes_[pos] = sqe;
    ++tail;
  }

  int64_t enter(uint32_t n, uint32_t wait) {
    EnterResult r = kernel_.enter(caller_, kRingFd, n, wait, wait ? IORING_ENTER_GETEVENTS : 0, 0, 0);
    const int64_t ret = r.must_wait ? kernel_.wait_done(ring_, r, 0) : r.ret;
    // Reap everything.
    *reinterpret_cast<uint32_t*>(cq_ + p_.cq_off.head) = *reinterpret_cast<uint32_t*>(cq_ + p_.cq_off.tail);
    return ret;
  }

  static constexpr uint64_t kParams = 0x7f0000000000;
  static constexpr uint64_t kBuf = 0x7f0000100000;
  static constexpr uint64_t kIov = 0x7f0000200000;
  static constexpr int kRingFd = 7;

  Kernel kernel_;
  FakeMemory mem_;
  FakeFiles files_;
  Caller caller_;
  Recorder rec_;
  RingId ring_ = 0;
  io_uring_params p_{};
  uint8_t* sq_ = nullptr;
  uint8_t* cq_ = nullptr;
  io_uring_sqe* sqes_ = nullptr;
};

TEST(TraceRecord, RecordedProgramReplaysOnTheSimulatorAndOnLinux) {
  App app;
  app.files_.add(5, std::make_shared<FakeFile>("file contents: 0123456789abcdef"));
  app.setup(8);
  // Register the 16 KiB buffer.
  const uint64_t iov[2] = {App::kBuf, 16384};
  app.mem_.write(App::kIov, iov, sizeof iov);
  ASSERT_EQ(app.kernel_.do_register(app.caller_, App::kRingFd, IORING_REGISTER_BUFFERS, App::kIov, 1), 0);
  // The application writes data into the buffer, then WRITE_FIXEDs it to fd 5 at 100.
  app.mem_.write(App::kBuf + 64, "hello, trace", 12);
  io_uring_sqe w{};
  w.opcode = IORING_OP_WRITE_FIXED;
  w.fd = 5;
  w.addr = App::kBuf + 64;
  w.len = 12;
  w.off = 100;
  w.user_data = 1;
  app.push(w);
  // READ_FIXED the file's first 16 bytes, a NOP, and a READ_FIXED out of range.
  io_uring_sqe r = w;
  r.opcode = IORING_OP_READ_FIXED;
  r.addr = App::kBuf + 8192;
  r.len = 16;
  r.off = 0;
  r.user_data = 2;
  app.push(r);
  io_uring_sqe n{};
  n.opcode = IORING_OP_NOP;
  n.user_data = 3;
  app.push(n);
  io_uring_sqe bad = r;
  bad.addr = App::kBuf + 16380;
  bad.user_data = 4;
  app.push(bad);
  EXPECT_EQ(app.enter(4, 4), 4);
  // READV into two pieces of the buffer: the iovec array is recorded decoded.
  const uint64_t v[4] = {App::kBuf + 1000, 4, App::kBuf + 2000, 4};
  app.mem_.write(App::kIov + 512, v, sizeof v);
  io_uring_sqe rv{};
  rv.opcode = IORING_OP_READV;
  rv.fd = 5;
  rv.addr = App::kIov + 512;
  rv.len = 2;
  rv.user_data = 5;
  app.push(rv);
  EXPECT_EQ(app.enter(1, 1), 1);
  app.kernel_.destroy(app.ring_);

  const Trace recorded = app.rec_.trace();
  const std::string text = write_trace(recorded);
  Trace t;
  TraceError err;
  ASSERT_TRUE(parse_trace(text, "recorded.jsonl", &t, &err)) << err.message() << "\n" << text;
  ASSERT_EQ(t.files.size(), 1u);
  EXPECT_EQ(t.files[0].contents.substr(0, 16), "file contents: 0");
  EXPECT_NE(text.find("\"event\":\"memory\""), std::string::npos) << "the application's bytes must be in the trace";
  EXPECT_NE(text.find("\"iovecs\""), std::string::npos);
  EXPECT_EQ(text.find("\"event\":\"memory\",\"region\":\"r2\""), std::string::npos) << "the READV iovec array is recorded decoded, not as bytes";
  EXPECT_NE(text.find("\"event\":\"close\""), std::string::npos);
  // Four CQEs of the batch with the out-of-range READ_FIXED's reason.
  const auto& en = std::get<EnterEvent>(t.events.at(2 + 1).body);
  (void)en;
  EXPECT_NE(text.find("-> EFAULT"), std::string::npos) << text;

  SimTarget sim;
  ReplayResult res = replay(t, sim);
  std::string all;
  for (const Divergence& d : res.divergences) all += d.message + "\n";
  EXPECT_TRUE(res.ok()) << all << text;
  EXPECT_NE(sim.region_address("r1"), App::kBuf) << "regions are placed anew";

  std::string why;
  if (!KernelTarget::available(&why)) GTEST_SKIP() << "no usable io_uring on this host: " << why;
  KernelTarget linux_target;
  ReplayResult lr = replay(t, linux_target);
  all.clear();
  for (const Divergence& d : lr.divergences) all += d.message + "\n";
  EXPECT_TRUE(lr.ok()) << lr.skip_reason << all << text;
}

TEST(TraceRecord, FailedSetupAndCqOverflowAreRecorded) {
  App app;
  io_uring_params p{};
  app.mem_.write(App::kParams, &p, sizeof p);
  EXPECT_EQ(app.kernel_.setup(app.caller_, 0, App::kParams), -EINVAL);
  app.setup(1);  // SQ 1, CQ 2
  io_uring_sqe n{};
  n.opcode = IORING_OP_NOP;
  for (int i = 0; i < 3; ++i) {
    n.user_data = 10 + i;
    app.push(n);
    EnterResult r = app.kernel_.enter(app.caller_, App::kRingFd, 1, 0, 0, 0, 0);  // never reaps
    EXPECT_EQ(r.ret, 1);
  }
  const Trace t0 = app.rec_.trace();
  Trace t;
  TraceError err;
  const std::string text = write_trace(t0);
  ASSERT_TRUE(parse_trace(text, "r.jsonl", &t, &err)) << err.message();
  EXPECT_NE(text.find("entries is 0"), std::string::npos) << text;
  EXPECT_NE(text.find("\"cq_head\":0"), std::string::npos) << text;
  EXPECT_NE(text.find("\"sq_flags\":2"), std::string::npos) << text;
  SimTarget sim;
  ReplayResult res = replay(t, sim);
  std::string all;
  for (const Divergence& d : res.divergences) all += d.message + "\n";
  EXPECT_TRUE(res.ok()) << all << text;
}

// A program that talks over a socketpair: what it received is recorded as the peer's
// peer_sends, what it sent as peer_receives, and the trace replays on both targets.
TEST(TraceRecord, SocketTrafficBecomesASocketFile) {
  App app;
  SocketPair pair;
  std::string why;
  ASSERT_TRUE(pair.open(SocketKind::kUnixStream, &why)) << why;
  ASSERT_TRUE(pair.peer_send("pong", &why)) << why;
  app.files_.fds[5] = std::make_shared<SocketFile>(pair.app_fd(), SocketKind::kUnixStream);
  app.setup(8);
  app.mem_.write(App::kBuf, "ping", 4);
  io_uring_sqe send{};
  send.opcode = IORING_OP_SEND;
  send.fd = 5;
  send.addr = App::kBuf;
  send.len = 4;
  send.user_data = 1;
  app.push(send);
  io_uring_sqe recv{};
  recv.opcode = IORING_OP_RECV;
  recv.fd = 5;
  recv.addr = App::kBuf + 4096;
  recv.len = 64;
  recv.user_data = 2;
  app.push(recv);
  EXPECT_EQ(app.enter(2, 2), 2);
  EXPECT_EQ(pair.peer_drain(), "ping");
  // The peer writes again; the next RECV takes it: a peer event before that enter.
  ASSERT_TRUE(pair.peer_send("later", &why)) << why;
  recv.user_data = 3;
  recv.addr = App::kBuf + 8192;
  app.push(recv);
  EXPECT_EQ(app.enter(1, 1), 1);
  app.kernel_.destroy(app.ring_);

  const Trace recorded = app.rec_.trace();
  ASSERT_EQ(recorded.files.size(), 1u);
  const FileDecl& f = recorded.files[0];
  EXPECT_EQ(f.fd, 5);
  EXPECT_EQ(f.socket, SocketKind::kUnixStream);
  EXPECT_EQ(f.peer_sends, "");  // the ring existed before anything was received
  EXPECT_EQ(f.peer_receives.value_or("<unset>"), "ping");
  const std::string text = write_trace(recorded);
  EXPECT_NE(text.find(R"({"event":"file","fd":5,"kind":"socket","socket":"unix_stream","peer_receives":"ping"})"),
            std::string::npos)
      << text;
  // Each receive's bytes: a peer event just before the enter that took them.
  const size_t pong = text.find(R"({"event":"peer","fd":5,"send":"pong"})");
  const size_t first_enter = text.find(R"({"event":"enter","fd":7,"to_submit":2)");
  const size_t later = text.find(R"({"event":"peer","fd":5,"send":"later"})");
  const size_t second_enter = text.find(R"({"event":"enter","fd":7,"to_submit":1)");
  ASSERT_NE(pong, std::string::npos) << text;
  ASSERT_NE(later, std::string::npos) << text;
  EXPECT_LT(pong, first_enter) << text;
  EXPECT_LT(first_enter, later) << text;
  EXPECT_LT(later, second_enter) << text;
  Trace t;
  TraceError err;
  ASSERT_TRUE(parse_trace(text, "recorded.jsonl", &t, &err)) << err.message();
  SimTarget sim;
  const ReplayResult on_sim = replay(t, sim);
  EXPECT_TRUE(on_sim.ok()) << (on_sim.divergences.empty() ? on_sim.skip_reason : on_sim.divergences[0].message);
  if (!KernelTarget::available(&why)) GTEST_SKIP() << "no usable io_uring on this host: " << why;
  KernelTarget linux_target;
  const ReplayResult on_linux = replay(t, linux_target);
  EXPECT_TRUE(on_linux.ok()) << (on_linux.divergences.empty() ? on_linux.skip_reason
                                                               : on_linux.divergences[0].message);
}

}  // namespace
}  // namespace uringsim::traces
