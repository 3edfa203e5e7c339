#include "traces/synthetic_memory.h"

#include <algorithm>
#include <cstring>

namespace uringsim::traces {

namespace {

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

}  // namespace

uint64_t SyntheticMemory::place(const RegionDecl& r) {
  const uint64_t page = region_page_size(r.kind);
  const uint64_t align = std::max({page, r.thp_size, uint64_t{4096}});
  const uint64_t start = align_up(next_, align);
  const uint64_t end = start + align_up(r.size, page);
  auto a = std::make_unique<Area>();
  a->vma = Vma{start, end, true, r.writable, region_backing(r.kind), page, r.thp_size, ""};
  if (r.kind == RegionKind::kSharedFile || r.kind == RegionKind::kPrivateFile) a->vma.path = "/trace/" + r.id;
  a->decl = &r;
  // One page (of this region's size) of guard after it: nothing is mapped there.
  next_ = end + page;
  by_id_[r.id] = start;
  areas_[start] = std::move(a);
  return start;
}

uint64_t SyntheticMemory::place_anonymous(const std::string& id, uint64_t size) {
  auto a = std::make_unique<Area>();
  a->own.id = id;
  a->own.size = size;
  a->own.kind = RegionKind::kAnonymous;
  const uint64_t start = align_up(next_, 4096);
  const uint64_t end = start + align_up(size, 4096);
  a->vma = Vma{start, end, true, true, Backing::kAnonymous, 4096, 0, ""};
  a->decl = &a->own;
  next_ = end + 4096;
  by_id_[id] = start;
  areas_[start] = std::move(a);
  return start;
}

uint64_t SyntheticMemory::base_of(const std::string& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? 0 : it->second;
}

SyntheticMemory::Area* SyntheticMemory::find(uint64_t addr) {
  auto it = areas_.upper_bound(addr);
  if (it == areas_.begin()) return nullptr;
  --it;
  Area* a = it->second.get();
  return addr >= a->vma.start && addr < a->vma.end ? a : nullptr;
}

void SyntheticMemory::initial(const Area& a, uint64_t offset, uint8_t* out, size_t n) const {
  const RegionDecl& r = *a.decl;
  if (r.seed) {
    fill_seeded(*r.seed, offset, out, n);
  } else {
    std::memset(out, 0, n);
  }
  for (const Chunk& c : r.content) {
    const uint64_t lo = std::max(offset, c.offset);
    const uint64_t hi = std::min(offset + n, c.offset + c.bytes.size());
    if (lo < hi) std::memcpy(out + (lo - offset), c.bytes.data() + (lo - c.offset), hi - lo);
  }
  // Bytes past the declared size (the rest of the last page) read as zero.
  if (offset + n > r.size) {
    const uint64_t from = std::max(offset, r.size);
    std::memset(out + (from - offset), 0, offset + n - from);
  }
}

uint8_t* SyntheticMemory::page(Area& a, uint64_t index) {
  auto it = a.pages.find(index);
  if (it != a.pages.end()) return it->second.get();
  auto p = std::make_unique<uint8_t[]>(kChunk);
  initial(a, index * kChunk, p.get(), kChunk);
  return a.pages.emplace(index, std::move(p)).first->second.get();
}

bool SyntheticMemory::read(uint64_t addr, void* dst, size_t len) {
  if (len == 0) return true;
  if (addr + len < addr) return false;
  auto* out = static_cast<uint8_t*>(dst);
  size_t done = 0;
  while (done < len) {
    const uint64_t cur = addr + done;
    Area* a = find(cur);
    if (a == nullptr) return false;
    const uint64_t off = cur - a->vma.start;
    const uint64_t index = off / kChunk;
    const size_t n = std::min<uint64_t>(len - done, kChunk - off % kChunk);
    auto it = a->pages.find(index);
    if (it != a->pages.end()) {
      std::memcpy(out + done, it->second.get() + off % kChunk, n);
    } else {
      initial(*a, off, out + done, n);  // untouched: no allocation
    }
    done += n;
  }
  return true;
}

bool SyntheticMemory::write(uint64_t addr, const void* src, size_t len) {
  if (len == 0) return true;
  if (addr + len < addr) return false;
  const auto* in = static_cast<const uint8_t*>(src);
  size_t done = 0;
  while (done < len) {
    const uint64_t cur = addr + done;
    Area* a = find(cur);
    if (a == nullptr || !a->vma.writable) return false;
    const uint64_t off = cur - a->vma.start;
    const size_t n = std::min<uint64_t>(len - done, kChunk - off % kChunk);
    std::memcpy(page(*a, off / kChunk) + off % kChunk, in + done, n);
    done += n;
  }
  return true;
}

bool SyntheticMemory::vmas(uint64_t addr, uint64_t len, std::vector<Vma>& out) {
  out.clear();
  uint64_t cur = addr;
  const uint64_t end = addr + len;
  while (cur < end) {
    Area* a = find(cur);
    if (a == nullptr) return false;
    out.push_back(a->vma);
    cur = a->vma.end;
  }
  return true;
}

size_t SyntheticMemory::resident_pages() const {
  size_t n = 0;
  for (const auto& [start, a] : areas_) n += a->pages.size();
  return n;
}

}  // namespace uringsim::traces
