// The registered (fixed) file table (io_uring/filetable.c and the file half of rsrc.c):
// IORING_REGISTER_FILES2, FILES_UPDATE, FILES_UPDATE2, FILE_ALLOC_RANGE, sparse tables,
// file tags, and IORING_OP_FILES_UPDATE.
//
// The table's slots live in Context::fixed_files() (rsrc.h's FileTable). A slot may be
// empty (fd -1 at registration, IORING_RSRC_REGISTER_SPARSE, or cleared by an update);
// IORING_REGISTER_FILES_SKIP (-2) in an update leaves a slot as it is. A slot may carry a
// tag: when its file leaves the table (replaced, cleared, unregistered) the ring gets the
// CQE {user_data = tag, res = 0, flags = 0}. IORING_FILE_INDEX_ALLOC picks the first free
// slot of the allocation range (the whole table unless FILE_ALLOC_RANGE narrowed it),
// searching from where the last allocation or removal left off.
//
// Model difference: Linux posts a tag when the last reference to the slot's node goes,
// which an in-flight request using the file can delay; the model's requests hold the
// file, not the slot, so the tag is posted when the slot changes.
//
// register_files / unregister_files (IORING_REGISTER_FILES / UNREGISTER_FILES) are
// declared in rsrc.h and defined in filetable.cc.
#pragma once

#include <cstdint>

namespace uringsim {

class Context;
struct Request;

// IORING_REGISTER_FILES2: `arg` is an io_uring_rsrc_register, `size` (nr_args) must be
// its size (32). data 0 (or flags SPARSE, which then requires data 0) registers `nr`
// empty slots; tags (optional) is a u64 per slot, and an empty slot cannot have one.
int64_t register_files2(Context& ctx, uint64_t arg, uint32_t size);
// IORING_REGISTER_FILES_UPDATE (6): `arg` is an io_uring_rsrc_update {offset, data = s32
// fds}, nr_args entries. Returns the number of entries processed, or -errno if none.
int64_t register_files_update(Context& ctx, uint64_t arg, uint32_t nr);
// IORING_REGISTER_FILES_UPDATE2 (14): `arg` is an io_uring_rsrc_update2 (with tags and
// nr), `size` must be its size (32).
int64_t register_files_update2(Context& ctx, uint64_t arg, uint32_t size);
// IORING_REGISTER_FILE_ALLOC_RANGE (25): `arg` is an io_uring_file_index_range;
// nr_args must be 0.
int64_t register_file_alloc_range(Context& ctx, uint64_t arg, uint32_t nr);

// The slot IORING_FILE_INDEX_ALLOC would use now (io_file_bitmap_get), or -ENFILE.
int32_t file_alloc_slot(Context& ctx);

// IORING_OP_FILES_UPDATE (opdef row 20): off = first slot (or IORING_FILE_INDEX_ALLOC),
// addr = s32 fds, len = count. res = entries processed, or -errno if none.
int io_files_update_prep(Context& ctx, Request& req);
int32_t io_files_update(Context& ctx, Request& req);

}  // namespace uringsim
