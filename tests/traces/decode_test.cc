// Decoders: SQEs with known fields encoded, decoded, and every field checked by name
// and value; CQEs, errno lookups both ways, hex parsing.
#include "traces/decode.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "kernel_model/fault.h"

namespace uringsim::traces {
namespace {

io_uring_sqe make_sqe(uint8_t opcode, uint64_t user_data, uint8_t flags = 0) {
  io_uring_sqe sqe;
  std::memset(&sqe, 0, sizeof sqe);
  sqe.opcode = opcode;
  sqe.flags = flags;
  sqe.user_data = user_data;
  return sqe;
}

using NameValue = std::pair<std::string, std::string>;

std::vector<NameValue> names_values(const std::vector<Field>& fields) {
  std::vector<NameValue> out;
  for (const Field& f : fields) out.emplace_back(f.name, f.value);
  return out;
}

std::string note_of(const std::vector<Field>& fields, const char* name) {
  const Field* f = find_field(fields, name);
  return f == nullptr ? "<missing " + std::string(name) + ">" : f->note;
}

TEST(DecodeSqe, ReadFixedShowsItsFieldsNotTheRawUnion) {
  io_uring_sqe sqe = make_sqe(IORING_OP_READ_FIXED, 0x42);
  sqe.fd = 5;
  sqe.off = ~uint64_t{0};
  sqe.addr = 0x7f0000001000;
  sqe.len = 4096;
  sqe.buf_index = 2;
  sqe.rw_flags = 0x8;  // RWF_NOWAIT
  const std::vector<Field> fields = decode_sqe(sqe, 0);
  EXPECT_EQ(names_values(fields), (std::vector<NameValue>{{"opcode", "READ_FIXED"},
                                                          {"flags", "0"},
                                                          {"user_data", "0x42"},
                                                          {"fd", "5"},
                                                          {"off", "-1"},
                                                          {"addr", "0x7f0000001000"},
                                                          {"len", "4096"},
                                                          {"buf_index", "2"},
                                                          {"rw_flags", "RWF_NOWAIT"},
                                                          {"ioprio", "0"}}));
  EXPECT_EQ(note_of(fields, "off"), "current position");
  EXPECT_EQ(find_field(fields, "buf_index")->raw, 2u);
  EXPECT_EQ(find_field(fields, "addr")->raw, 0x7f0000001000u);
}

TEST(DecodeSqe, FixedFileFdIsShownAsARegisteredIndex) {
  io_uring_sqe sqe = make_sqe(IORING_OP_WRITE_FIXED, 1, IOSQE_FIXED_FILE);
  sqe.fd = 3;
  sqe.off = 8192;
  const std::vector<Field> fields = decode_sqe(sqe, 0);
  EXPECT_EQ(find_field(fields, "flags")->value, "FIXED_FILE");
  EXPECT_EQ(find_field(fields, "fd")->value, "3");
  EXPECT_EQ(note_of(fields, "fd"), "fixed file 3, an index into the registered file table");
  EXPECT_EQ(note_of(fields, "off"), "file offset");
}

TEST(DecodeSqe, NopInjectResultShowsLenAsTheResult) {
  io_uring_sqe sqe = make_sqe(IORING_OP_NOP, 7);
  sqe.nop_flags = IORING_NOP_INJECT_RESULT | IORING_NOP_FILE;
  sqe.len = static_cast<uint32_t>(-EINVAL);
  sqe.fd = 9;
  const std::vector<Field> fields = decode_sqe(sqe, 0);
  EXPECT_EQ(names_values(fields), (std::vector<NameValue>{{"opcode", "NOP"},
                                                          {"flags", "0"},
                                                          {"user_data", "0x7"},
                                                          {"nop_flags", "INJECT_RESULT|FILE"},
                                                          {"len", "-22"},
                                                          {"fd", "9"}}));
  EXPECT_EQ(note_of(fields, "len"), "injected result, EINVAL");
}

TEST(DecodeSqe, NopFlagsUnknownBitsAreHex) {
  io_uring_sqe sqe = make_sqe(IORING_OP_NOP, 0);
  sqe.nop_flags = IORING_NOP_TW | 0x100;
  EXPECT_EQ(find_field(decode_sqe(sqe, 0), "nop_flags")->value, "TW|0x100");
}

TEST(DecodeSqe, PlainNopShowsOnlyWhatIsSet) {
  io_uring_sqe sqe = make_sqe(IORING_OP_NOP, 1);
  EXPECT_EQ(fields_line(decode_sqe(sqe, 0)), "opcode=NOP flags=0 user_data=0x1 nop_flags=0");
}

TEST(DecodeSqe, ReadvAndWritevDescribeTheIovecArray) {
  for (uint8_t op : {uint8_t{IORING_OP_READV}, uint8_t{IORING_OP_WRITEV}}) {
    io_uring_sqe sqe = make_sqe(op, 2);
    sqe.fd = 4;
    sqe.addr = 0x20000;
    sqe.len = 3;
    const std::vector<Field> fields = decode_sqe(sqe, 0);
    EXPECT_EQ(find_field(fields, "addr")->value, "0x20000");
    EXPECT_EQ(note_of(fields, "addr"), "iovec array");
    EXPECT_EQ(find_field(fields, "len")->value, "3");
    EXPECT_EQ(note_of(fields, "len"), "iovec count");
    EXPECT_NE(find_field(fields, "rw_flags"), nullptr);
  }
}

TEST(DecodeSqe, FsyncShowsDatasyncAndTheRange) {
  io_uring_sqe sqe = make_sqe(IORING_OP_FSYNC, 3);
  sqe.fd = 6;
  sqe.fsync_flags = IORING_FSYNC_DATASYNC;
  sqe.off = 4096;
  sqe.len = 100;
  const std::vector<Field> fields = decode_sqe(sqe, 0);
  EXPECT_EQ(names_values(fields), (std::vector<NameValue>{{"opcode", "FSYNC"},
                                                          {"flags", "0"},
                                                          {"user_data", "0x3"},
                                                          {"fd", "6"},
                                                          {"fsync_flags", "DATASYNC"},
                                                          {"off", "4096"},
                                                          {"len", "100"}}));
  EXPECT_EQ(note_of(fields, "off"), "range start");
}

TEST(DecodeSqe, EachFamilyNamesItsFlagsWord) {
  // The word at byte 28 is a union; each opcode reads it as its own member.
  const std::vector<std::pair<uint8_t, const char*>> expected = {
      {IORING_OP_NOP, "nop_flags"},
      {IORING_OP_READV, "rw_flags"},
      {IORING_OP_FSYNC, "fsync_flags"},
      {IORING_OP_POLL_ADD, "poll32_events"},
      {IORING_OP_SYNC_FILE_RANGE, "sync_range_flags"},
      {IORING_OP_SENDMSG, "msg_flags"},
      {IORING_OP_RECVMSG, "msg_flags"},
      {IORING_OP_TIMEOUT, "timeout_flags"},
      {IORING_OP_TIMEOUT_REMOVE, "timeout_flags"},
      {IORING_OP_LINK_TIMEOUT, "timeout_flags"},
      {IORING_OP_ACCEPT, "accept_flags"},
      {IORING_OP_ASYNC_CANCEL, "cancel_flags"},
      {IORING_OP_OPENAT, "open_flags"},
      {IORING_OP_STATX, "statx_flags"},
      {IORING_OP_FADVISE, "fadvise_advice"},
      {IORING_OP_MADVISE, "fadvise_advice"},
      {IORING_OP_SEND, "msg_flags"},
      {IORING_OP_RECV, "msg_flags"},
      {IORING_OP_SPLICE, "splice_flags"},
      {IORING_OP_TEE, "splice_flags"},
      {IORING_OP_RENAMEAT, "rename_flags"},
      {IORING_OP_UNLINKAT, "unlink_flags"},
      {IORING_OP_LINKAT, "hardlink_flags"},
      {IORING_OP_MSG_RING, "msg_ring_flags"},
      {IORING_OP_FSETXATTR, "xattr_flags"},
      {IORING_OP_GETXATTR, "xattr_flags"},
      {IORING_OP_URING_CMD, "uring_cmd_flags"},
      {IORING_OP_SEND_ZC, "msg_flags"},
      {IORING_OP_WAITID, "waitid_flags"},
      {IORING_OP_FUTEX_WAIT, "futex_flags"},
      {IORING_OP_FIXED_FD_INSTALL, "install_fd_flags"},
      {IORING_OP_PIPE, "pipe_flags"},
      {IORING_OP_READ_FIXED, "rw_flags"},
      {IORING_OP_WRITEV_FIXED, "rw_flags"},
  };
  for (const auto& [op, member] : expected) {
    io_uring_sqe sqe = make_sqe(op, 1);
    sqe.rw_flags = 1;
    const std::vector<Field> fields = decode_sqe(sqe, 0);
    const Field* f = find_field(fields, member);
    ASSERT_NE(f, nullptr) << opcode_name(op) << " should show " << member << ": " << fields_line(fields);
    EXPECT_EQ(f->raw, 1u) << opcode_name(op);
  }
}

TEST(DecodeSqe, FlagsWordsAreDecodedInTheirOpcodesTerms) {
  io_uring_sqe t = make_sqe(IORING_OP_TIMEOUT, 1);
  t.timeout_flags = IORING_TIMEOUT_ABS | IORING_TIMEOUT_BOOTTIME;
  t.off = 4;
  t.len = 1;
  t.addr = 0x5000;
  std::vector<Field> tf = decode_sqe(t, 0);
  EXPECT_EQ(find_field(tf, "timeout_flags")->value, "ABS|BOOTTIME");
  EXPECT_EQ(note_of(tf, "off"), "completions to wait for, 0: pure timer");

  io_uring_sqe p = make_sqe(IORING_OP_POLL_ADD, 1);
  p.poll32_events = 0x1 | 0x4 | 0x80000000u;  // POLLIN | POLLOUT | EPOLLET
  p.len = IORING_POLL_ADD_MULTI;
  std::vector<Field> pf = decode_sqe(p, 0);
  EXPECT_EQ(find_field(pf, "poll32_events")->value, "POLLIN|POLLOUT|EPOLLET");
  EXPECT_EQ(find_field(pf, "len")->value, "ADD_MULTI");

  io_uring_sqe s = make_sqe(IORING_OP_SEND, 1);
  s.msg_flags = 0x4000 | 0x8000;  // MSG_NOSIGNAL | MSG_MORE
  s.ioprio = IORING_RECVSEND_POLL_FIRST;
  std::vector<Field> sf = decode_sqe(s, 0);
  EXPECT_EQ(find_field(sf, "msg_flags")->value, "MSG_NOSIGNAL|MSG_MORE");
  EXPECT_EQ(find_field(sf, "ioprio")->value, "POLL_FIRST");

  io_uring_sqe o = make_sqe(IORING_OP_OPENAT, 1);
  o.fd = -100;
  o.open_flags = 02 | 0100 | 02000000;  // O_RDWR | O_CREAT | O_CLOEXEC
  o.len = 0644;
  std::vector<Field> of = decode_sqe(o, 0);
  EXPECT_EQ(find_field(of, "open_flags")->value, "O_RDWR|O_CREAT|O_CLOEXEC");
  EXPECT_EQ(note_of(of, "fd"), "AT_FDCWD");
  EXPECT_EQ(find_field(of, "len")->value, "0644");
  EXPECT_EQ(find_field(of, "file_index")->note, "0: install a normal fd");
}

TEST(DecodeSqe, SqeFlagsAreNamedAndUnknownBitsShownAsHex) {
  EXPECT_EQ(sqe_flag_names(0), "0");
  EXPECT_EQ(sqe_flag_names(0x7f), "FIXED_FILE|IO_DRAIN|IO_LINK|IO_HARDLINK|ASYNC|BUFFER_SELECT|CQE_SKIP_SUCCESS");
  EXPECT_EQ(sqe_flag_names(IOSQE_IO_LINK | 0x80), "IO_LINK|0x80");
  io_uring_sqe sqe = make_sqe(IORING_OP_NOP, 1, 0x80);
  EXPECT_EQ(find_field(decode_sqe(sqe, 0), "flags")->value, "0x80");
}

TEST(DecodeSqe, UnknownOpcodeIsShownAsSuch) {
  io_uring_sqe sqe = make_sqe(250, 9);
  sqe.len = 5;
  const std::vector<Field> fields = decode_sqe(sqe, 0);
  EXPECT_EQ(fields[0].name, "opcode");
  EXPECT_EQ(fields[0].value, "250");
  EXPECT_EQ(fields[0].note, "unknown opcode; Linux 6.18 has 0..62");
  // Nothing is read for an unknown opcode, so non-zero fields appear under generic names.
  EXPECT_EQ(find_field(fields, "len")->value, "0x5");
  EXPECT_EQ(opcode_name(IORING_OP_LAST), nullptr);
  EXPECT_STREQ(opcode_name(IORING_OP_PIPE), "PIPE");
}

TEST(DecodeSqe, NonZeroFieldsTheOpcodeIgnoresAreStillShown) {
  io_uring_sqe sqe = make_sqe(IORING_OP_NOP, 1);
  sqe.ioprio = 1;
  sqe.personality = 3;
  sqe.addr3 = 0xdead;
  const std::vector<Field> fields = decode_sqe(sqe, 0);
  EXPECT_EQ(find_field(fields, "ioprio")->note, "must be 0: NOP takes no ioprio, else EINVAL");
  EXPECT_EQ(find_field(fields, "personality")->value, "3");
  EXPECT_EQ(find_field(fields, "addr3")->value, "0xdead");
  EXPECT_EQ(find_field(fields, "addr3")->note, "not used by NOP");
}

TEST(DecodeSqe, UringCmdPayloadGrowsWithSqe128) {
  uint8_t bytes[128] = {};
  io_uring_sqe sqe = make_sqe(IORING_OP_URING_CMD, 1);
  sqe.cmd_op = 0x1234;
  std::memcpy(bytes, &sqe, 64);
  bytes[48] = 0xaa;
  bytes[127] = 0xbb;
  io_uring_sqe head;
  std::memcpy(&head, bytes, 64);
  const std::vector<Field> small = decode_sqe(head, 0);
  EXPECT_EQ(find_field(small, "cmd")->value, "aa000000000000000000000000000000");
  EXPECT_EQ(find_field(small, "cmd_op")->value, "0x1234");
  const std::vector<Field> big = decode_sqe(head, IORING_SETUP_SQE128, bytes + 64);
  EXPECT_EQ(find_field(big, "cmd")->value.size(), 160u);
  EXPECT_EQ(find_field(big, "cmd")->value.substr(158), "bb");
  EXPECT_EQ(find_field(big, "cmd")->note, "80 bytes of command payload");
}

TEST(DecodeSqe, EveryOpcodeDecodesWithItsName) {
  for (unsigned op = 0; op < IORING_OP_LAST; ++op) {
    io_uring_sqe sqe = make_sqe(static_cast<uint8_t>(op), 0xff);
    std::memset(reinterpret_cast<uint8_t*>(&sqe) + 2, 0x11, 30);  // junk in every field
    const std::vector<Field> fields = decode_sqe(sqe, 0);
    ASSERT_FALSE(fields.empty());
    EXPECT_EQ(fields[0].value, opcode_name(static_cast<uint8_t>(op)));
    // No field appears twice.
    for (size_t i = 0; i < fields.size(); ++i)
      for (size_t j = i + 1; j < fields.size(); ++j)
        EXPECT_NE(fields[i].name, fields[j].name) << opcode_name(static_cast<uint8_t>(op));
  }
}

TEST(DecodeSqe, RoundTripsThroughHex) {
  io_uring_sqe sqe = make_sqe(IORING_OP_READ_FIXED, 0x1122334455667788, IOSQE_IO_LINK);
  sqe.fd = 3;
  sqe.addr = 0x7f3a2000;
  sqe.len = 8192;
  sqe.buf_index = 1;
  std::string text;
  const auto* p = reinterpret_cast<const uint8_t*>(&sqe);
  for (size_t i = 0; i < sizeof sqe; ++i) text += strprintf("%02x ", p[i]);
  std::string error;
  std::optional<std::vector<uint8_t>> bytes = parse_hex(text, &error);
  ASSERT_TRUE(bytes) << error;
  ASSERT_EQ(bytes->size(), 64u);
  io_uring_sqe back;
  std::memcpy(&back, bytes->data(), 64);
  EXPECT_EQ(fields_line(decode_sqe(back, 0)), fields_line(decode_sqe(sqe, 0)));
  EXPECT_EQ(fields_line(decode_sqe(back, 0)),
            "opcode=READ_FIXED flags=IO_LINK user_data=0x1122334455667788 fd=3 off=0 (file offset) "
            "addr=0x7f3a2000 (user address inside the registered buffer) len=8192 (bytes) "
            "buf_index=1 (registered buffer) rw_flags=0 ioprio=0 (default I/O priority)");
}

TEST(DecodeCqe, ResIsANumberAndAnErrnoName) {
  io_uring_cqe cqe{};
  cqe.user_data = 0x10;
  cqe.res = -EFAULT;
  const std::vector<Field> fields = decode_cqe(cqe, false);
  EXPECT_EQ(fields_line(fields), "user_data=0x10 res=-14 (EFAULT) flags=0");
  cqe.res = 4096;
  EXPECT_EQ(fields_line(decode_cqe(cqe, false)), "user_data=0x10 res=4096 flags=0");
}

TEST(DecodeCqe, FlagsAreNamedAndTheBufferIdSplitOut) {
  io_uring_cqe cqe{};
  cqe.flags = IORING_CQE_F_BUFFER | IORING_CQE_F_MORE | (7u << IORING_CQE_BUFFER_SHIFT);
  const std::vector<Field> fields = decode_cqe(cqe, false);
  EXPECT_EQ(find_field(fields, "flags")->value, "F_BUFFER|F_MORE");
  EXPECT_EQ(find_field(fields, "bid")->value, "7");
  EXPECT_EQ(cqe_flag_names(IORING_CQE_F_SOCK_NONEMPTY | IORING_CQE_F_NOTIF | IORING_CQE_F_BUF_MORE |
                           IORING_CQE_F_SKIP | IORING_CQE_F_32),
            "F_SOCK_NONEMPTY|F_NOTIF|F_BUF_MORE|F_SKIP|F_32");
  EXPECT_EQ(cqe_flag_names(1u << 8), "0x100");
  // Without F_BUFFER the high bits are not a buffer id: shown as unknown bits.
  io_uring_cqe plain{};
  plain.flags = 5u << 16;
  EXPECT_EQ(find_field(decode_cqe(plain, false), "flags")->value, "0x50000");
  EXPECT_EQ(find_field(decode_cqe(plain, false), "bid"), nullptr);
}

TEST(DecodeCqe, Cqe32ShowsTheBigWords) {
  alignas(16) uint8_t bytes[32] = {};
  io_uring_cqe head{};
  head.user_data = 1;
  std::memcpy(bytes, &head, 16);
  const uint64_t big[2] = {0xabc, 0xdef};
  std::memcpy(bytes + 16, big, 16);
  const auto* cqe = reinterpret_cast<const io_uring_cqe*>(bytes);
  const std::vector<Field> fields = decode_cqe(*cqe, true);
  EXPECT_EQ(find_field(fields, "big_cqe[0]")->value, "0xabc");
  EXPECT_EQ(find_field(fields, "big_cqe[1]")->value, "0xdef");
  EXPECT_EQ(find_field(decode_cqe(*cqe, false), "big_cqe[0]"), nullptr);
}

TEST(Errno, LooksUpBothWays) {
  std::optional<ErrnoInfo> e = errno_by_number(14);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->name, "EFAULT");
  EXPECT_EQ(e->description, "Bad address");
  EXPECT_EQ(errno_by_number(-22)->name, "EINVAL");
  EXPECT_EQ(errno_by_name("efault")->number, EFAULT);
  EXPECT_EQ(errno_by_name("FAULT")->number, EFAULT);
  EXPECT_EQ(errno_by_name("EXIST")->number, EEXIST);
  // The kernel's spelling wins for shared numbers; the aliases are accepted.
  EXPECT_EQ(errno_by_number(95)->name, "EOPNOTSUPP");
  EXPECT_EQ(errno_by_name("ENOTSUP")->name, "EOPNOTSUPP");
  EXPECT_EQ(errno_by_name("EWOULDBLOCK")->name, "EAGAIN");
  EXPECT_EQ(errno_by_number(EBADR)->name, "EBADR");
  EXPECT_FALSE(errno_by_number(0));
  EXPECT_FALSE(errno_by_number(4000));
  EXPECT_FALSE(errno_by_name("EBOGUS"));
  EXPECT_FALSE(errno_by_name(""));
  EXPECT_EQ(result_text(-125), "-125 (ECANCELED)");
  EXPECT_EQ(result_text(3), "3");
  EXPECT_EQ(result_text(-5000), "-5000");
}

TEST(Names, SyscallFlagWords) {
  EXPECT_EQ(setup_flag_names(IORING_SETUP_SQPOLL | IORING_SETUP_CQSIZE), "SQPOLL|CQSIZE");
  EXPECT_EQ(setup_flag_names(1u << 19), "0x80000");
  EXPECT_EQ(feature_names(0x3), "SINGLE_MMAP|NODROP");
  EXPECT_EQ(enter_flag_names(IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG), "GETEVENTS|EXT_ARG");
  EXPECT_EQ(sq_ring_flag_names(IORING_SQ_CQ_OVERFLOW), "CQ_OVERFLOW");
}

TEST(ParseHex, AcceptsTheUsualSpellings) {
  std::string error;
  const std::vector<uint8_t> want = {0x16, 0x00, 0xab};
  for (const char* text : {"16 00 ab", "1600ab", "0x1600AB", "0x16 0x00 0xab", "16:00:ab", "16,00,ab", " 16\n00\tab "}) {
    std::optional<std::vector<uint8_t>> got = parse_hex(text, &error);
    ASSERT_TRUE(got) << text << ": " << error;
    EXPECT_EQ(*got, want) << text;
  }
}

TEST(ParseHex, SaysWhatIsWrong) {
  std::string error;
  EXPECT_FALSE(parse_hex("160", &error));
  EXPECT_EQ(error, "'160' has an odd number of hex digits (3); write bytes as two digits each");
  EXPECT_FALSE(parse_hex("16 zz", &error));
  EXPECT_EQ(error, "'z' at offset 3 is not a hex digit");
  EXPECT_FALSE(parse_hex("  ", &error));
  EXPECT_EQ(error, "no bytes given");
  EXPECT_FALSE(parse_hex("0x", &error));
  EXPECT_EQ(error, "'0x' has no hex digits");
}

}  // namespace
}  // namespace uringsim::traces
