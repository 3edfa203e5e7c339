#include "kernel_model/accounting.h"

#include <cerrno>

namespace uringsim {

Check Accounting::charge_locked(uint32_t uid, uint64_t pages, uint64_t limit_bytes,
                                const char* what) {
  uint64_t& cur = locked_[uid];
  uint64_t limit_pages = limit_bytes == kUnlimited ? kUnlimited : limit_bytes / kPageSize;
  if (pages > limit_pages || cur > limit_pages - pages) {
    return make_fault(ENOMEM,
                      "%s: charging %llu pages to uid %u would make locked memory %llu KiB, over "
                      "RLIMIT_MEMLOCK %llu KiB (%llu KiB already locked; CAP_IPC_LOCK lifts this)",
                      what, (unsigned long long)pages, uid,
                      (unsigned long long)((cur + pages) * 4), (unsigned long long)(limit_pages * 4),
                      (unsigned long long)(cur * 4));
  }
  cur += pages;
  return std::nullopt;
}

void Accounting::uncharge_locked(uint32_t uid, uint64_t pages) {
  auto it = locked_.find(uid);
  if (it == locked_.end()) return;
  it->second = it->second >= pages ? it->second - pages : 0;
  if (it->second == 0) locked_.erase(it);
}

uint64_t Accounting::locked_pages(uint32_t uid) const {
  auto it = locked_.find(uid);
  return it == locked_.end() ? 0 : it->second;
}

void Accounting::uncharge_pinned(uint64_t mm, uint64_t pages) {
  auto it = pinned_.find(mm);
  if (it == pinned_.end()) return;
  it->second = it->second >= pages ? it->second - pages : 0;
  if (it->second == 0) pinned_.erase(it);
}

uint64_t Accounting::pinned_pages(uint64_t mm) const {
  auto it = pinned_.find(mm);
  return it == pinned_.end() ? 0 : it->second;
}

}  // namespace uringsim
