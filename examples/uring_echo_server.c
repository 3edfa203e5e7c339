/* uring_echo_server: a TCP echo server on 127.0.0.1 driven by io_uring, with its client
 * in the same program (one thread, so the output is deterministic).
 *
 * The server side: a multishot RECV with provided buffers (IORING_OP_PROVIDE_BUFFERS,
 * group 7) on the accepted socket; every receive CQE names the buffer the data landed
 * in, the server SENDs it back from that buffer and provides the buffer again when the
 * SEND completes. A TIMEOUT guards against an idle connection (the server gives up if
 * nothing arrives for 2 s). At the end ASYNC_CANCEL stops the multishot RECV and the
 * TIMEOUT.
 *
 * The client side (plain syscalls): connects, sends N messages one at a time, reads
 * each echo and checks it.
 *
 *   uring_echo_server [N]     (N messages, 1..1000, default 8)
 *
 * Prints a summary; exits 0 when every echo matched. Only liburing 2.3 API. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
  kGroup = 7,
  kNrBufs = 4,
  kBufSize = 64,
};

/* user_data tags (the low bits carry a buffer id where one is needed). */
#define UD_PROVIDE 0x100
#define UD_RECV 0x200
#define UD_SEND 0x300
#define UD_TIMEOUT 0x400
#define UD_CANCEL_RECV 0x500
#define UD_CANCEL_TIMEOUT 0x600
#define UD_KIND(ud) ((ud) & ~0xffull)

static char bufs[kNrBufs][kBufSize];

static struct io_uring_sqe *get_sqe(struct io_uring *ring) {
  struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
  if (!sqe) {
    io_uring_submit(ring);
    sqe = io_uring_get_sqe(ring);
  }
  return sqe;
}

static void provide(struct io_uring *ring, int bid, int nr) {
  struct io_uring_sqe *sqe = get_sqe(ring);
  io_uring_prep_provide_buffers(sqe, bufs[bid], kBufSize, nr, kGroup, bid);
  io_uring_sqe_set_data64(sqe, UD_PROVIDE);
}

static void arm_recv(struct io_uring *ring, int fd) {
  struct io_uring_sqe *sqe = get_sqe(ring);
  io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kGroup;
  io_uring_sqe_set_data64(sqe, UD_RECV);
}

/* Listener, connected client and accepted server sockets, all on loopback. */
static int make_pair(int *client, int *server) {
  struct sockaddr_in sa;
  socklen_t sl = sizeof sa;
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l < 0) return -1;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(l, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(l, 1) != 0 ||
      getsockname(l, (struct sockaddr *)&sa, &sl) != 0)
    return -1;
  *client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (*client < 0 || connect(*client, (struct sockaddr *)&sa, sizeof sa) != 0) return -1;
  *server = accept4(l, NULL, NULL, SOCK_CLOEXEC);
  close(l);
  if (*server < 0) return -1;
  int one = 1;
  setsockopt(*client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(*server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return 0;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 8;
  if (n < 1 || n > 1000) {
    fprintf(stderr, "usage: uring_echo_server [N]   (1 <= N <= 1000)\n");
    return 2;
  }
  int client, server;
  if (make_pair(&client, &server) != 0) {
    fprintf(stderr, "uring_echo_server: loopback sockets: %s\n", strerror(errno));
    return 1;
  }
  struct io_uring ring;
  int ret = io_uring_queue_init(16, &ring, 0);
  if (ret < 0) {
    fprintf(stderr, "uring_echo_server: io_uring_queue_init: %s\n", strerror(-ret));
    return 1;
  }

  struct __kernel_timespec idle = {2, 0};
  provide(&ring, 0, kNrBufs);
  arm_recv(&ring, server);
  struct io_uring_sqe *sqe = get_sqe(&ring);
  io_uring_prep_timeout(sqe, &idle, 0, 0);
  io_uring_sqe_set_data64(sqe, UD_TIMEOUT);
  io_uring_submit(&ring);

  int ok = 0, rearms = 0, provides = 0, timed_out = 0;
  long bytes = 0;
  unsigned bid_seen = 0; /* bit per buffer id used */
  for (int i = 0; i < n && !timed_out; i++) {
    char msg[64], echo[64];
    int len = snprintf(msg, sizeof msg, "message %d of %d", i + 1, n);
    if (send(client, msg, (size_t)len, 0) != len) {
      fprintf(stderr, "uring_echo_server: client send: %s\n", strerror(errno));
      return 1;
    }
    /* Serve until the echo has been sent back. */
    int echoed = 0;
    while (echoed < len && !timed_out) {
      struct io_uring_cqe *cqe;
      ret = io_uring_submit_and_wait(&ring, 1);
      if (ret < 0) {
        fprintf(stderr, "uring_echo_server: submit_and_wait: %s\n", strerror(-ret));
        return 1;
      }
      while (io_uring_peek_cqe(&ring, &cqe) == 0) {
        unsigned long long ud = cqe->user_data;
        int res = cqe->res;
        unsigned flags = cqe->flags;
        io_uring_cqe_seen(&ring, cqe);
        switch (UD_KIND(ud)) {
          case UD_PROVIDE:
            if (res < 0) fprintf(stderr, "uring_echo_server: PROVIDE_BUFFERS: %s\n", strerror(-res));
            provides++;
            break;
          case UD_RECV:
            if (res > 0 && (flags & IORING_CQE_F_BUFFER)) {
              int bid = (int)(flags >> IORING_CQE_BUFFER_SHIFT);
              bid_seen |= 1u << bid;
              sqe = get_sqe(&ring);
              io_uring_prep_send(sqe, server, bufs[bid], (size_t)res, 0);
              io_uring_sqe_set_data64(sqe, UD_SEND | (unsigned)bid);
            } else if (res <= 0 && res != -ENOBUFS) {
              fprintf(stderr, "uring_echo_server: RECV: %d\n", res);
              return 1;
            }
            if (!(flags & IORING_CQE_F_MORE)) {
              rearms++; /* ended (e.g. -ENOBUFS): arm it again */
              arm_recv(&ring, server);
            }
            break;
          case UD_SEND:
            if (res > 0) echoed += res;
            bytes += res > 0 ? res : 0;
            provide(&ring, (int)(ud & 0xff), 1); /* the buffer is free again */
            break;
          case UD_TIMEOUT:
            timed_out = 1;
            break;
        }
      }
    }
    int got = 0;
    while (got < len) {
      ssize_t r = recv(client, echo + got, sizeof echo - (size_t)got, 0);
      if (r <= 0) break;
      got += (int)r;
    }
    if (got == len && memcmp(msg, echo, (size_t)len) == 0) ok++;
  }

  /* Shut down: cancel the multishot RECV and the idle TIMEOUT. */
  int cancel_recv = 1, cancel_timeout = 1, recv_final = 1, timeout_final = 1;
  sqe = get_sqe(&ring);
  io_uring_prep_cancel64(sqe, UD_RECV, 0);
  io_uring_sqe_set_data64(sqe, UD_CANCEL_RECV);
  sqe = get_sqe(&ring);
  io_uring_prep_cancel64(sqe, UD_TIMEOUT, 0);
  io_uring_sqe_set_data64(sqe, UD_CANCEL_TIMEOUT);
  io_uring_submit(&ring);
  int want = timed_out ? 3 : 4;
  for (int seen = 0; seen < want;) {
    struct io_uring_cqe *cqe;
    struct __kernel_timespec wait = {1, 0};
    ret = io_uring_wait_cqe_timeout(&ring, &cqe, &wait);
    if (ret < 0) break;
    unsigned long long ud = cqe->user_data;
    int res = cqe->res;
    unsigned flags = cqe->flags;
    io_uring_cqe_seen(&ring, cqe);
    switch (UD_KIND(ud)) {
      case UD_CANCEL_RECV: cancel_recv = res; seen++; break;
      case UD_CANCEL_TIMEOUT: cancel_timeout = res; seen++; break;
      case UD_RECV: if (!(flags & IORING_CQE_F_MORE)) { recv_final = res; seen++; } break;
      case UD_TIMEOUT: timeout_final = res; seen++; break;
      default: break; /* late PROVIDE / SEND completions */
    }
  }
  printf("uring_echo_server: %d/%d echoes ok, %ld bytes echoed\n", ok, n, bytes);
  printf("uring_echo_server: buffers used mask 0x%x, recv re-armed %d times, %d provides\n",
         bid_seen, rearms, provides);
  printf("uring_echo_server: cancel recv -> %d, recv ended with %d (%s)\n", cancel_recv, recv_final,
         recv_final < 0 ? strerror(-recv_final) : "ok");
  if (timed_out) {
    printf("uring_echo_server: idle timeout fired\n");
  } else {
    printf("uring_echo_server: cancel timeout -> %d, timeout ended with %d (%s)\n", cancel_timeout,
           timeout_final, timeout_final < 0 ? strerror(-timeout_final) : "ok");
  }
  io_uring_queue_exit(&ring);
  close(client);
  close(server);
  return ok == n && !timed_out ? 0 : 1;
}
