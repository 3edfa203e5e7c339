// cost: the virtual clock of what the *kernel* would have spent.
//
// The model runs in microseconds what Linux spends seconds on (registering 900 GiB of
// huge pages) and the other way round (the model's bookkeeping is not the kernel's).
// So the model keeps a second clock, separate from the host's wall time and from the
// CLOCK_MONOTONIC the host feeds into Kernel::set_now: every operation that costs the
// kernel time charges its estimate here -- pinning pages by page size (one folio at a
// time once huge pages are coalesced), memlock accounting, cloning a buffer table
// (per buffer, independent of the buffer's size), releasing pins, and each opcode.
//
// CostModel is a plain struct of coefficients with defaults calibrated from the seed
// commit 7cc2a6eadc (900 x 1 GiB hugetlb buffers: 738 ms to register, 17 us to clone;
// 500: 409 ms) and from measurements on a 6.18 VM (spec D). Loading coefficients from
// JSON lives outside the model (traces/cost_model_json.h); the file format is in
// docs/cost-model.md.
#pragma once

#include <cstdint>

namespace uringsim {

struct CostModel {
  // --- registering buffers (io_sqe_buffer_register) ---
  // Per iovec: copying it in, validation, node and imu allocation.
  uint64_t register_buffer_ns = 200;
  // Pinning (GUP with FOLL_LONGTERM) plus bvec setup, per folio, by folio size. A
  // 4 KiB page is its own folio; a hugetlb/THP folio is walked and coalesced as one.
  // 4 KiB: 23.3 ms / 230,400 prefaulted pages on 6.18 (spec D) ~ 100 ns.
  uint64_t pin_4k_page_ns = 100;
  // 2 MiB: 900 x 2 MiB hugetlb registered in 2.98 ms ~ 3.3 us per folio.
  uint64_t pin_2m_folio_ns = 3300;
  // 1 GiB: the seed, 738 ms / 900 and 409 ms / 500, fitted through the origin
  // (0.8195 ms per buffer) minus the per-buffer and accounting terms.
  uint64_t pin_1g_folio_ns = 819300;
  // One io_account_mem call (locked_vm cmpxchg + pinned_vm add), per buffer charged.
  uint64_t account_ns = 30;

  // --- cloning (io_clone_buffers) ---
  // Fixed part of one CLONE_BUFFERS call (argument copy, fget, locking both rings).
  uint64_t clone_call_ns = 800;
  // Per source slot cloned: a node allocation and a refcount increment -- the same for
  // a 4 KiB and a 1 GiB buffer. Seed: (17 us - call) / 900 ~ 18 ns.
  uint64_t clone_buffer_ns = 18;

  // --- releasing (io_buffer_unmap when the last reference goes) ---
  // Dropping a table slot (node put), whether or not it was the last reference.
  uint64_t unregister_buffer_ns = 80;
  // Unpinning, per folio, charged only when the pins are really released.
  // 1 GiB of 4 KiB pages unregistered in 8.3 ms ~ 32 ns per page; 900 x 2 MiB: 0.24 ms.
  uint64_t unpin_4k_page_ns = 32;
  uint64_t unpin_2m_folio_ns = 260;
  uint64_t unpin_1g_folio_ns = 130000;

  // --- syscalls and requests ---
  uint64_t syscall_ns = 150;         // entering and leaving any io_uring syscall
  uint64_t sqe_ns = 60;              // reading and preparing one SQE
  uint64_t op_ns[64] = {};           // extra per-opcode cost of issuing (default 0 = sqe_ns only)
  uint64_t copy_ns_per_kib = 40;     // data copied by read/write-like ops, per KiB

  // Pinning / unpinning cost of one folio of `folio_size` bytes: the calibrated
  // coefficient for 4 KiB, 2 MiB and 1 GiB; other sizes are interpolated per byte
  // from the next smaller calibrated size.
  uint64_t pin_folio_ns(uint64_t folio_size) const;
  uint64_t unpin_folio_ns(uint64_t folio_size) const;
};

// The clock: monotonically increasing model nanoseconds, plus what the current (or
// last) syscall charged. Owned by the Kernel; the model's parts charge it as they work.
class ModelClock {
 public:
  explicit ModelClock(const CostModel& model = CostModel{}) : model_(model) {}

  const CostModel& model() const { return model_; }
  void set_model(const CostModel& model) { model_ = model; }

  void charge(uint64_t ns) {
    now_ns_ += ns;
    call_ns_ += ns;
  }
  // Model time since the Kernel was created.
  uint64_t now_ns() const { return now_ns_; }

  // Syscall bracketing (Kernel::setup/enter/do_register): begin_call resets the
  // per-call total and charges the syscall's fixed cost; call_ns() then reads what
  // the call cost, during it or after it returned.
  void begin_call() {
    call_ns_ = 0;
    charge(model_.syscall_ns);
  }
  uint64_t call_ns() const { return call_ns_; }

 private:
  CostModel model_;
  uint64_t now_ns_ = 0;
  uint64_t call_ns_ = 0;
};

}  // namespace uringsim
