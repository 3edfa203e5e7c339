// Generator: seeded submission sequences, as traces.
//
// A fuzz case is a trace (ARCHITECTURE.md, "everything is a trace"). generate()
// builds one from a seed: one to three rings with odd sizes and flags, registered
// buffers and files (with and without memlock room), tagged buffer tables
// (REGISTER_BUFFERS2), their updates (BUFFERS_UPDATE) and clones between the rings
// (CLONE_BUFFERS) -- the structures they point at written into region "meta" by
// memory events, tags from fuzz/execute.h's kTagBase --, provided buffer rings, SQEs of
// every opcode with valid, edge and hostile fields (bad indices, ranges crossing a
// region's end, zero and huge lengths, bad fds, garbage flags, links and drains mixed
// with failures, CQE_SKIP_SUCCESS), CQ overflow pressure (an application that never
// consumes), then a close of every ring. Expectations are left empty: running the
// trace with replay --update fills them in.
//
// Deterministic: the same (seed, options) always gives the same trace, on every host.
#pragma once

#include <cstdint>
#include <string>

#include "traces/trace.h"

namespace uringsim::fuzz {

struct GeneratorOptions {
  std::string profile = "6.18";
  // Upper bound on the events of one sequence (setup, register, enter, close).
  int max_events = 24;
  // Bytes of the largest region; registration pins it, on Linux too (--differential).
  uint64_t big_region = 1 << 20;
  // --differential: keep every generated range inside its region. Linux's replay maps
  // the regions without guard gaps, so a range crossing a region's end would have the
  // real kernel write into whatever the replaying process has mapped next (its heap).
  bool keep_in_regions = false;
};

// The trace of sequence `seed`.
traces::Trace generate(uint64_t seed, const GeneratorOptions& options = {});

// A trace decoded from arbitrary bytes (the libFuzzer model target): the bytes drive
// the same choices generate() makes with its Rng, so every input is a valid trace.
traces::Trace generate_from_bytes(const uint8_t* data, size_t size, const GeneratorOptions& options = {});

}  // namespace uringsim::fuzz
