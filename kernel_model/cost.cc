#include "kernel_model/cost.h"

namespace uringsim {

namespace {

constexpr uint64_t k4K = uint64_t{4} << 10;
constexpr uint64_t k2M = uint64_t{2} << 20;
constexpr uint64_t k1G = uint64_t{1} << 30;

// Calibrated at 4 KiB, 2 MiB and 1 GiB; between those, scale the smaller point's cost
// by size (a 64 KiB folio costs 16 x a 4 KiB page), which over-estimates a little, as
// walking a larger folio is cheaper per byte.
uint64_t by_size(uint64_t size, uint64_t c4k, uint64_t c2m, uint64_t c1g) {
  if (size <= k4K) return c4k;
  if (size < k2M) return c4k * (size / k4K);
  if (size == k2M) return c2m;
  if (size < k1G) return c2m * (size / k2M);
  if (size == k1G) return c1g;
  return c1g * (size / k1G);
}

}  // namespace

uint64_t CostModel::pin_folio_ns(uint64_t folio_size) const {
  return by_size(folio_size, pin_4k_page_ns, pin_2m_folio_ns, pin_1g_folio_ns);
}

uint64_t CostModel::unpin_folio_ns(uint64_t folio_size) const {
  return by_size(folio_size, unpin_4k_page_ns, unpin_2m_folio_ns, unpin_1g_folio_ns);
}

}  // namespace uringsim
