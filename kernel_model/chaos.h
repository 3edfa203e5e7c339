// ChaosPolicy: seeded, reproducible misfortune for the program under test
// (`uringsim run --chaos SEED`, docs/chaos.md).
//
// Real io_uring programs break on things Linux is allowed to do but rarely does on a
// developer's machine: a short read from a pipe, -EAGAIN from a MSG_DONTWAIT send,
// -ENOBUFS when a buffer group runs dry, -EIO from storage, completions in another
// order than submission. The policy makes those happen, at the rates a ChaosConfig
// gives, and only where Linux 6.18 could do the same to the same request -- never a
// result a real kernel could not produce.
//
// The Kernel owns one policy; Context consults it at two points of a request's life
// (kernel_model/context.cc, marked "chaos"): just before issue (inject a failure or
// shorten the transfer, add latency) and right after an inline completion (post it
// after the rest of the batch instead); and at every CQE it posts through a path that
// overflows on Linux (send it to the overflow list as if the CQ were full). Every
// decision comes from a splitmix64 stream seeded by ChaosConfig::seed -- issue-time
// decisions drawn in request order, overflow decisions from a second stream drawn in
// CQE order -- so the same seed and the same calls give the same decisions: a recorded
// trace carries the config in its header and replays exactly. Disabled (the default)
// it draws nothing and costs one branch.
#pragma once

#include <cstdint>
#include <optional>

#include "kernel_model/fault.h"
#include "kernel_model/files.h"
#include "kernel_model/request.h"
#include "kernel_model/ring.h"

namespace uringsim {

// What to inject and how often. Rates are parts per million of the eligible requests
// (of the eligible CQEs for cq_overflow_ppm; integers, so a config means the same on
// every host).
struct ChaosConfig {
  uint64_t seed = 0;
  // Short transfers on pipes and stream sockets: READ, WRITE, READV, WRITEV,
  // READ_FIXED, WRITE_FIXED, SEND, RECV (no MSG_WAITALL, no buffer selection).
  uint32_t short_transfer_ppm = 0;
  // The shortened length's upper bound in bytes (0: anything below the asked length).
  uint32_t short_max_bytes = 0;
  // -EIO from storage: READ*/WRITE* on regular files and block devices, FSYNC.
  uint32_t eio_ppm = 0;
  // -ENOBUFS: the buffer group ran dry (RECV, RECVMSG, READ with IOSQE_BUFFER_SELECT).
  uint32_t enobufs_ppm = 0;
  // -EAGAIN: SEND/RECV/SENDMSG/RECVMSG with MSG_DONTWAIT on a socket.
  uint32_t eagain_ppm = 0;
  // An inline completion is posted after the rest of its batch (requests not in a
  // link, not drained, not guarded by a LINK_TIMEOUT).
  uint32_t reorder_ppm = 0;
  // Extra model time charged to a request's issue (cost model clock).
  uint32_t latency_ppm = 0;
  uint64_t latency_ns = 0;
  // Forced CQ overflow: a request's CQE or an auxiliary CQE (tags, MSG_RING) takes the
  // CQ-full path although the CQ has room -- the overflow list and IORING_SQ_CQ_OVERFLOW
  // with IORING_FEAT_NODROP, dropped and counted in cq_overflow without it. Rate per
  // eligible CQE (docs/chaos.md: the legality argument and where it is stronger than
  // Linux).
  uint32_t cq_overflow_ppm = 0;

  bool operator==(const ChaosConfig&) const = default;
};

// The defaults `--chaos SEED` uses without a profile: every injection a correct
// program must survive (no -EIO, which most programs rightly treat as fatal).
ChaosConfig default_chaos_config(uint64_t seed);

// What the policy did, by kind (for tests and the run summary).
struct ChaosCounts {
  uint64_t short_transfers = 0;
  uint64_t eio = 0;
  uint64_t enobufs = 0;
  uint64_t eagain = 0;
  uint64_t reordered = 0;
  uint64_t latency = 0;
  uint64_t cq_overflows = 0;  // CQEs sent down the CQ-full path while the CQ had room
};

class ChaosPolicy {
 public:
  ChaosPolicy() = default;

  // Turns the policy on with `config` and restarts its stream at config.seed.
  void configure(const ChaosConfig& config);
  bool enabled() const { return enabled_; }
  // REQUIRES: enabled().
  const ChaosConfig& config() const { return config_; }
  const ChaosCounts& counts() const { return counts_; }

  // Just before `req` is issued on `file` (null for ops without a file). Returns the
  // fault to complete it with instead of issuing it, or nullopt; may instead shorten
  // the transfer in place (req.len or req.iov) and sets *latency_ns to model time to
  // charge (0 for none). REQUIRES: enabled().
  std::optional<Fault> before_issue(Request& req, const File* file, uint64_t* latency_ns);
  // Right after an inline completion of `req`: whether to post it after the rest of
  // the batch. `independent`: nothing orders it against later requests (no link, no
  // drain, no link timeout). REQUIRES: enabled().
  bool defer_completion(const Request& req, bool independent);
  // A request's CQE or an auxiliary CQE is about to be posted on `ring`: whether it
  // must take the CQ-full path (Ring::post_overflowed) instead of Ring::post. True
  // only when that changes something: no overflow backlog yet (with one, Ring::post
  // queues behind it anyway) and room in the CQ (without, it overflows anyway). A
  // rate between 0 and 1 draws once per call whatever the ring's state, so the
  // overflow stream follows the sequence of CQEs alone, not the application's CQ
  // head. Not called for multishot F_MORE CQEs: Linux does not overflow those
  // (io_req_post_cqe fails and the multishot ends instead).
  // REQUIRES: enabled().
  bool divert_cqe_to_overflow(const Ring& ring);

 private:
  static uint64_t splitmix64(uint64_t* state);
  uint64_t next() { return splitmix64(&state_); }
  bool roll(uint32_t ppm);

  bool enabled_ = false;
  ChaosConfig config_;
  uint64_t state_ = 0;
  // The overflow decisions' own stream: CQEs are posted in an order readiness can
  // interleave with issues, and turning cq_overflow on must not move the decisions
  // the other injections make.
  uint64_t overflow_state_ = 0;
  ChaosCounts counts_;
};

}  // namespace uringsim
