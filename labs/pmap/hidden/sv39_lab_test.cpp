// Lab pmap's hidden tests (labs/pmap/README.md): the walker's find_leaf and for_each_leaf on superpages, at the
// edges of the user half and over tables with every slot in use. Built as host_labs only where labs/*/hidden/
// exists (the main tree, the autograder): student trees do not have this file.
#include "arch/riscv/sv39.h"

#include <doctest/doctest.h>

#include <vector>

#include "support/test_ram.h"

namespace {

using Walker = Sv39Walker<ArenaTableMemory>;
constexpr u64 FLAGS = Pte::R | Pte::W | Pte::U | Pte::A | Pte::D;

struct Tables {
  TestRam ram{4 * MiB};
  bool ram_is_free = (ram.free_all(), true);
  ArenaTableMemory mem{ram.phys()};
  PhysAddr root = mem.alloc_table();
  Walker walker{mem, root};
};

}  // namespace

TEST_SUITE("labs/pmap") {
TEST_CASE("lab pmap: find_leaf reports the level of superpages") {
  Tables t;
  REQUIRE(t.walker.map_range(2 * GiB, PhysAddr(4 * GiB), 1 * GiB, FLAGS, true).has_value());
  REQUIRE(t.walker.map_range(8 * MiB, PhysAddr(16 * MiB), 2 * MiB, FLAGS, true).has_value());
  unsigned level = 99;
  Pte* leaf = t.walker.find_leaf(2 * GiB + 123 * PAGE_SIZE + 5, &level);
  REQUIRE(leaf);
  CHECK(level == 2);
  CHECK(leaf->address().get() == 4 * GiB);
  leaf = t.walker.find_leaf(8 * MiB + 2 * MiB - 1, &level);
  REQUIRE(leaf);
  CHECK(level == 1);
  CHECK(t.walker.find_leaf(8 * MiB + 2 * MiB) == nullptr);
  CHECK(t.walker.find_leaf(3 * GiB) == nullptr);
  // find_leaf never allocates.
  u64 live = t.mem.live_tables();
  for (u64 va = 0; va < 64 * GiB; va += 3 * GiB + 5 * MiB) (void)t.walker.find_leaf(va);
  CHECK(t.mem.live_tables() == live);
}

TEST_CASE("lab pmap: for_each_leaf from inside a superpage and at the top of the user half") {
  Tables t;
  REQUIRE(t.walker.map_range(4 * MiB, PhysAddr(4 * MiB), 2 * MiB, FLAGS, true).has_value());
  REQUIRE(t.walker.map_range(sv39::USER_END - PAGE_SIZE, PhysAddr(0x80000000), PAGE_SIZE, FLAGS, false).has_value());
  std::vector<std::pair<u64, unsigned>> seen;
  t.walker.for_each_leaf(5 * MiB, 5 * MiB + PAGE_SIZE, [&](u64 va, Pte&, unsigned level) { seen.push_back({va, level}); });
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].first == 4 * MiB);  // the superpage overlapping the range, reported at its own start
  CHECK(seen[0].second == 1);
  seen.clear();
  t.walker.for_each_leaf(sv39::USER_END - 2 * PAGE_SIZE, sv39::USER_END, [&](u64 va, Pte&, unsigned level) { seen.push_back({va, level}); });
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].first == sv39::USER_END - PAGE_SIZE);
}

TEST_CASE("lab pmap: for_each_leaf over full tables, in address order") {
  Tables t;
  REQUIRE(t.walker.map_range(0, PhysAddr(1 * GiB), 2 * MiB + 512 * PAGE_SIZE, FLAGS, false).has_value());
  u64 expect = 0;
  unsigned n = 0;
  bool ordered = true;
  t.walker.for_each_leaf(0, sv39::USER_END, [&](u64 va, Pte& pte, unsigned level) {
    ordered = ordered && va == expect && level == 0 && pte.address().get() == 1 * GiB + va;
    expect = va + PAGE_SIZE;
    n++;
  });
  CHECK(ordered);
  CHECK(n == 1024);
  // An empty range visits nothing; a range in a hole visits nothing.
  n = 0;
  t.walker.for_each_leaf(PAGE_SIZE, PAGE_SIZE, [&](u64, Pte&, unsigned) { n++; });
  t.walker.for_each_leaf(5 * GiB, 6 * GiB, [&](u64, Pte&, unsigned) { n++; });
  CHECK(n == 0);
}
}  // TEST_SUITE
