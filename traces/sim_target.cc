// SimTarget: replays on a fresh kernel_model Kernel (see replay.h).
#include <cerrno>
#include <cstring>

#include "kernel_model/profile.h"
#include "traces/replay.h"
#include "traces/socket_file.h"

namespace uringsim::traces {

namespace {

// A regular file held in memory, as the trace declares it.
class MemoryFile : public File {
 public:
  MemoryFile(std::string contents, bool readable, bool writable)
      : data_(std::move(contents)), readable_(readable), writable_(writable) {}
  FileKind kind() const override { return FileKind::kRegular; }
  bool readable() const override { return readable_; }
  bool writable() const override { return writable_; }
  ssize_t read(void* buf, size_t len, int64_t off) override {
    const uint64_t pos = off == -1 ? position_ : static_cast<uint64_t>(off);
    if (pos >= data_.size()) return 0;
    const size_t n = std::min<size_t>(len, data_.size() - pos);
    std::memcpy(buf, data_.data() + pos, n);
    if (off == -1) position_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const void* buf, size_t len, int64_t off) override {
    const uint64_t pos = off == -1 ? position_ : static_cast<uint64_t>(off);
    // ext4's largest file is 16 TiB: past it Linux answers -EFBIG. A trace's files live
    // in memory, so a sparse write far beyond what the trace holds is refused with
    // -ENOSPC (a documented limit of replay) instead of allocating terabytes.
    constexpr uint64_t kMaxFileBytes = uint64_t{1} << 44;
    constexpr uint64_t kMaxInMemoryBytes = uint64_t{1} << 30;
    if (pos > kMaxFileBytes || len > kMaxFileBytes - pos) return -EFBIG;
    if (pos + len > kMaxInMemoryBytes) return -ENOSPC;
    if (data_.size() < pos + len) data_.resize(pos + len, '\0');
    std::memcpy(data_.data() + pos, buf, len);
    if (off == -1) position_ += len;
    return static_cast<ssize_t>(len);
  }
  int sync(bool) override { return 0; }

 private:
  std::string data_;
  uint64_t position_ = 0;
  bool readable_, writable_;
};

class RingFd : public File {
 public:
  explicit RingFd(RingId ring) : ring_(ring) {}
  FileKind kind() const override { return FileKind::kRing; }
  bool readable() const override { return true; }
  bool writable() const override { return true; }
  RingId ring() const override { return ring_; }
  ssize_t read(void*, size_t, int64_t) override { return -EINVAL; }
  ssize_t write(const void*, size_t, int64_t) override { return -EINVAL; }
  int sync(bool) override { return -EINVAL; }

 private:
  RingId ring_;
};

}  // namespace

class SimTarget::SimFiles : public Files {
 public:
  std::shared_ptr<File> get(int fd) override {
    auto it = fds.find(fd);
    return it == fds.end() ? nullptr : it->second;
  }
  int lowest_free(int from) const {
    int fd = from;
    while (fds.count(fd)) ++fd;
    return fd;
  }
  std::map<int, std::shared_ptr<File>> fds;
};

SimTarget::SimTarget(const Profile* profile)
    : override_profile_(profile), files_(std::make_unique<SimFiles>()) {}

SimTarget::~SimTarget() {
  // Rings go before the memory, files and sockets they reference.
  kernel_.reset();
  files_.reset();
}

std::string SimTarget::name() const {
  return kernel_ ? "simulator " + std::string(kernel_->profile().name) : "simulator";
}

bool SimTarget::prepare(const Trace& trace, std::string* why) {
  const Profile* p = override_profile_ != nullptr ? override_profile_ : find_profile(trace.header.profile);
  if (p == nullptr) {
    *why = "unknown kernel profile '" + trace.header.profile + "'";
    return false;
  }
  kernel_ = std::make_unique<Kernel>(*p);
  if (cost_model_) kernel_->set_cost_model(*cost_model_);
  if (trace.header.chaos) kernel_->chaos().configure(*trace.header.chaos);  // chaos: decisions replay exactly
  kernel_->set_observer(this);
  if (observer_factory_) {
    if (Observer* extra = observer_factory_(*kernel_)) {
      observers_.add(this);
      observers_.add(extra);
      kernel_->set_observer(&observers_);
    }
  }
  for (const RegionDecl& r : trace.regions) memory_.place(r);
  for (const FileDecl& f : trace.files) {
    if (f.is_socket()) {
      auto pair = std::make_unique<SocketPair>();
      std::string what;
      if (!pair->open(f.socket, &what) || !pair->peer_send(f.peer_sends, &what)) {
        *why = strprintf("socket fd %d (%s): %s", f.fd, socket_kind_name(f.socket), what.c_str());
        return false;
      }
      files_->fds[f.fd] = std::make_shared<SocketFile>(pair->app_fd(), f.socket);
      sockets_[f.fd] = std::move(pair);
      continue;
    }
    files_->fds[f.fd] = std::make_shared<MemoryFile>(f.contents, f.readable, f.writable);
  }
  scratch_base_ = memory_.place_anonymous("(replay scratch)", 1 << 20);
  const CallerDecl& c = trace.header.caller;
  caller_.creds.pid = 1000;
  caller_.creds.mm = 1000;
  caller_.creds.uid = c.uid;
  caller_.creds.cap_ipc_lock = c.cap_ipc_lock;
  caller_.creds.memlock_limit = c.memlock ? *c.memlock : kUnlimited;
  caller_.memory = &memory_;
  caller_.files = files_.get();
  return true;
}

uint64_t SimTarget::region_address(const std::string& id) { return memory_.base_of(id); }

uint64_t SimTarget::scratch(size_t len) {
  const size_t aligned = (len + 63) & ~size_t{63};
  if (scratch_used_ + aligned > (1u << 20)) scratch_used_ = 0;  // oversized asks wrap
  const uint64_t at = scratch_base_ + scratch_used_;
  scratch_used_ += aligned;
  return at;
}

void SimTarget::reset_scratch() { scratch_used_ = 0; }

bool SimTarget::write_memory(uint64_t addr, const void* src, size_t len) { return memory_.write(addr, src, len); }
bool SimTarget::read_memory(uint64_t addr, void* dst, size_t len) { return memory_.read(addr, dst, len); }

int SimTarget::file_fd(int trace_fd) { return trace_fd; }

int SimTarget::closed_fd(int trace_fd) { return files_->fds.count(trace_fd) ? files_->lowest_free(1 << 20) : trace_fd; }

int64_t SimTarget::setup(uint32_t entries, uint64_t params_addr) {
  const int64_t ring = kernel_->setup(caller_, entries, params_addr);
  if (ring < 0) return ring;
  const int fd = files_->lowest_free(3);
  files_->fds[fd] = std::make_shared<RingFd>(static_cast<RingId>(ring));
  return fd;
}

RingId SimTarget::ring_of(int fd) {
  std::shared_ptr<File> f = files_->get(fd);
  return f ? f->ring() : kNoRing;
}

bool SimTarget::map_ring(int fd, const io_uring_params& p, RingMaps* out, std::string* why) {
  const RingId ring = ring_of(fd);
  size_t len = 0;
  out->params = p;
  out->sq_ring = reinterpret_cast<uint8_t*>(kernel_->map(ring, IORING_OFF_SQ_RING, &len));
  out->cq_ring = reinterpret_cast<uint8_t*>(kernel_->map(ring, IORING_OFF_CQ_RING, &len));
  out->sqes = reinterpret_cast<uint8_t*>(kernel_->map(ring, IORING_OFF_SQES, &len));
  if (out->sq_ring == nullptr || out->cq_ring == nullptr || out->sqes == nullptr) {
    *why = "the model has no ring memory for this fd";
    return false;
  }
  return true;
}

int64_t SimTarget::enter(int fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags, uint64_t arg,
                         uint64_t argsz) {
  // A request parked on a trace socket (a RECV that waited for its peer) may be ready
  // by now: the replayer has written what the peer sent before this call, as recorded.
  const RingId ring = ring_of(fd);
  kernel_->progress(caller_, ring, /*waiting=*/false);
  const EnterResult r = kernel_->enter(caller_, fd, to_submit, min_complete, flags, arg, argsz);
  if (!r.must_wait) return r.ret;
  // One look at what the wait could see now (the peer's bytes are already there); nothing
  // else happens later in a replay, so the wait ends here with what Linux answers when a
  // wait ends (sim/wait_policy.h gives the same rule).
  kernel_->progress(caller_, ring, /*waiting=*/true);
  return kernel_->wait_done(ring, r, 0);
}

int64_t SimTarget::do_register(int fd, uint32_t opcode, uint64_t arg, uint32_t nr_args) {
  return kernel_->do_register(caller_, fd, opcode, arg, nr_args);
}

void SimTarget::close_ring(int fd) {
  const RingId ring = ring_of(fd);
  files_->fds.erase(fd);
  if (ring != kNoRing) kernel_->destroy(ring);
}

bool SimTarget::peer_send(int trace_fd, const std::string& bytes, std::string* why) {
  auto it = sockets_.find(trace_fd);
  if (it == sockets_.end()) {
    *why = "fd " + std::to_string(trace_fd) + " is not a socket";
    return false;
  }
  return it->second->peer_send(bytes, why);
}

std::string SimTarget::peer_received(int trace_fd) {
  auto it = sockets_.find(trace_fd);
  return it == sockets_.end() ? std::string() : it->second->peer_drain();
}

std::string SimTarget::last_call_reason() { return kernel_ ? kernel_->last_fault().reason : std::string(); }

void SimTarget::on_cqe(RingId ring, const Cqe& cqe, const Fault* why) {
  posted_[ring].push_back(Posted{cqe, why != nullptr ? why->reason : std::string()});
}

std::string SimTarget::take_cqe_reason(int fd, uint64_t user_data, int32_t res, uint32_t flags) {
  auto it = posted_.find(ring_of(fd));
  if (it == posted_.end()) return {};
  std::deque<Posted>& q = it->second;
  // The CQ (with its overflow backlog) is FIFO: the match is at or near the front.
  for (auto p = q.begin(); p != q.end(); ++p) {
    if (p->cqe.user_data == user_data && p->cqe.res == res && p->cqe.flags == flags) {
      std::string r = std::move(p->reason);
      q.erase(p);
      return r;
    }
  }
  return {};
}

}  // namespace uringsim::traces
