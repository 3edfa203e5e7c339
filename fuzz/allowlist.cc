#include "fuzz/allowlist.h"

namespace uringsim::fuzz {

// Keep this list short and every reason specific: each entry hides real differences.
const std::vector<AllowEntry>& differential_allowlist() {
  static const std::vector<AllowEntry> list = {
      {"timeout-wallclock",
       "TIMEOUT",
       "Timeouts fire on Linux's clock while the replay runs; the model's clock only moves when the host says so, "
       "so whether a TIMEOUT/LINK_TIMEOUT has fired by the time the CQ is read is nondeterministic on Linux."},
      {"not-simulated",
       "is not simulated by uringsim yet",
       "Opcodes the model does not implement complete with -EINVAL and a reason saying so (kernel_model/opdef); "
       "Linux executes them. Each such opcode is a missing feature tracked in the model, not a fuzz finding."},
      {"wait-interrupted",
       "returned -4 (EINTR)",
       "The model never blocks: a GETEVENTS wait for completions that cannot come is answered at once "
       "(traces::SimTarget), while Linux really waits until the replayer's bounded wait interrupts it."},
      {"cannot-map-ring",
       "cannot map the ring",
       "Linux refuses to mmap rings with some flag combinations the replayer does not handle (e.g. NO_MMAP); "
       "the call itself is compared, the ring's later traffic cannot be."},
      {"sqes-not-queued",
       "SQEs cannot be queued",
       "The ring's setup failed on one side only: that difference is reported at the setup; every later enter on "
       "the missing ring would repeat it."},
  };
  return list;
}

const AllowEntry* allowed(const std::string& message) {
  for (const AllowEntry& e : differential_allowlist()) {
    if (message.find(e.contains) != std::string::npos) return &e;
  }
  return nullptr;
}

}  // namespace uringsim::fuzz
