#include "tinyops/flat_index.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tinyops {

// Colliding hashes and many regrowths: every entry is still found, under its own number, and nothing else is.
TEST(FlatIndex, FindsEveryEntryThroughCollisionsAndGrowth) {
  std::vector<int> keys;
  FlatIndex index;
  auto hash_of = [&](int e) { return uint64_t(keys[size_t(e)] % 7); };  // 7 hashes for 1000 keys
  for (int k = 0; k < 1000; ++k) {
    const int key = 3 * k + 1;
    ASSERT_EQ(index.find(uint64_t(key % 7), [&](int e) { return keys[size_t(e)] == key; }), -1);
    index.insert(uint64_t(key % 7), int(keys.size()), hash_of);
    keys.push_back(key);
  }
  for (size_t e = 0; e < keys.size(); ++e)
    EXPECT_EQ(index.find(hash_of(int(e)), [&](int i) { return keys[size_t(i)] == keys[e]; }), int(e));
  EXPECT_EQ(index.find(0, [&](int i) { return keys[size_t(i)] == 2; }), -1);
  index.clear();
  EXPECT_EQ(index.find(hash_of(0), [&](int i) { return keys[size_t(i)] == keys[0]; }), -1);
}

}  // namespace tinyops
