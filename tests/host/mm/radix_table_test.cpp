// mm/radix_table.{h,cpp}: the three-level sparse array behind anon tables and memory objects, with its
// per-node group summaries (Frame::radix_summary) and lazily zeroed leaf groups. Driven against a std::map model with
// random operations over sparse, dense and node-boundary indexes (including clearing values to 0 and changing
// them inside for_each), plus copy_from the way fork uses it, the index limits and allocation failures. Node
// frames come from g_phys: the node count must match what the model predicts, the frames in use must equal the
// node count, and clear() must give every one back.
#include "mm/radix_table.h"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>
#include <vector>

#include "vm_test_env.h"

using namespace vmtest;

namespace {

// The table with plain numbers as values (0 is empty); anon tables and objects store AnonSlots and Frame pointers
// through the same code.
using Table = RadixTable<u64>;

constexpr u64 LEAF_SPAN = Table::FANOUT;
constexpr u64 MID_SPAN = u64(Table::FANOUT) * Table::FANOUT;

// What the table should hold, and which nodes it should have: a node is made on the way to any index that was
// ever stored (non-zero) or asked for with slot_or_null(), and only clear() frees nodes.
struct Model {
  std::map<u64, u64> values;
  std::set<u64> leaves, mids;

  void touch(u64 index) {
    leaves.insert(index / LEAF_SPAN);
    mids.insert(index / MID_SPAN);
  }
  u64 nodes() const { return leaves.empty() ? 0 : 1 + mids.size() + leaves.size(); }
  void store(u64 index, u64 value) {
    if (value) {
      touch(index);
      values[index] = value;
    } else {
      values.erase(index);
    }
  }
};

std::map<u64, u64> contents(Table& t, u64 start = 0, u64 end = Table::MAX_INDEX) {
  std::map<u64, u64> out;
  u64 last = 0;
  bool first = true;
  t.for_each(start, end, [&](u64 index, u64& value) {
    CHECK(value != 0);
    CHECK((first || index > last));  // in index order, each once
    first = false;
    last = index;
    out[index] = value;
  });
  return out;
}

std::map<u64, u64> slice(const std::map<u64, u64>& m, u64 start, u64 end) {
  return std::map<u64, u64>(m.lower_bound(start), m.lower_bound(end));
}

// Index patterns: anywhere, packed at the bottom, and around leaf and mid-level node boundaries.
u64 pick_index(std::mt19937_64& rng, int pattern) {
  switch (pattern) {
    case 0: return rng() % Table::MAX_INDEX;
    case 1: return rng() % 3000;
    default: {
      u64 span = rng() % 2 ? LEAF_SPAN : MID_SPAN;
      u64 boundary = (1 + rng() % 6) * span;
      u64 index = boundary - 12 + rng() % 24;
      return index % Table::MAX_INDEX;
    }
  }
}

}  // namespace

TEST_SUITE("mm/radix_table") {

// A new table holds nothing and owns no node; clearing a value never allocates.
TEST_CASE("radix: empty table") {
  VmEnv env;
  Table t;
  CHECK(t.is_empty());
  CHECK(t.node_count() == 0);
  CHECK(t.get(0) == 0);
  CHECK(t.get(Table::MAX_INDEX - 1) == 0);
  REQUIRE(t.set(12345, 0).has_value());
  CHECK(t.node_count() == 0);
  CHECK(contents(t).empty());
  t.clear();
  CHECK(env.frames_used() == 0);
}

// Nodes appear along the path of each stored index: a root, a mid-level node per 2^18 indexes, a leaf per 512.
TEST_CASE("radix: nodes per index") {
  VmEnv env;
  Table t;
  REQUIRE(t.set(0, 5).has_value());
  CHECK(t.node_count() == 3);
  REQUIRE(t.set(511, 6).has_value());
  CHECK(t.node_count() == 3);
  REQUIRE(t.set(512, 7).has_value());
  CHECK(t.node_count() == 4);
  REQUIRE(t.set(MID_SPAN, 8).has_value());
  CHECK(t.node_count() == 6);
  REQUIRE(t.set(Table::MAX_INDEX - 1, 9).has_value());
  CHECK(t.node_count() == 8);
  CHECK(env.frames_used() == 8);
  CHECK(frames_in_use(FrameUse::VmMeta) == 8);
  CHECK(t.get(0) == 5);
  CHECK(t.get(511) == 6);
  CHECK(t.get(512) == 7);
  CHECK(t.get(513) == 0);
  CHECK(t.get(MID_SPAN) == 8);
  CHECK(t.get(Table::MAX_INDEX - 1) == 9);
  CHECK(contents(t) == std::map<u64, u64>{{0, 5}, {511, 6}, {512, 7}, {MID_SPAN, 8}, {Table::MAX_INDEX - 1, 9}});
  // Clearing values keeps the nodes; clear() frees them all.
  REQUIRE(t.set(512, 0).has_value());
  CHECK(t.get(512) == 0);
  CHECK(t.node_count() == 8);
  t.clear();
  CHECK(t.node_count() == 0);
  CHECK(t.is_empty());
  CHECK(t.get(0) == 0);
  CHECK(env.frames_used() == 0);
  // Usable again after clear().
  REQUIRE(t.set(3, 1).has_value());
  CHECK(t.get(3) == 1);
}

// Indexes at or past MAX_INDEX are invalid: set refuses them, get reads 0, for_each stops before them.
TEST_CASE("radix: index limits") {
  VmEnv env;
  Table t;
  CHECK(t.set(Table::MAX_INDEX, 1).error() == Error::INVAL);
  CHECK(t.get(Table::MAX_INDEX) == 0);
  CHECK(t.get(~0ull) == 0);
  CHECK(t.node_count() == 0);
  REQUIRE(t.set(Table::MAX_INDEX - 1, 1).has_value());
  CHECK(contents(t, Table::MAX_INDEX - 1, ~0ull).size() == 1);
  CHECK(contents(t, 5, 5).empty());
  CHECK(contents(t, 9, 3).empty());
}

// Leaf nodes are not zeroed when made (the arena is full of poison bytes): a group reads as empty until it is
// first used, slot_or_null() opens (zeroes) its group, and a group that for_each emptied is zeroed again when reused.
TEST_CASE("radix: lazily zeroed groups") {
  VmEnv env;
  Table t;
  REQUIRE(t.set(0, 1).has_value());
  for (u64 i = 1; i < LEAF_SPAN; i++) REQUIRE(t.get(i) == 0);
  u64* slot = t.slot_or_null(100);
  REQUIRE(slot);
  CHECK(*slot == 0);
  *slot = 42;
  CHECK(t.get(100) == 42);
  CHECK(t.get(101) == 0);
  u64* again = t.slot_or_null(100);
  CHECK(again == slot);
  CHECK(*again == 42);

  for (u64 i = 16; i < 24; i++) REQUIRE(t.set(i, i).has_value());
  t.for_each(16, 24, [](u64, u64& value) { value = 0; });  // empties the whole group
  REQUIRE(t.set(19, 7).has_value());
  for (u64 i = 16; i < 24; i++) CHECK(t.get(i) == (i == 19 ? 7 : 0));
  CHECK(contents(t) == std::map<u64, u64>{{0, 1}, {19, 7}, {100, 42}});
}

// Random sets (often to 0), slots, gets, visits and in-place changes during for_each, compared with a model
// after every step. Each pattern runs from a fresh table and ends with clear(), which must give every node back.
TEST_CASE("radix: random operations against a std::map model") {
  VmEnv env(8 * MiB);  // sparse tables need a node or two per value
  for (int pattern = 0; pattern < 4; pattern++) {
    CAPTURE(pattern);
    std::mt19937_64 rng(1000 + pattern);
    Table t;
    Model model;
    auto pick = [&] { return pick_index(rng, pattern == 3 ? static_cast<int>(rng() % 3) : pattern); };
    for (int step = 0; step < 1500; step++) {
      CAPTURE(step);
      unsigned op = rng() % 20;
      if (op < 7) {
        u64 index = pick();
        u64 value = rng() | 1;
        REQUIRE(t.set(index, value).has_value());
        model.store(index, value);
      } else if (op < 10) {
        // Clear an existing value, or a random index.
        u64 index = pick();
        if (!model.values.empty() && rng() % 2) {
          auto it = model.values.begin();
          std::advance(it, static_cast<long>(rng() % model.values.size()));
          index = it->first;
        }
        REQUIRE(t.set(index, 0).has_value());
        model.store(index, 0);
      } else if (op < 12) {
        u64 index = pick();
        u64* slot = t.slot_or_null(index);
        REQUIRE(slot);
        model.touch(index);
        auto it = model.values.find(index);
        REQUIRE(*slot == (it == model.values.end() ? 0 : it->second));
        if (rng() % 2) {
          *slot = rng() | 1;
          model.store(index, *slot);
        }
      } else if (op < 15) {
        u64 index = pick();
        auto it = model.values.find(index);
        REQUIRE(t.get(index) == (it == model.values.end() ? 0 : it->second));
      } else if (op < 18) {
        u64 a = pick(), b = pick();
        if (a > b) std::swap(a, b);
        REQUIRE(contents(t, a, b + 1) == slice(model.values, a, b + 1));
      } else {
        // Change values in place during the walk: clear some, rewrite the others.
        u64 a = pick(), b = pick();
        if (a > b) std::swap(a, b);
        t.for_each(a, b + 1, [&](u64 index, u64& value) {
          value = value % 3 == 0 ? 0 : value + 2;
          model.store(index, value);
        });
      }
      REQUIRE(t.node_count() == model.nodes());
      REQUIRE(env.frames_used() == t.node_count());
    }
    REQUIRE(contents(t) == model.values);
    t.clear();
    CHECK(t.node_count() == 0);
    CHECK(env.frames_used() == 0);
  }
}

// Many values in a dense range: every slot of several leaves used, then emptied through for_each.
TEST_CASE("radix: dense fill and empty") {
  VmEnv env;
  Table t;
  const u64 start = MID_SPAN - 3 * LEAF_SPAN - 5;  // crosses a mid-level boundary
  const u64 end = MID_SPAN + 2 * LEAF_SPAN + 7;
  for (u64 i = start; i < end; i++) REQUIRE(t.set(i, i * 7 + 1).has_value());
  CHECK(t.node_count() == 1 + 2 + 7);
  u64 n = 0;
  t.for_each(0, Table::MAX_INDEX, [&](u64 index, u64& value) {
    CHECK(value == index * 7 + 1);
    n++;
  });
  CHECK(n == end - start);
  t.for_each(0, Table::MAX_INDEX, [](u64, u64& value) { value = 0; });
  CHECK(contents(t).empty());
  for (u64 i = start; i < end; i += 97) CHECK(t.get(i) == 0);
  t.clear();
  CHECK(env.frames_used() == 0);
}

// copy_from the way fork uses it: the source's range is cut into adjacent pieces (regions), some copied and some
// not (shared regions), into a table that already holds the pieces copied before — often in the same leaf and
// group. The result must be exactly the source restricted to the copied pieces, with on_copy called once per
// value.
TEST_CASE("radix: copy_from against a model") {
  VmEnv env(8 * MiB);  // sparse tables need a node or two per value
  for (int pattern = 0; pattern < 3; pattern++) {
    CAPTURE(pattern);
    std::mt19937_64 rng(77 + pattern);
    Table src;
    std::map<u64, u64> source;
    for (int i = 0; i < 600; i++) {
      u64 index = pick_index(rng, pattern);
      u64 value = rng() | 1;
      REQUIRE(src.set(index, value).has_value());
      source[index] = value;
    }
    // Some zeros inside used groups.
    for (int i = 0; i < 50 && !source.empty(); i++) {
      auto it = source.begin();
      std::advance(it, static_cast<long>(rng() % source.size()));
      REQUIRE(src.set(it->first, 0).has_value());
      source.erase(it);
    }
    for (int round = 0; round < 4; round++) {
      CAPTURE(round);
      Table dst;
      std::map<u64, u64> expected;
      u64 copied = 0;
      u64 cut = 0;
      // Small pieces where the values are (patterns 1 and 2 stay below 7 * MID_SPAN), then the rest in one.
      const u64 limit = pattern == 0 ? Table::MAX_INDEX : 7 * MID_SPAN;
      while (cut < Table::MAX_INDEX) {
        u64 length = rng() % 3 == 0 ? 1 + rng() % 20 : 1 + rng() % (pattern == 0 ? Table::MAX_INDEX / 8 : 4 * LEAF_SPAN);
        u64 end = cut >= limit ? Table::MAX_INDEX : std::min(cut + length, Table::MAX_INDEX);
        if (rng() % 3 != 0) {
          u64 calls = 0;
          REQUIRE(dst.copy_from(src, cut, end, [&](u64 value) {
                       CHECK(value != 0);
                       calls++;
                     }).has_value());
          auto part = slice(source, cut, end);
          CHECK(calls == part.size());
          copied += calls;
          expected.insert(part.begin(), part.end());
        }
        cut = end;
      }
      REQUIRE(contents(dst) == expected);
      CHECK(copied == expected.size());
      for (auto [index, value] : source) REQUIRE(dst.get(index) == (expected.count(index) ? value : 0));
      CHECK(contents(src) == source);  // the source is unchanged
    }
    src.clear();
    CHECK(env.frames_used() == 0);
  }
}

// Copying from an empty table, or an empty range, makes nothing.
TEST_CASE("radix: copy_from nothing") {
  VmEnv env;
  Table src, dst;
  int calls = 0;
  REQUIRE(dst.copy_from(src, 0, Table::MAX_INDEX, [&](u64) { calls++; }).has_value());
  CHECK(dst.node_count() == 0);
  REQUIRE(src.set(1000, 1).has_value());
  REQUIRE(dst.copy_from(src, 0, 1000, [&](u64) { calls++; }).has_value());
  REQUIRE(dst.copy_from(src, 1001, Table::MAX_INDEX, [&](u64) { calls++; }).has_value());
  REQUIRE(dst.copy_from(src, 1000, 1000, [&](u64) { calls++; }).has_value());
  CHECK(calls == 0);
  CHECK(contents(dst).empty());
  REQUIRE(dst.copy_from(src, 1000, 1001, [&](u64) { calls++; }).has_value());
  CHECK(calls == 1);
  CHECK(dst.get(1000) == 1);
}

// When no frame is left for a node, set and copy_from report ENOMEM and slot_or_null gives nullptr; what was made stays consistent and
// clear() frees it. Storing 0 needs no node and still works.
TEST_CASE("radix: out of memory") {
  VmEnv env;
  Table t, src;
  for (u64 i = 0; i < 4 * LEAF_SPAN; i += 50) REQUIRE(src.set(i, i + 1).has_value());
  REQUIRE(t.set(7, 7).has_value());
  std::vector<Frame*> hoard;
  while (Frame* f = g_phys.alloc_frame(FrameUse::Kernel)) hoard.push_back(f);

  CHECK(t.set(MID_SPAN, 1).error() == Error::NOMEM);
  CHECK(t.slot_or_null(LEAF_SPAN) == nullptr);
  REQUIRE(t.set(7, 0).has_value());
  REQUIRE(t.set(MID_SPAN, 0).has_value());
  REQUIRE(t.set(8, 8).has_value());  // the leaf exists
  CHECK(t.node_count() == 3);
  CHECK(t.copy_from(src, LEAF_SPAN, 4 * LEAF_SPAN, [](u64) {}).error() == Error::NOMEM);

  // One frame: enough for a mid-level node, not for the leaf below it.
  g_phys.free_frame(hoard.back());
  hoard.pop_back();
  CHECK(t.set(2 * MID_SPAN, 1).error() == Error::NOMEM);
  CHECK(t.node_count() == 4);
  CHECK(t.get(2 * MID_SPAN) == 0);
  CHECK(contents(t) == std::map<u64, u64>{{8, 8}});

  for (Frame* f : hoard) g_phys.free_frame(f);
  REQUIRE(t.set(2 * MID_SPAN, 1).has_value());
  CHECK(t.node_count() == 5);
  REQUIRE(t.copy_from(src, LEAF_SPAN, 4 * LEAF_SPAN, [](u64) {}).has_value());
  CHECK(contents(t).size() == 2 + contents(src, LEAF_SPAN, 4 * LEAF_SPAN).size());
  t.clear();
  src.clear();
  CHECK(env.frames_used() == 0);
}

}  // TEST_SUITE
