/* uring_copy_fixed: copies SRC to DST through a registered buffer, with
 * IORING_OP_READ_FIXED then IORING_OP_WRITE_FIXED for each chunk.
 *
 *   uring_copy_fixed SRC DST */
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

enum { kChunk = 64 * 1024 };

static int run_one(struct io_uring *ring, const char *what) {
  struct io_uring_cqe *cqe;
  int ret = io_uring_submit_and_wait(ring, 1);
  if (ret >= 0) ret = io_uring_wait_cqe(ring, &cqe);
  if (ret < 0) {
    fprintf(stderr, "uring_copy_fixed: %s: io_uring: %s\n", what, strerror(-ret));
    exit(1);
  }
  int res = cqe->res;
  io_uring_cqe_seen(ring, cqe);
  if (res < 0) {
    fprintf(stderr, "uring_copy_fixed: %s: %s\n", what, strerror(-res));
    exit(1);
  }
  return res;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: uring_copy_fixed SRC DST\n");
    return 2;
  }
  int in = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    fprintf(stderr, "uring_copy_fixed: %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    fprintf(stderr, "uring_copy_fixed: %s: %s\n", argv[2], strerror(errno));
    return 1;
  }
  struct io_uring ring;
  int ret = io_uring_queue_init(8, &ring, 0);
  if (ret < 0) {
    fprintf(stderr, "uring_copy_fixed: io_uring_queue_init: %s\n", strerror(-ret));
    return 1;
  }
  void *buf;
  if (posix_memalign(&buf, 4096, kChunk) != 0) return 1;
  memset(buf, 0, kChunk);
  struct iovec iov = {buf, kChunk};
  ret = io_uring_register_buffers(&ring, &iov, 1);
  if (ret < 0) {
    fprintf(stderr, "uring_copy_fixed: io_uring_register_buffers: %s\n", strerror(-ret));
    return 1;
  }
  unsigned long long off = 0, chunks = 0;
  for (;;) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    io_uring_prep_read_fixed(sqe, in, buf, kChunk, off, 0);
    int got = run_one(&ring, "READ_FIXED");
    if (got == 0) break;
    int done = 0;
    while (done < got) {
      sqe = io_uring_get_sqe(&ring);
      io_uring_prep_write_fixed(sqe, out, (char *)buf + done, (unsigned)(got - done), off + done, 0);
      done += run_one(&ring, "WRITE_FIXED");
    }
    off += (unsigned long long)got;
    chunks++;
  }
  ret = io_uring_unregister_buffers(&ring);
  if (ret < 0) {
    fprintf(stderr, "uring_copy_fixed: io_uring_unregister_buffers: %s\n", strerror(-ret));
    return 1;
  }
  printf("uring_copy_fixed: copied %llu bytes in %llu chunks of up to %d bytes\n", off, chunks,
         kChunk);
  io_uring_queue_exit(&ring);
  close(in);
  close(out);
  free(buf);
  return 0;
}
