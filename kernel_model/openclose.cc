#include "kernel_model/openclose.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "kernel_model/context.h"
#include "kernel_model/filetable.h"
#include "kernel_model/files.h"

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

// A path as a reason may show it: reasons end up in JSON traces and terminals, so bytes
// that are not printable ASCII are written \xNN, and a long path is cut after 64 bytes.
std::string printable_path(const std::string& path) {
  constexpr size_t kShown = 64;
  std::string out;
  for (size_t i = 0; i < path.size() && i < kShown; ++i) {
    const unsigned char c = static_cast<unsigned char>(path[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += strprintf("\\x%02x", c);
    }
  }
  if (path.size() > kShown) out += strprintf("... (%zu bytes)", path.size());
  return out;
}

// VALID_OPEN_FLAGS: the O_* flags the kernel knows (O_SYNC is __O_SYNC | O_DSYNC).
constexpr uint64_t kValidOpenFlags = O_RDONLY | O_WRONLY | O_RDWR | O_CREAT | O_EXCL | O_NOCTTY |
                                     O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC | FASYNC | O_DIRECT |
                                     O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC |
                                     O_PATH | O_TMPFILE | O_SYNC;
// O_PATH_FLAGS: all O_PATH may be combined with.
constexpr uint64_t kOpenPathFlags = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
// VALID_RESOLVE_FLAGS: RESOLVE_NO_XDEV ... RESOLVE_CACHED.
constexpr uint64_t kResolveBeneath = 0x08, kResolveInRoot = 0x10, kResolveCached = 0x20;
constexpr uint64_t kValidResolveFlags = 0x3f;
constexpr uint64_t kModeAllBits = 07777;  // S_IALLUGO
// __O_TMPFILE without the O_DIRECTORY that O_TMPFILE carries.
constexpr uint64_t kTmpfileBit = O_TMPFILE & ~uint64_t{O_DIRECTORY};

// build_open_flags() (fs/open.c), which io_openat2() calls at issue, before any lookup:
// the open_how the request carries must make sense as a whole.
Check check_open_how(const char* name, uint64_t flags, uint64_t mode, uint64_t resolve) {
  const uint64_t f = flags & ~uint64_t{O_CLOEXEC};
  if (f & ~kValidOpenFlags) return make_fault(EINVAL, "%s: open flags 0x%llx have unknown bits", name, (unsigned long long)flags);
  if (resolve & ~kValidResolveFlags)
    return make_fault(EINVAL, "%s: resolve 0x%llx has unknown RESOLVE_* bits", name, (unsigned long long)resolve);
  if ((resolve & kResolveBeneath) && (resolve & kResolveInRoot))
    return make_fault(EINVAL, "%s: RESOLVE_BENEATH and RESOLVE_IN_ROOT exclude each other", name);
  const bool creates = (f & O_CREAT) || (f & kTmpfileBit);
  if (creates && (mode & ~kModeAllBits))
    return make_fault(EINVAL, "%s: mode 0%llo has bits beyond 07777", name, (unsigned long long)mode);
  if (!creates && mode != 0) return make_fault(EINVAL, "%s: a mode without O_CREAT or O_TMPFILE", name);
  if ((f & (O_DIRECTORY | O_CREAT)) == (O_DIRECTORY | O_CREAT))
    return make_fault(EINVAL, "%s: O_DIRECTORY together with O_CREAT", name);
  if (f & kTmpfileBit) {
    if (!(f & O_DIRECTORY)) return make_fault(EINVAL, "%s: __O_TMPFILE without O_DIRECTORY", name);
    if ((f & O_ACCMODE) == O_RDONLY) return make_fault(EINVAL, "%s: O_TMPFILE needs write access", name);
  }
  if ((f & O_PATH) && (f & ~kOpenPathFlags))
    return make_fault(EINVAL, "%s: O_PATH allows only O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC besides it", name);
  if ((resolve & kResolveCached) && (f & (O_TRUNC | O_CREAT | kTmpfileBit)))
    return make_fault(EAGAIN, "%s: RESOLVE_CACHED cannot create or truncate", name);
  return std::nullopt;
}

// path_init() (fs/namei.c): where a lookup starts, decided before a single component is
// looked at. An absolute path ignores dirfd; a relative one starts at the client's cwd
// (AT_FDCWD) or at dirfd, which must be open (-EBADF) and, unless the path is empty
// (AT_EMPTY_PATH: the fd itself), a directory (-ENOTDIR). These answers need no host.
Check check_lookup_start(Context& ctx, const char* name, int dirfd, const std::string& path) {
  if (!path.empty() && path[0] == '/') return std::nullopt;
  if (dirfd == AT_FDCWD) return std::nullopt;
  std::shared_ptr<File> dir = ctx.files().get(dirfd);
  if (!dir) return make_fault(EBADF, "%s: dirfd %d is not open (the path \"%s\" is relative)", name, dirfd,
                               printable_path(path).c_str());
  if (!path.empty() && dir->kind() != FileKind::kDirectory)
    return make_fault(ENOTDIR, "%s: dirfd %d is not a directory (the path \"%s\" is relative)", name, dirfd,
                      printable_path(path).c_str());
  return std::nullopt;
}

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
  // build_open_how(): unknown bits dropped, O_PATH beats everything else, and the mode
  // kept only for a create. (O_LARGEFILE, which __io_openat_prep adds, is the host's.)
  uint64_t flags = req.sqe.open_flags & kValidOpenFlags;
  if (flags & O_PATH) flags &= kOpenPathFlags;
  req.open_mode = ((flags & O_CREAT) || (flags & kTmpfileBit)) ? (req.sqe.len & kModeAllBits) : 0;
  req.open_flags = flags;
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
  // copy_struct_from_user(): a larger struct from a newer ABI is fine only if the bytes
  // this kernel does not know are zero (-E2BIG otherwise).
  unsigned char tail[256];
  for (uint64_t at = sizeof how; at < size;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof tail, size - at));
    if (!ctx.memory().read(sqe.addr2 + at, tail, n))
      return req.fail(make_fault(EFAULT, "OPENAT2: byte %llu of the %u-byte open_how is not readable",
                                 (unsigned long long)at, size));
    for (size_t i = 0; i < n; ++i) {
      if (tail[i] != 0)
        return req.fail(make_fault(E2BIG, "OPENAT2: byte %llu of the %u-byte open_how is not zero (unknown extension)",
                                   (unsigned long long)(at + i), size));
    }
    at += n;
  }
  // The flags and mode are judged at issue (build_open_flags), as Linux does.
  req.open_flags = how.flags;
  req.open_mode = how.mode;
  req.open_resolve = how.resolve;
  return openat_common(ctx, req, "OPENAT2");
}

int32_t io_openat(Context& ctx, Request& req) {
  const char* name = req.opcode == IORING_OP_OPENAT2 ? "OPENAT2" : "OPENAT";
  if (Check c = check_open_how(name, req.open_flags, req.open_mode, req.open_resolve)) return req.fail(std::move(*c));
  if (Check c = check_lookup_start(ctx, name, req.sqe.fd, req.path)) return req.fail(std::move(*c));
  int err = 0;
  std::shared_ptr<File> file = ctx.files().open_at(req.sqe.fd, req.path, req.open_flags, req.open_mode,
                                                    req.open_resolve, &err);
  if (!file) {
    if (err == -EOPNOTSUPP)
      return req.fail(make_fault(EOPNOTSUPP, "%s: this host cannot open files in the client's name (not simulated here)", name));
    return req.fail(make_fault(-err, "%s: opening \"%s\" failed: %s", name, printable_path(req.path).c_str(), describe_result(err).c_str()));
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
  // do_statx() / do_statx_fd(): the mask and sync type first, then (with a path) the
  // AT_* flags vfs_statx() knows, then where the lookup starts.
  constexpr uint32_t kStatxReserved = 0x80000000u;  // STATX__RESERVED
  constexpr uint32_t kKnownStatxFlags = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE;
  if (req.len & kStatxReserved) return req.fail(make_fault(EINVAL, "STATX: mask 0x%x has STATX__RESERVED set", req.len));
  if ((req.op_flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
    return req.fail(make_fault(EINVAL, "STATX: AT_STATX_FORCE_SYNC and AT_STATX_DONT_SYNC together"));
  if (!req.path.empty() && (req.op_flags & ~kKnownStatxFlags))
    return req.fail(make_fault(EINVAL, "STATX: flags 0x%x have bits statx does not know", req.op_flags));
  if (Check c = check_lookup_start(ctx, "STATX", req.sqe.fd, req.path)) return req.fail(std::move(*c));
  unsigned char buf[256];
  const int r = ctx.files().statx(req.sqe.fd, req.path, static_cast<int>(req.op_flags), req.len, buf);
  if (r == -EOPNOTSUPP)
    return req.fail(make_fault(EOPNOTSUPP, "STATX: this host cannot stat files in the client's name (not simulated here)"));
  if (r < 0) return req.fail(make_fault(-r, "STATX: statx(\"%s\") failed: %s", printable_path(req.path).c_str(), describe_result(r).c_str()));
  if (!ctx.memory().write(req.addr, buf, sizeof buf))
    return req.fail(make_fault(EFAULT, "STATX: the struct statx at 0x%llx is not writable", (unsigned long long)req.addr));
  return 0;
}

}  // namespace uringsim
