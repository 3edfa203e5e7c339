/* What the bench's NOP clients (nop_client.c, shim_nop_client.c) share: their command
 * line, "PROG MODE OPS BATCH RESULT_FD" (MODE: nop, or sqpoll for an IORING_SETUP_SQPOLL
 * ring where the client supports it), and the monotonic clock their timed loop reads. */
#ifndef URINGSIM_BENCH_NOP_CLIENT_ARGS_H
#define URINGSIM_BENCH_NOP_CLIENT_ARGS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct nop_client_args {
  int sqpoll; /* MODE was "sqpoll" */
  uint64_t ops;
  unsigned batch;
  int result_fd; /* where "OPS SECONDS" is written at the end */
};

/* 0 and the parsed arguments, or 2 (the exit status) after a usage line on stderr. */
static int parse_nop_client_args(int argc, char **argv, const char *prog, struct nop_client_args *a) {
  if (argc != 5 || (strcmp(argv[1], "nop") != 0 && strcmp(argv[1], "sqpoll") != 0)) {
    fprintf(stderr, "usage: %s nop|sqpoll OPS BATCH RESULT_FD\n", prog);
    return 2;
  }
  a->sqpoll = strcmp(argv[1], "sqpoll") == 0;
  a->ops = strtoull(argv[2], NULL, 0);
  a->batch = (unsigned)strtoul(argv[3], NULL, 0);
  a->result_fd = atoi(argv[4]);
  if (a->batch == 0) {
    fprintf(stderr, "%s: BATCH must be at least 1\n", prog);
    return 2;
  }
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
