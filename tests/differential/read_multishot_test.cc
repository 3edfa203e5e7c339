// IORING_OP_READ_MULTISHOT (49) on pipes with provided buffers (spec E.3): one buffer
// per CQE with F_MORE, parking while the pipe is empty, ending on EOF (res 0), on an
// error, or with -ENOBUFS when the group runs dry. Same scenario against Linux and the
// embedded sim (which waits on the pipe with ppoll like Linux's poll wakeup).
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "tests/differential/differential.h"

namespace uringsim::difftest {
namespace {

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) abort();
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
  }
  void put(const char* s) {
    if (write(w, s, strlen(s)) != static_cast<ssize_t>(strlen(s))) abort();
  }
  void close_writer() {
    ::close(w);
    w = -1;
  }
};

io_uring_sqe* mshot(RawRing& r, uint64_t ud, int fd, uint16_t bgid) {
  io_uring_sqe* s = prep_sqe(r, IORING_OP_READ_MULTISHOT, ud, fd, 0, 0, IOSQE_BUFFER_SELECT);
  s->buf_group = bgid;
  return s;
}

// Submits `n` and collects CQEs until `want` have come (each wait at most 300 ms, a few
// rounds: Linux may make a multishot's final CQE visible a moment after the ones
// before it). Records the first enter's result and every CQE collected.
void go(Syscalls& sys, Transcript& t, RawRing& r, const std::string& k, uint32_t n, uint32_t want,
        bool as_multiset = false) {
  struct {
    int64_t sec, nsec;
  } ts{0, 300 * 1000 * 1000};
  io_uring_getevents_arg arg{};
  arg.ts = reinterpret_cast<uint64_t>(&ts);
  std::vector<RawCqe> got;
  for (int round = 0; round < 4; ++round) {
    const uint32_t still = want > got.size() ? want - static_cast<uint32_t>(got.size()) : 0;
    const int ret = r.enter(round == 0 ? n : 0, still, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg);
    if (round == 0) t.call(k + ".enter", ret, sys);
    for (const RawCqe& c : r.reap()) got.push_back(c);
    if (got.size() >= want) break;
  }
  t.cqes(k, got, as_multiset);
}

void provide(Syscalls& sys, Transcript& t, RawRing& r, const std::string& k, std::byte* mem, int nbufs,
             uint32_t len, uint16_t first_bid, uint16_t bgid) {
  io_uring_sqe* s = prep_sqe(r, IORING_OP_PROVIDE_BUFFERS, 500, nbufs, reinterpret_cast<uint64_t>(mem + first_bid * len),
                        len);
  s->off = first_bid;
  s->buf_group = bgid;
  go(sys, t, r, k, 1, 1);
}

std::string text(const std::byte* p, size_t n) { return std::string(reinterpret_cast<const char*>(p), n); }

void read_multishot_scenario(Syscalls& sys, Transcript& t) {
  RawRing ring(sys);
  io_uring_params p{};
  ASSERT_GE(ring.setup(16, p), 0);
  auto* mem = static_cast<std::byte*>(
      mmap(nullptr, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(mem, MAP_FAILED);

  // 1. Data already queued: 19 bytes over 8-byte buffers, then park, then the last
  //    buffer, then -ENOBUFS.
  {
    Pipe pipe;
    provide(sys, t, ring, "provide1", mem, 4, 8, 0, 1);
    pipe.put("0123456789abcdefXYZ");
    mshot(ring, 1, pipe.r, 1);
    go(sys, t, ring, "queued", 1, 3);
    t.note_str("queued.bytes", text(mem, 19));
    pipe.put("more");
    go(sys, t, ring, "woken", 0, 2);
    t.note_str("woken.bytes", text(mem + 24, 4));
    // The pipe is drained: the read waits and the empty group shows only now, when the
    // hangup wakes it (the buffer pick comes before the read).
    pipe.close_writer();
    go(sys, t, ring, "hangup", 0, 1);
  }
  // 2. EOF ends it with res 0 and no buffer.
  {
    Pipe pipe;
    provide(sys, t, ring, "provide2", mem + 4096, 3, 8, 0, 2);
    pipe.put("abc");
    mshot(ring, 2, pipe.r, 2);
    go(sys, t, ring, "before_eof", 1, 1);
    pipe.close_writer();
    go(sys, t, ring, "eof", 0, 1);
  }
  // 3. Prep and issue checks.
  {
    Pipe pipe;
    provide(sys, t, ring, "provide3", mem + 8192, 2, 8, 0, 3);
    prep_sqe(ring, IORING_OP_READ_MULTISHOT, 3, pipe.r, 0, 0)->buf_group = 3;
    go(sys, t, ring, "no_buffer_select", 1, 1);
    mshot(ring, 4, pipe.r, 3)->len = 8;
    go(sys, t, ring, "len_8", 1, 1);
    mshot(ring, 5, pipe.r, 3)->addr = reinterpret_cast<uint64_t>(mem);
    go(sys, t, ring, "addr_set", 1, 1);
    mshot(ring, 6, pipe.r, 77);
    go(sys, t, ring, "no_such_group", 1, 1);
    mshot(ring, 7, pipe.w, 3);
    go(sys, t, ring, "write_end", 1, 1);
    mshot(ring, 8, 9999, 3);
    go(sys, t, ring, "bad_fd", 1, 1);
    mshot(ring, 9, pipe.r, 3)->ioprio = 5 << 13;
    go(sys, t, ring, "bad_ioprio", 1, 1);
    std::string path = "/tmp/uringsim-mshot-" + std::to_string(getpid()) + "-" + sys.name();
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (write(fd, "regular", 7) != 7) abort();
    mshot(ring, 10, fd, 3);
    go(sys, t, ring, "regular_file", 1, 1);
    ::close(fd);
    unlink(path.c_str());
    // 4. A parked multishot read is cancelled by user_data.
    mshot(ring, 11, pipe.r, 3);
    go(sys, t, ring, "parked", 1, 0);
    prep_sqe(ring, IORING_OP_ASYNC_CANCEL, 12, -1, 11, 0);
    go(sys, t, ring, "cancel", 1, 2, /*as_multiset=*/true);
  }
  // 5. A buffer ring: each CQE commits one entry.
  {
    Pipe pipe;
    std::byte* br = mem + 3 * 4096;
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<uint64_t>(br);
    reg.ring_entries = 4;
    reg.bgid = 4;
    t.call("pbuf_ring", ring.do_register(IORING_REGISTER_PBUF_RING, &reg, 1), sys);
    for (uint16_t i = 0; i < 2; ++i) {
      io_uring_buf e{reinterpret_cast<uint64_t>(mem + 4 * 4096 + 64 * i), 5, static_cast<uint16_t>(10 + i), 0};
      memcpy(br + 16 * i, &e, 14);
    }
    __atomic_store_n(reinterpret_cast<uint16_t*>(br + 14), uint16_t{2}, __ATOMIC_RELEASE);
    pipe.put("hello world!");
    mshot(ring, 13, pipe.r, 4);
    go(sys, t, ring, "buffer_ring", 1, 3);
    t.note_str("buffer_ring.bytes", text(mem + 4 * 4096, 5) + text(mem + 4 * 4096 + 64, 5));
  }
  t.counters("end", ring);
  munmap(mem, 8 * 4096);
}

TEST(ReadMultishot, PipeWithProvidedBuffers) {
  REQUIRE_IO_URING();
  BothSides both = run_both(read_multishot_scenario);
  EXPECT_EQ(both.linux.get("no_buffer_select.cqes"), "{ud=3 res=-22 f=0x0}");
  EXPECT_EQ(both.linux.get("eof.cqes"), "{ud=2 res=0 f=0x0}");
}

}  // namespace
}  // namespace uringsim::difftest
