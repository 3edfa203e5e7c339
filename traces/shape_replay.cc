// replay_shape: the check of a shape trace (traces/replay.h). A shape trace says which
// requests a program submitted and how they completed, not what was in memory, so it is
// checked against the profile's rules rather than re-executed.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "kernel_model/profile.h"
#include "traces/replay.h"

namespace uringsim::traces {
namespace {

struct Pending {
  int line = 0;
  std::string sqe;       // describe_sqe()
  bool missing_op = false;  // the opcode does not exist in the profile
  bool bad_flags = false;   // IOSQE_* bits the profile does not know
  bool skip_success = false;
  bool must_cancel = false;  // an earlier member of its link chain failed
  int chain = -1;            // index into chains, or -1
  size_t chain_pos = 0;
};

struct Chain {
  std::vector<std::pair<uint64_t, bool>> members;  // user_data, soft IO_LINK to the next
};

class ShapeChecker {
 public:
  ShapeChecker(const Trace& t, const Profile& p, ReplayResult* r) : t_(t), p_(p), r_(r) {}

  void run() {
    for (const Event& ev : t_.events) {
      if (const auto* s = std::get_if<SetupEvent>(&ev.body)) {
        ++r_->calls;
        setup(ev, *s);
      } else if (const auto* reg = std::get_if<RegisterEvent>(&ev.body)) {
        ++r_->calls;
        do_register(ev, *reg);
      } else if (const auto* en = std::get_if<EnterEvent>(&ev.body)) {
        ++r_->calls;
        enter(ev, *en);
      } else if (const auto* c = std::get_if<CloseEvent>(&ev.body)) {
        finish_ring(c->fd);
      }
    }
    std::vector<int> fds;
    for (const auto& [fd, pending] : pending_) fds.push_back(fd);
    for (int fd : fds) finish_ring(fd);
    r_->unchecked.push_back("memory contents and the data read or written (perf carries none)");
    r_->unchecked.push_back(
        "SQE fields other than opcode, flags and user_data (and fd from io_uring_file_get, all fields of SQEs "
        "that io_uring_req_failed dumped): addresses, lengths, offsets, buffer indexes");
    r_->unchecked.push_back(
        "io_uring_enter arguments, return values and the grouping of SQEs into calls (perf does not see the "
        "syscall; the importer's grouping is a guess)");
    r_->unchecked.push_back("the values of successful results, CQE order and timing");
    if (unmatched_ > 0) {
      r_->unchecked.push_back(std::to_string(unmatched_) +
                              " CQE(s) whose user_data no traced SQE submitted (submitted before perf started, or "
                              "posted by MSG_RING or a register call)");
    }
  }

 private:
  void diverge(int line, const std::string& what) {
    r_->divergences.push_back(Divergence{line, t_.path + ":" + std::to_string(line) + ": " + what});
  }

  void setup(const Event& ev, const SetupEvent& s) {
    if (s.ret < 0) return;
    pending_[static_cast<int>(s.ret)];
    const uint32_t flags = s.params ? s.params->flags : 0;
    if (const uint32_t bad = flags & ~p_.setup_flags) {
      char buf[160];
      std::snprintf(buf, sizeof buf,
                    "setup: flags 0x%x do not exist in profile %.*s (Linux %.*s fails the setup with -EINVAL); the "
                    "trace shows a ring",
                    bad, static_cast<int>(p_.name.size()), p_.name.data(), static_cast<int>(p_.name.size()),
                    p_.name.data());
      diverge(ev.line, buf);
    }
  }

  void do_register(const Event& ev, const RegisterEvent& reg) {
    const uint32_t op = reg.opcode & ~IORING_REGISTER_USE_REGISTERED_RING;
    if (op >= p_.register_op_last && reg.ret != -EINVAL) {
      const char* name = register_op_name(op);
      diverge(ev.line, "register fd " + std::to_string(reg.fd) + ": " + (name ? name : std::to_string(op)) +
                           " does not exist in profile " + std::string(p_.name) + " (Linux gives -EINVAL); the trace shows " +
                           std::to_string(reg.ret));
    }
  }

  void enter(const Event& ev, const EnterEvent& en) {
    auto& ring = pending_[en.fd];
    int chain = -1;
    for (const SqeRecord& s : en.sqes) {
      if (s.dropped) continue;
      ++r_->sqes;
      const io_uring_sqe sqe = s.sqe();
      Pending p;
      p.line = s.line != 0 ? s.line : ev.line;
      p.sqe = describe_sqe(s);
      p.missing_op = sqe.opcode >= p_.op_last;
      p.bad_flags = (sqe.flags & ~p_.sqe_flags) != 0;
      p.skip_success = !p.bad_flags && (sqe.flags & IOSQE_CQE_SKIP_SUCCESS) != 0;
      const bool links = (sqe.flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)) != 0;
      if (chain < 0 && links) {
        chains_.emplace_back();
        chain = static_cast<int>(chains_.size() - 1);
      }
      if (chain >= 0) {
        p.chain = chain;
        p.chain_pos = chains_[chain].members.size();
        chains_[chain].members.emplace_back(sqe.user_data, (sqe.flags & IOSQE_IO_LINK) && !(sqe.flags & IOSQE_IO_HARDLINK));
        chain_ring_[chain] = en.fd;
      }
      if (!links) chain = -1;
      ring.emplace(sqe.user_data, std::move(p));
    }
    for (const CqeRecord& c : en.cqes) {
      ++r_->cqes;
      cqe(ev, en.fd, c);
    }
  }

  void cqe(const Event& ev, int fd, const CqeRecord& c) {
    const int line = c.line != 0 ? c.line : ev.line;
    char head[96];
    std::snprintf(head, sizeof head, "ring %d: CQE user_data 0x%llx res %d: ", fd,
                  static_cast<unsigned long long>(c.user_data), c.res);
    if (c.res < -4095) diverge(line, std::string(head) + "a negative res must be -errno (1..4095)");
    auto& ring = pending_[fd];
    auto it = ring.lower_bound(c.user_data);  // the oldest in-flight request with it
    if (it == ring.end() || it->first != c.user_data) {
      ++unmatched_;
      return;
    }
    const Pending& p = it->second;
    const std::string about = " (" + p.sqe + ", line " + std::to_string(p.line) + ")";
    if (p.missing_op && c.res != -EINVAL) {
      diverge(line, std::string(head) + "the opcode does not exist in profile " + std::string(p_.name) +
                        ", where Linux fails it with -EINVAL" + about);
    } else if (p.bad_flags && c.res != -EINVAL) {
      diverge(line, std::string(head) + "its IOSQE flags include bits profile " + std::string(p_.name) +
                        " does not have, where Linux fails it with -EINVAL" + about);
    } else if (p.must_cancel && c.res != -ECANCELED) {
      diverge(line, std::string(head) + "an earlier member of its IO_LINK chain failed, so Linux cancels it with -ECANCELED" +
                        about);
    } else if (p.skip_success && c.res >= 0 && !(c.flags & IORING_CQE_F_MORE)) {
      diverge(line, std::string(head) + "IOSQE_CQE_SKIP_SUCCESS requests post no CQE when they succeed" + about);
    }
    if (c.res < 0 && c.res != -ECANCELED && p.chain >= 0) {
      // io_fail_links: a failed member with a soft link fails every member behind it.
      Chain& ch = chains_[p.chain];
      if (p.chain_pos < ch.members.size() && ch.members[p.chain_pos].second) {
        for (size_t k = p.chain_pos + 1; k < ch.members.size(); ++k) {
          auto& r = pending_[chain_ring_[p.chain]];
          for (auto m = r.lower_bound(ch.members[k].first); m != r.end() && m->first == ch.members[k].first; ++m) {
            if (m->second.chain == p.chain) m->second.must_cancel = true;
          }
        }
      }
    }
    if (!(c.flags & IORING_CQE_F_MORE)) ring.erase(it);
  }

  void finish_ring(int fd) {
    auto it = pending_.find(fd);
    if (it == pending_.end()) return;
    for (const auto& [user_data, p] : it->second) {
      if (p.skip_success) continue;  // a success posts nothing
      char buf[96];
      std::snprintf(buf, sizeof buf, "ring %d: user_data 0x%llx was submitted but never completed", fd,
                    static_cast<unsigned long long>(user_data));
      if (p.missing_op || p.bad_flags) {
        diverge(p.line, std::string(buf) + " (" + p.sqe + "); profile " + std::string(p_.name) +
                            " would fail it with -EINVAL: its " + (p.missing_op ? "opcode" : "IOSQE flags") +
                            " do not exist there");
        continue;
      }
      diverge(p.line, std::string(buf) + " (" + p.sqe + "; a multishot request still armed when perf stopped looks "
                                                          "like this too)");
    }
    pending_.erase(it);
  }

  const Trace& t_;
  const Profile& p_;
  ReplayResult* r_;
  std::map<int, std::multimap<uint64_t, Pending>> pending_;  // by ring fd, in-flight requests
  std::vector<Chain> chains_;
  std::map<int, int> chain_ring_;
  size_t unmatched_ = 0;
};

}  // namespace

ReplayResult replay_shape(const Trace& trace, const Profile& profile) {
  ReplayResult r;
  const auto start = std::chrono::steady_clock::now();
  ShapeChecker(trace, profile, &r).run();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace uringsim::traces
