// arch/riscv/sv39.h: the Sv39 page-table walker, run on the host with page-table pages taken from the frame
// allocator over the memory arena (support/test_ram.h: ArenaTableMemory records which tables are live, so
// leaks, bad frees and walks into non-tables are caught). Leaves may point anywhere: only tables need memory.
#include "arch/riscv/sv39.h"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <tuple>
#include <vector>

#include "support/test_ram.h"

namespace {

using Walker = Sv39Walker<ArenaTableMemory>;

constexpr u64 FLAGS = Pte::R | Pte::W | Pte::U | Pte::A | Pte::D;

// A root table on a fresh 4 MiB RAM (room for a thousand tables). The members are initialised in order: RAM, its free list, the table
// memory, the root, the walker.
struct PageTables {
  TestRam ram{4 * MiB};
  bool ram_is_free = (ram.free_all(), true);
  ArenaTableMemory mem{ram.phys()};
  PhysAddr root = mem.alloc_table();
  Walker walker{mem, root};
  u64 free_frames_with_root = ram.phys().free_frames();
};

struct Leaf {
  unsigned level;
  u64 pa;
  u64 flags;
  bool operator==(const Leaf&) const = default;
};

// Every leaf for_each_leaf reports in [start, end), by virtual address; a leaf reported twice fails.
std::map<u64, Leaf> leaves_in(Walker& walker, u64 start, u64 end) {
  std::map<u64, Leaf> leaves;
  walker.for_each_leaf(start, end, [&](u64 va, Pte& pte, unsigned level) {
    bool inserted = leaves.emplace(va, Leaf{level, pte.address().get(), pte.flags()}).second;
    CHECK_MESSAGE(inserted, "leaf reported twice");
  });
  return leaves;
}

// The physical address va translates to, or ~0 if unmapped (the MMU's view: find the leaf, add the offset).
u64 translate(Walker& walker, u64 va) {
  unsigned level = 99;
  Pte* leaf = walker.find_leaf(va, &level);
  if (!leaf) return ~0ull;
  REQUIRE(level < sv39::LEVELS);
  return leaf->address().get() + (va & (sv39::LEVEL_SIZE[level] - 1));
}

}  // namespace

TEST_SUITE("arch/sv39") {

// With superpages, each piece gets the largest leaf its alignment and length allow: 1 GiB, then 2 MiB, then
// 4 KiB; only the tables those leaves need are allocated.
TEST_CASE("sv39: map_range chooses superpages by alignment") {
  PageTables pt;
  const u64 va = 1 * GiB;
  const u64 pa = 8 * GiB;
  REQUIRE(pt.walker.map_range(va, PhysAddr(pa), 1 * GiB + 2 * MiB + 3 * PAGE_SIZE, FLAGS, true).has_value());
  std::map<u64, Leaf> expected = {
      {va, {2, pa, FLAGS | Pte::V}},
      {va + 1 * GiB, {1, pa + 1 * GiB, FLAGS | Pte::V}},
      {va + 1 * GiB + 2 * MiB, {0, pa + 1 * GiB + 2 * MiB, FLAGS | Pte::V}},
      {va + 1 * GiB + 2 * MiB + PAGE_SIZE, {0, pa + 1 * GiB + 2 * MiB + PAGE_SIZE, FLAGS | Pte::V}},
      {va + 1 * GiB + 2 * MiB + 2 * PAGE_SIZE, {0, pa + 1 * GiB + 2 * MiB + 2 * PAGE_SIZE, FLAGS | Pte::V}},
  };
  CHECK(leaves_in(pt.walker, 0, sv39::USER_END) == expected);
  // The 1 GiB leaf needs no table; the 2 MiB leaf one level-1 table; the 4 KiB leaves one level-0 table.
  CHECK(pt.mem.live_tables() == 3);
}

// A range that starts and ends off the big alignments uses small leaves at its edges.
TEST_CASE("sv39: map_range uses small leaves at unaligned edges") {
  PageTables pt;
  const u64 va = 4 * MiB - PAGE_SIZE;
  REQUIRE(pt.walker.map_range(va, PhysAddr(va + 1 * GiB), PAGE_SIZE + 2 * MiB + PAGE_SIZE, FLAGS, true).has_value());
  std::map<u64, Leaf> leaves = leaves_in(pt.walker, 0, sv39::USER_END);
  REQUIRE(leaves.size() == 3);
  CHECK(leaves[va].level == 0);
  CHECK(leaves[4 * MiB].level == 1);
  CHECK(leaves[6 * MiB].level == 0);
  CHECK(translate(pt.walker, 5 * MiB + 0x123) == 5 * MiB + 1 * GiB + 0x123);
}

// A superpage needs va and pa equally aligned: a physical address off by one page forces 4 KiB leaves.
TEST_CASE("sv39: misaligned physical address prevents superpages") {
  PageTables pt;
  REQUIRE(pt.walker.map_range(2 * MiB, PhysAddr(2 * MiB + PAGE_SIZE), 2 * MiB, FLAGS, true).has_value());
  std::map<u64, Leaf> leaves = leaves_in(pt.walker, 0, sv39::USER_END);
  CHECK(leaves.size() == 512);
  for (auto& [va, leaf] : leaves) {
    CHECK(leaf.level == 0);
    CHECK(leaf.pa == va + PAGE_SIZE);
  }
}

// Without superpages everything is 4 KiB leaves, even for a 1 GiB-aligned range.
TEST_CASE("sv39: map_range without superpages") {
  PageTables pt;
  REQUIRE(pt.walker.map_range(1 * GiB, PhysAddr(1 * GiB), 4 * MiB + 2 * PAGE_SIZE, Pte::R | Pte::X, false).has_value());
  std::map<u64, Leaf> leaves = leaves_in(pt.walker, 0, sv39::USER_END);
  CHECK(leaves.size() == 1026);
  for (auto& [va, leaf] : leaves) {
    CHECK(leaf.level == 0);
    CHECK(leaf.pa == va);
    CHECK(leaf.flags == (Pte::V | Pte::R | Pte::X));
  }
  // Root, one level-1 table, three level-0 tables (4 MiB + 8 KiB spans three 2 MiB pieces).
  CHECK(pt.mem.live_tables() == 5);
}

// find_leaf returns the leaf and its level for any address inside it, and nothing outside mappings.
TEST_CASE("sv39: find_leaf") {
  PageTables pt;
  REQUIRE(pt.walker.map_range(2 * GiB, PhysAddr(2 * GiB), 1 * GiB, FLAGS, true).has_value());
  REQUIRE(pt.walker.map_range(6 * MiB, PhysAddr(10 * MiB), 2 * MiB, FLAGS, true).has_value());
  REQUIRE(pt.walker.map_range(0x1000, PhysAddr(0x80001000), PAGE_SIZE, FLAGS, true).has_value());
  unsigned level = 99;
  Pte* leaf = pt.walker.find_leaf(2 * GiB + 0x12345678, &level);
  REQUIRE(leaf);
  CHECK(level == 2);
  CHECK(leaf->address() == PhysAddr(2 * GiB));
  CHECK(translate(pt.walker, 7 * MiB + 5) == 11 * MiB + 5);
  CHECK(translate(pt.walker, 0x1fff) == 0x80001fff);
  CHECK(translate(pt.walker, 0) == ~0ull);
  CHECK(translate(pt.walker, 0x2000) == ~0ull);
  CHECK(translate(pt.walker, 8 * MiB) == ~0ull);
  CHECK(translate(pt.walker, 3 * GiB) == ~0ull);
  CHECK(pt.walker.find_leaf(sv39::USER_END - PAGE_SIZE) == nullptr);
}

// A valid non-leaf entry at level 0 is malformed (spec 4.3.2 step 4): find_leaf treats the address as
// unmapped instead of walking on.
TEST_CASE("sv39: find_leaf rejects a table pointer at level 0") {
  PageTables pt;
  Pte* e = pt.walker.slot(0x5000, 0, true);
  REQUIRE(e);
  *e = Pte::table(pt.root);
  CHECK(pt.walker.find_leaf(0x5000) == nullptr);
}

// slot(create=false) never allocates and returns nullptr when a table on the way is missing; with create it
// allocates exactly the missing tables, once. A superpage leaf on the way stops it either way.
TEST_CASE("sv39: slot with and without create") {
  PageTables pt;
  const u64 va = 5 * GiB + 3 * MiB + 7 * PAGE_SIZE;
  CHECK(pt.walker.slot(va, 0, false) == nullptr);
  CHECK(pt.walker.slot(va, 1, false) == nullptr);
  CHECK(pt.mem.live_tables() == 1);
  // Level 2 is the root itself, always there.
  Pte* root_entry = pt.walker.slot(va, 2, false);
  REQUIRE(root_entry);
  CHECK_FALSE(root_entry->is_valid());

  Pte* l1 = pt.walker.slot(va, 1, true);
  REQUIRE(l1);
  CHECK(pt.mem.live_tables() == 2);
  CHECK(root_entry->is_table());
  Pte* l0 = pt.walker.slot(va, 0, true);
  REQUIRE(l0);
  CHECK(pt.mem.live_tables() == 3);
  CHECK(l1->is_table());
  CHECK(pt.walker.slot(va, 0, true) == l0);
  CHECK(pt.walker.slot(va, 0, false) == l0);
  CHECK(pt.mem.live_tables() == 3);
  // The neighbouring page shares the tables; the entry is the next one.
  CHECK(pt.walker.slot(va + PAGE_SIZE, 0, false) == l0 + 1);

  REQUIRE(pt.walker.map_range(1 * GiB, PhysAddr(1 * GiB), 1 * GiB, FLAGS, true).has_value());
  CHECK(pt.walker.slot(1 * GiB + PAGE_SIZE, 0, true) == nullptr);
  CHECK(pt.walker.slot(1 * GiB + 2 * MiB, 1, false) == nullptr);
  CHECK(pt.mem.live_tables() == 3);
}

// for_each_leaf reports exactly the leaves overlapping [start, end) — including a superpage that begins
// before start — once each, for many ranges over a sparse address space; it looks into each live table at
// most once and never into absent subtrees.
TEST_CASE("sv39: for_each_leaf visits exactly the leaves in range") {
  PageTables pt;
  struct Mapping {
    u64 va, size;
    bool superpages;
  };
  const Mapping mappings[] = {
      {0x1000, 3 * PAGE_SIZE, false},
      {2 * MiB - PAGE_SIZE, 2 * PAGE_SIZE, false},       // across a level-0 table boundary
      {1 * GiB - PAGE_SIZE, 2 * PAGE_SIZE, false},       // across a root slot boundary
      {3 * GiB + 4 * MiB, 4 * MiB, true},                // two 2 MiB leaves
      {64 * GiB, 1 * GiB, true},                         // a 1 GiB leaf
      {sv39::USER_END - 2 * PAGE_SIZE, 2 * PAGE_SIZE, false},  // the very top of user space
  };
  for (const Mapping& m : mappings)
    REQUIRE(pt.walker.map_range(m.va, PhysAddr(m.va + 16 * GiB), m.size, FLAGS, m.superpages).has_value());

  std::map<u64, Leaf> all = leaves_in(pt.walker, 0, sv39::USER_END);
  CHECK(all.size() == 3 + 2 + 2 + 2 + 1 + 2);
  CHECK(all[3 * GiB + 4 * MiB].level == 1);
  CHECK(all[64 * GiB].level == 2);

  // A full walk looks into every live table exactly once.
  pt.mem.reset_table_ptr_calls();
  (void)leaves_in(pt.walker, 0, sv39::USER_END);
  CHECK(pt.mem.table_ptr_calls() == pt.mem.live_tables());

  // Random ranges: compare with the leaves from the full walk that overlap the range.
  std::mt19937_64 rng(3);
  std::vector<u64> interesting;
  for (auto& [va, leaf] : all) {
    interesting.push_back(va);
    interesting.push_back(va + sv39::LEVEL_SIZE[leaf.level]);
  }
  interesting.push_back(0);
  interesting.push_back(sv39::USER_END);
  for (int i = 0; i < 300; i++) {
    auto pick = [&] {
      u64 base = interesting[rng() % interesting.size()];
      i64 jitter = static_cast<i64>(rng() % 5) - 2;  // a page or two either side
      u64 v = base + static_cast<u64>(jitter) * PAGE_SIZE;
      return v > sv39::USER_END ? sv39::USER_END : v;
    };
    u64 start = pick(), end = pick();
    if (start > end) std::swap(start, end);
    std::map<u64, Leaf> expected;
    for (auto& [va, leaf] : all)
      if (va < end && va + sv39::LEVEL_SIZE[leaf.level] > start) expected.emplace(va, leaf);
    INFO("range [", start, ", ", end, ")");
    CHECK(leaves_in(pt.walker, start, end) == expected);
  }
  CHECK(leaves_in(pt.walker, 5 * GiB, 5 * GiB).empty());
}

// The callback gets the entry itself, so it can change leaves in place (what protect/remove build on).
TEST_CASE("sv39: for_each_leaf can edit leaves") {
  PageTables pt;
  REQUIRE(pt.walker.map_range(0x10000, PhysAddr(0x90000000), 8 * PAGE_SIZE, FLAGS, false).has_value());
  pt.walker.for_each_leaf(0x12000, 0x14000, [](u64, Pte& pte, unsigned) { pte = pte.without(Pte::W | Pte::D); });
  for (u64 va = 0x10000; va < 0x18000; va += PAGE_SIZE) {
    bool in_range = va >= 0x12000 && va < 0x14000;
    INFO("va ", va);
    CHECK(pt.walker.find_leaf(va)->has(Pte::W) == !in_range);
  }
}

// free_subtables gives every table page below the root back to the allocator (no leak), for whole root
// slots covering the range only, and clears those root entries; leaves held directly by the root stay.
TEST_CASE("sv39: free_subtables returns every table page") {
  PageTables pt;
  std::mt19937_64 rng(11);
  for (int i = 0; i < 200; i++) {
    u64 va = (rng() % (sv39::USER_END / PAGE_SIZE)) * PAGE_SIZE;
    if (sv39::vpn(va, 2) == 1 || sv39::vpn(va, 2) == 7) continue;  // kept for the mappings below
    REQUIRE(pt.walker.map_range(va, PhysAddr(0x80000000), PAGE_SIZE, FLAGS, false).has_value());
  }
  REQUIRE(pt.walker.map_range(7 * GiB, PhysAddr(7 * GiB), 1 * GiB, FLAGS, true).has_value());
  REQUIRE(pt.walker.map_range(1 * GiB + 2 * MiB, PhysAddr(0), 2 * MiB, FLAGS, true).has_value());
  usize tables = pt.mem.live_tables();
  CHECK(tables > 100);
  CHECK(pt.ram.phys().free_frames() == pt.free_frames_with_root - (tables - 1));

  // Only root slot 1 ([1 GiB, 2 GiB)): its level-1 table and the level-0 tables below it.
  Pte* root = pt.mem.table_ptr(pt.root);
  REQUIRE(root[1].is_table());
  pt.walker.free_subtables(1 * GiB + 5 * MiB, 1 * GiB + 6 * MiB);
  CHECK_FALSE(root[1].is_valid());
  CHECK(pt.walker.find_leaf(1 * GiB + 2 * MiB) == nullptr);
  CHECK(pt.mem.live_tables() < tables);

  pt.walker.free_subtables(0, sv39::USER_END);
  CHECK(pt.mem.live_tables() == 1);
  CHECK(pt.ram.phys().free_frames() == pt.free_frames_with_root);
  CHECK(pt.ram.phys().counters().used_by[static_cast<unsigned>(FrameUse::PageTable)] == 1);
  CHECK(root[7].is_leaf());  // the 1 GiB leaf in the root itself is not a table
  CHECK(pt.walker.find_leaf(7 * GiB + 1)->address() == PhysAddr(7 * GiB));
  pt.mem.free_table(pt.root);
  CHECK(pt.ram.phys().free_frames() == pt.ram.frame_count());
  CHECK(pt.ram.phys().check());
}

// When no table page can be had, map_range fails with ENOMEM; what it did map stays consistent and every
// table it allocated can still be freed.
TEST_CASE("sv39: map_range returns ENOMEM when table memory runs out") {
  PageTables pt;
  pt.mem.set_budget(2);  // the root and one more table: not enough for a 4 KiB leaf (needs two)
  Result<void> r = pt.walker.map_range(0x1000, PhysAddr(0x80000000), PAGE_SIZE, FLAGS, false);
  REQUIRE(r.is_error());
  CHECK(r.error() == Error::NOMEM);
  CHECK(pt.walker.find_leaf(0x1000) == nullptr);
  // A 2 MiB leaf needs only the level-1 table, which the failed attempt left in place.
  CHECK(pt.walker.map_range(2 * MiB, PhysAddr(2 * MiB), 2 * MiB, FLAGS, true).has_value());

  // Halfway: room for the level-0 table of the first 2 MiB piece but not of the second.
  pt.mem.set_budget(3);
  r = pt.walker.map_range(6 * MiB - 2 * PAGE_SIZE, PhysAddr(0), 4 * PAGE_SIZE, FLAGS, false);
  CHECK(r.is_error());
  CHECK(translate(pt.walker, 6 * MiB - PAGE_SIZE) == PAGE_SIZE);
  CHECK(translate(pt.walker, 6 * MiB) == ~0ull);

  pt.mem.set_budget(ArenaTableMemory::UNLIMITED);
  CHECK(pt.walker.map_range(0x1000, PhysAddr(0x80000000), PAGE_SIZE, FLAGS, false).has_value());
  pt.walker.free_subtables(0, sv39::USER_END);
  CHECK(pt.mem.live_tables() == 1);
  CHECK(pt.ram.phys().free_frames() == pt.free_frames_with_root);
}

// The same with the frame allocator itself running dry (RAM of three free frames: root + two tables).
TEST_CASE("sv39: map_range returns ENOMEM when RAM runs out") {
  TestRam ram(1 * MiB);
  ram.phys().add_free_range(ram.base(), ram.base() + 3 * PAGE_SIZE);
  ArenaTableMemory mem(ram.phys());
  Walker walker(mem, mem.alloc_table());
  CHECK(walker.map_range(0x1000, PhysAddr(0x80000000), PAGE_SIZE, FLAGS, false).has_value());
  CHECK(ram.phys().free_frames() == 0);
  Result<void> r = walker.map_range(5 * GiB, PhysAddr(0x80000000), PAGE_SIZE, FLAGS, false);
  REQUIRE(r.is_error());
  CHECK(r.error() == Error::NOMEM);
  walker.free_subtables(0, sv39::USER_END);
  mem.free_table(walker.root());
  CHECK(ram.phys().free_frames() == 3);
}

}  // TEST_SUITE
