/* sim_stress_client: the real client behind tests/sim/robustness_test.cc. Run under
 * `uringsim run` (and, for `badptr`, on the host kernel too). Debian's liburing issues
 * its syscalls inline, so everything here goes through seccomp capture.
 *
 *   sim_stress_client killloop N LIMIT_PAGES
 *       N times: a child sets up a ring, registers 16 pages, parks a READ_FIXED and a
 *       READ on an empty pipe, says "ready" and blocks in io_uring_enter(GETEVENTS);
 *       we SIGKILL it. Meanwhile a sibling hammers NOPs on its own ring and must see
 *       every completion. Before and after, a probe child finds the largest buffer
 *       (in pages, up to LIMIT_PAGES) it can register under RLIMIT_MEMLOCK: the two
 *       must be equal (accounting back to exactly its baseline). Every victim checks
 *       its ring is a memfd mapping and nothing is mapped from /dev/shm.
 *   sim_stress_client hammer NCLIENTS ROUNDS DIR
 *       NCLIENTS concurrent processes, each with its own ring and its own data file in
 *       DIR (every 32-bit word = client << 24 | word index): per round 8 NOPs and 8
 *       4 KiB READ_FIXEDs at pseudo-random offsets, each checked word by word.
 *   sim_stress_client badptr FILE
 *       Bad pointers in params, register arguments, iovecs, SQEs and enter args; prints
 *       one "case: result" line each (the test compares with the host kernel).
 *
 * Exit status 0 when every check passed; diagnostics on stderr. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u

static int fail(const char *what, int err) {
  fprintf(stderr, "sim_stress_client: %s: %s\n", what, strerror(err));
  return 1;
}

static int wait_child(pid_t pid) {
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return st;
}

/* ---- killloop ---------------------------------------------------------------- */

/* Largest k <= limit such that registering k pages succeeds, from a fresh process
 * (its ring dies with it). Returns -1 on a setup error. */
static int probe_memlock(unsigned limit_pages) {
  int p[2];
  if (pipe(p) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    struct io_uring ring;
    int ret = io_uring_queue_init(4, &ring, 0);
    int best = -1;
    if (ret == 0) {
      size_t len = (size_t)(limit_pages + 1) * PAGE;
      char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                       -1, 0);
      unsigned lo = 0, hi = limit_pages + 1; /* lo registrable (0 trivially), hi not */
      while (buf != MAP_FAILED && hi - lo > 1) {
        unsigned mid = lo + (hi - lo) / 2;
        struct iovec iov = {buf, (size_t)mid * PAGE};
        ret = io_uring_register_buffers(&ring, &iov, 1);
        if (ret == 0) {
          io_uring_unregister_buffers(&ring);
          lo = mid;
        } else if (ret == -ENOMEM) {
          hi = mid;
        } else {
          fprintf(stderr, "probe: register %u pages: %s\n", mid, strerror(-ret));
          break;
        }
      }
      if (hi - lo == 1) best = (int)lo;
    } else {
      fprintf(stderr, "probe: io_uring_queue_init: %s\n", strerror(-ret));
    }
    if (write(p[1], &best, sizeof best) != sizeof best) _exit(1);
    _exit(0);
  }
  close(p[1]);
  int best = -1;
  if (read(p[0], &best, sizeof best) != sizeof best) best = -1;
  close(p[0]);
  wait_child(pid);
  return best;
}

/* The ring must be a memfd mapping, and nothing may be mapped from /dev/shm. */
static int check_ring_is_memfd(void) {
  FILE *f = fopen("/proc/self/maps", "re");
  if (f == NULL) return 0;
  char line[512];
  int memfd = 0, shm = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strstr(line, "/memfd:uringsim-ring") != NULL) memfd = 1;
    if (strstr(line, "/dev/shm/") != NULL) shm = 1;
  }
  fclose(f);
  return memfd && !shm;
}

static void victim(int notify) {
  struct io_uring ring;
  char msg = 'E';
  int ret = io_uring_queue_init(4, &ring, 0);
  if (ret < 0) {
    fprintf(stderr, "victim: io_uring_queue_init: %s\n", strerror(-ret));
    goto out;
  }
  char *buf = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                   -1, 0);
  struct iovec iov = {buf, 16 * PAGE};
  ret = io_uring_register_buffers(&ring, &iov, 1);
  if (ret < 0) {
    fprintf(stderr, "victim: register 16 pages: %s\n", strerror(-ret));
    goto out;
  }
  if (!check_ring_is_memfd()) {
    msg = 'M';
    goto out;
  }
  int p[2];
  if (pipe(p) != 0) goto out;
  struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
  io_uring_prep_read_fixed(sqe, p[0], buf, PAGE, 0, 0);
  sqe = io_uring_get_sqe(&ring);
  io_uring_prep_read(sqe, p[0], buf + PAGE, PAGE, 0);
  ret = io_uring_submit(&ring);
  if (ret != 2) {
    fprintf(stderr, "victim: submit: %d\n", ret);
    goto out;
  }
  msg = 'R';
  if (write(notify, &msg, 1) != 1) _exit(1);
  struct io_uring_cqe *cqe;
  io_uring_wait_cqe(&ring, &cqe); /* blocks: nothing ever writes the pipe */
  fprintf(stderr, "victim: a read on an empty pipe completed: %d\n", cqe->res);
  _exit(1);
out:
  if (write(notify, &msg, 1) != 1) _exit(1);
  _exit(1);
}

/* NOPs on its own ring until `stop` is readable; writes how many completed. */
static void steady(int stop, int result) {
  struct io_uring ring;
  long done = -1;
  if (io_uring_queue_init(8, &ring, 0) == 0) {
    struct pollfd pfd = {stop, POLLIN, 0};
    uint64_t next = 0;
    done = 0;
    while (poll(&pfd, 1, 0) == 0) {
      for (int i = 0; i < 4; i++) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
        io_uring_prep_nop(sqe);
        sqe->user_data = next + (uint64_t)i;
      }
      if (io_uring_submit_and_wait(&ring, 4) != 4) {
        done = -1;
        break;
      }
      for (int i = 0; i < 4; i++) {
        struct io_uring_cqe *cqe;
        if (io_uring_wait_cqe(&ring, &cqe) != 0 || cqe->res != 0 || cqe->user_data != next) {
          fprintf(stderr, "steady: bad completion after %ld NOPs\n", done);
          done = -1;
          goto out;
        }
        io_uring_cqe_seen(&ring, cqe);
        next++;
        done++;
      }
      usleep(200); /* leave the kernel process time for the victims too */
    }
  }
out:
  if (write(result, &done, sizeof done) != sizeof done) _exit(1);
  _exit(0);
}

static int killloop(int n, unsigned limit_pages) {
  int stop[2], result[2];
  if (pipe(stop) != 0 || pipe(result) != 0) return fail("pipe", errno);
  pid_t steady_pid = fork();
  if (steady_pid == 0) {
    close(stop[1]);
    close(result[0]);
    steady(stop[0], result[1]);
  }
  close(stop[0]);
  close(result[1]);

  int before = probe_memlock(limit_pages);
  if (before < 16) {
    fprintf(stderr, "killloop: memlock probe found %d pages; need at least 16\n", before);
    return 1;
  }
  int errors = 0;
  for (int i = 0; i < n && errors == 0; i++) {
    int nt[2];
    if (pipe(nt) != 0) return fail("pipe", errno);
    pid_t pid = fork();
    if (pid == 0) {
      close(nt[0]);
      victim(nt[1]);
    }
    close(nt[1]);
    char msg = 0;
    if (read(nt[0], &msg, 1) != 1 || msg != 'R') {
      fprintf(stderr, "killloop: victim %d was not ready (%c)%s\n", i, msg ? msg : '-',
              msg == 'M' ? ": its ring is not a memfd mapping, or /dev/shm is mapped" : "");
      errors++;
    }
    close(nt[0]);
    /* Sometimes at once, sometimes once it is (probably) parked in its wait. */
    if (i % 3 != 0) usleep((useconds_t)(50 + (i * 37) % 400));
    kill(pid, SIGKILL);
    int st = wait_child(pid);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
      fprintf(stderr, "killloop: victim %d ended with status 0x%x, not SIGKILL\n", i, st);
      errors++;
    }
  }
  int after = probe_memlock(limit_pages);
  if (write(stop[1], "x", 1) != 1) return fail("write", errno);
  long nops = -1;
  if (read(result[0], &nops, sizeof nops) != sizeof nops) nops = -1;
  int st = wait_child(steady_pid);
  printf("killloop: %d victims killed; registrable pages before %d, after %d; steady client %ld NOPs\n",
         n, before, after, nops);
  if (after != before) {
    fprintf(stderr, "killloop: memlock accounting did not return to its baseline\n");
    errors++;
  }
  if (nops <= 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "killloop: the steady client was not served throughout\n");
    errors++;
  }
  return errors == 0 ? 0 : 1;
}

/* ---- hammer ------------------------------------------------------------------ */

enum { kHammerFilePages = 64, kHammerBatch = 8 };

static uint32_t expected_word(unsigned client, size_t word) {
  return ((uint32_t)client << 24) | (uint32_t)(word & 0xffffff);
}

static int hammer_one(unsigned client, int rounds, const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(path, errno);
  struct io_uring ring;
  int ret = io_uring_queue_init(32, &ring, 0);
  if (ret < 0) return fail("io_uring_queue_init", -ret);
  size_t len = kHammerBatch * PAGE;
  char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  struct iovec iov = {buf, len};
  ret = io_uring_register_buffers(&ring, &iov, 1);
  if (ret < 0) return fail("io_uring_register_buffers", -ret);
  uint32_t rng = 0x9e3779b9u * (client + 1);
  for (int r = 0; r < rounds; r++) {
    unsigned page[kHammerBatch];
    memset(buf, 0xff, len);
    for (int i = 0; i < kHammerBatch; i++) {
      rng = rng * 1664525u + 1013904223u;
      page[i] = (rng >> 8) % kHammerFilePages;
      struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
      io_uring_prep_nop(sqe);
      sqe->user_data = 1000u + (unsigned)i;
      sqe = io_uring_get_sqe(&ring);
      io_uring_prep_read_fixed(sqe, fd, buf + (size_t)i * PAGE, PAGE, (uint64_t)page[i] * PAGE, 0);
      sqe->user_data = (unsigned)i;
    }
    ret = io_uring_submit_and_wait(&ring, 2 * kHammerBatch);
    if (ret != 2 * kHammerBatch) {
      fprintf(stderr, "hammer %u: submit_and_wait: %d\n", client, ret);
      return 1;
    }
    for (int i = 0; i < 2 * kHammerBatch; i++) {
      struct io_uring_cqe *cqe;
      ret = io_uring_wait_cqe(&ring, &cqe);
      if (ret < 0) return fail("io_uring_wait_cqe", -ret);
      uint64_t ud = cqe->user_data;
      int res = cqe->res;
      io_uring_cqe_seen(&ring, cqe);
      if (ud >= 1000) {
        if (res != 0) {
          fprintf(stderr, "hammer %u round %d: NOP res %d\n", client, r, res);
          return 1;
        }
      } else if (ud >= kHammerBatch || res != (int)PAGE) {
        fprintf(stderr, "hammer %u round %d: READ_FIXED %llu res %d\n", client, r,
                (unsigned long long)ud, res);
        return 1;
      }
    }
    for (int i = 0; i < kHammerBatch; i++) {
      const uint32_t *w = (const uint32_t *)(buf + (size_t)i * PAGE);
      for (size_t k = 0; k < PAGE / 4; k++) {
        size_t word = (size_t)page[i] * (PAGE / 4) + k;
        if (w[k] != expected_word(client, word)) {
          fprintf(stderr, "hammer %u round %d: word %zu of page %u is 0x%08x, want 0x%08x\n",
                  client, r, k, page[i], w[k], expected_word(client, word));
          return 1;
        }
      }
    }
  }
  io_uring_queue_exit(&ring);
  return 0;
}

static int hammer(unsigned nclients, int rounds, const char *dir) {
  char path[4096];
  for (unsigned c = 0; c < nclients; c++) {
    snprintf(path, sizeof path, "%s/client-%u", dir, c);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return fail(path, errno);
    static uint32_t words[kHammerFilePages * PAGE / 4];
    for (size_t k = 0; k < sizeof words / 4; k++) words[k] = expected_word(c, k);
    if (write(fd, words, sizeof words) != (ssize_t)sizeof words) return fail("write", errno);
    close(fd);
  }
  pid_t pids[256];
  for (unsigned c = 0; c < nclients && c < 256; c++) {
    pids[c] = fork();
    if (pids[c] == 0) {
      snprintf(path, sizeof path, "%s/client-%u", dir, c);
      _exit(hammer_one(c, rounds, path));
    }
  }
  int failed = 0;
  for (unsigned c = 0; c < nclients && c < 256; c++) {
    int st = wait_child(pids[c]);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) failed++;
  }
  for (unsigned c = 0; c < nclients; c++) {
    snprintf(path, sizeof path, "%s/client-%u", dir, c);
    unlink(path);
  }
  printf("hammer: %u clients x %d rounds of %d NOPs + %d READ_FIXED: %d failed\n", nclients, rounds,
         kHammerBatch, kHammerBatch, failed);
  return failed == 0 ? 0 : 1;
}

/* ---- badptr ------------------------------------------------------------------ */

static void report(const char *what, long ret) {
  if (ret < 0) {
    printf("%s: -%s\n", what, strerrorname_np((int)-ret) ? strerrorname_np((int)-ret) : "?");
  } else {
    printf("%s: %ld\n", what, ret);
  }
}

static long sys_ret(long r) { return r < 0 ? -errno : r; }

/* The CQE result of one SQE prepared by `prep`. */
static int one_cqe(struct io_uring *ring, long *res) {
  struct io_uring_cqe *cqe;
  int ret = io_uring_submit_and_wait(ring, 1);
  if (ret < 0) return ret;
  ret = io_uring_wait_cqe(ring, &cqe);
  if (ret < 0) return ret;
  *res = cqe->res;
  io_uring_cqe_seen(ring, cqe);
  return 0;
}

static int badptr(const char *file) {
  /* An address range that is surely unmapped, and one that is mapped PROT_NONE. */
  char *gone = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(gone, 4 * PAGE);
  char *none = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void *low = (void *)16;

  report("setup params=16", sys_ret(syscall(__NR_io_uring_setup, 8, low)));
  report("setup params=unmapped", sys_ret(syscall(__NR_io_uring_setup, 8, gone)));
  report("setup params=PROT_NONE", sys_ret(syscall(__NR_io_uring_setup, 8, none)));
  /* params straddling the end of a mapping into a hole */
  char *two = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(two + PAGE, PAGE);
  report("setup params=straddling", sys_ret(syscall(__NR_io_uring_setup, 8, two + PAGE - 8)));

  struct io_uring ring;
  int ret = io_uring_queue_init(8, &ring, 0);
  if (ret < 0) return fail("io_uring_queue_init", -ret);
  int rfd = ring.ring_fd;
  report("register BUFFERS iovecs=16",
         sys_ret(syscall(__NR_io_uring_register, rfd, IORING_REGISTER_BUFFERS, low, 1)));
  report("register BUFFERS iovecs=unmapped",
         sys_ret(syscall(__NR_io_uring_register, rfd, IORING_REGISTER_BUFFERS, gone, 1)));
  struct iovec bad_iov = {gone, PAGE};
  report("register BUFFERS iov_base=unmapped",
         sys_ret(syscall(__NR_io_uring_register, rfd, IORING_REGISTER_BUFFERS, &bad_iov, 1)));
  bad_iov.iov_base = none;
  report("register BUFFERS iov_base=PROT_NONE",
         sys_ret(syscall(__NR_io_uring_register, rfd, IORING_REGISTER_BUFFERS, &bad_iov, 1)));
  /* Registered buffers are pinned for writing: read-only memory is refused. */
  char *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  bad_iov.iov_base = ro;
  report("register BUFFERS iov_base=PROT_READ",
         sys_ret(syscall(__NR_io_uring_register, rfd, IORING_REGISTER_BUFFERS, &bad_iov, 1)));
  report("register FILES fds=unmapped",
         sys_ret(syscall(__NR_io_uring_register, rfd, IORING_REGISTER_FILES, gone, 1)));
  report("register PROBE probe=unmapped",
         sys_ret(syscall(__NR_io_uring_register, rfd, IORING_REGISTER_PROBE, gone, 8)));

  /* Enter with an extended argument that is not there. */
  report("enter EXT_ARG arg=unmapped",
         sys_ret(syscall(__NR_io_uring_enter, rfd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
                         gone, sizeof(struct io_uring_getevents_arg))));
  struct io_uring_getevents_arg ga = {0};
  ga.ts = (uint64_t)(uintptr_t)gone;
  report("enter EXT_ARG ts=unmapped",
         sys_ret(syscall(__NR_io_uring_enter, rfd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
                         &ga, sizeof ga)));

  /* SQEs whose pointers are bad: the CQE carries -EFAULT. */
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(file, errno);
  long res = 0;
  struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
  io_uring_prep_read(sqe, fd, gone, PAGE, 0);
  ret = one_cqe(&ring, &res);
  report("READ buf=unmapped", ret < 0 ? ret : res);

  sqe = io_uring_get_sqe(&ring);
  io_uring_prep_read(sqe, fd, none, PAGE, 0);
  ret = one_cqe(&ring, &res);
  report("READ buf=PROT_NONE", ret < 0 ? ret : res);

  sqe = io_uring_get_sqe(&ring);
  io_uring_prep_read(sqe, fd, ro, PAGE, 0);
  ret = one_cqe(&ring, &res);
  report("READ buf=PROT_READ", ret < 0 ? ret : res);

  int out = memfd_create("badptr-out", MFD_CLOEXEC);
  sqe = io_uring_get_sqe(&ring);
  io_uring_prep_write(sqe, out, none, PAGE, 0);
  ret = one_cqe(&ring, &res);
  report("WRITE buf=PROT_NONE", ret < 0 ? ret : res);
  close(out);

  sqe = io_uring_get_sqe(&ring);
  io_uring_prep_readv(sqe, fd, (const struct iovec *)gone, 1, 0);
  ret = one_cqe(&ring, &res);
  report("READV iovecs=unmapped", ret < 0 ? ret : res);

  struct iovec iov = {gone, PAGE};
  sqe = io_uring_get_sqe(&ring);
  io_uring_prep_readv(sqe, fd, &iov, 1, 0);
  ret = one_cqe(&ring, &res);
  report("READV iov_base=unmapped", ret < 0 ? ret : res);

  sqe = io_uring_get_sqe(&ring);
  io_uring_prep_openat(sqe, AT_FDCWD, (const char *)gone, O_RDONLY, 0);
  ret = one_cqe(&ring, &res);
  report("OPENAT path=unmapped", ret < 0 ? ret : res);

  io_uring_queue_exit(&ring);
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 4 && strcmp(argv[1], "killloop") == 0) {
    return killloop(atoi(argv[2]), (unsigned)strtoul(argv[3], NULL, 0));
  }
  if (argc >= 5 && strcmp(argv[1], "hammer") == 0) {
    return hammer((unsigned)strtoul(argv[2], NULL, 0), atoi(argv[3]), argv[4]);
  }
  if (argc >= 3 && strcmp(argv[1], "badptr") == 0) return badptr(argv[2]);
  fprintf(stderr,
          "usage: sim_stress_client killloop N LIMIT_PAGES | hammer NCLIENTS ROUNDS DIR | badptr FILE\n");
  return 2;
}
