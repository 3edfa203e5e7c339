/* memlock_holder: a `uringsim serve` client that registers a buffer and can hold it.
 *
 *   memlock_holder PAGES hold   setup a 4-entry ring, register PAGES pages, print the
 *                               result and the ring fd, then keep everything until stdin
 *                               reaches EOF
 *   memlock_holder PAGES once   the same without waiting
 *   memlock_holder enter FD     io_uring_enter(FD, 0, 0, 0) on a fd number this process
 *                               never opened (another client's ring fd) and print it
 *
 * Exit status 0 if the registration (or the enter) succeeded, 1 otherwise. */
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: memlock_holder PAGES hold|once | memlock_holder enter FD\n");
    return 2;
  }
  if (strcmp(argv[1], "enter") == 0) {
    long r = syscall(__NR_io_uring_enter, atoi(argv[2]), 0, 0, 0, NULL, 0);
    printf("enter fd %s: %ld (%s)\n", argv[2], r, r < 0 ? strerror(errno) : "ok");
    return r < 0 ? 1 : 0;
  }
  const size_t pages = strtoul(argv[1], NULL, 10);
  const int hold = strcmp(argv[2], "hold") == 0;
  struct io_uring ring;
  int ret = io_uring_queue_init(4, &ring, 0);
  if (ret < 0) {
    printf("setup: %d (%s)\n", ret, strerror(-ret));
    return 1;
  }
  void *buf = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (buf == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  memset(buf, 1, pages * 4096);
  struct iovec iov = {buf, pages * 4096};
  ret = io_uring_register_buffers(&ring, &iov, 1);
  printf("register %zu pages: %d (%s), ring fd %d\n", pages, ret, ret < 0 ? strerror(-ret) : "ok",
         ring.ring_fd);
  fflush(stdout);
  if (hold) {
    char c;
    while (read(0, &c, 1) > 0) {
    }
  }
  io_uring_queue_exit(&ring);
  return ret < 0 ? 1 : 0;
}
