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
// after the rest of the batch instead). Every decision comes from a splitmix64 stream
// seeded by ChaosConfig::seed and drawn in request order, so the same seed and the same
// calls give the same decisions: a recorded trace carries the config in its header and
// replays exactly. Disabled (the default) it draws nothing and costs one branch.
#pragma once

#include <cstdint>
#include <optional>

#include "kernel_model/fault.h"
#include "kernel_model/files.h"
#include "kernel_model/request.h"

namespace uringsim {

// What to inject and how often. Rates are parts per million of the eligible requests
// (integers, so a config means the same on every host).
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

 private:
  uint64_t next();
  bool roll(uint32_t ppm);

  bool enabled_ = false;
  ChaosConfig config_;
  uint64_t state_ = 0;
  ChaosCounts counts_;
};

}  // namespace uringsim
