// Trace: the one data type that record, replay, fuzz and explain share.
//
// A trace is what an application did to io_uring and what the kernel answered: the
// memory and files it needs (declared up front, relocatable), then, in order, every
// io_uring_setup / io_uring_enter / io_uring_register call with its arguments, the
// SQEs each enter consumed, the CQEs that became visible and the return value, plus
// the bytes the application wrote into its memory between calls. traces/FORMAT.md is
// the on-disk form (JSON Lines); traces/jsonl.h reads and writes it.
//
// Addresses never appear bare when they point into declared memory: they are
// Address{region, offset}, so a replay can place each region wherever it likes and
// rewrite SQE fields, iovec arrays and register arguments to match. An Address with
// an empty region is an absolute number kept as it is (NULL, a deliberately bad
// pointer).
//
// Expectations (return values, CQEs, params out, ring counters) are data like the
// rest: a replay compares against them and `--update` overwrites them.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kernel_model/chaos.h"
#include "kernel_model/register.h"
#include "kernel_model/user_memory.h"
#include "uapi/io_uring.h"

namespace uringsim::traces {

// The format version this code writes for traces that use only version-1 features
// ("uringsim_trace": 1), so a version-1 reader still reads them ...
inline constexpr int kTraceVersion = 1;
// ... and the version of traces that declare sockets or write relocated addresses into
// memory (traces/FORMAT.md, "Version 2"). This code reads both.
inline constexpr int kTraceVersionSockets = 2;

struct Address {
  std::string region;  // empty: `value` is an absolute address
  uint64_t value = 0;  // offset inside `region`, or the absolute address

  bool absolute() const { return region.empty(); }
  bool operator==(const Address&) const = default;
};

// What memory backs a region. Decides what Linux does with it (registered buffers).
enum class RegionKind : uint8_t {
  kAnonymous,    // MAP_PRIVATE | MAP_ANONYMOUS
  kPrivateFile,  // MAP_PRIVATE of a regular file on a disk filesystem
  kSharedFile,   // MAP_SHARED of a regular file on a disk filesystem
  kShmem,        // memfd / tmpfs / MAP_SHARED | MAP_ANONYMOUS
  kHugetlb2M,    // MAP_HUGETLB, 2 MiB pages
  kHugetlb1G,    // MAP_HUGETLB, 1 GiB pages
  kSynthetic,    // declared, never touched (the simulator never allocates it)
};

const char* region_kind_name(RegionKind k);
std::optional<RegionKind> parse_region_kind(std::string_view name);
// The model's view of a region kind, and its page size.
Backing region_backing(RegionKind k);
uint64_t region_page_size(RegionKind k);
// The kind a recorded VMA becomes. nullopt for mappings a trace cannot describe
// (Backing::kSpecial: [vdso], device memory).
std::optional<RegionKind> region_kind_of(const Vma& vma);

struct Chunk {
  uint64_t offset = 0;
  std::vector<uint8_t> bytes;
};

// `{"event": "region"}`: memory the trace needs.
struct RegionDecl {
  int line = 0;
  std::string id;
  uint64_t size = 0;
  RegionKind kind = RegionKind::kAnonymous;
  bool writable = true;
  uint64_t thp_size = 0;             // transparent huge pages back it (2 MiB), else 0
  std::optional<uint64_t> seed;      // content: pseudo-random bytes from this seed ...
  std::vector<Chunk> content;        // ... then these bytes on top (zeros elsewhere)
  std::string sha256;                // optional check of the initial content (hex)
  uint64_t original_address = 0;     // where it was when recorded (information only)
  std::string note;
};

// What a `{"event": "file"}` is: a regular file, or one end of a connected socket pair
// whose other end (the peer) the replayer holds.
enum class SocketKind : uint8_t {
  kNone,        // a regular file
  kUnixStream,  // socketpair(AF_UNIX, SOCK_STREAM)
  kUnixDgram,   // socketpair(AF_UNIX, SOCK_DGRAM)
  kTcp,         // a connected TCP pair on 127.0.0.1
  kUdp,         // a connected UDP pair on 127.0.0.1
};
const char* socket_kind_name(SocketKind k);  // "unix_stream", ...
std::optional<SocketKind> parse_socket_kind(std::string_view name);

// `{"event": "file"}`: a regular file the trace opens as `fd`, or a socket.
struct FileDecl {
  int line = 0;
  int fd = -1;
  std::string contents;  // regular file: its initial contents
  bool readable = true;
  bool writable = true;
  SocketKind socket = SocketKind::kNone;
  // Sockets: bytes the peer writes before the first event (one datagram on dgram kinds).
  std::string peer_sends;
  // Sockets, an expectation: everything the peer has received once the last event is
  // done -- the bytes, or (for long ones) their SHA-256. Unset: not compared.
  std::optional<std::string> peer_receives;
  std::string peer_receives_sha256;
  std::string note;

  bool is_socket() const { return socket != SocketKind::kNone; }
};

// Decoded form of bytes the replayer writes into memory for a call: an iovec array,
// an fd array, or plain bytes. Written at `at`, or, when `at` is unset, at memory the
// replayer owns (its scratch), whose address then becomes the call's argument.
struct IovecRef {
  Address base;
  uint64_t len = 0;
};
// kClone: a struct io_uring_clone_buffers (IORING_REGISTER_CLONE_BUFFERS) in `bytes`
// (32 bytes); its src_fd is a trace fd name, mapped like `fds` unless its flags have
// IORING_REGISTER_SRC_REGISTERED (then it is a registered-ring index).
struct Payload {
  enum class Kind : uint8_t { kNone, kIovecs, kFds, kBytes, kClone };
  Kind kind = Kind::kNone;
  std::vector<IovecRef> iovecs;
  std::vector<int32_t> fds;  // trace fd names; -1 stays -1
  std::vector<uint8_t> bytes;
  bool empty() const { return kind == Kind::kNone; }
};

// One SQ entry the kernel consumed during an enter.
struct SqeRecord {
  int line = 0;
  // The SQ array entry held an index >= sq_entries: consumed, counted in `dropped`.
  bool dropped = false;
  uint32_t sq_index = 0;           // the bogus index of a dropped entry
  std::array<uint8_t, 128> bytes{};  // the SQE (first 64 bytes, all 128 on SQE128 rings)
  bool has_raw = false;            // "raw" was given: write it back
  bool raw_128 = false;            // "raw" had 128 bytes
  std::optional<Address> addr;     // relocation of sqe->addr (bytes 16..23)
  std::optional<Address> addr3;    // relocation of sqe->addr3 (bytes 48..55)
  Payload iovecs;                  // READV/WRITEV: the array sqe->addr points at
  std::string note;

  io_uring_sqe sqe() const;  // the first 64 bytes as the uapi struct
};

struct CqeRecord {
  int line = 0;
  uint64_t user_data = 0;
  int32_t res = 0;
  uint32_t flags = 0;
  std::optional<std::array<uint64_t, 2>> big_cqe;  // CQE32 rings
  std::string reason;  // why it failed (the simulator's Fault), information only
};

// Ring words after a call, each compared only when present.
struct RingExpect {
  std::optional<uint32_t> sq_flags;
  std::optional<uint32_t> dropped;
  std::optional<uint32_t> cq_overflow;
  bool empty() const { return !sq_flags && !dropped && !cq_overflow; }
};

struct SetupEvent {
  uint32_t entries = 0;
  // The params the application passed in; nullopt with params_addr set: pass that
  // address as it is (NULL or a bad pointer).
  std::optional<io_uring_params> params;
  std::optional<Address> params_addr;
  int64_t ret = 0;  // >= 0: the fd this trace calls the ring; < 0: -errno
  // Expected values of params after the call, by field path ("sq_entries",
  // "sq_off.array"); only the fields present are compared.
  std::map<std::string, uint64_t> params_out;
  std::string reason;
};

struct EnterEvent {
  int fd = -1;
  uint32_t to_submit = 0;
  uint32_t min_complete = 0;
  uint32_t flags = 0;
  std::optional<Address> arg;
  uint64_t argsz = 0;
  // The CQ head the application had published when it called; nullopt: it had
  // consumed every CQE it could see.
  std::optional<uint32_t> cq_head;
  std::vector<SqeRecord> sqes;
  int64_t ret = 0;
  std::vector<CqeRecord> cqes;  // CQEs that became visible in the CQ during the call
  RingExpect ring;
  std::string reason;
};

struct RegisterEvent {
  int fd = -1;
  uint32_t opcode = 0;  // may carry IORING_REGISTER_USE_REGISTERED_RING
  std::optional<Address> arg;  // unset with a payload: replayer's scratch; else NULL
  uint32_t nr_args = 0;
  Payload payload;
  int64_t ret = 0;
  std::vector<CqeRecord> cqes;
  std::string reason;
};

// The application wrote these bytes into its memory before the next call. With
// `address` set instead (format version 2), it wrote that address as a little-endian
// u64 (a pointer inside its own memory, e.g. a buffer ring entry's addr), which a
// replay relocates like any other address.
struct MemoryEvent {
  std::string region;
  uint64_t offset = 0;
  std::vector<uint8_t> bytes;
  std::optional<Address> address;
};

// (format version 2) The peer of socket file `fd` writes these bytes now, between the
// calls around it (one datagram on dgram kinds).
struct PeerEvent {
  int fd = -1;
  std::string bytes;
};

// The application closed a ring fd (and unmapped it): the ring is destroyed.
struct CloseEvent {
  int fd = -1;
};

struct Event {
  int line = 0;
  std::variant<SetupEvent, EnterEvent, RegisterEvent, MemoryEvent, CloseEvent, PeerEvent> body;
  std::optional<uint64_t> model_time_ns;  // reserved for the cost model; not compared
  std::string note;
};

// Who makes the calls, as the kernel sees `current`.
struct CallerDecl {
  uint32_t uid = 0;
  bool cap_ipc_lock = true;
  std::optional<uint64_t> memlock;  // RLIMIT_MEMLOCK in bytes; unset: unlimited
  bool is_default() const { return uid == 0 && cap_ipc_lock && !memlock; }
};

struct Header {
  int version = kTraceVersion;
  std::string profile = "6.18";
  std::string creator;
  std::string host_kernel;  // `uname -r` when recorded live
  CallerDecl caller;
  // "mode": "shape": the trace says only what perf tracepoints carry (opcodes,
  // user_data, results; no memory, no SQE addresses): replay checks its shape against
  // a profile instead of re-executing it (replay_shape in traces/replay.h).
  bool shape = false;
  std::string note;
  // --- chaos (issue #6): "chaos": the ChaosConfig the recorded run used (seed and
  // rates, traces/chaos_profile.h); replay on the simulator applies it again. ---
  std::optional<ChaosConfig> chaos;
};

struct Trace {
  std::string path;  // where it was read from (for messages); may be empty
  Header header;
  std::vector<RegionDecl> regions;
  std::vector<FileDecl> files;
  std::vector<Event> events;

  const RegionDecl* region(std::string_view id) const;
  // Index into `regions`, or -1.
  int region_index(std::string_view id) const;
  // Syscall events (setup, enter, register) -- what throughput is counted in.
  size_t call_count() const;
  // The version write_trace puts in the header: kTraceVersionSockets when the trace
  // uses a version-2 feature (socket files, peer events, memory addresses), else
  // kTraceVersion.
  int format_version() const;
};

// --- names ---------------------------------------------------------------------

// "REGISTER_BUFFERS" for 0; nullptr beyond IORING_REGISTER_LAST (kernel_model/register.h).
using uringsim::register_op_name;
std::optional<uint32_t> parse_register_op(std::string_view name);
// Opcode by IORING_OP_ name without the prefix ("READ_FIXED").
std::optional<uint8_t> parse_op(std::string_view name);

// Flag words as lists of names (IOSQE_ / IORING_SETUP_ / IORING_ENTER_ without
// prefix). to_names returns false when a set bit has no name (write a number then).
struct FlagName {
  uint32_t bit;
  const char* name;
};
std::vector<FlagName> sqe_flag_names();
std::vector<FlagName> setup_flag_names();
std::vector<FlagName> enter_flag_names();

// --- bytes ---------------------------------------------------------------------

std::string to_hex(const uint8_t* p, size_t n);
// False on odd length or a non-hex character (*bad_at: its index).
bool from_hex(std::string_view hex, std::vector<uint8_t>* out, size_t* bad_at);

// SHA-256 of `n` bytes, lowercase hex.
std::string sha256_hex(const uint8_t* p, size_t n);

// Fills `n` bytes with the content of a seeded region starting at byte `offset`
// (splitmix64 over 8-byte words, little endian): the same seed gives the same bytes
// on every target.
void fill_seeded(uint64_t seed, uint64_t offset, uint8_t* out, size_t n);

// The region's initial content (size bytes). REQUIRES: size fits in memory.
std::vector<uint8_t> region_initial_bytes(const RegionDecl& r);

// The u32 fields of io_uring_params by path ("sq_entries", "sq_off.array"), for params
// in (setup) and params out (expectations). resv[] and the u64 user_addr words are not
// listed: resv is "resv" (an array) on input only.
struct ParamsField {
  const char* path;
  uint32_t offset;  // byte offset in io_uring_params
};
std::vector<ParamsField> params_fields();
uint32_t params_get(const io_uring_params& p, uint32_t offset);
void params_set(io_uring_params* p, uint32_t offset, uint32_t value);

// "NOP user_data=1 fd=3 addr=buf+0x10 len=4096" -- one line for divergence reports.
std::string describe_sqe(const SqeRecord& s);
std::string describe_address(const Address& a);

}  // namespace uringsim::traces
