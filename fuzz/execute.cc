#include "fuzz/execute.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "kernel_model/kbuf.h"
#include "kernel_model/kernel.h"
#include "traces/replay.h"

namespace uringsim::fuzz {
namespace {

constexpr uint32_t kMaxGroup = 8;

// A SimTarget that snapshots the model after every call.
class ObservingSim : public traces::SimTarget {
 public:
  ObservingSim(const Profile* p, Observation* obs, uint32_t uid) : SimTarget(p), obs_(obs), uid_(uid) {}

  int64_t setup(uint32_t entries, uint64_t params_addr) override {
    const size_t before = kernel().ring_count();
    const int64_t ret = SimTarget::setup(entries, params_addr);
    if (ret >= 0 && kernel().ring_count() > before) {
      obs_->ring_ids.push_back({static_cast<int>(ret), next_id_guess()});
    }
    ++setups_;
    snap();
    return ret;
  }
  int64_t enter(int fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags, uint64_t arg,
                uint64_t argsz) override {
    const int64_t r = SimTarget::enter(fd, to_submit, min_complete, flags, arg, argsz);
    snap();
    return r;
  }
  int64_t do_register(int fd, uint32_t opcode, uint64_t arg, uint32_t nr_args) override {
    const int64_t r = SimTarget::do_register(fd, opcode, arg, nr_args);
    snap();
    return r;
  }
  void close_ring(int fd) override {
    SimTarget::close_ring(fd);
    snap();
  }
  // Called by execute() between events so snapshots carry their event index.
  void set_event(size_t i) { event_ = i; }
  void snap() {
    Snapshot s;
    s.event = event_;
    Kernel& k = kernel();
    s.ring_count = k.ring_count();
    s.locked_pages = k.accounting().locked_pages(uid_);
    s.pinned_pages = k.accounting().pinned_pages(1000);
    for (int64_t id = 0; id < max_id_ + 1; ++id) {
      Context* ctx = k.context(static_cast<RingId>(id));
      if (ctx == nullptr) continue;
      const Ring& r = ctx->ring();
      RingSnapshot rs;
      rs.sq_head = r.sq_head();
      rs.sq_tail = r.sq_tail();
      rs.cq_head = r.cq_head();
      rs.cq_tail = r.cq_tail();
      rs.cq_entries = r.layout().cq_entries;
      rs.dropped = r.dropped();
      rs.cq_overflow = r.cq_overflow_counter();
      rs.sq_flags = r.sq_flags();
      rs.backlog = r.overflow_backlog();
      rs.inflight = ctx->inflight();
      rs.acct_pages = ctx->charges_memlock() ? ctx->ring_acct_pages : 0;
      for (const auto& node : ctx->buffers().slots()) {
        if (node && node->buf && seen_.insert(node->buf.get()).second) rs.acct_pages += node->buf->acct_pages;
      }
      // Provided buffer rings the kernel allocated are charged too (6.18 regions). The
      // generator uses group ids below kMaxGroup; ProvidedBuffers has no iteration.
      for (uint32_t bgid = 0; bgid < kMaxGroup; ++bgid) {
        if (const BufferList* bl = ctx->provided_buffers().find(static_cast<uint16_t>(bgid))) rs.acct_pages += bl->acct_pages;
      }
      s.rings[id] = rs;
    }
    seen_.clear();
    obs_->snapshots.push_back(std::move(s));
  }

 private:
  // Ring ids are handed out in order (Kernel::next_ring_); find the newest live one.
  int64_t next_id_guess() {
    for (int64_t id = max_id_ + 64; id >= 0; --id) {
      if (kernel().context(static_cast<RingId>(id)) != nullptr) {
        if (id > max_id_) max_id_ = id;
        return id;
      }
    }
    return -1;
  }

  Observation* obs_;
  uint32_t uid_;
  size_t event_ = 0;
  int setups_ = 0;
  int64_t max_id_ = -1;
  std::set<const void*> seen_;
};

// Replays event by event so each snapshot knows its event: a one-event replay is not
// possible (rings live across events), so the observer is told the index through the
// snapshot count instead -- snapshots are taken once per call, and calls map to events
// in order.
void assign_events(const traces::Trace& t, Observation* obs) {
  size_t s = 0;
  for (size_t i = 0; i < t.events.size() && s < obs->snapshots.size(); ++i) {
    const auto& b = t.events[i].body;
    const bool call = std::holds_alternative<traces::SetupEvent>(b) || std::holds_alternative<traces::EnterEvent>(b) ||
                      std::holds_alternative<traces::RegisterEvent>(b);
    bool close = false;
    if (const auto* c = std::get_if<traces::CloseEvent>(&b)) {
      // The replayer only closes rings it set up; a close of anything else is no call.
      for (size_t j = 0; j < i; ++j) {
        if (const auto* se = std::get_if<traces::SetupEvent>(&t.events[j].body)) close |= se->ret == c->fd;
      }
      for (size_t j = 0; j < i && close; ++j) {
        if (const auto* ce = std::get_if<traces::CloseEvent>(&t.events[j].body)) close &= ce->fd != c->fd;
      }
    }
    if (call || close) obs->snapshots[s++].event = i;
  }
}

}  // namespace

const std::vector<std::string>& invariant_names() {
  static const std::vector<std::string> names = {"cqe_per_sqe",        "ring_monotonic",    "overflow_counters",
                                                 "memlock_accounting", "unknown_user_data", "leaked_rings",
                                                 "model_exception",    "tag_cqes"};
  return names;
}

Observation execute(const traces::Trace& trace, const Profile* profile) {
  Observation obs;
  obs.memlock_charged = !trace.header.caller.cap_ipc_lock;
  if (trace.header.caller.memlock) obs.memlock_limit_pages = *trace.header.caller.memlock / 4096;
  ObservingSim sim(profile, &obs, trace.header.caller.uid);
  traces::ReplayOptions opts;
  opts.update = true;
  traces::ReplayResult r;
  try {
    r = traces::replay(trace, sim, opts);
  } catch (const std::exception& e) {
    // The model (or the simulated files under it) threw: never acceptable -- the
    // model must answer every input with an errno.
    obs.updated = trace;
    obs.exception = e.what();
    obs.exception_event = obs.snapshots.size();
    return obs;
  }
  if (r.skipped) {
    obs.updated = trace;
    return obs;
  }
  obs.updated = std::move(r.updated);
  obs.sqes = r.sqes;
  obs.cqes = r.cqes;
  assign_events(obs.updated, &obs);
  // The target saw its own fds; name the rings as the trace does. Successful setups
  // are the updated trace's setups with ret >= 0, in the same order.
  size_t k = 0;
  for (const traces::Event& e : obs.updated.events) {
    const auto* se = std::get_if<traces::SetupEvent>(&e.body);
    if (se == nullptr || se->ret < 0 || k >= obs.ring_ids.size()) continue;
    obs.ring_ids[k++].first = static_cast<int>(se->ret);
  }
  return obs;
}

namespace {

int32_t sdiff(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b); }

struct Checker {
  const Observation& obs;
  std::vector<Violation> out;

  void fail(const char* inv, size_t event, std::string msg) { out.push_back(Violation{inv, event, std::move(msg)}); }

  void rings() {
    std::map<int64_t, RingSnapshot> prev;
    for (const Snapshot& s : obs.snapshots) {
      for (const auto& [id, r] : s.rings) {
        char buf[256];
        if (sdiff(r.sq_tail, r.sq_head) < 0) {
          std::snprintf(buf, sizeof buf, "ring %lld: SQ head %u passed the tail %u", (long long)id, r.sq_head, r.sq_tail);
          fail("ring_monotonic", s.event, buf);
        }
        if (static_cast<uint32_t>(r.cq_tail - r.cq_head) > r.cq_entries && sdiff(r.cq_tail, r.cq_head) > 0) {
          std::snprintf(buf, sizeof buf, "ring %lld: CQ holds %u CQEs, more than cq_entries %u", (long long)id,
                        r.cq_tail - r.cq_head, r.cq_entries);
          fail("ring_monotonic", s.event, buf);
        }
        if (r.backlog > 0 && !(r.sq_flags & IORING_SQ_CQ_OVERFLOW)) {
          std::snprintf(buf, sizeof buf, "ring %lld: %zu CQEs in the overflow backlog but IORING_SQ_CQ_OVERFLOW is clear",
                        (long long)id, r.backlog);
          fail("overflow_counters", s.event, buf);
        }
        auto p = prev.find(id);
        if (p != prev.end()) {
          const RingSnapshot& o = p->second;
          if (sdiff(r.sq_head, o.sq_head) < 0 || sdiff(r.cq_tail, o.cq_tail) < 0) {
            std::snprintf(buf, sizeof buf, "ring %lld: moved backwards: SQ head %u -> %u, CQ tail %u -> %u", (long long)id,
                          o.sq_head, r.sq_head, o.cq_tail, r.cq_tail);
            fail("ring_monotonic", s.event, buf);
          }
          if (r.dropped < o.dropped || r.cq_overflow < o.cq_overflow) {
            std::snprintf(buf, sizeof buf, "ring %lld: counters shrank: dropped %u -> %u, cq overflow %u -> %u",
                          (long long)id, o.dropped, r.dropped, o.cq_overflow, r.cq_overflow);
            fail("overflow_counters", s.event, buf);
          }
        }
        prev[id] = r;
      }
    }
  }

  void memlock() {
    for (const Snapshot& s : obs.snapshots) {
      uint64_t sum = 0;
      size_t inflight = 0;
      for (const auto& [id, r] : s.rings) {
        sum += r.acct_pages;
        inflight += r.inflight;
      }
      char buf[256];
      if (!obs.memlock_charged && s.locked_pages != 0) {
        std::snprintf(buf, sizeof buf, "locked_vm is %llu pages for a caller with CAP_IPC_LOCK",
                      (unsigned long long)s.locked_pages);
        fail("memlock_accounting", s.event, buf);
      } else if (obs.memlock_charged && (s.locked_pages < sum || (inflight == 0 && s.locked_pages != sum))) {
        // Requests in flight may still hold buffers unregistered from the table.
        std::snprintf(buf, sizeof buf, "locked_vm is %llu pages; live rings and pins account for %llu",
                      (unsigned long long)s.locked_pages, (unsigned long long)sum);
        fail("memlock_accounting", s.event, buf);
      }
      if (s.ring_count == 0 && (s.locked_pages != 0 || s.pinned_pages != 0)) {
        std::snprintf(buf, sizeof buf, "every ring is gone but locked_vm is %llu pages and pinned_vm %llu",
                      (unsigned long long)s.locked_pages, (unsigned long long)s.pinned_pages);
        fail("memlock_accounting", s.event, buf);
      }
    }
  }

  void leaks() {
    if (obs.snapshots.empty()) return;
    const Snapshot& last = obs.snapshots.back();
    // Every ring the trace set up and did not close on purpose must be gone by then.
    if (last.ring_count != 0) {
      fail("leaked_rings", last.event, std::to_string(last.ring_count) + " rings left after the trace closed them all");
    }
  }

  void cqes() {
    const traces::Trace& t = obs.updated;
    std::set<uint64_t> submitted;
    std::set<uint64_t> msg_targets;
    std::map<uint64_t, int> tag_cqes;  // tag -> release CQEs seen
    // The largest tag the trace wrote (tags are kTagBase + 1..n, written as MemoryEvent
    // bytes before the register call that reads them).
    uint64_t last_tag = kTagBase;
    for (const traces::Event& e : t.events) {
      const auto* m = std::get_if<traces::MemoryEvent>(&e.body);
      if (m == nullptr || m->bytes.size() != 8) continue;
      uint64_t v = 0;
      std::memcpy(&v, m->bytes.data(), 8);
      if ((v & kTagMask) == kTagBase) last_tag = std::max(last_tag, v);
    }
    for (const traces::Event& e : t.events) {
      if (const auto* en = std::get_if<traces::EnterEvent>(&e.body)) {
        for (const traces::SqeRecord& s : en->sqes) {
          if (s.dropped) continue;
          const io_uring_sqe q = s.sqe();
          submitted.insert(q.user_data);
          if (q.opcode == IORING_OP_MSG_RING) msg_targets.insert(q.off);
        }
      }
    }
    struct PerRing {
      // The SQ as the replayer fills it: slot = tail & mask, so SQEs written past a
      // full SQ overwrite unconsumed ones, exactly as in the shared ring.
      std::vector<const traces::SqeRecord*> slots;
      uint32_t head = 0, tail = 0;
      std::unordered_map<uint64_t, int> required;           // consumed SQEs that must complete
      std::unordered_map<uint64_t, int> allowed;            // consumed SQEs that may complete
      std::unordered_map<uint64_t, int> terminal;           // CQEs without F_MORE
      std::unordered_map<uint64_t, int> notif_owed;         // completed without F_MORE: a notification may follow
    };
    std::map<int, PerRing> rings;
    std::set<int> live;
    // The closes every sequence ends with start here.
    size_t last_before_close = t.events.size();
    while (last_before_close > 0 && std::holds_alternative<traces::CloseEvent>(t.events[last_before_close - 1].body)) {
      --last_before_close;
    }
    for (size_t i = 0; i < t.events.size(); ++i) {
      const traces::Event& e = t.events[i];
      const std::vector<traces::CqeRecord>* seen = nullptr;
      int fd = -1;
      if (const auto* se = std::get_if<traces::SetupEvent>(&e.body)) {
        if (se->ret >= 0) {
          live.insert(static_cast<int>(se->ret));
          PerRing pr;
          auto it = se->params_out.find("sq_entries");
          pr.slots.assign(it == se->params_out.end() || it->second == 0 ? 1 : it->second, nullptr);
          rings[static_cast<int>(se->ret)] = std::move(pr);
        }
        continue;
      }
      if (std::holds_alternative<traces::CloseEvent>(e.body)) continue;
      if (const auto* en = std::get_if<traces::EnterEvent>(&e.body)) {
        fd = en->fd;
        seen = &en->cqes;
        if (live.count(fd)) {
          PerRing& r = rings[fd];
          const uint32_t mask = static_cast<uint32_t>(r.slots.size()) - 1;
          for (const traces::SqeRecord& s : en->sqes) r.slots[r.tail++ & mask] = &s;
          // A link chain with a CQE_SKIP_SUCCESS member may complete silently as a
          // whole when it fails (Linux's REQ_F_SKIP_LINK_CQES); its members are
          // allowed a CQE but not required to post one. Chains end with the batch.
          std::vector<io_uring_sqe> chain;
          auto end_chain = [&r, &chain] {
            bool skip = false;
            for (const io_uring_sqe& q : chain) skip |= (q.flags & IOSQE_CQE_SKIP_SUCCESS) != 0;
            for (const io_uring_sqe& q : chain) {
              ++r.allowed[q.user_data];
              if (!skip) ++r.required[q.user_data];
            }
            chain.clear();
          };
          for (int64_t k = 0; k < en->ret && r.head != r.tail; ++k) {
            const traces::SqeRecord* s = r.slots[r.head++ & mask];
            if (s == nullptr || s->dropped) continue;
            const io_uring_sqe q = s->sqe();
            chain.push_back(q);
            if (!(q.flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK))) end_chain();
          }
          end_chain();
        }
      } else if (const auto* re = std::get_if<traces::RegisterEvent>(&e.body)) {
        fd = re->fd;
        seen = &re->cqes;
      }
      if (seen == nullptr) continue;
      for (const traces::CqeRecord& c : *seen) {
        if ((c.user_data & kTagMask) == kTagBase && !submitted.count(c.user_data)) {
          const int n = ++tag_cqes[c.user_data];
          if (c.user_data == kTagBase || c.user_data > last_tag) {
            fail("tag_cqes", i, "fd " + std::to_string(fd) + ": tag CQE " + std::to_string(c.user_data - kTagBase) +
                                    " for a tag the trace never registered");
          } else if (c.res != 0 || c.flags != 0) {
            fail("tag_cqes", i, "fd " + std::to_string(fd) + ": tag CQE " + std::to_string(c.user_data - kTagBase) +
                                    " has res " + std::to_string(c.res) + " flags " + std::to_string(c.flags) +
                                    " (Linux posts res 0, flags 0)");
          } else if (n > 1) {
            fail("tag_cqes", i, "fd " + std::to_string(fd) + ": tag " + std::to_string(c.user_data - kTagBase) +
                                    " released " + std::to_string(n) + " times; it was registered once");
          }
          continue;
        }
        if (!submitted.count(c.user_data) && !msg_targets.count(c.user_data)) {
          fail("unknown_user_data", i,
               "fd " + std::to_string(fd) + ": CQE for user_data " + std::to_string(c.user_data) +
                   " (res " + std::to_string(c.res) + "), which no SQE carried");
          continue;
        }
        if (msg_targets.count(c.user_data) || !live.count(fd)) continue;
        PerRing& r = rings[fd];
        if (c.flags & IORING_CQE_F_MORE) {
          r.notif_owed[c.user_data] = 0;  // a pair started: its notification ends it
          continue;
        }
        // A zero-copy send failed with its link completes (-ECANCELED, or its own
        // prep error) without F_MORE and still posts its notification (Linux 6.18):
        // that trailing notification is not a second completion.
        if (c.flags & IORING_CQE_F_NOTIF) {
          if (r.notif_owed[c.user_data] > 0) {
            --r.notif_owed[c.user_data];
            continue;
          }
        } else {
          ++r.notif_owed[c.user_data];
        }
        if (++r.terminal[c.user_data] > r.allowed[c.user_data]) {
          fail("cqe_per_sqe", i,
               "fd " + std::to_string(fd) + ": user_data " + std::to_string(c.user_data) + " completed " +
                   std::to_string(r.terminal[c.user_data]) + " times for " + std::to_string(r.allowed[c.user_data]) +
                   " consumed SQEs");
        }
      }
    }
    // At the last call before the closes: every required completion happened, or the
    // request is still in flight (parked) or its CQE waits in the overflow backlog.
    const Snapshot* at = nullptr;
    for (const Snapshot& s : obs.snapshots) {
      if (s.event < last_before_close) at = &s;
    }
    for (auto& [fd, r] : rings) {
      int missing = 0;
      for (const auto& [ud, n] : r.required) missing += std::max(0, n - r.terminal[ud]);
      if (missing == 0) continue;
      size_t pending = 0;
      int64_t id = -1;
      for (const auto& [name, rid] : obs.ring_ids) id = name == fd ? rid : id;
      if (at != nullptr) {
        auto it = at->rings.find(id);
        if (it != at->rings.end()) pending = it->second.inflight + it->second.backlog;
        else pending = SIZE_MAX;  // closed early: its requests were cancelled silently
      }
      if (static_cast<size_t>(missing) > pending) {
        fail("cqe_per_sqe", last_before_close == 0 ? 0 : last_before_close - 1,
             "fd " + std::to_string(fd) + ": " + std::to_string(missing) +
                 " consumed SQEs have no CQE, but only " + std::to_string(pending) + " requests are in flight or in the backlog");
      }
    }
  }
};

}  // namespace

std::vector<Violation> check(const Observation& obs) {
  Checker c{obs, {}};
  if (!obs.exception.empty()) {
    c.fail("model_exception", 0, "the simulator threw " + obs.exception + " after " +
                                     std::to_string(obs.exception_event) + " calls");
    return std::move(c.out);
  }
  c.rings();
  c.memlock();
  c.cqes();
  c.leaks();
  return std::move(c.out);
}

}  // namespace uringsim::fuzz
