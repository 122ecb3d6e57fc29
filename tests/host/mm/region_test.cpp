// mm/region.h: Region::create and clone_range, the one place regions are made (mmap, brk, fork, split). A new
// region has exactly what its Spec says (no object page without an object) and belongs to no address space; a
// clone of a part keeps the rights, flags and object and moves its window of the object along; a region holds a
// reference to its object for as long as it lives. The *_locked functions of an address space check, in debug
// builds, that their caller holds the lock.
#include "mm/region.h"

#include <doctest/doctest.h>

#include "mm/vm_object.h"
#include "vm_test_env.h"

using namespace vmtest;

TEST_SUITE("mm/region") {

TEST_CASE("region: create sets what the spec says") {
  VmEnv env;
  auto made = Region::create({.start = VirtAddr(A),
                              .end = VirtAddr(A + 4 * P),
                              .prot = Prot::Read,
                              .max_prot = Prot::ReadExec,
                              .flags = RegionFlag::Stack,
                              .object = nullptr,
                              .object_page = 9});
  REQUIRE(made.has_value());
  OwnPtr<Region> r = made.release_value();
  CHECK(r->m_start == VirtAddr(A));
  CHECK(r->m_end == VirtAddr(A + 4 * P));
  CHECK(r->pages() == 4);
  CHECK(r->m_prot == Prot::Read);
  CHECK(r->m_max_prot == Prot::ReadExec);
  CHECK(r->m_flags == RegionFlag::Stack);
  CHECK(r->is_private());
  CHECK(r->m_object == nullptr);
  CHECK(r->m_object_page == 0);  // no object, no page in it
  CHECK(r->m_space == nullptr);
  CHECK_FALSE(r->m_tree_node.is_linked());
}

TEST_CASE("region: clone_range keeps the backing and moves the object window") {
  VmEnv env;
  auto obj = MemoryObject::create(16 * P);
  {
    OwnPtr<Region> r = Region::create({.start = VirtAddr(A),
                                       .end = VirtAddr(A + 8 * P),
                                       .prot = Prot::ReadWrite,
                                       .max_prot = Prot::All,
                                       .flags = RegionFlag::Shared,
                                       .object = obj.get(),
                                       .object_page = 3})
                           .release_value();
    CHECK(obj->ref_count() == 2);  // the region's own reference
    CHECK(r->m_object_page == 3);

    OwnPtr<Region> upper = r->clone_range(VirtAddr(A + 5 * P), VirtAddr(A + 8 * P)).release_value();
    CHECK(upper->m_start == VirtAddr(A + 5 * P));
    CHECK(upper->m_end == VirtAddr(A + 8 * P));
    CHECK(upper->m_object.get() == obj.get());
    CHECK(upper->m_object_page == 8);
    CHECK(upper->object_page_of(VirtAddr(A + 6 * P)) == r->object_page_of(VirtAddr(A + 6 * P)));
    CHECK(upper->m_prot == Prot::ReadWrite);
    CHECK(upper->m_flags == RegionFlag::Shared);
    CHECK(obj->ref_count() == 3);

    OwnPtr<Region> whole = r->clone_range(r->m_start, r->m_end).release_value();
    CHECK(whole->m_object_page == 3);
    CHECK(obj->ref_count() == 4);
  }
  CHECK(obj->ref_count() == 1);  // every region gave its reference back

  // Anonymous memory has no object page, whatever part is cloned.
  OwnPtr<Region> anon = Region::create({.start = VirtAddr(A),
                                        .end = VirtAddr(A + 2 * P),
                                        .prot = Prot::ReadWrite,
                                        .max_prot = Prot::All,
                                        .flags = 0,
                                        .object = nullptr,
                                        .object_page = 0})
                            .release_value();
  CHECK(anon->clone_range(VirtAddr(A + P), VirtAddr(A + 2 * P)).value()->m_object_page == 0);
}

// A function whose name ends in _locked panics (debug builds: these tests) when its caller does not hold the
// address space's lock.
TEST_CASE("region: the *_locked functions check the lock") {
  VmEnv env;
  Space s;
  must_map(*s, A, P, Prot::Read);
  CHECK_THROWS_WITH_AS(s->find_region_locked(VirtAddr(A)), doctest::Contains("address-space"), KernelPanic);
  SpinlockGuard guard(s->lock());
  CHECK(s->find_region_locked(VirtAddr(A)) != nullptr);
}

}  // TEST_SUITE
