// rsrc: registered buffers and registered (fixed) files -- the pin model.
//
// Linux keeps three levels, and so do we:
//  - MappedBuffer (io_mapped_ubuf): the pinned user range and what it was charged.
//    Shared by every table slot that refers to it (a buffer cloned into other rings)
//    and by in-flight requests; the charge is returned when the last one lets go.
//  - BufferNode (io_rsrc_node): one table slot's reference, with the slot's tag. When
//    the last holder (the table, or a request using it) lets go, a tagged node posts
//    the tag CQE {user_data = tag, res = 0, flags = 0} on its ring.
//  - BufferTable: the ring's slots (empty slots allowed: sparse tables, {NULL, 0}).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernel_model/accounting.h"
#include "kernel_model/cost.h"
#include "kernel_model/files.h"

namespace uringsim {

class Context;

struct MappedBuffer {
  uint64_t ubuf = 0;        // user address of the first byte
  uint64_t len = 0;         // bytes
  uint64_t acct_pages = 0;  // pages charged to locked_vm of `uid` (0 with CAP_IPC_LOCK)
  uint64_t pinned_pages = 0;  // pages added to pinned_vm (VmPin) of `mm`
  uint64_t folio_size = 4096;  // size of the pages backing it (huge-page coalescing)
  uint64_t nr_folios = 0;    // folios pinned (huge-page coalescing: one per huge page)
  uint32_t uid = 0;
  uint64_t mm = 0;
  Accounting* accounting = nullptr;
  ModelClock* clock = nullptr;  // charged the unpin cost when the last reference goes
  // Start addresses of the compound pages (hugetlb, THP) this buffer pinned, in
  // address order: a later registration into the same table does not charge them again.
  std::vector<uint64_t> compound_heads;

  MappedBuffer() = default;
  MappedBuffer(const MappedBuffer&) = delete;
  MappedBuffer& operator=(const MappedBuffer&) = delete;
  ~MappedBuffer();  // returns acct_pages and pinned_pages
};

struct BufferNode {
  std::shared_ptr<MappedBuffer> buf;
  uint64_t tag = 0;
  Context* ctx = nullptr;  // ring that receives the tag CQE

  BufferNode() = default;
  BufferNode(const BufferNode&) = delete;
  BufferNode& operator=(const BufferNode&) = delete;
  ~BufferNode();  // posts the tag CQE when tag != 0
};

// The identity memory is charged to (io_ring_ctx's `user` and `mm_account`): a ring
// created with CAP_IPC_LOCK has no user (nothing is charged to locked_vm), every ring
// has the mm of the task that created it. Clone requires both rings to agree (6.18).
struct AccountingIdentity {
  bool has_user = false;
  uint32_t uid = 0;
  uint64_t mm = 0;
  bool operator==(const AccountingIdentity&) const = default;
};

class BufferTable {
 public:
  bool exists() const { return exists_; }
  uint32_t size() const { return static_cast<uint32_t>(slots_.size()); }
  // The node in slot `index`, or null when the index is out of range or the slot empty.
  const std::shared_ptr<BufferNode>* find(uint32_t index) const {
    if (index >= slots_.size() || !slots_[index]) return nullptr;
    return &slots_[index];
  }
  std::vector<std::shared_ptr<BufferNode>>& slots() { return slots_; }
  const std::vector<std::shared_ptr<BufferNode>>& slots() const { return slots_; }
  void create(size_t n) { slots_.assign(n, nullptr); exists_ = true; }
  // Drops every slot, last index first as io_rsrc_data_free does (so tag CQEs of a
  // table come out in descending slot order, as on Linux).
  void destroy() {
    while (!slots_.empty()) slots_.pop_back();
    exists_ = false;
  }
  // Installs `slots` as the table (possibly replacing one): the old slots are released
  // last index first.
  void install(std::vector<std::shared_ptr<BufferNode>> slots) {
    slots_.swap(slots);
    exists_ = true;
    while (!slots.empty()) slots.pop_back();
  }

 private:
  std::vector<std::shared_ptr<BufferNode>> slots_;
  bool exists_ = false;
};

class FileTable {
 public:
  bool exists() const { return exists_; }
  uint32_t size() const { return static_cast<uint32_t>(slots_.size()); }
  const std::shared_ptr<File>* find(uint32_t index) const {
    if (index >= slots_.size() || !slots_[index]) return nullptr;
    return &slots_[index];
  }
  std::vector<std::shared_ptr<File>>& slots() { return slots_; }
  std::vector<uint64_t>& tags() { return tags_; }
  void create(size_t n) { slots_.assign(n, nullptr); tags_.assign(n, 0); exists_ = true; }
  void destroy() {
    slots_.clear();
    tags_.clear();
    exists_ = false;
    alloc_start = alloc_end = alloc_hint = 0;
  }

  // Where IORING_FILE_INDEX_ALLOC picks a free slot: [alloc_start, alloc_end), the
  // search starting at alloc_hint (filetable.cc; IORING_REGISTER_FILE_ALLOC_RANGE).
  uint32_t alloc_start = 0;
  uint32_t alloc_end = 0;
  uint32_t alloc_hint = 0;

 private:
  std::vector<std::shared_ptr<File>> slots_;
  std::vector<uint64_t> tags_;
  bool exists_ = false;
};

// --- io_uring_register operations on the tables (rsrc.cc) ------------------------
// Each runs with the caller bound to `ctx` (Context::do_register), returns 0 or -errno,
// and on failure records why with ctx.set_fault().

// IORING_REGISTER_BUFFERS: `arg` is a user array of `nr` struct iovec. All or nothing:
// on any failure the buffers registered by this call are dropped (their pins and
// charges returned) and no table exists afterwards.
int64_t register_buffers(Context& ctx, uint64_t arg, uint32_t nr);
// IORING_UNREGISTER_BUFFERS. REQUIRES: the dispatcher checked arg == 0 and nr == 0.
// Requests in flight keep their buffer (and its charge) until they complete.
int64_t unregister_buffers(Context& ctx);
// IORING_REGISTER_BUFFERS2 (5.13): `arg` is a struct io_uring_rsrc_register and `size`
// (nr_args) must be its size, 32. {nr, flags (IORING_RSRC_REGISTER_SPARSE), data
// (iovec array or 0: all slots empty), tags (u64 array or 0)}. All or nothing, like
// register_buffers; a non-zero tag on an empty slot is -EINVAL.
int64_t register_buffers2(Context& ctx, uint64_t arg, uint32_t size);
// IORING_REGISTER_BUFFERS_UPDATE (5.13): `arg` is a struct io_uring_rsrc_update2, `size`
// must be 32. Replaces slots [offset, offset + nr) one by one and stops at the first
// failure: returns how many slots were updated when that is > 0, else -errno. An
// {NULL, 0} iovec clears a slot. A replaced buffer is released (tag CQE, pins,
// charges) when its last user lets go.
int64_t update_buffers(Context& ctx, uint64_t arg, uint32_t size);
// IORING_REGISTER_CLONE_BUFFERS (6.12; offsets and DST_REPLACE 6.13): `arg` is a struct
// io_uring_clone_buffers. REQUIRES: the dispatcher checked arg != 0 and nr_args == 1.
// The destination shares the source's pinned buffers (no new charge); a buffer stays
// pinned and charged until its last table or request lets go. O(slots cloned).
int64_t clone_buffers(Context& ctx, uint64_t arg);
// Who the ring's memory is charged to (see AccountingIdentity).
AccountingIdentity accounting_identity(const Context& ctx);
// IORING_REGISTER_FILES: `arg` is a user array of `nr` s32 fds; -1 leaves a slot empty
// (sparse tables, 5.5+). All or nothing. (Defined in filetable.cc, with the rest of
// the file table: FILES2, updates, tags, allocation ranges.)
int64_t register_files(Context& ctx, uint64_t arg, uint32_t nr);
// IORING_UNREGISTER_FILES. REQUIRES: the dispatcher checked arg == 0 and nr == 0.
int64_t unregister_files(Context& ctx);

}  // namespace uringsim
