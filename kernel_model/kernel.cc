// io_uring_setup, the syscall-level checks of enter and register, ring lifetime.
#include "kernel_model/kernel.h"

#include <bit>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

#include "kernel_model/kbuf.h"
#include "kernel_model/mem_region.h"
#include "kernel_model/memmap.h"
#include "kernel_model/opdef.h"

namespace uringsim {

namespace {

// Ring memory on the heap, for the model used inside one process.
class HeapRingMemory : public RingMemoryProvider {
 public:
  bool allocate(RingId, const RingLayout& layout, RingMemory& out) override {
    out.sq_ring = alloc(layout.sq_ring_bytes);
    out.cq_ring = layout.single_mmap() ? out.sq_ring : alloc(layout.cq_ring_bytes);
    out.sqes = alloc(layout.sqes_bytes);
    if (out.sq_ring == nullptr || out.cq_ring == nullptr || out.sqes == nullptr) {
      release(0, out, layout);
      return false;
    }
    return true;
  }
  void release(RingId, const RingMemory& m, const RingLayout& layout) override {
    std::free(m.sq_ring);
    if (!layout.single_mmap()) std::free(m.cq_ring);
    std::free(m.sqes);
  }

 private:
  static std::byte* alloc(size_t n) {
    size_t bytes = (n + kPageSize - 1) / kPageSize * kPageSize;
    void* p = std::aligned_alloc(kPageSize, bytes == 0 ? kPageSize : bytes);
    if (p != nullptr) std::memset(p, 0, bytes == 0 ? kPageSize : bytes);
    return static_cast<std::byte*>(p);
  }
};

const char* setup_flag_name(uint32_t bit) {
  static constexpr const char* kNames[] = {
      "IOPOLL", "SQPOLL", "SQ_AFF", "CQSIZE", "CLAMP", "ATTACH_WQ", "R_DISABLED", "SUBMIT_ALL",
      "COOP_TASKRUN", "TASKRUN_FLAG", "SQE128", "CQE32", "SINGLE_ISSUER", "DEFER_TASKRUN",
      "NO_MMAP", "REGISTERED_FD_ONLY", "NO_SQARRAY", "HYBRID_IOPOLL", "CQE_MIXED"};
  int i = std::countr_zero(bit);
  return i < static_cast<int>(std::size(kNames)) ? kNames[i] : "unknown";
}

const char* enter_flag_name(uint32_t bit) {
  static constexpr const char* kNames[] = {"GETEVENTS", "SQ_WAKEUP", "SQ_WAIT", "EXT_ARG",
                                           "REGISTERED_RING", "ABS_TIMER", "EXT_ARG_REG", "NO_IOWAIT"};
  int i = std::countr_zero(bit);
  return i < static_cast<int>(std::size(kNames)) ? kNames[i] : "unknown";
}

// io_uring_sanitise_params: flag combinations Linux refuses.
Check check_setup_combinations(uint32_t f) {
  if ((f & IORING_SETUP_REGISTERED_FD_ONLY) && !(f & IORING_SETUP_NO_MMAP))
    return make_fault(EINVAL, "io_uring_setup: REGISTERED_FD_ONLY requires NO_MMAP");
  if ((f & IORING_SETUP_SQPOLL) &&
      (f & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_DEFER_TASKRUN)))
    return make_fault(EINVAL, "io_uring_setup: SQPOLL cannot be combined with COOP_TASKRUN, TASKRUN_FLAG or DEFER_TASKRUN");
  if ((f & IORING_SETUP_TASKRUN_FLAG) && !(f & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_DEFER_TASKRUN)))
    return make_fault(EINVAL, "io_uring_setup: TASKRUN_FLAG requires COOP_TASKRUN or DEFER_TASKRUN");
  if ((f & IORING_SETUP_HYBRID_IOPOLL) && !(f & IORING_SETUP_IOPOLL))
    return make_fault(EINVAL, "io_uring_setup: HYBRID_IOPOLL requires IOPOLL");
  if ((f & IORING_SETUP_DEFER_TASKRUN) && !(f & IORING_SETUP_SINGLE_ISSUER))
    return make_fault(EINVAL, "io_uring_setup: DEFER_TASKRUN requires SINGLE_ISSUER");
  if ((f & IORING_SETUP_CQE32) && (f & IORING_SETUP_CQE_MIXED))
    return make_fault(EINVAL, "io_uring_setup: CQE32 and CQE_MIXED are exclusive");
  if ((f & IORING_SETUP_SQ_AFF) && !(f & IORING_SETUP_SQPOLL))
    return make_fault(EINVAL, "io_uring_setup: SQ_AFF requires SQPOLL");
  return std::nullopt;
}

}  // namespace

Kernel::Kernel(const Profile& profile, RingMemoryProvider* ring_memory)
    : profile_(profile), ring_memory_(ring_memory) {
  if (ring_memory_ == nullptr) {
    heap_memory_ = std::make_unique<HeapRingMemory>();
    ring_memory_ = heap_memory_.get();
  }
}

Kernel::~Kernel() {
  while (!rings_.empty()) destroy(rings_.begin()->first);
}

int64_t Kernel::fail(const char* call, Fault f) {
  int64_t ret = -f.err;
  if (observer_ != nullptr) observer_->on_syscall_fault(call, f);
  last_fault_ = std::move(f);
  return ret;
}

int64_t Kernel::setup(const Caller& caller, uint32_t entries, uint64_t params_addr) {
  clock_.begin_call();
  if (observer_ != nullptr) observer_->before_setup(caller, entries, params_addr);
  const int64_t ret = do_setup(caller, entries, params_addr);
  if (observer_ != nullptr) observer_->after_setup(caller, entries, params_addr, ret);
  return ret;
}

int64_t Kernel::do_setup(const Caller& caller, uint32_t entries, uint64_t params_addr) {
  io_uring_params p;
  if (params_addr == 0 || !caller.memory->read(params_addr, &p, sizeof p))
    return fail("io_uring_setup", make_fault(EFAULT, "io_uring_setup: params 0x%llx is not readable (%zu bytes)",
                                             (unsigned long long)params_addr, sizeof p));
  uint32_t resv[5];
  std::memcpy(resv, reinterpret_cast<const std::byte*>(&p) + profile_.params_resv_offset,
              4 * profile_.params_resv_words);
  for (uint32_t i = 0; i < profile_.params_resv_words; ++i) {
    if (resv[i] != 0)
      return fail("io_uring_setup", make_fault(EINVAL, "io_uring_setup: params.resv[%u] is 0x%x; reserved words must be 0",
                                               i, resv[i]));
  }
  const uint32_t flags = p.flags;
  if (flags & ~profile_.setup_flags)
    return fail("io_uring_setup", make_fault(EINVAL, "io_uring_setup: flags 0x%x include bits Linux %s does not define (valid: 0x%x)",
                                             flags, profile_.name.data(), profile_.setup_flags));
  if (Check c = check_setup_combinations(flags)) return fail("io_uring_setup", std::move(*c));

  // io_uring_fill_params: sizes.
  RingEntries sizes;
  if (Check c = size_ring_entries(profile_, "io_uring_setup", entries, p.cq_entries, flags, &sizes))
    return fail("io_uring_setup", std::move(*c));
  const uint32_t sq_entries = sizes.sq;
  const uint32_t cq_entries = sizes.cq;

  // Everything Linux would accept so far, but the model does not implement.
  if (uint32_t missing = flags & ~profile_.simulated_setup_flags) {
    uint32_t bit = missing & -missing;
    return fail("io_uring_setup", make_fault(EINVAL, "io_uring_setup: IORING_SETUP_%s is valid on Linux %s but not simulated by uringsim yet",
                                             setup_flag_name(bit), profile_.name.data()));
  }

  const RingLayout layout = RingLayout::compute(profile_, sq_entries, cq_entries, flags);
  const Credentials& creds = caller.creds;
  uint64_t acct_pages = 0;
  if (profile_.charges_ring_memory && !creds.cap_ipc_lock) {
    acct_pages = layout.pages();
    if (Check c = accounting_.charge_locked(creds.uid, acct_pages, creds.memlock_limit, "io_uring_setup (ring memory)"))
      return fail("io_uring_setup", std::move(*c));
  }

  const RingId id = next_ring_++;
  RingMemory memory;
  if (flags & IORING_SETUP_NO_MMAP) {
    // io_allocate_scq_urings: the rings at cq_off.user_addr, the SQEs at sq_off.user_addr.
    if (Check c = adopt_user_rings(*ring_memory_, *caller.memory, creds, id, layout, p.cq_off.user_addr,
                                   p.sq_off.user_addr, "io_uring_setup (NO_MMAP)", memory)) {
      accounting_.uncharge_locked(creds.uid, acct_pages);
      return fail("io_uring_setup", std::move(*c));
    }
  } else if (!ring_memory_->allocate(id, layout, memory)) {
    accounting_.uncharge_locked(creds.uid, acct_pages);
    return fail("io_uring_setup", make_fault(ENOMEM, "io_uring_setup: could not allocate %zu bytes of ring memory",
                                             layout.sq_ring_bytes + layout.cq_ring_bytes + layout.sqes_bytes));
  }
  auto ctx = std::make_unique<Context>(*this, id, profile_, layout, memory, creds);
  ctx->ring_acct_pages = acct_pages;
  // io_sq_offload_create runs once the rings exist: ATTACH_WQ's wq_fd, the SQ thread.
  if (Check c = start_sq_thread(*ctx, caller, p)) {
    stop_sq_thread(*ctx);
    ctx->teardown();
    release_ring_memory(id, memory, layout);
    accounting_.uncharge_locked(creds.uid, acct_pages);
    return fail("io_uring_setup", std::move(*c));
  }

  p.sq_entries = sq_entries;
  p.cq_entries = cq_entries;
  p.features = profile_.features & profile_.simulated_features;
  p.sq_off = layout.sq_off;
  p.cq_off = layout.cq_off;
  // io_uring_fill_params keeps the user addresses of a NO_MMAP ring, zeroes them otherwise.
  p.sq_off.user_addr = memory.sqes_user_addr;
  p.cq_off.user_addr = memory.rings_user_addr;
  if (profile_.params_resv_offset == 20) p.features = 0;  // 5.1: that word is resv[0]
  if (!caller.memory->write(params_addr, &p, sizeof p)) {
    stop_sq_thread(*ctx);
    ctx->teardown();
    release_ring_memory(id, memory, layout);
    accounting_.uncharge_locked(creds.uid, acct_pages);
    return fail("io_uring_setup", make_fault(EFAULT, "io_uring_setup: params 0x%llx is not writable",
                                             (unsigned long long)params_addr));
  }
  rings_.emplace(id, std::move(ctx));
  // io_uring_create attaches the creating task (__io_uring_add_tctx_node).
  add_task_context(task_id(creds));
  return id;
}

void Kernel::release_ring_memory(RingId ring, const RingMemory& memory, const RingLayout& layout) {
  if (memory.user_provided) {
    // The view of the client's pages goes, then whatever else the host keeps per ring.
    ring_memory_->release_user(ring, memory, layout);
    ring_memory_->release(ring, RingMemory{}, layout);
  } else {
    ring_memory_->release(ring, memory, layout);
  }
}

Context* Kernel::context(RingId ring) {
  auto it = rings_.find(ring);
  return it == rings_.end() ? nullptr : it->second.get();
}

Context* Kernel::resolve_ring(const Caller& caller, int fd, const char* call, int64_t* err) {
  std::shared_ptr<File> file = caller.files->get(fd);
  if (!file) {
    *err = fail(call, make_fault(EBADF, "%s: fd %d is not open", call, fd));
    return nullptr;
  }
  Context* ctx = file->kind() == FileKind::kRing ? context(file->ring()) : nullptr;
  if (ctx == nullptr) {
    *err = fail(call, make_fault(EOPNOTSUPP, "%s: fd %d is not an io_uring instance", call, fd));
    return nullptr;
  }
  return ctx;
}

Context* Kernel::resolve_registered_ring(const Caller& caller, int index, const char* call, int64_t* err) {
  const int32_t tid = task_id(caller.creds);
  TaskContext* task = task_context(tid);
  const uint32_t slot = static_cast<uint32_t>(index);
  if (task == nullptr || slot >= kRingFdRegMax) {
    *err = fail(call, task == nullptr
                          ? make_fault(EINVAL, "%s: registered ring %d: task %d has never used io_uring, so it has no "
                                       "registered rings -> EINVAL", call, index, tid)
                          : make_fault(EINVAL, "%s: registered ring index %u is not below %u -> EINVAL", call, slot,
                                       kRingFdRegMax));
    return nullptr;
  }
  const std::shared_ptr<File>& file = task->registered_rings[slot];
  Context* ctx = file ? context(file->ring()) : nullptr;
  if (ctx == nullptr) {
    *err = fail(call, make_fault(EBADF, "%s: registered ring slot %u of task %d is empty -> EBADF", call, slot, tid));
    return nullptr;
  }
  return ctx;
}

TaskContext* Kernel::task_context(int32_t tid) {
  auto it = tasks_.find(tid);
  return it == tasks_.end() ? nullptr : &it->second;
}

TaskContext& Kernel::add_task_context(int32_t tid) { return tasks_[tid]; }

EnterResult Kernel::enter(const Caller& caller, int fd, uint32_t to_submit, uint32_t min_complete,
                          uint32_t flags, uint64_t arg, uint64_t argsz) {
  clock_.begin_call();
  if (observer_ != nullptr) observer_->before_enter(caller, fd, to_submit, min_complete, flags);
  RingId ring = kNoRing;
  EnterResult r = do_enter(caller, fd, to_submit, min_complete, flags, arg, argsz, &ring);
  if (observer_ != nullptr) observer_->after_enter(caller, ring, r);
  return r;
}

EnterResult Kernel::do_enter(const Caller& caller, int fd, uint32_t to_submit, uint32_t min_complete,
                             uint32_t flags, uint64_t arg, uint64_t argsz, RingId* ring) {
  EnterResult r;
  if (flags & ~profile_.enter_flags) {
    r.ret = fail("io_uring_enter", make_fault(EINVAL, "io_uring_enter: flags 0x%x include bits Linux %s does not define (valid: 0x%x)",
                                              flags, profile_.name.data(), profile_.enter_flags));
    return r;
  }
  if (uint32_t missing = flags & ~profile_.simulated_enter_flags) {
    uint32_t bit = missing & -missing;
    r.ret = fail("io_uring_enter", make_fault(EINVAL, "io_uring_enter: IORING_ENTER_%s is valid on Linux %s but not simulated by uringsim yet",
                                              enter_flag_name(bit), profile_.name.data()));
    return r;
  }
  Context* ctx = (flags & IORING_ENTER_REGISTERED_RING)
                     ? resolve_registered_ring(caller, fd, "io_uring_enter", &r.ret)
                     : resolve_ring(caller, fd, "io_uring_enter", &r.ret);
  if (ctx == nullptr) return r;
  *ring = ctx->id();
  if (ctx->disabled()) {
    r.ret = fail("io_uring_enter", make_fault(EBADFD, "io_uring_enter: the ring was set up with IORING_SETUP_R_DISABLED "
                                              "and IORING_REGISTER_ENABLE_RINGS has not enabled it yet -> EBADFD"));
    return r;
  }
  // Submitting attaches the task to io_uring (io_uring_add_tctx_node).
  if (to_submit > 0) add_task_context(task_id(caller.creds));
  r = ctx->enter(caller, to_submit, min_complete, flags, arg, argsz);
  if (r.ret < 0) {
    last_fault_ = ctx->last_fault();
    if (observer_ != nullptr) observer_->on_syscall_fault("io_uring_enter", last_fault_);
  }
  return r;
}

int64_t Kernel::wait_done(RingId ring, const EnterResult& entered, int wait_error) {
  Context* ctx = context(ring);
  const int64_t ret = ctx == nullptr ? (entered.ret != 0 ? entered.ret : wait_error)
                                     : ctx->wait_done(entered.ret, wait_error);
  if (observer_ != nullptr) observer_->after_wait(ring, ret);
  return ret;
}

int64_t Kernel::do_register(const Caller& caller, int fd, uint32_t opcode, uint64_t arg,
                            uint32_t nr_args) {
  clock_.begin_call();
  if (observer_ != nullptr) observer_->before_register(caller, fd, opcode, arg, nr_args);
  RingId ring = kNoRing;
  const int64_t ret = register_call(caller, fd, opcode, arg, nr_args, &ring);
  if (observer_ != nullptr) observer_->after_register(caller, ring, opcode, arg, nr_args, ret);
  return ret;
}

int64_t Kernel::register_call(const Caller& caller, int fd, uint32_t opcode, uint64_t arg,
                              uint32_t nr_args, RingId* ring) {
  // Linux checks the opcode before it even looks at the fd.
  const bool use_registered_ring = opcode & IORING_REGISTER_USE_REGISTERED_RING;
  opcode &= ~IORING_REGISTER_USE_REGISTERED_RING;
  if (opcode >= profile_.register_op_last)
    return fail("io_uring_register", make_fault(EINVAL, "io_uring_register: opcode %u does not exist on Linux %s (IORING_REGISTER_LAST is %u)",
                                                opcode, profile_.name.data(), profile_.register_op_last));
  if (fd == -1) {
    return fail("io_uring_register", make_fault(EINVAL, "io_uring_register: fd -1 is only for SEND_MSG_RING and QUERY, which are not simulated yet (opcode %u)",
                                                opcode));
  }
  int64_t err = 0;
  Context* ctx = use_registered_ring ? resolve_registered_ring(caller, fd, "io_uring_register", &err)
                                     : resolve_ring(caller, fd, "io_uring_register", &err);
  if (ctx == nullptr) return err;
  *ring = ctx->id();
  int64_t ret = ctx->do_register(caller, opcode, arg, nr_args);
  if (ret < 0) {
    last_fault_ = ctx->last_fault();
    if (observer_ != nullptr) observer_->on_syscall_fault("io_uring_register", last_fault_);
  }
  return ret;
}

void Kernel::destroy(RingId ring) {
  auto it = rings_.find(ring);
  if (it == rings_.end()) return;
  Context& ctx = *it->second;
  stop_sq_thread(ctx);
  ctx.teardown();
  accounting_.uncharge_locked(ctx.creator().uid, ctx.ring_acct_pages);
  const RingLayout layout = ctx.ring().layout();
  const RingMemory memory = ctx.ring().memory();
  rings_.erase(it);
  release_ring_memory(ring, memory, layout);
  if (observer_ != nullptr) observer_->on_ring_destroyed(ring);
}

void Kernel::progress(const Caller& owner, RingId ring, bool waiting) {
  if (Context* ctx = context(ring)) ctx->progress(owner, waiting);
}

uint64_t Kernel::next_deadline(RingId ring) {
  Context* ctx = context(ring);
  if (ctx == nullptr) return UINT64_MAX;
  // An awake SQ thread consumes what is queued as soon as it runs: due now.
  return sq_thread_backlog(*ctx) > 0 ? now_ns_ : ctx->next_deadline();
}

std::byte* Kernel::map(RingId ring, uint64_t offset, size_t* len) {
  *len = 0;
  Context* ctx = context(ring);
  if (ctx == nullptr) return nullptr;
  const RingLayout& l = ctx->ring().layout();
  const RingMemory& m = ctx->ring().memory();
  // 6.18 ignores the low bits; 5.1 wanted the exact offsets.
  const uint64_t key = profile_.ring_layout == RingLayoutKind::kSplit51 ? offset : (offset & IORING_OFF_MMAP_MASK);
  const bool ring_region = key == IORING_OFF_SQ_RING || key == IORING_OFF_CQ_RING || key == IORING_OFF_SQES;
  // NO_MMAP rings live in the client's pages: io_region_validate_mmap refuses to map
  // user-provided regions (the client's mmap sees -ENOMEM from get_unmapped_area).
  if (ring_region && m.user_provided) return nullptr;
  switch (key) {
    case IORING_OFF_SQ_RING:
      *len = l.sq_ring_bytes;
      return m.sq_ring;
    case IORING_OFF_CQ_RING:
      *len = l.single_mmap() ? l.sq_ring_bytes : l.cq_ring_bytes;
      return m.cq_ring;
    case IORING_OFF_SQES:
      *len = l.sqes_bytes;
      return m.sqes;
    case kParamRegionMmapOffset:
      // IORING_REGISTER_MEM_REGION's kernel-allocated region (a user region: none).
      if (ctx->param_region.kernel == nullptr) return nullptr;
      *len = ctx->param_region.size;
      return ctx->param_region.kernel;
    case IORING_OFF_PBUF_RING:
      // A kernel-allocated buffer ring (IOU_PBUF_RING_MMAP). As in Linux, the bgid is
      // what the mask leaves (bits 16..26), so only groups below 2048 can be mapped.
      return pbuf_ring_mmap(*ctx, static_cast<uint16_t>((offset & ~IORING_OFF_MMAP_MASK) >> IORING_OFF_PBUF_SHIFT),
                            len);
    default:
      return nullptr;
  }
}

}  // namespace uringsim
