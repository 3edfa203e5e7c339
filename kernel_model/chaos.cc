// Which injection is legal for which request, and why (docs/chaos.md has the table).
#include "kernel_model/chaos.h"

#include <cerrno>

#include "kernel_model/net.h"
#include "kernel_model/opdef.h"
#include "uapi/io_uring.h"

namespace uringsim {

namespace {

constexpr uint32_t kMillion = 1000000;

bool is_rw(uint8_t op) {
  return op == IORING_OP_READ || op == IORING_OP_WRITE || op == IORING_OP_READV || op == IORING_OP_WRITEV ||
         op == IORING_OP_READ_FIXED || op == IORING_OP_WRITE_FIXED;
}
bool is_vectored_rw(uint8_t op) { return op == IORING_OP_READV || op == IORING_OP_WRITEV; }
bool is_socket_op(uint8_t op) {
  return op == IORING_OP_SEND || op == IORING_OP_RECV || op == IORING_OP_SENDMSG || op == IORING_OP_RECVMSG;
}

// A file whose reads and writes Linux may legitimately cut short: a pipe or a stream
// socket moves what it has room or data for. (Regular files are not: io_uring retries
// a short buffered read or write on them until it is whole, so only EOF shortens one.)
bool streams(const File* file) {
  if (file == nullptr) return false;
  return file->kind() == FileKind::kPipe || (file->kind() == FileKind::kSocket && file->sock_is_stream());
}

uint64_t total(const std::vector<Request::UserIovec>& iov) {
  uint64_t n = 0;
  for (const auto& v : iov) n += v.len;
  return n;
}

// Keeps the first `keep` bytes of `iov` (shrinks in place: no allocation).
void trim(std::vector<Request::UserIovec>& iov, uint64_t keep) {
  size_t i = 0;
  for (; i < iov.size() && keep > 0; ++i) {
    if (iov[i].len > keep) iov[i].len = keep;
    keep -= iov[i].len;
  }
  iov.resize(i);
}

}  // namespace

ChaosConfig default_chaos_config(uint64_t seed) {
  ChaosConfig c;
  c.seed = seed;
  c.short_transfer_ppm = 250000;
  c.enobufs_ppm = 50000;
  c.eagain_ppm = 100000;
  c.reorder_ppm = 500000;
  c.latency_ppm = 100000;
  c.latency_ns = 20000;
  return c;
}

void ChaosPolicy::configure(const ChaosConfig& config) {
  enabled_ = true;
  config_ = config;
  state_ = config.seed;
  // "overflow" in ASCII: another start of the same generator, so the overflow stream
  // and the issue stream of one seed are unrelated.
  overflow_state_ = config.seed ^ 0x6f766572666c6f77ull;
  counts_ = ChaosCounts{};
}

// splitmix64: small, fast, and the same sequence on every host.
uint64_t ChaosPolicy::splitmix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// A draw is made only for a rate above 0, so turning one injection off leaves the
// others' decisions as they were for the requests it did not apply to.
bool ChaosPolicy::roll(uint32_t ppm) {
  if (ppm == 0) return false;
  if (ppm >= kMillion) return true;
  return next() % kMillion < ppm;
}

std::optional<Fault> ChaosPolicy::before_issue(Request& req, const File* file, uint64_t* latency_ns) {
  *latency_ns = 0;
  const uint8_t op = req.opcode;
  const char* name = op_name(op);
  const bool select = (req.flags & IOSQE_BUFFER_SELECT) != 0;

  // -EIO: storage reports media errors on reads, writes and flushes of regular files.
  const bool storage = file != nullptr && file->kind() == FileKind::kRegular;
  if (storage && (is_rw(op) || op == IORING_OP_FSYNC) && roll(config_.eio_ppm)) {
    ++counts_.eio;
    return make_fault(EIO, "%s: chaos: injected -EIO (a storage error Linux reports for I/O on a regular file)",
                      name);
  }
  // -ENOBUFS: the buffer group had nothing to give when the request picked.
  if (select && (op == IORING_OP_RECV || op == IORING_OP_RECVMSG || op == IORING_OP_READ) &&
      roll(config_.enobufs_ppm)) {
    ++counts_.enobufs;
    return make_fault(ENOBUFS, "%s: chaos: injected -ENOBUFS (buffer group %u ran out of provided buffers)", name,
                      req.sqe.buf_group);
  }
  // -EAGAIN: MSG_DONTWAIT asks Linux not to wait for socket space or data.
  if (is_socket_op(op) && file != nullptr && file->kind() == FileKind::kSocket &&
      (req.net.msg_flags & kMsgDontwait) && roll(config_.eagain_ppm)) {
    ++counts_.eagain;
    return make_fault(EAGAIN, "%s: chaos: injected -EAGAIN (MSG_DONTWAIT on a socket that is not ready)", name);
  }
  // Short transfers on pipes and stream sockets: READ*/WRITE* shorten req.len (or
  // the iovecs of READV/WRITEV), SEND/RECV their one imported iovec. Not with
  // MSG_WAITALL or bundles (Linux keeps going until the whole length moved) nor with
  // provided buffers (the buffer picks the length).
  if (streams(file) && !select) {
    std::vector<Request::UserIovec>* iov = nullptr;
    bool eligible = false;
    uint64_t asked = 0;
    if (is_vectored_rw(op)) {
      eligible = true;
      iov = &req.iov;
      asked = total(req.iov);
    } else if (is_rw(op)) {
      eligible = true;
      asked = req.len;
    } else if ((op == IORING_OP_SEND || op == IORING_OP_RECV) && !(req.net.msg_flags & kMsgWaitall) &&
               !(req.net.flags & IORING_RECVSEND_BUNDLE)) {
      eligible = true;
      iov = &req.iov;
      asked = total(req.iov);
    }
    if (eligible && asked >= 2 && roll(config_.short_transfer_ppm)) {
      uint64_t cap = asked - 1;
      if (config_.short_max_bytes != 0 && cap > config_.short_max_bytes) cap = config_.short_max_bytes;
      const uint64_t keep = 1 + next() % cap;
      if (iov != nullptr) {
        trim(*iov, keep);
      } else {
        req.len = static_cast<uint32_t>(keep);
      }
      ++counts_.short_transfers;
    }
  }
  if (roll(config_.latency_ppm)) {
    ++counts_.latency;
    *latency_ns = config_.latency_ns;
  }
  return std::nullopt;
}

bool ChaosPolicy::defer_completion(const Request& req, bool independent) {
  (void)req;
  if (!independent || !roll(config_.reorder_ppm)) return false;
  ++counts_.reordered;
  return true;
}

// Linux posts a CQE to its overflow list only when io_get_cqe finds no room
// (io_cqe_cache_refill) -- the CQ full, or a backlog already there. The CQ is full
// whenever the application has not yet reaped cq_entries CQEs, and when it reaps is
// its own business; forcing that path while the CQ still has room is the one liberty
// taken (docs/chaos.md, "Forced CQ overflow").
bool ChaosPolicy::divert_cqe_to_overflow(const Ring& ring) {
  if (config_.cq_overflow_ppm == 0) return false;
  const uint32_t ppm = config_.cq_overflow_ppm;
  const bool hit = ppm >= kMillion || splitmix64(&overflow_state_) % kMillion < ppm;
  if (!hit || ring.has_overflow() || ring.cq_space() == 0) return false;
  ++counts_.cq_overflows;
  return true;
}

}  // namespace uringsim
