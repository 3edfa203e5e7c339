// Provided buffers (io_uring/kbuf.c as of Linux 6.18). See kbuf.h.
#include "kernel_model/kbuf.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "kernel_model/accounting.h"
#include "kernel_model/context.h"
#include "kernel_model/kernel.h"
#include "kernel_model/opdef.h"

namespace uringsim {

namespace {

constexpr uint32_t kMaxBidsPerBgid = 1u << 16;  // bids are 16 bits in the CQE
constexpr uint32_t kMaxRwCount = 0x7ffff000;    // MAX_RW_COUNT
constexpr uint64_t kUserPtrMax = 0x00007ffffffff000ull - 1;
constexpr uint32_t kUioMaxIov = 1024;
constexpr uint32_t kPeekMaxImport = 256;  // PEEK_MAX_IMPORT
constexpr uint32_t kEntryBytes = 16;      // sizeof(struct io_uring_buf)

bool access_ok(uint64_t addr, uint64_t len) {
  const uint64_t end = addr + len;
  return end >= addr && end <= kUserPtrMax;
}

// --- ring entries: in client memory, or in kernel memory with MMAP -------------------

bool read_tail(Context& ctx, const BufferList& bl, uint16_t* tail) {
  if (bl.mmap) {
    std::memcpy(tail, bl.kernel_mem + 14, 2);
    return true;
  }
  // Pinned at registration: Linux reads through its own mapping of the pages, so an
  // munmap by the client does not fault here; the model can only see what is mapped.
  return ctx.memory().read(bl.ring_addr + 14, tail, 2);
}

bool read_entry(Context& ctx, const BufferList& bl, uint16_t head, io_uring_buf* e) {
  const uint64_t off = uint64_t{head & bl.mask} * kEntryBytes;
  if (bl.mmap) {
    std::memcpy(e, bl.kernel_mem + off, sizeof *e);
    return true;
  }
  return ctx.memory().read(bl.ring_addr + off, e, sizeof *e);
}

// Writes back addr and len only: bid and resv (where bufs[0] holds the tail) belong to
// the application.
void write_entry(Context& ctx, const BufferList& bl, uint16_t head, const io_uring_buf& e) {
  const uint64_t off = uint64_t{head & bl.mask} * kEntryBytes;
  if (bl.mmap) {
    std::memcpy(bl.kernel_mem + off, &e.addr, 8);
    std::memcpy(bl.kernel_mem + off + 8, &e.len, 4);
    return;
  }
  ctx.memory().write(bl.ring_addr + off, &e.addr, 8);
  ctx.memory().write(bl.ring_addr + off + 8, &e.len, 4);
}

// io_kbuf_inc_commit: consume `len` bytes from the head buffer(s) in place. Returns
// false while the head buffer still has bytes left (IORING_CQE_F_BUF_MORE).
bool inc_commit(Context& ctx, BufferList& bl, int32_t len) {
  if (len == 0) return false;  // nothing moved: the buffer is not used up
  while (len > 0) {
    io_uring_buf e{};
    read_entry(ctx, bl, bl.head, &e);
    const uint32_t this_len = std::min<uint32_t>(static_cast<uint32_t>(len), e.len);
    const uint32_t left = e.len - this_len;
    // A zero-length entry stops the walk (it cannot be consumed).
    if (left != 0 || this_len == 0) {
      e.addr += this_len;
      e.len = left;
      write_entry(ctx, bl, bl.head, e);
      return false;
    }
    // Used up: 6.18 zeroes the entry's len (addr stays) and moves the head on.
    e.len = 0;
    write_entry(ctx, bl, bl.head, e);
    ++bl.head;
    len -= static_cast<int32_t>(this_len);
  }
  return true;
}

// io_kbuf_commit.
bool commit(Context& ctx, Request& req, BufferList* bl, int32_t len, uint32_t nr) {
  if (!req.kbuf.commit) return true;
  req.kbuf.commit = false;
  if (bl == nullptr || len < 0) return true;
  if (bl->inc) return inc_commit(ctx, *bl, len);
  bl->head = static_cast<uint16_t>(bl->head + nr);
  return true;
}

// io_provided_buffer_select (legacy list).
bool legacy_select(Request& req, BufferList& bl, uint32_t* len, uint64_t* addr) {
  if (bl.bufs.empty()) return false;
  const BufferList::Legacy b = bl.bufs.front();
  bl.bufs.pop_front();
  if (*len == 0 || *len > b.len) *len = b.len;
  req.kbuf.kind = Request::SelectedBuffers::Kind::kLegacy;
  req.kbuf.list_empty = bl.bufs.empty();
  req.kbuf.bgid = bl.bgid;
  req.kbuf.bid = b.bid;
  req.kbuf.addr = b.addr;
  req.kbuf.len = b.len;
  *addr = b.addr;
  return true;
}

}  // namespace

BufferList::~BufferList() {
  if (kernel_mem != nullptr) kernel_mem_owner->release_pbuf_ring(ring, bgid, kernel_mem, region_bytes);
  if (accounting != nullptr && acct_pages != 0) accounting->uncharge_locked(acct_uid, acct_pages);
}

// --- PROVIDE_BUFFERS / REMOVE_BUFFERS ---------------------------------------------

int io_provide_buffers_prep(Context& ctx, Request& req) {
  (void)ctx;
  const io_uring_sqe& sqe = req.sqe;
  if (sqe.rw_flags != 0 || sqe.splice_fd_in != 0) {
    return req.fail(make_fault(EINVAL, "PROVIDE_BUFFERS: rw_flags (0x%x) and splice_fd_in (%d) must be 0 -> EINVAL",
                               sqe.rw_flags, sqe.splice_fd_in));
  }
  const uint64_t nbufs = static_cast<uint32_t>(sqe.fd);
  if (nbufs == 0 || nbufs > kMaxBidsPerBgid) {
    return req.fail(make_fault(E2BIG, "PROVIDE_BUFFERS: fd (the number of buffers) is %lld; it must be 1..65536 -> E2BIG",
                               static_cast<long long>(sqe.fd)));
  }
  if (sqe.len == 0) return req.fail(make_fault(EINVAL, "PROVIDE_BUFFERS: len (each buffer's size) is 0 -> EINVAL"));
  const uint64_t size = uint64_t{sqe.len} * nbufs;  // cannot overflow 64 bits: 2^32 * 2^16
  if (sqe.addr + size < sqe.addr) {
    return req.fail(make_fault(EOVERFLOW, "PROVIDE_BUFFERS: addr 0x%llx + %llu bytes wraps around -> EOVERFLOW",
                               ull(sqe.addr), ull(size)));
  }
  if (!access_ok(sqe.addr, size)) {
    return req.fail(make_fault(EFAULT, "PROVIDE_BUFFERS: [0x%llx, +%llu) is not a user address range -> EFAULT",
                               ull(sqe.addr), ull(size)));
  }
  if (sqe.off > 0xffff) {
    return req.fail(make_fault(E2BIG, "PROVIDE_BUFFERS: off (the first buffer id) %llu is beyond 65535 -> E2BIG",
                               ull(sqe.off)));
  }
  if (sqe.off + nbufs > kMaxBidsPerBgid) {
    return req.fail(make_fault(EINVAL, "PROVIDE_BUFFERS: buffer ids %llu..%llu go past 65535 -> EINVAL", ull(sqe.off),
                               ull(sqe.off + nbufs - 1)));
  }
  req.addr = sqe.addr;
  req.len = sqe.len;
  req.off = static_cast<int64_t>(sqe.off);
  req.op_flags = static_cast<uint32_t>(nbufs);
  req.kbuf.bgid = sqe.buf_group;
  return 0;
}

int io_remove_buffers_prep(Context& ctx, Request& req) {
  (void)ctx;
  const io_uring_sqe& sqe = req.sqe;
  if (sqe.rw_flags != 0 || sqe.addr != 0 || sqe.len != 0 || sqe.off != 0 || sqe.splice_fd_in != 0) {
    return req.fail(make_fault(EINVAL, "REMOVE_BUFFERS: rw_flags, addr, len, off and splice_fd_in must all be 0 -> EINVAL"));
  }
  const uint64_t nbufs = static_cast<uint32_t>(sqe.fd);
  if (nbufs == 0 || nbufs > kMaxBidsPerBgid) {
    return req.fail(make_fault(EINVAL, "REMOVE_BUFFERS: fd (the number to remove) is %lld; it must be 1..65536 -> EINVAL",
                               static_cast<long long>(sqe.fd)));
  }
  req.op_flags = static_cast<uint32_t>(nbufs);
  req.kbuf.bgid = sqe.buf_group;
  return 0;
}

int32_t io_manage_buffers_legacy(Context& ctx, Request& req) {
  const bool provide = req.opcode == IORING_OP_PROVIDE_BUFFERS;
  const char* name = provide ? "PROVIDE_BUFFERS" : "REMOVE_BUFFERS";
  const uint16_t bgid = req.kbuf.bgid;
  req.kbuf.bgid = 0;
  ProvidedBuffers& groups = ctx.provided_buffers();
  BufferList* bl = groups.find(bgid);
  if (bl == nullptr) {
    if (!provide) return req.fail(make_fault(ENOENT, "REMOVE_BUFFERS: buffer group %u does not exist -> ENOENT", bgid));
    bl = &groups.create(bgid);
  }
  if (bl->is_ring) {
    return req.fail(make_fault(EINVAL, "%s: buffer group %u is a registered buffer ring; rings are filled by the "
                               "application, not by PROVIDE/REMOVE_BUFFERS -> EINVAL", name, bgid));
  }
  const uint32_t nbufs = req.op_flags;
  if (!provide) {
    uint32_t i = 0;
    for (; i < nbufs && !bl->bufs.empty(); ++i) bl->bufs.pop_front();
    return static_cast<int32_t>(i);
  }
  uint64_t addr = req.addr;
  uint32_t bid = static_cast<uint32_t>(req.off);
  uint32_t added = 0;
  for (uint32_t i = 0; i < nbufs; ++i) {
    // More buffers than bids would make the bids ambiguous.
    if (bl->bufs.size() == 0xffff) break;
    bl->bufs.push_back({addr, std::min(req.len, kMaxRwCount), static_cast<uint16_t>(bid)});
    addr += req.len;
    ++bid;
    ++added;
  }
  if (added == 0) {
    return req.fail(make_fault(EOVERFLOW, "PROVIDE_BUFFERS: buffer group %u already holds 65535 buffers -> EOVERFLOW",
                               bgid));
  }
  return 0;  // 6.18 answers 0, not the number added
}

// --- buffer rings ---------------------------------------------------------------------

int64_t register_pbuf_ring(Context& ctx, uint64_t arg, uint32_t nr_args) {
  if (arg == 0 || nr_args != 1) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_PBUF_RING: arg must point at one io_uring_buf_reg and nr_args be 1 "
                                "(arg 0x%llx, nr_args %u) -> EINVAL", ull(arg), nr_args));
  }
  io_uring_buf_reg reg{};
  if (!ctx.memory().read(arg, &reg, sizeof reg)) {
    return ctx.reject(make_fault(EFAULT, "REGISTER_PBUF_RING: cannot read io_uring_buf_reg at 0x%llx -> EFAULT", ull(arg)));
  }
  if (reg.resv[0] != 0 || reg.resv[1] != 0 || reg.resv[2] != 0) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_PBUF_RING: resv[] must be zero -> EINVAL"));
  }
  if (const uint16_t valid = ctx.profile().pbuf_ring_flags; reg.flags & ~valid) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_PBUF_RING: flags 0x%x; %s accepts 0x%x (IOU_PBUF_RING_MMAP 1 is "
                                "6.4+, IOU_PBUF_RING_INC 2 is 6.12+) -> EINVAL", reg.flags, ctx.profile().name.data(),
                                valid));
  }
  const uint32_t entries = reg.ring_entries;
  if (entries == 0 || (entries & (entries - 1)) != 0) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_PBUF_RING: ring_entries %u is not a power of two -> EINVAL", entries));
  }
  if (entries >= 65536) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_PBUF_RING: ring_entries %u; at most 32768 (a u16 head cannot tell "
                                "a full ring of 65536 from an empty one) -> EINVAL", entries));
  }
  ProvidedBuffers& groups = ctx.provided_buffers();
  if (BufferList* old = groups.find(reg.bgid)) {
    if (old->is_ring || !old->bufs.empty()) {
      return ctx.reject(make_fault(EEXIST, "REGISTER_PBUF_RING: buffer group %u already exists as a %s -> EEXIST",
                                  reg.bgid, old->is_ring ? "buffer ring" : "list of provided buffers"));
    }
    groups.erase(reg.bgid);  // an emptied legacy group is replaced
  }
  const bool mmap = reg.flags & IOU_PBUF_RING_MMAP;
  const size_t bytes = (size_t{entries} * kEntryBytes + kPageSize - 1) / kPageSize * kPageSize;
  // io_create_region: a user region needs a non-null, page-aligned address.
  if (!mmap) {
    if (reg.ring_addr == 0) {
      return ctx.reject(make_fault(EFAULT, "REGISTER_PBUF_RING: ring_addr is 0 and IOU_PBUF_RING_MMAP is not set -> EFAULT"));
    }
    if (reg.ring_addr % kPageSize != 0) {
      return ctx.reject(make_fault(EINVAL, "REGISTER_PBUF_RING: ring_addr 0x%llx is not page aligned -> EINVAL",
                                  ull(reg.ring_addr)));
    }
    std::vector<Vma> vmas;
    bool ok = access_ok(reg.ring_addr, bytes) && ctx.memory().vmas(reg.ring_addr, bytes, vmas);
    for (const Vma& v : vmas) ok = ok && v.readable && v.writable && v.backing != Backing::kSpecial;
    if (!ok) {
      return ctx.reject(make_fault(EFAULT, "REGISTER_PBUF_RING: the ring [0x%llx, +%zu) is not mapped read-write "
                                  "(Linux pins these pages) -> EFAULT", ull(reg.ring_addr), bytes));
    }
  }
  const uint64_t pages = bytes / kPageSize;
  if (ctx.charges_memlock()) {
    const Credentials& c = ctx.creator();
    if (Check f = ctx.accounting().charge_locked(c.uid, pages, ctx.caller().creds.memlock_limit,
                                                 "REGISTER_PBUF_RING (ring memory)")) {
      return ctx.reject(std::move(*f));
    }
  }
  BufferList& bl = groups.create(reg.bgid);
  if (ctx.charges_memlock()) {
    bl.accounting = &ctx.accounting();
    bl.acct_uid = ctx.creator().uid;
    bl.acct_pages = pages;
  }
  bl.is_ring = true;
  bl.nr_entries = entries;
  bl.mask = entries - 1;
  bl.inc = reg.flags & IOU_PBUF_RING_INC;
  bl.mmap = mmap;
  bl.region_bytes = bytes;
  if (mmap) {
    // The host places it where the client's mmap of the ring fd finds it (sim/: the
    // ring's memfd at the group's offset; in-process: the heap).
    RingMemoryProvider& owner = ctx.kernel().ring_memory();
    std::string not_simulated;
    bl.kernel_mem = owner.allocate_pbuf_ring(ctx.id(), reg.bgid, bytes, &not_simulated);
    if (bl.kernel_mem == nullptr) {
      groups.erase(reg.bgid);
      if (!not_simulated.empty()) {
        return ctx.reject(make_fault(EINVAL, "REGISTER_PBUF_RING: IOU_PBUF_RING_MMAP ring of group %u not simulated: "
                                    "%s -> EINVAL", reg.bgid, not_simulated.c_str()));
      }
      return ctx.reject(make_fault(ENOMEM, "REGISTER_PBUF_RING: cannot allocate %zu bytes of ring memory -> ENOMEM", bytes));
    }
    bl.kernel_mem_owner = &owner;
    bl.ring = ctx.id();
  } else {
    bl.ring_addr = reg.ring_addr;
  }
  return 0;
}

int64_t unregister_pbuf_ring(Context& ctx, uint64_t arg, uint32_t nr_args) {
  if (arg == 0 || nr_args != 1) {
    return ctx.reject(make_fault(EINVAL, "UNREGISTER_PBUF_RING: arg must point at one io_uring_buf_reg and nr_args be 1 "
                                "-> EINVAL"));
  }
  io_uring_buf_reg reg{};
  if (!ctx.memory().read(arg, &reg, sizeof reg)) {
    return ctx.reject(make_fault(EFAULT, "UNREGISTER_PBUF_RING: cannot read io_uring_buf_reg at 0x%llx -> EFAULT",
                                ull(arg)));
  }
  if (reg.resv[0] != 0 || reg.resv[1] != 0 || reg.resv[2] != 0 || reg.flags != 0) {
    return ctx.reject(make_fault(EINVAL, "UNREGISTER_PBUF_RING: flags (0x%x) and resv[] must be zero -> EINVAL", reg.flags));
  }
  ProvidedBuffers& groups = ctx.provided_buffers();
  BufferList* bl = groups.find(reg.bgid);
  if (bl == nullptr) {
    return ctx.reject(make_fault(ENOENT, "UNREGISTER_PBUF_RING: buffer group %u does not exist -> ENOENT", reg.bgid));
  }
  if (!bl->is_ring) {
    return ctx.reject(make_fault(EINVAL, "UNREGISTER_PBUF_RING: buffer group %u is a legacy group, not a ring -> EINVAL",
                                reg.bgid));
  }
  groups.erase(reg.bgid);
  return 0;
}

int64_t register_pbuf_status(Context& ctx, uint64_t arg, uint32_t nr_args) {
  if (arg == 0 || nr_args != 1) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_PBUF_STATUS: arg must point at one io_uring_buf_status and nr_args "
                                "be 1 -> EINVAL"));
  }
  io_uring_buf_status st{};
  if (!ctx.memory().read(arg, &st, sizeof st)) {
    return ctx.reject(make_fault(EFAULT, "REGISTER_PBUF_STATUS: cannot read io_uring_buf_status at 0x%llx -> EFAULT",
                                ull(arg)));
  }
  for (uint32_t r : st.resv) {
    if (r != 0) return ctx.reject(make_fault(EINVAL, "REGISTER_PBUF_STATUS: resv[] must be zero -> EINVAL"));
  }
  BufferList* bl = st.buf_group <= 0xffff ? ctx.provided_buffers().find(static_cast<uint16_t>(st.buf_group)) : nullptr;
  if (bl == nullptr) {
    return ctx.reject(make_fault(ENOENT, "REGISTER_PBUF_STATUS: buffer group %u does not exist -> ENOENT", st.buf_group));
  }
  if (!bl->is_ring) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_PBUF_STATUS: buffer group %u is a legacy group, not a ring -> EINVAL",
                                st.buf_group));
  }
  st.head = bl->head;
  if (!ctx.memory().write(arg, &st, sizeof st)) {
    return ctx.reject(make_fault(EFAULT, "REGISTER_PBUF_STATUS: cannot write the status back to 0x%llx -> EFAULT",
                                ull(arg)));
  }
  return 0;
}

std::byte* pbuf_ring_mmap(Context& ctx, uint16_t bgid, size_t* len) {
  *len = 0;
  BufferList* bl = ctx.provided_buffers().find(bgid);
  if (bl == nullptr || !bl->is_ring || !bl->mmap) return nullptr;
  *len = bl->region_bytes;
  return bl->kernel_mem;
}

// --- selection --------------------------------------------------------------------

bool kbuf_select(Context& ctx, Request& req, uint16_t bgid, uint32_t* len, uint64_t* addr, bool can_poll) {
  BufferList* bl = ctx.provided_buffers().find(bgid);
  if (bl == nullptr) return false;
  if (!bl->is_ring) return legacy_select(req, *bl, len, addr);

  uint16_t tail = 0;
  if (!read_tail(ctx, *bl, &tail) || tail == bl->head) return false;
  io_uring_buf e{};
  read_entry(ctx, *bl, bl->head, &e);
  if (static_cast<uint16_t>(bl->head + 1) == tail) req.kbuf.list_empty = true;
  if (*len == 0 || *len > e.len) *len = e.len;
  req.kbuf.kind = Request::SelectedBuffers::Kind::kRing;
  req.kbuf.commit = true;
  req.kbuf.bgid = bgid;
  req.kbuf.bid = e.bid;
  req.kbuf.addr = e.addr;
  req.kbuf.len = *len;
  *addr = e.addr;
  if (!can_poll) {
    // Consumed now, by the length asked for: nothing holds the ring across the
    // transfer. (A later completion cannot report BUF_MORE for it.)
    commit(ctx, req, bl, static_cast<int32_t>(*len), 1);
  }
  return true;
}

int kbuf_select_bundle(Context& ctx, Request& req, uint16_t bgid, uint64_t max_len, uint32_t nr_iovs, bool expand,
                       bool commit_now, std::vector<Request::UserIovec>& out, bool* partial, bool* expanded) {
  out.clear();
  *partial = false;
  *expanded = false;
  BufferList* bl = ctx.provided_buffers().find(bgid);
  if (bl == nullptr) return -ENOENT;
  if (!bl->is_ring) {
    // Legacy groups cannot bundle: one buffer at most.
    uint32_t len = static_cast<uint32_t>(std::min<uint64_t>(max_len, UINT32_MAX));
    uint64_t addr = 0;
    if (!legacy_select(req, *bl, &len, &addr)) return -ENOBUFS;
    out.push_back({addr, len});
    return 1;
  }
  uint16_t tail = 0;
  if (!read_tail(ctx, *bl, &tail)) return -ENOBUFS;
  uint16_t head = bl->head;
  uint32_t nr_avail = std::min<uint32_t>(static_cast<uint16_t>(tail - head), kUioMaxIov);
  if (nr_avail == 0) return -ENOBUFS;
  io_uring_buf e{};
  read_entry(ctx, *bl, head, &e);
  if (max_len != 0) {
    if (e.len == 0) return -ENOBUFS;
    uint64_t needed = (max_len + e.len - 1) / e.len;
    needed = std::min<uint64_t>(needed, kPeekMaxImport);
    if (nr_avail > needed) nr_avail = static_cast<uint32_t>(needed);
  }
  // Only a known amount of data is worth a bigger iovec array.
  if (expand && nr_avail > nr_iovs && max_len != 0) {
    *expanded = true;
    nr_iovs = nr_avail;
  } else if (nr_avail < nr_iovs) {
    nr_iovs = nr_avail;
  }
  if (max_len == 0) max_len = INT_MAX;
  req.kbuf.bid = e.bid;
  do {
    uint32_t len = e.len;
    if (len > max_len) {
      len = static_cast<uint32_t>(max_len);
      if (!bl->inc) {
        *partial = true;
        // Only the first buffer is cut (Linux shortens the ring entry itself); a
        // later one is left whole for the next pick.
        if (!out.empty()) break;
        e.len = len;
        write_entry(ctx, *bl, head, e);
      }
    }
    out.push_back({e.addr, len});
    max_len -= len;
    if (max_len == 0) break;
    ++head;
    read_entry(ctx, *bl, head, &e);
  } while (--nr_iovs);
  if (head == tail) req.kbuf.list_empty = true;
  req.kbuf.kind = Request::SelectedBuffers::Kind::kRing;
  req.kbuf.commit = true;
  req.kbuf.bgid = bgid;
  const int n = static_cast<int>(out.size());
  if (commit_now && n > 0) {
    req.kbuf.no_recycle = true;
    uint64_t total = 0;
    for (const auto& v : out) total += v.len;
    commit(ctx, req, bl, static_cast<int32_t>(total), static_cast<uint32_t>(n));
  }
  return n;
}

uint32_t kbuf_put(Context& ctx, Request& req, int32_t len, uint32_t nbufs) {
  using Kind = Request::SelectedBuffers::Kind;
  if (req.kbuf.kind == Kind::kNone) return 0;
  uint32_t flags = IORING_CQE_F_BUFFER | (uint32_t{req.kbuf.bid} << IORING_CQE_BUFFER_SHIFT);
  if (req.kbuf.kind == Kind::kRing) {
    BufferList* bl = ctx.provided_buffers().find(req.kbuf.bgid);
    if (!commit(ctx, req, bl, len, nbufs)) flags |= IORING_CQE_F_BUF_MORE;
  }
  req.kbuf.kind = Kind::kNone;
  req.kbuf.commit = false;
  return flags;
}

void kbuf_recycle(Context& ctx, Request& req) {
  using Kind = Request::SelectedBuffers::Kind;
  if (req.kbuf.no_recycle || req.kbuf.kind == Kind::kNone) return;
  if (req.kbuf.kind == Kind::kRing) {
    if (!req.kbuf.commit) return;  // already consumed at selection: keep it
    req.kbuf.kind = Kind::kNone;
    req.kbuf.commit = false;
    return;
  }
  if (BufferList* bl = ctx.provided_buffers().find(req.kbuf.bgid)) {
    bl->bufs.push_front({req.kbuf.addr, req.kbuf.len, req.kbuf.bid});
  }
  req.kbuf.kind = Kind::kNone;
}

bool op_accepts_buffer_select(const Profile& profile, uint8_t opcode) {
  if (opdef(opcode).buffer_select) return true;
  return profile.rfc_provided_registered && opcode == IORING_OP_SEND_ZC;
}

RegbufEncoding decode_regbuf_addr(const Context& ctx, uint64_t addr) {
  const uint32_t bits = ctx.profile().rfc_regbuf_index_bits;
  const uint64_t mask = bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  return {static_cast<uint32_t>(addr & mask), bits >= 64 ? 0 : addr >> bits};
}

}  // namespace uringsim
