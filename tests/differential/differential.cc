#include "tests/differential/differential.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <tuple>

namespace uringsim::difftest {

// ---------------------------------------------------------------------------
// Exclusions: everything the differential suite deliberately does not compare.
// ---------------------------------------------------------------------------

const std::vector<Exclusion>& not_simulated_features() {
  // Mirrors kSimulatedFeatures in kernel_model/profile.cc: the model does not claim a
  // feature until it implements it.
  static const std::vector<Exclusion> list = {
      {IORING_FEAT_RW_ATTR, "RW_ATTR: read/write PI attributes not simulated"},
  };
  return list;
}

uint32_t not_simulated_feature_mask() {
  uint32_t m = 0;
  for (const auto& e : not_simulated_features()) m |= e.bits;
  return m;
}

const std::vector<Exclusion>& not_simulated_setup_flags() {
  // Mirrors kSimulatedSetupFlags in kernel_model/profile.cc (6.18 flags minus these).
  static const std::vector<Exclusion> list = {
      {IORING_SETUP_IOPOLL, "IOPOLL: no polled block devices in the model"},
      {IORING_SETUP_REGISTERED_FD_ONLY, "REGISTERED_FD_ONLY: needs NO_MMAP"},
      {IORING_SETUP_HYBRID_IOPOLL, "HYBRID_IOPOLL: needs IOPOLL"},
      {IORING_SETUP_CQE_MIXED, "CQE_MIXED: mixed 16/32-byte CQEs not simulated"},
  };
  return list;
}

uint32_t not_simulated_setup_mask() {
  uint32_t m = 0;
  for (const auto& e : not_simulated_setup_flags()) m |= e.bits;
  return m;
}

bool op_is_simulated(uint8_t op) {
  // The model's op table decides (a row with a null prep is "exists in Linux, not
  // simulated"); without the sim in this build nothing is compared.
  return sim_op_has_prep(op);
}

// ---------------------------------------------------------------------------
// Transcript
// ---------------------------------------------------------------------------

void Transcript::note(const std::string& key, int64_t value, const std::string& why) {
  entries_.push_back({key, std::to_string(value), why});
}

void Transcript::note_str(const std::string& key, const std::string& value,
                          const std::string& why) {
  entries_.push_back({key, value, why});
}

void Transcript::call(const std::string& key, int64_t ret, const Syscalls& sys) {
  std::string v = std::to_string(ret);
  if (ret < 0) {
    v += " (";
    v += strerrorname_np(static_cast<int>(-ret)) ? strerrorname_np(static_cast<int>(-ret)) : "?";
    v += ")";
  }
  entries_.push_back({key, v, ret < 0 ? sys.last_reason() : ""});
}

void Transcript::params(const std::string& key, const io_uring_params& p) {
  const std::string k = key + ".";
  note(k + "sq_entries", p.sq_entries);
  note(k + "cq_entries", p.cq_entries);
  note(k + "flags", p.flags);
  char buf[32];
  snprintf(buf, sizeof buf, "0x%x", p.features & ~not_simulated_feature_mask());
  note_str(k + "features(masked)", buf);
  note(k + "sq_off.head", p.sq_off.head);
  note(k + "sq_off.tail", p.sq_off.tail);
  note(k + "sq_off.ring_mask", p.sq_off.ring_mask);
  note(k + "sq_off.ring_entries", p.sq_off.ring_entries);
  note(k + "sq_off.flags", p.sq_off.flags);
  note(k + "sq_off.dropped", p.sq_off.dropped);
  note(k + "sq_off.array", p.sq_off.array);
  note(k + "sq_off.resv1", p.sq_off.resv1);
  note(k + "sq_off.user_addr", static_cast<int64_t>(p.sq_off.user_addr));
  note(k + "cq_off.head", p.cq_off.head);
  note(k + "cq_off.tail", p.cq_off.tail);
  note(k + "cq_off.ring_mask", p.cq_off.ring_mask);
  note(k + "cq_off.ring_entries", p.cq_off.ring_entries);
  note(k + "cq_off.overflow", p.cq_off.overflow);
  note(k + "cq_off.cqes", p.cq_off.cqes);
  note(k + "cq_off.flags", p.cq_off.flags);
  note(k + "cq_off.resv1", p.cq_off.resv1);
  note(k + "cq_off.user_addr", static_cast<int64_t>(p.cq_off.user_addr));
}

std::string format_cqes(const std::vector<RawCqe>& cqes) {
  std::string s;
  char buf[96];
  for (const auto& c : cqes) {
    snprintf(buf, sizeof buf, "{ud=%" PRIu64 " res=%d f=0x%x}", c.user_data, c.res, c.flags);
    if (!s.empty()) s += ' ';
    s += buf;
  }
  return s.empty() ? "(none)" : s;
}

void Transcript::cqes(const std::string& key, std::vector<RawCqe> cqes, bool as_multiset) {
  if (as_multiset) {
    std::sort(cqes.begin(), cqes.end(), [](const RawCqe& a, const RawCqe& b) {
      return std::tie(a.user_data, a.res, a.flags) < std::tie(b.user_data, b.res, b.flags);
    });
  }
  note_str(key + (as_multiset ? ".cqes(sorted)" : ".cqes"), format_cqes(cqes));
}

void Transcript::counters(const std::string& key, const RawRing& r) {
  const std::string k = key + ".";
  note(k + "sq_head", r.sq_head());
  note(k + "sq_tail", r.sq_tail());
  // SQPOLL: when the SQ thread first sleeps and sets NEED_WAKEUP races with the reader
  // on Linux (sqpoll_test.cc checks the flag where it is deterministic).
  const bool sqpoll = r.params().flags & IORING_SETUP_SQPOLL;
  note(k + "sq_flags", sqpoll ? r.sq_flags() & ~IORING_SQ_NEED_WAKEUP : r.sq_flags());
  note(k + "sq_dropped", r.sq_dropped());
  note(k + "cq_head", r.cq_head());
  note(k + "cq_tail", r.cq_tail());
  note(k + "cq_overflow", r.cq_overflow());
}

std::string Transcript::get(const std::string& key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return e.value;
  }
  return "<missing>";
}

std::string Transcript::dump() const {
  std::ostringstream os;
  for (const auto& e : entries_) {
    os << "  " << e.key << " = " << e.value;
    if (!e.why.empty()) os << "   [" << e.why << "]";
    os << "\n";
  }
  return os.str();
}

// ---------------------------------------------------------------------------
// Running both sides
// ---------------------------------------------------------------------------

void expect_same(const Transcript& linux, const Transcript& sim, const std::string& what) {
  const auto& a = linux.entries();
  const auto& b = sim.entries();
  size_t n = std::min(a.size(), b.size());
  int mismatches = 0;
  for (size_t i = 0; i < n; ++i) {
    if (a[i].key != b[i].key) {
      ADD_FAILURE() << what << ": transcripts diverge in shape at entry " << i << ": linux '"
                    << a[i].key << "' vs sim '" << b[i].key << "'";
      ++mismatches;
      break;
    }
    if (a[i].value != b[i].value) {
      ADD_FAILURE() << what << ": " << a[i].key << "\n    linux: " << a[i].value
                    << "\n    sim:   " << b[i].value
                    << (b[i].why.empty() ? "" : "\n    sim says: " + b[i].why);
      if (++mismatches >= 12) break;
    }
  }
  if (mismatches == 0 && a.size() != b.size()) {
    ADD_FAILURE() << what << ": linux recorded " << a.size() << " entries, sim " << b.size();
  }
  if (mismatches) {
    ADD_FAILURE() << what << ": full transcripts\n--- linux\n"
                  << linux.dump() << "--- sim\n"
                  << sim.dump();
  }
}

BothSides run_both(const Scenario& scenario) {
  BothSides out;
  {
    LinuxSyscalls lx;
    scenario(lx, out.linux);
  }
  // URINGSIM_DIFF_DUMP=1 prints what Linux did (to check a scenario's expectations).
  if (getenv("URINGSIM_DIFF_DUMP")) fprintf(stderr, "--- linux\n%s", out.linux.dump().c_str());
  std::unique_ptr<Syscalls> sim = make_sim_syscalls("6.18");
  if (sim) {
    scenario(*sim, out.sim);
    out.sim_ran = true;
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    expect_same(out.linux, out.sim, info ? info->name() : "scenario");
  }
  return out;
}

void prep_nop(io_uring_sqe* sqe, uint64_t user_data, uint8_t flags) {
  sqe->opcode = IORING_OP_NOP;
  sqe->flags = flags;
  sqe->user_data = user_data;
}

void prep_rw(io_uring_sqe* sqe, uint8_t op, int fd, uint64_t addr, uint32_t len, uint64_t off,
             uint64_t user_data) {
  sqe->opcode = op;
  sqe->fd = fd;
  sqe->addr = addr;
  sqe->len = len;
  sqe->off = off;
  sqe->user_data = user_data;
}

void prep_poll(io_uring_sqe* sqe, int fd, uint32_t events, uint32_t flags, uint64_t user_data) {
  sqe->opcode = IORING_OP_POLL_ADD;
  sqe->fd = fd;
  sqe->poll32_events = events;
  sqe->len = flags;
  sqe->user_data = user_data;
}

void submit_and_wait(Syscalls& sys, Transcript& t, RawRing& r, const std::string& key, uint32_t n, uint32_t want,
                     int64_t timeout_ms) {
  struct {
    int64_t sec, nsec;
  } ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000 * 1000};
  io_uring_getevents_arg arg{};
  arg.ts = reinterpret_cast<uint64_t>(&ts);
  t.call(key + ".enter", r.enter(n, want, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg), sys);
  t.cqes(key, r.reap());
}

}  // namespace uringsim::difftest
