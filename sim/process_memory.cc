#include "sim/process_memory.h"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace uringsim::sim {

namespace {

constexpr uint64_t kSmallPage = 4096;
constexpr uint64_t kThpSize = 2u << 20;

// process_vm_readv/writev take at most UIO_MAXIOV remote iovecs, and each iovec may be
// as long as we like. One iovec per call is enough: the kernel copies page by page and
// reports the bytes it moved before the first unmapped page, so a short count is the
// "range crosses into a hole" signal. We split only to keep each call under the
// ssize_t return range.
constexpr size_t kMaxChunk = size_t{1} << 30;

bool transfer(pid_t pid, uint64_t addr, void* local, size_t len, bool to_remote) {
  if (len == 0) return true;
  if (addr + len < addr) return false;  // wraps: never a valid user range
  size_t done = 0;
  while (done < len) {
    size_t n = std::min(len - done, kMaxChunk);
    iovec liov{static_cast<char*>(local) + done, n};
    iovec riov{reinterpret_cast<void*>(addr + done), n};
    ssize_t r;
    do {
      r = to_remote ? process_vm_writev(pid, &liov, 1, &riov, 1, 0)
                    : process_vm_readv(pid, &liov, 1, &riov, 1, 0);
    } while (r < 0 && errno == EINTR);
    if (r != static_cast<ssize_t>(n)) return false;  // EFAULT, ESRCH, or a short copy
    done += n;
  }
  return true;
}

bool has_flag(const std::string& vm_flags, const char* code) {
  // VmFlags is a space-separated list of two-letter codes: "rd wr mr mw me ac sd".
  for (size_t i = 0; i + 1 < vm_flags.size(); i += 3) {
    if (vm_flags[i] == code[0] && vm_flags[i + 1] == code[1]) return true;
  }
  return false;
}

bool starts_with(const std::string& s, const char* prefix) {
  return s.compare(0, std::strlen(prefix), prefix) == 0;
}

}  // namespace

Backing classify_backing(const std::string& perms, const std::string& path, uint64_t inode,
                         const std::string& fs, const std::string& vm_flags,
                         uint64_t kernel_page_size) {
  // Special mappings first: GUP refuses VM_IO / VM_PFNMAP and the vDSO pages.
  if (path == "[vvar]" || path == "[vdso]" || path == "[vsyscall]" || path == "[vvar_vclock]" ||
      has_flag(vm_flags, "io") || has_flag(vm_flags, "pf")) {
    return Backing::kSpecial;
  }
  if (has_flag(vm_flags, "ht") || fs == "hugetlbfs" || kernel_page_size > kSmallPage) {
    return Backing::kHugetlb;
  }
  const bool shared = perms.size() >= 4 && perms[3] == 's';
  // Anonymous memory: no inode ([heap], [stack], [anon:name], unnamed).
  if (inode == 0) return shared ? Backing::kShmem : Backing::kAnonymous;
  if (!shared) return Backing::kPrivateFile;
  // Shared file mappings: shmem-backed objects are pinnable, disk files are not.
  // MAP_SHARED|MAP_ANONYMOUS shows up as "/dev/zero (deleted)", memfds as
  // "/memfd:NAME (deleted)", SysV segments as "/SYSV<key> (deleted)"; all live on the
  // kernel's internal shm mount, which /proc/PID/mountinfo does not list.
  // Named shared anonymous memory (PR_SET_VMA_ANON_NAME) reads "[anon_shmem:NAME]".
  if (starts_with(path, "/memfd:") || starts_with(path, "/SYSV") ||
      starts_with(path, "/dev/zero") || starts_with(path, "/dev/shm/") ||
      starts_with(path, "[anon_shmem:")) {
    return Backing::kShmem;
  }
  if (fs == "tmpfs" || fs == "shmem" || fs == "ramfs" || fs == "devtmpfs") {
    // devtmpfs holds device nodes; a shared mapping of /dev/zero was handled above,
    // other device nodes carry VM_IO/VM_PFNMAP and were classified special.
    return Backing::kShmem;
  }
  return Backing::kSharedFile;
}

ProcessMemory::ProcessMemory(pid_t pid) : pid_(pid) {}

bool ProcessMemory::read(uint64_t addr, void* dst, size_t len) {
  return transfer(pid_, addr, dst, len, false);
}

bool ProcessMemory::write(uint64_t addr, const void* src, size_t len) {
  return transfer(pid_, addr, const_cast<void*>(src), len, true);
}

bool ProcessMemory::vmas(uint64_t addr, uint64_t len, std::vector<Vma>& out) {
  out.clear();
  if (len == 0 || addr + len < addr) return false;
  if (maps_valid_ && lookup(addr, len, out)) return true;
  // A miss may be a mapping made after the last parse: look again before saying EFAULT.
  if (!refresh()) return false;
  return lookup(addr, len, out);
}

bool ProcessMemory::lookup(uint64_t addr, uint64_t len, std::vector<Vma>& out) const {
  out.clear();
  const uint64_t end = addr + len;
  auto it = std::upper_bound(maps_.begin(), maps_.end(), addr,
                             [](uint64_t a, const Vma& v) { return a < v.start; });
  if (it == maps_.begin()) return false;
  --it;
  uint64_t cur = addr;
  for (; it != maps_.end() && cur < end; ++it) {
    if (cur < it->start || cur >= it->end) return false;  // a hole
    out.push_back(*it);
    cur = it->end;
  }
  return cur >= end;
}

std::string ProcessMemory::fs_type(const std::string& dev) {
  if (!fs_types_loaded_) {
    fs_types_loaded_ = true;
    char name[64];
    std::snprintf(name, sizeof name, "/proc/%d/mountinfo", static_cast<int>(pid_));
    if (FILE* f = std::fopen(name, "re")) {
      char* line = nullptr;
      size_t cap = 0;
      // "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue"
      while (getline(&line, &cap, f) > 0) {
        char majmin[32];
        if (std::sscanf(line, "%*d %*d %31s", majmin) != 1) continue;
        const char* sep = std::strstr(line, " - ");
        if (sep == nullptr) continue;
        char type[64];
        if (std::sscanf(sep + 3, "%63s", type) != 1) continue;
        fs_types_.emplace(majmin, type);
      }
      std::free(line);
      std::fclose(f);
    }
  }
  auto it = fs_types_.find(dev);
  return it == fs_types_.end() ? std::string() : it->second;
}

bool ProcessMemory::refresh(std::string* error) {
  char name[64];
  std::snprintf(name, sizeof name, "/proc/%d/smaps", static_cast<int>(pid_));
  FILE* f = std::fopen(name, "re");
  if (f == nullptr) {
    if (error) *error = std::string(name) + ": " + std::strerror(errno);
    maps_valid_ = false;
    return false;
  }
  ++parse_count_;
  maps_.clear();
  fs_types_loaded_ = false;  // mounts may have changed too
  fs_types_.clear();

  struct Pending {
    Vma vma;
    std::string perms, dev, flags;
    uint64_t inode = 0;
    uint64_t kernel_page_size = kSmallPage;
    bool thp = false;
  };
  Pending cur;
  bool have = false;
  auto finish = [&]() {
    if (!have) return;
    const std::string fs = cur.inode == 0 ? std::string() : fs_type(cur.dev);
    cur.vma.backing = classify_backing(cur.perms, cur.vma.path, cur.inode, fs, cur.flags,
                                       cur.kernel_page_size);
    cur.vma.page_size = cur.vma.backing == Backing::kHugetlb ? cur.kernel_page_size : kSmallPage;
    cur.vma.thp_size = (cur.thp && cur.vma.backing != Backing::kHugetlb) ? kThpSize : 0;
    maps_.push_back(std::move(cur.vma));
    cur = Pending{};
    have = false;
  };

  char* line = nullptr;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, f)) > 0) {
    if (line[n - 1] == '\n') line[--n] = '\0';
    uint64_t start, end;
    char perms[8], dev[32];
    unsigned long long offset, inode;
    int path_at = -1;
    // A map line: "7f..000-7f..000 rw-s 00000000 00:01 1234    /memfd:x (deleted)".
    if (std::sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %llx %31s %llu %n", &start, &end, perms,
                    &offset, dev, &inode, &path_at) >= 6 &&
        path_at >= 0) {
      finish();
      have = true;
      cur.vma.start = start;
      cur.vma.end = end;
      cur.vma.readable = perms[0] == 'r';
      cur.vma.writable = perms[1] == 'w';
      cur.vma.path = line + path_at;
      cur.perms = perms;
      cur.dev = dev;
      cur.inode = inode;
      continue;
    }
    if (!have) continue;
    unsigned long long kb;
    if (std::sscanf(line, "KernelPageSize: %llu kB", &kb) == 1) {
      cur.kernel_page_size = kb * 1024;
    } else if (std::sscanf(line, "AnonHugePages: %llu kB", &kb) == 1 ||
               std::sscanf(line, "ShmemPmdMapped: %llu kB", &kb) == 1 ||
               std::sscanf(line, "FilePmdMapped: %llu kB", &kb) == 1) {
      if (kb > 0) cur.thp = true;
    } else if (std::strncmp(line, "VmFlags:", 8) == 0) {
      const char* p = line + 8;
      while (*p == ' ') ++p;
      cur.flags = p;
    }
  }
  finish();
  std::free(line);
  std::fclose(f);
  maps_valid_ = true;
  return true;
}

}  // namespace uringsim::sim
