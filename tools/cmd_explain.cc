// uringsim explain: decode one SQE, one CQE or one errno.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel_model/fault.h"
#include "tools/commands.h"
#include "traces/decode.h"

namespace uringsim::tools {

namespace {

constexpr int kUsageError = 2;

// The bytes of HEX..., or an error line naming what is wrong.
std::optional<std::vector<uint8_t>> read_hex(const char* what, const std::vector<std::string>& args) {
  std::string text;
  for (const std::string& a : args) text += a + " ";
  std::string error;
  std::optional<std::vector<uint8_t>> bytes = traces::parse_hex(text, &error);
  if (!bytes) std::fprintf(stderr, "uringsim explain %s: bad hex: %s\n", what, error.c_str());
  return bytes;
}

int explain_sqe(const std::vector<std::string>& args) {
  std::optional<std::vector<uint8_t>> bytes = read_hex("sqe", args);
  if (!bytes) return kUsageError;
  if (bytes->size() != 64 && bytes->size() != 128) {
    std::fprintf(stderr, "uringsim explain sqe: got %zu bytes; an SQE is 64 bytes (128 on SQE128 rings)\n",
                 bytes->size());
    return kUsageError;
  }
  io_uring_sqe sqe;
  std::memcpy(&sqe, bytes->data(), sizeof sqe);
  const bool sqe128 = bytes->size() == 128;
  const auto fields = traces::decode_sqe(sqe, sqe128 ? IORING_SETUP_SQE128 : 0,
                                         sqe128 ? bytes->data() + 64 : nullptr);
  std::printf("SQE (%zu bytes)\n%s", bytes->size(), traces::fields_table(fields).c_str());
  return 0;
}

int explain_cqe(const std::vector<std::string>& args) {
  std::optional<std::vector<uint8_t>> bytes = read_hex("cqe", args);
  if (!bytes) return kUsageError;
  if (bytes->size() != 16 && bytes->size() != 32) {
    std::fprintf(stderr, "uringsim explain cqe: got %zu bytes; a CQE is 16 bytes (32 on CQE32 rings)\n",
                 bytes->size());
    return kUsageError;
  }
  alignas(16) unsigned char raw[32] = {};
  std::memcpy(raw, bytes->data(), bytes->size());
  const auto* cqe = reinterpret_cast<const io_uring_cqe*>(raw);
  const auto fields = traces::decode_cqe(*cqe, bytes->size() == 32);
  std::printf("CQE (%zu bytes)\n%s", bytes->size(), traces::fields_table(fields).c_str());
  if (cqe->res < 0) {
    if (std::optional<traces::ErrnoInfo> e = traces::errno_by_number(cqe->res))
      std::printf("  res -%d is %s: %s\n", e->number, e->name.c_str(), e->description.c_str());
  }
  return 0;
}

int explain_errno(const std::string& arg) {
  std::optional<traces::ErrnoInfo> e;
  char* end = nullptr;
  const long n = std::strtol(arg.c_str(), &end, 10);
  const bool numeric = !arg.empty() && end != nullptr && *end == '\0';
  e = numeric ? traces::errno_by_number(static_cast<int>(n)) : traces::errno_by_name(arg);
  if (!e) {
    std::fprintf(stderr, "uringsim explain errno: '%s' is not a Linux errno %s\n", arg.c_str(),
                 numeric ? "number" : "name");
    return kUsageError;
  }
  std::printf("%s = %d: %s\n", e->name.c_str(), e->number, e->description.c_str());
  std::printf("io_uring returns it as -%d: a CQE res of -%d, or io_uring_enter/setup/register "
              "returning -%d (libc: -1 with errno %s)\n",
              e->number, e->number, e->number, e->name.c_str());
  return 0;
}

}  // namespace

void add_explain_command(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("explain", "Decode one SQE, CQE or errno in io_uring's own words");
  cmd->require_subcommand(1);

  auto hex = std::make_shared<std::vector<std::string>>();
  auto* sqe = cmd->add_subcommand("sqe", "Decode a 64-byte SQE (128 bytes: an SQE128 entry) given in hex");
  sqe->add_option("hex", *hex, "the bytes, e.g. '16 00 00 00 ...' or 0x1600...")->required();
  sqe->callback([hex, exit_code]() { *exit_code = explain_sqe(*hex); });

  auto* cqe = cmd->add_subcommand("cqe", "Decode a 16-byte CQE (32 bytes: a CQE32 entry) given in hex");
  cqe->add_option("hex", *hex, "the bytes")->required();
  cqe->callback([hex, exit_code]() { *exit_code = explain_cqe(*hex); });

  auto name = std::make_shared<std::string>();
  auto* err = cmd->add_subcommand("errno", "Name an errno number, or number a name (14, -14, EFAULT, fault)");
  err->add_option("errno", *name, "number or name")->required();
  err->callback([name, exit_code]() { *exit_code = explain_errno(*name); });
  cmd->footer("Exit status: 0, or 2 when the input is not what it should be.\n"
              "Example: uringsim explain cqe 0100000000000000 f2ffffff 00000000");
}

}  // namespace uringsim::tools
