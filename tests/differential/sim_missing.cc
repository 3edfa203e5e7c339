// Built instead of sim_syscalls.cc while the embedded kernel (target uringsim_sim) does
// not exist yet: the suite then checks the Linux side alone.
#include "tests/differential/raw_ring.h"

namespace uringsim::difftest {

bool sim_available() { return false; }
bool sim_op_has_prep(uint8_t) { return false; }
std::unique_ptr<Syscalls> make_sim_syscalls(const char*, const Credentials*) { return nullptr; }

}  // namespace uringsim::difftest
