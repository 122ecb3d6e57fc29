// lib/avl_tree.h: the intrusive AVL tree keyed by u64. A randomized run compares it with std::map after every
// operation and checks the AVL invariants (check()) each time; directed cases cover the edges.
#include "lib/avl_tree.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <random>
#include <vector>

#include "support/host_panic.h"

namespace {

struct Region {
  u64 start = 0;
  u64 size = 0;
  AvlNode node;
};

struct ByStart {
  static u64 key(const Region& r) { return r.start; }
};

using RegionTree = AvlTree<Region, &Region::node, ByStart>;

std::vector<u64> keys_forward(const RegionTree& tree) {
  std::vector<u64> keys;
  for (Region* r = tree.first(); r; r = RegionTree::next(*r)) keys.push_back(r->start);
  return keys;
}

std::vector<u64> keys_backward(const RegionTree& tree) {
  std::vector<u64> keys;
  for (Region* r = tree.last(); r; r = RegionTree::prev(*r)) keys.push_back(r->start);
  return keys;
}

u64 key_or_sentinel(const Region* r) { return r ? r->start : UINT64_MAX - 7; }

}  // namespace

TEST_SUITE("lib/avl_tree") {

// An empty tree finds nothing and is valid.
TEST_CASE("avl: empty tree") {
  RegionTree tree;
  CHECK(tree.is_empty());
  CHECK(tree.size() == 0);
  CHECK(tree.check());
  CHECK(tree.first() == nullptr);
  CHECK(tree.last() == nullptr);
  CHECK(tree.find(0) == nullptr);
  CHECK(tree.find_last_le(UINT64_MAX) == nullptr);
  CHECK(tree.find_first_gt(0) == nullptr);
}

// Sorted insertions (the worst case of a plain binary tree) stay balanced: height is logarithmic.
TEST_CASE("avl: ascending and descending insertions stay balanced") {
  constexpr int N = 1023;
  std::vector<Region> regions(N);
  RegionTree up, down;
  for (int i = 0; i < N; i++) regions[i].start = u64(i) * 0x1000;
  for (int i = 0; i < N; i++) {
    up.insert(regions[i]);
    REQUIRE(up.check());
  }
  CHECK(up.size() == N);
  // A perfectly balanced tree of 1023 nodes has height 10; AVL allows at most 1.44 log2(n+2).
  CHECK(regions[0].node.m_height > 0);
  i32 root_height = 0;
  for (Region& r : regions)
    if (r.node.m_parent == nullptr) root_height = r.node.m_height;
  CHECK(root_height <= 14);
  for (int i = 0; i < N; i++) up.remove(regions[i]);
  CHECK(up.is_empty());

  for (int i = N - 1; i >= 0; i--) {
    down.insert(regions[i]);
    REQUIRE(down.check());
  }
  CHECK(keys_forward(down).size() == N);
  for (int i = N - 1; i >= 0; i--) down.remove(regions[i]);
  CHECK(down.is_empty());
}

// find, find_last_le and find_first_gt around present and absent keys, and at 0 and UINT64_MAX.
TEST_CASE("avl: lookups") {
  Region r[4];
  u64 keys[] = {0, 0x1000, 0x5000, UINT64_MAX};
  RegionTree tree;
  for (int i = 0; i < 4; i++) {
    r[i].start = keys[i];
    tree.insert(r[i]);
  }
  CHECK(tree.find(0x1000) == &r[1]);
  CHECK(tree.find(0x2000) == nullptr);
  CHECK(tree.find(UINT64_MAX) == &r[3]);
  CHECK(tree.find_last_le(0) == &r[0]);
  CHECK(tree.find_last_le(0xfff) == &r[0]);
  CHECK(tree.find_last_le(0x1000) == &r[1]);
  CHECK(tree.find_last_le(0x4fff) == &r[1]);
  CHECK(tree.find_last_le(UINT64_MAX - 1) == &r[2]);
  CHECK(tree.find_last_le(UINT64_MAX) == &r[3]);
  CHECK(tree.find_first_gt(0) == &r[1]);
  CHECK(tree.find_first_gt(0x1000) == &r[2]);
  CHECK(tree.find_first_gt(0x5000) == &r[3]);
  CHECK(tree.find_first_gt(UINT64_MAX) == nullptr);
  for (Region& region : r) tree.remove(region);
  CHECK(tree.is_empty());
}

// next and prev walk the keys in order, from first() and from last().
TEST_CASE("avl: next and prev") {
  std::vector<Region> regions(100);
  RegionTree tree;
  std::mt19937_64 rng(7);
  std::vector<u64> keys;
  for (Region& r : regions) {
    do r.start = rng() % 100000;
    while (tree.find(r.start));
    tree.insert(r);
    keys.push_back(r.start);
  }
  std::sort(keys.begin(), keys.end());
  CHECK(keys_forward(tree) == keys);
  std::vector<u64> reversed(keys.rbegin(), keys.rend());
  CHECK(keys_backward(tree) == reversed);
  CHECK(RegionTree::next(*tree.last()) == nullptr);
  CHECK(RegionTree::prev(*tree.first()) == nullptr);
  for (Region& r : regions) tree.remove(r);
}

// drain() hands every item over exactly once, each already unlinked (so it may be freed or inserted again),
// and leaves an empty, valid tree.
TEST_CASE("avl: drain") {
  for (usize count : {0u, 1u, 2u, 7u, 100u}) {
    std::vector<Region> regions(count);
    RegionTree tree;
    for (usize i = 0; i < count; i++) {
      regions[i].start = (i * 7919) % 1000 * 0x1000;
      tree.insert(regions[i]);
    }
    std::vector<u64> seen;
    tree.drain([&](Region& r) {
      CHECK_FALSE(r.node.is_linked());
      seen.push_back(r.start);
    });
    CHECK(tree.is_empty());
    CHECK(tree.size() == 0);
    CHECK(tree.check());
    std::vector<u64> want;
    for (Region& r : regions) want.push_back(r.start);
    std::sort(seen.begin(), seen.end());
    std::sort(want.begin(), want.end());
    CHECK(seen == want);
    for (Region& r : regions) tree.insert(r);  // reusable after draining
    CHECK(tree.size() == count);
    CHECK(tree.check());
    tree.drain([](Region&) {});
  }
}

// clone_from() copies the shape: the copy has the same keys in the same order, is a valid AVL tree and works
// like any other; when make() fails, the copies made so far can still be drained.
TEST_CASE("avl: clone_from") {
  for (usize count : {0u, 1u, 2u, 7u, 100u}) {
    std::vector<Region> regions(count), copies(count);
    RegionTree tree, copy;
    for (usize i = 0; i < count; i++) {
      regions[i].start = (i * 7919) % 1000 * 0x1000;
      tree.insert(regions[i]);
    }
    usize made = 0;
    CHECK(copy.clone_from(tree, [&](Region& r) {
      copies[made].start = r.start;
      return &copies[made++];
    }));
    CHECK(made == count);
    CHECK(copy.size() == count);
    CHECK(copy.check());
    CHECK(keys_forward(copy) == keys_forward(tree));
    if (count) {
      copy.remove(*copy.first());
      CHECK(copy.check());
    }
    copy.drain([](Region&) {});
    tree.drain([](Region&) {});
  }
  std::vector<Region> regions(50), copies(50);
  RegionTree tree, copy;
  for (usize i = 0; i < 50; i++) {
    regions[i].start = i * 0x1000;
    tree.insert(regions[i]);
  }
  usize made = 0;
  CHECK_FALSE(copy.clone_from(tree, [&](Region& r) -> Region* {
    if (made == 20) return nullptr;
    copies[made].start = r.start;
    return &copies[made++];
  }));
  CHECK(copy.size() == 20);
  usize drained = 0;
  copy.drain([&](Region& r) {
    CHECK_FALSE(r.node.is_linked());
    drained++;
  });
  CHECK(drained == 20);
  tree.drain([](Region&) {});
}

// Inserting a duplicate key or removing an item that is not in the tree panics, and the tree is unchanged.
TEST_CASE("avl: misuse panics") {
  Region a, b, c;
  a.start = b.start = 0x1000;
  c.start = 0x2000;
  RegionTree tree;
  tree.insert(a);
  CHECK_THROWS_WITH_AS(tree.insert(b), doctest::Contains("duplicate key"), KernelPanic);
  CHECK_THROWS_AS(tree.insert(a), KernelPanic);
  CHECK_THROWS_AS(tree.remove(c), KernelPanic);
  CHECK(tree.size() == 1);
  CHECK(tree.check());
  CHECK_FALSE(b.node.is_linked());
  tree.remove(a);
  CHECK_FALSE(a.node.is_linked());
}

// Thousands of random inserts and removes, compared with std::map after each one: the same keys in the same
// order, the same answers to find / find_last_le / find_first_gt, and valid AVL invariants throughout.
TEST_CASE("avl: randomized against std::map") {
  constexpr usize POOL = 600;
  constexpr int OPERATIONS = 6000;
  std::vector<Region> pool(POOL);
  std::map<u64, Region*> model;
  RegionTree tree;
  std::mt19937_64 rng(20240611);
  // Keys from a small range, so that lookups often hit neighbours and removals hit present keys.
  auto random_key = [&] { return (rng() % 4000) * 0x1000; };

  for (int op = 0; op < OPERATIONS; op++) {
    Region& r = pool[rng() % POOL];
    if (!r.node.is_linked()) {
      u64 key = random_key();
      if (model.count(key)) continue;
      r.start = key;
      tree.insert(r);
      model[key] = &r;
    } else {
      model.erase(r.start);
      tree.remove(r);
    }
    REQUIRE(tree.check());
    REQUIRE(tree.size() == model.size());

    u64 probe = random_key() + (rng() % 3 == 0 ? 0 : rng() % 0x1000);
    auto it = model.find(probe);
    CHECK(tree.find(probe) == (it == model.end() ? nullptr : it->second));
    auto upper = model.upper_bound(probe);  // first key > probe
    CHECK(key_or_sentinel(tree.find_first_gt(probe)) ==
          (upper == model.end() ? UINT64_MAX - 7 : upper->first));
    const Region* last_le = upper == model.begin() ? nullptr : std::prev(upper)->second;
    CHECK(tree.find_last_le(probe) == last_le);
    if (!model.empty()) {
      CHECK(tree.first() == model.begin()->second);
      CHECK(tree.last() == model.rbegin()->second);
    }
    if (op % 500 == 0) {
      std::vector<u64> expected;
      for (auto& [key, region] : model) expected.push_back(key);
      CHECK(keys_forward(tree) == expected);
    }
  }
  // Empty the tree in key order (removal of the minimum: a different rebalancing pattern).
  while (Region* r = tree.first()) {
    tree.remove(*r);
    REQUIRE(tree.check());
  }
  CHECK(tree.is_empty());
}

}  // TEST_SUITE
