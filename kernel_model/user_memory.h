// UserMemory: the client's address space, as the simulated kernel sees it.
//
// This is the model's copy_from_user / copy_to_user and its view of the VMAs. The
// model never dereferences a client address itself: every byte it reads or writes on
// a client's behalf goes through here, so a bad pointer becomes -EFAULT, never a
// crash. Implementations: sim::ProcessMemory (process_vm_readv/writev on a pid, the
// in-process case is the same thing on our own pid) and traces' synthetic memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace uringsim {

// What backs a mapping; decides whether Linux will long-term pin it (registered buffers).
enum class Backing : uint8_t {
  kAnonymous,    // private anonymous (incl. THP): pinnable
  kPrivateFile,  // MAP_PRIVATE of a regular file: pinned pages become anonymous copies
  kSharedFile,   // MAP_SHARED of a regular file on a disk filesystem: 6.18 refuses (-EFAULT)
  kShmem,        // tmpfs, memfd, MAP_SHARED|MAP_ANONYMOUS, SysV shm: pinnable on 6.18
  kHugetlb,      // hugetlbfs / MAP_HUGETLB: pinnable
  kSynthetic,    // declared by a trace, never touched: pinnable, contents are a seed
  kSpecial,      // [vvar], [vdso], device mappings, VM_IO/VM_PFNMAP: never pinnable
};

const char* backing_name(Backing b);

struct Vma {
  uint64_t start = 0;  // page aligned
  uint64_t end = 0;    // exclusive, page aligned
  bool readable = false;
  bool writable = false;
  Backing backing = Backing::kAnonymous;
  // Size of the pages backing this VMA: 4096, or the hugetlb page size (2 MiB, 1 GiB).
  uint64_t page_size = 4096;
  // Transparent huge pages: the size of the compound page that backs an address in this
  // VMA when THP is in use there (2 MiB), else 0. A declared property: the model charges
  // a whole compound page for any byte of it, as Linux does.
  uint64_t thp_size = 0;
  std::string path;  // file path or "[heap]", "" for anonymous
};

class UserMemory {
 public:
  virtual ~UserMemory() = default;

  // Copies `len` bytes at client address `addr` into `dst`.
  // Returns false (the caller answers -EFAULT) if any byte is not readable.
  virtual bool read(uint64_t addr, void* dst, size_t len) = 0;

  // Copies `len` bytes from `src` to client address `addr`.
  // Returns false (-EFAULT) if any byte is not writable. On false, a prefix may have
  // been written, as with Linux's copy_to_user.
  virtual bool write(uint64_t addr, const void* src, size_t len) = 0;

  // The VMAs covering [addr, addr + len), in address order, clipped to nothing: whole
  // VMAs. Returns false if any byte of the range is not mapped (a hole).
  // REQUIRES: len > 0 and addr + len does not overflow.
  virtual bool vmas(uint64_t addr, uint64_t len, std::vector<Vma>& out) = 0;
};

}  // namespace uringsim
