// mm/fault.cpp: the page-fault handler, driven through a FakePmap. Demand-zero writes, the shared zero page for
// reads, protection checks (PROT_WRITE alone reads), private object pages (mapped read-only, copied on write),
// shared object pages (written in place), faults past the end of an object, and out-of-memory paths.
#include <doctest/doctest.h>

#include <vector>

#include "mm/vm_object.h"
#include "vm_test_env.h"

using namespace vmtest;

TEST_SUITE("mm/fault") {

// The first write to anonymous memory gives the process a fresh frame of its own, zeroed (the arena is filled
// with a poison byte, so a missing clear shows), mapped read-write and marked modified.
TEST_CASE("fault: demand-zero write maps a fresh zeroed frame read-write") {
  VmEnv env;
  Space s;
  must_map(*s, A, 4 * P, Prot::ReadWrite);
  CHECK(env.frames_used() == 0);  // mapping is lazy

  CHECK(s->handle_fault(VirtAddr(A + P + 0x10), Access::Write) == FaultResult::Resolved);
  const FakePmap::Mapping* m = s.pmap().find(VirtAddr(A + P));
  REQUIRE(m);
  CHECK(m->prot == Prot::ReadWrite);
  CHECK(m->modified);
  Frame* f = mapped_frame(*s, A + P);
  REQUIRE(f);
  CHECK(f != zero_page());
  CHECK(f->use == FrameUse::Anon);
  CHECK(f->refcount.load() == 1);
  CHECK(f->anon_vpn() == (A + P) >> PAGE_SHIFT);
  CHECK(page_is(f, 0));
  CHECK(counter(g_vm_stats.faults_demand_zero) == 1);
  CHECK(counter(g_vm_stats.anon_pages) == 1);
  CHECK(s->resident_anon_pages() == 1);
  CHECK(frames_in_use(FrameUse::Anon) == 1);
  // Only this page: its neighbours are untouched.
  CHECK_FALSE(is_mapped(*s, A));
  CHECK_FALSE(is_mapped(*s, A + 2 * P));

  // The page is the process's now: writes and reads use it without faulting again.
  store(*s, A + P + 100, 0x42);
  CHECK(load(*s, A + P + 100) == 0x42);
  CHECK(counter(g_vm_stats.faults_demand_zero) == 1);
  CHECK(counter(g_vm_stats.anon_pages) == 1);
}

// A fault that another hart already resolved finds the page in place and maps the same frame again.
TEST_CASE("fault: a fault on a resolved page changes nothing") {
  VmEnv env;
  Space s;
  must_map(*s, A, P, Prot::ReadWrite);
  store(*s, A, 7);
  Frame* f = mapped_frame(*s, A);
  u64 used = env.frames_used();
  CHECK(s->handle_fault(VirtAddr(A), Access::Write) == FaultResult::Resolved);
  CHECK(s->handle_fault(VirtAddr(A), Access::Read) == FaultResult::Resolved);
  CHECK(mapped_frame(*s, A) == f);
  CHECK(mapped_prot(*s, A) == Prot::ReadWrite);
  CHECK(env.frames_used() == used);
  CHECK(load(*s, A) == 7);
  CHECK(counter(g_vm_stats.anon_pages) == 1);
}

// Reading memory nobody wrote maps the shared zero page read-only and allocates nothing — not even anon-table
// nodes. A later write replaces it with a page of the process's own.
TEST_CASE("fault: reads of untouched anonymous memory map the zero page") {
  VmEnv env;
  Space s;
  must_map(*s, A, 4 * P, Prot::ReadWrite);
  CHECK(load(*s, A + 5) == 0);
  CHECK(mapped_frame(*s, A) == zero_page());
  CHECK(mapped_prot(*s, A) == Prot::Read);
  CHECK(counter(g_vm_stats.zero_page_hits) == 1);
  CHECK(load(*s, A + 2 * P) == 0);
  CHECK(load(*s, A + 3 * P + P - 1) == 0);
  CHECK(counter(g_vm_stats.zero_page_hits) == 3);
  CHECK(env.frames_used() == 0);
  CHECK(counter(g_vm_stats.anon_pages) == 0);
  CHECK(s->resident_anon_pages() == 0);
  CHECK(zero_page()->refcount.load() == 1);  // mappings hold no reference

  store(*s, A + 5, 0x99);
  Frame* own = mapped_frame(*s, A);
  CHECK(own != zero_page());
  CHECK(own->use == FrameUse::Anon);
  CHECK(mapped_prot(*s, A) == Prot::ReadWrite);
  CHECK(load(*s, A + 5) == 0x99);
  CHECK(load(*s, A + 4) == 0);
  CHECK(counter(g_vm_stats.faults_demand_zero) == 1);
  // The other pages still show the zero page, which is still all zeros (VmEnv checks it at the end).
  CHECK(mapped_frame(*s, A + 2 * P) == zero_page());
}

// An instruction fetch from untouched executable memory also gets the zero page, with the region's rights
// minus write.
TEST_CASE("fault: exec of untouched anonymous memory maps the zero page") {
  VmEnv env;
  Space s;
  must_map(*s, A, P, Prot::All);
  CHECK(access(*s, VirtAddr(A), Access::Exec) == FaultResult::Resolved);
  CHECK(mapped_frame(*s, A) == zero_page());
  CHECK(mapped_prot(*s, A) == Prot::ReadExec);
  CHECK(env.frames_used() == 0);
}

// No region: below, between and above the regions, at 0 and past the user half.
TEST_CASE("fault: outside every region is NoRegion") {
  VmEnv env;
  Space s;
  for (Access a : {Access::Read, Access::Write, Access::Exec}) {
    CHECK(s->handle_fault(VirtAddr(A), a) == FaultResult::NoRegion);
  }
  must_map(*s, A, 2 * P, Prot::All);
  must_map(*s, A + 4 * P, 2 * P, Prot::All);
  for (Access a : {Access::Read, Access::Write, Access::Exec}) {
    CHECK(s->handle_fault(VirtAddr(0), a) == FaultResult::NoRegion);
    CHECK(s->handle_fault(VirtAddr(A - 1), a) == FaultResult::NoRegion);
    CHECK(s->handle_fault(VirtAddr(A + 2 * P), a) == FaultResult::NoRegion);
    CHECK(s->handle_fault(VirtAddr(A + 4 * P - 1), a) == FaultResult::NoRegion);
    CHECK(s->handle_fault(VirtAddr(A + 6 * P), a) == FaultResult::NoRegion);
    CHECK(s->handle_fault(VirtAddr(USER_END), a) == FaultResult::NoRegion);
    CHECK(s->handle_fault(VirtAddr(~0ull), a) == FaultResult::NoRegion);
  }
  CHECK(s.pmap().mappings().empty());
  CHECK(env.frames_used() == 0);
}

// The region's protection decides: a write to read-only memory, a fetch from non-executable memory, any
// access to PROT_NONE memory are access errors; PROT_WRITE alone is readable (effective_prot), as on Linux.
// A refused access maps and allocates nothing.
TEST_CASE("fault: forbidden accesses are AccessError") {
  VmEnv env;
  Space s;
  const u64 R = A, RW = A + 2 * P, NONE = A + 4 * P, W = A + 6 * P, X = A + 8 * P, RX = A + 10 * P;
  must_map(*s, R, P, Prot::Read);
  must_map(*s, RW, P, Prot::ReadWrite);
  must_map(*s, NONE, P, Prot::None);
  must_map(*s, W, P, Prot::Write);
  must_map(*s, X, P, Prot::Exec);
  must_map(*s, RX, P, Prot::ReadExec);

  CHECK(s->handle_fault(VirtAddr(R), Access::Write) == FaultResult::AccessError);
  CHECK(s->handle_fault(VirtAddr(R), Access::Exec) == FaultResult::AccessError);
  CHECK(s->handle_fault(VirtAddr(RW), Access::Exec) == FaultResult::AccessError);
  CHECK(s->handle_fault(VirtAddr(RX), Access::Write) == FaultResult::AccessError);
  for (Access a : {Access::Read, Access::Write, Access::Exec})
    CHECK(s->handle_fault(VirtAddr(NONE + 8), a) == FaultResult::AccessError);
  CHECK(s->handle_fault(VirtAddr(W), Access::Exec) == FaultResult::AccessError);
  CHECK(s->handle_fault(VirtAddr(X), Access::Read) == FaultResult::AccessError);
  CHECK(s->handle_fault(VirtAddr(X), Access::Write) == FaultResult::AccessError);
  CHECK(s.pmap().mappings().empty());
  CHECK(env.frames_used() == 0);

  // What is allowed works.
  CHECK(access(*s, VirtAddr(R), Access::Read) == FaultResult::Resolved);
  CHECK(access(*s, VirtAddr(RX), Access::Exec) == FaultResult::Resolved);
  CHECK(access(*s, VirtAddr(X), Access::Exec) == FaultResult::Resolved);
  CHECK(mapped_prot(*s, X) == Prot::Exec);
  // PROT_WRITE alone: a read maps the zero page readable, a write maps a page read-write.
  CHECK(access(*s, VirtAddr(W), Access::Read) == FaultResult::Resolved);
  CHECK(mapped_frame(*s, W) == zero_page());
  CHECK(mapped_prot(*s, W) == Prot::Read);
  store(*s, W + 3, 3);
  CHECK(mapped_prot(*s, W) == Prot::ReadWrite);
  CHECK(load(*s, W + 3) == 3);
}

// A private mapping of an object: a read maps the object's own page read-only (even in a writable region); a
// write copies it into a page of the process's own, and the object's page stays as it was.
TEST_CASE("fault: private object pages are mapped read-only and copied on write") {
  VmEnv env;
  auto obj = MemoryObject::create(8 * P, "file");
  REQUIRE(obj);
  Frame* page3 = obj->get_page(3).value();
  memset(g_phys.kernel_pointer(page3), 0x33, P);
  Space s;
  // Region page 0 is object page 2.
  REQUIRE(map_object(*s, A, 4 * P, Prot::ReadWrite, obj, 2).has_value());

  CHECK(load(*s, A + P + 17) == 0x33);
  CHECK(mapped_frame(*s, A + P) == page3);
  CHECK(mapped_prot(*s, A + P) == Prot::Read);
  CHECK(counter(g_vm_stats.faults_object) == 1);
  CHECK(counter(g_vm_stats.anon_pages) == 0);

  store(*s, A + P + 17, 0x44);
  Frame* copy = mapped_frame(*s, A + P);
  CHECK(copy != page3);
  CHECK(copy->use == FrameUse::Anon);
  CHECK(mapped_prot(*s, A + P) == Prot::ReadWrite);
  CHECK(counter(g_vm_stats.faults_cow_copy) == 1);
  CHECK(load(*s, A + P + 17) == 0x44);
  CHECK(load(*s, A + P + 18) == 0x33);  // the rest of the page was copied
  CHECK(page_is(page3, 0x33));           // the object is unchanged
  CHECK(s->resident_anon_pages() == 1);

  // A first write to a page the object does not have yet: the object gets a zero page, the process a copy.
  CHECK(obj->peek_page(4) == nullptr);
  store(*s, A + 2 * P, 0x55);
  REQUIRE(obj->peek_page(4));
  CHECK(page_is(obj->peek_page(4), 0));
  CHECK(obj->resident_pages() == 2);
  CHECK(counter(g_vm_stats.faults_cow_copy) == 2);

  // A fetch from a private executable mapping maps the object's page without write.
  Space t;
  REQUIRE(map_object(*t, A, 4 * P, Prot::All, obj, 2).has_value());
  CHECK(access(*t, VirtAddr(A + P), Access::Exec) == FaultResult::Resolved);
  CHECK(mapped_frame(*t, A + P) == page3);
  CHECK(mapped_prot(*t, A + P) == Prot::ReadExec);
}

// A shared mapping uses the object's pages with the region's protection; writes land in the object and every
// mapping sees them. No anonymous page is made.
TEST_CASE("fault: shared mappings read and write the object's pages") {
  VmEnv env;
  auto obj = MemoryObject::create(4 * P);
  Space s, t;
  REQUIRE(map_object(*s, A, 4 * P, Prot::ReadWrite, obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
  REQUIRE(map_object(*t, A + 16 * P, 2 * P, Prot::Read, obj, 1, MapFlag::Fixed | MapFlag::Shared).has_value());

  CHECK(load(*s, A + P) == 0);
  CHECK(mapped_frame(*s, A + P) == obj->peek_page(1));
  CHECK(mapped_prot(*s, A + P) == Prot::ReadWrite);  // shared: no copy-on-write, so writable at once
  CHECK_FALSE(s.pmap().find(VirtAddr(A + P))->modified);
  store(*s, A + P + 9, 0x77);
  CHECK(s.pmap().find(VirtAddr(A + P))->modified);
  CHECK(g_phys.kernel_pointer(obj->peek_page(1))[9] == 0x77);
  CHECK(load(*t, A + 16 * P + 9) == 0x77);
  CHECK(mapped_frame(*t, A + 16 * P) == obj->peek_page(1));
  CHECK(mapped_prot(*t, A + 16 * P) == Prot::Read);
  CHECK(access(*t, VirtAddr(A + 16 * P), Access::Write) == FaultResult::AccessError);

  // A write fault on an unmapped shared page.
  CHECK(s->handle_fault(VirtAddr(A + 3 * P), Access::Write) == FaultResult::Resolved);
  CHECK(s.pmap().find(VirtAddr(A + 3 * P))->modified);
  CHECK(obj->resident_pages() == 2);
  CHECK(counter(g_vm_stats.anon_pages) == 0);
  CHECK(s->resident_anon_pages() == 0);
  CHECK(counter(g_vm_stats.faults_object) == 3);
}

// A shared mapping of a file whose file system is full (a tmpfs at its size=) gets SIGBUS for a page that would
// need a new frame, as Linux's shmem_fault; pages it has are used as ever.
TEST_CASE("fault: a shared page of a full file system is BusError") {
  VmEnv env;
  RefPtr<PageBudget> budget = PageBudget::create(1);
  auto obj = MemoryObject::create(4 * P, nullptr, 0, budget);
  Space s;
  REQUIRE(map_object(*s, A, 4 * P, Prot::ReadWrite, obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
  CHECK(access(*s, VirtAddr(A), Access::Write) == FaultResult::Resolved);
  CHECK(s->handle_fault(VirtAddr(A + P), Access::Write) == FaultResult::BusError);
  CHECK(s->handle_fault(VirtAddr(A + 2 * P), Access::Read) == FaultResult::BusError);
  CHECK_FALSE(is_mapped(*s, A + P));
  CHECK(obj->resident_pages() == 1);
  CHECK(budget->used() == 1);
}

// Pages of a region that lie past the end of its object raise SIGBUS (BusError), private or shared, read or
// write; the partial last page of the object is still accessible. Nothing is allocated for them.
TEST_CASE("fault: past the end of the object is BusError") {
  VmEnv env;
  auto obj = MemoryObject::create(2 * P + 100);  // three pages, the last one partial
  Space s;
  REQUIRE(map_object(*s, A, 5 * P, Prot::ReadWrite, obj).has_value());
  REQUIRE(map_object(*s, A + 8 * P, 5 * P, Prot::ReadWrite, obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
  REQUIRE(map_object(*s, A + 16 * P, 2 * P, Prot::ReadWrite, obj, 3).has_value());  // starts past the end

  for (u64 base : {A, A + 8 * P}) {
    CAPTURE(base);
    CHECK(s->handle_fault(VirtAddr(base + 3 * P), Access::Read) == FaultResult::BusError);
    CHECK(s->handle_fault(VirtAddr(base + 4 * P + 5), Access::Write) == FaultResult::BusError);
    CHECK_FALSE(is_mapped(*s, base + 3 * P));
    CHECK_FALSE(is_mapped(*s, base + 4 * P));
    CHECK(load(*s, base + 2 * P + 200) == 0);  // inside the last, partial page
  }
  CHECK(s->handle_fault(VirtAddr(A + 16 * P), Access::Read) == FaultResult::BusError);
  CHECK(s->handle_fault(VirtAddr(A + 17 * P), Access::Write) == FaultResult::BusError);
  CHECK(obj->resident_pages() == 1);
  CHECK(counter(g_vm_stats.anon_pages) == 0);
  CHECK(s->resident_anon_pages() == 0);

  // Growing the object makes the pages reachable.
  REQUIRE(obj->set_size(5 * P).has_value());
  CHECK(access(*s, VirtAddr(A + 4 * P), Access::Write) == FaultResult::Resolved);
  CHECK(access(*s, VirtAddr(A + 8 * P + 4 * P), Access::Read) == FaultResult::Resolved);
}

// The handler remembers the region of the last fault; that cache must never answer for a region that was
// re-protected, cut, unmapped or replaced since.
TEST_CASE("fault: the last-region cache follows region changes") {
  VmEnv env;
  Space s;
  must_map(*s, A, 4 * P, Prot::ReadWrite);
  store(*s, A, 1);
  REQUIRE(s->protect(VirtAddr(A), 2 * P, Prot::None).has_value());
  CHECK(s->handle_fault(VirtAddr(A), Access::Read) == FaultResult::AccessError);
  store(*s, A + 3 * P, 2);
  REQUIRE(s->protect(VirtAddr(A + 3 * P), P, Prot::Read).has_value());
  CHECK(s->handle_fault(VirtAddr(A + 3 * P), Access::Write) == FaultResult::AccessError);
  CHECK(load(*s, A + 2 * P) == 0);
  REQUIRE(s->unmap(VirtAddr(A + 2 * P), P).has_value());
  CHECK(s->handle_fault(VirtAddr(A + 2 * P), Access::Read) == FaultResult::NoRegion);
  must_map(*s, A + 2 * P, P, Prot::Read);
  CHECK(s->handle_fault(VirtAddr(A + 2 * P), Access::Write) == FaultResult::AccessError);
  CHECK(load(*s, A + 2 * P) == 0);
  REQUIRE(s->protect(VirtAddr(A), 4 * P, Prot::ReadWrite).has_value());
  CHECK(s->region_count() == 1);
  CHECK(load(*s, A) == 1);
  CHECK(load(*s, A + 3 * P) == 2);
  store(*s, A + 2 * P, 3);
}

// When the pmap cannot enter a mapping (no page-table page), the fault reclaims and starts over, without the
// lock: once memory is back it resolves. What it already made stays owned by the address space and the retry
// uses it. A pmap that never has memory makes the fault give up after a bounded number of rounds.
TEST_CASE("fault: a failing pmap enter is retried after reclaim; one that keeps failing is OutOfMemory") {
  VmEnv env;
  auto obj = MemoryObject::create(P);
  Space s;
  must_map(*s, A, 2 * P, Prot::ReadWrite);
  REQUIRE(map_object(*s, A + 4 * P, P, Prot::ReadWrite, obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());

  s.pmap().fail_next_enters(1);
  CHECK(s->handle_fault(VirtAddr(A), Access::Write) == FaultResult::Resolved);
  CHECK(counter(g_vm_stats.anon_pages) == 1);
  CHECK(mapped_prot(*s, A) == Prot::ReadWrite);

  s.pmap().fail_next_enters(1000);
  CHECK(s->handle_fault(VirtAddr(A + P), Access::Write) == FaultResult::OutOfMemory);
  CHECK_FALSE(is_mapped(*s, A + P));
  CHECK(counter(g_vm_stats.anon_pages) == 2);
  s.pmap().fail_next_enters(0);
  CHECK(s->handle_fault(VirtAddr(A + P), Access::Write) == FaultResult::Resolved);
  CHECK(counter(g_vm_stats.anon_pages) == 2);

  s.pmap().fail_next_enters(1);
  CHECK(access(*s, VirtAddr(A + P), Access::Read) == FaultResult::Resolved);
  s.pmap().fail_next_enters(1);
  CHECK(access(*s, VirtAddr(A + 4 * P), Access::Write) == FaultResult::Resolved);
  CHECK(obj->resident_pages() == 1);
}

// With physical memory exhausted a write fault (which needs a frame) reports OutOfMemory and a read of
// anonymous memory still works (the zero page needs none); once memory is back the write succeeds.
TEST_CASE("fault: out of physical memory") {
  VmEnv env;
  auto obj = MemoryObject::create(2 * P);
  Space s;
  must_map(*s, A, 2 * P, Prot::ReadWrite);
  REQUIRE(map_object(*s, A + 4 * P, 2 * P, Prot::ReadWrite, obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
  REQUIRE(map_object(*s, A + 8 * P, 2 * P, Prot::ReadWrite, obj).has_value());
  store(*s, A, 1);  // the anon table's nodes exist now

  std::vector<Frame*> hoard;
  while (Frame* f = g_phys.alloc_frame(FrameUse::Kernel)) hoard.push_back(f);
  CHECK(s->handle_fault(VirtAddr(A + P), Access::Write) == FaultResult::OutOfMemory);
  CHECK(s->handle_fault(VirtAddr(A + 4 * P), Access::Read) == FaultResult::OutOfMemory);  // object page
  CHECK(s->handle_fault(VirtAddr(A + 8 * P), Access::Read) == FaultResult::OutOfMemory);
  CHECK(access(*s, VirtAddr(A + P), Access::Read) == FaultResult::Resolved);
  CHECK(mapped_frame(*s, A + P) == zero_page());
  CHECK(load(*s, A) == 1);
  CHECK(counter(g_vm_stats.anon_pages) == 1);
  CHECK(obj->resident_pages() == 0);

  for (Frame* f : hoard) g_phys.free_frame(f);
  store(*s, A + P, 2);
  store(*s, A + 4 * P, 3);
  CHECK(load(*s, A + 8 * P) == 3);
  CHECK(load(*s, A + P) == 2);
  CHECK(counter(g_vm_stats.anon_pages) == 2);
}

}  // TEST_SUITE
