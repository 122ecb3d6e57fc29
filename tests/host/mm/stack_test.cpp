// Stack growth in the fault handler (mm/fault.cpp, find_region_for_fault_locked and try_grow_stack_locked): a
// fault below a Stack region moves its start down, up to STACK_LIMIT from its end, never within
// STACK_GUARD_GAP of the region below and never below MMAP_MIN. Other regions never grow.
#include <doctest/doctest.h>

#include "vm_test_env.h"

using namespace vmtest;

namespace {

constexpr u64 STACK = STACK_TOP - 4 * P;  // start of the initial stack in these tests

void map_stack(AddressSpace& s, u64 start, u64 end, Prot prot = Prot::ReadWrite) {
  must_map(s, start, end - start, prot, MapFlag::Fixed | MapFlag::Stack);
}

}  // namespace

TEST_SUITE("mm/stack") {

// A fault just below the stack grows it to the faulting page; the new pages are ordinary demand-zero memory.
// Reads grow it too. A fault far below (but within the limit) grows it all the way at once.
TEST_CASE("stack: a fault below the stack grows it") {
  VmEnv env;
  Space s;
  map_stack(*s, STACK, STACK_TOP);
  store(*s, STACK - 8, 0x5a);
  CHECK(region_at(*s, STACK - P).start == VirtAddr(STACK - P));
  CHECK(region_at(*s, STACK - P).end == VirtAddr(STACK_TOP));
  CHECK(counter(g_vm_stats.faults_stack_growth) == 1);
  CHECK(mapped_prot(*s, STACK - P) == Prot::ReadWrite);
  CHECK(load(*s, STACK - 8) == 0x5a);
  CHECK(load(*s, STACK - P - 1) == 0);
  CHECK(region_at(*s, STACK - 2 * P).start == VirtAddr(STACK - 2 * P));
  CHECK(counter(g_vm_stats.faults_stack_growth) == 2);
  CHECK(s->region_count() == 1);
  CHECK(layout(*s) == lines({region_line(STACK - 2 * P, STACK_TOP, "rw-pS")}));

  store(*s, STACK_TOP - 100 * P, 1);
  CHECK(layout(*s) == lines({region_line(STACK_TOP - 100 * P, STACK_TOP, "rw-pS")}));
  CHECK(load(*s, STACK_TOP - 50 * P) == 0);
  CHECK(counter(g_vm_stats.anon_pages) == 2);
}

// The stack grows to STACK_LIMIT below its end and no further.
TEST_CASE("stack: up to STACK_LIMIT") {
  VmEnv env;
  Space s;
  map_stack(*s, STACK, STACK_TOP);
  CHECK(s->handle_fault(VirtAddr(STACK_TOP - STACK_LIMIT - 1), Access::Write) == FaultResult::NoRegion);
  CHECK(region_at(*s, STACK).start == VirtAddr(STACK));
  CHECK(s->handle_fault(VirtAddr(STACK_TOP - STACK_LIMIT), Access::Write) == FaultResult::Resolved);
  CHECK(region_at(*s, STACK).start == VirtAddr(STACK_TOP - STACK_LIMIT));
  CHECK(s->handle_fault(VirtAddr(STACK_TOP - STACK_LIMIT - 1), Access::Read) == FaultResult::NoRegion);
  CHECK(s->mapped_pages() == STACK_LIMIT / P);
}

// Growth stops STACK_GUARD_GAP above the region below the stack.
TEST_CASE("stack: never within the guard gap of the region below") {
  VmEnv env;
  Space s;
  map_stack(*s, STACK, STACK_TOP);
  const u64 below_end = STACK - STACK_GUARD_GAP - 10 * P;
  must_map(*s, below_end - P, P, Prot::ReadWrite);
  CHECK(s->handle_fault(VirtAddr(below_end + STACK_GUARD_GAP - 1), Access::Write) == FaultResult::NoRegion);
  CHECK(region_at(*s, STACK).start == VirtAddr(STACK));
  CHECK(s->handle_fault(VirtAddr(below_end + STACK_GUARD_GAP), Access::Write) == FaultResult::Resolved);
  CHECK(region_at(*s, STACK).start == VirtAddr(below_end + STACK_GUARD_GAP));
  CHECK(s->handle_fault(VirtAddr(below_end + STACK_GUARD_GAP - 1), Access::Write) == FaultResult::NoRegion);
  CHECK(s->handle_fault(VirtAddr(below_end), Access::Write) == FaultResult::NoRegion);
  CHECK(counter(g_vm_stats.faults_stack_growth) == 1);
}

// Nothing is mapped below MMAP_MIN, not even a stack.
TEST_CASE("stack: never below MMAP_MIN") {
  VmEnv env;
  Space s;
  map_stack(*s, MMAP_MIN + 2 * P, MMAP_MIN + 4 * P);
  CHECK(s->handle_fault(VirtAddr(MMAP_MIN - 1), Access::Write) == FaultResult::NoRegion);
  CHECK(s->handle_fault(VirtAddr(0), Access::Read) == FaultResult::NoRegion);
  CHECK(s->handle_fault(VirtAddr(MMAP_MIN), Access::Write) == FaultResult::Resolved);
  CHECK(region_at(*s, MMAP_MIN).start == VirtAddr(MMAP_MIN));
  CHECK(s->handle_fault(VirtAddr(MMAP_MIN - 1), Access::Write) == FaultResult::NoRegion);
}

// Only stacks grow, and only downwards.
TEST_CASE("stack: other regions do not grow") {
  VmEnv env;
  Space s;
  must_map(*s, A, 4 * P, Prot::ReadWrite);
  map_stack(*s, A + 64 * P, A + 68 * P);
  CHECK(s->handle_fault(VirtAddr(A - 1), Access::Write) == FaultResult::NoRegion);
  CHECK(s->handle_fault(VirtAddr(A + 4 * P), Access::Write) == FaultResult::NoRegion);  // above a region
  CHECK(s->handle_fault(VirtAddr(A + 68 * P), Access::Write) == FaultResult::NoRegion);  // above the stack
  CHECK(region_at(*s, A).end == VirtAddr(A + 4 * P));
  CHECK(region_at(*s, A + 64 * P).start == VirtAddr(A + 64 * P));
  CHECK(counter(g_vm_stats.faults_stack_growth) == 0);
}

// A grown stack is copied by fork like any private memory, and each side grows its own.
TEST_CASE("stack: growth after fork is private") {
  VmEnv env;
  Space parent;
  map_stack(*parent, STACK, STACK_TOP);
  store(*parent, STACK - 1, 1);
  Space child = parent.fork();
  CHECK(region_at(*child, STACK - P).start == VirtAddr(STACK - P));
  CHECK(load(*child, STACK - 1) == 1);
  store(*child, STACK - 2 * P, 2);
  CHECK(region_at(*child, STACK - 2 * P).start == VirtAddr(STACK - 2 * P));
  CHECK(region_at(*parent, STACK - 2 * P).start == VirtAddr(0));
  store(*parent, STACK - P - 1, 3);
  CHECK(load(*child, STACK - P - 1) == 0);
}

}  // TEST_SUITE
