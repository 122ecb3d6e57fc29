// Resource limits an address space enforces (mm/limits.cpp; Linux's may_expand_vm, check_data_rlimit,
// acct_stack_growth, mprotect_fixup and vma_to_resize): RLIMIT_AS bounds every mapping (mmap, brk, stack growth,
// mremap growth), RLIMIT_DATA private writable ones that are not stacks (and brk the heap plus the data segment),
// RLIMIT_STACK the stack's growth. MAP_FIXED over a mapping counts only what it adds. The limits are the calling
// thread's (host_set_space_limits plays setrlimit).
#include <doctest/doctest.h>

#include "vm_test_env.h"

using namespace vmtest;

namespace {

constexpr u64 STACK = STACK_TOP - 4 * P;
constexpr u64 B = A + 1000 * P;  // mmaps go here (the heap starts at A)

void map_stack(AddressSpace& s) { must_map(s, STACK, STACK_TOP - STACK, Prot::ReadWrite, MapFlag::Fixed | MapFlag::Stack); }

SpaceLimits with_as(u64 bytes) {
  SpaceLimits l;
  l.address_space = bytes;
  return l;
}

SpaceLimits with_data(u64 bytes, u64 hard = SpaceLimits::NONE) {
  SpaceLimits l;
  l.data = bytes;
  l.data_max = hard;
  return l;
}

}  // namespace

TEST_SUITE("mm/limits") {

TEST_CASE("limits: RLIMIT_AS bounds mmap, brk and stack growth") {
  VmEnv env;
  Space s;
  s->set_brk_base(VirtAddr(A));
  map_stack(*s);  // 4 pages
  host_set_space_limits(with_as(20 * P));
  CHECK(map_anon(*s, B, 17 * P, Prot::Read).error() == Error::NOMEM);
  CHECK(map_anon(*s, 0, 17 * P, Prot::Read, 0).error() == Error::NOMEM);  // anywhere: the same
  must_map(*s, B, 10 * P, Prot::Read);                // 14 pages now
  must_map(*s, B + 5 * P, 10 * P, Prot::ReadWrite);  // half over the last: adds 5, 19 in all
  CHECK(map_anon(*s, B + 100 * P, 2 * P, Prot::Read).error() == Error::NOMEM);
  CHECK(s->region_count() == 3);  // the refused mappings changed nothing
  CHECK(s->brk(VirtAddr(A + 2 * P)) == VirtAddr(A));  // 2 more pages: refused
  CHECK(s->brk(VirtAddr(A + 10)) == VirtAddr(A + 10));  // 1: the limit exactly
  // No room left for the stack to grow: SIGSEGV (SEGV_MAPERR).
  CHECK(s->handle_fault(VirtAddr(STACK - 1), Access::Write) == FaultResult::NoRegion);
  REQUIRE(s->brk(VirtAddr(A)) == VirtAddr(A));
  CHECK(s->handle_fault(VirtAddr(STACK - 1), Access::Write) == FaultResult::Resolved);
  // Unlimited again: anything goes.
  host_reset_space_limits();
  must_map(*s, B + 100 * P, 64 * P, Prot::Read);
}

TEST_CASE("limits: MAP_FIXED over a mapping counts what it adds; a failed one leaves the old mapping") {
  VmEnv env;
  Space s;
  must_map(*s, B, 8 * P, Prot::ReadWrite);
  store(*s, B, 7);
  host_set_space_limits(with_as(8 * P));
  must_map(*s, B, 8 * P, Prot::Read);  // replaces all 8: adds none
  CHECK(load(*s, B) == 0);
  must_map(*s, B, 8 * P, Prot::ReadWrite);
  store(*s, B, 9);
  CHECK(map_anon(*s, B + 4 * P, 8 * P, Prot::Read).error() == Error::NOMEM);  // adds 4
  CHECK(load(*s, B) == 9);
  CHECK(load(*s, B + 5 * P) == 0);
  CHECK(region_at(*s, B).end == VirtAddr(B + 8 * P));
}

TEST_CASE("limits: RLIMIT_DATA counts private writable memory, not read-only, shared or stack") {
  VmEnv env;
  Space s;
  s->set_brk_base(VirtAddr(A));
  map_stack(*s);
  host_set_space_limits(with_data(8 * P));
  CHECK(map_anon(*s, B, 9 * P, Prot::ReadWrite).error() == Error::NOMEM);
  must_map(*s, B, 9 * P, Prot::Read);
  must_map(*s, B + 20 * P, 9 * P, Prot::ReadWrite, MapFlag::Fixed | MapFlag::Shared);
  must_map(*s, B + 40 * P, 9 * P, Prot::ReadWrite, MapFlag::Fixed | MapFlag::Stack);  // MAP_GROWSDOWN
  must_map(*s, B + 60 * P, 6 * P, Prot::ReadWrite);
  // brk: the heap (with the data segment, 0 here) and data_vm.
  CHECK(s->brk(VirtAddr(A + 3 * P)) == VirtAddr(A));
  CHECK(s->brk(VirtAddr(A + 2 * P)) == VirtAddr(A + 2 * P));
  CHECK(map_anon(*s, B + 80 * P, P, Prot::ReadWrite).error() == Error::NOMEM);
  CHECK(map_anon(*s, B + 80 * P, P, Prot::Read).has_value());
  // mprotect: making the read-only range writable would add 9 pages of data.
  CHECK(s->protect(VirtAddr(B), 9 * P, Prot::ReadWrite).error() == Error::NOMEM);
  CHECK(region_at(*s, B).prot == Prot::Read);
  CHECK(region_at(*s, B).end == VirtAddr(B + 9 * P));  // not split either
  // Already writable, or not writable at all: no check.
  CHECK(s->protect(VirtAddr(B + 60 * P), 6 * P, Prot::ReadWrite).has_value());
  CHECK(s->protect(VirtAddr(B + 60 * P), 6 * P, Prot::Read).has_value());
  CHECK(s->protect(VirtAddr(B), 4 * P, Prot::ReadWrite).has_value());  // 2 (heap) + 4 + 0
}

TEST_CASE("limits: brk counts the data segment, and checks a shrinking heap too") {
  VmEnv env;
  Space s;
  s->set_brk_base(VirtAddr(A), 3 * P);
  REQUIRE(s->brk(VirtAddr(A + 6 * P)) == VirtAddr(A + 6 * P));
  host_set_space_limits(with_data(8 * P));
  CHECK(s->brk(VirtAddr(A + 6 * P + 1)) == VirtAddr(A + 6 * P));  // 6 pages + 1 byte + 3 pages
  CHECK(s->brk(VirtAddr(A + 5 * P)) == VirtAddr(A + 5 * P));      // 5 + 3: exactly the limit
  host_set_space_limits(with_data(2 * P));
  CHECK(s->brk(VirtAddr(A + 4 * P)) == VirtAddr(A + 5 * P));  // Linux: refused even though it shrinks
  // A forked child has the same data segment.
  Space child = s.fork();
  CHECK(child->brk(VirtAddr(A + 4 * P)) == VirtAddr(A + 5 * P));
}

TEST_CASE("limits: a soft RLIMIT_DATA of 0 lets data grow to the hard limit (Linux's Valgrind workaround)") {
  VmEnv env;
  Space s;
  host_set_space_limits(with_data(0, 4 * P));
  must_map(*s, B, 4 * P, Prot::ReadWrite);
  CHECK(map_anon(*s, B + 10 * P, P, Prot::ReadWrite).error() == Error::NOMEM);
}

TEST_CASE("limits: RLIMIT_STACK bounds the stack's growth") {
  VmEnv env;
  Space s;
  map_stack(*s);
  SpaceLimits limits;
  limits.stack = 16 * P;
  host_set_space_limits(limits);
  CHECK(s->handle_fault(VirtAddr(STACK_TOP - 16 * P - 1), Access::Write) == FaultResult::NoRegion);
  CHECK(s->handle_fault(VirtAddr(STACK_TOP - 16 * P), Access::Write) == FaultResult::Resolved);
  CHECK(region_at(*s, STACK_TOP - 16 * P).start == VirtAddr(STACK_TOP - 16 * P));
  // Unlimited: it grows past the default 8 MiB (down to the guard gap above the next mapping).
  limits.stack = SpaceLimits::NONE;
  host_set_space_limits(limits);
  CHECK(s->handle_fault(VirtAddr(STACK_TOP - 16 * MiB), Access::Write) == FaultResult::Resolved);
}

TEST_CASE("limits: mremap growth counts against RLIMIT_AS and RLIMIT_DATA") {
  VmEnv env;
  Space s;
  must_map(*s, B, 4 * P, Prot::ReadWrite);
  must_map(*s, B + 100 * P, 4 * P, Prot::Read);
  host_set_space_limits(with_data(6 * P));
  CHECK(s->remap(VirtAddr(B), 4 * P, 7 * P, 0, VirtAddr(0)).error() == Error::NOMEM);
  CHECK(s->remap(VirtAddr(B), 4 * P, 6 * P, 0, VirtAddr(0)).value() == VirtAddr(B));
  CHECK(s->remap(VirtAddr(B + 100 * P), 4 * P, 40 * P, 0, VirtAddr(0)).has_value());  // read-only: not data
  host_set_space_limits(with_as(50 * P));
  CHECK(s->remap(VirtAddr(B + 100 * P), 40 * P, 45 * P, RemapFlag::MayMove, VirtAddr(0)).error() == Error::NOMEM);
  CHECK(s->remap(VirtAddr(B + 100 * P), 40 * P, 44 * P, RemapFlag::MayMove, VirtAddr(0)).has_value());
  // MREMAP_DONTUNMAP keeps the old range: it adds its size.
  CHECK(s->remap(VirtAddr(B), 6 * P, 6 * P, RemapFlag::MayMove | RemapFlag::DontUnmap, VirtAddr(0)).error() ==
        Error::NOMEM);
}

}  // TEST_SUITE
