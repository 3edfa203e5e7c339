// The simulated side of the differential tests: sim::EmbeddedKernel behind Syscalls.
#include <cerrno>
#include <memory>
#include <string>

#include "kernel_model/accounting.h"
#include "kernel_model/fault.h"
#include "kernel_model/opdef.h"
#include "kernel_model/profile.h"
#include "sim/embedded.h"
#include "tests/differential/raw_ring.h"

namespace uringsim::difftest {

namespace {

class SimSyscalls final : public Syscalls {
 public:
  explicit SimSyscalls(const Profile& profile) : kernel_(profile) {}
  SimSyscalls(const Profile& profile, const Credentials& creds) : kernel_(profile, creds) {}

  const char* name() const override { return "sim"; }
  bool is_linux() const override { return false; }
  int setup(uint32_t entries, io_uring_params* params) override {
    return kernel_.setup(entries, params);
  }
  int enter(int fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags, const void* arg,
            size_t argsz) override {
    return kernel_.enter(fd, to_submit, min_complete, flags, arg, argsz);
  }
  int do_register(int fd, uint32_t opcode, const void* arg, uint32_t nr_args) override {
    return kernel_.do_register(fd, opcode, arg, nr_args);
  }
  int close(int fd) override { return kernel_.close(fd); }
  std::string last_reason() const override {
    const Fault& f = kernel_.last_fault();
    if (f.err == 0 && f.reason.empty()) return "";
    const char* n = errno_name(f.err);
    return std::string(n ? n : std::to_string(f.err)) + ": " + f.reason;
  }
  void set_memlock_limit(uint64_t bytes) override {
    Syscalls::set_memlock_limit(bytes);
    kernel_.credentials().memlock_limit = bytes;
  }

 private:
  mutable sim::EmbeddedKernel kernel_;
};

}  // namespace

bool sim_available() { return true; }

bool sim_op_has_prep(uint8_t op) { return op < IORING_OP_LAST && opdef(op).prep != nullptr; }

std::unique_ptr<Syscalls> make_sim_syscalls(const char* profile_name, const Credentials* creds) {
  const Profile* p = find_profile(profile_name);
  if (!p) return nullptr;
  if (creds) return std::make_unique<SimSyscalls>(*p, *creds);
  return std::make_unique<SimSyscalls>(*p);
}

}  // namespace uringsim::difftest
