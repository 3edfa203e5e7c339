// Sockets in traces (format version 2, traces/FORMAT.md "Sockets"): socket files are
// read strictly, written back the same, created by both targets, and what the peer
// received is compared; memory events can store relocated addresses.
#include <gtest/gtest.h>

#include <string>

#include "traces/jsonl.h"
#include "traces/replay.h"

namespace uringsim::traces {
namespace {

const std::string kSamples = std::string(URINGSIM_TRACES_GOLDEN_DIR) + "/../../../traces/samples";
const std::string kHeader2 = R"({"uringsim_trace": 2, "profile": "6.18", "creator": "test"})";
const std::string kSetup = R"({"event": "setup", "entries": 8, "params": {"flags": 0}, "ret": 3})";

std::string error_of(const std::string& text) {
  Trace t;
  TraceError err;
  if (parse_trace(text, "t.jsonl", &t, &err)) return "";
  return err.message();
}

Trace parse(const std::string& text) {
  Trace t;
  TraceError err;
  EXPECT_TRUE(parse_trace(text, "t.jsonl", &t, &err)) << err.message();
  return t;
}

Trace load(const std::string& path) {
  Trace t;
  TraceError err;
  EXPECT_TRUE(read_trace_file(path, &t, &err)) << err.message();
  return t;
}

std::string joined(const ReplayResult& r) {
  std::string s = r.skip_reason;
  for (const Divergence& d : r.divergences) s += d.message + "\n";
  return s;
}

// A WRITE of "ping" to a unix stream socket whose peer has sent "pong" first, then a
// READ of it: the peer must receive `expect_peer`.
std::string ping_pong(const std::string& kind, const std::string& expect_peer) {
  return kHeader2 + "\n" +
         R"({"event": "region", "id": "buf", "size": 4096, "kind": "anonymous", "hex": "70696e67"})" "\n" +
         R"({"event": "file", "fd": 5, "kind": "socket", "socket": ")" + kind +
         R"(", "peer_sends": "pong", "peer_receives": ")" + expect_peer + R"("})" "\n" + kSetup + "\n" +
         R"({"event": "enter", "fd": 3, "to_submit": 2, "min_complete": 2, "flags": ["GETEVENTS"], "sqes": [)"
         R"({"op": "SEND", "flags": ["IO_LINK"], "user_data": 1, "fd": 5, "addr": {"region": "buf", "offset": 0}, "len": 4},)"
         R"({"op": "RECV", "user_data": 2, "fd": 5, "addr": {"region": "buf", "offset": 64}, "len": 64}],)"
         R"( "ret": 2, "cqes": [{"user_data": 1, "res": 4}, {"user_data": 2, "res": 4}]})" "\n";
}

TEST(TraceSockets, SocketFileNeedsVersion2) {
  const std::string v1 = R"({"uringsim_trace": 1, "profile": "6.18"})" "\n"
                         R"({"event": "file", "fd": 5, "kind": "socket", "socket": "unix_stream"})" "\n";
  EXPECT_EQ(error_of(v1),
            "t.jsonl:2: field 'kind': socket files need \"uringsim_trace\": 2 in the header (this trace says 1)");
}

TEST(TraceSockets, UnknownSocketKindNamesTheKnownOnes) {
  EXPECT_EQ(error_of(kHeader2 + "\n" + R"({"event": "file", "fd": 5, "kind": "socket", "socket": "sctp"})" "\n"),
            "t.jsonl:2: field 'socket': unknown socket kind \"sctp\" (unix_stream, unix_dgram, tcp, udp)");
}

TEST(TraceSockets, UnknownFileKindIsRejected) {
  EXPECT_EQ(error_of(kHeader2 + "\n" + R"({"event": "file", "fd": 5, "kind": "pipe"})" "\n"),
            "t.jsonl:2: field 'kind': unsupported file kind \"pipe\" (regular or socket)");
}

TEST(TraceSockets, SocketFieldsAreStrict) {
  EXPECT_EQ(error_of(kHeader2 + "\n" +
                     R"({"event": "file", "fd": 5, "kind": "socket", "socket": "tcp", "contents": "x"})" "\n"),
            "t.jsonl:2: field 'contents': a socket has no contents (use peer_sends)");
  EXPECT_EQ(error_of(kHeader2 + "\n" +
                     R"({"event": "file", "fd": 5, "kind": "socket", "socket": "tcp", "peer_sends": "a", "peer_sends_hex": "61"})" "\n"),
            "t.jsonl:2: field 'peer_sends_hex': give peer_sends or peer_sends_hex, not both");
  EXPECT_EQ(error_of(kHeader2 + "\n" +
                     R"({"event": "file", "fd": 5, "kind": "socket", "socket": "tcp", "peer_receives_sha256": "12"})" "\n"),
            "t.jsonl:2: field 'peer_receives_sha256': expected 64 hex digits");
  EXPECT_EQ(error_of(kHeader2 + "\n" +
                     R"({"event": "file", "fd": 5, "kind": "socket", "socket": "tcp", "peer": 1})" "\n"),
            "t.jsonl:2: field 'peer': unknown field");
}

TEST(TraceSockets, MemoryAddressNeedsVersion2AndRoom) {
  const std::string region = R"({"event": "region", "id": "r", "size": 16, "kind": "anonymous"})";
  EXPECT_EQ(error_of(std::string(R"({"uringsim_trace": 1})") + "\n" + region + "\n" +
                     R"({"event": "memory", "region": "r", "offset": 0, "address": {"region": "r", "offset": 8}})" "\n"),
            "t.jsonl:3: field 'address': memory events with an address need \"uringsim_trace\": 2 in the header");
  EXPECT_EQ(error_of(kHeader2 + "\n" + region + "\n" +
                     R"({"event": "memory", "region": "r", "offset": 12, "address": {"region": "r", "offset": 8}})" "\n"),
            "t.jsonl:3: field 'offset': an 8-byte address at offset 12 does not fit in region \"r\" (16 bytes)");
}

TEST(TraceSockets, WriterKeepsVersion1UnlessAVersion2FeatureIsUsed) {
  const Trace v1 = parse(std::string(R"({"uringsim_trace": 1})") + "\n" + kSetup + "\n");
  EXPECT_EQ(write_trace(v1).rfind(R"({"uringsim_trace":1,)", 0), 0u) << write_trace(v1);
  const Trace v2 = parse(ping_pong("unix_stream", "ping"));
  EXPECT_EQ(write_trace(v2).rfind(R"({"uringsim_trace":2,)", 0), 0u) << write_trace(v2);
}

TEST(TraceSockets, SocketFileRoundTrips) {
  const Trace t = parse(kHeader2 + "\n" +
                        R"({"event": "file", "fd": 7, "kind": "socket", "socket": "udp", "peer_sends_hex": "00ff", "peer_receives_sha256": ")" +
                        std::string(64, 'a') + R"("})" "\n");
  ASSERT_EQ(t.files.size(), 1u);
  EXPECT_EQ(t.files[0].socket, SocketKind::kUdp);
  EXPECT_EQ(t.files[0].peer_sends, std::string("\x00\xff", 2));
  EXPECT_FALSE(t.files[0].peer_receives.has_value());
  const std::string text = write_trace(t);
  EXPECT_NE(text.find(R"({"event":"file","fd":7,"kind":"socket","socket":"udp","peer_sends_hex":"00ff","peer_receives_sha256":")"),
            std::string::npos)
      << text;
  EXPECT_EQ(write_trace(parse(text)), text);
}

TEST(TraceSockets, SimulatorSendsAndReceivesThroughThePeer) {
  for (const char* kind : {"unix_stream", "unix_dgram", "tcp", "udp"}) {
    SCOPED_TRACE(kind);
    SimTarget sim;
    const ReplayResult r = replay(parse(ping_pong(kind, "ping")), sim);
    EXPECT_TRUE(r.ok()) << joined(r);
  }
}

TEST(TraceSockets, WhatThePeerReceivedIsCompared) {
  SimTarget sim;
  const ReplayResult r = replay(parse(ping_pong("unix_stream", "pang")), sim);
  ASSERT_EQ(r.divergences.size(), 1u) << joined(r);
  EXPECT_EQ(r.divergences[0].message,
            "t.jsonl:3: the peer of socket fd 5 received 4 bytes \"ping\", trace expects 4 bytes \"pang\"");
}

TEST(TraceSockets, UpdateWritesWhatThePeerReceived) {
  SimTarget sim;
  ReplayOptions opts;
  opts.update = true;
  const ReplayResult r = replay(parse(ping_pong("tcp", "")), sim, opts);
  ASSERT_EQ(r.updated.files.size(), 1u);
  EXPECT_EQ(r.updated.files[0].peer_receives.value_or("<unset>"), "ping");
}

TEST(TraceSockets, RelocatedAddressIsWrittenIntoMemory) {
  const Trace t = parse(kHeader2 + "\n" +
                        R"({"event": "region", "id": "a", "size": 4096, "kind": "anonymous"})" "\n"
                        R"({"event": "region", "id": "b", "size": 4096, "kind": "anonymous"})" "\n"
                        R"({"event": "memory", "region": "a", "offset": 8, "address": {"region": "b", "offset": 100}})" "\n");
  SimTarget sim;
  const ReplayResult r = replay(t, sim);
  ASSERT_TRUE(r.ok()) << joined(r);
  uint64_t stored = 0;
  ASSERT_TRUE(sim.read_memory(sim.region_address("a") + 8, &stored, sizeof stored));
  EXPECT_EQ(stored, sim.region_address("b") + 100);
}

TEST(TraceSockets, SocketSamplesAgreeWithTheSimulator) {
  for (const char* name : {"recv_provided_send_zc.jsonl", "rfc_send_zc_bundle.jsonl"}) {
    SCOPED_TRACE(name);
    SimTarget sim;
    const ReplayResult r = replay(load(kSamples + "/" + name), sim);
    EXPECT_TRUE(r.ok()) << joined(r);
  }
}

TEST(TraceSockets, PingPongAndProvidedBufferSampleAgreeWithLinux) {
  std::string why;
  if (!KernelTarget::available(&why)) GTEST_SKIP() << "no usable io_uring on this host: " << why;
  for (const char* kind : {"unix_stream", "unix_dgram", "tcp", "udp"}) {
    SCOPED_TRACE(kind);
    KernelTarget linux_target;
    const ReplayResult r = replay(parse(ping_pong(kind, "ping")), linux_target);
    EXPECT_TRUE(r.ok()) << joined(r);
  }
  KernelTarget linux_target;
  const ReplayResult r = replay(load(kSamples + "/recv_provided_send_zc.jsonl"), linux_target);
  EXPECT_TRUE(r.ok()) << joined(r);
  EXPECT_EQ(r.calls, 5u);
}

}  // namespace
}  // namespace uringsim::traces

namespace uringsim::traces {
namespace {

TEST(TraceSockets, RfcSampleIsRefusedByTheLinuxTargetWithTheReason) {
  KernelTarget linux_target;
  const ReplayResult r = replay(load(kSamples + "/rfc_send_zc_bundle.jsonl"), linux_target);
  EXPECT_TRUE(r.skipped);
  EXPECT_EQ(r.skip_reason,
            "profile rfc-provided-registered is a proposed ABI that no Linux kernel has "
            "(docs/rfc-provided-registered.md); replay it on the simulator");
}

}  // namespace
}  // namespace uringsim::traces

namespace uringsim::traces {
namespace {

// The peer writes between two calls: the first RECV takes "one", the second "two".
std::string peer_between_calls() {
  return kHeader2 + "\n" +
         R"({"event": "region", "id": "buf", "size": 4096, "kind": "anonymous"})" "\n"
         R"({"event": "file", "fd": 5, "kind": "socket", "socket": "unix_dgram", "peer_sends": "one", "peer_receives": ""})" "\n" +
         kSetup + "\n" +
         R"({"event": "enter", "fd": 3, "to_submit": 1, "min_complete": 1, "flags": ["GETEVENTS"], "sqes": [)"
         R"({"op": "RECV", "user_data": 1, "fd": 5, "addr": {"region": "buf", "offset": 0}, "len": 64}], "ret": 1, "cqes": [{"user_data": 1, "res": 3}]})" "\n"
         R"({"event": "peer", "fd": 5, "send_hex": "74776f00"})" "\n"
         R"({"event": "enter", "fd": 3, "to_submit": 1, "min_complete": 1, "flags": ["GETEVENTS"], "sqes": [)"
         R"({"op": "RECV", "user_data": 2, "fd": 5, "addr": {"region": "buf", "offset": 64}, "len": 64}], "ret": 1, "cqes": [{"user_data": 2, "res": 4}]})" "\n";
}

TEST(TraceSockets, PeerEventSendsBetweenCalls) {
  const Trace t = parse(peer_between_calls());
  SimTarget sim;
  const ReplayResult r = replay(t, sim);
  ASSERT_TRUE(r.ok()) << joined(r);
  char got[4] = {};
  ASSERT_TRUE(sim.read_memory(sim.region_address("buf") + 64, got, sizeof got));
  EXPECT_EQ(std::string(got, 4), std::string("two\0", 4));
  const std::string text = write_trace(t);
  EXPECT_NE(text.find(R"({"event":"peer","fd":5,"send_hex":"74776f00"})"), std::string::npos) << text;
  std::string why;
  if (!KernelTarget::available(&why)) GTEST_SKIP() << "no usable io_uring on this host: " << why;
  KernelTarget linux_target;
  const ReplayResult l = replay(t, linux_target);
  EXPECT_TRUE(l.ok()) << joined(l);
}

TEST(TraceSockets, PeerEventIsStrict) {
  const std::string socket = R"({"event": "file", "fd": 5, "kind": "socket", "socket": "tcp"})";
  const std::string file = R"({"event": "file", "fd": 6, "kind": "regular"})";
  EXPECT_EQ(error_of(kHeader2 + "\n" + file + "\n" + R"({"event": "peer", "fd": 6, "send": "x"})" "\n"),
            "t.jsonl:3: field 'fd': fd 6 is not a socket declared by an earlier file event");
  EXPECT_EQ(error_of(kHeader2 + "\n" + socket + "\n" + R"({"event": "peer", "fd": 5})" "\n"),
            "t.jsonl:3: field 'send': missing (or send_hex)");
  EXPECT_EQ(error_of(kHeader2 + "\n" + socket + "\n" + R"({"event": "peer", "fd": 5, "send": ""})" "\n"),
            "t.jsonl:3: field 'send': must not be empty");
  EXPECT_EQ(error_of(std::string(R"({"uringsim_trace": 1})") + "\n" + R"({"event": "peer", "fd": 5, "send": "x"})" "\n"),
            "t.jsonl:2: field 'event': peer events need \"uringsim_trace\": 2 in the header");
}

}  // namespace
}  // namespace uringsim::traces
