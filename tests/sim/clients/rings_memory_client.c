/* rings_memory_run_test's client, raw syscalls only: an IORING_SETUP_NO_MMAP ring on
 * MAP_SHARED memory, and IORING_REGISTER_RESIZE_RINGS with the client mapping the new
 * rings (IORING_OFF_CQ_RING too, while the old, shorter mapping still exists).
 * `private` instead sets up a NO_MMAP ring on private memory and prints the result.
 * Prints one line per observation; the output on the host kernel and under
 * `uringsim run` must be the same (except `private`, which differs by design). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "uapi/io_uring.h"

static int setup(unsigned entries, struct io_uring_params* p) {
  long r = syscall(__NR_io_uring_setup, entries, p);
  return r < 0 ? -errno : (int)r;
}
static int enter(int fd, unsigned n, unsigned min, unsigned flags) {
  long r = syscall(__NR_io_uring_enter, fd, n, min, flags, NULL, 0);
  return r < 0 ? -errno : (int)r;
}
static int reg(int fd, unsigned op, void* arg, unsigned nr) {
  long r = syscall(__NR_io_uring_register, fd, op, arg, nr);
  return r < 0 ? -errno : (int)r;
}

struct view {
  char* rings;
  struct io_uring_sqe* sqes;
  struct io_uring_params p;
};
static unsigned* word(struct view* v, unsigned off) { return (unsigned*)(v->rings + off); }

static void push_nop(struct view* v, uint64_t user_data) {
  unsigned tail = *word(v, v->p.sq_off.tail);
  unsigned slot = tail & (v->p.sq_entries - 1);
  memset(&v->sqes[slot], 0, sizeof v->sqes[slot]);
  v->sqes[slot].opcode = IORING_OP_NOP;
  v->sqes[slot].user_data = user_data;
  if (v->p.sq_off.array) word(v, v->p.sq_off.array)[slot] = slot;
  __atomic_store_n(word(v, v->p.sq_off.tail), tail + 1, __ATOMIC_RELEASE);
}

static void print_cqes(struct view* v, const char* what) {
  unsigned head = *word(v, v->p.cq_off.head);
  unsigned tail = __atomic_load_n(word(v, v->p.cq_off.tail), __ATOMIC_ACQUIRE);
  printf("%s: head %u tail %u:", what, head, tail);
  for (; head != tail; ++head) {
    struct io_uring_cqe* c =
        (struct io_uring_cqe*)(v->rings + v->p.cq_off.cqes + 16 * (head & (v->p.cq_entries - 1)));
    printf(" {%llu %d 0x%x}", (unsigned long long)c->user_data, c->res, c->flags);
  }
  printf("\n");
  __atomic_store_n(word(v, v->p.cq_off.head), tail, __ATOMIC_RELEASE);
}

static int no_mmap(int flags_mmap) {
  char* mem = mmap(NULL, 65536, PROT_READ | PROT_WRITE, flags_mmap | MAP_ANONYMOUS, -1, 0);
  struct view v = {0};
  v.p.flags = IORING_SETUP_NO_MMAP;
  v.p.sq_off.user_addr = (uint64_t)(uintptr_t)mem;
  v.p.cq_off.user_addr = (uint64_t)(uintptr_t)(mem + 4096);
  int fd = setup(8, &v.p);
  printf("no_mmap setup: %d\n", fd < 0 ? fd : 0);
  if (fd < 0) return 0;
  printf("no_mmap user_addr kept: %d\n", v.p.sq_off.user_addr == (uint64_t)(uintptr_t)mem &&
                                             v.p.cq_off.user_addr == (uint64_t)(uintptr_t)(mem + 4096));
  v.rings = mem + 4096;
  v.sqes = (struct io_uring_sqe*)mem;
  push_nop(&v, 1);
  push_nop(&v, 2);
  printf("no_mmap submit: %d\n", enter(fd, 2, 0, 0));
  print_cqes(&v, "no_mmap cqes");
  close(fd);
  return 0;
}

static size_t rings_len(const struct io_uring_params* p) {
  size_t cq_end = p->cq_off.cqes + 16 * (size_t)p->cq_entries;
  size_t sq_end = p->sq_off.array + 4 * (size_t)p->sq_entries;
  return cq_end > sq_end ? cq_end : sq_end;
}

static int resize(void) {
  struct view v = {0};
  v.p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  int fd = setup(8, &v.p);
  printf("resize setup: %d\n", fd < 0 ? fd : 0);
  if (fd < 0) return 1;
  size_t old_len = rings_len(&v.p);
  v.rings = mmap(NULL, old_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
  v.sqes = mmap(NULL, 64 * v.p.sq_entries, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
  for (int i = 1; i <= 3; ++i) push_nop(&v, (uint64_t)i);
  printf("resize submit: %d\n", enter(fd, 3, 0, 0));
  char* old_rings = v.rings;
  struct io_uring_sqe* old_sqes = v.sqes;
  size_t old_sqes_len = 64 * v.p.sq_entries;

  struct io_uring_params rp = {0};
  rp.sq_entries = 16;
  rp.cq_entries = 256;
  rp.flags = IORING_SETUP_CQSIZE;
  printf("resize: %d sq %u cq %u\n", reg(fd, IORING_REGISTER_RESIZE_RINGS, &rp, 1), rp.sq_entries, rp.cq_entries);
  /* The SQ array offset is not written back by a resize: after 64 + 16 * 256 bytes. */
  rp.sq_off.array = 64 + 16 * 256;
  size_t len = rings_len(&rp);
  char* sq = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
  /* The old, shorter mapping still exists: the CQ mapping must alias the new one. */
  char* cq = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
  printf("resize mmap rings: %s %s\n", sq == MAP_FAILED ? strerror(errno) : "ok", cq == MAP_FAILED ? "failed" : "ok");
  if (sq == MAP_FAILED || cq == MAP_FAILED) return 1;
  munmap(old_rings, old_len);
  munmap(old_sqes, old_sqes_len);
  v.p = rp;
  v.rings = cq;
  v.sqes = mmap(NULL, 64 * 16, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
  printf("resize entries: sq %u cq %u\n", *word(&v, rp.sq_off.ring_entries), *word(&v, rp.cq_off.ring_entries));
  print_cqes(&v, "resize kept cqes");
  for (int i = 4; i <= 19; ++i) push_nop(&v, (uint64_t)i);
  printf("resize submit after: %d\n", enter(fd, 16, 0, 0));
  print_cqes(&v, "resize new cqes");
  /* Written through the CQ mapping, read through the SQ mapping: the same pages. */
  printf("resize sq and cq alias: %d\n", *(unsigned*)(sq + rp.cq_off.head) == 19);
  close(fd);
  return 0;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && strcmp(argv[1], "private") == 0) return no_mmap(MAP_PRIVATE);
  no_mmap(MAP_SHARED);
  return resize();
}
