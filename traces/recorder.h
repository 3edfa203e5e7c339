// Recorder: writes a Trace of what a running Kernel does.
//
// Two halves, because the model's Observer sees calls but not memory:
//  - Recorder implements kernel_model's Observer: it turns setup/enter/register into
//    events, collects the SQEs each enter consumed (on_sqe, on_dropped), the CQEs that
//    became visible in the CQ during the call (read from the ring after the call, with
//    each failure's Fault reason from on_cqe), and ring teardown (close events).
//  - RecordingMemory decorates the caller's UserMemory: every successful read tells
//    the recorder what bytes the kernel consumed (so the trace carries the application's
//    data as memory events, before the call that read it), every write keeps the
//    recorder's shadow of what a replay would have there, and every vmas() answer --
//    plus any address the trace must name -- becomes a region of the VMA's kind.
//    RecordingFiles does the same for files: bytes the kernel read from a file become
//    the declared file's contents. A socket (AF_UNIX stream/dgram, TCP or UDP, told
//    apart by getsockopt on its host fd) becomes a socket file: the bytes the kernel
//    received are what the peer sends before the first event, the bytes it sent what
//    the peer must receive; bytes received after the first call become peer events
//    before the call that took them.
// Addresses inside a VMA become {region, offset}; argument arrays the recorder can
// decode (REGISTER_BUFFERS iovecs, REGISTER_FILES fds, READV/WRITEV iovecs) are
// recorded decoded, so a replay rebuilds them with relocated addresses.
//
// Attaching to a host that owns a Kernel and a Caller (EmbeddedKernel-like):
//
//   Recorder rec(kernel, "uringsim record");
//   rec.attach(kernel, caller);   // observer set; caller.memory/files now record
//   ... run ...
//   rec.write_file("out.jsonl", &error);
//
// A host with one Caller per client (seccomp capture) calls rec.wrap(caller) on each
// Caller it builds instead of attach().
// Not thread-safe: hooks run on the thread that calls the Kernel.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel_model/kernel.h"
#include "traces/trace.h"

namespace uringsim::traces {

class Recorder;

class RecordingMemory : public UserMemory {
 public:
  RecordingMemory(UserMemory* inner, Recorder* recorder) : inner_(inner), rec_(recorder) {}
  bool read(uint64_t addr, void* dst, size_t len) override;
  bool write(uint64_t addr, const void* src, size_t len) override;
  bool vmas(uint64_t addr, uint64_t len, std::vector<Vma>& out) override;
  UserMemory* inner() { return inner_; }

 private:
  UserMemory* inner_;
  Recorder* rec_;
};

class RecordingFiles : public Files {
 public:
  RecordingFiles(Files* inner, Recorder* recorder) : inner_(inner), rec_(recorder) {}
  std::shared_ptr<File> get(int fd) override;
  Files* inner() { return inner_; }

 private:
  Files* inner_;
  Recorder* rec_;
};

class Recorder : public Observer {
 public:
  // `kernel`: the Kernel being recorded (its rings are read after each call).
  Recorder(Kernel& kernel, std::string creator);
  ~Recorder() override;

  // Sets the header's host kernel (`uname -r`, when recording a live program).
  void set_host_kernel(std::string release) { trace_.header.host_kernel = std::move(release); }
  // Records calls as made by `creds` (header "caller"). Default: root with CAP_IPC_LOCK.
  void set_caller(const Credentials& creds);

  // Makes `kernel` report to this recorder and `caller` record its memory and files.
  // The decorators are owned by the recorder, which must outlive the caller's use.
  void attach(Kernel& kernel, Caller& caller);
  // Only the memory/files part of attach (one call per Caller of a multi-client host).
  void wrap(Caller& caller);

  // The trace so far (file declarations included).
  Trace trace() const;
  bool write_file(const std::string& path, std::string* error) const;

  // --- Observer ---
  void before_setup(const Caller&, uint32_t entries, uint64_t params_addr) override;
  void after_setup(const Caller&, uint32_t entries, uint64_t params_addr, int64_t ret) override;
  void before_register(const Caller&, int fd, uint32_t opcode, uint64_t arg, uint32_t nr_args) override;
  void after_register(const Caller&, RingId ring, uint32_t opcode, uint64_t arg, uint32_t nr_args,
                      int64_t ret) override;
  void before_enter(const Caller&, int fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags) override;
  void after_enter(const Caller&, RingId ring, const EnterResult&) override;
  void after_wait(RingId ring, int64_t ret) override;
  void on_ring_destroyed(RingId ring) override;
  void on_sqe(RingId, const Request&) override;
  void on_cqe(RingId, const Cqe&, const Fault* why) override;
  void on_dropped(RingId, uint32_t sq_index) override;

 private:
  friend class RecordingMemory;
  friend class RecordingFiles;
  friend class RecordingFile;
  friend class RecordingSocket;

  struct RegionState {
    size_t index = 0;  // into regions_
    uint64_t start = 0;
    uint64_t end = 0;
    std::map<uint64_t, std::vector<uint8_t>> shadow;  // page -> bytes a replay would have
  };
  struct FileState {
    int fd = -1;
    bool readable = true, writable = true;
    std::string contents;
    std::vector<bool> known;  // byte seen (read) or written by the kernel
    std::optional<uint64_t> eof;
  };
  // A socket the kernel used: what it received before the first call becomes the
  // peer's peer_sends, later receives become peer events; what it sent becomes the
  // peer's peer_receives.
  struct SocketState {
    SocketKind kind = SocketKind::kNone;
    std::string received;
    std::string sent;
  };
  struct Pending {
    bool active = false;
    Event event;
    int ring_fd = -1;
    RingId ring = kNoRing;
    uint32_t cq_tail_before = 0;
  };

  // Memory hooks (from RecordingMemory). `mem` is the undecorated memory.
  void memory_read(UserMemory* mem, uint64_t addr, const void* bytes, size_t len);
  void memory_written(UserMemory* mem, uint64_t addr, const void* bytes, size_t len);
  void vmas_answered(UserMemory* mem, const std::vector<Vma>& vmas);
  void file_seen(int fd, const File& f);
  void file_read(int fd, uint64_t pos, const void* bytes, ssize_t n, size_t asked);
  void file_written(int fd, uint64_t pos, size_t n);
  void socket_seen(int fd, const File& f);
  void socket_received(int fd, const void* bytes, ssize_t n);
  void socket_sent(int fd, const void* bytes, ssize_t n);

  // The region holding `addr` (created from the VMA there), or null when unmapped.
  RegionState* region_at(UserMemory* mem, uint64_t addr);
  // `mem` (may be null) is asked for the neighbours of a private VMA.
  RegionState* region_for(const Vma& vma, UserMemory* mem);
  Address to_address(UserMemory* mem, uint64_t addr);
  bool ignored(uint64_t addr, size_t len) const;
  void drop_memory_events(uint64_t addr, size_t len);
  UserMemory* inner_memory(const Caller& c) const;
  RingId ring_of_fd(const Caller& c, int fd);
  void finish_call(RingId ring, int64_t ret);
  // Where the CQEs of the call about to be recorded start (see recorded_cq_tail_).
  uint32_t cq_tail_recorded(RingId ring, const Ring& r) const;
  std::vector<CqeRecord> cqes_since(RingId ring, uint32_t tail_before);
  int fd_name(RingId ring) const;
  void shadow_write(RegionState& r, uint64_t addr, const uint8_t* bytes, size_t len);
  // Bytes of the shadow that differ from `bytes` become memory events.
  void shadow_compare(RegionState& r, uint64_t addr, const uint8_t* bytes, size_t len);

  Kernel& kernel_;
  Trace trace_;
  std::vector<RegionState> regions_;  // parallel to trace_.regions
  std::map<int, FileState> files_;
  std::map<int, SocketState> sockets_;
  std::map<RingId, int> ring_fds_;              // ring -> fd the client uses
  std::map<RingId, size_t> setup_events_;       // ring -> index of its setup event
  std::map<RingId, std::vector<std::pair<Cqe, std::string>>> posted_;
  // Per ring, the CQ tail when its last recorded call ended. CQEs posted between calls
  // (a RECV that waited for its peer, a timeout firing) belong to the next call's list:
  // that is where the program sees them, and where a replay's next call produces them.
  std::map<RingId, uint32_t> recorded_cq_tail_;
  std::vector<std::pair<uint64_t, uint64_t>> ignore_;  // [start, end): argument bytes decoded in the call
  Pending pending_;
  UserMemory* call_memory_ = nullptr;  // the inner memory of the call in progress
  size_t call_first_event_ = 0;        // trace_.events.size() when the enter began
  std::vector<std::unique_ptr<RecordingMemory>> memories_;
  std::vector<std::unique_ptr<RecordingFiles>> file_tables_;
};

}  // namespace uringsim::traces
