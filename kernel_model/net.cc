// Send and receive (io_uring/net.c and notif.c as of Linux 6.18). See net.h.
#include "kernel_model/net.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "kernel_model/context.h"
#include "kernel_model/kbuf.h"
#include "kernel_model/opdef.h"
#include "kernel_model/rsrc.h"

namespace uringsim {

namespace {

constexpr uint32_t kPollIn = 0x001, kPollOut = 0x004;
constexpr uint64_t kMaxRwCount = 0x7ffff000;
constexpr uint64_t kUserPtrMax = 0x00007ffffffff000ull - 1;
constexpr uint32_t kUioMaxIov = 1024;
constexpr uint32_t kSockaddrStorage = 128;
constexpr uint32_t kMultishotMaxRetry = 32;
// Bytes moved per socket call through the scratch buffer: a stream send or receive
// may be short anyway; a datagram is at most 64 KiB.
constexpr uint64_t kMaxPass = 4 << 20;

// sr->flags bits above the uapi's 8 (net.c's sr_retry_flags).
constexpr uint32_t kRecvRetry = 1u << 15;
constexpr uint32_t kRecvPartialMap = 1u << 14;
constexpr uint32_t kRecvMshotCap = 1u << 13;
constexpr uint32_t kRecvMshotLim = 1u << 12;
constexpr uint32_t kRecvMshotDone = 1u << 11;
constexpr uint32_t kRecvRetryClear = kRecvRetry | kRecvPartialMap;
constexpr uint32_t kRecvNoRetry = kRecvRetry | kRecvPartialMap | kRecvMshotCap | kRecvMshotDone;

constexpr uint32_t kSendmsgFlags = IORING_RECVSEND_POLL_FIRST | IORING_RECVSEND_BUNDLE | IORING_SEND_VECTORIZED;
constexpr uint32_t kRecvmsgFlags = IORING_RECVSEND_POLL_FIRST | IORING_RECV_MULTISHOT | IORING_RECVSEND_BUNDLE;
constexpr uint32_t kZcFlagsCommon = IORING_RECVSEND_POLL_FIRST | IORING_RECVSEND_FIXED_BUF;
constexpr uint32_t kZcFlagsValid = kZcFlagsCommon | IORING_SEND_ZC_REPORT_USAGE | IORING_SEND_VECTORIZED;

using Kind = Request::SelectedBuffers::Kind;

const char* name_of(const Request& req) { return opdef(req.opcode).name; }
bool is_msg_op(uint8_t op) {
  return op == IORING_OP_SENDMSG || op == IORING_OP_RECVMSG || op == IORING_OP_SENDMSG_ZC;
}

bool access_ok(uint64_t addr, uint64_t len) {
  const uint64_t end = addr + len;
  return end >= addr && end <= kUserPtrMax;
}

// The net async header comes from the ring's cache with whatever iovec array it
// kept (io_msg_alloc_async), and goes back when the request is done: a bundle that
// grew an array leaves it to the next send/recv on the ring, which then takes that
// many buffers before it needs to know a length (6.18 [V]: a RECV bundle after
// SEND bundles returns 300 where a fresh ring returns 256).
void alloc_async(Context& ctx, Request& req) {
  auto& cache = ctx.provided_buffers().netmsg_cache;
  req.net.vec_nr = 0;
  if (!cache.empty()) {
    req.net.vec_nr = cache.back();
    cache.pop_back();
  }
}
void recycle_async(Context& ctx, Request& req) {
  constexpr size_t kCacheMax = 128;      // IO_ALLOC_CACHE_MAX
  constexpr uint32_t kVecSoftCap = 256;  // IO_VEC_CACHE_SOFT_CAP
  auto& cache = ctx.provided_buffers().netmsg_cache;
  if (cache.size() < kCacheMax) cache.push_back(req.net.vec_nr > kVecSoftCap ? 0 : req.net.vec_nr);
  req.net.vec_nr = 0;
}

// import_ubuf: one user buffer, length capped at MAX_RW_COUNT.
Check import_ubuf(Request& req, uint64_t addr, uint64_t len) {
  len = std::min(len, kMaxRwCount);
  if (!access_ok(addr, len)) {
    return make_fault(EFAULT, "%s: buffer [0x%llx, +%llu) is not a user address range -> EFAULT", name_of(req),
                      ull(addr), ull(len));
  }
  req.iov.assign(1, Request::UserIovec{addr, len});
  return std::nullopt;
}

// __import_iovec for `nr` iovecs at `uvec`.
Check import_iovec(Context& ctx, Request& req, uint64_t uvec, uint64_t nr) {
  req.iov.clear();
  if (nr > kUioMaxIov) {
    return make_fault(EMSGSIZE, "%s: %llu iovecs is more than UIO_MAXIOV (1024) -> EMSGSIZE", name_of(req), ull(nr));
  }
  uint64_t total = 0;
  for (uint64_t i = 0; i < nr; ++i) {
    uint64_t pair[2];
    if (!ctx.memory().read(uvec + 16 * i, pair, sizeof pair)) {
      return make_fault(EFAULT, "%s: cannot read iovec %llu at 0x%llx -> EFAULT", name_of(req), ull(i),
                        ull(uvec + 16 * i));
    }
    if (static_cast<int64_t>(pair[1]) < 0) {
      return make_fault(EINVAL, "%s: iovec %llu has a negative length -> EINVAL", name_of(req), ull(i));
    }
    if (!access_ok(pair[0], pair[1])) {
      return make_fault(EFAULT, "%s: iovec %llu [0x%llx, +%llu) is not a user address range -> EFAULT",
                        name_of(req), ull(i), ull(pair[0]), ull(pair[1]));
    }
    const uint64_t len = std::min(pair[1], kMaxRwCount - total);
    total += len;
    req.iov.push_back({pair[0], len});
  }
  if (nr > 1) req.net.vec_nr = std::max<uint32_t>(req.net.vec_nr, static_cast<uint32_t>(nr));
  return std::nullopt;
}

// move_addr_to_kernel: a sendto destination.
Check copy_sockaddr(Context& ctx, Request& req, uint64_t uaddr, int64_t len) {
  if (len < 0 || len > kSockaddrStorage) {
    return make_fault(EINVAL, "%s: address length %lld is not within 0..128 -> EINVAL", name_of(req),
                      static_cast<long long>(len));
  }
  req.net.name.resize(static_cast<size_t>(len));
  if (len > 0 && !ctx.memory().read(uaddr, req.net.name.data(), static_cast<size_t>(len))) {
    return make_fault(EFAULT, "%s: cannot read the %lld-byte destination address at 0x%llx -> EFAULT", name_of(req),
                      static_cast<long long>(len), ull(uaddr));
  }
  return std::nullopt;
}

// struct user_msghdr, as the 64-bit ABI lays it out.
struct UserMsghdr {
  uint64_t name;
  uint32_t namelen;
  uint32_t pad;
  uint64_t iov;
  uint64_t iovlen;
  uint64_t control;
  uint64_t controllen;
  uint32_t flags;
  uint32_t pad2;
};
static_assert(sizeof(UserMsghdr) == 56);

// io_msg_copy_hdr + the iovec import (or, with BUFFER_SELECT, the one iovec's length).
Check copy_msghdr(Context& ctx, Request& req, bool is_send, bool import) {
  UserMsghdr m{};
  if (!ctx.memory().read(req.net.msghdr, &m, sizeof m)) {
    return make_fault(EFAULT, "%s: cannot read the msghdr at 0x%llx -> EFAULT", name_of(req), ull(req.net.msghdr));
  }
  // __copy_msghdr: msg_controllen is not looked at here (only ____sys_sendmsg
  // refuses one above INT_MAX, at issue); a negative msg_namelen is -EINVAL, a long
  // one is clamped to sockaddr_storage; then more than UIO_MAXIOV iovecs is
  // -EMSGSIZE, before the BUFFER_SELECT and iovec checks.
  if (static_cast<int32_t>(m.namelen) < 0 && m.name != 0) {
    return make_fault(EINVAL, "%s: msg_namelen is negative -> EINVAL", name_of(req));
  }
  const uint32_t namelen = m.name == 0 ? 0 : std::min<uint32_t>(m.namelen, kSockaddrStorage);
  req.net.msg_name_addr = m.name;
  req.net.msg_control_addr = m.control;
  req.net.msg_controllen = m.controllen;
  if (is_send && m.name != 0) {
    if (Check c = copy_sockaddr(ctx, req, m.name, namelen)) return c;
  } else {
    req.net.name.assign(namelen, std::byte{0});
  }
  if (m.iovlen > kUioMaxIov) {
    return make_fault(EMSGSIZE, "%s: msg_iovlen %llu is more than UIO_MAXIOV (1024) -> EMSGSIZE", name_of(req),
                      ull(m.iovlen));
  }
  if (req.flags & IOSQE_BUFFER_SELECT) {
    if (m.iovlen == 0) {
      req.len = 0;
    } else if (m.iovlen > 1) {
      return make_fault(EINVAL, "%s: IOSQE_BUFFER_SELECT needs at most 1 iovec, msg_iovlen is %llu -> EINVAL",
                        name_of(req), ull(m.iovlen));
    } else {
      uint64_t pair[2];
      if (!ctx.memory().read(m.iov, pair, sizeof pair)) {
        return make_fault(EFAULT, "%s: cannot read the iovec at 0x%llx -> EFAULT", name_of(req), ull(m.iov));
      }
      req.len = static_cast<uint32_t>(pair[1]);
    }
    return std::nullopt;
  }
  if (!import) {
    // FIXED_BUF sendmsg: the iovecs are addresses inside one registered buffer,
    // checked at issue.
    req.iov.clear();
    for (uint64_t i = 0; i < std::min<uint64_t>(m.iovlen, kUioMaxIov + 1); ++i) {
      uint64_t pair[2];
      if (!ctx.memory().read(m.iov + 16 * i, pair, sizeof pair)) {
        return make_fault(EFAULT, "%s: cannot read iovec %llu -> EFAULT", name_of(req), ull(i));
      }
      req.iov.push_back({pair[0], pair[1]});
    }
    if (m.iovlen > kUioMaxIov) return make_fault(EMSGSIZE, "%s: more than UIO_MAXIOV iovecs -> EMSGSIZE", name_of(req));
    return std::nullopt;
  }
  return import_iovec(ctx, req, m.iov, m.iovlen);
}

// io_send_setup: SEND and SEND_ZC.
Check send_setup(Context& ctx, Request& req) {
  const io_uring_sqe& sqe = req.sqe;
  req.addr = sqe.addr;
  if (sqe.__pad3[0] != 0) return make_fault(EINVAL, "%s: sqe->__pad3 must be 0 -> EINVAL", name_of(req));
  req.net.name.clear();
  if (sqe.addr2 != 0) {
    if (Check c = copy_sockaddr(ctx, req, sqe.addr2, sqe.addr_len)) return c;
  }
  if (req.net.flags & IORING_RECVSEND_FIXED_BUF) {
    if (req.net.flags & IORING_SEND_VECTORIZED) {
      return make_fault(EINVAL, "%s: IORING_RECVSEND_FIXED_BUF cannot be combined with IORING_SEND_VECTORIZED -> EINVAL",
                        name_of(req));
    }
    return std::nullopt;  // the registered buffer is imported at issue
  }
  if (req.flags & IOSQE_BUFFER_SELECT) return std::nullopt;
  if (req.net.flags & IORING_SEND_VECTORIZED) return import_iovec(ctx, req, req.addr, req.len);
  return import_ubuf(req, req.addr, req.len);
}

// A registered buffer for FIXED_BUF (io_import_reg_buf): -EFAULT for every miss.
Check lookup_regbuf(Context& ctx, Request& req, uint32_t index, std::shared_ptr<BufferNode>* out) {
  const BufferTable& table = ctx.buffers();
  const auto* node = table.find(index);
  if (node == nullptr) {
    if (!table.exists()) {
      return make_fault(EFAULT, "%s: buf_index %u, but this ring has no registered buffers -> EFAULT", name_of(req),
                        index);
    }
    if (index >= table.size()) {
      return make_fault(EFAULT, "%s: buf_index %u is beyond the %u registered buffers -> EFAULT", name_of(req), index,
                        table.size());
    }
    return make_fault(EFAULT, "%s: registered buffer %u is an empty slot -> EFAULT", name_of(req), index);
  }
  *out = *node;
  return std::nullopt;
}

Check check_in_regbuf(const Request& req, const MappedBuffer& imu, uint32_t index, uint64_t addr, uint64_t len) {
  const uint64_t end = addr + len;
  if (end < addr || addr < imu.ubuf || end > imu.ubuf + imu.len) {
    return make_fault(EFAULT, "%s: [0x%llx, +%llu) is outside registered buffer %u [0x%llx, +%llu) -> EFAULT",
                      name_of(req), ull(addr), ull(len), index, ull(imu.ubuf), ull(imu.len));
  }
  return std::nullopt;
}

// FIXED_BUF import at issue: SEND_ZC's [addr, addr + len), or each of SENDMSG_ZC's
// iovecs, must lie inside registered buffer buf_index.
Check import_fixed(Context& ctx, Request& req) {
  if (!req.buf) {
    if (Check c = lookup_regbuf(ctx, req, req.buf_index, &req.buf)) return c;
  }
  const MappedBuffer& imu = *req.buf->buf;
  if (req.opcode == IORING_OP_SEND_ZC) {
    if (Check c = check_in_regbuf(req, imu, req.buf_index, req.addr, req.len)) return c;
    req.iov.assign(1, Request::UserIovec{req.addr, req.len});
    return std::nullopt;
  }
  for (const auto& v : req.iov) {
    if (Check c = check_in_regbuf(req, imu, req.buf_index, v.base, v.len)) return c;
  }
  return std::nullopt;
}

// The RFC: each picked provided buffer's addr is (offset << bits) | regbuf index.
// Validation as in the posted patch 5/7: index, then offset, then the length.
Check decode_rfc_buffers(Context& ctx, Request& req) {
  for (auto& v : req.iov) {
    const RegbufEncoding enc = decode_regbuf_addr(ctx, v.base);
    std::shared_ptr<BufferNode> node;
    const BufferTable& table = ctx.buffers();
    if (table.find(enc.index) == nullptr) {
      return make_fault(EFAULT, "%s (RFC provided registered buffers): provided buffer addr 0x%llx encodes "
                        "registered buffer %u (offset %llu), but the ring has %u registered buffers -> EFAULT",
                        name_of(req), ull(v.base), enc.index, ull(enc.offset), table.size());
    }
    node = *table.find(enc.index);
    const MappedBuffer& imu = *node->buf;
    if (enc.offset >= imu.len) {
      return make_fault(EFAULT, "%s (RFC provided registered buffers): offset %llu is beyond registered buffer %u "
                        "(%llu bytes) -> EFAULT", name_of(req), ull(enc.offset), enc.index, ull(imu.len));
    }
    if (v.len > imu.len || enc.offset > imu.len - v.len) {
      return make_fault(EOVERFLOW, "%s (RFC provided registered buffers): offset %llu + length %llu runs past the "
                        "end of registered buffer %u (%llu bytes) -> EOVERFLOW", name_of(req), ull(enc.offset),
                        ull(v.len), enc.index, ull(imu.len));
    }
    v.base = imu.ubuf + enc.offset;
    req.buf = node;  // the request holds the registered buffer while in flight
  }
  return std::nullopt;
}

uint64_t total_len(const std::vector<Request::UserIovec>& segs) {
  uint64_t t = 0;
  for (const auto& v : segs) t += v.len;
  return t;
}

// Drops the first `n` bytes of the segments (a partial MSG_WAITALL transfer).
void advance(std::vector<Request::UserIovec>& segs, uint64_t n) {
  size_t i = 0;
  while (i < segs.size() && n >= segs[i].len) n -= segs[i++].len;
  segs.erase(segs.begin(), segs.begin() + static_cast<ptrdiff_t>(i));
  if (!segs.empty() && n > 0) {
    segs[0].base += n;
    segs[0].len -= n;
  }
}

// io_bundle_nbufs: how many of the segments `ret` bytes covered.
uint32_t bundle_nbufs(const std::vector<Request::UserIovec>& segs, int64_t ret) {
  if (ret <= 0) return 0;
  if (segs.size() == 1) return 1;
  uint32_t n = 0;
  while (ret > 0 && n < segs.size()) ret -= static_cast<int64_t>(std::min<uint64_t>(segs[n++].len, ret));
  return n;
}

// Copies the segments' user bytes into the context's scratch. Registered (pinned)
// memory the client unmapped reads as zeros; ordinary memory that faults ends the
// copy (-EFAULT when nothing was copied).
int64_t gather(Context& ctx, const std::vector<Request::UserIovec>& segs, bool pinned, std::byte** out) {
  const uint64_t total = std::min(total_len(segs), kMaxPass);
  std::byte* buf = ctx.scratch(total == 0 ? 1 : total);
  uint64_t done = 0;
  for (const auto& v : segs) {
    if (done >= total) break;
    const uint64_t n = std::min(v.len, total - done);
    if (!ctx.memory().read(v.base, buf + done, n)) {
      if (!pinned) {
        if (done == 0) return -EFAULT;
        break;
      }
      std::memset(buf + done, 0, n);
    }
    done += n;
  }
  *out = buf;
  return static_cast<int64_t>(done);
}

bool scatter(Context& ctx, const std::vector<Request::UserIovec>& segs, const std::byte* buf, uint64_t n) {
  uint64_t done = 0;
  for (const auto& v : segs) {
    if (done >= n) break;
    const uint64_t k = std::min(v.len, n - done);
    if (!ctx.memory().write(v.base, buf + done, k)) return false;
    done += k;
  }
  return true;
}

int32_t park(Context& ctx, Request& req, uint32_t events) {
  req.net.polled = true;  // REQ_F_POLLED
  ctx.arm_poll(req, events);
  return kIssueParked;
}

int32_t fail_res(Request& req, int64_t err, const char* what) {
  return req.fail(make_fault(static_cast<int>(-err), "%s: %s: %s", name_of(req), what, describe_result(err).c_str()));
}

// One sendmsg of the request's current segments. Returns bytes or -errno.
int64_t do_send(Context& ctx, Request& req, bool pinned) {
  // ____sys_sendmsg refuses a control buffer longer than INT_MAX before it copies
  // anything (RECVMSG has no such check).
  if (is_msg_op(req.opcode) && req.net.msg_controllen > INT_MAX) return -ENOBUFS;
  std::byte* data = nullptr;
  const int64_t n = gather(ctx, req.iov, pinned, &data);
  if (n < 0) return n;
  File::SockMsg msg;
  if (!req.net.name.empty()) {
    msg.name = req.net.name.data();
    msg.namelen = static_cast<uint32_t>(req.net.name.size());
  }
  std::vector<std::byte> control;
  if (is_msg_op(req.opcode) && req.net.msg_control_addr != 0 && req.net.msg_controllen != 0) {
    control.resize(std::min<uint64_t>(req.net.msg_controllen, 1 << 16));
    if (!ctx.memory().read(req.net.msg_control_addr, control.data(), control.size())) return -EFAULT;
    msg.control = control.data();
    msg.controllen = control.size();
  }
  const int flags = static_cast<int>((req.net.msg_flags | kMsgDontwait) & ~kMsgZerocopy);
  return req.file->sock_send(data, static_cast<size_t>(n), flags, msg);
}

// Picks the provided buffer(s) for a send into req.iov (io_send_select_buffer).
int select_send_buffers(Context& ctx, Request& req) {
  const bool bundle = req.net.flags & IORING_RECVSEND_BUNDLE;
  std::vector<Request::UserIovec> segs;
  bool partial = false, expanded = false;
  const uint64_t max_len = req.len != 0 ? std::min<uint64_t>(req.len, INT_MAX) : INT_MAX;
  const uint32_t nr_iovs = bundle ? (req.net.vec_nr != 0 ? req.net.vec_nr : 1) : 1;
  const int ret = kbuf_select_bundle(ctx, req, req.sqe.buf_group, max_len, nr_iovs, bundle, true, segs, &partial,
                                     &expanded);
  if (ret < 0) return ret;
  if (expanded) req.net.vec_nr = static_cast<uint32_t>(ret);
  req.iov = std::move(segs);
  return 0;
}

}  // namespace

// --- prep ---------------------------------------------------------------------------

int io_sendmsg_prep(Context& ctx, Request& req) {
  const io_uring_sqe& sqe = req.sqe;
  req.net = Request::NetState{};
  req.len = sqe.len;
  // sr->len is an int: 2 GiB and more reads as negative (SEND_ZC has no such check).
  if (static_cast<int32_t>(req.len) < 0) {
    return req.fail(make_fault(EINVAL, "%s: len %u is negative as an int -> EINVAL", name_of(req), req.len));
  }
  req.net.flags = sqe.ioprio;
  if (req.net.flags & ~kSendmsgFlags) {
    return req.fail(make_fault(EINVAL, "%s: ioprio 0x%x has flags a plain send does not take (valid: POLL_FIRST, "
                               "BUNDLE, SEND_VECTORIZED; FIXED_BUF is for zero-copy sends) -> EINVAL",
                               name_of(req), sqe.ioprio));
  }
  req.net.msg_flags = sqe.msg_flags | kMsgNosignal;
  if (req.net.flags & IORING_RECVSEND_BUNDLE) {
    if (req.opcode == IORING_OP_SENDMSG) {
      return req.fail(make_fault(EINVAL, "SENDMSG: IORING_RECVSEND_BUNDLE is for SEND only -> EINVAL"));
    }
    req.net.msg_flags |= kMsgWaitall;
  }
  alloc_async(ctx, req);
  if (req.opcode != IORING_OP_SENDMSG) {
    if (Check c = send_setup(ctx, req)) return req.fail(std::move(*c));
    return 0;
  }
  if (sqe.addr2 != 0 || sqe.file_index != 0) {
    return req.fail(make_fault(EINVAL, "SENDMSG: addr2 and file_index must be 0 -> EINVAL"));
  }
  req.net.msghdr = sqe.addr;
  if (Check c = copy_msghdr(ctx, req, true, true)) return req.fail(std::move(*c));
  return 0;
}

int io_recvmsg_prep(Context& ctx, Request& req) {
  const io_uring_sqe& sqe = req.sqe;
  req.net = Request::NetState{};
  if (sqe.addr2 != 0 || sqe.file_index != 0) {
    return req.fail(make_fault(EINVAL, "%s: addr2 and file_index must be 0 -> EINVAL", name_of(req)));
  }
  req.addr = sqe.addr;
  req.len = sqe.len;
  if (static_cast<int32_t>(req.len) < 0) {
    return req.fail(make_fault(EINVAL, "%s: len %u is negative as an int -> EINVAL", name_of(req), req.len));
  }
  req.net.flags = sqe.ioprio;
  if (req.net.flags & ~kRecvmsgFlags) {
    return req.fail(make_fault(EINVAL, "%s: ioprio 0x%x has flags a receive does not take (valid: POLL_FIRST, "
                               "RECV_MULTISHOT, BUNDLE) -> EINVAL", name_of(req), sqe.ioprio));
  }
  req.net.msg_flags = sqe.msg_flags;
  if (req.net.flags & IORING_RECV_MULTISHOT) {
    if (!(req.flags & IOSQE_BUFFER_SELECT)) {
      return req.fail(make_fault(EINVAL, "%s: IORING_RECV_MULTISHOT needs IOSQE_BUFFER_SELECT -> EINVAL", name_of(req)));
    }
    if (req.net.msg_flags & kMsgWaitall) {
      return req.fail(make_fault(EINVAL, "%s: IORING_RECV_MULTISHOT cannot wait for all (MSG_WAITALL) -> EINVAL",
                                 name_of(req)));
    }
    if (req.opcode == IORING_OP_RECV) {
      req.net.mshot_len = req.len;
      if (sqe.optlen != 0) req.net.flags |= kRecvMshotLim;
    } else if (sqe.optlen != 0) {
      return req.fail(make_fault(EINVAL, "RECVMSG: optlen must be 0 -> EINVAL"));
    }
    if (req.opcode == IORING_OP_RECVMSG) {
      return req.fail(make_fault(EINVAL, "RECVMSG: multishot RECVMSG (io_uring_recvmsg_out) is not simulated yet"));
    }
  } else if (sqe.optlen != 0) {
    return req.fail(make_fault(EINVAL, "%s: optlen must be 0 without IORING_RECV_MULTISHOT -> EINVAL", name_of(req)));
  }
  if ((req.net.flags & IORING_RECVSEND_BUNDLE) && req.opcode == IORING_OP_RECVMSG) {
    return req.fail(make_fault(EINVAL, "RECVMSG: IORING_RECVSEND_BUNDLE is for RECV only -> EINVAL"));
  }
  alloc_async(ctx, req);
  if (req.opcode == IORING_OP_RECV) {
    if (req.flags & IOSQE_BUFFER_SELECT) return 0;
    if (Check c = import_ubuf(req, req.addr, req.len)) return req.fail(std::move(*c));
    return 0;
  }
  req.net.msghdr = sqe.addr;
  if (Check c = copy_msghdr(ctx, req, false, true)) return req.fail(std::move(*c));
  return 0;
}

int io_send_zc_prep(Context& ctx, Request& req) {
  const io_uring_sqe& sqe = req.sqe;
  req.net = Request::NetState{};
  if (sqe.__pad2[0] != 0 || sqe.addr3 != 0) {
    return req.fail(make_fault(EINVAL, "%s: addr3 and __pad2 must be 0 -> EINVAL", name_of(req)));
  }
  if (req.flags & IOSQE_CQE_SKIP_SUCCESS) {
    return req.fail(make_fault(EINVAL, "%s: IOSQE_CQE_SKIP_SUCCESS is not supported for zero-copy sends (a "
                               "notification always follows) -> EINVAL", name_of(req)));
  }
  // From here on the notification exists: a failure still posts both CQEs. While
  // zc_notif is set, Context::finish posts them (result with F_MORE, then the
  // notification), as Linux's io_sendrecv_fail and io_send_zc_cleanup do for any
  // failure before issue; io_send_zc clears it when it posts the pair itself.
  req.net.zc_notif = true;
  req.net.flags = sqe.ioprio;
  uint32_t valid = kZcFlagsValid;
  if (ctx.profile().rfc_provided_registered) valid |= IORING_RECVSEND_BUNDLE;
  if (req.net.flags & ~valid) {
    return req.fail(make_fault(EINVAL, "%s: ioprio 0x%x has flags a zero-copy send does not take (valid: POLL_FIRST, "
                               "FIXED_BUF, REPORT_USAGE, SEND_VECTORIZED%s) -> EINVAL", name_of(req), sqe.ioprio,
                               ctx.profile().rfc_provided_registered ? ", BUNDLE" : "; BUNDLE only under the RFC"));
  }
  req.len = sqe.len;
  req.net.msg_flags = sqe.msg_flags | kMsgNosignal | kMsgZerocopy;
  req.buf_index = sqe.buf_index;
  alloc_async(ctx, req);
  if (req.opcode == IORING_OP_SEND_ZC) {
    if (Check c = send_setup(ctx, req)) return req.fail(std::move(*c));
    return 0;
  }
  if (sqe.addr2 != 0 || sqe.file_index != 0) {
    return req.fail(make_fault(EINVAL, "SENDMSG_ZC: addr2 and file_index must be 0 -> EINVAL"));
  }
  req.net.msghdr = sqe.addr;
  if (Check c = copy_msghdr(ctx, req, true, !(req.net.flags & IORING_RECVSEND_FIXED_BUF))) {
    return req.fail(std::move(*c));
  }
  return 0;
}

// --- issue --------------------------------------------------------------------------

int32_t io_send(Context& ctx, Request& req) {
  File& file = *req.file;
  if (file.kind() != FileKind::kSocket) {
    return req.fail(make_fault(ENOTSOCK, "%s: fd %d is not a socket -> ENOTSOCK", name_of(req), req.sqe.fd));
  }
  if (!req.net.polled && (req.net.flags & IORING_RECVSEND_POLL_FIRST)) return park(ctx, req, kPollOut);
  const bool bundle = req.net.flags & IORING_RECVSEND_BUNDLE;
  for (;;) {  // retry_bundle
    if ((req.flags & IOSQE_BUFFER_SELECT) && req.kbuf.kind == Kind::kNone) {
      if (int err = select_send_buffers(ctx, req)) {
        recycle_async(ctx, req);
        return req.fail(make_fault(-err, "%s: IOSQE_BUFFER_SELECT: buffer group %u has no buffer to give -> %s",
                                   name_of(req), req.sqe.buf_group, err == -ENOBUFS ? "ENOBUFS" : "ENOENT"));
      }
    }
    const uint64_t count = total_len(req.iov);
    const bool waitall = req.net.msg_flags & kMsgWaitall;
    const int64_t min_ret = (waitall || bundle) ? static_cast<int64_t>(count) : 0;
    int64_t ret = do_send(ctx, req, false);
    if (ret < min_ret) {
      if (ret == -EAGAIN) return park(ctx, req, kPollOut);
      if (ret > 0 && waitall && file.sock_is_stream()) {
        req.net.done_io += static_cast<uint32_t>(ret);
        advance(req.iov, static_cast<uint64_t>(ret));
        return park(ctx, req, kPollOut);
      }
    }
    const bool failed = ret < min_ret;
    if (ret >= 0) {
      ret += req.net.done_io;
    } else if (req.net.done_io != 0) {
      ret = req.net.done_io;
    }
    const int32_t res = static_cast<int32_t>(ret);
    if (!bundle) {
      req.cqe_flags |= kbuf_put(ctx, req, res, 1);
    } else {
      const uint32_t cflags = kbuf_put(ctx, req, res, bundle_nbufs(req.iov, res));
      // Linux keeps bundling even without BUFFER_SELECT: the next pass finds the
      // iterator used up, sends 0 bytes and ends with a {0} CQE.
      const bool finished = res <= 0 || req.kbuf.list_empty || req.net.polled;
      if (!finished && !failed) {
        req.cqe_flags = cflags;
        ctx.post_more(req, res);
        req.cqe_flags = 0;
        if (!(req.flags & IOSQE_BUFFER_SELECT)) advance(req.iov, static_cast<uint64_t>(res));
        // io_mshot_prep_retry: len becomes mshot_len, 0 for sends -- later passes are
        // not capped (6.18 [V]: len 150 over 6 x 100 gives 100, then 500).
        req.len = req.net.mshot_len;
        req.net.done_io = 0;
        req.kbuf.list_empty = false;
        req.net.flags &= ~kRecvRetryClear;
        continue;
      }
      req.cqe_flags |= cflags;
    }
    recycle_async(ctx, req);
    if (failed && res < 0) return fail_res(req, res, "the send failed");
    if (failed) req.failed = true;  // a short MSG_WAITALL send fails its link
    return res;
  }
}

int32_t io_recv(Context& ctx, Request& req) {
  File& file = *req.file;
  if (!req.net.polled && (req.net.flags & IORING_RECVSEND_POLL_FIRST)) return park(ctx, req, kPollIn);
  if (file.kind() != FileKind::kSocket) {
    return req.fail(make_fault(ENOTSOCK, "%s: fd %d is not a socket -> ENOTSOCK", name_of(req), req.sqe.fd));
  }
  const bool bundle = req.net.flags & IORING_RECVSEND_BUNDLE;
  const bool multishot = req.net.flags & IORING_RECV_MULTISHOT;
  int32_t inq = -1;
  for (;;) {  // retry_multishot
    int64_t ret = 0;
    bool finished = true;
    if ((req.flags & IOSQE_BUFFER_SELECT) && req.kbuf.kind == Kind::kNone) {
      int err = 0;
      if (bundle) {
        uint64_t max_len = req.len;
        if (max_len == 0 && inq > 1) max_len = static_cast<uint64_t>(inq);
        std::vector<Request::UserIovec> segs;
        bool partial = false, expanded = false;
        const uint32_t nr_iovs = req.net.vec_nr != 0 ? req.net.vec_nr : 1;
        const int n = kbuf_select_bundle(ctx, req, req.sqe.buf_group, max_len, nr_iovs, true, false, segs, &partial,
                                         &expanded);
        if (n < 0) {
          err = n;
        } else {
          if (expanded) req.net.vec_nr = static_cast<uint32_t>(n);
          if (partial) req.net.flags |= kRecvPartialMap;
          req.iov = std::move(segs);
        }
      } else {
        uint32_t len = req.len;
        uint64_t addr = 0;
        if (!kbuf_select(ctx, req, req.sqe.buf_group, &len, &addr, true)) {
          err = -ENOBUFS;
        } else {
          req.iov.assign(1, Request::UserIovec{addr, len});
        }
      }
      if (err != 0) {
        inq = -1;
        ret = err;
        req.fail(make_fault(-err, "%s: IOSQE_BUFFER_SELECT: buffer group %u has no buffer to give -> %s",
                            name_of(req), req.sqe.buf_group, err == -ENOBUFS ? "ENOBUFS" : "ENOENT"));
        goto finish;
      }
    }
    {
      const uint64_t count = std::min(total_len(req.iov), kMaxPass);
      const bool waitall = req.net.msg_flags & kMsgWaitall;
      const int64_t min_ret = waitall ? static_cast<int64_t>(count) : 0;
      std::byte* buf = ctx.scratch(count == 0 ? 1 : count);
      File::SockMsg msg;
      msg.want_inq = true;
      if (req.opcode == IORING_OP_RECVMSG && !req.net.name.empty()) {
        msg.name = req.net.name.data();
        msg.namelen = static_cast<uint32_t>(req.net.name.size());
      }
      std::vector<std::byte> control;
      if (req.opcode == IORING_OP_RECVMSG && req.net.msg_control_addr != 0 && req.net.msg_controllen != 0) {
        control.resize(std::min<uint64_t>(req.net.msg_controllen, 1 << 16));
        msg.control = control.data();
        msg.controllen = control.size();
      }
      const int flags = static_cast<int>(req.net.msg_flags | kMsgDontwait);
      ret = file.sock_recv(buf, static_cast<size_t>(count), flags, msg);
      inq = msg.inq;
      if (ret > 0 && !scatter(ctx, req.iov, buf, static_cast<uint64_t>(ret))) ret = -EFAULT;
      if (ret >= 0 && req.opcode == IORING_OP_RECVMSG) {
        // __sys_recvmsg_sock writes the lengths and flags back into the user's msghdr.
        const uint32_t namelen = std::min<uint32_t>(msg.namelen, static_cast<uint32_t>(req.net.name.size()));
        if (req.net.msg_name_addr != 0 && namelen > 0) ctx.memory().write(req.net.msg_name_addr, msg.name, namelen);
        if (msg.controllen > 0) ctx.memory().write(req.net.msg_control_addr, control.data(), msg.controllen);
        const uint32_t nl = req.net.msg_name_addr != 0 ? msg.namelen : 0;
        const uint64_t cl = msg.controllen;
        const uint32_t mf = static_cast<uint32_t>(msg.msg_flags);
        ctx.memory().write(req.net.msghdr + 8, &nl, 4);
        ctx.memory().write(req.net.msghdr + 40, &cl, 8);
        ctx.memory().write(req.net.msghdr + 48, &mf, 4);
      }
      if (ret < min_ret) {
        if (ret == -EAGAIN) {
          kbuf_recycle(ctx, req);
          return park(ctx, req, kPollIn);
        }
        if (ret > 0 && waitall && file.sock_is_stream()) {
          req.net.done_io += static_cast<uint32_t>(ret);
          advance(req.iov, static_cast<uint64_t>(ret));
          return park(ctx, req, kPollIn);
        }
        if (ret < 0) {
          req.fail(make_fault(static_cast<int>(-ret), "%s: the receive failed: %s", name_of(req),
                              describe_result(ret).c_str()));
        } else {
          req.failed = true;
        }
      } else if (waitall && (msg.msg_flags & (kMsgTrunc | kMsgCtrunc))) {
        req.failed = true;
      }
    }
  finish:
    finished = ret <= 0;
    if (ret > 0) {
      ret += req.net.done_io;
    } else if (req.net.done_io != 0) {
      ret = req.net.done_io;
    } else {
      kbuf_recycle(ctx, req);
    }
    // io_recv_finish
    uint32_t cflags = inq > 0 ? IORING_CQE_F_SOCK_NONEMPTY : 0;
    bool stop = false;
    if (bundle) {
      const int64_t this_ret = ret - req.net.done_io;
      const uint64_t mapped = total_len(req.iov);
      cflags |= kbuf_put(ctx, req, static_cast<int32_t>(this_ret), bundle_nbufs(req.iov, this_ret));
      if (req.net.flags & kRecvRetry) cflags = req.cqe_flags | (cflags & (IORING_CQE_F_SOCK_NONEMPTY | IORING_CQE_F_MORE));
      if (req.net.mshot_len != 0 && ret >= req.net.mshot_len) req.net.flags |= kRecvMshotCap;
      stop = req.kbuf.list_empty;  // no more buffers right now: this CQE ends it
      if (!stop && !(req.net.flags & kRecvNoRetry) && inq > 1 && this_ret > 0 &&
          static_cast<uint64_t>(this_ret) == mapped) {
        // More is queued and this pass filled everything: append to this CQE.
        req.cqe_flags = cflags & ~(IORING_CQE_F_SOCK_NONEMPTY | IORING_CQE_F_MORE);
        req.len = static_cast<uint32_t>(inq);
        req.net.done_io += static_cast<uint32_t>(this_ret);
        req.net.flags |= kRecvRetry;
        continue;
      }
    } else {
      cflags |= kbuf_put(ctx, req, static_cast<int32_t>(ret), 1);
    }
    if (multishot && !finished && !stop) {
      req.cqe_flags = cflags;
      ctx.post_more(req, static_cast<int32_t>(ret));
      req.cqe_flags = 0;
      // io_mshot_prep_retry
      req.kbuf.list_empty = false;
      req.net.done_io = 0;
      req.net.flags &= ~kRecvRetryClear;
      req.len = req.net.mshot_len;
      if ((cflags & IORING_CQE_F_SOCK_NONEMPTY) || inq < 0) {
        if (req.net.nr_multishot_loops++ < kMultishotMaxRetry && !(req.net.flags & kRecvMshotCap)) continue;
        req.net.nr_multishot_loops = 0;
        req.net.flags &= ~kRecvMshotCap;
      }
      return park(ctx, req, kPollIn);
    }
    req.cqe_flags = cflags;
    recycle_async(ctx, req);
    return static_cast<int32_t>(ret);
  }
}

int32_t io_send_zc(Context& ctx, Request& req) {
  File& file = *req.file;
  // Every way out posts the result with F_MORE and leaves the notification as the
  // request's own (final) CQE.
  auto complete = [&](int64_t res, uint32_t cflags) -> int32_t {
    req.cqe_flags = cflags;
    req.net.zc_notif = false;  // the pair is posted here, not by Context::finish
    ctx.post_more(req, static_cast<int32_t>(res));
    req.cqe_flags = IORING_CQE_F_NOTIF;
    recycle_async(ctx, req);
    req.buf.reset();
    if (res < 0 && !req.failed) {
      req.fail(make_fault(static_cast<int>(-res), "%s failed: %s", name_of(req), describe_result(res).c_str()));
    }
    req.res = 0;
    // The sim never really sends zero-copy: with REPORT_USAGE it says the data was copied.
    return (req.net.flags & IORING_SEND_ZC_REPORT_USAGE) ? static_cast<int32_t>(IORING_NOTIF_USAGE_ZC_COPIED) : 0;
  };
  auto fail_zc = [&](Fault f) {
    const int64_t res = -f.err;
    req.fail(std::move(f));
    return complete(res, kbuf_put(ctx, req, static_cast<int32_t>(res), 0));
  };
  const bool fixed = req.net.flags & IORING_RECVSEND_FIXED_BUF;
  const bool select = req.flags & IOSQE_BUFFER_SELECT;
  // SENDMSG_ZC imports its registered iovecs before it looks at the socket.
  if (req.opcode == IORING_OP_SENDMSG_ZC && fixed && !req.net.polled) {
    if (Check c = import_fixed(ctx, req)) return fail_zc(std::move(*c));
  }
  if (file.kind() != FileKind::kSocket) {
    return fail_zc(make_fault(ENOTSOCK, "%s: fd %d is not a socket -> ENOTSOCK", name_of(req), req.sqe.fd));
  }
  if (!file.sock_supports_zc()) {
    return fail_zc(make_fault(EOPNOTSUPP, "%s: this socket's protocol has no zero-copy send (SOCK_SUPPORT_ZC: TCP "
                              "and UDP have it, AF_UNIX not) -> EOPNOTSUPP", name_of(req)));
  }
  if (!req.net.polled && (req.net.flags & IORING_RECVSEND_POLL_FIRST)) return park(ctx, req, kPollOut);
  if (select && req.kbuf.kind == Kind::kNone) {
    // The RFC: provided buffers for SEND_ZC (the op row refuses them elsewhere).
    if (int err = select_send_buffers(ctx, req)) {
      return fail_zc(make_fault(-err, "%s: IOSQE_BUFFER_SELECT: buffer group %u has no buffer to give -> %s",
                                name_of(req), req.sqe.buf_group, err == -ENOBUFS ? "ENOBUFS" : "ENOENT"));
    }
    if (fixed) {
      if (Check c = decode_rfc_buffers(ctx, req)) return fail_zc(std::move(*c));
    }
  } else if (req.opcode == IORING_OP_SEND_ZC && fixed && !select && !req.buf) {
    if (Check c = import_fixed(ctx, req)) return fail_zc(std::move(*c));
  }
  const uint64_t count = total_len(req.iov);
  const bool waitall = req.net.msg_flags & kMsgWaitall;
  const int64_t min_ret = waitall ? static_cast<int64_t>(count) : 0;
  int64_t ret = do_send(ctx, req, fixed);
  if (ret < min_ret) {
    if (ret == -EAGAIN) return park(ctx, req, kPollOut);
    if (ret > 0 && waitall && file.sock_is_stream()) {
      req.net.done_io += static_cast<uint32_t>(ret);
      advance(req.iov, static_cast<uint64_t>(ret));
      return park(ctx, req, kPollOut);
    }
    if (ret < 0) {
      req.fail(make_fault(static_cast<int>(-ret), "%s: the send failed: %s", name_of(req),
                          describe_result(ret).c_str()));
    } else {
      req.failed = true;
    }
  }
  if (ret >= 0) {
    ret += req.net.done_io;
  } else if (req.net.done_io != 0) {
    ret = req.net.done_io;
  }
  const uint32_t nbufs = (req.net.flags & IORING_RECVSEND_BUNDLE) ? bundle_nbufs(req.iov, ret) : 1;
  return complete(ret, kbuf_put(ctx, req, static_cast<int32_t>(ret), nbufs));
}

}  // namespace uringsim
