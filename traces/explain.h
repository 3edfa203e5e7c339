// ExplainObserver: explain mode, a live account of everything the model does.
//
// Attached to a Kernel (Kernel::set_observer), it writes one block per io_uring
// syscall: the call with its arguments decoded and its return value, then what
// happened inside it -- every SQE decoded field by field, every CQE with its res,
// errno name and flags, and for every failure the model's reason (Fault::reason) --
// then the SQ/CQ head and tail before and after, and after setup/register the
// memlock used and allowed. Text for people (colour optional), or JSON Lines with
// stable keys for tools.
//
//   uringsim::Kernel kernel;
//   uringsim::traces::ExplainObserver explain(kernel, stderr, {ExplainFormat::kText});
//   kernel.set_observer(&explain);
//
// Text, one syscall:
//   #2 io_uring_enter(fd=100 ring=0, to_submit=2, min_complete=0, flags=0) = 2
//     SQE slot 0: opcode=NOP flags=0 user_data=0x1 nop_flags=0
//     CQE user_data=0x1 res=0 flags=0
//     ...
//     SQ head 0->2 tail 2 | CQ head 0 tail 0->2 (2 ready)
//     model time: 1.2 µs (total 3.4 µs)
//
// JSON: one object per line; a syscall's object ({"seq":2,"event":"enter",...}) comes
// first and the events inside it follow with the same "seq". Keys: see explain.cc.
//
// Not thread-safe: the model calls hooks synchronously from one thread at a time.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "kernel_model/kernel.h"

namespace uringsim::traces {

enum class ExplainFormat : uint8_t { kText, kJson };
enum class ColorMode : uint8_t { kAuto, kAlways, kNever };

// "text" / "json"; nullopt for anything else.
std::optional<ExplainFormat> parse_explain_format(std::string_view name);

struct ExplainOptions {
  ExplainFormat format = ExplainFormat::kText;
  // kAuto: colour iff the output is a terminal (a FILE* that isatty; never for an
  // ostream). JSON is never coloured.
  ColorMode color = ColorMode::kAuto;
};

class ExplainObserver : public Observer {
 public:
  // Writes to `out` (not owned, flushed after each block). `kernel` is read for ring
  // state and memlock accounting; it must outlive the observer.
  ExplainObserver(Kernel& kernel, FILE* out, ExplainOptions options = {});
  ExplainObserver(Kernel& kernel, std::ostream& out, ExplainOptions options = {});

  bool color() const { return color_; }

  void before_setup(const Caller&, uint32_t entries, uint64_t params_addr) override;
  void before_register(const Caller&, int fd, uint32_t opcode, uint64_t arg,
                       uint32_t nr_args) override;
  void before_enter(const Caller&, int fd, uint32_t to_submit, uint32_t min_complete,
                    uint32_t flags) override;
  void after_setup(const Caller&, uint32_t entries, uint64_t params_addr, int64_t ret) override;
  void after_register(const Caller&, RingId ring, uint32_t opcode, uint64_t arg,
                      uint32_t nr_args, int64_t ret) override;
  void after_enter(const Caller&, RingId ring, const EnterResult&) override;
  void after_wait(RingId ring, int64_t ret) override;
  void on_ring_destroyed(RingId ring) override;
  void on_sqe(RingId ring, const Request&) override;
  void on_cqe(RingId ring, const Cqe&, const Fault* why) override;
  void on_dropped(RingId ring, uint32_t sq_index) override;
  void on_syscall_fault(const char* call, const Fault&) override;

 private:
  // The ring words explain mode reports, as of one moment.
  struct RingState {
    uint32_t sq_head = 0, sq_tail = 0, cq_head = 0, cq_tail = 0;
    uint32_t dropped = 0, sq_flags = 0, cq_ready = 0;
    uint64_t overflow_backlog = 0;
  };
  enum class Style : uint8_t { kPlain, kCall, kCallError, kCqe, kError };

  std::optional<RingState> snapshot(RingId ring);
  // Records the ring's state now; returns it (and the previous one in *before).
  std::optional<RingState> refresh(RingId ring, RingState* before);

  using Lines = std::vector<std::pair<Style, std::string>>;
  // One block: the call line first, then everything buffered while the call ran.
  void begin_call();
  // An event inside the current block: text lines (the first one is the event, the
  // rest its continuation) or one JSON object, whichever the format wants.
  void nested(Lines text, std::string json);
  void flush_block(Style style, std::string call_text, std::string call_json);
  // Events outside any syscall (a parked request completed by Kernel::progress) get
  // a block of their own: open one if no call is running; close it after the event.
  bool open_async_block();
  void close_async_block(bool opened, RingId ring);
  // " [t=+1.250 ms]": model time since the first call, when the host runs the clock.
  std::string time_text();
  // "model time: 17.2 µs (total 409.8 ms)": what the cost model charged the call that
  // just returned, and the model clock since the Kernel was created.
  std::string model_time_text();
  void emit(std::string_view text);
  std::string paint(Style style, const std::string& text) const;

  std::string state_text(const RingState& before, const RingState& after) const;
  // Whose locked_vm a ring charges, against which limit (recorded at setup: the
  // teardown hook has no caller).
  struct Owner {
    uint32_t uid = 0;
    uint64_t memlock_limit = 0;
    bool charged = false;
  };
  Owner owner_of(const Caller& caller, RingId ring) const;
  std::string memlock_text(const Owner& owner) const;

  Kernel& kernel_;
  FILE* file_ = nullptr;
  std::ostream* stream_ = nullptr;
  ExplainFormat format_;
  bool color_;

  uint64_t seq_ = 0;
  uint64_t first_now_ns_ = 0;
  bool in_call_ = false;
  std::vector<std::pair<Style, std::string>> pending_;  // text lines or JSON objects
  std::optional<Fault> call_fault_;
  // Arguments seen in before_* (the after_* hooks do not repeat them all).
  int call_fd_ = -1;
  uint32_t call_to_submit_ = 0, call_min_complete_ = 0, call_flags_ = 0;
  std::optional<io_uring_params> setup_in_;
  std::map<RingId, RingState> last_;
  std::map<RingId, Owner> owners_;
};

}  // namespace uringsim::traces
