// The registered file table: registration, updates, tags, slot allocation
// (io_uring/filetable.c, io_uring/rsrc.c).
#include "kernel_model/filetable.h"

#include <cerrno>

#include "kernel_model/context.h"
#include "kernel_model/opdef.h"
#include "kernel_model/rsrc.h"

namespace uringsim {

namespace {

constexpr uint32_t kSparseFilesSince = 5005;   // REGISTER_FILES accepts -1 slots
constexpr uint32_t kNullArgCheckSince = 6013;  // register.c: arg NULL -> EFAULT up front [?]

// io_file_bitmap_set: a file goes into slot i; the next allocation searches after it.
void slot_set(FileTable& t, uint32_t i, std::shared_ptr<File> file, uint64_t tag) {
  t.slots()[i] = std::move(file);
  t.tags()[i] = tag;
  t.alloc_hint = i + 1;
}

// io_reset_rsrc_node + io_file_bitmap_clear: slot i is emptied; a tagged file posts its
// tag CQE as it leaves. Returns whether the slot held a file.
bool slot_reset(Context& ctx, uint32_t i) {
  FileTable& t = ctx.fixed_files();
  if (!t.slots()[i]) return false;
  const uint64_t tag = t.tags()[i];
  t.slots()[i].reset();
  t.tags()[i] = 0;
  t.alloc_hint = i;
  if (tag != 0) ctx.post_aux_cqe(tag, 0, 0);
  return true;
}

void set_alloc_range(FileTable& t, uint32_t off, uint32_t len) {
  t.alloc_start = off;
  t.alloc_end = off + len;
  t.alloc_hint = off;
}

// io_sqe_files_register: `fds` and `tags` (0: none) are user arrays of `nr` entries;
// with `null_fds_sparse` (FILES2) fds 0 means every slot empty. All or nothing.
int64_t files_register(Context& ctx, const char* name, uint64_t fds, uint32_t nr, uint64_t tags,
                       bool null_fds_sparse) {
  const Profile& p = ctx.profile();
  if (ctx.fixed_files().exists()) {
    return ctx.reject(make_fault(EBUSY, "%s: this ring already has a file table (%u slots); unregister it first -> EBUSY",
                                name, ctx.fixed_files().size()));
  }
  if (nr == 0) return ctx.reject(make_fault(EINVAL, "%s: nr is 0 -> EINVAL", name));
  if (nr > p.max_reg_files) {
    return ctx.reject(make_fault(EMFILE, "%s: %u files is more than the %u fixed files Linux %s allows -> EMFILE", name,
                                nr, p.max_reg_files, p.name.data()));
  }
  // (6.18 also refuses nr > RLIMIT_NOFILE with EMFILE; the model's credentials carry no
  // RLIMIT_NOFILE, so that limit is never hit.)
  const bool sparse = profile_version(p) >= kSparseFilesSince;
  std::vector<std::shared_ptr<File>> files(nr);
  std::vector<uint64_t> slot_tags(nr, 0);
  for (uint32_t i = 0; i < nr; ++i) {
    uint64_t tag = 0;
    if (tags != 0 && !ctx.memory().read(tags + uint64_t{i} * 8, &tag, sizeof tag)) {
      return ctx.reject(make_fault(EFAULT, "%s: cannot read tag %u (tags array at 0x%llx) -> EFAULT", name, i, ull(tags)));
    }
    const bool no_fds = fds == 0 && null_fds_sparse;
    int32_t fd = -1;
    if (!no_fds && !ctx.memory().read(fds + uint64_t{i} * 4, &fd, sizeof fd)) {
      return ctx.reject(make_fault(EFAULT, "%s: cannot read fd %u (fd array at 0x%llx) -> EFAULT", name, i, ull(fds)));
    }
    if (no_fds || (fd == -1 && sparse)) {  // an empty slot
      if (tag != 0) {
        return ctx.reject(make_fault(EINVAL, "%s: slot %u is empty but has tag 0x%llx; only files can be tagged -> EINVAL",
                                    name, i, ull(tag)));
      }
      continue;
    }
    std::shared_ptr<File> file = ctx.files().get(fd);
    if (!file) return ctx.reject(make_fault(EBADF, "%s: entry %u: fd %d is not open -> EBADF", name, i, fd));
    if (file->kind() == FileKind::kRing) {
      return ctx.reject(make_fault(EBADF, "%s: entry %u: fd %d is an io_uring ring; rings cannot be registered files -> EBADF",
                                  name, i, fd));
    }
    files[i] = std::move(file);
    slot_tags[i] = tag;
  }
  FileTable& t = ctx.fixed_files();
  t.create(nr);
  t.slots().swap(files);
  t.tags().swap(slot_tags);
  set_alloc_range(t, 0, nr);  // by default the whole table
  return 0;
}

// __io_register_rsrc_update for files: `nr` entries of `fds` (and `tags`) into the slots
// from `offset`. Returns entries done, or -errno (with *why) when none was.
int64_t files_update(Context& ctx, const char* name, uint32_t offset, uint64_t fds, uint64_t tags, uint32_t nr,
                     Fault* why) {
  FileTable& t = ctx.fixed_files();
  if (offset + nr < offset) {
    *why = make_fault(EOVERFLOW, "%s: offset %u + %u entries overflows -> EOVERFLOW", name, offset, nr);
    return -EOVERFLOW;
  }
  if (!t.exists()) {
    *why = make_fault(ENXIO, "%s: this ring has no registered files -> ENXIO", name);
    return -ENXIO;
  }
  if (offset + nr > t.size()) {
    *why = make_fault(EINVAL, "%s: slots [%u, %u) run past the %u-slot file table -> EINVAL", name, offset,
                      offset + nr, t.size());
    return -EINVAL;
  }
  uint32_t done = 0;
  Fault err;
  for (; done < nr; ++done) {
    uint64_t tag = 0;
    int32_t fd;
    if ((tags != 0 && !ctx.memory().read(tags + uint64_t{done} * 8, &tag, sizeof tag)) ||
        !ctx.memory().read(fds + uint64_t{done} * 4, &fd, sizeof fd)) {
      err = make_fault(EFAULT, "%s: cannot read entry %u (fds at 0x%llx, tags at 0x%llx) -> EFAULT", name, done,
                       ull(fds), ull(tags));
      break;
    }
    if ((fd == IORING_REGISTER_FILES_SKIP || fd == -1) && tag != 0) {
      err = make_fault(EINVAL, "%s: entry %u has fd %d with tag 0x%llx; only a file can be tagged -> EINVAL", name,
                       done, fd, ull(tag));
      break;
    }
    if (fd == IORING_REGISTER_FILES_SKIP) continue;
    const uint32_t i = offset + done;
    // The old file leaves first, even when the new fd then turns out to be bad.
    slot_reset(ctx, i);
    if (fd == -1) continue;
    std::shared_ptr<File> file = ctx.files().get(fd);
    if (!file) {
      err = make_fault(EBADF, "%s: entry %u (slot %u): fd %d is not open -> EBADF", name, done, i, fd);
      break;
    }
    if (file->kind() == FileKind::kRing) {
      err = make_fault(EBADF, "%s: entry %u (slot %u): fd %d is an io_uring ring; rings cannot be registered files -> EBADF",
                       name, done, i, fd);
      break;
    }
    slot_set(t, i, std::move(file), tag);
  }
  if (done > 0) return done;
  *why = std::move(err);
  return -why->err;
}

int64_t files_update_call(Context& ctx, const char* name, uint32_t offset, uint64_t fds, uint64_t tags, uint32_t nr) {
  Fault why;
  const int64_t ret = files_update(ctx, name, offset, fds, tags, nr, &why);
  if (ret < 0) ctx.set_fault(std::move(why));
  return ret;
}

// io_install_fixed_file: `file` into `slot`, replacing what is there; no tag.
int install_fixed_file(Context& ctx, std::shared_ptr<File> file, uint32_t slot, Fault* why) {
  FileTable& t = ctx.fixed_files();
  if (file->kind() == FileKind::kRing) {
    *why = make_fault(EBADF, "FILES_UPDATE: an io_uring ring cannot be a registered file -> EBADF");
    return -EBADF;
  }
  if (!t.exists()) {
    *why = make_fault(ENXIO, "FILES_UPDATE: this ring has no registered files -> ENXIO");
    return -ENXIO;
  }
  if (slot >= t.size()) {
    *why = make_fault(EINVAL, "FILES_UPDATE: slot %u is beyond the %u-slot file table -> EINVAL", slot, t.size());
    return -EINVAL;
  }
  slot_reset(ctx, slot);
  slot_set(t, slot, std::move(file), 0);
  return 0;
}

// io_files_update_with_index_alloc: each fd goes into a slot the kernel picks, and the
// slot number is written back over the fd.
int64_t files_update_alloc(Context& ctx, uint64_t fds, uint32_t nr, Fault* why) {
  if (!ctx.fixed_files().exists()) {
    *why = make_fault(ENXIO, "FILES_UPDATE: this ring has no registered files -> ENXIO");
    return -ENXIO;
  }
  uint32_t done = 0;
  int64_t ret = 0;
  for (; done < nr; ++done) {
    const uint64_t at = fds + uint64_t{done} * 4;
    int32_t fd;
    if (!ctx.memory().read(at, &fd, sizeof fd)) {
      *why = make_fault(EFAULT, "FILES_UPDATE: cannot read fd %u at 0x%llx -> EFAULT", done, ull(at));
      ret = -EFAULT;
      break;
    }
    std::shared_ptr<File> file = ctx.files().get(fd);
    if (!file) {
      *why = make_fault(EBADF, "FILES_UPDATE: entry %u: fd %d is not open -> EBADF", done, fd);
      ret = -EBADF;
      break;
    }
    const int32_t slot = file_alloc_slot(ctx);
    if (slot < 0) {
      const FileTable& t = ctx.fixed_files();
      *why = make_fault(ENFILE, "FILES_UPDATE: entry %u: no free slot in the allocation range [%u, %u) -> ENFILE", done,
                        t.alloc_start, t.alloc_end);
      ret = slot;
      break;
    }
    ret = install_fixed_file(ctx, std::move(file), static_cast<uint32_t>(slot), why);
    if (ret < 0) break;
    if (!ctx.memory().write(at, &slot, sizeof slot)) {
      slot_reset(ctx, static_cast<uint32_t>(slot));
      *why = make_fault(EFAULT, "FILES_UPDATE: cannot write slot %d back to entry %u at 0x%llx -> EFAULT", slot, done,
                        ull(at));
      ret = -EFAULT;
      break;
    }
  }
  return done > 0 ? done : ret;
}

}  // namespace

int32_t file_alloc_slot(Context& ctx) {
  FileTable& t = ctx.fixed_files();
  if (!t.exists()) return -ENFILE;
  // 6.18.y (stable fix "clamp alloc_hint to the range"): a hint outside the range,
  // left by a removal below it, restarts the search at the range's start.
  if (t.alloc_hint < t.alloc_start || t.alloc_hint >= t.alloc_end) t.alloc_hint = t.alloc_start;
  uint32_t end = t.alloc_end;
  for (;;) {
    for (uint32_t i = t.alloc_hint; i < end; ++i) {
      if (!t.slots()[i]) return static_cast<int32_t>(i);
    }
    if (t.alloc_hint == t.alloc_start) break;
    end = t.alloc_hint;  // wrap around: search the part before the hint
    t.alloc_hint = t.alloc_start;
  }
  return -ENFILE;
}

int64_t register_files(Context& ctx, uint64_t arg, uint32_t nr) {
  if (arg == 0 && profile_version(ctx.profile()) >= kNullArgCheckSince) {
    return ctx.reject(make_fault(EFAULT, "REGISTER_FILES: arg is NULL; it must point to %u s32 fds -> EFAULT", nr));
  }
  // Before 5.5 there were no empty slots: -1 is a bad fd there.
  return files_register(ctx, "REGISTER_FILES", arg, nr, 0, /*null_fds_sparse=*/false);
}

int64_t unregister_files(Context& ctx) {
  FileTable& t = ctx.fixed_files();
  if (!t.exists()) {
    return ctx.reject(make_fault(ENXIO, "UNREGISTER_FILES: this ring has no registered files -> ENXIO"));
  }
  // io_rsrc_data_free drops the slots from the last one down: tag CQEs come out in
  // descending slot order.
  for (uint32_t i = t.size(); i-- > 0;) slot_reset(ctx, i);
  t.destroy();
  set_alloc_range(t, 0, 0);
  return 0;
}

int64_t register_files2(Context& ctx, uint64_t arg, uint32_t size) {
  io_uring_rsrc_register rr;
  if (size != sizeof rr) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_FILES2: nr_args is %u; it must be sizeof(io_uring_rsrc_register) = %zu -> EINVAL",
                                size, sizeof rr));
  }
  if (!ctx.memory().read(arg, &rr, sizeof rr)) {
    return ctx.reject(make_fault(EFAULT, "REGISTER_FILES2: cannot read io_uring_rsrc_register at 0x%llx -> EFAULT", ull(arg)));
  }
  if (rr.nr == 0 || rr.resv2 != 0) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_FILES2: nr is %u and resv2 0x%llx; nr must be > 0 and resv2 0 -> EINVAL",
                                rr.nr, ull(rr.resv2)));
  }
  if (rr.flags & ~IORING_RSRC_REGISTER_SPARSE) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_FILES2: flags 0x%x has bits other than IORING_RSRC_REGISTER_SPARSE -> EINVAL",
                                rr.flags));
  }
  if ((rr.flags & IORING_RSRC_REGISTER_SPARSE) && rr.data != 0) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_FILES2: IORING_RSRC_REGISTER_SPARSE with data 0x%llx; a sparse table takes no fds -> EINVAL",
                                ull(rr.data)));
  }
  return files_register(ctx, "REGISTER_FILES2", rr.data, rr.nr, rr.tags, /*null_fds_sparse=*/true);
}

int64_t register_files_update(Context& ctx, uint64_t arg, uint32_t nr) {
  if (nr == 0) return ctx.reject(make_fault(EINVAL, "REGISTER_FILES_UPDATE: nr_args is 0 -> EINVAL"));
  io_uring_rsrc_update up;
  if (!ctx.memory().read(arg, &up, sizeof up)) {
    return ctx.reject(make_fault(EFAULT, "REGISTER_FILES_UPDATE: cannot read io_uring_rsrc_update at 0x%llx -> EFAULT", ull(arg)));
  }
  if (up.resv != 0) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_FILES_UPDATE: resv is 0x%x; it must be 0 -> EINVAL", up.resv));
  }
  return files_update_call(ctx, "REGISTER_FILES_UPDATE", up.offset, up.data, 0, nr);
}

int64_t register_files_update2(Context& ctx, uint64_t arg, uint32_t size) {
  io_uring_rsrc_update2 up;
  if (size != sizeof up) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_FILES_UPDATE2: nr_args is %u; it must be sizeof(io_uring_rsrc_update2) = %zu -> EINVAL",
                                size, sizeof up));
  }
  if (!ctx.memory().read(arg, &up, sizeof up)) {
    return ctx.reject(make_fault(EFAULT, "REGISTER_FILES_UPDATE2: cannot read io_uring_rsrc_update2 at 0x%llx -> EFAULT", ull(arg)));
  }
  if (up.nr == 0 || up.resv != 0 || up.resv2 != 0) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_FILES_UPDATE2: nr %u, resv 0x%x, resv2 0x%x; nr must be > 0 and the "
                                "reserved words 0 -> EINVAL", up.nr, up.resv, up.resv2));
  }
  return files_update_call(ctx, "REGISTER_FILES_UPDATE2", up.offset, up.data, up.tags, up.nr);
}

int64_t register_file_alloc_range(Context& ctx, uint64_t arg, uint32_t nr) {
  if (arg == 0 || nr != 0) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_FILE_ALLOC_RANGE: arg is %s and nr_args %u; it takes a range and nr_args 0 -> EINVAL",
                                arg == 0 ? "NULL" : "set", nr));
  }
  io_uring_file_index_range range;
  if (!ctx.memory().read(arg, &range, sizeof range)) {
    return ctx.reject(make_fault(EFAULT, "REGISTER_FILE_ALLOC_RANGE: cannot read the range at 0x%llx -> EFAULT", ull(arg)));
  }
  const uint32_t end = range.off + range.len;
  if (end < range.off) {
    return ctx.reject(make_fault(EOVERFLOW, "REGISTER_FILE_ALLOC_RANGE: off %u + len %u overflows -> EOVERFLOW", range.off,
                                range.len));
  }
  if (range.resv != 0 || end > ctx.fixed_files().size()) {
    return ctx.reject(make_fault(EINVAL, "REGISTER_FILE_ALLOC_RANGE: [%u, %u) with resv 0x%llx; the range must lie inside "
                                "the %u-slot file table and resv be 0 -> EINVAL",
                                range.off, end, ull(range.resv), ctx.fixed_files().size()));
  }
  set_alloc_range(ctx.fixed_files(), range.off, range.len);
  return 0;
}

int io_files_update_prep(Context& ctx, Request& req) {
  (void)ctx;
  const io_uring_sqe& sqe = req.sqe;
  if (req.flags & IOSQE_FIXED_FILE) {
    return req.fail(make_fault(EINVAL, "FILES_UPDATE: IOSQE_FIXED_FILE makes no sense here -> EINVAL"));
  }
  if (sqe.rw_flags != 0 || sqe.splice_fd_in != 0) {
    return req.fail(make_fault(EINVAL, "FILES_UPDATE: rw_flags (0x%x) and splice_fd_in (%d) must be 0 -> EINVAL",
                               sqe.rw_flags, sqe.splice_fd_in));
  }
  req.off = static_cast<uint32_t>(sqe.off);  // io_rsrc_update.offset is a u32
  req.len = sqe.len;
  if (req.len == 0) return req.fail(make_fault(EINVAL, "FILES_UPDATE: len (the fd count) is 0 -> EINVAL"));
  req.addr = sqe.addr;
  return 0;
}

int32_t io_files_update(Context& ctx, Request& req) {
  const uint32_t offset = static_cast<uint32_t>(req.off);
  Fault why;
  const int64_t ret = offset == IORING_FILE_INDEX_ALLOC
                          ? files_update_alloc(ctx, req.addr, req.len, &why)
                          : files_update(ctx, "FILES_UPDATE", offset, req.addr, 0, req.len, &why);
  if (ret < 0) return req.fail(std::move(why));
  return static_cast<int32_t>(ret);
}

}  // namespace uringsim
