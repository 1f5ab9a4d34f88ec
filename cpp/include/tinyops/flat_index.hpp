#pragma once
// An index over entries the caller keeps in insertion order (entry i is the i-th inserted): open addressing
// with linear probing over a power-of-two table of entry numbers, at most half full. The simulator's geometry
// cache and the factor search's geometry memo look one up per op of every network scored, where a
// std::unordered_map's modulo and node chasing cost more than the lookup they serve.
#include <algorithm>
#include <cstdint>
#include <vector>

namespace tinyops {

class FlatIndex {
 public:
  // The entry with hash `h` for which `is(entry)` holds, or -1.
  template <typename Is>
  int find(uint64_t h, Is is) const {
    if (slots_.empty()) return -1;
    const size_t mask = slots_.size() - 1;
    for (size_t j = h & mask; slots_[j] >= 0; j = (j + 1) & mask)
      if (is(slots_[j])) return slots_[j];
    return -1;
  }
  // Indexes entry number `entry` (= the number of entries indexed so far) under hash `h`; when the table grows,
  // `hash_of(i)` re-hashes the entries before it.
  template <typename HashOf>
  void insert(uint64_t h, int entry, HashOf hash_of) {
    if (2 * (size_t(entry) + 1) > slots_.size()) {
      slots_.assign(std::max<size_t>(64, 2 * slots_.size()), -1);
      for (int i = 0; i < entry; ++i) place(hash_of(i), i);
    }
    place(h, entry);
  }
  void clear() { slots_.clear(); }

 private:
  void place(uint64_t h, int entry) {
    const size_t mask = slots_.size() - 1;
    size_t j = h & mask;
    while (slots_[j] >= 0) j = (j + 1) & mask;
    slots_[j] = entry;
  }

  std::vector<int32_t> slots_;
};

}  // namespace tinyops
