// A provided-buffer ring the kernel allocates (IOU_PBUF_RING_MMAP, 6.4) and the program
// maps from its ring fd at IORING_OFF_PBUF_RING | bgid << IORING_OFF_PBUF_SHIFT.
// Debian's liburing 2.3 predates io_uring_setup_buf_ring and names the flags word
// `pad`, so the registration and the mmap are done by hand. Prints one line per step;
// under `uringsim run` the output must equal the host kernel's (tests/sim/
// pbuf_ring_mmap_test.cc). Two groups at neighbouring offsets show that each mapping
// reaches its own ring; after UNREGISTER_PBUF_RING the group is gone for requests but
// the old mapping still reads its last contents (Linux keeps the pages until munmap).
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PBUF_RING_MMAP 1u              // IOU_PBUF_RING_MMAP
#define OFF_PBUF_RING 0x80000000ull    // IORING_OFF_PBUF_RING
#define OFF_PBUF_SHIFT 16              // IORING_OFF_PBUF_SHIFT
#define REGISTER_PBUF_STATUS 26        // IORING_REGISTER_PBUF_STATUS (6.8)

struct buf_status {  // struct io_uring_buf_status
  unsigned buf_group;
  unsigned head;
  unsigned resv[8];
};

static char data[2][4][64];  // the buffers of groups 7 and 8

static int register_mmap_ring(struct io_uring* ring, unsigned short bgid, unsigned entries) {
  struct io_uring_buf_reg reg;
  memset(&reg, 0, sizeof reg);
  reg.ring_entries = entries;
  reg.bgid = bgid;
  reg.pad = PBUF_RING_MMAP;
  return io_uring_register(ring->ring_fd, IORING_REGISTER_PBUF_RING, &reg, 1);
}

static struct io_uring_buf_ring* map_ring(struct io_uring* ring, unsigned short bgid, size_t bytes) {
  void* p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring->ring_fd,
                 (off_t)(OFF_PBUF_RING | ((unsigned long long)bgid << OFF_PBUF_SHIFT)));
  return p == MAP_FAILED ? NULL : (struct io_uring_buf_ring*)p;
}

// Writes `text` into a pipe and reads it back with a buffer picked from `bgid`.
static void read_selected(struct io_uring* ring, int pipe_fds[2], unsigned short bgid, const char* text) {
  if (write(pipe_fds[1], text, strlen(text)) != (ssize_t)strlen(text)) {
    printf("write to pipe failed\n");
    return;
  }
  struct io_uring_sqe* sqe = io_uring_get_sqe(ring);
  io_uring_prep_read(sqe, pipe_fds[0], NULL, 32, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = bgid;
  sqe->user_data = bgid;
  io_uring_submit(ring);
  struct io_uring_cqe* cqe;
  if (io_uring_wait_cqe(ring, &cqe) != 0) {
    printf("wait failed\n");
    return;
  }
  const int res = cqe->res;
  const unsigned flags = cqe->flags;
  io_uring_cqe_seen(ring, cqe);
  if (res < 0) {
    printf("read group %u: res %d (%s)\n", bgid, res, strerror(-res));
    // Nothing was read: drain the pipe for the next step.
    char sink[64];
    if (read(pipe_fds[0], sink, sizeof sink) < 0) printf("drain failed\n");
    return;
  }
  const unsigned bid = flags >> IORING_CQE_BUFFER_SHIFT;
  printf("read group %u: res %d flags 0x%x bid %u data \"%.*s\"\n", bgid, res, flags & 0xffff, bid, res,
         data[bgid - 7][bid & 3]);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct io_uring ring;
  int ret = io_uring_queue_init(8, &ring, 0);
  if (ret < 0) {
    printf("io_uring_queue_init: %s\n", strerror(-ret));
    return 1;
  }
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return 1;

  printf("register group 7 (MMAP, 4 entries): %d\n", register_mmap_ring(&ring, 7, 4));
  printf("register group 8 (MMAP, 2 entries): %d\n", register_mmap_ring(&ring, 8, 2));
  struct io_uring_buf_ring* br7 = map_ring(&ring, 7, 4096);
  struct io_uring_buf_ring* br8 = map_ring(&ring, 8, 4096);
  if (br7 == NULL || br8 == NULL) {
    printf("mmap of a buffer ring failed: %s\n", strerror(errno));
    return 1;
  }
  // The kernel hands out what the program publishes through its own mapping.
  for (int i = 0; i < 2; ++i) {
    snprintf(data[0][i], sizeof data[0][i], "group 7 buffer %d: ", i);
    io_uring_buf_ring_add(br7, data[0][i], sizeof data[0][i], (unsigned short)i, io_uring_buf_ring_mask(4), i);
  }
  io_uring_buf_ring_advance(br7, 2);
  io_uring_buf_ring_add(br8, data[1][3], sizeof data[1][3], 3, io_uring_buf_ring_mask(2), 0);
  io_uring_buf_ring_advance(br8, 1);

  read_selected(&ring, pipe_fds, 7, "hello");
  read_selected(&ring, pipe_fds, 8, "eight");
  read_selected(&ring, pipe_fds, 7, "world");
  read_selected(&ring, pipe_fds, 7, "empty");

  struct buf_status st;
  memset(&st, 0, sizeof st);
  st.buf_group = 7;
  ret = io_uring_register(ring.ring_fd, REGISTER_PBUF_STATUS, &st, 1);
  printf("status of group 7: %d head %u\n", ret, st.head);

  struct io_uring_buf_reg unreg;
  memset(&unreg, 0, sizeof unreg);
  unreg.bgid = 7;
  printf("unregister group 7: %d\n", io_uring_register(ring.ring_fd, IORING_UNREGISTER_PBUF_RING, &unreg, 1));
  // Requests no longer find the group; the old mapping still holds what was written.
  io_uring_buf_ring_add(br7, data[0][2], sizeof data[0][2], 2, io_uring_buf_ring_mask(4), 0);
  io_uring_buf_ring_advance(br7, 1);
  read_selected(&ring, pipe_fds, 7, "gone!");
  printf("old mapping of group 7: tail %u, bufs[2] bid %u len %u\n", br7->tail, br7->bufs[2].bid, br7->bufs[2].len);
  read_selected(&ring, pipe_fds, 8, "again");

  munmap(br7, 4096);
  munmap(br8, 4096);
  io_uring_queue_exit(&ring);
  printf("done\n");
  return 0;
}
