// Reads and writes (io_uring/rw.c): READV, WRITEV, READ, WRITE, READ_FIXED, WRITE_FIXED,
// READV_FIXED, WRITEV_FIXED, READ_MULTISHOT.
//
// Check order, as 6.18 runs it:
//   prep  (__io_prep_rw): ioprio, attributes (attr_type_mask), then for READ/WRITE and
//         READV/WRITEV the import of the user buffer or iovec array (access_ok, UIO_MAXIOV,
//         negative lengths, MAX_RW_COUNT capping);
//   issue: the file (Context::issue_request resolves it: -EBADF), READ_FIXED/WRITE_FIXED's
//         registered-buffer lookup and range (io_init_rw_fixed: -EFAULT), the open mode
//         (-EBADF), rw_flags (kiocb_set_rw_flags: -EOPNOTSUPP / -EINVAL), rw_verify_area
//         (the file offset), then the transfer.
// READV_FIXED/WRITEV_FIXED (6.15) copy their iovec array at prep (io_prep_reg_iovec:
// UIO_MAXIOV, negative lengths) and resolve it against the registered buffer at issue,
// before the mode check (io_import_reg_vec: -EFAULT per iovec, -EINVAL over MAX_RW_COUNT).
// 5.1 did everything at issue, in another order: ioprio and rw_flags right after the
// file lookup, then the mode, then the import; READV/WRITEV refused a buf_index.
#include "kernel_model/rw.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "kernel_model/context.h"
#include "kernel_model/kbuf.h"
#include "kernel_model/opdef.h"

namespace uringsim {

namespace {

constexpr uint64_t kMaxRwCount = 0x7ffff000;  // MAX_RW_COUNT: INT_MAX & PAGE_MASK
constexpr uint32_t kUioMaxIov = 1024;         // UIO_MAXIOV
// access_ok on x86-64 (4-level paging): a user range must end at or below USER_PTR_MAX
// (TASK_SIZE_MAX - 1) without wrapping.
constexpr uint64_t kUserPtrMax = 0x00007ffffffff000ull - 1;
// Bytes moved per File::read/write call through the context's scratch buffer.
constexpr uint64_t kChunk = 64 << 10;

// RWF_* (include/uapi/linux/fs.h) and the kernel that introduced each.
constexpr uint32_t kRwfHipri = 0x01;
constexpr uint32_t kRwfDsync = 0x02;
constexpr uint32_t kRwfSync = 0x04;
constexpr uint32_t kRwfNowait = 0x08;
constexpr uint32_t kRwfAppend = 0x10;
constexpr uint32_t kRwfNoappend = 0x20;   // 6.9
constexpr uint32_t kRwfAtomic = 0x40;     // 6.11
constexpr uint32_t kRwfDontcache = 0x80;  // 6.14

// ioprio (include/uapi/linux/ioprio.h).
constexpr uint32_t kIoprioClassShift = 13;
constexpr uint32_t kIoprioClassNone = 0, kIoprioClassRt = 1, kIoprioClassBe = 2, kIoprioClassIdle = 3;

// Versions at which a rule of this file changed (profile_version numbering).
constexpr uint32_t kPrepSplitSince = 5005;   // SQE checks moved from issue into prep [?]
constexpr uint32_t kIoprioHintsSince = 6005; // level is 3 bits, bits 3..12 are hints
constexpr uint32_t kRwAttrSince = 6015;      // attr_type_mask / attr_ptr

enum class Dir { kRead, kWrite };

bool is_fixed(uint8_t opcode) {
  return opcode == IORING_OP_READ_FIXED || opcode == IORING_OP_WRITE_FIXED;
}
// READV_FIXED/WRITEV_FIXED: an iovec array whose entries all lie in one registered buffer.
bool is_vec_fixed(uint8_t opcode) {
  return opcode == IORING_OP_READV_FIXED || opcode == IORING_OP_WRITEV_FIXED;
}
// The request moves data through req.iov rather than addr/len.
bool is_vectored(uint8_t opcode) {
  return opcode == IORING_OP_READV || opcode == IORING_OP_WRITEV || is_vec_fixed(opcode);
}
// The user memory is a registered (pinned) buffer.
bool uses_registered_buffer(uint8_t opcode) { return is_fixed(opcode) || is_vec_fixed(opcode); }

bool access_ok(uint64_t addr, uint64_t len) {
  const uint64_t end = addr + len;
  return end >= addr && end <= kUserPtrMax;
}

uint32_t rwf_supported(uint32_t version) {
  uint32_t bits = kRwfHipri | kRwfDsync | kRwfSync | kRwfNowait | kRwfAppend;
  if (version >= 6009) bits |= kRwfNoappend;
  if (version >= 6011) bits |= kRwfAtomic;
  if (version >= 6014) bits |= kRwfDontcache;
  return bits;
}

// ioprio_check_cap. The model has no capability set beyond CAP_IPC_LOCK; uid 0 stands
// in for CAP_SYS_NICE / CAP_SYS_ADMIN.
Check check_ioprio(Context& ctx, const char* name, uint16_t ioprio) {
  if (ioprio == 0) return std::nullopt;
  const uint32_t version = profile_version(ctx.profile());
  const uint32_t cls = ioprio >> kIoprioClassShift;
  const uint32_t level = version >= kIoprioHintsSince ? (ioprio & 0x7u) : (ioprio & 0x1fffu);
  switch (cls) {
    case kIoprioClassRt:
      if (ctx.caller().creds.uid != 0) {
        return make_fault(EPERM, "%s: ioprio 0x%04x asks for the realtime class, which needs CAP_SYS_NICE or "
                          "CAP_SYS_ADMIN -> EPERM", name, ioprio);
      }
      [[fallthrough]];
    case kIoprioClassBe:
      if (level >= 8) {
        return make_fault(EINVAL, "%s: ioprio 0x%04x has level %u; the RT and BE classes have levels 0-7 -> EINVAL",
                          name, ioprio, level);
      }
      return std::nullopt;
    case kIoprioClassIdle:
      return std::nullopt;
    case kIoprioClassNone:
      if (level != 0) {
        return make_fault(EINVAL, "%s: ioprio 0x%04x has class NONE but level %u; NONE takes level 0 -> EINVAL",
                          name, ioprio, level);
      }
      return std::nullopt;
    default:
      return make_fault(EINVAL, "%s: ioprio 0x%04x has class %u; valid classes are 0-3 -> EINVAL", name, ioprio, cls);
  }
}

// kiocb_set_rw_flags, plus io_rw_init_file's "HIPRI without IOPOLL" check.
Check check_rw_flags(Context& ctx, const char* name, uint32_t flags, Dir dir, const File& file) {
  if (flags == 0) return std::nullopt;
  const uint32_t version = profile_version(ctx.profile());
  const uint32_t supported = rwf_supported(version);
  if (flags & ~supported) {
    return make_fault(EOPNOTSUPP, "%s: rw_flags 0x%x has bits Linux %s does not know (RWF_SUPPORTED 0x%x) -> EOPNOTSUPP",
                      name, flags, ctx.profile().name.data(), supported);
  }
  if ((flags & kRwfAppend) && (flags & kRwfNoappend)) {
    return make_fault(EINVAL, "%s: rw_flags asks for RWF_APPEND and RWF_NOAPPEND together -> EINVAL", name);
  }
  if ((flags & kRwfNowait) && file.kind() == FileKind::kOther) {
    return make_fault(EOPNOTSUPP, "%s: RWF_NOWAIT on a file that cannot do non-blocking I/O (no FMODE_NOWAIT) -> EOPNOTSUPP",
                      name);
  }
  if (flags & kRwfAtomic) {
    // Atomic writes need O_DIRECT on a filesystem and device that support them
    // (FMODE_CAN_ATOMIC_WRITE); the model's files never have it.
    return make_fault(EOPNOTSUPP, "%s: RWF_ATOMIC %s -> EOPNOTSUPP", name,
                      dir == Dir::kRead ? "is for writes only" : "needs an O_DIRECT file that supports atomic writes");
  }
  if ((flags & kRwfDontcache) && file.kind() != FileKind::kRegular) {
    return make_fault(EOPNOTSUPP, "%s: RWF_DONTCACHE needs a regular file on a filesystem that supports it -> EOPNOTSUPP",
                      name);
  }
  if (flags & kRwfHipri) {
    // The model has no IORING_SETUP_IOPOLL rings: polled I/O on an ordinary ring.
    return make_fault(EINVAL, "%s: RWF_HIPRI (polled I/O) on a ring set up without IORING_SETUP_IOPOLL -> EINVAL", name);
  }
  return std::nullopt;
}

// 6.18's iovec_from_user, shared by READV/WRITEV and READV_FIXED/WRITEV_FIXED: the
// array must be a user range, each entry is read in order and a length negative as
// ssize_t is -EINVAL. Fills req.iov with the entries as the user wrote them.
Check copy_iovecs_in(Context& ctx, Request& req, const char* name, uint64_t uvec, uint32_t nr) {
  if (!access_ok(uvec, uint64_t{nr} * 16)) {
    return make_fault(EFAULT, "%s: the iovec array [0x%llx, +%u entries) is not a user address range -> EFAULT",
                      name, ull(uvec), nr);
  }
  req.iov.resize(nr);
  for (uint32_t i = 0; i < nr; ++i) {
    uint64_t pair[2];
    if (!ctx.memory().read(uvec + uint64_t{i} * 16, pair, sizeof pair)) {
      return make_fault(EFAULT, "%s: cannot read iovec %u at 0x%llx -> EFAULT", name, i, ull(uvec + uint64_t{i} * 16));
    }
    if (static_cast<int64_t>(pair[1]) < 0) {
      return make_fault(EINVAL, "%s: iovec %u has length 0x%llx, negative as ssize_t -> EINVAL", name, i, ull(pair[1]));
    }
    req.iov[i] = {pair[0], pair[1]};
  }
  return std::nullopt;
}

// Copies READV/WRITEV's iovec array into req.iov (6.18 __import_iovec).
Check import_iovec_618(Context& ctx, Request& req, const char* name) {
  const uint64_t uvec = req.addr;
  const uint32_t nr = req.len;
  req.iov.clear();
  if (nr == 0) return std::nullopt;  // Linux returns 0 for zero segments
  if (nr > kUioMaxIov) {
    return make_fault(EINVAL, "%s: len %u iovecs is more than UIO_MAXIOV (%u) -> EINVAL", name, nr, kUioMaxIov);
  }
  if (Check c = copy_iovecs_in(ctx, req, name, uvec, nr)) return c;
  uint64_t total = 0;
  for (uint32_t i = 0; i < nr; ++i) {
    Request::UserIovec& v = req.iov[i];
    if (nr == 1) v.len = std::min(v.len, kMaxRwCount);  // import_ubuf caps before access_ok
    if (!access_ok(v.base, v.len)) {
      return make_fault(EFAULT, "%s: iovec %u [0x%llx, +%llu) is not a user address range -> EFAULT", name, i,
                        ull(v.base), ull(v.len));
    }
    v.len = std::min(v.len, kMaxRwCount - total);  // the total is capped at MAX_RW_COUNT
    total += v.len;
  }
  return std::nullopt;
}

// 5.1 import_iovec (rw_copy_check_uvector): the whole array is copied first, then each
// entry is checked for a negative length and access_ok.
Check import_iovec_51(Context& ctx, Request& req, const char* name) {
  const uint64_t uvec = req.addr;
  const uint32_t nr = req.len;
  req.iov.clear();
  if (nr == 0) return std::nullopt;
  if (nr > kUioMaxIov) {
    return make_fault(EINVAL, "%s: len %u iovecs is more than UIO_MAXIOV (%u) -> EINVAL", name, nr, kUioMaxIov);
  }
  std::vector<uint64_t> raw(size_t{nr} * 2);
  if (uvec + uint64_t{nr} * 16 < uvec || !ctx.memory().read(uvec, raw.data(), raw.size() * 8)) {
    return make_fault(EFAULT, "%s: cannot read the %u-entry iovec array at 0x%llx -> EFAULT", name, nr, ull(uvec));
  }
  req.iov.resize(nr);
  uint64_t total = 0;
  for (uint32_t i = 0; i < nr; ++i) {
    const uint64_t base = raw[2 * i], len = raw[2 * i + 1];
    if (static_cast<int64_t>(len) < 0) {
      return make_fault(EINVAL, "%s: iovec %u has length 0x%llx, negative as ssize_t -> EINVAL", name, i, ull(len));
    }
    if (!access_ok(base, len)) {
      return make_fault(EFAULT, "%s: iovec %u [0x%llx, +%llu) is not a user address range -> EFAULT", name, i,
                        ull(base), ull(len));
    }
    req.iov[i] = {base, std::min(len, kMaxRwCount - total)};
    total += req.iov[i].len;
  }
  return std::nullopt;
}

// The user buffer of READ/WRITE (import_ubuf): length capped at MAX_RW_COUNT, then
// access_ok.
Check import_ubuf(Request& req, const char* name) {
  req.len = static_cast<uint32_t>(std::min<uint64_t>(req.len, kMaxRwCount));
  if (!access_ok(req.addr, req.len)) {
    return make_fault(EFAULT, "%s: buffer [0x%llx, +%u) is not a user address range -> EFAULT", name, ull(req.addr),
                      req.len);
  }
  return std::nullopt;
}

// io_find_buf_node: the registered buffer `req` names (taking a reference the request
// holds until it completes). Every miss is -EFAULT.
Check find_registered_buffer(Context& ctx, Request& req, const char* name) {
  if (req.buf) return std::nullopt;
  const BufferTable& table = ctx.buffers();
  const auto* node = table.find(req.buf_index);
  if (node == nullptr) {
    if (!table.exists()) {
      return make_fault(EFAULT, "%s: buf_index %u, but this ring has no registered buffers -> EFAULT", name,
                        req.buf_index);
    }
    if (req.buf_index >= table.size()) {
      return make_fault(EFAULT, "%s: buf_index %u is beyond the %u registered buffers -> EFAULT", name,
                        req.buf_index, table.size());
    }
    return make_fault(EFAULT, "%s: registered buffer %u is an empty slot -> EFAULT", name, req.buf_index);
  }
  req.buf = *node;
  return std::nullopt;
}

// READ_FIXED/WRITE_FIXED: finds the registered buffer and checks that
// [addr, addr + len) lies inside it.
Check import_fixed(Context& ctx, Request& req, const char* name) {
  if (Check c = find_registered_buffer(ctx, req, name)) return c;
  const MappedBuffer& imu = *req.buf->buf;
  const uint64_t addr = req.addr;
  const uint64_t len = req.len;
  const uint64_t end = addr + len;
  if (end < addr || addr < imu.ubuf || end > imu.ubuf + imu.len) {
    return make_fault(EFAULT,
                      "%s: range [0x%llx, +%llu) is outside registered buffer %u [0x%llx, +%llu) "
                      "(addr is a user address inside the buffer, not an offset) -> EFAULT",
                      name, ull(addr), ull(len), req.buf_index, ull(imu.ubuf), ull(imu.len));
  }
  if (len > kMaxRwCount) {
    return make_fault(EFAULT, "%s: len %llu is more than MAX_RW_COUNT (%llu) -> EFAULT", name, ull(len),
                      ull(kMaxRwCount));
  }
  return std::nullopt;
}

// Upper bound on the iovec array io_vec_realloc can allocate: kmalloc_array refuses more
// than KMALLOC_MAX_SIZE (4 MiB on x86-64) = 262144 iovecs, before UIO_MAXIOV is looked at.
constexpr uint64_t kMaxKmallocIovecs = (uint64_t{4} << 20) / 16;

// READV_FIXED/WRITEV_FIXED at prep (io_prep_reg_iovec -> iovec_from_user): copies the
// array into req.iov as the user wrote it. No range checks yet: those need the buffer.
Check prep_reg_iovec(Context& ctx, Request& req, const char* name) {
  const uint64_t uvec = req.addr;
  const uint32_t nr = req.len;
  req.iov.clear();
  if (nr == 0) return std::nullopt;  // zero segments: an empty transfer
  if (nr > kMaxKmallocIovecs) {
    return make_fault(ENOMEM, "%s: len %u iovecs; the kernel cannot allocate an array that large -> ENOMEM", name,
                      nr);
  }
  if (nr > kUioMaxIov) {
    return make_fault(EINVAL, "%s: len %u iovecs is more than UIO_MAXIOV (%u) -> EINVAL", name, nr, kUioMaxIov);
  }
  return copy_iovecs_in(ctx, req, name, uvec, nr);
}

// READV_FIXED/WRITEV_FIXED at issue (io_import_reg_vec + io_vec_fill_bvec): the buffer,
// then every iovec against it, then the total. Leaves req.iov unchanged, so a retry
// after a poll checks the same thing again.
Check import_reg_vec(Context& ctx, Request& req, const char* name) {
  if (Check c = find_registered_buffer(ctx, req, name)) return c;
  const MappedBuffer& imu = *req.buf->buf;
  uint64_t total = 0;
  for (size_t i = 0; i < req.iov.size(); ++i) {
    const Request::UserIovec& v = req.iov[i];
    const uint64_t end = v.base + v.len;
    if (end < v.base || v.base < imu.ubuf || end > imu.ubuf + imu.len) {
      return make_fault(EFAULT,
                        "%s: iovec %zu [0x%llx, +%llu) is outside registered buffer %u [0x%llx, +%llu) "
                        "(every iovec must lie inside the one buffer) -> EFAULT",
                        name, i, ull(v.base), ull(v.len), req.buf_index, ull(imu.ubuf), ull(imu.len));
    }
    if (v.len == 0) {
      return make_fault(EFAULT, "%s: iovec %zu has length 0, which a registered-buffer vector refuses -> EFAULT",
                        name, i);
    }
    total += v.len;  // cannot wrap: each entry lies in a buffer of at most 1 GiB
  }
  if (total > kMaxRwCount) {
    return make_fault(EINVAL, "%s: the iovecs add up to %llu bytes, more than MAX_RW_COUNT (%llu) -> EINVAL", name,
                      ull(total), ull(kMaxRwCount));
  }
  return std::nullopt;
}

// The import step for the op (not for FIXED, whose lookup happens at issue).
Check import_buffer(Context& ctx, Request& req, const char* name) {
  if (!is_vectored(req.opcode)) return import_ubuf(req, name);
  if (profile_version(ctx.profile()) >= kPrepSplitSince) return import_iovec_618(ctx, req, name);
  return import_iovec_51(ctx, req, name);
}

int prep_rw(Context& ctx, Request& req) {
  const io_uring_sqe& sqe = req.sqe;
  const char* name = opdef(req.opcode).name;
  const uint32_t version = profile_version(ctx.profile());
  const bool fixed = is_fixed(req.opcode);

  req.off = static_cast<int64_t>(sqe.off);
  req.buf_index = sqe.buf_index;  // "used for fixed read/write too - just read unconditionally"
  req.addr = sqe.addr;
  req.len = sqe.len;
  req.op_flags = sqe.rw_flags;

  if (ctx.profile().plain_rw_rejects_buf_index && !uses_registered_buffer(req.opcode) && req.buf_index != 0 &&
      !(req.flags & IOSQE_BUFFER_SELECT)) {
    return req.fail(make_fault(EINVAL, "%s: buf_index %u is only valid with READ_FIXED/WRITE_FIXED or "
                               "IOSQE_BUFFER_SELECT on Linux %s -> EINVAL",
                               name, req.buf_index, ctx.profile().name.data()));
  }
  if (version < kPrepSplitSince) return 0;  // 5.1: everything else is checked at issue

  if (Check c = check_ioprio(ctx, name, sqe.ioprio)) return req.fail(std::move(*c));

  if (version >= kRwAttrSince && sqe.attr_type_mask != 0) {
    if (sqe.attr_type_mask != IORING_RW_ATTR_FLAG_PI) {
      return req.fail(make_fault(EINVAL, "%s: attr_type_mask 0x%llx; only IORING_RW_ATTR_FLAG_PI (0x1) exists -> EINVAL",
                                 name, ull(sqe.attr_type_mask)));
    }
    io_uring_attr_pi pi;
    if (!ctx.memory().read(sqe.attr_ptr, &pi, sizeof pi)) {
      return req.fail(make_fault(EFAULT, "%s: cannot read the PI attribute at attr_ptr 0x%llx -> EFAULT", name,
                                 ull(sqe.attr_ptr)));
    }
    if (pi.rsvd != 0) {
      return req.fail(make_fault(EINVAL, "%s: the PI attribute's rsvd field is not 0 -> EINVAL", name));
    }
    if (!access_ok(pi.addr, std::min<uint64_t>(pi.len, kMaxRwCount))) {
      return req.fail(make_fault(EFAULT, "%s: the PI buffer [0x%llx, +%u) is not a user address range -> EFAULT",
                                 name, ull(pi.addr), pi.len));
    }
  }

  if (fixed) return 0;  // the registered buffer is looked up at issue (io_init_rw_fixed)
  if (is_vec_fixed(req.opcode)) {
    if (Check c = prep_reg_iovec(ctx, req, name)) return req.fail(std::move(*c));
    return 0;
  }

  if (req.flags & IOSQE_BUFFER_SELECT) {
    // The buffer comes from a provided-buffer group at issue. READV takes exactly one
    // iovec, whose length caps the selection (io_iov_buffer_select_prep).
    if (!is_vectored(req.opcode)) return 0;
    if (req.len != 1) {
      return req.fail(make_fault(EINVAL, "%s: IOSQE_BUFFER_SELECT needs exactly 1 iovec, len is %u -> EINVAL", name,
                                 req.len));
    }
    uint64_t pair[2];
    if (!ctx.memory().read(req.addr, pair, sizeof pair)) {
      return req.fail(make_fault(EFAULT, "%s: cannot read the iovec at 0x%llx -> EFAULT", name, ull(req.addr)));
    }
    req.len = static_cast<uint32_t>(pair[1]);
    return 0;
  }
  if (Check c = import_buffer(ctx, req, name)) return req.fail(std::move(*c));
  return 0;
}

// Longest prefix of [addr, addr + len) that is mapped with the access the copy needs.
uint64_t accessible_prefix(UserMemory& memory, uint64_t addr, uint64_t len, bool need_write) {
  std::vector<Vma> vmas;
  uint64_t cur = addr;
  const uint64_t end = addr + len;
  while (cur < end) {
    if (!memory.vmas(cur, 1, vmas) || vmas.empty()) break;
    const Vma& v = vmas.front();
    if (need_write ? !v.writable : !v.readable) break;
    cur = std::min(end, v.end);
  }
  return cur - addr;
}

bool is_stream(const File& f) { return f.kind() == FileKind::kPipe || f.kind() == FileKind::kSocket; }

// Moves the data between the file and user memory. Returns bytes done, or -errno when
// nothing was done (as Linux: a partial transfer reports its bytes).
int64_t transfer(Context& ctx, Request& req, Dir dir, File& file, int64_t file_off, bool fixed, bool* would_block) {
  UserMemory& memory = ctx.memory();
  Request::UserIovec single{req.addr, req.len};
  const Request::UserIovec* segs = &single;
  size_t nsegs = 1;
  if (is_vectored(req.opcode)) {
    segs = req.iov.data();
    nsegs = req.iov.size();
  }
  int64_t done = 0;
  int64_t error = 0;
  for (size_t s = 0; s < nsegs && error == 0; ++s) {
    uint64_t seg_done = 0;
    while (seg_done < segs[s].len) {
      const uint64_t uaddr = segs[s].base + seg_done;
      uint64_t n = std::min(segs[s].len - seg_done, kChunk);
      if (!fixed) {
        // A registered buffer is pinned; any other user range may fault part way: Linux
        // then reports the bytes copied so far, or -EFAULT if there were none.
        n = accessible_prefix(memory, uaddr, n, dir == Dir::kRead);
        if (n == 0) {
          error = -EFAULT;
          break;
        }
      }
      std::byte* bounce = ctx.scratch(n);
      ssize_t r;
      if (dir == Dir::kRead) {
        r = file.read(bounce, n, file_off);
        // Pinned pages outlive an munmap in Linux: the data lands there even if the
        // client no longer maps them, so a failed copy into a fixed buffer is no error.
        if (r > 0 && !memory.write(uaddr, bounce, static_cast<size_t>(r)) && !fixed) {
          error = -EFAULT;
          break;
        }
      } else {
        if (!memory.read(uaddr, bounce, n)) {
          if (!fixed) {
            error = -EFAULT;
            break;
          }
          // The pinned pages' contents are out of the model's reach once unmapped.
          std::memset(bounce, 0, n);
        }
        r = file.write(bounce, n, file_off);
      }
      if (r < 0) {
        error = r;
        break;
      }
      seg_done += static_cast<uint64_t>(r);
      done += r;
      if (file_off != -1) file_off += r;
      if (static_cast<uint64_t>(r) < n) {
        error = 1;  // short transfer (EOF, a drained pipe, a full disk): stop here
        break;
      }
    }
  }
  if (done > 0) return done;
  if (error == -EAGAIN) *would_block = true;
  return error < 0 ? error : 0;
}

int32_t issue_rw_inner(Context& ctx, Request& req, Dir dir) {
  const char* name = opdef(req.opcode).name;
  const Profile& profile = ctx.profile();
  const uint32_t version = profile_version(profile);
  const bool fixed = is_fixed(req.opcode);
  File& file = *req.file;  // resolved by Context::issue_request (needs_file)

  auto mode_check = [&]() -> Check {
    const bool ok = dir == Dir::kRead ? file.readable() : file.writable();
    if (ok) return std::nullopt;
    return make_fault(EBADF, "%s: fd %d is not open for %s -> EBADF", name, req.sqe.fd,
                      dir == Dir::kRead ? "reading" : "writing");
  };

  if (version >= kPrepSplitSince) {
    if (fixed) {
      if (Check c = import_fixed(ctx, req, name)) return req.fail(std::move(*c));
    } else if (is_vec_fixed(req.opcode)) {
      if (Check c = import_reg_vec(ctx, req, name)) return req.fail(std::move(*c));
    }
    if (Check c = mode_check()) return req.fail(std::move(*c));
    if (Check c = check_rw_flags(ctx, name, req.op_flags, dir, file)) return req.fail(std::move(*c));
    if (version >= kRwAttrSince && req.sqe.attr_type_mask != 0) {
      // Prep accepted a PI attribute; only files with integrity metadata take it.
      return req.fail(make_fault(EINVAL, "%s: a PI attribute needs a file with integrity metadata "
                                 "(FMODE_HAS_METADATA), which this one has not -> EINVAL", name));
    }
  } else {
    if (Check c = check_ioprio(ctx, name, req.sqe.ioprio)) return req.fail(std::move(*c));
    if (Check c = check_rw_flags(ctx, name, req.op_flags, dir, file)) return req.fail(std::move(*c));
    if (Check c = mode_check()) return req.fail(std::move(*c));
    if (file.kind() == FileKind::kDirectory && dir == Dir::kRead) {
      return req.fail(make_fault(EINVAL, "%s: fd %d is a directory, which has no read_iter -> EINVAL", name,
                                 req.sqe.fd));
    }
    if (fixed) {
      if (Check c = import_fixed(ctx, req, name)) return req.fail(std::move(*c));
    } else if (Check c = import_buffer(ctx, req, name)) {
      return req.fail(std::move(*c));
    }
  }

  uint64_t count = req.len;
  if (is_vectored(req.opcode)) {
    count = 0;
    for (const auto& v : req.iov) count += v.len;
  }

  // rw_verify_area. off -1 means the file position (IORING_FEAT_RW_CUR_POS, 5.6);
  // streams (pipes, sockets) have none and ignore the offset.
  int64_t file_off = req.off;
  const bool cur_pos = (profile.features & IORING_FEAT_RW_CUR_POS) != 0;
  if (!(file_off == -1 && cur_pos)) {
    if (file_off < 0) {
      return req.fail(make_fault(EINVAL, "%s: file offset %lld is negative%s -> EINVAL", name,
                                 static_cast<long long>(file_off),
                                 cur_pos ? " (only -1, the current position, is allowed)"
                                         : "; Linux before 5.6 has no 'current position' offset"));
    }
    if (static_cast<int64_t>(static_cast<uint64_t>(file_off) + count) < 0) {
      return req.fail(make_fault(EINVAL, "%s: offset %lld + %llu bytes goes past the largest file offset -> EINVAL",
                                 name, static_cast<long long>(file_off), ull(count)));
    }
  } else if (is_stream(file)) {
    file_off = -1;
  }

  if (file.kind() == FileKind::kDirectory && dir == Dir::kRead) {
    // 6.18: a directory has no ->read_iter; its ->read is generic_read_dir.
    return req.fail(make_fault(EISDIR, "%s: fd %d is a directory -> EISDIR", name, req.sqe.fd));
  }

  bool would_block = false;
  const int64_t res = transfer(ctx, req, dir, file, file_off, uses_registered_buffer(req.opcode), &would_block);
  if (would_block) {
    // Nothing to read (or no room to write) on a pipe or socket: Linux arms a poll and
    // completes the request later -- unless RWF_NOWAIT asked for -EAGAIN instead.
    if (req.op_flags & kRwfNowait) {
      return req.fail(make_fault(EAGAIN, "%s: RWF_NOWAIT and fd %d is not ready -> EAGAIN", name, req.sqe.fd));
    }
    constexpr uint32_t kPollIn = 0x001, kPollOut = 0x004;
    ctx.arm_poll(req, dir == Dir::kRead ? kPollIn : kPollOut);
    return kIssueParked;
  }
  if (res < 0) {
    if (res == -EFAULT) {
      return req.fail(make_fault(EFAULT, "%s: the user buffer at 0x%llx is not mapped %s -> EFAULT", name,
                                 ull(is_vectored(req.opcode) && !req.iov.empty() ? req.iov.front().base : req.addr),
                                 dir == Dir::kRead ? "writable" : "readable"));
    }
    return req.fail(make_fault(static_cast<int>(-res), "%s: the %s on fd %d failed: %s", name,
                               dir == Dir::kRead ? "read" : "write", req.sqe.fd, describe_result(res).c_str()));
  }
  return static_cast<int32_t>(res);
}

// __io_complete_rw_common (single-shot reads and writes only): fewer bytes than asked
// for -- EOF, a pipe holding less, a buffer that ends early -- is req_set_fail, so
// the CQE posts despite IOSQE_CQE_SKIP_SUCCESS and a link after it is cancelled.
int32_t mark_short_transfer(Request& req, int32_t res) {
  if (res < 0) return res;  // errors, and kIssueParked
  uint64_t asked = req.len;
  if (is_vectored(req.opcode)) {
    asked = 0;
    for (const auto& v : req.iov) asked += v.len;
  }
  if (static_cast<uint64_t>(res) != asked) req.failed = true;
  return res;
}

// READ/READV with IOSQE_BUFFER_SELECT (6.18 __io_read): the buffer is picked before
// the file's mode and flags are looked at, and becomes the request's addr/len.
int32_t issue_rw(Context& ctx, Request& req, Dir dir) {
  if (!(req.flags & IOSQE_BUFFER_SELECT)) return mark_short_transfer(req, issue_rw_inner(ctx, req, dir));
  if (req.kbuf.wanted == UINT32_MAX) req.kbuf.wanted = req.len;
  if (req.kbuf.kind == Request::SelectedBuffers::Kind::kNone) {
    uint32_t len = req.kbuf.wanted;
    uint64_t addr = 0;
    if (!kbuf_select(ctx, req, req.sqe.buf_group, &len, &addr, is_stream(*req.file))) {
      return req.fail(make_fault(ENOBUFS, "%s: IOSQE_BUFFER_SELECT: buffer group %u has no buffer to give -> ENOBUFS",
                                 opdef(req.opcode).name, req.sqe.buf_group));
    }
    req.addr = addr;
    req.len = len;
    if (is_vectored(req.opcode)) req.iov.assign(1, Request::UserIovec{addr, len});
  }
  const int32_t res = issue_rw_inner(ctx, req, dir);
  // Waiting for the file: an unused buffer goes back for others to take.
  if (res == kIssueParked || (res < 0 && req.kbuf.commit)) kbuf_recycle(ctx, req);
  if (res != kIssueParked) req.cqe_flags |= kbuf_put(ctx, req, res, 1);
  return mark_short_transfer(req, res);
}

// file_can_poll: the file has a ->poll (pipes, sockets, eventfds, rings). Regular
// files and directories have none.
bool can_poll(const File& f) {
  switch (f.kind()) {
    case FileKind::kPipe:
    case FileKind::kSocket:
    case FileKind::kEventfd:
    case FileKind::kRing:
      return true;
    default:
      return false;
  }
}

}  // namespace

// READ_MULTISHOT (6.7, io_read_mshot_prep): provided buffers are required (checked
// before anything else), then the READ checks, then addr and len must both be 0 --
// each read takes a whole buffer.
int io_read_mshot_prep(Context& ctx, Request& req) {
  const char* name = opdef(req.opcode).name;
  if (!(req.flags & IOSQE_BUFFER_SELECT)) {
    return req.fail(make_fault(EINVAL, "%s: needs IOSQE_BUFFER_SELECT (multishot reads use provided buffers) -> EINVAL",
                               name));
  }
  if (int r = prep_rw(ctx, req); r != 0) return r;
  if (req.addr != 0 || req.len != 0) {
    return req.fail(make_fault(EINVAL, "%s: addr 0x%llx and len %u must both be 0; each read fills a whole "
                               "provided buffer -> EINVAL", name, ull(req.addr), req.len));
  }
  return 0;
}

// io_read_mshot: reads into one provided buffer per CQE (F_MORE | F_BUFFER) for as long
// as the file polls readable, parks on POLLIN when it runs dry (an unused buffer goes
// back), and ends with a CQE without F_MORE on EOF (res 0), an error, or no buffer left
// (-ENOBUFS).
// A request re-issued after its poll fired comes through here again.
int32_t io_read_mshot(Context& ctx, Request& req) {
  const char* name = opdef(req.opcode).name;
  if (!can_poll(*req.file)) {
    return req.fail(make_fault(EBADFD, "%s: fd %d cannot be polled (a multishot read needs a pipe, socket or other "
                               "pollable file) -> EBADFD", name, req.sqe.fd));
  }
  for (;;) {
    // rw->len is 0 on every pass: the whole buffer.
    uint32_t len = 0;
    uint64_t addr = 0;
    if (!kbuf_select(ctx, req, req.sqe.buf_group, &len, &addr, true)) {
      req.cqe_flags = 0;
      return req.fail(make_fault(ENOBUFS, "%s: buffer group %u has no buffer left; the multishot read ends -> ENOBUFS",
                                 name, req.sqe.buf_group));
    }
    req.addr = addr;
    req.len = len;
    const int32_t res = issue_rw_inner(ctx, req, Dir::kRead);
    if (res == kIssueParked) {
      kbuf_recycle(ctx, req);  // not used: others may take it while this one waits
      return kIssueParked;
    }
    if (res <= 0) {
      // EOF or an error: the buffer goes back and the CQE carries none.
      kbuf_recycle(ctx, req);
      req.cqe_flags = 0;
      return res;
    }
    req.cqe_flags = kbuf_put(ctx, req, res, 1);
    ctx.post_more(req, res);
    req.cqe_flags = 0;
    // Linux goes round again only when the file polls ready (io_poll_check_events
    // re-polls before each issue): a drained pipe parks the request, so running out of
    // buffers shows only when more data (or a hangup) arrives.
    constexpr uint32_t kPollIn = 0x001, kPollErrHup = 0x008 | 0x010;
    if (!(req.file->poll(kPollIn | kPollErrHup) & (kPollIn | kPollErrHup))) {
      ctx.arm_poll(req, kPollIn);
      return kIssueParked;
    }
  }
}

int io_prep_readv(Context& ctx, Request& req) { return prep_rw(ctx, req); }
int io_prep_writev(Context& ctx, Request& req) { return prep_rw(ctx, req); }
int io_prep_read(Context& ctx, Request& req) { return prep_rw(ctx, req); }
int io_prep_write(Context& ctx, Request& req) { return prep_rw(ctx, req); }
int io_prep_read_fixed(Context& ctx, Request& req) { return prep_rw(ctx, req); }
int io_prep_write_fixed(Context& ctx, Request& req) { return prep_rw(ctx, req); }
int io_prep_readv_fixed(Context& ctx, Request& req) { return prep_rw(ctx, req); }
int io_prep_writev_fixed(Context& ctx, Request& req) { return prep_rw(ctx, req); }

int32_t io_read(Context& ctx, Request& req) { return issue_rw(ctx, req, Dir::kRead); }
int32_t io_write(Context& ctx, Request& req) { return issue_rw(ctx, req, Dir::kWrite); }

}  // namespace uringsim
