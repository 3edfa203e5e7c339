// SyntheticMemory: a client address space made of a trace's declared regions.
//
// The simulator's UserMemory for replays. Each region is placed at an address this
// class chooses (aligned to its page size, with an unmapped guard gap after it, so a
// range that runs off a region faults as it would on Linux) and answers vmas() with
// the region's kind: a shared_file region really is a MAP_SHARED file mapping as far
// as the model can tell. Pages are materialised on first write; an untouched page
// reads as the region's initial content (its seed, its inline bytes, or zeros), so a
// 1 GiB synthetic region costs nothing until something writes to it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "kernel_model/user_memory.h"
#include "traces/trace.h"

namespace uringsim::traces {

class SyntheticMemory : public UserMemory {
 public:
  // Where the first region goes; later ones follow, each aligned and guarded.
  static constexpr uint64_t kBase = 0x100000000000ull;  // 16 TiB: far from nothing real

  SyntheticMemory() = default;
  SyntheticMemory(const SyntheticMemory&) = delete;
  SyntheticMemory& operator=(const SyntheticMemory&) = delete;

  // Places `r` and returns its start address.
  uint64_t place(const RegionDecl& r);
  // An anonymous, writable region that belongs to no trace (the replayer's scratch).
  uint64_t place_anonymous(const std::string& id, uint64_t size);
  // Start address of a placed region, or 0.
  uint64_t base_of(const std::string& id) const;

  bool read(uint64_t addr, void* dst, size_t len) override;
  bool write(uint64_t addr, const void* src, size_t len) override;
  bool vmas(uint64_t addr, uint64_t len, std::vector<Vma>& out) override;

  // Pages materialised so far (tests check that untouched regions stay free).
  size_t resident_pages() const;

 private:
  static constexpr uint64_t kChunk = 4096;  // materialisation granule
  struct Area {
    Vma vma;
    const RegionDecl* decl = nullptr;  // null: zero-filled
    RegionDecl own;                    // for place_anonymous
    std::unordered_map<uint64_t, std::unique_ptr<uint8_t[]>> pages;  // chunk index -> bytes
  };
  Area* find(uint64_t addr);
  uint8_t* page(Area& a, uint64_t index);
  void initial(const Area& a, uint64_t offset, uint8_t* out, size_t n) const;

  std::map<uint64_t, std::unique_ptr<Area>> areas_;  // by start
  std::map<std::string, uint64_t> by_id_;
  uint64_t next_ = kBase;
};

}  // namespace uringsim::traces
