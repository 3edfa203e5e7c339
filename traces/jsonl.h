// JSON Lines form of a Trace (traces/FORMAT.md): reading with line-numbered errors,
// and writing.
//
// The reader is strict and total: any input -- truncated, malformed, from another
// version, inconsistent (an undeclared region, a duplicate fd, raw SQE bytes that
// disagree with the decoded fields) -- gives a TraceError naming the line and the
// field, never a crash or an exception escaping. Unknown fields are errors too, so a
// typo in a hand-written trace is caught rather than silently ignored.
#pragma once

#include <string>
#include <string_view>

#include "traces/trace.h"

namespace uringsim::traces {

struct TraceError {
  std::string file;   // as given to the reader
  int line = 0;       // 1-based; 0 when the file could not be opened
  std::string field;  // "sqes[1].raw"; empty when the whole line is at fault
  std::string what;   // "expected 64 or 128 bytes, got 63"

  // "FILE:LINE: field 'x': what is wrong" (one line).
  std::string message() const;
};

// Reads and validates `text` (the contents of `name`). Returns false with *err set.
bool parse_trace(std::string_view text, const std::string& name, Trace* out, TraceError* err);
bool read_trace_file(const std::string& path, Trace* out, TraceError* err);

// The trace as JSON Lines: the header, then declarations and events in order.
std::string write_trace(const Trace& trace);
// Writes atomically (a temporary file beside `path`, then rename). False with *error.
bool write_trace_file(const Trace& trace, const std::string& path, std::string* error);

}  // namespace uringsim::traces
