// Rng: the fuzzer's one source of randomness (splitmix64). Seeded, portable, and the
// same on every machine, so a seed names a sequence forever. kernel_model never sees
// it (the model's only randomness is its own seeded ChaosPolicy, off unless asked).
#pragma once

#include <cstdint>

namespace uringsim::fuzz {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t below(uint64_t n) { return next() % n; }
  // True with probability num/den.
  bool chance(uint64_t num, uint64_t den) { return below(den) < num; }
  template <class T, size_t N>
  const T& pick(const T (&a)[N]) {
    return a[below(N)];
  }

 private:
  uint64_t state_;
};

// The seed of sequence `index` of campaign `seed`: sequences are independent, so
// sequence 1234 of a campaign can be regenerated alone.
inline uint64_t sequence_seed(uint64_t seed, uint64_t index) {
  Rng r(seed ^ (index * 0xd1b54a32d192ed03ull));
  r.next();
  return r.next();
}

}  // namespace uringsim::fuzz
