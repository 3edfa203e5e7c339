// ProcessMemory: a real process's address space as the model's UserMemory.
//
// The simulated kernel's copy_from_user / copy_to_user for a process identified by pid:
// bytes move with process_vm_readv / process_vm_writev, so a bad client pointer is a
// failed transfer (-EFAULT for the model), never a crash in the kernel process. The
// in-process case (EmbeddedKernel) is the same thing on our own pid: process_vm_readv
// on ourselves validates the address exactly as the kernel would.
//
// VMAs come from /proc/PID/smaps (one read gives the map lines, KernelPageSize,
// AnonHugePages and VmFlags). Parsing is slow (tens to hundreds of microseconds), so
// it happens only on the register path: the parsed list is cached, re-read when a
// lookup falls into a hole (a mapping made after the last read) and whenever the host
// calls invalidate() -- the hosts do so at the start of every io_uring_register, so a
// registration never sees a VMA list older than the syscall itself. read()/write()
// never touch the cache.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kernel_model/user_memory.h"

namespace uringsim::sim {

class ProcessMemory : public UserMemory {
 public:
  // `pid`: any thread id of the process (process_vm_* and /proc accept a tid).
  explicit ProcessMemory(pid_t pid);

  pid_t pid() const { return pid_; }
  // Uses thread `tid` of the same process from now on (the VMA cache stays: one mm).
  // The seccomp host calls it per syscall: a thread-group leader that exited before its
  // threads is a zombie without an mm, while the calling thread always has one.
  void retarget(pid_t tid) { pid_ = tid; }

  // Whole-range transfers: true only if all `len` bytes moved. len == 0 is true.
  bool read(uint64_t addr, void* dst, size_t len) override;
  bool write(uint64_t addr, const void* src, size_t len) override;
  bool vmas(uint64_t addr, uint64_t len, std::vector<Vma>& out) override;

  // Drops the cached VMA list; the next vmas() re-reads /proc/PID/smaps.
  void invalidate() { maps_valid_ = false; }

  // Reads and classifies every VMA of the process now. Returns false if
  // /proc/PID/smaps cannot be read (the process is gone); *error says why.
  bool refresh(std::string* error = nullptr);
  const std::vector<Vma>& cached_vmas() const { return maps_; }
  // How many times smaps was parsed (tests check the cache works).
  uint64_t parse_count() const { return parse_count_; }

 private:
  bool lookup(uint64_t addr, uint64_t len, std::vector<Vma>& out) const;
  // Filesystem type of a device "major:minor" from /proc/PID/mountinfo ("tmpfs", ...).
  std::string fs_type(const std::string& dev);

  pid_t pid_;
  std::vector<Vma> maps_;  // address order
  bool maps_valid_ = false;
  uint64_t parse_count_ = 0;
  std::map<std::string, std::string> fs_types_;  // "0:23" -> "tmpfs"
  bool fs_types_loaded_ = false;
};

// Classifies one VMA from what /proc/PID/smaps says about it. Exposed for tests.
//   perms: "rw-s"; path: as printed (may end in " (deleted)"); fs: filesystem type of
//   the backing device ("" for anonymous); vm_flags: the VmFlags line's two-letter codes.
Backing classify_backing(const std::string& perms, const std::string& path, uint64_t inode,
                         const std::string& fs, const std::string& vm_flags,
                         uint64_t kernel_page_size);

}  // namespace uringsim::sim
