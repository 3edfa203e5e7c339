// Registered buffers and files (io_uring/rsrc.c): the pin model and memlock accounting.
//
// A registered buffer is "pinned" here by asking UserMemory which VMAs back it and
// applying the rules GUP (FOLL_WRITE | FOLL_LONGTERM) applies on the profile's Linux;
// nothing is copied. What Linux charges is computed page by page from the VMAs, so the
// counters in Accounting move exactly as locked_vm and pinned_vm move on Linux.
#include "kernel_model/rsrc.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "kernel_model/context.h"
#include "kernel_model/kernel.h"
#include "kernel_model/ring_fds.h"

namespace uringsim {

namespace {

constexpr uint64_t kPageMask = ~(kPageSize - 1);
constexpr uint64_t kMaxBufferLen = uint64_t{1} << 30;  // "arbitrary limit, but we need something"

// Versions at which a rule of this file changed (profile_version numbering).
constexpr uint32_t kPinnedVmSince = 5006;        // pins also counted in mm->pinned_vm [?]
constexpr uint32_t kNullArgCheckSince = 6013;    // register.c: arg NULL -> EFAULT up front [?]
constexpr uint32_t kRsrcSparseSince = 5019;      // IORING_RSRC_REGISTER_SPARSE

// The size of the compound page (folio) behind addresses of `v`, or 0 for ordinary
// 4 KiB pages: hugetlb pages always, transparent huge pages where the VMA declares them.
uint64_t compound_size(const Vma& v) {
  if (v.page_size > kPageSize) return v.page_size;
  if (v.thp_size > kPageSize) return v.thp_size;
  return 0;
}

// Whether a buffer already in `table` pinned a page of the compound page at `head`
// (headpage_already_acct's walk over the registered buffers).
bool table_has_head(const BufferTable& table, uint64_t head) {
  for (const auto& node : table.slots()) {
    if (!node || !node->buf) continue;
    const auto& heads = node->buf->compound_heads;
    if (std::binary_search(heads.begin(), heads.end(), head)) return true;
  }
  return false;
}

// State that lives across the buffers of one registration call: Linux remembers the
// last compound head it charged (last_hpage) and skips it when the next page -- or
// the next buffer -- starts in the same huge page.
struct PinCursor {
  bool have_last = false;
  uint64_t last_head = 0;
};

// What GUP would say about pinning [base, base + len) for writing, long term.
// Fills `vmas` with the VMAs behind the range. 6.18: holes, read-only mappings,
// VM_IO/VM_PFNMAP mappings and (since ~6.5) MAP_SHARED file pages refuse with EFAULT.
// 5.1: the pin fails only for holes, read-only and special mappings (EFAULT); file
// backing is judged afterwards (file_backed_check).
Check check_pin(Context& ctx, uint32_t i, uint64_t base, uint64_t len, std::vector<Vma>& vmas) {
  const bool refuse_shared_file =
      ctx.profile().file_backed == FileBackedRule::kRejectSharedFileEFAULT;
  if (!ctx.memory().vmas(base, len, vmas)) {
    return make_fault(EFAULT,
                      "REGISTER_BUFFERS: iovec %u [0x%llx, +%llu) is not entirely mapped in the "
                      "caller's address space; pinning it fails -> EFAULT",
                      i, ull(base), ull(len));
  }
  for (const Vma& v : vmas) {
    const char* what = v.path.empty() ? backing_name(v.backing) : v.path.c_str();
    if (!v.writable) {
      return make_fault(EFAULT,
                        "REGISTER_BUFFERS: iovec %u [0x%llx, +%llu) lies in a read-only mapping "
                        "[0x%llx, 0x%llx) (%s); buffers are pinned for writing -> EFAULT",
                        i, ull(base), ull(len), ull(v.start), ull(v.end), what);
    }
    if (v.backing == Backing::kSpecial) {
      return make_fault(EFAULT,
                        "REGISTER_BUFFERS: iovec %u [0x%llx, +%llu) lies in a special mapping "
                        "[0x%llx, 0x%llx) (%s, VM_IO/VM_PFNMAP) that has no pages to pin -> EFAULT",
                        i, ull(base), ull(len), ull(v.start), ull(v.end), what);
    }
    if (refuse_shared_file && v.backing == Backing::kSharedFile) {
      return make_fault(EFAULT,
                        "REGISTER_BUFFERS: iovec %u [0x%llx, +%llu) is a shared mapping of %s; "
                        "Linux %s will not long-term pin shared file pages (writeback could not "
                        "track them) -> EFAULT",
                        i, ull(base), ull(len), what, ctx.profile().name.data());
    }
  }
  return std::nullopt;
}

// 5.1 (edafccee56): after pinning, any VMA with a file that is not hugetlbfs is
// refused -- this includes tmpfs/shmem and MAP_SHARED|MAP_ANONYMOUS.
Check file_backed_check(Context& ctx, uint32_t i, uint64_t base, uint64_t len,
                        const std::vector<Vma>& vmas) {
  const FileBackedRule rule = ctx.profile().file_backed;
  if (rule == FileBackedRule::kRejectSharedFileEFAULT) return std::nullopt;  // GUP decided
  // ~5.13-6.4 (io_pin_pages): shmem joined hugetlbfs as acceptable file backing.
  const bool shmem_ok = rule == FileBackedRule::kRejectNonShmemFileEOPNOTSUPP;
  for (const Vma& v : vmas) {
    if (v.backing == Backing::kPrivateFile || v.backing == Backing::kSharedFile ||
        (v.backing == Backing::kShmem && !shmem_ok)) {
      const char* what = v.path.empty() ? backing_name(v.backing) : v.path.c_str();
      return make_fault(EOPNOTSUPP,
                        "REGISTER_BUFFERS: iovec %u [0x%llx, +%llu) is backed by a file (%s, %s); "
                        "Linux %s supports only anonymous, hugetlb%s memory -> EOPNOTSUPP",
                        i, ull(base), ull(len), what, backing_name(v.backing),
                        ctx.profile().name.data(), shmem_ok ? " and shmem" : "");
    }
  }
  return std::nullopt;
}

// Pages 6.18 charges for pinning [first, end) (page aligned), per io_buffer_account_pin:
// every ordinary page counts; a compound page counts whole, once -- not when it is the
// last one charged in this call, not when a buffer already in the table holds it.
// Appends every compound head the range touches to `heads`.
uint64_t pages_to_charge(const BufferTable& table, const std::vector<Vma>& vmas, uint64_t first,
                         uint64_t end, PinCursor& cursor, std::vector<uint64_t>& heads) {
  uint64_t pages = 0;
  for (const Vma& v : vmas) {
    const uint64_t lo = std::max(first, v.start);
    const uint64_t hi = std::min(end, v.end);
    if (lo >= hi) continue;
    const uint64_t size = compound_size(v);
    if (size == 0) {
      pages += (hi - lo) / kPageSize;
      continue;
    }
    for (uint64_t head = lo & ~(size - 1); head < hi; head += size) {
      heads.push_back(head);
      if (cursor.have_last && cursor.last_head == head) continue;
      cursor.have_last = true;
      cursor.last_head = head;
      if (table_has_head(table, head)) continue;
      pages += size / kPageSize;
    }
  }
  return pages;
}

// The folio size the buffer's segments would use (io_check_coalesce_buffer): the
// compound size when every VMA of the range has the same one, else 4 KiB.
uint64_t folio_size_of(const std::vector<Vma>& vmas) {
  uint64_t size = vmas.empty() ? 0 : compound_size(vmas.front());
  for (const Vma& v : vmas)
    if (compound_size(v) != size) return kPageSize;
  return size == 0 ? kPageSize : size;
}

// io_buffer_validate: the shape of one iovec, before anything is pinned. `op` names
// the register call in reasons. 5.1 had no empty slots and no -EOVERFLOW.
Check validate_iovec(const Context& ctx, const char* op, uint32_t i, uint64_t base, uint64_t len) {
  const Profile& p = ctx.profile();
  if (base == 0) {
    if (len != 0) {
      return make_fault(EFAULT, "%s: iovec %u is {NULL, %llu}: a NULL base needs length 0 -> EFAULT", op, i,
                        ull(len));
    }
    if (p.sparse_buffers) return std::nullopt;  // {NULL, 0}: an empty slot (5.13+)
    return make_fault(EFAULT,
                      "%s: iovec %u is {NULL, 0}; empty slots arrived in 5.13, Linux %s wants a real "
                      "buffer -> EFAULT",
                      op, i, p.name.data());
  }
  if (len == 0) return make_fault(EFAULT, "%s: iovec %u {0x%llx, 0} has length 0 -> EFAULT", op, i, ull(base));
  if (len > kMaxBufferLen) {
    return make_fault(EFAULT, "%s: iovec %u [0x%llx, +%llu) is longer than 1 GiB, the per-buffer limit -> EFAULT",
                      op, i, ull(base), ull(len));
  }
  // base + PAGE_ALIGN(len) must not wrap. 6.18 says EOVERFLOW; 5.1 had no such check
  // and the range simply failed to pin [?].
  const uint64_t acct_len = (len + kPageSize - 1) & kPageMask;
  if (base + acct_len < base) {
    const bool overflow_errno = p.pin_before_charge;  // the check came with the 6.x rework
    return make_fault(overflow_errno ? EOVERFLOW : EFAULT,
                      "%s: iovec %u [0x%llx, +%llu) wraps around the end of the address space -> %s", op, i,
                      ull(base), ull(len), overflow_errno ? "EOVERFLOW" : "EFAULT");
  }
  return std::nullopt;
}

// What pinning [first, end) costs the kernel: one pin per folio (a 4 KiB page, or a
// whole huge page once coalesced), by folio size. Returns the folio count too.
uint64_t pin_cost(const CostModel& cost, const std::vector<Vma>& vmas, uint64_t first, uint64_t end,
                  uint64_t* folios) {
  uint64_t ns = 0;
  *folios = 0;
  for (const Vma& v : vmas) {
    const uint64_t lo = std::max(first, v.start);
    const uint64_t hi = std::min(end, v.end);
    if (lo >= hi) continue;
    uint64_t size = compound_size(v);
    if (size == 0) size = kPageSize;
    const uint64_t n = ((hi + size - 1) & ~(size - 1)) / size - (lo & ~(size - 1)) / size;
    *folios += n;
    ns += n * cost.pin_folio_ns(size);
  }
  return ns;
}

// Pins and charges one validated iovec (io_sqe_buffer_register). Returns the node, or
// null for an empty slot ({NULL, 0}); on failure returns null with `*err` set.
std::shared_ptr<BufferNode> register_one(Context& ctx, uint32_t i, uint64_t base, uint64_t len,
                                         PinCursor& cursor, Check* err) {
  if (base == 0) return nullptr;  // validate_iovec allowed it: an empty slot
  const Profile& p = ctx.profile();
  ModelClock& clock = ctx.kernel().clock();
  const CostModel& cost = clock.model();
  clock.charge(cost.register_buffer_ns);

  const uint64_t first = base & kPageMask;
  const uint64_t end = (base + len + kPageSize - 1) & kPageMask;
  const bool charge_locked = ctx.charges_memlock();
  const bool count_pinned = profile_version(p) >= kPinnedVmSince;
  const uint32_t uid = ctx.creator().uid;
  const uint64_t mm = ctx.creator().mm;  // ctx->mm_account: the creator's mm
  const uint64_t limit = ctx.caller().creds.memlock_limit;
  Accounting& acct = ctx.accounting();

  auto mapped = std::make_shared<MappedBuffer>();
  mapped->ubuf = base;
  mapped->len = len;
  mapped->uid = uid;
  mapped->mm = mm;
  mapped->accounting = &acct;

  auto charge = [&](uint64_t pages) -> Check {
    if (pages != 0) clock.charge(cost.account_ns);
    if (charge_locked && pages != 0) {
      if (Check c = acct.charge_locked(uid, pages, limit, "REGISTER_BUFFERS")) {
        return make_fault(ENOMEM, "REGISTER_BUFFERS: iovec %u [0x%llx, +%llu): %s", i, ull(base), ull(len),
                          c->reason.c_str());
      }
      mapped->acct_pages = pages;
    }
    if (count_pinned && pages != 0) {
      acct.charge_pinned(mm, pages);
      mapped->pinned_pages = pages;
    }
    return std::nullopt;
  };

  std::vector<Vma> vmas;
  uint64_t folios = 0;
  if (p.pin_before_charge) {
    // 6.18: pin, then charge what was pinned (huge pages whole, once per table).
    if (Check c = check_pin(ctx, i, base, len, vmas)) {
      *err = std::move(c);
      return nullptr;
    }
    clock.charge(pin_cost(cost, vmas, first, end, &folios));
    if (Check c = file_backed_check(ctx, i, base, len, vmas)) {  // 6.1's io_pin_pages
      *err = std::move(c);
      return nullptr;
    }
    const uint64_t pages = pages_to_charge(ctx.buffers(), vmas, first, end, cursor, mapped->compound_heads);
    if (Check c = charge(pages)) {
      *err = std::move(c);
      return nullptr;
    }
  } else {
    // 5.1: charge the page span first (no huge-page special case), then pin; a failed
    // pin returns the charge (the MappedBuffer's destructor does it).
    if (Check c = charge((end - first) / kPageSize)) {
      *err = std::move(c);
      return nullptr;
    }
    if (Check c = check_pin(ctx, i, base, len, vmas)) {
      *err = std::move(c);
      return nullptr;
    }
    clock.charge(pin_cost(cost, vmas, first, end, &folios));
    if (Check c = file_backed_check(ctx, i, base, len, vmas)) {
      *err = std::move(c);
      return nullptr;
    }
  }
  mapped->folio_size = folio_size_of(vmas);
  mapped->nr_folios = folios;
  mapped->clock = &clock;  // from here on, dropping the buffer unpins it

  auto node = std::make_shared<BufferNode>();
  node->buf = std::move(mapped);
  node->ctx = &ctx;
  return node;
}

// Reads iovec `i` of the user array at `arg` (iovec_from_user).
Check read_iovec(Context& ctx, const char* op, uint64_t arg, uint32_t i, uint64_t iov[2]) {
  const uint64_t at = arg + uint64_t{i} * 16;
  if (at < arg || !ctx.memory().read(at, iov, 16)) {
    return make_fault(EFAULT, "%s: cannot read iovec %u at 0x%llx (array at 0x%llx) -> EFAULT", op, i, ull(at),
                      ull(arg));
  }
  return std::nullopt;
}

// Reads tag `i` of the user u64 array at `tags`.
Check read_tag(Context& ctx, const char* op, uint64_t tags, uint32_t i, uint64_t* tag) {
  const uint64_t at = tags + uint64_t{i} * 8;
  if (at < tags || !ctx.memory().read(at, tag, 8)) {
    return make_fault(EFAULT, "%s: cannot read tag %u at 0x%llx (tags at 0x%llx) -> EFAULT", op, i, ull(at),
                      ull(tags));
  }
  return std::nullopt;
}

Fault tag_on_empty_slot(const char* op, uint32_t i, uint64_t tag) {
  return make_fault(EINVAL,
                    "%s: slot %u is empty ({NULL, 0}) but has tag 0x%llx; only a buffer can carry a tag "
                    "-> EINVAL",
                    op, i, ull(tag));
}

// io_sqe_buffers_register: builds a whole table. `data` 0 means every slot is empty
// (REGISTER_BUFFERS2 with no iovecs); `tags` 0 means untagged. All or nothing: on a
// failure the slots made so far are dropped silently (tags cleared first, as
// io_clear_table_tags does) and no table exists.
int64_t sqe_buffers_register(Context& ctx, const char* op, uint64_t data, uint32_t nr, uint64_t tags) {
  const Profile& p = ctx.profile();
  if (ctx.buffers().exists()) {
    return ctx.reject(make_fault(EBUSY, "%s: this ring already has a buffer table (%u slots); unregister it first -> EBUSY",
                                op, ctx.buffers().size()));
  }
  if (nr == 0 || nr > p.max_reg_buffers) {
    return ctx.reject(make_fault(EINVAL, "%s: %u buffers is not in [1, %u] on Linux %s -> EINVAL", op, nr,
                                p.max_reg_buffers, p.name.data()));
  }
  // Built aside and installed only when every iovec registered.
  std::vector<std::shared_ptr<BufferNode>> nodes(nr);
  PinCursor cursor;
  Check err;
  for (uint32_t i = 0; i < nr && !err; ++i) {
    uint64_t iov[2] = {0, 0};
    if (data != 0) {
      if ((err = read_iovec(ctx, op, data, i, iov))) break;
      if ((err = validate_iovec(ctx, op, i, iov[0], iov[1]))) break;
    }
    uint64_t tag = 0;
    if (tags != 0 && (err = read_tag(ctx, op, tags, i, &tag))) break;
    nodes[i] = register_one(ctx, i, iov[0], iov[1], cursor, &err);
    if (err) break;
    if (tag != 0) {
      if (!nodes[i]) {
        err = tag_on_empty_slot(op, i, tag);
        break;
      }
      nodes[i]->tag = tag;
    }
  }
  if (err) {
    for (auto& n : nodes)
      if (n) n->tag = 0;
    while (!nodes.empty()) nodes.pop_back();
    return ctx.reject(std::move(*err));
  }
  ctx.buffers().install(std::move(nodes));
  return 0;
}

// Reads the 32-byte argument struct of BUFFERS2 / BUFFERS_UPDATE / CLONE_BUFFERS.
template <class T>
Check read_arg(Context& ctx, const char* op, uint64_t arg, T* out) {
  static_assert(sizeof(T) == 32);
  if (!ctx.memory().read(arg, out, sizeof *out)) {
    return make_fault(EFAULT, "%s: cannot read the %zu-byte argument at 0x%llx -> EFAULT", op, sizeof *out, ull(arg));
  }
  return std::nullopt;
}

// The source ring of a clone (io_uring_register_get_file): a ring fd of the caller, or
// with IORING_REGISTER_SRC_REGISTERED an index into the calling task's registered
// ring fds. Returns null with *err set.
Context* clone_source(Context& ctx, uint32_t src_fd, bool registered, Check* err) {
  std::shared_ptr<File> file;
  if (registered) {
    // io_uring_register_get_file: no task context or an index >= 16 is -EINVAL, an
    // empty slot -EBADF.
    const int32_t tid = task_id(ctx.caller().creds);
    TaskContext* task = ctx.kernel().task_context(tid);
    if (task == nullptr || src_fd >= kRingFdRegMax) {
      *err = make_fault(EINVAL, "CLONE_BUFFERS: SRC_REGISTERED with index %u, but %s -> EINVAL", src_fd,
                        task == nullptr ? "the calling task has no registered ring table"
                                        : "registered ring indexes are below 16");
      return nullptr;
    }
    file = task->registered_rings[src_fd];
    if (!file) {
      *err = make_fault(EBADF, "CLONE_BUFFERS: registered ring slot %u of task %d is empty -> EBADF", src_fd, tid);
      return nullptr;
    }
  } else {
    file = ctx.files().get(static_cast<int>(src_fd));
    if (!file) {
      *err = make_fault(EBADF, "CLONE_BUFFERS: src_fd %d is not open -> EBADF", static_cast<int>(src_fd));
      return nullptr;
    }
  }
  Context* src = file->kind() == FileKind::kRing ? ctx.kernel().context(file->ring()) : nullptr;
  if (src == nullptr) {
    *err = make_fault(EOPNOTSUPP, "CLONE_BUFFERS: %s %u is not an io_uring ring -> EOPNOTSUPP",
                      registered ? "registered index" : "src_fd", src_fd);
    return nullptr;
  }
  return src;
}

// A new slot in `dst` sharing `from`'s buffer: no pin, no charge, no tag.
std::shared_ptr<BufferNode> clone_node(Context& dst, const BufferNode& from) {
  auto node = std::make_shared<BufferNode>();
  node->buf = from.buf;
  node->ctx = &dst;
  return node;
}

}  // namespace

const char* backing_name(Backing b) {
  switch (b) {
    case Backing::kAnonymous: return "anonymous memory";
    case Backing::kPrivateFile: return "private file mapping";
    case Backing::kSharedFile: return "shared file mapping";
    case Backing::kShmem: return "shmem/tmpfs";
    case Backing::kHugetlb: return "hugetlb";
    case Backing::kSynthetic: return "synthetic memory";
    case Backing::kSpecial: return "special mapping";
  }
  return "unknown backing";
}

MappedBuffer::~MappedBuffer() {
  // io_buffer_unmap with the last reference: unpin every folio, return the charges.
  if (clock != nullptr) clock->charge(nr_folios * clock->model().unpin_folio_ns(folio_size));
  if (accounting == nullptr) return;
  if (acct_pages != 0) accounting->uncharge_locked(uid, acct_pages);
  if (pinned_pages != 0) accounting->uncharge_pinned(mm, pinned_pages);
}

BufferNode::~BufferNode() {
  // io_free_rsrc_node: the tag CQE goes out first, then the buffer reference drops
  // (and with the last reference, the pins and charges).
  if (ctx == nullptr) return;
  ctx->kernel().clock().charge(ctx->kernel().clock().model().unregister_buffer_ns);
  if (tag != 0) ctx->post_aux_cqe(tag, 0, 0);
}

AccountingIdentity accounting_identity(const Context& ctx) {
  AccountingIdentity id;
  id.has_user = ctx.charges_memlock();  // ctx->user is NULL with CAP_IPC_LOCK
  id.uid = id.has_user ? ctx.creator().uid : 0;
  id.mm = ctx.creator().mm;
  return id;
}

int64_t register_buffers(Context& ctx, uint64_t arg, uint32_t nr) {
  const Profile& p = ctx.profile();
  const uint32_t version = profile_version(p);
  if (arg == 0 && version >= kNullArgCheckSince) {
    return ctx.reject(make_fault(EFAULT, "REGISTER_BUFFERS: arg is NULL; it must point to %u struct iovec -> EFAULT", nr));
  }
  if (arg == 0) {
    // Older kernels checked the table and nr first, then faulted reading iovec 0.
    if (ctx.buffers().exists() || nr == 0 || nr > p.max_reg_buffers) return sqe_buffers_register(ctx, "REGISTER_BUFFERS", 0, nr, 0);
    return ctx.reject(make_fault(EFAULT, "REGISTER_BUFFERS: cannot read iovec 0 at NULL -> EFAULT"));
  }
  return sqe_buffers_register(ctx, "REGISTER_BUFFERS", arg, nr, 0);
}

int64_t register_buffers2(Context& ctx, uint64_t arg, uint32_t size) {
  constexpr const char* kOp = "REGISTER_BUFFERS2";
  if (size != sizeof(io_uring_rsrc_register)) {
    return ctx.reject(make_fault(EINVAL, "%s: nr_args is %u; it must be sizeof(struct io_uring_rsrc_register) = 32 -> EINVAL",
                                kOp, size));
  }
  io_uring_rsrc_register rr{};
  if (Check c = read_arg(ctx, kOp, arg, &rr)) return ctx.reject(std::move(*c));
  if (rr.nr == 0 || rr.resv2 != 0) {
    return ctx.reject(make_fault(EINVAL, "%s: nr is %u and resv2 is 0x%llx; nr must be > 0 and resv2 0 -> EINVAL", kOp,
                                rr.nr, ull(rr.resv2)));
  }
  const uint32_t known = profile_version(ctx.profile()) >= kRsrcSparseSince ? IORING_RSRC_REGISTER_SPARSE : 0;
  if (rr.flags & ~known) {
    return ctx.reject(make_fault(EINVAL, "%s: flags 0x%x; Linux %s knows only 0x%x (IORING_RSRC_REGISTER_SPARSE) -> EINVAL",
                                kOp, rr.flags, ctx.profile().name.data(), known));
  }
  if ((rr.flags & IORING_RSRC_REGISTER_SPARSE) && rr.data != 0) {
    return ctx.reject(make_fault(EINVAL, "%s: IORING_RSRC_REGISTER_SPARSE with data 0x%llx; a sparse table takes no iovecs -> EINVAL",
                                kOp, ull(rr.data)));
  }
  // data 0 (with or without SPARSE) registers rr.nr empty slots.
  return sqe_buffers_register(ctx, kOp, rr.data, rr.nr, rr.tags);
}

int64_t update_buffers(Context& ctx, uint64_t arg, uint32_t size) {
  constexpr const char* kOp = "REGISTER_BUFFERS_UPDATE";
  if (size != sizeof(io_uring_rsrc_update2)) {
    return ctx.reject(make_fault(EINVAL, "%s: nr_args is %u; it must be sizeof(struct io_uring_rsrc_update2) = 32 -> EINVAL",
                                kOp, size));
  }
  io_uring_rsrc_update2 up{};
  if (Check c = read_arg(ctx, kOp, arg, &up)) return ctx.reject(std::move(*c));
  if (up.nr == 0 || up.resv != 0 || up.resv2 != 0) {
    return ctx.reject(make_fault(EINVAL, "%s: nr %u, resv 0x%x, resv2 0x%x; nr must be > 0 and both resv 0 -> EINVAL", kOp,
                                up.nr, up.resv, up.resv2));
  }
  if (uint64_t{up.offset} + up.nr > UINT32_MAX) {
    return ctx.reject(make_fault(EOVERFLOW, "%s: offset %u + nr %u overflows 32 bits -> EOVERFLOW", kOp, up.offset, up.nr));
  }
  BufferTable& table = ctx.buffers();
  if (!table.exists()) return ctx.reject(make_fault(ENXIO, "%s: this ring has no registered buffers -> ENXIO", kOp));
  if (up.offset + up.nr > table.size()) {
    return ctx.reject(make_fault(EINVAL, "%s: slots [%u, %u) go past the table's %u slots -> EINVAL", kOp, up.offset,
                                up.offset + up.nr, table.size()));
  }
  // Slot by slot; each replaced node is released at once (the table was its holder),
  // unless a request still uses it. The huge-page cursor spans the call, and buffers
  // installed earlier in the call count as "in the table" for the next ones.
  PinCursor cursor;
  Check err;
  uint32_t done = 0;
  for (; done < up.nr; ++done) {
    uint64_t iov[2];
    if ((err = read_iovec(ctx, kOp, up.data, done, iov))) break;
    uint64_t tag = 0;
    if (up.tags != 0 && (err = read_tag(ctx, kOp, up.tags, done, &tag))) break;
    if ((err = validate_iovec(ctx, kOp, done, iov[0], iov[1]))) break;
    std::shared_ptr<BufferNode> node = register_one(ctx, done, iov[0], iov[1], cursor, &err);
    if (err) break;
    if (tag != 0) {
      if (!node) {
        err = tag_on_empty_slot(kOp, up.offset + done, tag);
        break;
      }
      node->tag = tag;
    }
    table.slots()[up.offset + done].swap(node);
    node.reset();  // the old slot's node: its tag CQE now, if nobody else holds it
  }
  if (done > 0) {
    if (err) ctx.set_fault(std::move(*err));  // why it stopped, for explain mode
    return done;
  }
  return ctx.reject(std::move(*err));
}

int64_t unregister_buffers(Context& ctx) {
  if (!ctx.buffers().exists()) {
    return ctx.reject(make_fault(ENXIO, "UNREGISTER_BUFFERS: this ring has no registered buffers -> ENXIO"));
  }
  // Slots are released now; a request that holds a node keeps it (and the pins) until
  // it completes, as 6.18 does without waiting.
  ctx.buffers().destroy();
  return 0;
}

int64_t clone_buffers(Context& ctx, uint64_t arg) {
  constexpr const char* kOp = "CLONE_BUFFERS";
  const Profile& p = ctx.profile();
  const CloneRule rule = p.clone;
  BufferTable& dst_table = ctx.buffers();
  auto busy = [&] {
    return make_fault(EBUSY,
                      "%s: this ring already has a buffer table (%u slots) and IORING_REGISTER_DST_REPLACE is "
                      "not set -> EBUSY",
                      kOp, dst_table.size());
  };
  ModelClock& clock = ctx.kernel().clock();
  clock.charge(clock.model().clone_call_ns);

  io_uring_clone_buffers a{};
  if (rule == CloneRule::kFullTable) {
    // 6.12: the destination check came before reading the argument, and what 6.13
    // named src_off/dst_off/nr were still pad[0..2], which must be zero.
    if (dst_table.exists()) return ctx.reject(busy());
    if (Check c = read_arg(ctx, kOp, arg, &a)) return ctx.reject(std::move(*c));
    if (a.flags & ~uint32_t{IORING_REGISTER_SRC_REGISTERED}) {
      return ctx.reject(make_fault(EINVAL, "%s: flags 0x%x; Linux %s knows only IORING_REGISTER_SRC_REGISTERED (1) -> EINVAL",
                                  kOp, a.flags, p.name.data()));
    }
    if (a.src_off || a.dst_off || a.nr || a.pad[0] || a.pad[1] || a.pad[2]) {
      return ctx.reject(make_fault(EINVAL,
                                  "%s: bytes 8-31 must be zero on Linux %s (its struct has pad[6]; src_off, dst_off "
                                  "and nr arrived in 6.13) -> EINVAL",
                                  kOp, p.name.data()));
    }
  } else {
    if (Check c = read_arg(ctx, kOp, arg, &a)) return ctx.reject(std::move(*c));
    constexpr uint32_t kKnown = IORING_REGISTER_SRC_REGISTERED | IORING_REGISTER_DST_REPLACE;
    if (a.flags & ~kKnown) {
      return ctx.reject(make_fault(EINVAL, "%s: flags 0x%x include bits other than SRC_REGISTERED (1) and DST_REPLACE (2) -> EINVAL",
                                  kOp, a.flags));
    }
    // Before the pad and the source are looked at: a bad pad or src_fd on a
    // destination with a table is still -EBUSY.
    if (!(a.flags & IORING_REGISTER_DST_REPLACE) && dst_table.exists()) return ctx.reject(busy());
    if (a.pad[0] || a.pad[1] || a.pad[2]) {
      return ctx.reject(make_fault(EINVAL, "%s: pad is {0x%x, 0x%x, 0x%x}; it must be zero -> EINVAL", kOp, a.pad[0],
                                  a.pad[1], a.pad[2]));
    }
  }

  Check err;
  Context* src = clone_source(ctx, a.src_fd, a.flags & IORING_REGISTER_SRC_REGISTERED, &err);
  if (src == nullptr) return ctx.reject(std::move(*err));
  const BufferTable& src_table = src->buffers();
  const uint32_t nbufs = src_table.exists() ? src_table.size() : 0;
  const uint32_t max = p.max_reg_buffers;

  if (rule == CloneRule::kFullTable) {
    if (nbufs == 0) return ctx.reject(make_fault(ENXIO, "%s: the source ring has no registered buffers -> ENXIO", kOp));
    a.nr = nbufs;
  } else {
    if (rule == CloneRule::kOffsetsChecked) {
      // 6.18: locking the source is refused to a task that is not its SINGLE_ISSUER owner.
      const int32_t tid = task_id(ctx.caller().creds);
      if (src != &ctx && src->submitter_tid() != 0 && src->submitter_tid() != tid) {
        return ctx.reject(make_fault(EEXIST, "%s: the source ring is SINGLE_ISSUER, owned by task %d, not task %d -> EEXIST",
                                    kOp, src->submitter_tid(), tid));
      }
      // Jann Horn's fix: the pins are charged to one user and one mm; a clone into a
      // ring charging elsewhere would uncharge the wrong counters later.
      const AccountingIdentity mine = accounting_identity(ctx), theirs = accounting_identity(*src);
      if (!(mine == theirs)) {
        return ctx.reject(make_fault(EINVAL,
                                    "%s: the rings are accounted to different owners (destination: %s %u, mm %llu; "
                                    "source: %s %u, mm %llu); the shared pins could not be uncharged correctly -> EINVAL",
                                    kOp, mine.has_user ? "uid" : "no memlock user, uid", ctx.creator().uid, ull(mine.mm),
                                    theirs.has_user ? "uid" : "no memlock user, uid", src->creator().uid,
                                    ull(theirs.mm)));
      }
    }
    if (a.nr == 0 && (a.src_off || a.dst_off)) {
      return ctx.reject(make_fault(EINVAL, "%s: src_off %u / dst_off %u given with nr 0 (nr 0 means the whole table) -> EINVAL",
                                  kOp, a.src_off, a.dst_off));
    }
    if (dst_table.exists() && !(a.flags & IORING_REGISTER_DST_REPLACE)) return ctx.reject(busy());
    const bool koong_order = rule == CloneRule::kOffsetsChecked;  // b8201b50e403
    if (koong_order && nbufs == 0) {
      return ctx.reject(make_fault(ENXIO, "%s: the source ring has no registered buffers -> ENXIO", kOp));
    }
    if (a.nr == 0) {
      a.nr = nbufs;
    } else if (a.nr > nbufs) {
      return ctx.reject(make_fault(EINVAL, "%s: nr %u is more than the source's %u slots -> EINVAL", kOp, a.nr, nbufs));
    } else if (a.nr > max) {
      return ctx.reject(make_fault(EINVAL, "%s: nr %u is more than %u -> EINVAL", kOp, a.nr, max));
    }
    // check_add_overflow into an int: above INT_MAX counts as overflow.
    auto src_range_bad = [&] { return uint64_t{a.nr} + a.src_off > INT32_MAX || a.nr + a.src_off > nbufs; };
    auto src_range_fault = [&] {
      return make_fault(EOVERFLOW, "%s: source slots [%u, %llu) go past the source's %u slots -> EOVERFLOW", kOp,
                        a.src_off, ull(uint64_t{a.src_off} + a.nr), nbufs);
    };
    if (koong_order && src_range_bad()) return ctx.reject(src_range_fault());
    if (uint64_t{a.nr} + a.dst_off > UINT32_MAX) {
      return ctx.reject(make_fault(EOVERFLOW, "%s: dst_off %u + nr %u overflows 32 bits -> EOVERFLOW", kOp, a.dst_off, a.nr));
    }
    if (a.nr + a.dst_off > max) {
      return ctx.reject(make_fault(EINVAL, "%s: destination slots [%u, %u) go past %u, the most a table can have -> EINVAL",
                                  kOp, a.dst_off, a.dst_off + a.nr, max));
    }
    if (!koong_order) {
      if (nbufs == 0) return ctx.reject(make_fault(ENXIO, "%s: the source ring has no registered buffers -> ENXIO", kOp));
      if (src_range_bad()) return ctx.reject(src_range_fault());
    }
  }

  // The new destination table: old slots below dst_off, the cloned range, and (since
  // 525916ce) old slots after the range; holes are empty slots.
  const uint32_t old_size = dst_table.exists() ? dst_table.size() : 0;
  const uint32_t size = std::max(a.dst_off + a.nr, old_size);
  std::vector<std::shared_ptr<BufferNode>> slots(size);
  const auto& old = dst_table.slots();
  for (uint32_t i = 0; i < std::min(a.dst_off, old_size); ++i) slots[i] = old[i];
  if (rule == CloneRule::kOffsetsChecked) {
    for (uint32_t i = a.dst_off + a.nr; i < old_size; ++i) slots[i] = old[i];
  }
  for (uint32_t k = 0; k < a.nr; ++k) {
    if (const auto* from = src_table.find(a.src_off + k)) slots[a.dst_off + k] = clone_node(ctx, **from);
  }
  clock.charge(uint64_t{a.nr} * clock.model().clone_buffer_ns);
  // With DST_REPLACE the old table is put: slots not carried over are released now
  // (their tags post when no request holds them).
  dst_table.install(std::move(slots));
  return 0;
}

}  // namespace uringsim
