#include "fuzz/generator.h"

#include <cstddef>
#include <cstring>
#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "fuzz/execute.h"
#include "fuzz/rng.h"

namespace uringsim::fuzz {
namespace {

using traces::Address;
using traces::Event;
using traces::Payload;
using traces::SqeRecord;

// Choices come from a function so that generate() (an Rng) and generate_from_bytes()
// (a byte stream) share one body.
class Chooser {
 public:
  explicit Chooser(std::function<uint64_t()> next) : next_(std::move(next)) {}
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next_() % n; }
  bool chance(uint64_t num, uint64_t den) { return below(den) < num; }
  uint64_t u64() { return next_(); }
  template <class T, size_t N>
  T pick(const T (&a)[N]) {
    return a[below(N)];
  }

 private:
  std::function<uint64_t()> next_;
};

struct RingName {
  int fd = 0;        // the trace's name for it
  uint32_t sq = 0;   // sq_entries it gets if setup succeeds (our estimate)
  uint32_t pending = 0;  // SQEs written and not yet submitted (so the SQ never wraps)
  bool never_consume = false;  // CQ overflow pressure: cq_head stays 0
};

constexpr uint64_t kBufSize = 64 * 1024;
constexpr int kFileFd = 5;
constexpr int kFileFd2 = 6;
constexpr int kFirstRingName = 100;
// "meta": where the generator writes the structures a register call points at
// (io_uring_rsrc_register and its iovec and tag arrays, io_uring_rsrc_update2), a
// fresh slice per call so earlier calls' bytes are not reused by accident.
constexpr uint64_t kMetaSize = 16 * 1024;
constexpr uint64_t kMetaSlice = 1024;

uint32_t roundup_pow2(uint32_t v) {
  uint32_t p = 1;
  while (p < v && p < (1u << 31)) p <<= 1;
  return p;
}

class Builder {
 public:
  Builder(Chooser& c, const GeneratorOptions& o) : c_(c), o_(o) {}

  traces::Trace build() {
    traces::Trace t;
    t.header.profile = o_.profile;
    t.header.creator = "uringsim fuzz";
    switch (c_.below(4)) {
      case 0:
        break;  // root with CAP_IPC_LOCK: nothing is charged
      case 1:
        t.header.caller.cap_ipc_lock = false;  // charged, unlimited
        break;
      default:
        t.header.caller.cap_ipc_lock = false;  // memlock pressure
        t.header.caller.memlock = c_.pick<uint64_t>({0, 4096, 64 * 1024, 256 * 1024, 8 << 20});
        break;
    }
    // "meta" is declared first: on Linux (--differential) regions are mapped top-down
    // without guard gaps, so the region mapped first lies right above "buf", where
    // hostile ranges crossing buf's end land; there they hit only meta's scratch bytes,
    // never the replayer's own heap.
    traces::RegionDecl meta;
    meta.id = "meta";
    meta.size = kMetaSize;
    t.regions.push_back(meta);
    traces::RegionDecl buf;
    buf.id = "buf";
    buf.size = kBufSize;
    buf.seed = c_.u64() & 0xffff;
    t.regions.push_back(buf);
    traces::RegionDecl shm;
    shm.id = "shm";
    shm.size = 16 * 1024;
    shm.kind = traces::RegionKind::kShmem;
    t.regions.push_back(shm);
    traces::RegionDecl big;
    big.id = "big";
    big.size = o_.big_region;
    t.regions.push_back(big);
    traces::FileDecl f;
    f.fd = kFileFd;
    f.contents = std::string(8192, 'u');
    t.files.push_back(f);
    traces::FileDecl g;
    g.fd = kFileFd2;
    g.contents = "short";
    g.writable = false;
    t.files.push_back(g);

    const int rings = 1 + static_cast<int>(c_.below(3));
    for (int i = 0; i < rings; ++i) setup(t);
    const int budget = 2 + static_cast<int>(c_.below(static_cast<uint64_t>(std::max(1, o_.max_events - rings))));
    for (int i = 0; i < budget; ++i) {
      const uint64_t k = c_.below(100);
      if (k < 62) {
        enter(t);
      } else if (k < 90) {
        do_register(t);
      } else if (k < 95) {
        setup(t);
      } else if (!rings_.empty()) {
        // Close one ring early (its fd may still be used afterwards: EBADF).
        const size_t r = c_.below(rings_.size());
        t.events.push_back(Event{0, traces::CloseEvent{rings_[r].fd}, {}, {}});
        rings_.erase(rings_.begin() + static_cast<long>(r));
      }
    }
    for (const RingName& r : rings_) t.events.push_back(Event{0, traces::CloseEvent{r.fd}, {}, {}});
    return t;
  }

 private:
  void setup(traces::Trace& t) {
    traces::SetupEvent s;
    s.entries = c_.pick<uint32_t>({1, 2, 3, 4, 4, 5, 8, 8, 16, 32, 0, 4097, 65536});
    io_uring_params p{};
    const uint32_t flag_pool[] = {IORING_SETUP_CQSIZE,       IORING_SETUP_CLAMP,        IORING_SETUP_SUBMIT_ALL,
                                  IORING_SETUP_COOP_TASKRUN, IORING_SETUP_SINGLE_ISSUER, IORING_SETUP_DEFER_TASKRUN,
                                  IORING_SETUP_R_DISABLED,   IORING_SETUP_SQE128,       IORING_SETUP_CQE32,
                                  IORING_SETUP_TASKRUN_FLAG, IORING_SETUP_NO_SQARRAY,   1u << 30};
    const int nflags = static_cast<int>(c_.below(4));
    for (int i = 0; i < nflags; ++i) p.flags |= c_.pick(flag_pool);
    // Without SUBMIT_ALL a batch stops at its first SQE that fails to prepare, and
    // hostile SQEs are common: half the rings submit everything.
    if (c_.chance(1, 2)) p.flags |= IORING_SETUP_SUBMIT_ALL;
    if (p.flags & IORING_SETUP_CQSIZE) p.cq_entries = c_.pick<uint32_t>({0, 1, 3, 7, 64, 1u << 20});
    if (c_.chance(1, 20)) p.resv[c_.below(3)] = 1;  // non-zero reserved words: -EINVAL
    s.params = p;
    s.ret = kFirstRingName + next_name_++;
    RingName r;
    r.fd = static_cast<int>(s.ret);
    r.sq = s.entries == 0 ? 0 : roundup_pow2(std::min<uint32_t>(s.entries, 32768));
    r.never_consume = c_.chance(1, 5);
    disabled_[r.fd] = (p.flags & IORING_SETUP_R_DISABLED) != 0;
    rings_.push_back(r);
    t.events.push_back(Event{0, std::move(s), {}, {}});
  }

  // A ring fd to aim a call at: mostly a live ring, sometimes a closed or bogus one.
  int some_fd() {
    if (rings_.empty() || c_.chance(1, 25)) return c_.pick<int>({-1, kFileFd, 99, kFirstRingName + next_name_});
    return rings_[c_.below(rings_.size())].fd;
  }

  // Regions' sizes by id, for keep_in_regions.
  uint64_t region_size(const std::string& id) const {
    if (id == "buf") return kBufSize;
    if (id == "shm") return 16 * 1024;
    if (id == "big") return o_.big_region;
    if (id == "meta") return kMetaSize;
    return 0;
  }

  // With keep_in_regions, an address whose region leaves room for the largest transfer
  // a generated SQE can make (the 8 KiB test file read into it) and a length that ends
  // inside the region.
  Address some_address(uint64_t* len) {
    Address a = any_address(len);
    if (!o_.keep_in_regions || a.absolute()) return a;
    const uint64_t size = region_size(a.region);
    a.value = std::min(a.value, size > 8192 ? size - 8192 : 0);
    *len = std::min(*len, size - a.value);
    return a;
  }

  Address any_address(uint64_t* len) {
    switch (c_.below(10)) {
      case 0:
        *len = c_.pick<uint64_t>({0, 1, 4096});
        return Address{"", c_.pick<uint64_t>({0, 0xdead0000, ~uint64_t{0} - 4095})};
      case 1:  // crosses the end of buf into the guard gap
        *len = 4096 + c_.below(8192);
        return Address{"buf", kBufSize - 4096 + c_.below(4096)};
      case 2:
        *len = c_.below(16 * 1024);
        return Address{"shm", c_.below(16 * 1024)};
      case 3:
        *len = c_.pick<uint64_t>({o_.big_region, o_.big_region / 2, 1u << 30});
        return Address{"big", 0};
      default:
        *len = c_.pick<uint64_t>({0, 1, 512, 4096, 4096, 8192, 65536});
        return Address{"buf", c_.below(16) * 4096 + (c_.chance(1, 4) ? c_.below(4096) : 0)};
    }
  }

  void do_register(traces::Trace& t) {
    traces::RegisterEvent r;
    r.fd = some_fd();
    switch (c_.below(17)) {
      case 0:
      case 1:
      case 2: {
        r.opcode = IORING_REGISTER_BUFFERS;
        buffer_rings_.push_back(r.fd);
        r.payload.kind = Payload::Kind::kIovecs;
        const int n = 1 + static_cast<int>(c_.below(4));
        for (int i = 0; i < n; ++i) {
          uint64_t len = 0;
          Address a = some_address(&len);
          r.payload.iovecs.push_back(traces::IovecRef{a, len});
        }
        r.nr_args = c_.chance(1, 15) ? n + 1 : n;
        break;
      }
      case 3:
        r.opcode = IORING_UNREGISTER_BUFFERS;
        r.fd = some_buffer_ring();  // releasing a tagged table posts its tags
        break;
      case 4:
      case 5: {
        r.opcode = IORING_REGISTER_FILES;
        r.payload.kind = Payload::Kind::kFds;
        const int n = 1 + static_cast<int>(c_.below(4));
        for (int i = 0; i < n; ++i) r.payload.fds.push_back(c_.pick<int32_t>({kFileFd, kFileFd2, -1, kFileFd}));
        r.nr_args = n;
        break;
      }
      case 6:
        r.opcode = IORING_UNREGISTER_FILES;
        break;
      case 7: {
        // A provided buffer ring the kernel allocates (no user pointer to relocate).
        r.opcode = IORING_REGISTER_PBUF_RING;
        io_uring_buf_reg reg{};
        reg.ring_entries = c_.pick<uint32_t>({1, 2, 8, 3, 0, 32768, 65536});
        reg.bgid = static_cast<uint16_t>(c_.below(3));
        reg.flags = c_.chance(7, 8) ? IOU_PBUF_RING_MMAP : 0;
        r.payload.kind = Payload::Kind::kBytes;
        r.payload.bytes.resize(sizeof reg);
        std::memcpy(r.payload.bytes.data(), &reg, sizeof reg);
        r.nr_args = 1;
        break;
      }
      case 8: {
        r.opcode = IORING_UNREGISTER_PBUF_RING;
        io_uring_buf_reg reg{};
        reg.bgid = static_cast<uint16_t>(c_.below(3));
        r.payload.kind = Payload::Kind::kBytes;
        r.payload.bytes.resize(sizeof reg);
        std::memcpy(r.payload.bytes.data(), &reg, sizeof reg);
        r.nr_args = 1;
        break;
      }
      case 9:
        r.opcode = IORING_REGISTER_ENABLE_RINGS;
        disabled_[r.fd] = false;
        break;
      case 10:
      case 11:
        buffers2(t, r);
        break;
      case 12:
      case 13:
        buffers_update(t, r);
        break;
      case 14:
      case 15:
        clone_buffers(r);
        break;
      default: {
        r.opcode = static_cast<uint32_t>(c_.below(40));  // anything, NULL argument
        r.nr_args = static_cast<uint32_t>(c_.below(3));
        if (r.opcode == IORING_REGISTER_ENABLE_RINGS) disabled_[r.fd] = false;
        break;
      }
    }
    t.events.push_back(Event{0, std::move(r), {}, {}});
  }

  // --- tagged buffer tables and clones (IORING_REGISTER_BUFFERS2, BUFFERS_UPDATE,
  // CLONE_BUFFERS): valid, edge and hostile arguments ---

  // The next free slice of "meta".
  uint64_t meta_slice() {
    const uint64_t at = meta_next_;
    meta_next_ = (meta_next_ + kMetaSlice) % kMetaSize;
    return at;
  }
  static void put_bytes(traces::Trace& t, uint64_t offset, const void* p, size_t n) {
    traces::MemoryEvent m;
    m.region = "meta";
    m.offset = offset;
    m.bytes.assign(static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + n);
    t.events.push_back(Event{0, std::move(m), {}, {}});
  }
  // Writes the address `a` (relocated by the replayer) as a u64 at meta+offset.
  static void put_address(traces::Trace& t, uint64_t offset, const Address& a) {
    traces::MemoryEvent m;
    m.region = "meta";
    m.offset = offset;
    m.address = a;
    t.events.push_back(Event{0, std::move(m), {}, {}});
  }
  // A registration tag: a namespace of its own (kTagBase, fuzz/execute.h), each value
  // used once, so the checker can account every tag CQE; 0 means "no tag".
  uint64_t some_tag() { return c_.chance(1, 4) ? 0 : kTagBase + ++tags_; }

  // Writes `n` iovecs (sometimes sparse: base 0, len 0) at meta+at and `n` tags at
  // meta+tags_at.
  void iovecs_and_tags(traces::Trace& t, uint64_t at, uint64_t tags_at, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
      uint64_t len = 4096;
      Address a{"buf", c_.below(16) * 4096};  // mostly a clean page, so tables get registered
      if (c_.chance(1, 4)) a = some_address(&len);
      const bool empty = c_.chance(1, 5);
      if (empty) {
        a = Address{"", 0};  // an empty slot
        len = 0;
      }
      put_address(t, at + 16 * i, a);
      put_bytes(t, at + 16 * i + 8, &len, 8);
      // A tag on an empty slot is -EINVAL: mostly none there.
      const uint64_t tag = empty && c_.chance(4, 5) ? 0 : some_tag();
      put_bytes(t, tags_at + 8 * i, &tag, 8);
    }
  }

  // A ring the sequence registered buffers on (updates and clones mostly aim there,
  // so they get past "no buffers"), else any.
  int some_buffer_ring() {
    if (buffer_rings_.empty() || c_.chance(1, 4)) return some_fd();
    return buffer_rings_[c_.below(buffer_rings_.size())];
  }

  void buffers2(traces::Trace& t, traces::RegisterEvent& r) {
    r.opcode = IORING_REGISTER_BUFFERS2;
    buffer_rings_.push_back(r.fd);
    const uint64_t base = meta_slice();
    const uint32_t n = c_.pick<uint32_t>({1, 2, 3, 4, 0, 5});
    iovecs_and_tags(t, base + 64, base + 64 + 16 * 8, std::min<uint32_t>(n, 8));
    io_uring_rsrc_register reg{};
    reg.nr = c_.chance(1, 12) ? c_.pick<uint32_t>({16385, 1u << 31, 0xffffffffu}) : n;
    if (c_.chance(1, 5)) reg.flags = IORING_RSRC_REGISTER_SPARSE;
    if (c_.chance(1, 25)) reg.flags |= 1u << c_.below(32);  // garbage flags
    if (c_.chance(1, 25)) reg.resv2 = 1;
    put_bytes(t, base, &reg, sizeof reg);
    // data and tags: the arrays, NULL, or a wild pointer.
    Address data = c_.chance(1, 15) ? Address{"", c_.pick<uint64_t>({0, 0xdead0000})} : Address{"meta", base + 64};
    // A sparse table wants no data (Linux: -EINVAL with one); mostly give it none.
    if ((reg.flags & IORING_RSRC_REGISTER_SPARSE) && c_.chance(2, 3)) data = Address{"", 0};
    const Address tags = c_.chance(1, 6) ? Address{"", c_.pick<uint64_t>({0, 0, 0xdead0000})}
                                          : Address{"meta", base + 64 + 16 * 8};
    put_address(t, base + offsetof(io_uring_rsrc_register, data), data);
    put_address(t, base + offsetof(io_uring_rsrc_register, tags), tags);
    r.arg = Address{"meta", base};
    r.nr_args = c_.chance(1, 15) ? c_.pick<uint32_t>({0, 16, 33}) : sizeof reg;
  }

  void buffers_update(traces::Trace& t, traces::RegisterEvent& r) {
    r.opcode = IORING_REGISTER_BUFFERS_UPDATE;
    r.fd = some_buffer_ring();
    const uint64_t base = meta_slice();
    const uint32_t n = c_.pick<uint32_t>({1, 1, 2, 3, 0});
    iovecs_and_tags(t, base + 64, base + 64 + 16 * 8, n);
    io_uring_rsrc_update2 up{};
    up.offset = c_.chance(1, 8) ? c_.pick<uint32_t>({7, 1000, 0xffffffffu}) : static_cast<uint32_t>(c_.below(4));
    up.nr = n;
    if (c_.chance(1, 25)) up.resv = 1;
    if (c_.chance(1, 25)) up.resv2 = 1;
    put_bytes(t, base, &up, sizeof up);
    const Address data = c_.chance(1, 15) ? Address{"", 0xdead0000} : Address{"meta", base + 64};
    const Address tags = c_.chance(1, 5) ? Address{"", 0} : Address{"meta", base + 64 + 16 * 8};
    put_address(t, base + offsetof(io_uring_rsrc_update2, data), data);
    put_address(t, base + offsetof(io_uring_rsrc_update2, tags), tags);
    r.arg = Address{"meta", base};
    r.nr_args = c_.chance(1, 15) ? c_.pick<uint32_t>({0, 24, 64}) : sizeof up;
  }

  void clone_buffers(traces::RegisterEvent& r) {
    r.opcode = IORING_REGISTER_CLONE_BUFFERS;
    io_uring_clone_buffers cl{};
    // The source: another ring (the usual case), this ring, a closed or bogus fd.
    cl.src_fd = static_cast<uint32_t>(some_buffer_ring());
    if (c_.chance(3, 4)) {
      for (const RingName& other : rings_) r.fd = other.fd != static_cast<int>(cl.src_fd) ? other.fd : r.fd;
    }
    if (c_.chance(1, 3)) cl.flags |= IORING_REGISTER_DST_REPLACE;
    if (c_.chance(1, 30)) cl.flags |= IORING_REGISTER_SRC_REGISTERED;  // no registered ring fds: -EBADF
    if (c_.chance(1, 30)) cl.flags |= 1u << (2 + c_.below(30));         // garbage flags
    if (c_.chance(1, 2)) {
      cl.src_off = static_cast<uint32_t>(c_.below(3));
      cl.dst_off = static_cast<uint32_t>(c_.below(3));
      cl.nr = static_cast<uint32_t>(c_.below(4));
    }
    if (c_.chance(1, 15)) cl.nr = c_.pick<uint32_t>({16384, 16385, 0xffffffffu});
    if (c_.chance(1, 15)) cl.dst_off = c_.pick<uint32_t>({16384, 0xfffffff0u});
    if (c_.chance(1, 25)) cl.pad[c_.below(3)] = 1;
    r.payload.kind = Payload::Kind::kClone;
    r.payload.bytes.resize(sizeof cl);
    std::memcpy(r.payload.bytes.data(), &cl, sizeof cl);
    r.nr_args = c_.chance(1, 20) ? 2 : 1;
  }

  void enter(traces::Trace& t) {
    traces::EnterEvent e;
    e.fd = some_fd();
    RingName* ring = nullptr;
    for (RingName& r : rings_) ring = r.fd == e.fd ? &r : ring;
    uint32_t room = ring == nullptr ? 0 : (ring->sq > ring->pending ? ring->sq - ring->pending : 0);
    if (ring != nullptr && disabled_[ring->fd]) room = 0;  // -EBADFD: SQEs would pile up
    const uint32_t n = room == 0 ? 0 : static_cast<uint32_t>(c_.below(std::min<uint32_t>(room, 12) + 1));
    bool linking = false;
    for (uint32_t i = 0; i < n; ++i) {
      e.sqes.push_back(sqe(&linking));
    }
    e.to_submit = n;
    if (c_.chance(1, 10)) e.to_submit = n + static_cast<uint32_t>(c_.below(3));
    if (c_.chance(1, 12) && n > 0) e.to_submit = n - 1;
    if (ring != nullptr) ring->pending = ring->pending + n - std::min(e.to_submit, ring->pending + n);
    // After a short submit the leftover stays queued; account it as pending.
    if (ring != nullptr && e.to_submit < n) ring->pending = n - e.to_submit;
    e.flags = c_.chance(3, 4) ? IORING_ENTER_GETEVENTS : 0;
    if (c_.chance(1, 20)) e.flags |= 1u << (c_.below(8) + 24);  // garbage enter flags
    e.min_complete = e.flags & IORING_ENTER_GETEVENTS ? static_cast<uint32_t>(c_.below(n + 1)) : 0;
    if (ring != nullptr && ring->never_consume) e.cq_head = 0;
    t.events.push_back(Event{0, std::move(e), {}, {}});
  }

  SqeRecord sqe(bool* linking) {
    SqeRecord s;
    io_uring_sqe q{};
    // Half the SQEs are of the opcodes the model implements families for, the rest
    // any opcode, including ones past IORING_OP_LAST.
    const uint8_t common[] = {IORING_OP_NOP,        IORING_OP_READ,        IORING_OP_WRITE,
                              IORING_OP_READ_FIXED, IORING_OP_WRITE_FIXED, IORING_OP_READV,
                              IORING_OP_WRITEV,     IORING_OP_FSYNC,       IORING_OP_TIMEOUT,
                              IORING_OP_TIMEOUT_REMOVE, IORING_OP_ASYNC_CANCEL, IORING_OP_LINK_TIMEOUT,
                              IORING_OP_PROVIDE_BUFFERS, IORING_OP_REMOVE_BUFFERS, IORING_OP_POLL_ADD,
                              IORING_OP_POLL_REMOVE, IORING_OP_MSG_RING,    IORING_OP_SEND_ZC,
                              IORING_OP_CLOSE,      IORING_OP_FILES_UPDATE};
    q.opcode = c_.chance(1, 2) ? c_.pick(common) : static_cast<uint8_t>(c_.below(IORING_OP_LAST + 4));
    q.user_data = ++user_data_;
    if (c_.chance(1, 30)) q.user_data = user_data_ > 1 ? user_data_ - 1 : 0;  // reused user_data
    // fd: a file, a fixed-file index, or junk.
    switch (c_.below(6)) {
      case 0:
        q.fd = -1;
        break;
      case 1:
        q.fd = c_.pick<int32_t>({kFileFd2, 42, 0x7fffffff});
        break;
      case 2:
        q.fd = static_cast<int32_t>(c_.below(4));
        q.flags |= IOSQE_FIXED_FILE;
        break;
      default:
        q.fd = kFileFd;
        break;
    }
    uint64_t len = 0;
    Address a = some_address(&len);
    if (q.opcode != IORING_OP_NOP || c_.chance(1, 4)) s.addr = a;
    q.len = static_cast<uint32_t>(c_.chance(1, 15) ? c_.pick<uint64_t>({0, 0xffffffffull, 0x80000000ull}) : len);
    // keep_in_regions: an op that copies `len` bytes out of user memory must not run
    // past its region, or Linux's replay would send whatever it maps next.
    const bool copies_from_user = q.opcode == IORING_OP_WRITE || q.opcode == IORING_OP_SEND ||
                                  q.opcode == IORING_OP_SEND_ZC;
    if (o_.keep_in_regions && !a.absolute() && copies_from_user) {
      q.len = static_cast<uint32_t>(std::min<uint64_t>(q.len, len));
    }
    // The same for a vectored op's iovec array: len counts 16-byte iovecs. More than
    // UIO_MAXIOV (1024) is refused before the array is read, so those stay.
    const bool vectored = q.opcode == IORING_OP_READV || q.opcode == IORING_OP_WRITEV ||
                          q.opcode == IORING_OP_READV_FIXED || q.opcode == IORING_OP_WRITEV_FIXED;
    if (o_.keep_in_regions && !a.absolute() && vectored && q.len <= 1024) {
      q.len = static_cast<uint32_t>(std::min<uint64_t>(q.len, len / 16));  // sizeof(struct iovec)
    }
    q.off = c_.chance(1, 10) ? c_.pick<uint64_t>({~uint64_t{0}, 1ull << 62, 4095}) : c_.below(3) * 4096;
    q.buf_index = static_cast<uint16_t>(c_.chance(1, 8) ? c_.pick<uint16_t>({7, 0xffff, 1000}) : c_.below(3));
    if (q.opcode == IORING_OP_NOP && c_.chance(1, 6)) {
      q.nop_flags = 1;  // IORING_NOP_INJECT_RESULT
      q.len = static_cast<uint32_t>(-c_.pick<int32_t>({5, 22, 125}));
    } else if (q.opcode == IORING_OP_TIMEOUT || q.opcode == IORING_OP_LINK_TIMEOUT) {
      q.len = c_.chance(4, 5) ? 1 : q.len;
      q.off = c_.below(3);  // completion count
      q.timeout_flags = c_.chance(1, 8) ? static_cast<uint32_t>(c_.u64()) : 0;
    } else if (q.opcode == IORING_OP_MSG_RING) {
      q.fd = some_fd();
      q.off = 0x4d000000ull + c_.below(4);  // the target's CQE user_data
    } else if (q.opcode == IORING_OP_ASYNC_CANCEL || q.opcode == IORING_OP_TIMEOUT_REMOVE ||
               q.opcode == IORING_OP_POLL_REMOVE) {
      s.addr.reset();
      q.addr = user_data_ > 2 ? user_data_ - 1 - c_.below(2) : 0;
    } else if (q.opcode == IORING_OP_PROVIDE_BUFFERS || q.opcode == IORING_OP_REMOVE_BUFFERS) {
      q.fd = static_cast<int32_t>(c_.pick<uint32_t>({1, 4, 0, 65536}));  // nbufs
      q.len = c_.pick<uint32_t>({512, 4096, 0});
      q.buf_group = static_cast<uint16_t>(c_.below(3));
      q.off = c_.below(4);  // starting bid
    } else if (c_.chance(1, 12)) {
      q.rw_flags = static_cast<uint32_t>(c_.u64());  // garbage op flags
    }
    // Buffer selection from a group, sometimes on ops that cannot select.
    if (c_.chance(1, 8)) {
      q.flags |= IOSQE_BUFFER_SELECT;
      q.buf_group = static_cast<uint16_t>(c_.below(3));
      s.addr.reset();
      q.addr = 0;
    }
    if (c_.chance(1, 6)) q.flags |= IOSQE_CQE_SKIP_SUCCESS;
    if (c_.chance(1, 12)) q.flags |= IOSQE_IO_DRAIN;
    if (c_.chance(1, 40)) q.flags |= 1u << 7;  // no such SQE flag: -EINVAL
    if (c_.chance(1, 40)) q.flags |= IOSQE_ASYNC;
    if (*linking || c_.chance(1, 5)) {
      // Continue or start a chain; end it sometimes.
      if (c_.chance(2, 3)) q.flags |= c_.chance(1, 4) ? IOSQE_IO_HARDLINK : IOSQE_IO_LINK;
    }
    *linking = (q.flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)) != 0;
    if (c_.chance(1, 50)) q.personality = static_cast<uint16_t>(1 + c_.below(3));
    if (s.addr && s.addr->absolute()) {  // a bare number lives in the SQE bytes
      q.addr = s.addr->value;
      s.addr.reset();
    }
    std::memcpy(s.bytes.data(), &q, sizeof q);
    s.has_raw = true;
    return s;
  }

  Chooser& c_;
  const GeneratorOptions& o_;
  std::vector<RingName> rings_;
  std::map<int, bool> disabled_;
  std::vector<int> buffer_rings_;  // fds buffer registrations were aimed at
  uint64_t meta_next_ = 0;
  uint64_t tags_ = 0;
  int next_name_ = 0;
  uint64_t user_data_ = 0;
};

}  // namespace

traces::Trace generate(uint64_t seed, const GeneratorOptions& options) {
  Rng rng(seed);
  Chooser c([&rng] { return rng.next(); });
  return Builder(c, options).build();
}

traces::Trace generate_from_bytes(const uint8_t* data, size_t size, const GeneratorOptions& options) {
  size_t at = 0;
  Chooser c([&]() -> uint64_t {
    uint64_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | (at < size ? data[at++] : 0);
    return v;
  });
  return Builder(c, options).build();
}

}  // namespace uringsim::fuzz
