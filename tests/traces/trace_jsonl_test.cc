// The trace reader: every kind of bad input is one line naming file, line and field,
// and what the writer writes reads back the same.
#include <gtest/gtest.h>

#include <string>

#include "traces/jsonl.h"

namespace uringsim::traces {
namespace {

const std::string kHeader = R"({"uringsim_trace": 1, "profile": "6.18", "creator": "test"})";
const std::string kSetup = R"({"event": "setup", "entries": 8, "params": {"flags": 0}, "ret": 3})";
const std::string kRegion = R"({"event": "region", "id": "buf", "size": 4096, "kind": "anonymous"})";

// Parses `text` and returns the error message ("" when it parsed).
std::string error_of(const std::string& text) {
  Trace t;
  TraceError err;
  if (parse_trace(text, "t.jsonl", &t, &err)) return "";
  return err.message();
}

std::string lines(std::initializer_list<std::string> ls) {
  std::string s;
  for (const std::string& l : ls) s += l + "\n";
  return s;
}

TEST(TraceJsonl, MinimalTraceParses) { EXPECT_EQ(error_of(kHeader + "\n"), ""); }

TEST(TraceJsonl, EmptyFileIsMissingHeader) {
  EXPECT_EQ(error_of(""), "t.jsonl:1: field 'uringsim_trace': missing: the trace is empty (the first line must be the header)");
}

TEST(TraceJsonl, OtherVersionIsRejectedOnLine1) {
  EXPECT_EQ(error_of(R"({"uringsim_trace": 3})" "\n"),
            "t.jsonl:1: field 'uringsim_trace': version 3 is not supported (this uringsim reads versions 1 and 2)");
}

TEST(TraceJsonl, UnknownProfileIsRejected) {
  const std::string e = error_of(R"({"uringsim_trace": 1, "profile": "9.9"})" "\n");
  EXPECT_EQ(e.rfind("t.jsonl:1: field 'profile': unknown kernel profile '9.9'", 0), 0u) << e;
}

TEST(TraceJsonl, TruncatedLastLineNamesItsLine) {
  const std::string text = lines({kHeader, kSetup}) + R"({"event": "enter", "fd": 3, "to_sub)";
  const std::string e = error_of(text);
  EXPECT_EQ(e.rfind("t.jsonl:3: truncated or malformed JSON", 0), 0u) << e;
}

TEST(TraceJsonl, MalformedLineInTheMiddle) {
  const std::string e = error_of(lines({kHeader, "{not json}", kSetup}));
  EXPECT_EQ(e.rfind("t.jsonl:2: malformed JSON", 0), 0u) << e;
}

TEST(TraceJsonl, UnknownEvent) {
  EXPECT_EQ(error_of(lines({kHeader, R"({"event": "teleport"})"})),
            "t.jsonl:2: field 'event': unknown event \"teleport\" (expected region, file, setup, enter, register, memory, peer or close)");
}

TEST(TraceJsonl, MissingField) {
  EXPECT_EQ(error_of(lines({kHeader, kSetup, R"({"event": "enter", "fd": 3, "ret": 0})"})),
            "t.jsonl:3: field 'to_submit': missing");
}

TEST(TraceJsonl, WrongType) {
  EXPECT_EQ(error_of(lines({kHeader, R"({"event": "setup", "entries": "eight", "params": null, "ret": -14})"})),
            "t.jsonl:2: field 'entries': expected an unsigned integer (or a \"0x...\" string), got a string \"eight\"");
}

TEST(TraceJsonl, UnknownFieldIsATypo) {
  EXPECT_EQ(error_of(lines({kHeader, kSetup,
                            R"({"event": "enter", "fd": 3, "to_submit": 1, "sqes": [{"op": "NOP", "usr_data": 1}], "ret": 1})"})),
            "t.jsonl:3: field 'sqes[0].usr_data': unknown field");
}

TEST(TraceJsonl, UndeclaredRegion) {
  EXPECT_EQ(error_of(lines({kHeader, kSetup,
                            R"({"event": "register", "fd": 3, "opcode": "REGISTER_BUFFERS", "nr_args": 1, "iovecs": [{"base": {"region": "nope", "offset": 0}, "len": 4096}], "ret": 0})"})),
            "t.jsonl:3: field 'iovecs[0].base.region': region \"nope\" is not declared (declare it with a region event before this line)");
}

TEST(TraceJsonl, RegionDeclaredAfterUseIsUndeclared) {
  const std::string use = R"({"event": "memory", "region": "buf", "offset": 0, "hex": "00"})";
  EXPECT_EQ(error_of(lines({kHeader, use, kRegion})), "t.jsonl:2: field 'region': region \"buf\" is not declared");
}

TEST(TraceJsonl, BadHex) {
  EXPECT_EQ(error_of(lines({kHeader, kRegion, R"({"event": "memory", "region": "buf", "offset": 0, "hex": "0g"})"})),
            "t.jsonl:3: field 'hex': bad hex: 'g' at position 1 is not a hex digit");
  EXPECT_EQ(error_of(lines({kHeader, kRegion, R"({"event": "memory", "region": "buf", "offset": 0, "hex": "abc"})"})),
            "t.jsonl:3: field 'hex': bad hex: odd number of digits (3)");
}

TEST(TraceJsonl, MemoryOutsideItsRegion) {
  EXPECT_EQ(error_of(lines({kHeader, kRegion, R"({"event": "memory", "region": "buf", "offset": 4095, "hex": "0000"})"})),
            "t.jsonl:3: field 'hex': 2 bytes at offset 4095 do not fit in region \"buf\" (4096 bytes)");
}

TEST(TraceJsonl, RawSqeOfWrongSize) {
  const std::string raw(126, '0');
  EXPECT_EQ(error_of(lines({kHeader, kSetup,
                            R"({"event": "enter", "fd": 3, "to_submit": 1, "sqes": [{"raw": ")" + raw + R"("}], "ret": 1})"})),
            "t.jsonl:3: field 'sqes[0].raw': expected 64 or 128 bytes, got 63");
}

TEST(TraceJsonl, DecodedFieldDisagreesWithRaw) {
  std::string raw(128, '0');
  raw[48] = '0';
  raw[49] = '5';  // len = 5 (byte 24)
  EXPECT_EQ(error_of(lines({kHeader, kSetup,
                            R"({"event": "enter", "fd": 3, "to_submit": 1, "sqes": [{"raw": ")" + raw + R"(", "len": 7}], "ret": 1})"})),
            "t.jsonl:3: field 'sqes[0].len': decoded value 7 disagrees with raw bytes, which say 5");
}

TEST(TraceJsonl, DuplicateFdIsInconsistent) {
  EXPECT_EQ(error_of(lines({kHeader, R"({"event": "file", "fd": 3, "contents": "x"})", kSetup})),
            "t.jsonl:3: field 'ret': fd 3 already names the file declared on line 2");
}

TEST(TraceJsonl, CloseOfUnknownRing) {
  EXPECT_EQ(error_of(lines({kHeader, R"({"event": "close", "fd": 4})"})),
            "t.jsonl:2: field 'fd': fd 4 is not a ring opened by an earlier setup");
}

TEST(TraceJsonl, Sha256IsVerified) {
  // sha256 of 16 zero bytes.
  const std::string ok = R"({"event": "region", "id": "z", "size": 16, "kind": "anonymous", "sha256": "374708fff7719dd5979ec875d56cd2286f6d3cf7ec317a3b25632aab28ec37bb"})";
  EXPECT_EQ(error_of(lines({kHeader, ok})), "");
  const std::string bad = R"({"event": "region", "id": "z", "size": 16, "kind": "anonymous", "seed": 1, "sha256": "374708fff7719dd5979ec875d56cd2286f6d3cf7ec317a3b25632aab28ec37bb"})";
  const std::string e = error_of(lines({kHeader, bad}));
  EXPECT_EQ(e.rfind("t.jsonl:2: field 'sha256': content hashes to ", 0), 0u) << e;
}

TEST(TraceJsonl, KnownSha256Vectors) {
  const uint8_t abc[] = {'a', 'b', 'c'};
  EXPECT_EQ(sha256_hex(abc, 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(nullptr, 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(TraceJsonl, ErrorsAreOneLine) {
  // A newline inside a string value must not split the message.
  const std::string e = error_of(lines({kHeader, R"({"event": "file", "fd": 5, "mode": "r\nw"})"}));
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  EXPECT_EQ(e.rfind("t.jsonl:2: field 'mode': unknown open mode", 0), 0u) << e;
}

TEST(TraceJsonl, WriteThenReadIsTheSame) {
  const std::string text = lines(
      {kHeader, kRegion, R"({"event": "file", "fd": 5, "contents": "abc", "mode": "rdonly"})", kSetup,
       R"({"event": "register", "fd": 3, "opcode": "REGISTER_BUFFERS", "nr_args": 1, "iovecs": [{"base": {"region": "buf", "offset": 0}, "len": 4096}], "ret": 0})",
       R"({"event": "memory", "region": "buf", "offset": 16, "hex": "deadbeef"})",
       R"({"event": "enter", "fd": 3, "to_submit": 2, "min_complete": 2, "flags": ["GETEVENTS"], "cq_head": 0, "sqes": [{"op": "READ_FIXED", "user_data": 7, "fd": 5, "addr": {"region": "buf", "offset": 16}, "len": 3, "off": -1, "flags": ["IO_LINK"]}, {"dropped": true, "sq_index": 9}], "ret": 1, "cqes": [{"user_data": 7, "res": 3, "flags": 0, "reason": "x"}], "ring": {"dropped": 1}})",
       R"({"event": "close", "fd": 3})"});
  Trace a;
  TraceError err;
  ASSERT_TRUE(parse_trace(text, "a", &a, &err)) << err.message();
  const std::string written = write_trace(a);
  Trace b;
  ASSERT_TRUE(parse_trace(written, "b", &b, &err)) << err.message() << "\n" << written;
  EXPECT_EQ(write_trace(b), written);
  ASSERT_EQ(b.events.size(), 5u);
  const auto& en = std::get<EnterEvent>(b.events[3].body);
  ASSERT_EQ(en.sqes.size(), 2u);
  EXPECT_EQ(en.sqes[0].sqe().off, ~uint64_t{0});
  EXPECT_EQ(*en.sqes[0].addr, (Address{"buf", 16}));
  EXPECT_TRUE(en.sqes[1].dropped);
  EXPECT_EQ(en.cqes[0].reason, "x");
  EXPECT_EQ(*en.cq_head, 0u);
}

TEST(TraceJsonl, GarbageNeverCrashes) {
  // A crude fuzz: every prefix and a few byte flips of a valid trace either parse or
  // give a one-line error with a line number.
  const std::string text = lines(
      {kHeader, kRegion, kSetup,
       R"({"event": "enter", "fd": 3, "to_submit": 1, "min_complete": 1, "flags": 1, "sqes": [{"op": "NOP", "user_data": 1}], "ret": 1, "cqes": [{"user_data": 1, "res": 0}]})"});
  for (size_t n = 0; n <= text.size(); ++n) {
    Trace t;
    TraceError err;
    if (!parse_trace(text.substr(0, n), "f", &t, &err)) {
      EXPECT_GT(err.line, 0) << n;
      EXPECT_EQ(err.message().find('\n'), std::string::npos);
    }
  }
  for (size_t i = 0; i < text.size(); i += 3) {
    std::string s = text;
    s[i] = static_cast<char>(s[i] ^ 0x5a);
    Trace t;
    TraceError err;
    parse_trace(s, "f", &t, &err);
  }
}

}  // namespace
}  // namespace uringsim::traces
