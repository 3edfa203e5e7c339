// The differential allowlist: differences between the simulator and Linux that are by
// design. ONE list, each entry with its reason; fuzz/allowlist.cc is the list. A
// difference that matches no entry is a finding.
#pragma once

#include <string>
#include <vector>

namespace uringsim::fuzz {

struct AllowEntry {
  std::string name;       // short id, shown in reports
  std::string contains;   // a divergence message containing this substring is allowed
  std::string reason;     // why the difference is by design
};

const std::vector<AllowEntry>& differential_allowlist();
// The entry that allows `divergence_message`, or null.
const AllowEntry* allowed(const std::string& divergence_message);

}  // namespace uringsim::fuzz
