// mm/map.cpp: mmap, munmap, mprotect and MADV_DONTNEED on an address space, with Linux's rules. Region
// bookkeeping is checked through for_each_region (layout()), the pages through the anon-page counters, and the
// machine side through the FakePmap: munmap splits regions, releases the private pages and removes the mappings
// of exactly its range; mprotect splits, lowers mappings, refuses holes (ENOMEM) and rights beyond max_prot
// (EACCES), and merges alike neighbours again; mmap places regions (fixed, no-replace, hints, top-down below
// MMAP_BASE, then above it, as find_free_range predicts), honours MAX_MAP_COUNT and MAP_POPULATE.
#include <doctest/doctest.h>

#include <vector>

#include "mm/vm_object.h"
#include "vm_test_env.h"

using namespace vmtest;

namespace {


// Maps [A, A + pages) read-write and writes byte i+1 into page i.
void map_written(AddressSpace& s, u64 start, u64 pages) {
  must_map(s, start, pages * P, Prot::ReadWrite);
  for (u64 i = 0; i < pages; i++) store(s, start + i * P, u8(i + 1));
}

// Every region lies after the one before it (no overlap) and is page aligned and non-empty.
bool regions_are_ordered(const AddressSpace& s) {
  bool ok = true;
  u64 last_end = 0;
  s.for_each_region([&](const Region& r) {
    ok &= r.m_start.is_page_aligned() && r.m_end.is_page_aligned() && r.m_start < r.m_end;
    ok &= r.m_start.get() >= last_end;
    last_end = r.m_end.get();
  });
  return ok;
}

}  // namespace

TEST_SUITE("mm/map") {

// munmap of the head, the tail, the middle and finally the rest of a region: the region is cut at the range
// ends, and exactly the pages in the range lose their frames and their mappings.
TEST_CASE("munmap: head, tail, middle and whole") {
  VmEnv env;
  Space s;
  map_written(*s, A, 8);
  CHECK(counter(g_vm_stats.anon_pages) == 8);

  REQUIRE(s->unmap(VirtAddr(A), 2 * P).has_value());
  CHECK(layout(*s) == lines({region_line(A + 2 * P, A + 8 * P, "rw-p")}));
  CHECK(counter(g_vm_stats.anon_pages) == 6);
  CHECK(mapped_count(*s, A, A + 2 * P) == 0);
  CHECK(mapped_count(*s, A + 2 * P, A + 8 * P) == 6);

  REQUIRE(s->unmap(VirtAddr(A + 6 * P), 2 * P).has_value());
  CHECK(layout(*s) == lines({region_line(A + 2 * P, A + 6 * P, "rw-p")}));
  CHECK(counter(g_vm_stats.anon_pages) == 4);
  CHECK(mapped_count(*s, A + 6 * P, A + 8 * P) == 0);

  REQUIRE(s->unmap(VirtAddr(A + 3 * P), P).has_value());
  CHECK(layout(*s) == lines({region_line(A + 2 * P, A + 3 * P, "rw-p"), region_line(A + 4 * P, A + 6 * P, "rw-p")}));
  CHECK(counter(g_vm_stats.anon_pages) == 3);
  CHECK(s->resident_anon_pages() == 3);
  CHECK_FALSE(is_mapped(*s, A + 3 * P));
  CHECK(s->handle_fault(VirtAddr(A + 3 * P), Access::Read) == FaultResult::NoRegion);
  CHECK(load(*s, A + 2 * P) == 3);
  CHECK(load(*s, A + 4 * P) == 5);
  CHECK(load(*s, A + 5 * P) == 6);
  CHECK(s->mapped_pages() == 3);

  REQUIRE(s->unmap(VirtAddr(A + 2 * P), 4 * P).has_value());
  CHECK(layout(*s) == "");
  CHECK(s->region_count() == 0);
  CHECK(counter(g_vm_stats.anon_pages) == 0);
  CHECK(s->resident_anon_pages() == 0);
  CHECK(s.pmap().mappings().empty());
  // With no page left, the anon table gave its nodes back too.
  CHECK(frames_in_use(FrameUse::VmMeta) == 0);
}

// One munmap across several regions and the holes between them: regions inside go, regions straddling an end
// are cut, pages outside the range (even within a cut region) stay.
TEST_CASE("munmap: across holes") {
  VmEnv env;
  Space s;
  map_written(*s, A, 3);
  must_map(*s, A + 5 * P, 2 * P, Prot::Read);
  map_written(*s, A + 9 * P, 3);
  REQUIRE(s->unmap(VirtAddr(A + P), 10 * P).has_value());
  CHECK(layout(*s) == lines({region_line(A, A + P, "rw-p"), region_line(A + 11 * P, A + 12 * P, "rw-p")}));
  CHECK(counter(g_vm_stats.anon_pages) == 2);
  CHECK(mapped_count(*s, A, A + 12 * P) == 2);
  CHECK(load(*s, A) == 1);
  CHECK(load(*s, A + 11 * P) == 3);
  s.pmap().clear_calls();
  // A range with no region at all is not an error (Linux).
  REQUIRE(s->unmap(VirtAddr(A + 2 * P), 4 * P).has_value());
  CHECK(s->region_count() == 2);
}

// munmap frees the page-table pages that served only the hole it leaves (Linux's free_pgtables): a table (one
// per 2 MiB, one per 1 GiB) goes when no region is left anywhere in its span; a table a neighbour still uses
// stays, whoever else it served. The anon table's nodes (a leaf per 2 MiB, a middle node per 1 GiB, a root) go
// by the same rule.
TEST_CASE("munmap: page tables of the hole go, a neighbour's stay") {
  constexpr u64 MB2 = 2 * MiB, GB = 1 * GiB;
  static_assert(A % GB == 0 || A % MB2 == 0, "the test counts tables from A on: A starts a 2 MiB span");
  VmEnv env;
  Space s;
  auto anon_nodes = [&] { return s->page_table_pages() - s.pmap().table_pages(); };
  u64 empty = s.pmap().table_pages();  // the root
  map_written(*s, A, 2);                       // span 1 of the first GiB
  must_map(*s, A + 8 * P, P, Prot::Read);      // span 1 too, another region
  map_written(*s, A + 2 * MB2, 1);             // span 3
  map_written(*s, A + GB, 1);                  // the next GiB
  CHECK(load(*s, A + 8 * P) == 0);
  CHECK(s.pmap().table_pages() == empty + 3 + 2);  // three 2 MiB tables, two 1 GiB tables
  CHECK(anon_nodes() == 1 + 2 + 3);

  // A region whose span holds another region: the table stays.
  REQUIRE(s->unmap(VirtAddr(A), 2 * P).has_value());
  CHECK(s.pmap().table_pages() == empty + 5);
  CHECK(anon_nodes() == 6);
  // The last region in span 1: its table goes; the GiB's table stays (span 3 is in use).
  REQUIRE(s->unmap(VirtAddr(A + 8 * P), P).has_value());
  CHECK(s.pmap().table_pages() == empty + 4);
  CHECK(anon_nodes() == 5);
  // The only region of the second GiB: both its tables go.
  REQUIRE(s->unmap(VirtAddr(A + GB), P).has_value());
  CHECK(s.pmap().table_pages() == empty + 2);
  CHECK(anon_nodes() == 3);
  // Mapped again: tables come back; the last munmap leaves only the root.
  map_written(*s, A, 1);
  CHECK(s.pmap().table_pages() == empty + 3);
  CHECK(anon_nodes() == 4);
  REQUIRE(s->unmap(VirtAddr(A), 3 * MB2).has_value());
  CHECK(s.pmap().table_pages() == empty);
  CHECK(anon_nodes() == 0);
  CHECK(s.pmap().pending_flushes() == 0);  // unmap's update() did the fences (and, on Sv39, the frees)
  CHECK(env.frames_used() == 0);
}

// MAP_FIXED over a mapping keeps its tables: the range is mapped again at once.
TEST_CASE("mmap: MAP_FIXED over a mapping keeps the page tables") {
  VmEnv env;
  Space s;
  map_written(*s, A, 4);
  u64 tables = s.pmap().table_pages();
  s.pmap().clear_calls();
  must_map(*s, A, 4 * P, Prot::ReadWrite);
  for (const std::string& call : s.pmap().calls()) CHECK(call.rfind("free_tables", 0) != 0);
  CHECK(s.pmap().table_pages() == tables);
}

// munmap's argument checks: the start must be page aligned, the length non-zero and inside the user half; a
// length that is not a multiple of the page size is rounded up.
TEST_CASE("munmap: arguments") {
  VmEnv env;
  Space s;
  map_written(*s, A, 4);
  CHECK(s->unmap(VirtAddr(A + 1), P).error() == Error::INVAL);
  CHECK(s->unmap(VirtAddr(A), 0).error() == Error::INVAL);
  CHECK(s->unmap(VirtAddr(USER_END), P).error() == Error::INVAL);
  CHECK(s->unmap(VirtAddr(USER_END - P), 2 * P).error() == Error::INVAL);
  CHECK(s->region_count() == 1);
  CHECK(counter(g_vm_stats.anon_pages) == 4);
  REQUIRE(s->unmap(VirtAddr(A), P + 1).has_value());  // two pages
  CHECK(layout(*s) == lines({region_line(A + 2 * P, A + 4 * P, "rw-p")}));
  CHECK(counter(g_vm_stats.anon_pages) == 2);
}

// Cutting an object mapping keeps each piece's window on the object: the upper piece starts at the right object
// page, and the object's reverse map lists each piece.
TEST_CASE("munmap: object mappings keep their offsets") {
  VmEnv env;
  auto obj = MemoryObject::create(16 * P);
  for (u64 i = 0; i < 16; i++) g_phys.kernel_pointer(obj->get_page(i).value())[0] = u8(0x80 + i);
  Space s;
  REQUIRE(map_object(*s, A, 6 * P, Prot::Read, obj, 3).has_value());
  REQUIRE(s->unmap(VirtAddr(A + 2 * P), P).has_value());
  CHECK(region_at(*s, A).object_page == 3);
  CHECK(region_at(*s, A + 3 * P).object_page == 6);
  CHECK(region_at(*s, A + 3 * P).object == obj.get());
  CHECK(load(*s, A + P) == 0x84);
  CHECK(load(*s, A + 4 * P) == 0x87);
  int regions = 0;
  obj->for_each_region([&](Region& r) {
    CHECK(r.m_space == s.get());
    regions++;
  });
  CHECK(regions == 2);
  REQUIRE(s->unmap(VirtAddr(A), 6 * P).has_value());
  regions = 0;
  obj->for_each_region([&](Region&) { regions++; });
  CHECK(regions == 0);
  CHECK(obj->resident_pages() == 16);  // unmapping never frees the object's pages
}

// After fork, munmap in one space drops only that space's references.
TEST_CASE("munmap: shared copy-on-write pages lose one owner") {
  VmEnv env;
  Space parent;
  map_written(*parent, A, 4);
  Space child = parent.fork();
  REQUIRE(child->unmap(VirtAddr(A + P), 2 * P).has_value());
  CHECK(mapped_frame(*parent, A)->refcount.load() == 2);
  CHECK(mapped_frame(*parent, A + P)->refcount.load() == 1);
  CHECK(mapped_frame(*parent, A + 2 * P)->refcount.load() == 1);
  CHECK(counter(g_vm_stats.anon_pages) == 4);
  CHECK(load(*parent, A + P) == 2);
}

// mprotect of part of a region splits it; the mappings in the range lose rights, the others keep them; setting
// the old protection back merges the pieces again.
TEST_CASE("mprotect: split, lower the mappings, merge back") {
  VmEnv env;
  Space s;
  map_written(*s, A, 8);
  REQUIRE(s->protect(VirtAddr(A + 2 * P), 2 * P, Prot::Read).has_value());
  CHECK(layout(*s) == lines({region_line(A, A + 2 * P, "rw-p"), region_line(A + 2 * P, A + 4 * P, "r--p"),
                             region_line(A + 4 * P, A + 8 * P, "rw-p")}));
  for (u64 i = 0; i < 8; i++) {
    CAPTURE(i);
    CHECK(mapped_prot(*s, A + i * P) == (i == 2 || i == 3 ? Prot::Read : Prot::ReadWrite));
  }
  CHECK(access(*s, VirtAddr(A + 2 * P), Access::Write) == FaultResult::AccessError);
  CHECK(load(*s, A + 3 * P) == 4);

  // Head and tail of the region.
  REQUIRE(s->protect(VirtAddr(A), P, Prot::None).has_value());
  REQUIRE(s->protect(VirtAddr(A + 7 * P), P, Prot::ReadExec).has_value());
  CHECK(layout(*s) == lines({region_line(A, A + P, "---p"), region_line(A + P, A + 2 * P, "rw-p"),
                             region_line(A + 2 * P, A + 4 * P, "r--p"), region_line(A + 4 * P, A + 7 * P, "rw-p"),
                             region_line(A + 7 * P, A + 8 * P, "r-xp")}));
  CHECK_FALSE(is_mapped(*s, A));  // no rights left: the mapping is gone
  CHECK(mapped_prot(*s, A + 7 * P) == Prot::Read);
  CHECK(access(*s, VirtAddr(A), Access::Read) == FaultResult::AccessError);

  // Everything read-write again: one region, and the data survived.
  REQUIRE(s->protect(VirtAddr(A), 8 * P, Prot::ReadWrite).has_value());
  CHECK(layout(*s) == lines({region_line(A, A + 8 * P, "rw-p")}));
  CHECK(s->region_count() == 1);
  for (u64 i = 0; i < 8; i++) CHECK(load(*s, A + i * P) == i + 1);
  store(*s, A + 2 * P, 0x20);  // raised rights take effect through a fault
  CHECK(counter(g_vm_stats.anon_pages) == 8);
  CHECK(counter(g_vm_stats.faults_cow_copy) == 0);
}

// mprotect merges the changed range with alike neighbours on both sides, but not with a neighbour that differs
// in backing or is not adjacent.
TEST_CASE("mprotect: merges with neighbours") {
  VmEnv env;
  auto obj = MemoryObject::create(4 * P);
  Space s;
  must_map(*s, A, 2 * P, Prot::Read);
  must_map(*s, A + 2 * P, 2 * P, Prot::ReadWrite);
  must_map(*s, A + 4 * P, 2 * P, Prot::Read);
  REQUIRE(map_object(*s, A + 6 * P, 2 * P, Prot::Read, obj).has_value());
  must_map(*s, A + 9 * P, P, Prot::ReadWrite);
  CHECK(s->region_count() == 5);
  REQUIRE(s->protect(VirtAddr(A + 2 * P), 2 * P, Prot::Read).has_value());
  CHECK(layout(*s) == lines({region_line(A, A + 6 * P, "r--p"), region_line(A + 6 * P, A + 8 * P, "r--p"),
                             region_line(A + 9 * P, A + 10 * P, "rw-p")}));
  REQUIRE(s->protect(VirtAddr(A + 9 * P), P, Prot::Read).has_value());
  CHECK(s->region_count() == 3);
}

// A range with a hole is ENOMEM and nothing changes, wherever the hole is (also when the range starts in it).
TEST_CASE("mprotect: a hole is ENOMEM and changes nothing") {
  VmEnv env;
  Space s;
  map_written(*s, A, 2);
  map_written(*s, A + 3 * P, 2);
  std::string before = layout(*s);
  s.pmap().clear_calls();
  CHECK(s->protect(VirtAddr(A), 5 * P, Prot::Read).error() == Error::NOMEM);           // hole inside
  CHECK(s->protect(VirtAddr(A + 2 * P), 3 * P, Prot::Read).error() == Error::NOMEM);   // starts in the hole
  CHECK(s->protect(VirtAddr(A + P), 2 * P, Prot::Read).error() == Error::NOMEM);       // ends in the hole
  CHECK(s->protect(VirtAddr(A + 3 * P), 3 * P, Prot::Read).error() == Error::NOMEM);   // runs past the end
  CHECK(s->protect(VirtAddr(A - P), 2 * P, Prot::Read).error() == Error::NOMEM);       // starts before
  CHECK(s->protect(VirtAddr(A + 32 * P), P, Prot::Read).error() == Error::NOMEM);      // nothing there
  CHECK(layout(*s) == before);
  CHECK(s.pmap().calls().empty());
  CHECK(mapped_prot(*s, A) == Prot::ReadWrite);
  CHECK(mapped_prot(*s, A + 4 * P) == Prot::ReadWrite);
  // Argument checks.
  CHECK(s->protect(VirtAddr(A + 1), P, Prot::Read).error() == Error::INVAL);
  CHECK(s->protect(VirtAddr(A), 0, Prot::Read).has_value());  // nothing to do
  CHECK(s->protect(VirtAddr(USER_END - P), 2 * P, Prot::Read).error() == Error::NOMEM);
}

// Rights beyond the region's max_prot (a shared mapping of a read-only file) are EACCES, checked for the whole
// range before anything changes.
TEST_CASE("mprotect: beyond max_prot is EACCES") {
  VmEnv env;
  auto obj = MemoryObject::create(4 * P);
  Space s;
  must_map(*s, A, 2 * P, Prot::ReadWrite);
  MapRequest req;
  req.address = VirtAddr(A + 2 * P);
  req.length = 2 * P;
  req.prot = Prot::Read;
  req.max_prot = Prot::ReadExec;
  req.flags = MapFlag::Fixed | MapFlag::Shared;
  req.object = obj;
  REQUIRE(s->map(req).has_value());
  std::string before = layout(*s);
  CHECK(s->protect(VirtAddr(A + 2 * P), 2 * P, Prot::ReadWrite).error() == Error::ACCESS);
  CHECK(s->protect(VirtAddr(A), 4 * P, Prot::Write).error() == Error::ACCESS);
  CHECK(layout(*s) == before);
  REQUIRE(s->protect(VirtAddr(A + 3 * P), P, Prot::ReadExec).has_value());
  REQUIRE(s->protect(VirtAddr(A + 2 * P), P, Prot::None).has_value());
  CHECK(layout(*s) == lines({region_line(A, A + 2 * P, "rw-p"), region_line(A + 2 * P, A + 3 * P, "---s"),
                             region_line(A + 3 * P, A + 4 * P, "r-xs")}));
  CHECK(region_at(*s, A + 3 * P).max_prot == Prot::ReadExec);
  CHECK(region_at(*s, A + 3 * P).object_page == 1);
}

// Pages still shared copy-on-write stay protected when a region is made writable again: the next write copies.
TEST_CASE("mprotect: raising rights keeps copy-on-write") {
  VmEnv env;
  Space parent;
  map_written(*parent, A, 2);
  REQUIRE(parent->protect(VirtAddr(A), 2 * P, Prot::Read).has_value());
  Space child = parent.fork();
  REQUIRE(parent->protect(VirtAddr(A), 2 * P, Prot::ReadWrite).has_value());
  CHECK(mapped_prot(*parent, A) == Prot::Read);
  store(*parent, A, 0x10);
  CHECK(counter(g_vm_stats.faults_cow_copy) == 1);
  REQUIRE(child->protect(VirtAddr(A), 2 * P, Prot::ReadWrite).has_value());
  CHECK(load(*child, A) == 1);
  store(*child, A, 0x20);
  CHECK(counter(g_vm_stats.faults_cow_copy) == 1);  // the child is the last owner now
  CHECK(load(*parent, A) == 0x10);
}

// MAP_FIXED replaces whatever lies in its range: the old pages are gone, the new mapping reads zeros, the old
// region keeps its pieces outside the range.
TEST_CASE("mmap: MAP_FIXED replaces") {
  VmEnv env;
  Space s;
  map_written(*s, A, 6);
  must_map(*s, A + 2 * P, 2 * P, Prot::Read);
  CHECK(layout(*s) == lines({region_line(A, A + 2 * P, "rw-p"), region_line(A + 2 * P, A + 4 * P, "r--p"),
                             region_line(A + 4 * P, A + 6 * P, "rw-p")}));
  CHECK(counter(g_vm_stats.anon_pages) == 4);
  CHECK_FALSE(is_mapped(*s, A + 2 * P));
  CHECK(load(*s, A + 2 * P) == 0);
  CHECK(mapped_frame(*s, A + 2 * P) == zero_page());
  CHECK(load(*s, A + 4 * P) == 5);
  // A replacement alike to its neighbours merges with them.
  must_map(*s, A + 2 * P, 2 * P, Prot::ReadWrite);
  CHECK(layout(*s) == lines({region_line(A, A + 6 * P, "rw-p")}));
  CHECK(load(*s, A + 3 * P) == 0);
  CHECK(load(*s, A + P) == 2);
}

// MAP_FIXED_NOREPLACE fails with EEXIST on any overlap and changes nothing; into free space it works.
TEST_CASE("mmap: MAP_FIXED_NOREPLACE") {
  VmEnv env;
  Space s;
  map_written(*s, A + 2 * P, 2);
  for (u64 start : {A, A + 2 * P, A + 3 * P}) {
    CAPTURE(start);
    CHECK(map_anon(*s, start, 3 * P, Prot::Read, MapFlag::FixedNoReplace).error() == Error::EXIST);
  }
  CHECK(s->region_count() == 1);
  CHECK(counter(g_vm_stats.anon_pages) == 2);
  CHECK(map_anon(*s, A, 2 * P, Prot::Read, MapFlag::FixedNoReplace).value() == VirtAddr(A));
  CHECK(map_anon(*s, A + 4 * P, P, Prot::Read, MapFlag::FixedNoReplace).value() == VirtAddr(A + 4 * P));
  CHECK(map_anon(*s, A + 1, P, Prot::Read, MapFlag::FixedNoReplace).error() == Error::INVAL);
  CHECK(map_anon(*s, A + 1, P, Prot::Read, MapFlag::Fixed).error() == Error::INVAL);
  CHECK(map_anon(*s, USER_END - P, 2 * P, Prot::Read, MapFlag::Fixed).error() == Error::NOMEM);
  CHECK(map_anon(*s, USER_END, P, Prot::Read, MapFlag::FixedNoReplace).error() == Error::NOMEM);
}

// Without MAP_FIXED the address is a hint, taken (rounded down to a page) when the range is free and inside
// [MMAP_MIN, USER_END); otherwise the region goes where the top-down search puts it.
TEST_CASE("mmap: hints") {
  VmEnv env;
  Space s;
  const u64 H = 0x200000000;
  CHECK(map_anon(*s, H, 2 * P, Prot::Read, 0).value() == VirtAddr(H));
  CHECK(map_anon(*s, H + 2 * P + 0x123, P, Prot::Read, 0).value() == VirtAddr(H + 2 * P));
  CHECK(map_anon(*s, H + P, P, Prot::Read, 0).value() == VirtAddr(MMAP_BASE - P));  // taken
  CHECK(map_anon(*s, MMAP_MIN - P, P, Prot::Read, 0).value() == VirtAddr(MMAP_BASE - 2 * P));  // too low
  CHECK(map_anon(*s, USER_END - P, 2 * P, Prot::Read, 0).value() == VirtAddr(MMAP_BASE - 4 * P));  // too high
  // A hole that fits exactly.
  must_map(*s, H + 4 * P, P, Prot::Read);
  CHECK(map_anon(*s, H + 3 * P, P, Prot::ReadWrite, 0).value() == VirtAddr(H + 3 * P));
  CHECK(regions_are_ordered(*s));
}

// A hint is not honoured inside the guard gap below a stack (Linux: vm_start_gap), so the stack can still grow.
TEST_CASE("mmap: hints keep out of the stack guard gap") {
  VmEnv env;
  Space s;
  const u64 stack = STACK_TOP - 4 * P;
  must_map(*s, stack, 4 * P, Prot::ReadWrite, MapFlag::Fixed | MapFlag::Stack);
  CHECK(map_anon(*s, stack - P, P, Prot::Read, 0).value() == VirtAddr(MMAP_BASE - P));
  CHECK(map_anon(*s, stack - STACK_GUARD_GAP, P, Prot::Read, 0).value() == VirtAddr(MMAP_BASE - 2 * P));
  CHECK(map_anon(*s, stack - STACK_GUARD_GAP - P, P, Prot::Read, 0).value() == VirtAddr(stack - STACK_GUARD_GAP - P));
  // MAP_FIXED may still go there.
  must_map(*s, stack - P, P, Prot::Read);
}

// The top-down search: below MMAP_BASE first, filling the highest gap that fits; when nothing below MMAP_BASE
// fits, above it (still keeping the stack's guard gap); ENOMEM when nothing fits at all.
TEST_CASE("mmap: top-down placement and its fallback") {
  VmEnv env;
  Space s;
  CHECK(map_anon(*s, 0, 5 * P, Prot::ReadWrite, 0).value() == VirtAddr(MMAP_BASE - 5 * P));
  CHECK(map_anon(*s, 0, 2 * P, Prot::Read, 0).value() == VirtAddr(MMAP_BASE - 7 * P));
  REQUIRE(s->unmap(VirtAddr(MMAP_BASE - 5 * P), 3 * P).has_value());  // a 3-page hole under MMAP_BASE - 2P
  CHECK(map_anon(*s, 0, 4 * P, Prot::Read, 0).value() == VirtAddr(MMAP_BASE - 11 * P));  // does not fit in it
  CHECK(map_anon(*s, 0, 3 * P, Prot::Exec, 0).value() == VirtAddr(MMAP_BASE - 5 * P));  // fits exactly

  const u64 stack = STACK_TOP - 16 * P;
  must_map(*s, stack, 16 * P, Prot::ReadWrite, MapFlag::Fixed | MapFlag::Stack);
  // Fill everything from MMAP_MIN to MMAP_BASE.
  must_map(*s, MMAP_MIN, MMAP_BASE - MMAP_MIN, Prot::Read);
  CHECK(map_anon(*s, 0, 3 * P, Prot::Read, 0).value() == VirtAddr(stack - STACK_GUARD_GAP - 3 * P));
  CHECK(map_anon(*s, 0, 3 * P, Prot::Read, 0).value() == VirtAddr(stack - STACK_GUARD_GAP - 6 * P));
  // Fill the rest up to the guard gap: nothing fits any more, not even one page.
  must_map(*s, MMAP_BASE, stack - STACK_GUARD_GAP - 6 * P - MMAP_BASE, Prot::Read);
  CHECK(map_anon(*s, 0, P, Prot::Read, 0).error() == Error::NOMEM);
  CHECK(map_anon(*s, MMAP_BASE, P, Prot::Read, 0).error() == Error::NOMEM);
  CHECK(regions_are_ordered(*s));
  CHECK(env.frames_used() == 0);
}

// find_free_range (how exec places the vDSO) names the place map() without an address would take, and takes
// nothing itself.
TEST_CASE("mmap: find_free_range predicts the top-down placement") {
  VmEnv env;
  Space s;
  CHECK(s->find_free_range(3 * P).value() == VirtAddr(MMAP_BASE - 3 * P));
  CHECK(s->find_free_range(3 * P - 1).value() == VirtAddr(MMAP_BASE - 3 * P));  // rounded up to pages
  CHECK(s->region_count() == 0);
  must_map(*s, MMAP_BASE - 2 * P, 2 * P, Prot::Read);
  VirtAddr predicted = s->find_free_range(2 * P).value();
  CHECK(predicted == VirtAddr(MMAP_BASE - 4 * P));
  CHECK(map_anon(*s, 0, 2 * P, Prot::Read, 0).value() == predicted);
  CHECK(s->find_free_range(USER_END).error() == Error::NOMEM);
}

// Lengths: zero is EINVAL; more than the user half or than the space between MMAP_MIN and its end is ENOMEM.
TEST_CASE("mmap: lengths") {
  VmEnv env;
  Space s;
  CHECK(map_anon(*s, 0, 0, Prot::Read, 0).error() == Error::INVAL);
  CHECK(map_anon(*s, 0, ~0ull, Prot::Read, 0).error() == Error::INVAL);  // rounds up past 2^64
  CHECK(map_anon(*s, 0, USER_END + P, Prot::Read, 0).error() == Error::NOMEM);
  CHECK(map_anon(*s, 0, USER_END - MMAP_MIN + P, Prot::Read, 0).error() == Error::NOMEM);
  CHECK(map_anon(*s, 0, USER_END - MMAP_MIN, Prot::Read, 0).value() == VirtAddr(MMAP_MIN));
  CHECK(map_anon(*s, 0, 1, Prot::Read, 0).error() == Error::NOMEM);
  CHECK(region_at(*s, MMAP_MIN).end == VirtAddr(USER_END));
}

// Adjacent alike regions made by mmap merge; different rights, objects, object offsets, stacks and the heap
// do not.
TEST_CASE("mmap: merging of adjacent regions") {
  VmEnv env;
  auto obj = MemoryObject::create(16 * P);
  auto other = MemoryObject::create(16 * P);
  Space s;
  must_map(*s, A, P, Prot::ReadWrite);
  must_map(*s, A + P, P, Prot::ReadWrite);
  must_map(*s, A + 3 * P, P, Prot::ReadWrite);
  must_map(*s, A + 2 * P, P, Prot::ReadWrite);  // fills the gap: one region of four pages
  CHECK(layout(*s) == lines({region_line(A, A + 4 * P, "rw-p")}));
  must_map(*s, A + 4 * P, P, Prot::Read);
  CHECK(s->region_count() == 2);

  const u64 B = A + 64 * P;
  REQUIRE(map_object(*s, B, 2 * P, Prot::Read, obj, 4).has_value());
  REQUIRE(map_object(*s, B + 2 * P, 2 * P, Prot::Read, obj, 6).has_value());  // continues the window: merges
  CHECK(region_at(*s, B).end == VirtAddr(B + 4 * P));
  REQUIRE(map_object(*s, B + 4 * P, P, Prot::Read, obj, 9).has_value());  // skips object page 8
  REQUIRE(map_object(*s, B + 5 * P, P, Prot::Read, other, 10).has_value());
  must_map(*s, B + 6 * P, P, Prot::Read);  // anonymous
  REQUIRE(map_object(*s, B + 7 * P, P, Prot::Read, obj, 11, MapFlag::Fixed | MapFlag::Shared).has_value());
  CHECK(s->region_count() == 2 + 5);
  CHECK(load(*s, B + 3 * P) == 0);
  CHECK(mapped_frame(*s, B + 3 * P) == obj->peek_page(7));

  const u64 C = A + 128 * P;
  must_map(*s, C, P, Prot::ReadWrite, MapFlag::Fixed | MapFlag::Stack);
  must_map(*s, C + P, P, Prot::ReadWrite, MapFlag::Fixed | MapFlag::Stack);
  must_map(*s, C + 2 * P, P, Prot::ReadWrite, MapFlag::Fixed | MapFlag::Heap);
  must_map(*s, C + 3 * P, P, Prot::ReadWrite, MapFlag::Fixed | MapFlag::Heap);
  CHECK(s->region_count() == 7 + 4);
  CHECK(regions_are_ordered(*s));
}

// MAP_POPULATE faults every page in at once: writable private memory gets zeroed frames of its own, read-only
// memory the zero page, shared memory the object's pages. PROT_NONE memory is not populated: no mapping can
// have no rights at all (on Sv39 a leaf without R, W and X would be a pointer to a page table).
TEST_CASE("mmap: MAP_POPULATE") {
  VmEnv env;
  auto obj = MemoryObject::create(3 * P);
  Space s;
  must_map(*s, A, 4 * P, Prot::ReadWrite, MapFlag::Fixed | MapFlag::Populate);
  CHECK(mapped_count(*s, A, A + 4 * P) == 4);
  CHECK(counter(g_vm_stats.anon_pages) == 4);
  CHECK(mapped_prot(*s, A + 3 * P) == Prot::ReadWrite);
  CHECK(load(*s, A + 3 * P + 5) == 0);

  must_map(*s, A + 8 * P, 2 * P, Prot::Read, MapFlag::Fixed | MapFlag::Populate);
  CHECK(mapped_frame(*s, A + 9 * P) == zero_page());
  CHECK(counter(g_vm_stats.anon_pages) == 4);

  REQUIRE(map_object(*s, A + 16 * P, 3 * P, Prot::ReadWrite, obj, 0, MapFlag::Fixed | MapFlag::Shared | MapFlag::Populate)
              .has_value());
  CHECK(obj->resident_pages() == 3);
  CHECK(mapped_frame(*s, A + 18 * P) == obj->peek_page(2));

  must_map(*s, A + 24 * P, 2 * P, Prot::None, MapFlag::Fixed | MapFlag::Populate);
  CHECK(mapped_count(*s, A + 24 * P, A + 26 * P) == 0);
  for (auto& [va, m] : s.pmap().mappings()) CHECK(m.prot != Prot::None);
  CHECK(access(*s, VirtAddr(A + 24 * P), Access::Read) == FaultResult::AccessError);
}

// Populating is best effort, as on Linux: past the end of the object, or out of memory, the map still succeeds
// and the remaining pages fault later.
TEST_CASE("mmap: MAP_POPULATE is best effort") {
  VmEnv env;
  auto obj = MemoryObject::create(2 * P);
  Space s;
  REQUIRE(map_object(*s, A, 4 * P, Prot::Read, obj, 0, MapFlag::Fixed | MapFlag::Shared | MapFlag::Populate).has_value());
  CHECK(mapped_count(*s, A, A + 4 * P) == 2);
  CHECK(s->handle_fault(VirtAddr(A + 2 * P), Access::Read) == FaultResult::BusError);

  std::vector<Frame*> hoard;
  while (Frame* f = g_phys.alloc_frame(FrameUse::Kernel)) hoard.push_back(f);
  CHECK(map_anon(*s, A + 8 * P, 2 * P, Prot::ReadWrite, MapFlag::Fixed | MapFlag::Populate).has_value());
  for (Frame* f : hoard) g_phys.free_frame(f);
  CHECK(mapped_count(*s, A + 8 * P, A + 10 * P) == 0);
  CHECK(counter(g_vm_stats.anon_pages) == 0);
  store(*s, A + 9 * P, 1);
  CHECK(load(*s, A + 9 * P) == 1);
}

// The number of regions is limited as Linux 6.1 limits it (vm.max_map_count): a new mapping (mmap, brk) is made
// while there are at most MAX_MAP_COUNT regions, so one more than that can exist; a split for mprotect needs
// fewer than MAX_MAP_COUNT, and so does a munmap that leaves a hole inside one region (munmap at an end of a
// region adds none and is always allowed); removing regions makes room again.
TEST_CASE("mmap: MAX_MAP_COUNT") {
  VmEnv env;
  Space s;
  const u64 base = 0x100000000;
  must_map(*s, base, 4 * P, Prot::Read);
  for (u64 i = 1; i < MAX_MAP_COUNT; i++) {
    // Every other page, so that no two regions merge.
    auto r = map_anon(*s, base + (3 + 2 * i) * P, P, Prot::Read, MapFlag::FixedNoReplace);
    if (r.is_error()) REQUIRE_MESSAGE(false, "map " << i << " failed");
  }
  REQUIRE(s->region_count() == MAX_MAP_COUNT);
  CHECK(s->protect(VirtAddr(base + P), P, Prot::ReadWrite).error() == Error::NOMEM);
  CHECK(s->unmap(VirtAddr(base + P), P).error() == Error::NOMEM);
  // One more mapping is allowed; then none, not even one that would merge, nor a bigger heap.
  REQUIRE(map_anon(*s, A, P, Prot::Read, 0).has_value());
  CHECK(s->region_count() == MAX_MAP_COUNT + 1);
  CHECK(map_anon(*s, A + 2 * P, P, Prot::Read, 0).error() == Error::NOMEM);
  CHECK(map_anon(*s, A + P, P, Prot::Read, 0).error() == Error::NOMEM);
  CHECK(map_anon(*s, A + 4 * P, P, Prot::Read).error() == Error::NOMEM);
  s->set_brk_base(VirtAddr(A + 64 * P));
  CHECK(s->brk(VirtAddr(A + 65 * P)) == VirtAddr(A + 64 * P));
  CHECK(s->region_count() == MAX_MAP_COUNT + 1);
  // A munmap at the end of a region splits and removes: no region more, allowed at the limit.
  REQUIRE(s->unmap(VirtAddr(base + 3 * P), P).has_value());
  REQUIRE(s->unmap(VirtAddr(base), P).has_value());
  CHECK(s->region_count() == MAX_MAP_COUNT + 1);
  // Whole regions can still be changed and removed.
  REQUIRE(s->protect(VirtAddr(base + P), 2 * P, Prot::ReadWrite).has_value());
  REQUIRE(s->unmap(VirtAddr(base + P), 2 * P).has_value());
  CHECK(s->region_count() == MAX_MAP_COUNT);
  CHECK(map_anon(*s, A + 2 * P, P, Prot::Read, 0).has_value());
  CHECK(s->region_count() == MAX_MAP_COUNT + 1);
}

// Every operation that changes mappings finishes the deferred TLB work (pmap update) before it returns: a
// removed or write-protected mapping must not survive in some TLB once the frame may be reused.
TEST_CASE("pmap: every operation flushes what it deferred") {
  VmEnv env;
  Space s;
  auto flushed = [&](const char* what) {
    INFO(what);
    CHECK(s.pmap().pending_flushes() == 0);
  };
  s->set_brk_base(VirtAddr(A + 64 * P));
  must_map(*s, A, 8 * P, Prot::ReadWrite, MapFlag::Fixed | MapFlag::Populate);
  flushed("mmap with MAP_POPULATE");
  must_map(*s, A + 2 * P, P, Prot::Read);
  flushed("MAP_FIXED over mapped pages");
  REQUIRE(s->protect(VirtAddr(A), 2 * P, Prot::Read).has_value());
  flushed("mprotect");
  REQUIRE(s->unmap(VirtAddr(A + 6 * P), P).has_value());
  flushed("munmap");
  REQUIRE(s->discard(VirtAddr(A + 4 * P), P).has_value());
  flushed("MADV_DONTNEED");
  Space child = s.fork();
  flushed("fork");
  u8 byte = 1;
  REQUIRE(s->write(VirtAddr(A + 7 * P), &byte, 1).has_value());
  flushed("kernel write");
  REQUIRE(s->brk(VirtAddr(A + 68 * P)) == VirtAddr(A + 68 * P));
  for (u64 i = 64; i < 68; i++) store(*s, A + i * P, 1);
  REQUIRE(s->brk(VirtAddr(A + 65 * P)) == VirtAddr(A + 65 * P));
  flushed("brk shrink");
  CHECK(s.pmap().updates() > 0);
}

// MADV_DONTNEED drops the private pages of the range: anonymous memory reads as zeros again, a private file
// mapping shows the file again, a shared mapping keeps its data (it is in the object). A hole is ENOMEM.
TEST_CASE("madvise: discard") {
  VmEnv env;
  auto obj = MemoryObject::create(2 * P);
  memset(g_phys.kernel_pointer(obj->get_page(0).value()), 0x5f, P);
  Space s;
  map_written(*s, A, 4);
  REQUIRE(map_object(*s, A + 4 * P, 2 * P, Prot::ReadWrite, obj).has_value());
  REQUIRE(map_object(*s, A + 6 * P, 2 * P, Prot::ReadWrite, obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
  store(*s, A + 4 * P, 0x11);
  store(*s, A + 7 * P, 0x22);
  CHECK(counter(g_vm_stats.anon_pages) == 5);

  REQUIRE(s->discard(VirtAddr(A + P), 7 * P).has_value());
  CHECK(counter(g_vm_stats.anon_pages) == 1);
  CHECK(mapped_count(*s, A + P, A + 8 * P) == 0);
  CHECK(s->region_count() == 3);
  CHECK(load(*s, A) == 1);
  CHECK(load(*s, A + P) == 0);
  CHECK(load(*s, A + 4 * P) == 0x5f);
  CHECK(mapped_frame(*s, A + 4 * P) == obj->peek_page(0));
  CHECK(load(*s, A + 7 * P) == 0x22);

  // A hole is NOMEM, after the mapped parts took the advice (Linux's madvise_walk_vmas).
  CHECK(s->discard(VirtAddr(A), 16 * P).error() == Error::NOMEM);
  CHECK(load(*s, A) == 0);
  store(*s, A, 1);
  CHECK(s->discard(VirtAddr(A - P), 2 * P).error() == Error::NOMEM);
  CHECK(load(*s, A) == 0);
  CHECK(s->discard(VirtAddr(USER_END - P), 2 * P).error() == Error::NOMEM);
  CHECK(s->discard(VirtAddr(A + 1), P).error() == Error::INVAL);
  CHECK(s->discard(VirtAddr(A), ~0ull).error() == Error::INVAL);
  CHECK(s->discard(VirtAddr(A + 16 * P), 0).has_value());
}

// mlocked memory keeps its pages against MADV_DONTNEED and MADV_FREE (EINVAL, Linux's
// madvise_dontneed_free_valid_vma); MADV_DONTNEED_LOCKED drops them. The walk stops at the locked region.
TEST_CASE("madvise: DONTNEED and FREE refuse mlocked memory, DONTNEED_LOCKED does not") {
  VmEnv env;
  Space s;
  map_written(*s, A, 2);
  map_written(*s, A + 2 * P, 2);
  REQUIRE(s->set_locked(VirtAddr(A + 2 * P), 2 * P, AddressSpace::LockMode::Lock).has_value());
  store(*s, A, 5);
  store(*s, A + 2 * P, 7);
  CHECK(s->advise(VirtAddr(A), 4 * P, Advice::DontNeed).error() == Error::INVAL);
  CHECK(load(*s, A) == 0);      // the region before the locked one took the advice
  CHECK(load(*s, A + 2 * P) == 7);
  CHECK(s->advise(VirtAddr(A + 2 * P), 2 * P, Advice::Free).error() == Error::INVAL);
  CHECK(load(*s, A + 2 * P) == 7);
  REQUIRE(s->advise(VirtAddr(A + 2 * P), 2 * P, Advice::DontNeedLocked).has_value());
  CHECK(load(*s, A + 2 * P) == 0);
}

// MADV_FREE: private anonymous memory only (EINVAL for an object's region, which stops the walk there);
// MADV_WILLNEED reads an object's pages in without mapping them; MADV_POPULATE_* fault the pages in with the
// region's rights (EINVAL without them, EFAULT past the object's end); MADV_REMOVE's errors.
TEST_CASE("madvise: free, willneed, populate, remove") {
  VmEnv env;
  auto obj = MemoryObject::create(2 * P);
  Space s;
  map_written(*s, A, 2);
  REQUIRE(map_object(*s, A + 2 * P, 4 * P, Prot::ReadWrite, obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
  must_map(*s, A + 6 * P, 2 * P, Prot::Write);
  CHECK(s->advise(VirtAddr(A), 3 * P, Advice::Free).error() == Error::INVAL);
  CHECK(counter(g_vm_stats.anon_pages) == 0);  // the first region took the advice before the error
  CHECK(load(*s, A) == 0);

  CHECK(obj->resident_pages() == 0);
  REQUIRE(s->advise(VirtAddr(A + 2 * P), 4 * P, Advice::WillNeed).has_value());
  CHECK(obj->resident_pages() == 2);  // the pages past its end are not there to read
  CHECK(mapped_count(*s, A + 2 * P, A + 6 * P) == 0);

  CHECK(s->advise(VirtAddr(A + 2 * P), 4 * P, Advice::PopulateRead).error() == Error::FAULT);
  CHECK(mapped_count(*s, A + 2 * P, A + 6 * P) == 2);
  CHECK(s->advise(VirtAddr(A + 6 * P), 2 * P, Advice::PopulateRead).error() == Error::INVAL);  // write-only
  REQUIRE(s->advise(VirtAddr(A + 6 * P), 2 * P, Advice::PopulateWrite).has_value());
  CHECK(counter(g_vm_stats.anon_pages) == 2);
  CHECK(mapped_prot(*s, A + 7 * P) == Prot::ReadWrite);
  REQUIRE(s->advise(VirtAddr(A), 2 * P, Advice::PopulateRead).has_value());
  CHECK(mapped_frame(*s, A) == zero_page());
  CHECK(s.pmap().pending_flushes() == 0);

  CHECK(s->advise(VirtAddr(A), P, Advice::Remove).error() == Error::INVAL);
  CHECK(s->advise(VirtAddr(A + 2 * P), P, Advice::Remove).error() == Error::NOTSUP);
  REQUIRE(s->protect(VirtAddr(A + 2 * P), P, Prot::Read).has_value());
  CHECK(s->advise(VirtAddr(A + 2 * P), P, Advice::Remove).error() == Error::ACCESS);
  CHECK(s->advise(VirtAddr(A + 8 * P), P, Advice::Hint).error() == Error::NOMEM);
  CHECK(s->advise(VirtAddr(A), 8 * P, Advice::Hint).has_value());
}

// exec picks the layout from RLIMIT_STACK (Linux's arch_pick_mmap_layout, without randomization): the mmap base
// leaves the stack its limit and the guard gap, at least MMAP_MIN_GAP and at most MMAP_MAX_GAP; an unlimited
// stack gives the legacy bottom-up layout from a third of the user half. Fork keeps the layout.
TEST_CASE("mmap: the layout follows RLIMIT_STACK") {
  VmEnv env;
  Space s;
  CHECK(!s->mmap_bottom_up());
  CHECK(s->mmap_base() == VirtAddr(MMAP_BASE));
  s->set_mmap_layout(8 * MiB);  // the default: the minimum gap
  CHECK(map_anon(*s, 0, P, Prot::Read, 0).value() == VirtAddr(USER_END - MMAP_MIN_GAP - P));
  s->set_mmap_layout(1 * GiB + 123);
  CHECK(s->mmap_base() == VirtAddr(align_up(USER_END - 1 * GiB - 123 - STACK_GUARD_GAP, P)));
  CHECK(map_anon(*s, 0, 2 * P, Prot::Read, 0).value() == s->mmap_base() - 2 * P);
  s->set_mmap_layout(~0ull - 1);  // near infinity: the maximum gap
  CHECK(s->mmap_base() == VirtAddr(align_up(USER_END - MMAP_MAX_GAP, P)));
  s->set_mmap_layout(SpaceLimits::NONE);
  CHECK(s->mmap_bottom_up());
  CHECK(s->mmap_base() == VirtAddr(MMAP_LEGACY_BASE));
  VirtAddr a = map_anon(*s, 0, 4 * P, Prot::Read, 0).value();
  CHECK(a == VirtAddr(MMAP_LEGACY_BASE));
  CHECK(map_anon(*s, 0, P, Prot::Read, 0).value() == a + 4 * P);  // upwards
  CHECK(!s->unmap(a, P).is_error());
  CHECK(map_anon(*s, 0, 2 * P, Prot::Read, 0).value() == a + 5 * P);  // the one-page hole is too small
  CHECK(map_anon(*s, 0, P, Prot::Read, 0).value() == a);               // the lowest hole that fits
  Space child = s.fork();
  CHECK(child->mmap_bottom_up());
  CHECK(child->mmap_base() == VirtAddr(MMAP_LEGACY_BASE));
}

}  // TEST_SUITE
