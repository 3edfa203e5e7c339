/* uring_cat: copies a file to stdout with IORING_OP_READV (three iovecs per read).
 *
 *   uring_cat FILE */
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: uring_cat FILE\n");
    return 2;
  }
  int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "uring_cat: %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  struct io_uring ring;
  int ret = io_uring_queue_init(4, &ring, 0);
  if (ret < 0) {
    fprintf(stderr, "uring_cat: io_uring_queue_init: %s\n", strerror(-ret));
    return 1;
  }
  /* Uneven iovec sizes so a short read splits across them. */
  static char a[1000], b[4096], c[3000];
  struct iovec iov[3] = {{a, sizeof a}, {b, sizeof b}, {c, sizeof c}};
  off_t off = 0;
  for (;;) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    io_uring_prep_readv(sqe, fd, iov, 3, (unsigned long long)off);
    io_uring_sqe_set_data64(sqe, (unsigned long long)off);
    ret = io_uring_submit_and_wait(&ring, 1);
    if (ret < 0) {
      fprintf(stderr, "uring_cat: io_uring_submit_and_wait: %s\n", strerror(-ret));
      return 1;
    }
    struct io_uring_cqe *cqe;
    ret = io_uring_wait_cqe(&ring, &cqe);
    if (ret < 0) {
      fprintf(stderr, "uring_cat: io_uring_wait_cqe: %s\n", strerror(-ret));
      return 1;
    }
    int res = cqe->res;
    io_uring_cqe_seen(&ring, cqe);
    if (res < 0) {
      fprintf(stderr, "uring_cat: READV at %lld: %s\n", (long long)off, strerror(-res));
      return 1;
    }
    if (res == 0) break;
    size_t left = (size_t)res;
    for (int i = 0; i < 3 && left > 0; i++) {
      size_t n = left < iov[i].iov_len ? left : iov[i].iov_len;
      if (write_all(STDOUT_FILENO, iov[i].iov_base, n) != 0) return 1;
      left -= n;
    }
    off += res;
  }
  io_uring_queue_exit(&ring);
  close(fd);
  return 0;
}
