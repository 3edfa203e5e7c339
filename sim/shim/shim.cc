// libiouringsim.so: see sim/shim/iouringsim.h for what it is and what it is not.
//
// syscall(2) is interposed for 425/426/427 (everything else goes to libc's), and so is
// mmap(2) for one case: IORING_OFF_CQ_RING of a single-mmap ring, which a memfd cannot
// alias onto its IORING_OFF_SQ_RING pages (sim/ring_memory.h). Linux maps the rings
// region again there; we answer with the program's existing IORING_OFF_SQ_RING mapping,
// as `uringsim run` does (sim/capture.h).
//
// With URINGSIM_SOCKET set, none of that: on the first io_uring call the process
// attaches itself to that `uringsim serve` -- it installs the capture's seccomp filter
// (sim/seccomp_filter.h, on every thread) and sends the listener in a hello
// (sim/channel.h) -- and from then on every call is the raw syscall, which the filter
// turns into a notification for the server, exactly as under `uringsim attach`.
#include "sim/shim/iouringsim.h"

#include <dlfcn.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

#include "sim/channel.h"
#include "sim/embedded.h"
#include "sim/seccomp_filter.h"
#include "uapi/io_uring.h"

namespace {

using uringsim::sim::EmbeddedKernel;

// One lock for every call. Recursive: inside setup the model mmaps the ring's memfd
// through our mmap below.
std::recursive_mutex& lock() {
  static std::recursive_mutex m;
  return m;
}

// Where each ring fd's IORING_OFF_SQ_RING region is mapped, and whether it is single-mmap.
struct RingFd {
  bool single_mmap = false;
  void* rings = nullptr;
  size_t rings_len = 0;
};
std::unordered_map<int, RingFd>& ring_fds() {
  static std::unordered_map<int, RingFd> m;
  return m;
}

// The simulated kernel of this process, built on first use and never destroyed (rings
// live until exit, as a process's io_uring instances do).
//
// fork(): the model reaches "its" process's memory by pid, so a child must not keep
// using the parent's kernel -- it would read and write the parent. The child starts
// with a fresh kernel (the parent's is leaked there): rings created before the fork are
// not shared with the child as they are on Linux; in the child their fds are not rings.
EmbeddedKernel* g_kernel = nullptr;
void forget_parent_kernel() {
  g_kernel = nullptr;
  ring_fds().clear();
}
EmbeddedKernel* kernel() {
  if (g_kernel == nullptr) {
    static const bool registered = [] { return pthread_atfork(nullptr, nullptr, forget_parent_kernel) == 0; }();
    (void)registered;
    g_kernel = new EmbeddedKernel();
  }
  return g_kernel;
}

using SyscallFn = long (*)(long, ...);
using MmapFn = void* (*)(void*, size_t, int, int, int, off_t);

SyscallFn real_syscall() {
  static SyscallFn f = reinterpret_cast<SyscallFn>(dlsym(RTLD_NEXT, "syscall"));
  return f;
}
MmapFn real_mmap() {
  static MmapFn f = reinterpret_cast<MmapFn>(dlsym(RTLD_NEXT, "mmap"));
  return f;
}

// Who answers this process's io_uring calls.
enum class Backend {
  kEmbedded,      // the in-process EmbeddedKernel
  kServer,        // the `uringsim serve` at URINGSIM_SOCKET, through the seccomp filter
  kServerMissing  // URINGSIM_SOCKET is set but attaching failed: every call is ENOSYS
};

// Attaches this process to the server at `path`. The filter is installed only once the
// server is known to be there; if the hello then fails, the listener is closed and the
// filtered calls fail with ENOSYS (seccomp's answer when nobody listens) -- as ours do.
Backend attach_to_server(const char* path) {
  std::string error;
  const int sock = uringsim::sim::connect_to_server(path, &error);
  if (sock >= 0) {
    const char* what = "";
    const int listener = uringsim::sim::install_io_uring_filter(/*all_threads=*/true, &what);
    if (listener < 0) {
      error = std::string("seccomp user notification unavailable: ") + what + ": " + std::strerror(errno);
    } else {
      const bool attached = uringsim::sim::send_attach_hello(sock, listener, getpid(), &error);
      close(listener);  // the server has its own copy now
      if (attached) {
        close(sock);
        return Backend::kServer;
      }
    }
    close(sock);
  }
  std::fprintf(stderr, "libiouringsim: URINGSIM_SOCKET=%s: %s; io_uring calls fail with ENOSYS\n", path,
               error.c_str());
  return Backend::kServerMissing;
}

// Decided on the first io_uring call; a fork()ed child inherits the decision along with
// the filter (its calls reach the same server).
Backend backend() {
  static const Backend b = [] {
    const char* path = std::getenv("URINGSIM_SOCKET");
    if (path == nullptr || *path == '\0') return Backend::kEmbedded;
    return attach_to_server(path);
  }();
  return b;
}

// The raw syscall (for the server's filter to catch), as a -errno result.
long server_call(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  const long r = real_syscall()(nr, a0, a1, a2, a3, a4, a5);
  return r < 0 ? -errno : r;
}

long libc_result(long ret) {
  if (ret < 0) {
    errno = static_cast<int>(-ret);
    return -1;
  }
  return ret;
}

long do_setup(unsigned entries, io_uring_params* p) {
  const Backend b = backend();
  if (b == Backend::kServerMissing) return -ENOSYS;
  if (b == Backend::kServer) {
    return server_call(__NR_io_uring_setup, entries, reinterpret_cast<long>(p), 0, 0, 0, 0);
  }
  std::lock_guard<std::recursive_mutex> g(lock());
  const int fd = kernel()->setup(entries, p);
  if (fd >= 0) {
    // params were validated and written by the model: this read cannot fault.
    ring_fds()[fd] = RingFd{(p->features & IORING_FEAT_SINGLE_MMAP) != 0, nullptr, 0};
  }
  return fd;
}

long do_enter(unsigned fd, unsigned to_submit, unsigned min_complete, unsigned flags,
              const void* arg, size_t argsz) {
  const Backend b = backend();
  if (b == Backend::kServerMissing) return -ENOSYS;
  if (b == Backend::kServer) {
    return server_call(__NR_io_uring_enter, fd, to_submit, min_complete, flags,
                       reinterpret_cast<long>(arg), static_cast<long>(argsz));
  }
  std::lock_guard<std::recursive_mutex> g(lock());
  return kernel()->enter(static_cast<int>(fd), to_submit, min_complete, flags, arg, argsz);
}

long do_register(unsigned fd, unsigned opcode, const void* arg, unsigned nr_args) {
  const Backend b = backend();
  if (b == Backend::kServerMissing) return -ENOSYS;
  if (b == Backend::kServer) {
    return server_call(__NR_io_uring_register, fd, opcode, reinterpret_cast<long>(arg), nr_args, 0, 0);
  }
  std::lock_guard<std::recursive_mutex> g(lock());
  return kernel()->do_register(static_cast<int>(fd), opcode, arg, nr_args);
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int io_uring_setup(unsigned int entries,
                                                          struct io_uring_params* p) {
  return static_cast<int>(libc_result(do_setup(entries, p)));
}

__attribute__((visibility("default"))) int io_uring_enter(unsigned int fd, unsigned int to_submit,
                                                          unsigned int min_complete,
                                                          unsigned int flags, sigset_t* sig) {
  return static_cast<int>(
      libc_result(do_enter(fd, to_submit, min_complete, flags, sig, sig ? _NSIG / 8 : 0)));
}

__attribute__((visibility("default"))) int io_uring_enter2(unsigned int fd, unsigned int to_submit,
                                                           unsigned int min_complete,
                                                           unsigned int flags, void* arg,
                                                           size_t argsz) {
  return static_cast<int>(libc_result(do_enter(fd, to_submit, min_complete, flags, arg, argsz)));
}

__attribute__((visibility("default"))) int io_uring_register(unsigned int fd, unsigned int opcode,
                                                             void* arg, unsigned int nr_args) {
  return static_cast<int>(libc_result(do_register(fd, opcode, arg, nr_args)));
}

__attribute__((visibility("default"))) long syscall(long nr, ...) {
  va_list ap;
  va_start(ap, nr);
  long a[6];
  for (long& x : a) x = va_arg(ap, long);
  va_end(ap);
  switch (nr) {
    case __NR_io_uring_setup:
      return libc_result(do_setup(static_cast<unsigned>(a[0]), reinterpret_cast<io_uring_params*>(a[1])));
    case __NR_io_uring_enter:
      return libc_result(do_enter(static_cast<unsigned>(a[0]), static_cast<unsigned>(a[1]),
                                  static_cast<unsigned>(a[2]), static_cast<unsigned>(a[3]),
                                  reinterpret_cast<const void*>(a[4]), static_cast<size_t>(a[5])));
    case __NR_io_uring_register:
      return libc_result(do_register(static_cast<unsigned>(a[0]), static_cast<unsigned>(a[1]),
                                     reinterpret_cast<const void*>(a[2]), static_cast<unsigned>(a[3])));
    default:
      return real_syscall()(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  }
}

__attribute__((visibility("default"))) void* mmap(void* addr, size_t len, int prot, int flags, int fd,
                                                  off_t off) {
  if (fd >= 0 && (off == static_cast<off_t>(IORING_OFF_SQ_RING) ||
                  off == static_cast<off_t>(IORING_OFF_CQ_RING))) {
    std::lock_guard<std::recursive_mutex> g(lock());
    auto it = ring_fds().find(fd);
    if (it != ring_fds().end()) {
      RingFd& r = it->second;
      if (off == static_cast<off_t>(IORING_OFF_CQ_RING) && r.single_mmap && addr == nullptr &&
          (flags & MAP_FIXED) == 0) {
        if (r.rings != nullptr && r.rings_len >= len) return r.rings;
        errno = ENOMEM;  // nothing mapped at IORING_OFF_SQ_RING yet: no pages to alias
        return MAP_FAILED;
      }
      void* p = real_mmap()(addr, len, prot, flags, fd, off);
      if (p != MAP_FAILED && off == static_cast<off_t>(IORING_OFF_SQ_RING)) {
        r.rings = p;
        r.rings_len = len;
      }
      return p;
    }
  }
  return real_mmap()(addr, len, prot, flags, fd, off);
}

__attribute__((visibility("default"))) void* mmap64(void* addr, size_t len, int prot, int flags,
                                                    int fd, off_t off) {
  return mmap(addr, len, prot, flags, fd, off);
}

}  // extern "C"
