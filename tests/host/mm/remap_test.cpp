// mm/remap.cpp: mremap with Linux's rules. Shrinking unmaps the tail; growing stays in place when the pages after
// the region are free; a move (MayMove, Fixed, DontUnmap) carries the very frames to the new place (checked by
// frame pointers and by the frame counters: no page is copied), re-keys them (Frame::anon_vpn), and leaves the
// old range unmapped or (DontUnmap) mapped and empty; a page still shared copy-on-write with a forked child is
// copied for the mover; errors (EFAULT, EINVAL, ENOMEM) change nothing, including a move that runs out of
// memory half-way.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "mm/vm_object.h"
#include "vm_test_env.h"

using namespace vmtest;

namespace {

// Maps [start, start + pages) read-write and writes byte i+1 into page i.
void map_written(AddressSpace& s, u64 start, u64 pages) {
  must_map(s, start, pages * P, Prot::ReadWrite);
  for (u64 i = 0; i < pages; i++) store(s, start + i * P, u8(i + 1));
}

std::vector<Frame*> frames_at(AddressSpace& s, u64 start, u64 pages) {
  std::vector<Frame*> frames;
  for (u64 i = 0; i < pages; i++) {
    (void)load(s, start + i * P);
    frames.push_back(mapped_frame(s, start + i * P));
  }
  return frames;
}

Result<VirtAddr> remap(AddressSpace& s, u64 old_address, u64 old_length, u64 new_length, u32 flags = 0,
                       u64 new_address = 0) {
  return s.remap(VirtAddr(old_address), old_length, new_length, flags, VirtAddr(new_address));
}

}  // namespace

TEST_SUITE("mm/remap") {

TEST_CASE("mremap: shrink unmaps the tail") {
  VmEnv env;
  Space s;
  map_written(*s, A, 4);
  REQUIRE(remap(*s, A, 4 * P, P + 1).value() == VirtAddr(A));  // lengths round up to pages
  CHECK(layout(*s) == lines({region_line(A, A + 2 * P, "rw-p")}));
  CHECK(counter(g_vm_stats.anon_pages) == 2);
  CHECK(mapped_count(*s, A + 2 * P, A + 4 * P) == 0);
  CHECK(s.pmap().pending_flushes() == 0);
  CHECK(load(*s, A + P) == 2);
  // The same length changes nothing.
  REQUIRE(remap(*s, A, 2 * P, 2 * P).value() == VirtAddr(A));
  CHECK(layout(*s) == lines({region_line(A, A + 2 * P, "rw-p")}));
}

TEST_CASE("mremap: grow in place when the pages after are free") {
  VmEnv env;
  Space s;
  map_written(*s, A, 2);
  must_map(*s, A + 4 * P, P, Prot::Read);
  auto frames = frames_at(*s, A, 2);
  REQUIRE(remap(*s, A, 2 * P, 4 * P).value() == VirtAddr(A));
  CHECK(layout(*s) == lines({region_line(A, A + 4 * P, "rw-p"), region_line(A + 4 * P, A + 5 * P, "r--p")}));
  CHECK(frames_at(*s, A, 2) == frames);
  CHECK(load(*s, A + 3 * P) == 0);
  store(*s, A + 3 * P, 7);
  // Now the next region is in the way: without MayMove, ENOMEM, nothing changed.
  CHECK(remap(*s, A, 4 * P, 5 * P).error() == Error::NOMEM);
  CHECK(layout(*s) == lines({region_line(A, A + 4 * P, "rw-p"), region_line(A + 4 * P, A + 5 * P, "r--p")}));
  // A range that does not run to its region's end cannot grow in place either.
  must_map(*s, A + 16 * P, 4 * P, Prot::ReadWrite);
  CHECK(remap(*s, A + 16 * P, 2 * P, 3 * P).error() == Error::NOMEM);
  // Growing merges with an alike region after the gap.
  must_map(*s, A + 24 * P, 2 * P, Prot::ReadWrite);
  REQUIRE(remap(*s, A + 16 * P, 4 * P, 8 * P).value() == VirtAddr(A + 16 * P));
  CHECK(region_at(*s, A + 16 * P).end == VirtAddr(A + 26 * P));
}

TEST_CASE("mremap: MayMove carries the frames, copying none") {
  VmEnv env;
  Space s;
  map_written(*s, A, 3);
  must_map(*s, A + 3 * P, P, Prot::Read);  // in the way
  auto frames = frames_at(*s, A, 3);
  u64 used = env.frames_used();
  u64 copies = counter(g_vm_stats.faults_cow_copy);
  u64 anon = counter(g_vm_stats.anon_pages), resident = s->resident_anon_pages();
  u64 anon_frames = frames_in_use(FrameUse::Anon);
  auto moved = remap(*s, A, 3 * P, 6 * P, RemapFlag::MayMove);
  REQUIRE(moved.has_value());
  u64 to = moved.value().get();
  CHECK(to != A);
  // The old range is gone, with its mappings (flushed), and no hart can reach it.
  CHECK(s->handle_fault(VirtAddr(A), Access::Read) == FaultResult::NoRegion);
  CHECK(mapped_count(*s, A, A + 3 * P) == 0);
  CHECK(s.pmap().pending_flushes() == 0);
  CHECK(region_at(*s, to).start == VirtAddr(to));
  CHECK(region_at(*s, to).end == VirtAddr(to + 6 * P));
  CHECK(region_at(*s, to).prot == Prot::ReadWrite);
  for (u64 i = 0; i < 3; i++) {
    CHECK(load(*s, to + i * P) == i + 1);
    CHECK(mapped_frame(*s, to + i * P) == frames[i]);
    CHECK(frames[i]->anon_vpn() == (to >> PAGE_SHIFT) + i);
    CHECK(frames[i]->refcount.load() == 1);
  }
  CHECK(counter(g_vm_stats.anon_pages) == anon);
  CHECK(s->resident_anon_pages() == resident);
  CHECK(counter(g_vm_stats.faults_cow_copy) == copies);
  // Only anon-table nodes for the new place (and page tables) may be new: no data frame.
  CHECK(frames_in_use(FrameUse::Anon) == anon_frames);
  CHECK(env.frames_used() <= used + 4);
  CHECK(load(*s, to + 5 * P) == 0);
  // Writing the moved pages reuses them.
  store(*s, to, 9);
  CHECK(mapped_frame(*s, to) == frames[0]);
}

TEST_CASE("mremap: Fixed replaces the target; the ranges may not overlap") {
  VmEnv env;
  Space s;
  map_written(*s, A, 2);
  map_written(*s, A + 8 * P, 4);  // the target, 4 pages of other data
  auto frames = frames_at(*s, A, 2);
  CHECK(remap(*s, A, 2 * P, 2 * P, RemapFlag::MayMove | RemapFlag::Fixed, A + P).error() == Error::INVAL);
  CHECK(remap(*s, A, 2 * P, 2 * P, RemapFlag::MayMove | RemapFlag::Fixed, A + 8 * P + 1).error() == Error::INVAL);
  CHECK(remap(*s, A, 2 * P, 2 * P, RemapFlag::MayMove | RemapFlag::Fixed, USER_END - P).error() == Error::INVAL);
  CHECK(counter(g_vm_stats.anon_pages) == 6);
  REQUIRE(remap(*s, A, 2 * P, 3 * P, RemapFlag::MayMove | RemapFlag::Fixed, A + 8 * P).value() == VirtAddr(A + 8 * P));
  // The target's first three pages were unmapped (their frames freed), its fourth stays.
  CHECK(counter(g_vm_stats.anon_pages) == 3);
  CHECK(layout(*s) == lines({region_line(A + 8 * P, A + 12 * P, "rw-p")}));
  CHECK(load(*s, A + 8 * P) == 1);
  CHECK(load(*s, A + 9 * P) == 2);
  CHECK(load(*s, A + 10 * P) == 0);
  CHECK(load(*s, A + 11 * P) == 4);
  CHECK(mapped_frame(*s, A + 8 * P) == frames[0]);
  // Fixed with a shorter new length: the old tail is unmapped first.
  REQUIRE(remap(*s, A + 8 * P, 4 * P, P, RemapFlag::MayMove | RemapFlag::Fixed, A).value() == VirtAddr(A));
  CHECK(layout(*s) == lines({region_line(A, A + P, "rw-p")}));
  CHECK(counter(g_vm_stats.anon_pages) == 1);
  CHECK(mapped_frame(*s, A) == nullptr);
  CHECK(load(*s, A) == 1);
}

TEST_CASE("mremap: DontUnmap leaves the old range mapped and empty") {
  VmEnv env;
  Space s;
  map_written(*s, A, 2);
  auto frames = frames_at(*s, A, 2);
  auto moved = remap(*s, A, 2 * P, 2 * P, RemapFlag::MayMove | RemapFlag::DontUnmap);
  REQUIRE(moved.has_value());
  u64 to = moved.value().get();
  CHECK(counter(g_vm_stats.anon_pages) == 2);
  CHECK(region_at(*s, A).end == VirtAddr(A + 2 * P));
  CHECK(mapped_count(*s, A, A + 2 * P) == 0);
  CHECK(load(*s, A) == 0);
  CHECK(load(*s, A + P) == 0);
  CHECK(mapped_frame(*s, to + P) == nullptr);
  CHECK(load(*s, to + P) == 2);
  CHECK(mapped_frame(*s, to + P) == frames[1]);
  // With Fixed too, at exactly the given place.
  REQUIRE(remap(*s, to, 2 * P, 2 * P, RemapFlag::MayMove | RemapFlag::Fixed | RemapFlag::DontUnmap, A + 16 * P)
              .value() == VirtAddr(A + 16 * P));
  CHECK(load(*s, A + 16 * P) == 1);
  CHECK(load(*s, to) == 0);
}

TEST_CASE("mremap: errors") {
  VmEnv env;
  Space s;
  map_written(*s, A, 2);
  must_map(*s, A + 2 * P, 2 * P, Prot::Read);
  u64 anon = counter(g_vm_stats.anon_pages);
  CHECK(remap(*s, A + 8 * P, P, 2 * P, RemapFlag::MayMove).error() == Error::FAULT);  // nothing mapped there
  CHECK(remap(*s, A + 8 * P, P, P).error() == Error::FAULT);
  CHECK(remap(*s, A + 1, P, 2 * P).error() == Error::INVAL);
  CHECK(remap(*s, A, P, 0).error() == Error::INVAL);
  // The old range may not run past its region.
  CHECK(remap(*s, A, 3 * P, 4 * P, RemapFlag::MayMove).error() == Error::FAULT);
  CHECK(remap(*s, A, 3 * P, 3 * P, RemapFlag::MayMove | RemapFlag::DontUnmap).error() == Error::FAULT);
  // A zero old length duplicates shared mappings only.
  CHECK(remap(*s, A, 0, P, RemapFlag::MayMove).error() == Error::INVAL);
  // A shrink whose tail runs past the user half (or wraps) is munmap's EINVAL (found by the fuzzer: it unmapped
  // a wrapped range).
  CHECK(remap(*s, A, ~0ull - 2 * P, P).error() == Error::INVAL);
  CHECK(remap(*s, A, USER_END, P).error() == Error::INVAL);
  CHECK(remap(*s, A, ~0ull - 2 * P, P, RemapFlag::MayMove | RemapFlag::Fixed, A + 64 * P).error() == Error::INVAL);
  CHECK(layout(*s) == lines({region_line(A, A + 2 * P, "rw-p"), region_line(A + 2 * P, A + 4 * P, "r--p")}));
  CHECK(load(*s, A + P) == 2);
  CHECK(counter(g_vm_stats.anon_pages) == anon);
}

// A frame held by a forked child too stays at its page for the child; the mover gets a copy. Exclusive frames
// move as they are.
TEST_CASE("mremap: pages shared copy-on-write with a child") {
  VmEnv env;
  Space parent;
  map_written(*parent, A, 2);
  Space child = parent.fork();
  store(*parent, A + P, 20);  // the parent's own copy now: exclusive
  Frame* shared = mapped_frame(*child, A);
  if (!shared) {
    (void)load(*child, A);
    shared = mapped_frame(*child, A);
  }
  Frame* own = mapped_frame(*parent, A + P);
  auto moved = remap(*parent, A, 2 * P, 2 * P, RemapFlag::MayMove | RemapFlag::Fixed, A + 32 * P);
  REQUIRE(moved.has_value());
  CHECK(load(*parent, A + 32 * P) == 1);
  CHECK(load(*parent, A + 33 * P) == 20);
  CHECK(mapped_frame(*parent, A + 33 * P) == own);
  CHECK(mapped_frame(*parent, A + 32 * P) != shared);
  CHECK(mapped_frame(*parent, A + 32 * P)->anon_vpn() == (A >> PAGE_SHIFT) + 32);
  CHECK(shared->refcount.load() == 1);
  CHECK(shared->anon_vpn() == A >> PAGE_SHIFT);
  CHECK(load(*child, A) == 1);
  CHECK(load(*child, A + P) == 2);
  store(*child, A, 5);
  CHECK(load(*parent, A + 32 * P) == 1);
  CHECK(counter(g_vm_stats.anon_pages) == 4);
}

// Out of memory half-way through a move: the first page has moved into an anon-table leaf that exists, the second
// needs a new leaf and no frame is left. The first page goes back, the region made for the new range goes away,
// and the old range works as before.
TEST_CASE("mremap: a move that runs out of memory changes nothing") {
  VmEnv env;
  Space s;
  const u64 leaf = 512 * P;            // the pages one anon-table leaf covers (A starts one)
  const u64 from = A + 2 * leaf - P;   // the last page of one leaf and the first of the next
  const u64 to = A + 8 * leaf - P;     // the same, where only the first leaf exists
  map_written(*s, from, 2);
  map_written(*s, to - P, 1);          // makes the leaf of `to`
  Frame* first = mapped_frame(*s, from);
  std::string before = layout(*s);
  u64 anon = counter(g_vm_stats.anon_pages);
  std::vector<Frame*> hoard;
  g_phys.drain_cpu_cache();
  while (Frame* f = g_phys.alloc_frame(FrameUse::Kernel)) hoard.push_back(f);
  auto moved = remap(*s, from, 2 * P, 2 * P, RemapFlag::MayMove | RemapFlag::Fixed, to);
  for (Frame* f : hoard) g_phys.free_frame(f);
  REQUIRE(moved.is_error());
  CHECK(moved.error() == Error::NOMEM);
  CHECK(layout(*s) == before);
  CHECK(counter(g_vm_stats.anon_pages) == anon);
  CHECK(load(*s, from) == 1);
  CHECK(mapped_frame(*s, from) == first);
  CHECK(first->anon_vpn() == from >> PAGE_SHIFT);
  CHECK(load(*s, from + P) == 2);
  // And then it works.
  REQUIRE(remap(*s, from, 2 * P, 2 * P, RemapFlag::MayMove | RemapFlag::Fixed, to).has_value());
  CHECK(load(*s, to) == 1);
  CHECK(mapped_frame(*s, to) == first);
  CHECK(load(*s, to + P) == 2);
  CHECK(counter(g_vm_stats.anon_pages) == anon);
}

// Object mappings move their window of the object; a shared mapping's zero old length duplicates it.
TEST_CASE("mremap: object mappings") {
  VmEnv env;
  auto obj = MemoryObject::create(8 * P, "file");
  Space s;
  REQUIRE(map_object(*s, A, 2 * P, Prot::ReadWrite, obj, 3, MapFlag::Fixed | MapFlag::Shared).has_value());
  store(*s, A + P, 44);  // object page 4
  must_map(*s, A + 2 * P, P, Prot::Read);
  auto moved = remap(*s, A + P, P, 3 * P, RemapFlag::MayMove);
  REQUIRE(moved.has_value());
  u64 to = moved.value().get();
  RegionInfo info = region_at(*s, to);
  CHECK(info.object == obj.get());
  CHECK(info.object_page == 4);
  CHECK(info.end == VirtAddr(to + 3 * P));
  CHECK((info.flags & RegionFlag::Shared) != 0);
  CHECK(load(*s, to) == 44);
  CHECK(region_at(*s, A).end == VirtAddr(A + P));
  // Duplicate: a second mapping of the same pages.
  auto dup = remap(*s, to, 0, P, RemapFlag::MayMove);
  REQUIRE(dup.has_value());
  CHECK(dup.value() != VirtAddr(to));
  store(*s, dup.value().get(), 55);
  CHECK(load(*s, to) == 55);
  CHECK(region_at(*s, to).end == VirtAddr(to + 3 * P));
  // Without MayMove a zero old length cannot grow in place.
  CHECK(remap(*s, to, 0, P).error() == Error::NOMEM);
}

// Growing a moved mapping into pages past its object: they fault with BusError, as after mmap.
TEST_CASE("mremap: growing a private file mapping") {
  VmEnv env;
  auto obj = MemoryObject::create(2 * P, "file");
  Space s;
  REQUIRE(map_object(*s, A, P, Prot::ReadWrite, obj, 0).has_value());
  store(*s, A, 3);  // a private copy
  REQUIRE(remap(*s, A, P, 3 * P).value() == VirtAddr(A));
  CHECK(load(*s, A) == 3);
  CHECK(load(*s, A + P) == 0);
  CHECK(s->handle_fault(VirtAddr(A + 2 * P), Access::Read) == FaultResult::BusError);
}

}  // TEST_SUITE
