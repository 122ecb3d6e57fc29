// AddressSpace::brk (mm/address_space.cpp) with Linux's semantics: the break never goes below its start, grows
// lazily (a region, no pages), shrinks by releasing pages, keeps one free page before the next mapping (a
// stack: its guard gap), and memory given back and taken again reads as zeros.
#include <doctest/doctest.h>

#include "vm_test_env.h"

using namespace vmtest;

namespace {

constexpr u64 START = A + P;  // set_brk_base(A + 0x123) rounds up to here

}  // namespace

TEST_SUITE("mm/brk") {

// The base is rounded up to a page. A request below it, past the user half, or brk(0) (how the C library asks
// for the current break) leaves the break where it is and returns it.
TEST_CASE("brk: below the start is refused") {
  VmEnv env;
  Space s;
  s->set_brk_base(VirtAddr(A + 0x123));
  CHECK(s->brk_start() == VirtAddr(START));
  CHECK(s->current_brk() == VirtAddr(START));
  CHECK(s->brk(VirtAddr(0)) == VirtAddr(START));
  CHECK(s->brk(VirtAddr(START - 1)) == VirtAddr(START));
  CHECK(s->brk(VirtAddr(USER_END)) == VirtAddr(START));
  CHECK(s->brk(VirtAddr(START + 2 * P)) == VirtAddr(START + 2 * P));
  CHECK(s->brk(VirtAddr(A)) == VirtAddr(START + 2 * P));
  CHECK(s->current_brk() == VirtAddr(START + 2 * P));
  CHECK(s->brk(VirtAddr(START)) == VirtAddr(START));  // back to the start: allowed
  CHECK(s->region_count() == 0);
}

// Growing only makes (or extends) the heap region; pages come with the first access. Growth inside the last
// page changes no region.
TEST_CASE("brk: growth is lazy") {
  VmEnv env;
  Space s;
  s->set_brk_base(VirtAddr(START));
  CHECK(s->brk(VirtAddr(START + 10 * P)) == VirtAddr(START + 10 * P));
  CHECK(layout(*s) == lines({region_line(START, START + 10 * P, "rw-pH")}));
  CHECK(env.frames_used() == 0);
  CHECK(s.pmap().mappings().empty());
  CHECK(s->brk(VirtAddr(START + 10 * P + 100)) == VirtAddr(START + 10 * P + 100));
  CHECK(s->current_brk() == VirtAddr(START + 10 * P + 100));
  CHECK(layout(*s) == lines({region_line(START, START + 11 * P, "rw-pH")}));
  CHECK(s->brk(VirtAddr(START + 10 * P + 200)) == VirtAddr(START + 10 * P + 200));
  CHECK(s->region_count() == 1);
  CHECK(env.frames_used() == 0);
  store(*s, START + 10 * P + 199, 1);
  CHECK(load(*s, START) == 0);
  CHECK(counter(g_vm_stats.anon_pages) == 1);
}

// Shrinking gives back the whole pages above the new break: frames and mappings go, the region shrinks (or
// goes). The page holding the new break keeps its data.
TEST_CASE("brk: shrinking releases pages") {
  VmEnv env;
  Space s;
  s->set_brk_base(VirtAddr(START));
  REQUIRE(s->brk(VirtAddr(START + 8 * P)) == VirtAddr(START + 8 * P));
  for (u64 i = 0; i < 8; i++) store(*s, START + i * P, u8(i + 1));
  CHECK(counter(g_vm_stats.anon_pages) == 8);
  CHECK(s->brk(VirtAddr(START + 2 * P + 5)) == VirtAddr(START + 2 * P + 5));
  CHECK(layout(*s) == lines({region_line(START, START + 3 * P, "rw-pH")}));
  CHECK(counter(g_vm_stats.anon_pages) == 3);
  CHECK(mapped_count(*s, START + 3 * P, START + 8 * P) == 0);
  CHECK(s->handle_fault(VirtAddr(START + 3 * P), Access::Read) == FaultResult::NoRegion);
  CHECK(load(*s, START + 2 * P) == 3);
  CHECK(s->brk(VirtAddr(START)) == VirtAddr(START));
  CHECK(s->region_count() == 0);
  CHECK(counter(g_vm_stats.anon_pages) == 0);
  CHECK(s.pmap().mappings().empty());
}

// Memory given back and taken again is new: it reads as zeros (the zero page until written).
TEST_CASE("brk: regrown memory reads as zero") {
  VmEnv env;
  Space s;
  s->set_brk_base(VirtAddr(START));
  REQUIRE(s->brk(VirtAddr(START + 4 * P)) == VirtAddr(START + 4 * P));
  for (u64 i = 0; i < 4; i++) store(*s, START + i * P + 7, 0xee);
  REQUIRE(s->brk(VirtAddr(START + P)) == VirtAddr(START + P));
  REQUIRE(s->brk(VirtAddr(START + 4 * P)) == VirtAddr(START + 4 * P));
  CHECK(s->region_count() == 1);
  for (u64 i = 1; i < 4; i++) {
    CHECK(load(*s, START + i * P + 7) == 0);
    CHECK(mapped_frame(*s, START + i * P) == zero_page());
  }
  CHECK(load(*s, START + 7) == 0xee);
  // Down to the start and up again: a new heap region.
  REQUIRE(s->brk(VirtAddr(START)) == VirtAddr(START));
  REQUIRE(s->brk(VirtAddr(START + 2 * P)) == VirtAddr(START + 2 * P));
  CHECK(load(*s, START + 7) == 0);
  CHECK(layout(*s) == lines({region_line(START, START + 2 * P, "rw-pH")}));
}

// The heap may come up to one page below the next mapping, and up to the guard gap below a stack.
TEST_CASE("brk: cannot grow into the next mapping") {
  VmEnv env;
  Space s;
  s->set_brk_base(VirtAddr(START));
  SUBCASE("a mapping") {
    must_map(*s, START + 20 * P, P, Prot::Read);
    CHECK(s->brk(VirtAddr(START + 19 * P)) == VirtAddr(START + 19 * P));
    CHECK(s->brk(VirtAddr(START + 19 * P + 1)) == VirtAddr(START + 19 * P));
    CHECK(s->brk(VirtAddr(START + 40 * P)) == VirtAddr(START + 19 * P));
    CHECK(layout(*s) == lines({region_line(START, START + 19 * P, "rw-pH"), region_line(START + 20 * P, START + 21 * P, "r--p")}));
  }
  SUBCASE("a stack") {
    const u64 stack = START + 300 * P;
    must_map(*s, stack, 4 * P, Prot::ReadWrite, MapFlag::Fixed | MapFlag::Stack);
    CHECK(s->brk(VirtAddr(stack - STACK_GUARD_GAP)) == VirtAddr(stack - STACK_GUARD_GAP));
    CHECK(s->brk(VirtAddr(stack - STACK_GUARD_GAP + 1)) == VirtAddr(stack - STACK_GUARD_GAP));
    CHECK(s->region_count() == 2);
  }
  SUBCASE("a mapping over the break") {
    // The program maps something over the top of its heap; the break may not grow into it (the check must see
    // a region that starts below the old break, not only regions after it).
    REQUIRE(s->brk(VirtAddr(START + 2 * P)) == VirtAddr(START + 2 * P));
    must_map(*s, START + P, 3 * P, Prot::Read);
    CHECK(s->brk(VirtAddr(START + 3 * P)) == VirtAddr(START + 2 * P));
    CHECK(s->brk(VirtAddr(START + 10 * P)) == VirtAddr(START + 2 * P));
    CHECK(layout(*s) == lines({region_line(START, START + P, "rw-pH"), region_line(START + P, START + 4 * P, "r--p")}));
  }
}

// Without a heap region above the start (the program unmapped it), growth makes a new one from the old break.
TEST_CASE("brk: after the heap was unmapped") {
  VmEnv env;
  Space s;
  s->set_brk_base(VirtAddr(START));
  REQUIRE(s->brk(VirtAddr(START + 2 * P)) == VirtAddr(START + 2 * P));
  store(*s, START, 1);
  REQUIRE(s->unmap(VirtAddr(START), 2 * P).has_value());
  CHECK(s->brk(VirtAddr(START + 3 * P)) == VirtAddr(START + 3 * P));
  CHECK(layout(*s) == lines({region_line(START + 2 * P, START + 3 * P, "rw-pH")}));
  CHECK(load(*s, START + 2 * P) == 0);
}

}  // TEST_SUITE
