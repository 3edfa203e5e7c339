// RLIMIT_MEMLOCK accounting for an unprivileged user (spec A.5, C.3).
//
// The scenario runs in a forked child that becomes uid 65534 (nobody), which drops
// every capability including CAP_IPC_LOCK, so the parent keeps its own. The child
// runs the scenario on Linux and on the sim and sends both transcripts back through
// a pipe; the parent compares them.
//
// Linux frees a ring (and returns its memlock charge) asynchronously after close:
// steps expected to succeed are retried on ENOMEM for up to 2 s on the Linux side.
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "tests/differential/differential.h"

namespace uringsim::difftest {
namespace {

constexpr size_t kPage = 4096;
constexpr uid_t kNobody = 65534;

// Retries `f` while it returns -ENOMEM, on Linux only (asynchronous ring teardown).
template <typename F>
int retry_enomem(Syscalls& sys, F&& f) {
  int r = f();
  for (int i = 0; r == -ENOMEM && sys.is_linux() && i < 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    r = f();
  }
  return r;
}

void memlock_scenario(Syscalls& sys, Transcript& t, void* mem) {
  iovec iov{};
  auto reg = [&](RawRing& ring, size_t pages) {
    iov = {mem, pages * kPage};
    return ring.do_register(IORING_REGISTER_BUFFERS, &iov, 1);
  };
  auto unreg = [&](RawRing& ring) { return ring.do_register(IORING_UNREGISTER_BUFFERS, nullptr, 0); };
  io_uring_params p{};

  // setup(8) needs 2 pages: 4096 is too little, 8192 is enough.
  sys.set_memlock_limit(4096);
  {
    RawRing r(sys);
    p = {};
    int fd = r.setup(8, p);
    t.call("limit4k.setup8", fd < 0 ? fd : 0, sys);
  }
  sys.set_memlock_limit(8192);
  {
    RawRing r(sys);
    t.call("limit8k.setup8", retry_enomem(sys, [&] {
             p = {};
             int fd = r.setup(8, p);
             return fd < 0 ? fd : 0;
           }),
           sys);
  }
  // setup(1024) needs 26 pages.
  sys.set_memlock_limit(25 * kPage);
  {
    RawRing r(sys);
    p = {};
    int fd = r.setup(1024, p);
    t.call("limit25p.setup1024", fd < 0 ? fd : 0, sys);
  }
  sys.set_memlock_limit(26 * kPage);
  {
    RawRing r(sys);
    t.call("limit26p.setup1024", retry_enomem(sys, [&] {
             p = {};
             int fd = r.setup(1024, p);
             return fd < 0 ? fd : 0;
           }),
           sys);
  }

  // 64 KiB = 16 pages: the ring takes 2, buffers may take 14.
  sys.set_memlock_limit(16 * kPage);
  RawRing a(sys);
  t.call("limit64k.ring_a", retry_enomem(sys, [&] {
           p = {};
           int fd = a.setup(8, p);
           return fd < 0 ? fd : 0;
         }),
         sys);
  t.call("a.register15", reg(a, 15), sys);
  t.call("a.register14", retry_enomem(sys, [&] { return reg(a, 14); }), sys);
  t.call("a.unregister", unreg(a), sys);
  // Two iovecs: 14 pages in total fits, 15 does not.
  iovec two[2] = {{mem, 13 * kPage}, {static_cast<char*>(mem) + 13 * kPage, 2 * kPage}};
  t.call("a.register_13_plus_2", a.do_register(IORING_REGISTER_BUFFERS, two, 2), sys);
  two[1].iov_len = kPage;
  t.call("a.register_13_plus_1", a.do_register(IORING_REGISTER_BUFFERS, two, 2), sys);
  t.call("a.unregister2", unreg(a), sys);
  // The same page twice is charged twice (no de-duplication of 4 KiB pages).
  iovec same[2] = {{mem, 7 * kPage}, {mem, 8 * kPage}};
  t.call("a.register_same_pages_7_8", a.do_register(IORING_REGISTER_BUFFERS, same, 2), sys);
  t.call("a.unregister3", unreg(a), sys);
  // Unaligned: 4 pages' worth at +100 spans 5 pages.
  iovec odd{static_cast<char*>(mem) + 100, 10 * kPage};
  t.call("a.register_unaligned_11_pages", a.do_register(IORING_REGISTER_BUFFERS, &odd, 1), sys);
  t.call("a.unregister4", unreg(a), sys);

  // The budget is per user, shared between rings.
  t.call("a.register10", reg(a, 10), sys);
  RawRing b(sys);
  t.call("ring_b", [&] {
    p = {};
    int fd = b.setup(8, p);
    return fd < 0 ? fd : 0;
  }(), sys);
  t.call("b.register3", reg(b, 3), sys);
  t.call("b.register2", reg(b, 2), sys);
  t.call("b.unregister", unreg(b), sys);
  t.call("a.unregister5", unreg(a), sys);
  t.call("b.register12", reg(b, 12), sys);
  t.call("b.register12_again_ebusy", reg(b, 12), sys);
  t.call("b.unregister2", unreg(b), sys);
  a.close();
  t.call("b.register14_after_close_a", retry_enomem(sys, [&] { return reg(b, 14); }), sys);
  t.call("b.unregister3", unreg(b), sys);

  // Lowering the limit below what is charged refuses further charges only.
  t.call("b.register4", reg(b, 4), sys);
  sys.set_memlock_limit(4 * kPage);
  RawRing c(sys);
  t.call("limit4p.ring_c", [&] {
    p = {};
    int fd = c.setup(8, p);
    return fd < 0 ? fd : 0;
  }(), sys);
  t.call("b.unregister_over_limit", unreg(b), sys);
}

// Child side: drop privileges, run both, write "<side>\t<key>\t<value>\t<why>\n" lines.
[[noreturn]] void child(int out_fd) {
  rlimit rl{16 * kPage, 64 * kPage};
  if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0) _exit(10);
  void* mem = mmap(nullptr, 16 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
  if (mem == MAP_FAILED) _exit(11);
  memset(mem, 1, 16 * kPage);
  if (setgid(kNobody) != 0 || setuid(kNobody) != 0) _exit(12);
  std::string out;
  auto emit = [&](char side, const Transcript& t) {
    for (const auto& e : t.entries()) {
      std::string why = e.why;
      for (char& ch : why) {
        if (ch == '\n' || ch == '\t') ch = ' ';
      }
      out += std::string(1, side) + "\t" + e.key + "\t" + e.value + "\t" + why + "\n";
    }
  };
  {
    LinuxSyscalls lx;
    Transcript t;
    memlock_scenario(lx, t, mem);
    emit('L', t);
  }
  if (std::unique_ptr<Syscalls> sim = make_sim_syscalls("6.18")) {
    Transcript t;
    memlock_scenario(*sim, t, mem);
    emit('S', t);
  }
  size_t off = 0;
  while (off < out.size()) {
    ssize_t n = write(out_fd, out.data() + off, out.size() - off);
    if (n <= 0) _exit(13);
    off += n;
  }
  _exit(0);
}

TEST(Memlock, UnprivilegedUserLimits) {
  REQUIRE_IO_URING();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    child(fds[1]);
  }
  close(fds[1]);
  std::string in;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) in.append(buf, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "child failed, status " << status << " (10 setrlimit, 11 mmap, 12 setuid, 13 pipe)";

  Transcript lx, sim;
  size_t pos = 0;
  while (pos < in.size()) {
    size_t end = in.find('\n', pos);
    std::string line = in.substr(pos, end - pos);
    pos = end + 1;
    size_t a = line.find('\t'), b = line.find('\t', a + 1), c = line.find('\t', b + 1);
    Transcript& t = line[0] == 'L' ? lx : sim;
    t.note_str(line.substr(a + 1, b - a - 1), line.substr(b + 1, c - b - 1), line.substr(c + 1));
  }
  if (getenv("URINGSIM_DIFF_DUMP")) fprintf(stderr, "--- linux\n%s", lx.dump().c_str());
  EXPECT_EQ(lx.get("limit4k.setup8"), "-12 (ENOMEM)");
  EXPECT_EQ(lx.get("limit8k.setup8"), "0");
  EXPECT_EQ(lx.get("limit25p.setup1024"), "-12 (ENOMEM)");
  EXPECT_EQ(lx.get("limit26p.setup1024"), "0");
  EXPECT_EQ(lx.get("a.register15"), "-12 (ENOMEM)");
  EXPECT_EQ(lx.get("a.register14"), "0");
  if (sim_available()) {
    ASSERT_FALSE(sim.entries().empty()) << "the sim side did not run in the child";
    expect_same(lx, sim, "memlock");
  }
}

}  // namespace
}  // namespace uringsim::difftest
