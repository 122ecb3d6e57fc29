// AddressSpace::fork and copy-on-write (mm/address_space.cpp, mm/fault.cpp): the parent's writable mappings
// become read-only, parent and child share every private frame (Frame::refcount counts the anon tables that hold
// it), a write copies a frame only while it is shared and reuses it once the writer is its last owner; children,
// grandchildren, destruction in any order; shared memory objects stay shared. A randomized run checks the
// reference counts against the mappings after every step.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>
#include <vector>

#include "mm/vm_object.h"
#include "vm_test_env.h"

using namespace vmtest;

TEST_SUITE("mm/fork_cow") {

// After fork the parent's writable private mappings are read-only (so its next write faults), read-only regions
// and the zero page stay as they were, the child has no mapping yet, and every written frame has two owners.
TEST_CASE("fork: the parent's writable mappings are write-protected") {
  VmEnv env;
  Space parent;
  must_map(*parent, A, 4 * P, Prot::ReadWrite);
  must_map(*parent, A + 8 * P, 2 * P, Prot::Read);
  must_map(*parent, A + 12 * P, 2 * P, Prot::All);
  for (u64 i = 0; i < 3; i++) store(*parent, A + i * P, u8(i + 1));
  CHECK(load(*parent, A + 3 * P) == 0);  // the zero page
  CHECK(load(*parent, A + 8 * P) == 0);
  store(*parent, A + 12 * P, 9);
  std::vector<Frame*> frames;
  for (u64 i = 0; i < 3; i++) frames.push_back(mapped_frame(*parent, A + i * P));
  u64 used = env.frames_used();
  parent.pmap().clear_calls();

  Space child = parent.fork();
  for (u64 i = 0; i < 3; i++) {
    CHECK(mapped_frame(*parent, A + i * P) == frames[i]);
    CHECK(mapped_prot(*parent, A + i * P) == Prot::Read);
    CHECK(frames[i]->refcount.load() == 2);
  }
  CHECK(mapped_prot(*parent, A + 3 * P) == Prot::Read);
  CHECK(mapped_prot(*parent, A + 8 * P) == Prot::Read);
  CHECK(mapped_prot(*parent, A + 12 * P) == Prot::ReadExec);
  CHECK(parent.pmap().pending_flushes() == 0);  // fork flushed what it protected
  CHECK(child.pmap().mappings().empty());
  CHECK(layout(*child) == layout(*parent));
  CHECK(child->resident_anon_pages() == 4);
  CHECK(parent->resident_anon_pages() == 4);
  // No page was copied: only the child's anon-table nodes are new.
  CHECK(counter(g_vm_stats.anon_pages) == 4);
  CHECK(env.frames_used() == used + child->page_table_pages() - child.pmap().table_pages());
}

// Both see the same data; the first writer copies, the second, now the last owner, reuses its frame.
TEST_CASE("fork: the child writes first and copies, the parent then reuses") {
  VmEnv env;
  Space parent;
  must_map(*parent, A, 2 * P, Prot::ReadWrite);
  store(*parent, A + 10, 0xaa);
  store(*parent, A + P + 10, 0xbb);
  Frame* f = mapped_frame(*parent, A);
  Space child = parent.fork();

  CHECK(load(*child, A + 10) == 0xaa);
  CHECK(load(*child, A + P + 10) == 0xbb);
  CHECK(mapped_frame(*child, A) == f);
  CHECK(mapped_prot(*child, A) == Prot::Read);  // shared: read-only in the child too

  store(*child, A + 10, 0xcc);
  Frame* copy = mapped_frame(*child, A);
  CHECK(copy != f);
  CHECK(copy->refcount.load() == 1);
  CHECK(f->refcount.load() == 1);
  CHECK(counter(g_vm_stats.faults_cow_copy) == 1);
  CHECK(counter(g_vm_stats.anon_pages) == 3);
  CHECK(load(*child, A + 11) == 0);  // the copy holds the rest of the page
  CHECK(load(*parent, A + 10) == 0xaa);

  store(*parent, A + 10, 0xdd);
  CHECK(mapped_frame(*parent, A) == f);  // reused, not copied
  CHECK(mapped_prot(*parent, A) == Prot::ReadWrite);
  CHECK(counter(g_vm_stats.faults_cow_reuse) == 1);
  CHECK(counter(g_vm_stats.faults_cow_copy) == 1);
  CHECK(load(*child, A + 10) == 0xcc);
  CHECK(load(*parent, A + 10) == 0xdd);
  CHECK(counter(g_vm_stats.anon_pages) == 3);
}

TEST_CASE("fork: the parent writes first and copies, the child then reuses") {
  VmEnv env;
  Space parent;
  must_map(*parent, A, P, Prot::ReadWrite);
  store(*parent, A, 1);
  Frame* f = mapped_frame(*parent, A);
  Space child = parent.fork();
  store(*parent, A, 2);
  CHECK(mapped_frame(*parent, A) != f);
  CHECK(counter(g_vm_stats.faults_cow_copy) == 1);
  store(*child, A + 1, 3);
  CHECK(mapped_frame(*child, A) == f);
  CHECK(counter(g_vm_stats.faults_cow_reuse) == 1);
  CHECK(load(*child, A) == 1);
  CHECK(load(*parent, A) == 2);
  CHECK(load(*parent, A + 1) == 0);
}

// Three owners: the first two writers copy, the last one reuses.
TEST_CASE("fork: grandchildren share until each writes") {
  VmEnv env;
  Space parent;
  must_map(*parent, A, 3 * P, Prot::ReadWrite);
  store(*parent, A, 1);
  store(*parent, A + P, 10);
  Frame* f = mapped_frame(*parent, A);
  Space child = parent.fork();
  store(*child, A + P, 20);  // the child's own page 1, before the grandchild is born
  Frame* child_page1 = mapped_frame(*child, A + P);
  store(*child, A + 2 * P, 30);  // a page the parent never had
  Space grandchild = child.fork();
  CHECK(f->refcount.load() == 3);
  CHECK(child_page1->refcount.load() == 2);
  CHECK(mapped_frame(*parent, A + P)->refcount.load() == 1);

  CHECK(load(*grandchild, A) == 1);
  CHECK(load(*grandchild, A + P) == 20);
  CHECK(load(*grandchild, A + 2 * P) == 30);
  CHECK(load(*parent, A + P) == 10);
  CHECK(load(*parent, A + 2 * P) == 0);
  CHECK(mapped_frame(*parent, A + 2 * P) == zero_page());

  u64 copies = counter(g_vm_stats.faults_cow_copy);
  store(*child, A, 2);
  CHECK(f->refcount.load() == 2);
  store(*grandchild, A, 3);
  CHECK(f->refcount.load() == 1);
  CHECK(counter(g_vm_stats.faults_cow_copy) == copies + 2);
  store(*parent, A, 4);
  CHECK(mapped_frame(*parent, A) == f);
  CHECK(counter(g_vm_stats.faults_cow_copy) == copies + 2);
  CHECK(counter(g_vm_stats.faults_cow_reuse) == 1);
  CHECK(load(*parent, A) == 4);
  CHECK(load(*child, A) == 2);
  CHECK(load(*grandchild, A) == 3);
}

// Destroying a relative drops its references: the survivor's next write reuses instead of copying. Either the
// child or the parent may go first.
TEST_CASE("fork: destroying a relative drops its references") {
  VmEnv env;
  SUBCASE("the child goes first") {
    Space parent;
    must_map(*parent, A, 4 * P, Prot::ReadWrite);
    for (u64 i = 0; i < 4; i++) store(*parent, A + i * P, u8(i));
    Space child = parent.fork();
    CHECK(mapped_frame(*parent, A)->refcount.load() == 2);
    child.reset();
    for (u64 i = 0; i < 4; i++) CHECK(mapped_frame(*parent, A + i * P)->refcount.load() == 1);
    CHECK(counter(g_vm_stats.anon_pages) == 4);
    for (u64 i = 0; i < 4; i++) store(*parent, A + i * P + 1, 0xff);
    CHECK(counter(g_vm_stats.faults_cow_copy) == 0);
    CHECK(counter(g_vm_stats.faults_cow_reuse) == 4);
  }
  SUBCASE("the parent goes first") {
    Space parent;
    must_map(*parent, A, 2 * P, Prot::ReadWrite);
    store(*parent, A, 5);
    Space child = parent.fork();
    Space grandchild = child.fork();
    parent.reset();
    CHECK(load(*child, A) == 5);
    CHECK(mapped_frame(*child, A)->refcount.load() == 2);
    grandchild.reset();
    CHECK(mapped_frame(*child, A)->refcount.load() == 1);
    store(*child, A, 6);
    CHECK(counter(g_vm_stats.faults_cow_copy) == 0);
    CHECK(counter(g_vm_stats.anon_pages) == 1);
  }
}

// MAP_SHARED memory (a MemoryObject) is not copy-on-write: after fork both map the object's frames, writable,
// and each sees the other's writes. A private region next to it is copied as usual.
TEST_CASE("fork: shared memory stays shared") {
  VmEnv env;
  auto obj = MemoryObject::create(2 * P, "/dev/zero (deleted)");
  Space parent;
  REQUIRE(map_object(*parent, A, 2 * P, Prot::ReadWrite, obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
  must_map(*parent, A + 2 * P, P, Prot::ReadWrite);
  store(*parent, A + 1, 1);
  store(*parent, A + 2 * P, 1);
  Space child = parent.fork();
  CHECK(mapped_prot(*parent, A) == Prot::ReadWrite);  // not write-protected
  CHECK(mapped_prot(*parent, A + 2 * P) == Prot::Read);
  CHECK(load(*child, A + 1) == 1);
  store(*child, A + 1, 2);
  store(*child, A + P, 3);
  store(*child, A + 2 * P, 2);
  CHECK(mapped_frame(*child, A) == obj->peek_page(0));
  CHECK(load(*parent, A + 1) == 2);
  CHECK(load(*parent, A + P) == 3);
  CHECK(load(*parent, A + 2 * P) == 1);
  CHECK(mapped_frame(*parent, A + P) == mapped_frame(*child, A + P));
  CHECK(obj->resident_pages() == 2);
  CHECK(counter(g_vm_stats.anon_pages) == 2);  // only the private page was copied
  CHECK(counter(g_vm_stats.faults_cow_copy) == 1);
  int regions = 0;
  obj->for_each_region([&](Region&) { regions++; });
  CHECK(regions == 2);
}

// A private file mapping across fork: pages never written still come from the object; a page the parent
// copied before fork is shared copy-on-write like any anonymous page.
TEST_CASE("fork: private object mappings") {
  VmEnv env;
  auto obj = MemoryObject::create(2 * P);
  memset(g_phys.kernel_pointer(obj->get_page(0).value()), 0x11, P);
  memset(g_phys.kernel_pointer(obj->get_page(1).value()), 0x22, P);
  Space parent;
  REQUIRE(map_object(*parent, A, 2 * P, Prot::ReadWrite, obj).has_value());
  CHECK(load(*parent, A) == 0x11);
  store(*parent, A + P, 0x33);
  Space child = parent.fork();
  CHECK(load(*child, A) == 0x11);
  CHECK(mapped_frame(*child, A) == obj->peek_page(0));
  CHECK(load(*child, A + P) == 0x33);
  CHECK(mapped_frame(*child, A + P) == mapped_frame(*parent, A + P));
  store(*child, A, 0x44);
  CHECK(mapped_frame(*child, A) != obj->peek_page(0));
  CHECK(load(*parent, A) == 0x11);
  CHECK(g_phys.kernel_pointer(obj->peek_page(0))[0] == 0x11);
  store(*child, A + P, 0x55);
  CHECK(load(*parent, A + P) == 0x33);
  CHECK(load(*child, A + P + 1) == 0x22);  // the copy of the parent's copy of the object page
}

// The child inherits the layout and the program break, and changes to one do not affect the other.
TEST_CASE("fork: layout and break are copied, then independent") {
  VmEnv env;
  Space parent;
  parent->set_brk_base(VirtAddr(A));
  CHECK(parent->brk(VirtAddr(A + 3 * P)) == VirtAddr(A + 3 * P));
  must_map(*parent, A + 16 * P, 4 * P, Prot::Read);
  Space child = parent.fork();
  CHECK(layout(*child) == layout(*parent));
  CHECK(child->brk_start() == VirtAddr(A));
  CHECK(child->current_brk() == VirtAddr(A + 3 * P));
  CHECK(child->brk(VirtAddr(A + 5 * P)) == VirtAddr(A + 5 * P));
  CHECK(parent->current_brk() == VirtAddr(A + 3 * P));
  REQUIRE(child->unmap(VirtAddr(A + 16 * P), P).has_value());
  CHECK(parent->region_count() == 2);
  CHECK(child->region_count() == 2);
  CHECK(region_at(*parent, A + 16 * P).start == VirtAddr(A + 16 * P));
  CHECK(region_at(*child, A + 16 * P).start == VirtAddr(0));
}

// Where exec put the vDSO is part of the layout: the child has it at the same place.
TEST_CASE("fork: the vDSO base is copied") {
  VmEnv env;
  Space parent;
  CHECK(parent->vdso_base() == VirtAddr(0));
  parent->set_vdso_base(VirtAddr(MMAP_BASE - P));
  Space child = parent.fork();
  CHECK(child->vdso_base() == VirtAddr(MMAP_BASE - P));
}

// A fork that cannot get a pmap, or memory for the child's anon table, fails with ENOMEM and leaves the parent
// with its data and its frames with one owner. (Fork reclaims and tries again a few times when memory runs out:
// every pmap it asks for fails here, and nothing can be reclaimed below.)
TEST_CASE("fork: failure leaves the parent intact") {
  VmEnv env;
  Space parent;
  must_map(*parent, A, 2 * P, Prot::ReadWrite);
  store(*parent, A, 1);
  store(*parent, A + P, 2);

  FakePmap::fail_next_creates(1000);
  auto r = parent->fork();
  FakePmap::fail_next_creates(0);
  REQUIRE(r.is_error());
  CHECK(r.error() == Error::NOMEM);
  CHECK(mapped_frame(*parent, A)->refcount.load() == 1);

  std::vector<Frame*> hoard;
  while (Frame* f = g_phys.alloc_frame(FrameUse::Kernel)) hoard.push_back(f);
  auto r2 = parent->fork();
  for (Frame* f : hoard) g_phys.free_frame(f);
  REQUIRE(r2.is_error());
  CHECK(r2.error() == Error::NOMEM);
  CHECK(mapped_frame(*parent, A)->refcount.load() == 1);
  CHECK(mapped_frame(*parent, A + P)->refcount.load() == 1);
  CHECK(load(*parent, A) == 1);
  store(*parent, A, 3);
  CHECK(counter(g_vm_stats.faults_cow_copy) == 0);
  CHECK(load(*parent, A + P) == 2);
}

// Random forks, writes, reads and exits over a family of address spaces, compared with a model of what each
// should read. After each step every page of every space is read, so each mapping shows the frame the space
// holds there; then every anonymous frame's reference count must equal the number of spaces that map it, and
// the anonymous-page counter the number of distinct frames.
TEST_CASE("fork: randomized family against a model") {
  VmEnv env(4 * MiB);
  constexpr u64 PAGES = 6;
  constexpr usize MAX_SPACES = 6;
  struct Member {
    Space space;
    std::vector<u8> bytes;  // the model: byte 0 of each page
  };
  std::vector<Member> family;
  family.push_back({Space(), std::vector<u8>(PAGES, 0)});
  must_map(*family[0].space, A, PAGES * P, Prot::ReadWrite);
  std::mt19937 rng(7);
  for (int step = 0; step < 400; step++) {
    CAPTURE(step);
    unsigned op = rng() % 10;
    usize who = rng() % family.size();
    if (op < 2 && family.size() < MAX_SPACES) {
      Member m{family[who].space.fork(), family[who].bytes};
      family.push_back(std::move(m));
    } else if (op < 3 && family.size() > 1) {
      family.erase(family.begin() + static_cast<long>(who));
    } else {
      u64 page = rng() % PAGES;
      u8 value = static_cast<u8>(rng() | 1);
      store(*family[who].space, A + page * P, value);
      family[who].bytes[page] = value;
    }
    std::map<Frame*, u32> owners;
    for (Member& m : family) {
      for (u64 page = 0; page < PAGES; page++) {
        REQUIRE(load(*m.space, A + page * P) == m.bytes[page]);
        Frame* f = mapped_frame(*m.space, A + page * P);
        if (m.bytes[page] == 0) {
          REQUIRE(f == zero_page());
        } else {
          REQUIRE(f->use == FrameUse::Anon);
          owners[f]++;
          // Writable only while this space is the only owner.
          REQUIRE((mapped_prot(*m.space, A + page * P) == Prot::ReadWrite) <= (f->refcount.load() == 1));
        }
      }
    }
    for (auto [f, n] : owners) REQUIRE(f->refcount.load() == n);
    REQUIRE(counter(g_vm_stats.anon_pages) == owners.size());
  }
}

// MADV_DONTFORK: the range is cut out of its region and left out of the child; MADV_WIPEONFORK: the child's
// copy is empty (zeros) and shares no frame. Neither write-protects the parent. DOFORK/KEEPONFORK undo them and
// the regions merge again.
TEST_CASE("fork: MADV_DONTFORK and MADV_WIPEONFORK") {
  VmEnv env;
  Space parent;
  must_map(*parent, A, 3 * P, Prot::ReadWrite);
  must_map(*parent, A + 4 * P, 2 * P, Prot::ReadWrite);
  for (u64 i = 0; i < 3; i++) store(*parent, A + i * P, u8(i + 1));
  store(*parent, A + 4 * P, 7);
  store(*parent, A + 5 * P, 8);
  REQUIRE(parent->advise(VirtAddr(A + P), P, Advice::DontFork).has_value());
  REQUIRE(parent->advise(VirtAddr(A + 4 * P), 2 * P, Advice::WipeOnFork).has_value());
  std::string before = layout(*parent);
  CHECK(before == lines({region_line(A, A + P, "rw-p"), region_line(A + P, A + 2 * P, "rw-p"),
                         region_line(A + 2 * P, A + 3 * P, "rw-p"), region_line(A + 4 * P, A + 6 * P, "rw-p")}));
  Frame* kept = mapped_frame(*parent, A + P);
  Frame* wiped = mapped_frame(*parent, A + 4 * P);
  {
    Space child = parent.fork();
    CHECK(layout(*child) == lines({region_line(A, A + P, "rw-p"), region_line(A + 2 * P, A + 3 * P, "rw-p"),
                                   region_line(A + 4 * P, A + 6 * P, "rw-p")}));
    CHECK(load(*child, A) == 1);
    CHECK(load(*child, A + 2 * P) == 3);
    CHECK(child->handle_fault(VirtAddr(A + P), Access::Read) == FaultResult::NoRegion);
    CHECK(load(*child, A + 4 * P) == 0);
    CHECK(load(*child, A + 5 * P) == 0);
    CHECK(kept->refcount.load() == 1);
    CHECK(wiped->refcount.load() == 1);
    CHECK(mapped_prot(*parent, A + P) == Prot::ReadWrite);
    CHECK(mapped_prot(*parent, A + 4 * P) == Prot::ReadWrite);
    CHECK(mapped_prot(*parent, A) == Prot::Read);  // shared copy-on-write, as any other page
  }
  CHECK(layout(*parent) == before);
  CHECK(load(*parent, A + P) == 2);
  CHECK(load(*parent, A + 5 * P) == 8);
  REQUIRE(parent->advise(VirtAddr(A), 3 * P, Advice::DoFork).has_value());
  REQUIRE(parent->advise(VirtAddr(A + 4 * P), 2 * P, Advice::KeepOnFork).has_value());
  CHECK(layout(*parent) == lines({region_line(A, A + 3 * P, "rw-p"), region_line(A + 4 * P, A + 6 * P, "rw-p")}));
  Space child = parent.fork();
  CHECK(load(*child, A + P) == 2);
  CHECK(load(*child, A + 5 * P) == 8);
}

}  // TEST_SUITE
