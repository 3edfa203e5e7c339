// Provided buffers, buffer rings, send/recv, zero-copy sends and bundles: the same
// raw-ring scenarios against Linux 6.18 and the simulated kernel (spec E, F).
//
// The embedded sim never blocks and is not woken by socket readiness, so every
// receive here finds its data already queued; every CQE is reaped after one enter
// that waits for the number of CQEs Linux posts.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "tests/differential/differential.h"
#include "tests/differential/test_files.h"

namespace uringsim::difftest {
namespace {

struct Fds {
  int a = -1, b = -1;
  ~Fds() {
    if (a >= 0) ::close(a);
    if (b >= 0) ::close(b);
  }
};

void unix_pair(Fds& f) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) abort();
  f.a = sv[0];
  f.b = sv[1];
}

// A connected TCP pair on 127.0.0.1 (a: client, b: accepted).
void tcp_pair(Fds& f) {
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t sl = sizeof sa;
  if (l < 0 || bind(l, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(l, 1) != 0 ||
      getsockname(l, reinterpret_cast<sockaddr*>(&sa), &sl) != 0)
    abort();
  f.a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect(f.a, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) abort();
  f.b = accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
  ::close(l);
  int one = 1;
  setsockopt(f.a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// Submits `n` SQEs, waits for `want` CQEs, records the enter result and the CQEs.
// The wait gives up after 300 ms (EXT_ARG timeout): a kernel that posts fewer CQEs
// than expected shows up as a transcript difference, not a hang.
void go(Syscalls& sys, Transcript& t, RawRing& r, const std::string& k, uint32_t n, uint32_t want) {
  struct {
    int64_t sec, nsec;
  } ts{0, 300 * 1000 * 1000};
  io_uring_getevents_arg arg{};
  arg.ts = reinterpret_cast<uint64_t>(&ts);
  int ret = r.enter(n, want, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg);
  // Submitted everything but the wait timed out: note it apart from the count.
  t.call(k + ".enter", ret, sys);
  t.cqes(k, r.reap());
}

int reg_ring(RawRing& r, uint64_t ring_addr, uint32_t entries, uint16_t bgid, uint16_t flags = 0,
             uint32_t nr = 1) {
  io_uring_buf_reg reg{};
  reg.ring_addr = ring_addr;
  reg.ring_entries = entries;
  reg.bgid = bgid;
  reg.flags = flags;
  return r.do_register(IORING_REGISTER_PBUF_RING, &reg, nr);
}

void ring_put(std::byte* ring, uint32_t slot, uint64_t addr, uint32_t len, uint16_t bid) {
  io_uring_buf e{addr, len, bid, 0};
  memcpy(ring + 16 * slot, &e, 14);
}
void ring_tail(std::byte* ring, uint16_t tail) { __atomic_store_n(reinterpret_cast<uint16_t*>(ring + 14), tail, __ATOMIC_RELEASE); }

std::string text(const std::byte* p, size_t n) { return std::string(reinterpret_cast<const char*>(p), n); }

std::string drain(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

struct TempFile {
  std::string path;
  int fd = -1;
  explicit TempFile(const char* tag) {
    path = std::string("/tmp/uringsim-kbuf-") + std::to_string(getpid()) + "-" + tag;
    fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const char* s = "abcdefghijklmnopqrstuvwxyz0123456789";
    if (write(fd, s, strlen(s)) != static_cast<ssize_t>(strlen(s))) abort();
  }
  ~TempFile() {
    ::close(fd);
    unlink(path.c_str());
  }
};

TEST(KbufNetDiff, LegacyProvidedBuffersOnFileReads) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    TempFile f(sys.name());
    AnonPages m(4 * 4096);
    RawRing r(sys);
    io_uring_params p{};
    ASSERT_GE(r.setup(8, p), 0);
    io_uring_sqe* s = prep_sqe(r, IORING_OP_PROVIDE_BUFFERS, 1, 3, m.addr(), 10, 0);
    s->off = 7;
    s->buf_group = 4;
    go(sys, t, r, "provide", 1, 1);
    for (uint64_t ud = 2; ud <= 5; ++ud) {
      io_uring_sqe* q = prep_sqe(r, IORING_OP_READ, ud, f.fd, 0, ud == 3 ? 4 : 0, IOSQE_BUFFER_SELECT);
      q->buf_group = 4;
    }
    go(sys, t, r, "reads", 4, 4);
    t.note_str("bytes", text(m.p, 24));
    // Errors, one batch each (a failed prep ends its batch).
    auto bad = [&](const std::string& k, int nbufs, uint32_t len, uint64_t bid, uint8_t flags = 0) {
      io_uring_sqe* q = prep_sqe(r, IORING_OP_PROVIDE_BUFFERS, 9, nbufs, m.addr(), len, flags);
      q->off = bid;
      q->buf_group = 1;
      go(sys, t, r, k, 1, 1);
    };
    bad("nbufs0", 0, 10, 0);
    bad("nbufs65537", 65537, 10, 0);
    bad("len0", 1, 0, 0);
    bad("bid_wrap", 2, 10, 65535);
    bad("bid_big", 1, 10, 65536);
    bad("select", 1, 10, 0, IOSQE_BUFFER_SELECT);
    prep_sqe(r, IORING_OP_PROVIDE_BUFFERS, 10, 5, m.addr(), 10, 0)->buf_group = 6;
    prep_sqe(r, IORING_OP_REMOVE_BUFFERS, 11, 3, 0, 0)->buf_group = 6;
    prep_sqe(r, IORING_OP_REMOVE_BUFFERS, 12, 10, 0, 0)->buf_group = 6;
    prep_sqe(r, IORING_OP_REMOVE_BUFFERS, 13, 1, 0, 0)->buf_group = 99;
    go(sys, t, r, "remove", 4, 4);
  });
}

TEST(KbufNetDiff, BufferRingRegistrationStatusAndSelection) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    TempFile f(sys.name());
    AnonPages ring(4096), data(4 * 4096), ring2(4096);
    RawRing r(sys);
    io_uring_params p{};
    ASSERT_GE(r.setup(8, p), 0);
    t.call("nr2", reg_ring(r, ring.addr(), 8, 1, 0, 2), sys);
    t.call("pow2", reg_ring(r, ring.addr(), 6, 1), sys);
    t.call("big", reg_ring(r, ring.addr(), 65536, 1), sys);
    t.call("flag", reg_ring(r, ring.addr(), 8, 1, 4), sys);
    t.call("null", reg_ring(r, 0, 8, 1), sys);
    t.call("unaligned", reg_ring(r, ring.addr(16), 8, 1), sys);
    t.call("ok", reg_ring(r, ring.addr(), 4, 1), sys);
    t.call("exists", reg_ring(r, ring2.addr(), 4, 1), sys);
    t.call("mmap", reg_ring(r, 0, 8, 2, IOU_PBUF_RING_MMAP), sys);
    ring_put(ring.p, 0, data.addr(), 8, 100);
    ring_put(ring.p, 1, data.addr(100), 8, 101);
    ring_tail(ring.p, 2);
    prep_sqe(r, IORING_OP_READ, 1, f.fd, 0, 0, IOSQE_BUFFER_SELECT)->buf_group = 1;
    prep_sqe(r, IORING_OP_READ, 2, f.fd, 0, 4, IOSQE_BUFFER_SELECT)->buf_group = 1;
    prep_sqe(r, IORING_OP_READ, 3, f.fd, 0, 0, IOSQE_BUFFER_SELECT)->buf_group = 1;
    go(sys, t, r, "reads", 3, 3);
    io_uring_buf_status st{};
    st.buf_group = 1;
    t.call("status", r.do_register(IORING_REGISTER_PBUF_STATUS, &st, 1), sys);
    t.note("status.head", st.head);
    st = {};
    st.buf_group = 77;
    t.call("status.missing", r.do_register(IORING_REGISTER_PBUF_STATUS, &st, 1), sys);
    prep_sqe(r, IORING_OP_PROVIDE_BUFFERS, 4, 1, data.addr(), 8, 0)->buf_group = 1;
    go(sys, t, r, "provide_into_ring", 1, 1);
    prep_sqe(r, IORING_OP_PROVIDE_BUFFERS, 5, 1, data.addr(), 8, 0)->buf_group = 3;
    go(sys, t, r, "provide_legacy", 1, 1);
    io_uring_buf_reg u{};
    u.bgid = 3;
    t.call("unreg.legacy", r.do_register(IORING_UNREGISTER_PBUF_RING, &u, 1), sys);
    u.bgid = 9;
    t.call("unreg.missing", r.do_register(IORING_UNREGISTER_PBUF_RING, &u, 1), sys);
    u.bgid = 1;
    t.call("unreg", r.do_register(IORING_UNREGISTER_PBUF_RING, &u, 1), sys);
    t.call("unreg.again", r.do_register(IORING_UNREGISTER_PBUF_RING, &u, 1), sys);
  });
}

TEST(KbufNetDiff, IncrementalRingOnASocket) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    Fds s;
    unix_pair(s);
    AnonPages ring(4096), data(4096);
    RawRing r(sys);
    io_uring_params p{};
    ASSERT_GE(r.setup(8, p), 0);
    t.call("reg", reg_ring(r, ring.addr(), 4, 5, IOU_PBUF_RING_INC), sys);
    ring_put(ring.p, 0, data.addr(), 25, 9);
    ring_tail(ring.p, 1);
    for (int i = 0; i < 4; ++i) {
      if (i < 3 && send(s.a, "0123456789", 10, 0) != 10) abort();
      prep_sqe(r, IORING_OP_RECV, 1, s.b, 0, 10, IOSQE_BUFFER_SELECT)->buf_group = 5;
      go(sys, t, r, "recv" + std::to_string(i), 1, 1);
    }
    io_uring_buf e{};
    memcpy(&e, ring.p, 12);
    t.note("entry.off", static_cast<int64_t>(e.addr - data.addr()));
    t.note("entry.len", e.len);
    t.note_str("bytes", text(data.p, 25));
  });
}

TEST(KbufNetDiff, SendRecvOnSocketpairWithProvidedBuffers) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    Fds s;
    unix_pair(s);
    AnonPages ring(4096), data(4096), out(4096);
    RawRing r(sys);
    io_uring_params p{};
    ASSERT_GE(r.setup(16, p), 0);
    memcpy(out.p, "hello world!", 12);
    prep_sqe(r, IORING_OP_SEND, 1, s.a, out.addr(), 12);
    go(sys, t, r, "send", 1, 1);
    t.call("reg", reg_ring(r, ring.addr(), 4, 1), sys);
    ring_put(ring.p, 0, data.addr(), 4, 50);
    ring_put(ring.p, 1, data.addr(64), 100, 51);
    ring_tail(ring.p, 2);
    prep_sqe(r, IORING_OP_RECV, 2, s.b, 0, 0, IOSQE_BUFFER_SELECT)->buf_group = 1;
    prep_sqe(r, IORING_OP_RECV, 3, s.b, 0, 0, IOSQE_BUFFER_SELECT)->buf_group = 1;
    go(sys, t, r, "recvs", 2, 2);
    t.note_str("bytes", text(data.p, 4) + "|" + text(data.p + 64, 8));
    prep_sqe(r, IORING_OP_SEND, 4, s.a, out.addr(), 4)->ioprio = IORING_RECVSEND_FIXED_BUF;
    go(sys, t, r, "send.fixedbuf", 1, 1);
    prep_sqe(r, IORING_OP_RECV, 5, s.b, out.addr(), 4)->ioprio = IORING_RECVSEND_FIXED_BUF;
    go(sys, t, r, "recv.fixedbuf", 1, 1);
    prep_sqe(r, IORING_OP_SEND, 6, s.a, out.addr(), 3)->ioprio = IORING_RECVSEND_BUNDLE;
    go(sys, t, r, "send.bundle_no_select", 1, 1);
    t.note_str("peer", drain(s.b));
    // Multishot recv: every buffer one CQE with F_MORE, then -ENOBUFS.
    AnonPages ring2(4096);
    t.call("reg2", reg_ring(r, ring2.addr(), 2, 2), sys);
    ring_put(ring2.p, 0, data.addr(1024), 8, 0);
    ring_put(ring2.p, 1, data.addr(1032), 8, 1);
    ring_tail(ring2.p, 2);
    if (send(s.a, "0123456789abcdefXYZ", 19, 0) != 19) abort();
    io_uring_sqe* m = prep_sqe(r, IORING_OP_RECV, 7, s.b, 0, 0, IOSQE_BUFFER_SELECT);
    m->buf_group = 2;
    m->ioprio = IORING_RECV_MULTISHOT;
    go(sys, t, r, "multishot", 1, 3);
  });
}

TEST(KbufNetDiff, SendZcTwoCqeProtocol) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    Fds tcp, ux;
    tcp_pair(tcp);
    unix_pair(ux);
    AnonPages out(4 * 4096);
    RawRing r(sys);
    io_uring_params p{};
    ASSERT_GE(r.setup(16, p), 0);
    memcpy(out.p, "zerocopy", 8);
    prep_sqe(r, IORING_OP_SEND_ZC, 1, tcp.a, out.addr(), 8);
    go(sys, t, r, "plain", 1, 2);
    prep_sqe(r, IORING_OP_SEND_ZC, 2, tcp.a, out.addr(), 8)->ioprio = IORING_SEND_ZC_REPORT_USAGE;
    go(sys, t, r, "report", 1, 2);
    prep_sqe(r, IORING_OP_SEND_ZC, 3, ux.a, out.addr(), 8);
    go(sys, t, r, "unix", 1, 2);
    prep_sqe(r, IORING_OP_SEND_ZC, 4, tcp.a, out.addr(), 8, IOSQE_BUFFER_SELECT);
    go(sys, t, r, "select", 1, 1);
    prep_sqe(r, IORING_OP_SEND_ZC, 5, tcp.a, out.addr(), 8, IOSQE_CQE_SKIP_SUCCESS);
    go(sys, t, r, "skip", 1, 1);
    prep_sqe(r, IORING_OP_SEND_ZC, 6, tcp.a, out.addr(), 8)->ioprio = IORING_RECVSEND_BUNDLE;
    go(sys, t, r, "bundle", 1, 2);
    prep_sqe(r, IORING_OP_SEND_ZC, 7, tcp.a, out.addr(), 8)->ioprio = 1 << 7;
    go(sys, t, r, "badflag", 1, 2);
    prep_sqe(r, IORING_OP_SEND_ZC, 8, tcp.a, out.addr(), 8)->ioprio = IORING_RECVSEND_FIXED_BUF;
    go(sys, t, r, "fixed.notable", 1, 2);
    iovec iov{out.p, 4 * 4096};
    t.call("regbuf", r.do_register(IORING_REGISTER_BUFFERS, &iov, 1), sys);
    memcpy(out.p + 100, "fixed!", 6);
    prep_sqe(r, IORING_OP_SEND_ZC, 9, tcp.a, out.addr(100), 6)->ioprio = IORING_RECVSEND_FIXED_BUF;
    go(sys, t, r, "fixed", 1, 2);
    prep_sqe(r, IORING_OP_SEND_ZC, 10, tcp.a, out.addr(4 * 4096 - 2), 6)->ioprio = IORING_RECVSEND_FIXED_BUF;
    go(sys, t, r, "fixed.range", 1, 2);
    io_uring_sqe* q = prep_sqe(r, IORING_OP_SEND_ZC, 11, tcp.a, out.addr(), 6);
    q->ioprio = IORING_RECVSEND_FIXED_BUF;
    q->buf_index = 1;
    go(sys, t, r, "fixed.index", 1, 2);
    usleep(20000);
    t.note_str("peer", drain(tcp.b));
  });
}

TEST(KbufNetDiff, SendAndRecvBundles) {
  REQUIRE_IO_URING();
  run_both([](Syscalls& sys, Transcript& t) {
    Fds s;
    unix_pair(s);
    AnonPages ring(4 * 4096), data(4 * 4096);
    RawRing r(sys);
    io_uring_params p{};
    ASSERT_GE(r.setup(16, p), 0);
    for (int i = 0; i < 1000; ++i) data.p[i] = static_cast<std::byte>('a' + i % 26);
    // 4 x 100, len 0: one CQE for all of them.
    t.call("reg1", reg_ring(r, ring.addr(), 8, 1), sys);
    for (uint32_t i = 0; i < 4; ++i) ring_put(ring.p, i, data.addr(100 * i), 100, static_cast<uint16_t>(i));
    ring_tail(ring.p, 4);
    io_uring_sqe* q = prep_sqe(r, IORING_OP_SEND, 1, s.a, 0, 0, IOSQE_BUFFER_SELECT);
    q->buf_group = 1;
    q->ioprio = IORING_RECVSEND_BUNDLE;
    go(sys, t, r, "all", 1, 1);
    t.note("peer1", static_cast<int64_t>(drain(s.b).size()));
    // 4 x 100, len 250: a CQE with F_MORE per pass.
    t.call("reg2", reg_ring(r, ring.addr(4096), 8, 2), sys);
    for (uint32_t i = 0; i < 4; ++i) ring_put(ring.p + 4096, i, data.addr(100 * i), 100, static_cast<uint16_t>(4 + i));
    ring_tail(ring.p + 4096, 4);
    q = prep_sqe(r, IORING_OP_SEND, 2, s.a, 0, 250, IOSQE_BUFFER_SELECT);
    q->buf_group = 2;
    q->ioprio = IORING_RECVSEND_BUNDLE;
    go(sys, t, r, "len250", 1, 2);
    t.note("peer2", static_cast<int64_t>(drain(s.b).size()));
    // 6 x 100, len 150: does each pass keep the cap?
    t.call("reg3", reg_ring(r, ring.addr(8192), 8, 3), sys);
    for (uint32_t i = 0; i < 6; ++i) ring_put(ring.p + 8192, i, data.addr(100 * i), 100, static_cast<uint16_t>(10 + i));
    ring_tail(ring.p + 8192, 6);
    q = prep_sqe(r, IORING_OP_SEND, 3, s.a, 0, 150, IOSQE_BUFFER_SELECT);
    q->buf_group = 3;
    q->ioprio = IORING_RECVSEND_BUNDLE;
    go(sys, t, r, "len150", 1, 6);
    t.note("peer3", static_cast<int64_t>(drain(s.b).size()));
    // Receive bundle: 300 bytes queued, 64-byte buffers.
    t.call("reg4", reg_ring(r, ring.addr(12288), 8, 4), sys);
    for (uint32_t i = 0; i < 8; ++i) ring_put(ring.p + 12288, i, data.addr(4096 + 64 * i), 64, static_cast<uint16_t>(100 + i));
    ring_tail(ring.p + 12288, 8);
    if (send(s.a, data.p, 300, 0) != 300) abort();
    q = prep_sqe(r, IORING_OP_RECV, 4, s.b, 0, 0, IOSQE_BUFFER_SELECT);
    q->buf_group = 4;
    q->ioprio = IORING_RECVSEND_BUNDLE;
    go(sys, t, r, "recv", 1, 1);
    t.note_str("recv.bytes", text(data.p + 4096, 256));
  });
}

}  // namespace
}  // namespace uringsim::difftest
