#include "traces/recorder.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "kernel_model/context.h"
#include "kernel_model/fault.h"
#include "kernel_model/opdef.h"
#include "traces/jsonl.h"

namespace uringsim::traces {

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint32_t kMaxDecodedIovecs = 16384;

// A File whose reads and writes the recorder sees.
}  // namespace

class RecordingFile : public File {
 public:
  RecordingFile(std::shared_ptr<File> inner, int fd, Recorder* rec) : inner_(std::move(inner)), fd_(fd), rec_(rec) {}
  FileKind kind() const override { return inner_->kind(); }
  bool readable() const override { return inner_->readable(); }
  bool writable() const override { return inner_->writable(); }
  RingId ring() const override { return inner_->ring(); }
  ssize_t read(void* buf, size_t len, int64_t off) override {
    const uint64_t pos = off == -1 ? position_ : static_cast<uint64_t>(off);
    const ssize_t n = inner_->read(buf, len, off);
    if (n >= 0) {
      rec_->file_read(fd_, pos, buf, n, len);
      if (off == -1) position_ += static_cast<uint64_t>(n);
    }
    return n;
  }
  ssize_t write(const void* buf, size_t len, int64_t off) override {
    const uint64_t pos = off == -1 ? position_ : static_cast<uint64_t>(off);
    const ssize_t n = inner_->write(buf, len, off);
    if (n > 0) {
      rec_->file_written(fd_, pos, static_cast<size_t>(n));
      if (off == -1) position_ += static_cast<uint64_t>(n);
    }
    return n;
  }
  int sync(bool datasync) override { return inner_->sync(datasync); }

 private:
  std::shared_ptr<File> inner_;
  int fd_;
  Recorder* rec_;
  uint64_t position_ = 0;  // assumed 0 when first seen (the position is not observable)
};

// A socket whose sends and receives the recorder sees; everything else is the inner
// socket's.
class RecordingSocket : public File {
 public:
  RecordingSocket(std::shared_ptr<File> inner, int fd, Recorder* rec) : inner_(std::move(inner)), fd_(fd), rec_(rec) {}
  FileKind kind() const override { return inner_->kind(); }
  bool readable() const override { return inner_->readable(); }
  bool writable() const override { return inner_->writable(); }
  ssize_t read(void* buf, size_t len, int64_t off) override {
    const ssize_t n = inner_->read(buf, len, off);
    rec_->socket_received(fd_, buf, n);
    return n;
  }
  ssize_t write(const void* buf, size_t len, int64_t off) override {
    const ssize_t n = inner_->write(buf, len, off);
    rec_->socket_sent(fd_, buf, n);
    return n;
  }
  int sync(bool datasync) override { return inner_->sync(datasync); }
  uint32_t poll(uint32_t events) override { return inner_->poll(events); }
  int host_fd() const override { return inner_->host_fd(); }
  ssize_t sock_send(const void* buf, size_t len, int flags, const SockMsg& msg) override {
    const ssize_t n = inner_->sock_send(buf, len, flags, msg);
    rec_->socket_sent(fd_, buf, n);
    return n;
  }
  ssize_t sock_recv(void* buf, size_t len, int flags, SockMsg& msg) override {
    const ssize_t n = inner_->sock_recv(buf, len, flags, msg);
    // MSG_PEEK leaves the bytes queued: they are recorded when really received.
    if (!(flags & MSG_PEEK)) rec_->socket_received(fd_, buf, n);
    return n;
  }
  bool sock_supports_zc() const override { return inner_->sock_supports_zc(); }
  bool sock_is_stream() const override { return inner_->sock_is_stream(); }

 private:
  std::shared_ptr<File> inner_;
  int fd_;
  Recorder* rec_;
};

// --- decorators -------------------------------------------------------------------

bool RecordingMemory::read(uint64_t addr, void* dst, size_t len) {
  const bool ok = inner_->read(addr, dst, len);
  if (ok && len > 0) rec_->memory_read(inner_, addr, dst, len);
  return ok;
}

bool RecordingMemory::write(uint64_t addr, const void* src, size_t len) {
  const bool ok = inner_->write(addr, src, len);
  if (ok && len > 0) rec_->memory_written(inner_, addr, src, len);
  return ok;
}

bool RecordingMemory::vmas(uint64_t addr, uint64_t len, std::vector<Vma>& out) {
  const bool ok = inner_->vmas(addr, len, out);
  if (ok) rec_->vmas_answered(inner_, out);
  return ok;
}

std::shared_ptr<File> RecordingFiles::get(int fd) {
  std::shared_ptr<File> f = inner_->get(fd);
  if (!f) return f;
  rec_->file_seen(fd, *f);
  if (f->kind() == FileKind::kSocket) {
    rec_->socket_seen(fd, *f);
    return std::make_shared<RecordingSocket>(std::move(f), fd, rec_);
  }
  if (f->kind() != FileKind::kRegular) return f;
  return std::make_shared<RecordingFile>(std::move(f), fd, rec_);
}

// --- Recorder ------------------------------------------------------------------------

Recorder::Recorder(Kernel& kernel, std::string creator) : kernel_(kernel) {
  trace_.header.profile = std::string(kernel.profile().name);
  trace_.header.creator = std::move(creator);
  // chaos: a run with injected faults replays only with the same seed and rates.
  if (kernel.chaos().enabled()) trace_.header.chaos = kernel.chaos().config();
}

Recorder::~Recorder() {
  if (kernel_.observer() == this) kernel_.set_observer(nullptr);
}

void Recorder::set_caller(const Credentials& creds) {
  CallerDecl& c = trace_.header.caller;
  c.uid = creds.uid;
  c.cap_ipc_lock = creds.cap_ipc_lock;
  if (creds.memlock_limit != kUnlimited) c.memlock = creds.memlock_limit;
}

void Recorder::attach(Kernel& kernel, Caller& caller) {
  kernel.set_observer(this);
  set_caller(caller.creds);
  wrap(caller);
}

void Recorder::wrap(Caller& caller) {
  // Hosts that build a Caller per syscall wrap the same memory and files each time:
  // one decorator per inner object.
  RecordingMemory* m = nullptr;
  for (auto& d : memories_) {
    if (d->inner() == caller.memory) m = d.get();
  }
  if (m == nullptr) {
    memories_.push_back(std::make_unique<RecordingMemory>(caller.memory, this));
    m = memories_.back().get();
  }
  RecordingFiles* f = nullptr;
  for (auto& d : file_tables_) {
    if (d->inner() == caller.files) f = d.get();
  }
  if (f == nullptr) {
    file_tables_.push_back(std::make_unique<RecordingFiles>(caller.files, this));
    f = file_tables_.back().get();
  }
  caller.memory = m;
  caller.files = f;
}

UserMemory* Recorder::inner_memory(const Caller& c) const {
  auto* rm = dynamic_cast<RecordingMemory*>(c.memory);
  return rm != nullptr ? rm->inner() : c.memory;
}

Trace Recorder::trace() const {
  Trace t = trace_;
  for (const auto& [fd, f] : files_) {
    if (t.files.end() != std::find_if(t.files.begin(), t.files.end(), [fd = fd](const FileDecl& d) { return d.fd == fd; }))
      continue;
    FileDecl d;
    d.fd = fd;
    d.readable = f.readable;
    d.writable = f.writable;
    d.contents = f.contents;
    if (f.eof && *f.eof < d.contents.size()) d.contents.resize(*f.eof);
    t.files.push_back(std::move(d));
  }
  for (const auto& [fd, sock] : sockets_) {
    if (sock.kind == SocketKind::kNone) continue;  // a family a trace cannot describe: left closed
    FileDecl d;
    d.fd = fd;
    d.socket = sock.kind;
    d.peer_sends = sock.received;
    if (sock.sent.size() > 4096) {
      d.peer_receives_sha256 = sha256_hex(reinterpret_cast<const uint8_t*>(sock.sent.data()), sock.sent.size());
    } else {
      d.peer_receives = sock.sent;
    }
    t.files.push_back(std::move(d));
  }
  return t;
}

bool Recorder::write_file(const std::string& path, std::string* error) const {
  return write_trace_file(trace(), path, error);
}

// --- memory ---------------------------------------------------------------------------

namespace {
bool private_kind(RegionKind k) { return k == RegionKind::kAnonymous || k == RegionKind::kPrivateFile; }
}  // namespace

Recorder::RegionState* Recorder::region_for(const Vma& vma, UserMemory* mem) {
  for (RegionState& r : regions_) {
    if (r.start <= vma.start && vma.end <= r.end) return &r;
  }
  const std::optional<RegionKind> kind = region_kind_of(vma);
  if (!kind) return nullptr;  // [vdso] and the like: kept as absolute addresses
  // Adjacent private VMAs (a binary's .data followed by its .bss, a heap grown in
  // steps) become ONE region: a buffer may run across the boundary, and a replay places
  // separate regions apart. The whole run is taken at once, from the first touch, so
  // no offset recorded later has to move. Only VMAs with the same protection join; the
  // region's kind is the first VMA's.
  uint64_t start = vma.start, end = vma.end;
  const bool writable = vma.writable;
  if (mem != nullptr && private_kind(*kind)) {
    std::vector<Vma> v;
    for (int i = 0; i < 64 && start > 4096; ++i) {
      if (!mem->vmas(start - 1, 1, v) || v.empty() || v.front().end != start) break;
      const std::optional<RegionKind> k = region_kind_of(v.front());
      if (!k || !private_kind(*k) || v.front().thp_size != vma.thp_size || v.front().writable != vma.writable) break;
      bool taken = false;
      for (const RegionState& r : regions_) taken |= r.end > v.front().start && r.start < v.front().end;
      if (taken) break;
      start = v.front().start;
    }
    for (int i = 0; i < 64; ++i) {
      if (!mem->vmas(end, 1, v) || v.empty() || v.front().start != end) break;
      const std::optional<RegionKind> k = region_kind_of(v.front());
      if (!k || !private_kind(*k) || v.front().thp_size != vma.thp_size || v.front().writable != vma.writable) break;
      bool taken = false;
      for (const RegionState& r : regions_) taken |= r.end > v.front().start && r.start < v.front().end;
      if (taken) break;
      end = v.front().end;
    }
  }
  RegionDecl d;
  d.id = strprintf("r%zu", trace_.regions.size());
  d.size = end - start;
  d.kind = *kind;
  d.writable = writable;
  d.thp_size = vma.thp_size;
  d.original_address = start;
  if (!vma.path.empty()) d.note = vma.path;
  trace_.regions.push_back(std::move(d));
  RegionState s;
  s.index = trace_.regions.size() - 1;
  s.start = start;
  s.end = end;
  regions_.push_back(std::move(s));
  return &regions_.back();
}

Recorder::RegionState* Recorder::region_at(UserMemory* mem, uint64_t addr) {
  for (RegionState& r : regions_) {
    if (addr >= r.start && addr < r.end) return &r;
  }
  if (mem == nullptr) return nullptr;
  std::vector<Vma> v;
  if (!mem->vmas(addr, 1, v) || v.empty()) return nullptr;
  return region_for(v.front(), mem);
}

Address Recorder::to_address(UserMemory* mem, uint64_t addr) {
  RegionState* r = addr == 0 ? nullptr : region_at(mem, addr);
  if (r == nullptr) return Address{"", addr};
  return Address{trace_.regions[r->index].id, addr - r->start};
}

bool Recorder::ignored(uint64_t addr, size_t len) const {
  for (const auto& [s, e] : ignore_) {
    if (addr >= s && addr + len <= e) return true;
  }
  return false;
}

void Recorder::shadow_write(RegionState& r, uint64_t addr, const uint8_t* bytes, size_t len) {
  size_t done = 0;
  while (done < len) {
    const uint64_t off = addr + done - r.start;
    const uint64_t page = off / kPage;
    std::vector<uint8_t>& p = r.shadow[page];
    if (p.empty()) p.assign(kPage, 0);
    const size_t n = std::min<uint64_t>(len - done, kPage - off % kPage);
    std::memcpy(p.data() + off % kPage, bytes + done, n);
    done += n;
  }
}

void Recorder::shadow_compare(RegionState& r, uint64_t addr, const uint8_t* bytes, size_t len) {
  // Find the first and last differing byte; one memory event covers the span.
  size_t first = len, last = 0;
  for (size_t i = 0; i < len; ++i) {
    const uint64_t off = addr + i - r.start;
    auto it = r.shadow.find(off / kPage);
    const uint8_t have = it == r.shadow.end() ? 0 : it->second[off % kPage];
    if (have != bytes[i]) {
      first = std::min(first, i);
      last = i;
    }
  }
  if (first == len) return;
  MemoryEvent m;
  m.region = trace_.regions[r.index].id;
  m.offset = addr + first - r.start;
  m.bytes.assign(bytes + first, bytes + last + 1);
  Event e;
  e.body = std::move(m);
  trace_.events.push_back(std::move(e));
  shadow_write(r, addr + first, bytes + first, last + 1 - first);
}

void Recorder::memory_read(UserMemory* mem, uint64_t addr, const void* bytes, size_t len) {
  if (ignored(addr, len)) return;
  const auto* b = static_cast<const uint8_t*>(bytes);
  size_t done = 0;
  while (done < len) {
    RegionState* r = region_at(mem, addr + done);
    if (r == nullptr) return;
    const size_t n = std::min<uint64_t>(len - done, r->end - (addr + done));
    shadow_compare(*r, addr + done, b + done, n);
    done += n;
  }
}

void Recorder::memory_written(UserMemory* mem, uint64_t addr, const void* bytes, size_t len) {
  const auto* b = static_cast<const uint8_t*>(bytes);
  size_t done = 0;
  while (done < len) {
    RegionState* r = region_at(mem, addr + done);
    if (r == nullptr) return;
    const size_t n = std::min<uint64_t>(len - done, r->end - (addr + done));
    shadow_write(*r, addr + done, b + done, n);
    done += n;
  }
}

void Recorder::vmas_answered(UserMemory* mem, const std::vector<Vma>& vmas) {
  for (const Vma& v : vmas) region_for(v, mem);
}

// --- files ---------------------------------------------------------------------------

void Recorder::file_seen(int fd, const File& f) {
  if (f.kind() == FileKind::kRing) {
    const RingId ring = f.ring();
    if (ring_fds_.count(ring)) return;
    ring_fds_[ring] = fd;
    auto it = setup_events_.find(ring);
    if (it != setup_events_.end()) std::get<SetupEvent>(trace_.events[it->second].body).ret = fd;
    return;
  }
  if (f.kind() != FileKind::kRegular || files_.count(fd)) return;
  FileState s;
  s.fd = fd;
  s.readable = f.readable();
  s.writable = f.writable();
  files_[fd] = std::move(s);
}

void Recorder::socket_seen(int fd, const File& f) {
  if (sockets_.count(fd)) return;
  SocketState& s = sockets_[fd];
  const int host = f.host_fd();
  int domain = -1, type = -1;
  socklen_t len = sizeof domain;
  if (host < 0 || getsockopt(host, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) return;
  len = sizeof type;
  if (getsockopt(host, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return;
  if (domain == AF_UNIX && type == SOCK_STREAM) s.kind = SocketKind::kUnixStream;
  if (domain == AF_UNIX && type == SOCK_DGRAM) s.kind = SocketKind::kUnixDgram;
  if (domain == AF_INET && type == SOCK_STREAM) s.kind = SocketKind::kTcp;
  if (domain == AF_INET && type == SOCK_DGRAM) s.kind = SocketKind::kUdp;
}

void Recorder::socket_received(int fd, const void* bytes, ssize_t n) {
  if (n <= 0) return;
  const std::string data(static_cast<const char*>(bytes), static_cast<size_t>(n));
  // Before the first call: what the peer had sent up front. Later: a peer event, which
  // lands before the call in progress (its event is appended when it returns) -- the
  // peer sent these bytes before the kernel could take them.
  if (trace_.call_count() == 0) {
    sockets_[fd].received += data;
    return;
  }
  Event e;
  e.body = PeerEvent{fd, data};
  trace_.events.push_back(std::move(e));
}

void Recorder::socket_sent(int fd, const void* bytes, ssize_t n) {
  if (n > 0) sockets_[fd].sent.append(static_cast<const char*>(bytes), static_cast<size_t>(n));
}

void Recorder::file_read(int fd, uint64_t pos, const void* bytes, ssize_t n, size_t asked) {
  FileState& f = files_[fd];
  const auto* b = static_cast<const char*>(bytes);
  const uint64_t end = pos + static_cast<uint64_t>(n);
  if (f.contents.size() < end) {
    f.contents.resize(end, '\0');
    f.known.resize(end, false);
  }
  for (uint64_t i = pos; i < end; ++i) {
    if (f.known[i]) continue;  // written by the kernel earlier: a replay writes it too
    f.contents[i] = b[i - pos];
    f.known[i] = true;
  }
  if (static_cast<size_t>(n) < asked) f.eof = end;  // a short read of a regular file: EOF
}

void Recorder::file_written(int fd, uint64_t pos, size_t n) {
  FileState& f = files_[fd];
  if (f.known.size() < pos + n) f.known.resize(pos + n, false);
  for (uint64_t i = pos; i < pos + n; ++i) f.known[i] = true;
  if (f.eof && *f.eof < pos + n) f.eof = pos + n;
}

// --- calls ---------------------------------------------------------------------------

int Recorder::fd_name(RingId ring) const {
  auto it = ring_fds_.find(ring);
  return it != ring_fds_.end() ? it->second : 1000 + static_cast<int>(ring);
}

RingId Recorder::ring_of_fd(const Caller& c, int fd) {
  auto* rf = dynamic_cast<RecordingFiles*>(c.files);
  Files* files = rf != nullptr ? rf->inner() : c.files;
  std::shared_ptr<File> f = files == nullptr ? nullptr : files->get(fd);
  if (!f || f->kind() != FileKind::kRing) return kNoRing;
  file_seen(fd, *f);
  return f->ring();
}

void Recorder::before_setup(const Caller& c, uint32_t entries, uint64_t params_addr) {
  UserMemory* mem = inner_memory(c);
  pending_ = Pending{};
  pending_.active = true;
  SetupEvent s;
  s.entries = entries;
  io_uring_params p;
  if (params_addr != 0 && mem->read(params_addr, &p, sizeof p)) {
    s.params = p;
    ignore_.push_back({params_addr, params_addr + sizeof p});
  } else {
    s.params_addr = Address{"", params_addr};
  }
  pending_.event.body = std::move(s);
  call_memory_ = mem;
}

void Recorder::after_setup(const Caller& c, uint32_t, uint64_t params_addr, int64_t ret) {
  auto& s = std::get<SetupEvent>(pending_.event.body);
  s.ret = ret;
  if (ret < 0) {
    s.reason = kernel_.last_fault().reason;
  } else {
    const RingId ring = static_cast<RingId>(ret);
    s.ret = fd_name(ring);
    io_uring_params p;
    if (inner_memory(c)->read(params_addr, &p, sizeof p)) {
      s.params_out["sq_entries"] = p.sq_entries;
      s.params_out["cq_entries"] = p.cq_entries;
    }
    setup_events_[ring] = trace_.events.size();
  }
  pending_.event.model_time_ns = kernel_.last_call_model_ns();
  trace_.events.push_back(std::move(pending_.event));
  pending_ = Pending{};
  ignore_.clear();
}

void Recorder::before_enter(const Caller& c, int fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags) {
  pending_ = Pending{};
  pending_.active = true;
  EnterEvent e;
  e.fd = fd;
  e.to_submit = to_submit;
  e.min_complete = min_complete;
  e.flags = flags;
  pending_.ring = ring_of_fd(c, fd);
  if (Context* ctx = pending_.ring == kNoRing ? nullptr : kernel_.context(pending_.ring)) {
    const Ring& r = ctx->ring();
    pending_.cq_tail_before = cq_tail_recorded(pending_.ring, r);
    if (r.cq_head() != r.cq_tail()) e.cq_head = r.cq_head();
  }
  pending_.event.body = std::move(e);
  call_memory_ = inner_memory(c);
  call_first_event_ = trace_.events.size();
}

void Recorder::on_sqe(RingId ring, const Request& req) {
  if (!pending_.active || ring != pending_.ring) return;
  auto* e = std::get_if<EnterEvent>(&pending_.event.body);
  if (e == nullptr) return;
  SqeRecord s;
  std::memcpy(s.bytes.data(), &req.sqe, 64);
  const Context* ctx = kernel_.context(ring);
  s.raw_128 = ctx != nullptr && ctx->ring().layout().sqe_size == 128;
  if (s.raw_128) std::memcpy(s.bytes.data() + 64, req.sqe_ext, 64);
  s.has_raw = true;
  const uint8_t op = req.sqe.opcode;
  if (op != IORING_OP_NOP && op < IORING_OP_LAST) {
    const Address a = to_address(call_memory_, req.sqe.addr);
    if (!a.absolute()) s.addr = a;
    const OpDef& def = opdef(op);
    if (def.vectored && req.sqe.len <= kMaxDecodedIovecs && req.sqe.addr != 0) {
      std::vector<uint8_t> raw(16 * size_t{req.sqe.len});
      if (call_memory_->read(req.sqe.addr, raw.data(), raw.size())) {
        s.iovecs.kind = Payload::Kind::kIovecs;
        for (uint32_t i = 0; i < req.sqe.len; ++i) {
          uint64_t base, len;
          std::memcpy(&base, raw.data() + 16 * i, 8);
          std::memcpy(&len, raw.data() + 16 * i + 8, 8);
          s.iovecs.iovecs.push_back(IovecRef{to_address(call_memory_, base), len});
        }
        ignore_.push_back({req.sqe.addr, req.sqe.addr + raw.size()});
        drop_memory_events(req.sqe.addr, raw.size());
      }
    }
  }
  e->sqes.push_back(std::move(s));
}

void Recorder::drop_memory_events(uint64_t addr, size_t len) {
  // prep read the array before on_sqe could mark it decoded: its bytes went out as
  // memory events of this call, with unrelocated addresses. The decoded form wins.
  for (size_t i = call_first_event_; i < trace_.events.size();) {
    const auto* m = std::get_if<MemoryEvent>(&trace_.events[i].body);
    const RegionState* r = m == nullptr ? nullptr : region_at(nullptr, addr);
    if (r != nullptr && trace_.regions[r->index].id == m->region && r->start + m->offset >= addr &&
        r->start + m->offset + m->bytes.size() <= addr + len) {
      trace_.events.erase(trace_.events.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

void Recorder::on_dropped(RingId ring, uint32_t sq_index) {
  if (!pending_.active || ring != pending_.ring) return;
  if (auto* e = std::get_if<EnterEvent>(&pending_.event.body)) {
    SqeRecord s;
    s.dropped = true;
    s.sq_index = sq_index;
    e->sqes.push_back(std::move(s));
  }
}

void Recorder::on_cqe(RingId ring, const Cqe& cqe, const Fault* why) {
  posted_[ring].emplace_back(cqe, why != nullptr ? why->reason : std::string());
}

uint32_t Recorder::cq_tail_recorded(RingId ring, const Ring& r) const {
  auto it = recorded_cq_tail_.find(ring);
  if (it == recorded_cq_tail_.end()) return r.cq_tail();
  // A ring id reused after its ring was destroyed, or more posted than the CQ holds:
  // start from the present rather than walk a stale range.
  const uint32_t behind = r.cq_tail() - it->second;
  return behind <= r.layout().cq_entries ? it->second : r.cq_tail();
}

std::vector<CqeRecord> Recorder::cqes_since(RingId ring, uint32_t tail_before) {
  std::vector<CqeRecord> out;
  Context* ctx = kernel_.context(ring);
  if (ctx == nullptr) return out;
  const Ring& r = ctx->ring();
  const RingLayout& l = r.layout();
  auto& posted = posted_[ring];
  for (uint32_t i = tail_before; i != r.cq_tail(); ++i) {
    const std::byte* p = r.memory().cq_ring + l.cq_off.cqes + size_t{i & (l.cq_entries - 1)} * l.cqe_size;
    CqeRecord c;
    std::memcpy(&c.user_data, p, 8);
    std::memcpy(&c.res, p + 8, 4);
    std::memcpy(&c.flags, p + 12, 4);
    if (l.cqe_size == 32) {
      std::array<uint64_t, 2> big;
      std::memcpy(big.data(), p + 16, 16);
      c.big_cqe = big;
    }
    for (auto it = posted.begin(); it != posted.end(); ++it) {
      if (it->first.user_data == c.user_data && it->first.res == c.res && it->first.flags == c.flags) {
        c.reason = std::move(it->second);
        posted.erase(it);
        break;
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

void Recorder::finish_call(RingId ring, int64_t ret) {
  if (!pending_.active) return;
  if (auto* e = std::get_if<EnterEvent>(&pending_.event.body)) {
    e->ret = ret;
    if (ret < 0) e->reason = kernel_.last_fault().reason;
    if (ring != kNoRing) {
      e->cqes = cqes_since(ring, pending_.cq_tail_before);
      if (Context* ctx = kernel_.context(ring)) {
        const Ring& r = ctx->ring();
        if (r.dropped() != 0) e->ring.dropped = r.dropped();
        if (r.sq_flags() != 0) e->ring.sq_flags = r.sq_flags();
        if (r.cq_overflow_counter() != 0) e->ring.cq_overflow = r.cq_overflow_counter();
      }
    }
  } else if (auto* g = std::get_if<RegisterEvent>(&pending_.event.body)) {
    g->ret = ret;
    if (ret < 0) g->reason = kernel_.last_fault().reason;
    if (ring != kNoRing) g->cqes = cqes_since(ring, pending_.cq_tail_before);
  }
  if (Context* ctx = ring == kNoRing ? nullptr : kernel_.context(ring)) recorded_cq_tail_[ring] = ctx->ring().cq_tail();
  pending_.event.model_time_ns = kernel_.last_call_model_ns();
  trace_.events.push_back(std::move(pending_.event));
  pending_ = Pending{};
  ignore_.clear();
}

void Recorder::after_enter(const Caller&, RingId ring, const EnterResult& r) {
  pending_.ring = ring;
  if (r.must_wait) return;  // finished by after_wait
  finish_call(ring, r.ret);
}

void Recorder::after_wait(RingId ring, int64_t ret) { finish_call(ring, ret); }

void Recorder::before_register(const Caller& c, int fd, uint32_t opcode, uint64_t arg, uint32_t nr_args) {
  pending_ = Pending{};
  pending_.active = true;
  UserMemory* mem = inner_memory(c);
  call_memory_ = mem;
  RegisterEvent g;
  g.fd = fd;
  g.opcode = opcode;
  g.nr_args = nr_args;
  pending_.ring = ring_of_fd(c, fd);
  if (Context* ctx = pending_.ring == kNoRing ? nullptr : kernel_.context(pending_.ring)) {
    pending_.cq_tail_before = cq_tail_recorded(pending_.ring, ctx->ring());
  }
  const uint32_t op = opcode & ~IORING_REGISTER_USE_REGISTERED_RING;
  bool decoded = false;
  if (arg != 0 && op == IORING_REGISTER_BUFFERS && nr_args > 0 && nr_args <= kMaxDecodedIovecs) {
    std::vector<uint8_t> raw(16 * size_t{nr_args});
    if (mem->read(arg, raw.data(), raw.size())) {
      g.payload.kind = Payload::Kind::kIovecs;
      for (uint32_t i = 0; i < nr_args; ++i) {
        uint64_t base, len;
        std::memcpy(&base, raw.data() + 16 * i, 8);
        std::memcpy(&len, raw.data() + 16 * i + 8, 8);
        g.payload.iovecs.push_back(IovecRef{to_address(mem, base), len});
      }
      ignore_.push_back({arg, arg + raw.size()});
      decoded = true;
    }
  } else if (arg != 0 && op == IORING_REGISTER_FILES && nr_args > 0 && nr_args <= (1u << 20)) {
    std::vector<int32_t> fds(nr_args);
    if (mem->read(arg, fds.data(), 4 * size_t{nr_args})) {
      g.payload.kind = Payload::Kind::kFds;
      g.payload.fds = fds;
      ignore_.push_back({arg, arg + 4 * size_t{nr_args}});
      decoded = true;
    }
  } else if (arg != 0 && op == IORING_REGISTER_PROBE && nr_args <= 256) {
    std::vector<uint8_t> raw(16 + 8 * size_t{nr_args});
    if (mem->read(arg, raw.data(), raw.size())) {
      g.payload.kind = Payload::Kind::kBytes;
      g.payload.bytes = raw;
      ignore_.push_back({arg, arg + raw.size()});
      decoded = true;
    }
  } else if (arg != 0 && op == IORING_REGISTER_CLONE_BUFFERS) {
    // Its src_fd is a ring fd of this process, which is also its trace name.
    std::vector<uint8_t> raw(sizeof(io_uring_clone_buffers));
    if (mem->read(arg, raw.data(), raw.size())) {
      g.payload.kind = Payload::Kind::kClone;
      g.payload.bytes = raw;
      ignore_.push_back({arg, arg + raw.size()});
      decoded = true;
    }
  }
  if (!decoded && arg != 0) g.arg = to_address(mem, arg);
  pending_.event.body = std::move(g);
}

void Recorder::after_register(const Caller&, RingId ring, uint32_t, uint64_t, uint32_t, int64_t ret) {
  finish_call(ring, ret);
}

void Recorder::on_ring_destroyed(RingId ring) {
  auto it = setup_events_.find(ring);
  if (it == setup_events_.end()) return;
  CloseEvent c;
  c.fd = fd_name(ring);
  Event e;
  e.body = c;
  trace_.events.push_back(std::move(e));
  setup_events_.erase(it);
  ring_fds_.erase(ring);
  posted_.erase(ring);
}

}  // namespace uringsim::traces
