// Differential testing: run one scenario against Linux and against the simulated
// kernel, record what each side observed, compare.
//
// A scenario is a function of a `Syscalls` (which kernel) and a `Transcript` (what it
// saw). It must do exactly the same things on both sides; everything that Linux
// makes observable -- return values, errnos, params written back, CQEs, ring words --
// goes into the transcript under a key. `run_both` then compares the two
// transcripts key by key; a mismatch names the key, both values and the sim's own
// explanation (its Fault reason) of the call.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/differential/raw_ring.h"

namespace uringsim::difftest {

// ---- What the sim does not simulate: the ONE place that lists it. ----

// IORING_FEAT_* bits Linux 6.18 reports that the sim does not (yet) claim, and why.
// Params comparisons mask these out; FeaturesAreLinuxMinusNotSimulated pins the rest.
struct Exclusion {
  uint32_t bits;
  const char* why;
};
const std::vector<Exclusion>& not_simulated_features();
uint32_t not_simulated_feature_mask();

// IORING_SETUP_* bits valid on 6.18 that the sim answers with EINVAL "not simulated".
// Setup cases using them are compared only for success-or-failure (both must fail
// where Linux fails; where Linux succeeds the sim's EINVAL is expected).
const std::vector<Exclusion>& not_simulated_setup_flags();
uint32_t not_simulated_setup_mask();

// Whether the sim simulates opcode `op` (its op table has a prep for it). PROBE
// comparisons check the SUPPORTED flag of exactly these opcodes (Linux 6.18 supports
// all of 0..62); the others are compared by number only and listed in the output.
bool op_is_simulated(uint8_t op);

// ---- Transcript ----

class Transcript {
 public:
  struct Entry {
    std::string key;
    std::string value;
    std::string why;  // the side's explanation (sim Fault reason); not compared
  };

  void note(const std::string& key, int64_t value, const std::string& why = "");
  void note_str(const std::string& key, const std::string& value, const std::string& why = "");
  // Result of a call on `sys`: records the value and, when negative, sys.last_reason().
  void call(const std::string& key, int64_t ret, const Syscalls& sys);
  // Every output field of params (features masked by not_simulated_feature_mask()).
  void params(const std::string& key, const io_uring_params& p);
  // CQEs in ring order; `as_multiset` sorts them first (Linux's order is not fixed).
  void cqes(const std::string& key, std::vector<RawCqe> cqes, bool as_multiset = false);
  // sq head/tail/flags/dropped, cq head/tail/overflow.
  void counters(const std::string& key, const RawRing& ring);

  // The value recorded under `key` ("<missing>" if none).
  std::string get(const std::string& key) const;
  const std::vector<Entry>& entries() const { return entries_; }
  std::string dump() const;

 private:
  std::vector<Entry> entries_;
};

using Scenario = std::function<void(Syscalls& sys, Transcript& t)>;

struct BothSides {
  Transcript linux;
  Transcript sim;
  bool sim_ran = false;
};

// Runs `scenario` on Linux, then on a fresh simulated kernel (profile 6.18), and
// EXPECTs the transcripts equal. REQUIRES: io_uring available (see REQUIRE_IO_URING).
BothSides run_both(const Scenario& scenario);

// Compares two transcripts with gtest EXPECTs. `what` labels the failure.
void expect_same(const Transcript& linux, const Transcript& sim, const std::string& what);

// Text for a CQE list: "{ud=1 res=0 f=0} {ud=2 ...}".
std::string format_cqes(const std::vector<RawCqe>& cqes);

// Makes a NOP SQE with user_data.
void prep_nop(io_uring_sqe* sqe, uint64_t user_data, uint8_t flags = 0);
void prep_rw(io_uring_sqe* sqe, uint8_t op, int fd, uint64_t addr, uint32_t len, uint64_t off,
             uint64_t user_data);
// IORING_OP_POLL_ADD on `fd`; `flags` goes to sqe->len (IORING_POLL_ADD_MULTI, ...).
void prep_poll(io_uring_sqe* sqe, int fd, uint32_t events, uint32_t flags, uint64_t user_data);

// Submits `n` SQEs and waits at most `timeout_ms` (EXT_ARG) for `want` CQEs; records
// the enter's result as "KEY.enter" and the reaped CQEs under KEY.
void submit_and_wait(Syscalls& sys, Transcript& t, RawRing& r, const std::string& key, uint32_t n, uint32_t want,
                     int64_t timeout_ms);

}  // namespace uringsim::difftest

// Skips the test (with the errno) when the host has no usable io_uring.
#define REQUIRE_IO_URING()                                                              \
  do {                                                                                  \
    std::string why_unavailable = ::uringsim::difftest::linux_io_uring_unavailable();  \
    if (!why_unavailable.empty()) {                                                     \
      GTEST_SKIP() << "io_uring unavailable on this host: " << why_unavailable;         \
    }                                                                                   \
  } while (0)
