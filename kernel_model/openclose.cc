#include "kernel_model/openclose.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "kernel_model/context.h"
#include "kernel_model/filetable.h"

namespace uringsim {

namespace {

constexpr size_t kPathMax = 4096;

// getname(): copies a NUL-terminated path from user memory, a page at a time so a
// string ending just before an unmapped page is still read. -EFAULT, -ENOENT for "",
// -ENAMETOOLONG past PATH_MAX.
Check read_path(Context& ctx, const char* name, uint64_t addr, std::string* out) {
  out->clear();
  char chunk[4096];
  uint64_t cur = addr;
  while (out->size() < kPathMax) {
    const size_t in_page = 4096 - (cur & 4095);
    const size_t n = std::min(in_page, kPathMax - out->size());
    if (!ctx.memory().read(cur, chunk, n))
      return make_fault(EFAULT, "%s: the path at 0x%llx is not readable", name, (unsigned long long)addr);
    const void* nul = std::memchr(chunk, 0, n);
    if (nul != nullptr) {
      out->append(chunk, static_cast<const char*>(nul) - chunk);
      if (out->empty()) return make_fault(ENOENT, "%s: the path is the empty string", name);
      return std::nullopt;
    }
    out->append(chunk, n);
    cur += n;
  }
  return make_fault(ENAMETOOLONG, "%s: the path is longer than PATH_MAX (4096)", name);
}

// build_open_how(): O_* flags the kernel knows, and the mode only with O_CREAT/O_TMPFILE.
constexpr uint64_t kValidOpenFlags = O_RDONLY | O_WRONLY | O_RDWR | O_CREAT | O_EXCL | O_NOCTTY |
                                     O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC | FASYNC | O_DIRECT |
                                     O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC |
                                     O_PATH | O_TMPFILE;

int openat_common(Context& ctx, Request& req, const char* name) {
  const io_uring_sqe& sqe = req.sqe;
  if (sqe.buf_index != 0) return req.fail(make_fault(EINVAL, "%s: buf_index must be 0", name));
  if (req.flags & IOSQE_FIXED_FILE)
    return req.fail(make_fault(EBADF, "%s: IOSQE_FIXED_FILE makes no sense (use file_index for a direct descriptor)", name));
  std::string path;
  if (Check c = read_path(ctx, name, sqe.addr, &path)) return req.fail(std::move(*c));
  req.path = std::move(path);
  req.len = sqe.file_index;  // the direct-descriptor slot (1-based), or IORING_FILE_INDEX_ALLOC
  if (req.len != 0 && (req.open_flags & O_CLOEXEC))
    return req.fail(make_fault(EINVAL, "%s: O_CLOEXEC with a direct descriptor (file_index %u)", name, req.len));
  return 0;
}

}  // namespace

int io_openat_prep(Context& ctx, Request& req) {
  const uint64_t flags = req.sqe.open_flags;
  req.open_flags = flags & kValidOpenFlags;
  req.open_mode = (flags & (O_CREAT | O_TMPFILE)) ? (req.sqe.len & 07777) : 0;
  req.open_resolve = 0;
  return openat_common(ctx, req, "OPENAT");
}

int io_openat2_prep(Context& ctx, Request& req) {
  // addr2 = struct open_how {u64 flags, mode, resolve}, len = its size.
  const io_uring_sqe& sqe = req.sqe;
  struct {
    uint64_t flags, mode, resolve;
  } how{};
  const uint32_t size = sqe.len;
  if (size < sizeof how)
    return req.fail(make_fault(EINVAL, "OPENAT2: len %u is smaller than struct open_how (24)", size));
  if (!ctx.memory().read(sqe.addr2, &how, sizeof how))
    return req.fail(make_fault(EFAULT, "OPENAT2: struct open_how at 0x%llx is not readable",
                               (unsigned long long)sqe.addr2));
  if (how.flags & ~kValidOpenFlags)
    return req.fail(make_fault(EINVAL, "OPENAT2: open_how.flags 0x%llx has unknown bits", (unsigned long long)how.flags));
  if (!(how.flags & (O_CREAT | O_TMPFILE)) && how.mode != 0)
    return req.fail(make_fault(EINVAL, "OPENAT2: open_how.mode set without O_CREAT or O_TMPFILE"));
  req.open_flags = how.flags;
  req.open_mode = how.mode;
  req.open_resolve = how.resolve;
  return openat_common(ctx, req, "OPENAT2");
}

int32_t io_openat(Context& ctx, Request& req) {
  const char* name = req.opcode == IORING_OP_OPENAT2 ? "OPENAT2" : "OPENAT";
  int err = 0;
  std::shared_ptr<File> file = ctx.files().open_at(req.sqe.fd, req.path, req.open_flags, req.open_mode,
                                                    req.open_resolve, &err);
  if (!file) {
    if (err == -EOPNOTSUPP)
      return req.fail(make_fault(EOPNOTSUPP, "%s: this host cannot open files in the client's name (not simulated here)", name));
    return req.fail(make_fault(-err, "%s: opening \"%s\" failed: %s", name, req.path.c_str(), describe_result(err).c_str()));
  }
  const uint32_t slot = req.len;
  if (slot == 0) {
    const int fd = ctx.files().install(file, req.open_flags & O_CLOEXEC);
    if (fd < 0) return req.fail(make_fault(-fd, "%s: giving the client a descriptor failed: %s", name, describe_result(fd).c_str()));
    return fd;
  }
  // A direct descriptor: the file goes into the fixed table only.
  FileTable& table = ctx.fixed_files();
  if (!table.exists()) return req.fail(make_fault(ENXIO, "%s: file_index %u but the ring has no registered file table", name, slot));
  if (slot == IORING_FILE_INDEX_ALLOC) {
    const int32_t got = file_alloc_slot(ctx);
    if (got < 0) return req.fail(make_fault(-got, "%s: no free slot in the file table", name));
    table.slots()[static_cast<uint32_t>(got)] = file;
    return got;
  }
  if (slot - 1 >= table.size())
    return req.fail(make_fault(EINVAL, "%s: file_index %u is outside the %u-slot file table", name, slot, table.size()));
  table.slots()[slot - 1] = file;
  return 0;
}

int io_close_prep(Context& ctx, Request& req) {
  (void)ctx;
  const io_uring_sqe& sqe = req.sqe;
  if (sqe.off != 0 || sqe.addr != 0 || sqe.len != 0 || sqe.rw_flags != 0 || sqe.buf_index != 0)
    return req.fail(make_fault(EINVAL, "CLOSE: off, addr, len, rw_flags and buf_index must be 0"));
  if (req.flags & IOSQE_FIXED_FILE)
    return req.fail(make_fault(EBADF, "CLOSE: IOSQE_FIXED_FILE; close a direct descriptor with file_index"));
  req.len = sqe.file_index;
  if (req.len != 0 && sqe.fd != 0)
    return req.fail(make_fault(EINVAL, "CLOSE: both fd %d and file_index %u set", sqe.fd, req.len));
  return 0;
}

int32_t io_close(Context& ctx, Request& req) {
  if (req.len != 0) {
    FileTable& table = ctx.fixed_files();
    const uint32_t slot = req.len - 1;
    if (slot >= table.size())
      return req.fail(make_fault(EINVAL, "CLOSE: file_index %u is outside the %u-slot file table", req.len, table.size()));
    if (!table.slots()[slot]) return req.fail(make_fault(EBADF, "CLOSE: file_index %u is an empty slot", req.len));
    table.slots()[slot].reset();
    return 0;
  }
  const int fd = req.sqe.fd;
  std::shared_ptr<File> f = ctx.files().get(fd);
  if (!f) return req.fail(make_fault(EBADF, "CLOSE: fd %d is not open", fd));
  if (f->kind() == FileKind::kRing)
    return req.fail(make_fault(EBADF, "CLOSE: fd %d is an io_uring instance; Linux refuses to close rings through the ring", fd));
  const int r = ctx.files().close_fd(fd);
  if (r == -EOPNOTSUPP)
    return req.fail(make_fault(EOPNOTSUPP, "CLOSE: this host cannot close the client's descriptors (not simulated here)"));
  if (r < 0) return req.fail(make_fault(-r, "CLOSE: close(%d) failed: %s", fd, describe_result(r).c_str()));
  return 0;
}

int io_statx_prep(Context& ctx, Request& req) {
  const io_uring_sqe& sqe = req.sqe;
  if (sqe.buf_index != 0 || sqe.splice_fd_in != 0)
    return req.fail(make_fault(EINVAL, "STATX: buf_index and splice_fd_in must be 0"));
  if (req.flags & IOSQE_FIXED_FILE) return req.fail(make_fault(EBADF, "STATX: IOSQE_FIXED_FILE is not supported"));
  req.op_flags = sqe.statx_flags;
  req.len = sqe.len;  // mask
  req.addr = sqe.addr2;  // struct statx out
  // AT_EMPTY_PATH allows "" (the fd itself); otherwise an empty path is -ENOENT.
  std::string path;
  Check c = read_path(ctx, "STATX", sqe.addr, &path);
  if (c && !(c->err == ENOENT && (req.op_flags & AT_EMPTY_PATH))) return req.fail(std::move(*c));
  req.path = std::move(path);
  return 0;
}

int32_t io_statx(Context& ctx, Request& req) {
  unsigned char buf[256];
  const int r = ctx.files().statx(req.sqe.fd, req.path, static_cast<int>(req.op_flags), req.len, buf);
  if (r == -EOPNOTSUPP)
    return req.fail(make_fault(EOPNOTSUPP, "STATX: this host cannot stat files in the client's name (not simulated here)"));
  if (r < 0) return req.fail(make_fault(-r, "STATX: statx(\"%s\") failed: %s", req.path.c_str(), describe_result(r).c_str()));
  if (!ctx.memory().write(req.addr, buf, sizeof buf))
    return req.fail(make_fault(EFAULT, "STATX: the struct statx at 0x%llx is not writable", (unsigned long long)req.addr));
  return 0;
}

}  // namespace uringsim
