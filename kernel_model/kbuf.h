// kbuf: provided buffers (io_uring/kbuf.c).
//
// A ring keeps buffer groups keyed by a 16-bit group id (bgid). A group is either
//  - legacy: a FIFO of {addr, len, bid} filled by IORING_OP_PROVIDE_BUFFERS and
//    drained by REMOVE_BUFFERS and by requests that pick from it, or
//  - a buffer ring (IORING_REGISTER_PBUF_RING): an array of io_uring_buf the
//    application fills and publishes with a u16 tail; the kernel keeps the head
//    privately. The ring lives in client memory (pinned at registration) or, with
//    IOU_PBUF_RING_MMAP, in memory the kernel allocates and the client maps at
//    IORING_OFF_PBUF_RING | bgid << IORING_OFF_PBUF_SHIFT (Kernel::map).
//
// Requests with IOSQE_BUFFER_SELECT pick a buffer at issue (kbuf_select, or
// kbuf_select_bundle for IORING_RECVSEND_BUNDLE) and give it back in their CQE
// (kbuf_put: IORING_CQE_F_BUFFER | bid << 16, plus IORING_CQE_F_BUF_MORE while an
// incrementally consumed buffer still has room). A request that must wait for its
// file puts an unused buffer back first (kbuf_recycle), as Linux does before arming
// its poll, so other requests may take it meanwhile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "kernel_model/profile.h"
#include "kernel_model/request.h"

namespace uringsim {

class Context;
class Accounting;
class RingMemoryProvider;

// One buffer group (io_buffer_list).
struct BufferList {
  struct Legacy {
    uint64_t addr;
    uint32_t len;
    uint16_t bid;
  };
  uint16_t bgid = 0;
  bool is_ring = false;
  // legacy
  std::deque<Legacy> bufs;
  // ring
  uint32_t nr_entries = 0;
  uint32_t mask = 0;
  uint16_t head = 0;
  bool inc = false;                  // IOU_PBUF_RING_INC
  bool mmap = false;                 // IOU_PBUF_RING_MMAP: memory below, else ring_addr
  uint64_t ring_addr = 0;            // client address of the ring (not MMAP)
  std::byte* kernel_mem = nullptr;   // MMAP: kernel-allocated, page aligned, zeroed
  RingMemoryProvider* kernel_mem_owner = nullptr;  // MMAP: gave kernel_mem, takes it back
  RingId ring = 0;                   // the ring the group belongs to (for its owner)
  size_t region_bytes = 0;           // PAGE_ALIGN(16 * ring_entries)
  uint64_t acct_pages = 0;           // charged to the creator's locked_vm
  uint32_t acct_uid = 0;
  Accounting* accounting = nullptr;

  BufferList() = default;
  BufferList(const BufferList&) = delete;
  BufferList& operator=(const BufferList&) = delete;
  ~BufferList();  // gives kernel memory back to its owner, returns the memlock charge
};

// Every group of one ring (ctx->io_bl_xa).
class ProvidedBuffers {
 public:
  BufferList* find(uint16_t bgid) {
    auto it = lists_.find(bgid);
    return it == lists_.end() ? nullptr : it->second.get();
  }
  BufferList& create(uint16_t bgid) {
    auto& p = lists_[bgid];
    p = std::make_unique<BufferList>();
    p->bgid = bgid;
    return *p;
  }
  void erase(uint16_t bgid) { lists_.erase(bgid); }
  void clear() {
    lists_.clear();
    netmsg_cache.clear();
  }

  // The alloc cache of net async headers (ctx->netmsg_cache), reduced to what changes
  // behaviour: the size of the iovec array each cached header still holds (bundles
  // fill it before they expand). LIFO, as io_alloc_cache.
  std::vector<uint32_t> netmsg_cache;


 private:
  std::map<uint16_t, std::unique_ptr<BufferList>> lists_;
};

// --- IORING_OP_PROVIDE_BUFFERS (31) / IORING_OP_REMOVE_BUFFERS (32) ------------------
int io_provide_buffers_prep(Context& ctx, Request& req);
int io_remove_buffers_prep(Context& ctx, Request& req);
int32_t io_manage_buffers_legacy(Context& ctx, Request& req);

// --- io_uring_register: opcodes 22, 23, 26 ------------------------------------------
// `arg`/`nr_args` as the syscall got them. Return 0 or -errno (fault recorded on ctx).
int64_t register_pbuf_ring(Context& ctx, uint64_t arg, uint32_t nr_args);
int64_t unregister_pbuf_ring(Context& ctx, uint64_t arg, uint32_t nr_args);
int64_t register_pbuf_status(Context& ctx, uint64_t arg, uint32_t nr_args);

// Kernel-allocated ring memory of group `bgid` (IOU_PBUF_RING_MMAP), for Kernel::map;
// null (and *len 0) when the group is not a kernel-allocated ring.
std::byte* pbuf_ring_mmap(Context& ctx, uint16_t bgid, size_t* len);

// --- selection (IOSQE_BUFFER_SELECT) ----------------------------------------------
// io_buffer_select: picks one buffer of `bgid` for req. *len: the length wanted (0 =
// the whole buffer), capped to the buffer's. `can_poll`: the file is pollable; if not,
// a ring buffer is consumed right away (Linux cannot hold the ring lock across a
// blocking transfer). Returns false when the group is missing or empty (-ENOBUFS).
bool kbuf_select(Context& ctx, Request& req, uint16_t bgid, uint32_t* len, uint64_t* addr,
                 bool can_poll);

// io_buffers_select / io_buffers_peek for bundles: up to `max_len` bytes (0: no limit)
// from consecutive buffers. `nr_iovs` is the size of the iovec array the request
// already has (1 for its inline one); Linux expands it only when more buffers are
// wanted and a length is known. `commit_now` consumes them at once (sends). A buffer
// longer than what is left of `max_len` is cut (its ring entry's len rewritten) when
// it is the first one picked, else the pick stops before it (unless INC). Fills
// `out`; returns the number of buffers, or -ENOBUFS / -ENOENT. *partial: a buffer
// was cut or left (IORING_RECV_PARTIAL_MAP); *expanded: a new array was allocated.
int kbuf_select_bundle(Context& ctx, Request& req, uint16_t bgid, uint64_t max_len,
                       uint32_t nr_iovs, bool expand, bool commit_now,
                       std::vector<Request::UserIovec>& out, bool* partial, bool* expanded);

// Completion: the CQE flags for the buffer(s) `req` holds (0 when none) and the
// commit of ring buffers: `len` bytes over `nbufs` buffers. The request lets go.
uint32_t kbuf_put(Context& ctx, Request& req, int32_t len, uint32_t nbufs);

// The request will retry later without having used its buffer: a legacy buffer goes
// back to the front of its list, an uncommitted ring buffer is simply not consumed.
void kbuf_recycle(Context& ctx, Request& req);

// io_init_req's IOSQE_BUFFER_SELECT check: the op table's trait, plus SEND_ZC under
// the RFC profile (which gives zero-copy sends provided buffers).
bool op_accepts_buffer_select(const Profile& profile, uint8_t opcode);

// Whether a provided buffer's address is a (registered buffer, offset) encoding
// under this profile (the RFC), and the split.
struct RegbufEncoding {
  uint32_t index;
  uint64_t offset;
};
RegbufEncoding decode_regbuf_addr(const Context& ctx, uint64_t addr);

}  // namespace uringsim
