// Fault: the one way the model says "no".
//
// Every rejection the simulated kernel makes is a Fault{err, reason}: `err` is the
// positive errno Linux returns for the same input (the ABI edge turns it into -err),
// and `reason` says in words which field and which values broke which rule. The
// check and its explanation are written in the same place so they cannot drift.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace uringsim {

struct Fault {
  int err = 0;         // positive errno, e.g. EFAULT
  std::string reason;  // "READ_FIXED: buf_index 3 >= 2 registered buffers"
};

// Result of a check that has nothing to return on success.
using Check = std::optional<Fault>;

// printf-style formatting into a std::string (the model's only formatter; g++ 12 has
// no std::format).
std::string strprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Builds a Fault; reason formatted printf-style.
Fault make_fault(int err, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// A uint64_t for a %llu in make_fault/strprintf (uint64_t is unsigned long here, which
// -Wformat does not accept for %llu).
inline unsigned long long ull(uint64_t v) { return v; }

// "EFAULT" for EFAULT; nullptr for numbers this table does not name.
const char* errno_name(int err);

// "-14 (EFAULT)" for a CQE res or a syscall return; "42" for non-negative values.
std::string describe_result(int64_t res);

}  // namespace uringsim
