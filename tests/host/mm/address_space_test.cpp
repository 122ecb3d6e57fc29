// AddressSpace life cycle and kernel access (mm/address_space.cpp): create and destroy (also when the pmap
// cannot be had), the counters /proc shows, kernel writes into a new image (write / fill_zero), the fork family
// recorded in each anonymous frame, and the destruction of a fully populated family in any order.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "mm/vm_object.h"
#include "vm_test_env.h"

using namespace vmtest;

TEST_SUITE("mm/address_space") {

// A new address space has a pmap and nothing else; destroying it gives everything back.
TEST_CASE("address space: create and destroy") {
  VmEnv env;
  long pmaps = FakePmap::live_count();
  Space s;
  CHECK(FakePmap::live_count() == pmaps + 1);
  CHECK(s->region_count() == 0);
  CHECK(s->mapped_pages() == 0);
  CHECK(s->resident_anon_pages() == 0);
  CHECK(s->page_table_pages() == s.pmap().table_pages());
  CHECK(s->stack_top() == VirtAddr(STACK_TOP));
  CHECK(env.frames_used() == 0);
  s->activate();
  CHECK(s.pmap().activations() == 1);
  s.reset();
  CHECK(FakePmap::live_count() == pmaps);
}

// Without a pmap there is no address space: ENOMEM, nothing leaked.
TEST_CASE("address space: create fails without a pmap") {
  VmEnv env;
  long pmaps = FakePmap::live_count();
  FakePmap::fail_next_creates(1);
  auto r = AddressSpace::create();
  REQUIRE(r.is_error());
  CHECK(r.error() == Error::NOMEM);
  CHECK(FakePmap::live_count() == pmaps);
  Space s;  // the next one works
}

// mapped_pages counts the pages of all regions, resident_anon_pages the private pages that exist,
// page_table_pages the pmap's tables plus the anon table's nodes.
TEST_CASE("address space: counters") {
  VmEnv env;
  Space s;
  must_map(*s, A, 10 * P, Prot::ReadWrite);
  must_map(*s, A + 0x40000000, 3 * P, Prot::Read);
  CHECK(s->mapped_pages() == 13);
  CHECK(s->region_count() == 2);
  store(*s, A, 1);
  store(*s, A + 9 * P, 1);
  CHECK(load(*s, A + 0x40000000) == 0);
  CHECK(s->resident_anon_pages() == 2);
  CHECK(s->page_table_pages() == s.pmap().table_pages() + 3);
  CHECK(env.frames_used() == 2 + 3);
}

// The kernel writes into a new image as a user write would fault: across pages, into read-only private memory
// (the page becomes private, the mapping stays read-only for the user), into private file mappings (copied;
// the file is unchanged) and PROT_NONE memory (no mapping is made: none can have no rights). Unmapped and shared
// memory is EFAULT.
TEST_CASE("address space: write and fill_zero") {
  VmEnv env;
  auto file = MemoryObject::create(2 * P);
  memset(g_phys.kernel_pointer(file->get_page(0).value()), 0x66, P);
  Space s;
  must_map(*s, A, 3 * P, Prot::ReadWrite);
  must_map(*s, A + 4 * P, P, Prot::Read);
  REQUIRE(map_object(*s, A + 6 * P, 2 * P, Prot::ReadExec, file).has_value());
  REQUIRE(map_object(*s, A + 8 * P, 2 * P, Prot::ReadWrite, file, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
  must_map(*s, A + 12 * P, P, Prot::None);
  must_map(*s, A + 14 * P, P, Prot::ReadWrite);

  std::vector<u8> data(6000);
  for (usize i = 0; i < data.size(); i++) data[i] = u8(i * 7 + 1);
  REQUIRE(s->write(VirtAddr(A + 100), data.data(), data.size()).has_value());
  CHECK(counter(g_vm_stats.anon_pages) == 2);
  for (usize i = 0; i < data.size(); i += 123) REQUIRE(load(*s, A + 100 + i) == data[i]);
  CHECK(load(*s, A + 99) == 0);
  CHECK(load(*s, A + 100 + 6000) == 0);
  REQUIRE(s->fill_zero(VirtAddr(A + 200), 4000).has_value());
  CHECK(load(*s, A + 199) == data[99]);
  CHECK(load(*s, A + 200) == 0);
  CHECK(load(*s, A + 4199) == 0);
  CHECK(load(*s, A + 4200) == data[4100]);

  u8 byte = 0x77;
  REQUIRE(s->write(VirtAddr(A + 4 * P + 1), &byte, 1).has_value());
  CHECK(mapped_prot(*s, A + 4 * P) == Prot::Read);
  CHECK(load(*s, A + 4 * P + 1) == 0x77);
  CHECK(access(*s, VirtAddr(A + 4 * P), Access::Write) == FaultResult::AccessError);

  REQUIRE(s->fill_zero(VirtAddr(A + 6 * P + 10), 5).has_value());
  CHECK(load(*s, A + 6 * P + 10) == 0);
  CHECK(load(*s, A + 6 * P + 15) == 0x66);
  CHECK(mapped_prot(*s, A + 6 * P) == Prot::ReadExec);
  CHECK(g_phys.kernel_pointer(file->peek_page(0))[10] == 0x66);

  REQUIRE(s->write(VirtAddr(A + 12 * P), &byte, 1).has_value());
  CHECK_FALSE(is_mapped(*s, A + 12 * P));
  CHECK(s->resident_anon_pages() == 5);

  CHECK(s->write(VirtAddr(A + 3 * P), &byte, 1).error() == Error::FAULT);
  CHECK(s->write(VirtAddr(A + 3 * P - 1), data.data(), 2).error() == Error::FAULT);  // runs off the region
  CHECK(s->write(VirtAddr(A + 8 * P), &byte, 1).error() == Error::FAULT);
  CHECK(s->write(VirtAddr(A), &byte, 0).has_value());

  std::vector<Frame*> hoard;
  while (Frame* f = g_phys.alloc_frame(FrameUse::Kernel)) hoard.push_back(f);
  CHECK(s->write(VirtAddr(A + 14 * P), &byte, 1).error() == Error::NOMEM);
  for (Frame* f : hoard) g_phys.free_frame(f);
  REQUIRE(s->write(VirtAddr(A + 14 * P), &byte, 1).has_value());
  CHECK(load(*s, A + 14 * P) == 0x77);
}

// Every anonymous frame records the family of the address space that made it, which holds every address space
// that can map it: the maker and whatever it forks afterwards. The child's own frames are in the child's
// family, which the parent is not in; an unrelated address space has a family of its own. Frame::index is the
// virtual page number.
TEST_CASE("address space: anonymous frames record their family") {
  VmEnv env;
  Space parent, stranger;
  must_map(*parent, A, 2 * P, Prot::ReadWrite);
  must_map(*stranger, A, 2 * P, Prot::ReadWrite);
  store(*parent, A, 1);
  Space child = parent.fork();
  Frame* p = mapped_frame(*parent, A);
  CHECK(p->anon_family() != nullptr);
  CHECK(load(*child, A) == 1);
  store(*child, A, 2);
  store(*child, A + P, 3);
  store(*stranger, A + P, 4);
  AnonFamily* child_family = mapped_frame(*child, A)->anon_family();
  CHECK(child_family != p->anon_family());
  CHECK(mapped_frame(*child, A + P)->anon_family() == child_family);
  CHECK(mapped_frame(*stranger, A + P)->anon_family() != p->anon_family());
  CHECK(mapped_frame(*stranger, A + P)->anon_family() != child_family);
  CHECK(mapped_frame(*child, A + P)->anon_vpn() == (A + P) >> PAGE_SHIFT);
  // Who is in which family: the parent's has the parent and the child, the child's only the child.
  auto members = [](AnonFamily* f) {
    SpinlockGuard guard(f->lock);
    return f->members.size_slow();
  };
  CHECK(members(p->anon_family()) == 2);
  CHECK(members(child_family) == 1);
  Space grandchild = child.fork();
  CHECK(members(p->anon_family()) == 3);
  CHECK(members(child_family) == 2);
}

// A family with every kind of memory, destroyed in any order, leaves nothing behind (VmEnv checks).
TEST_CASE("address space: destroying a populated family") {
  for (int order = 0; order < 3; order++) {
    CAPTURE(order);
    VmEnv env;
    auto obj = MemoryObject::create(4 * P);
    Space s;
    s->set_brk_base(VirtAddr(A));
    REQUIRE(s->brk(VirtAddr(A + 3 * P)) == VirtAddr(A + 3 * P));
    must_map(*s, STACK_TOP - 4 * P, 4 * P, Prot::ReadWrite, MapFlag::Fixed | MapFlag::Stack);
    REQUIRE(map_object(*s, A + 16 * P, 4 * P, Prot::ReadWrite, obj).has_value());
    REQUIRE(map_object(*s, A + 32 * P, 4 * P, Prot::ReadWrite, obj, 0, MapFlag::Fixed | MapFlag::Shared).has_value());
    must_map(*s, A + 0x100000000, 2 * P, Prot::ReadWrite, MapFlag::Fixed | MapFlag::Populate);
    for (u64 va : {A, A + 2 * P, STACK_TOP - 5 * P, A + 16 * P, A + 33 * P}) store(*s, va, 1);
    CHECK(load(*s, A + 17 * P) == 1);  // the object's page, written through the shared mapping
    Space child = s.fork();
    store(*child, A, 2);
    Space grandchild = child.fork();
    store(*grandchild, STACK_TOP - 6 * P, 3);
    obj = nullptr;  // the regions keep the object alive
    if (order == 0) {
      s.reset();
      child.reset();
    } else if (order == 1) {
      grandchild.reset();
      child.reset();
    } else {
      child.reset();
      CHECK(load(*grandchild, A) == 2);
    }
  }
}

// The leak check itself: a frame reference that is never dropped must make the test fail.
TEST_CASE("address space: the leak check notices a leaked reference" * doctest::should_fail()) {
  VmEnv env;
  Space s;
  must_map(*s, A, P, Prot::ReadWrite);
  store(*s, A, 1);
  mapped_frame(*s, A)->refcount.fetch_add(1);  // a reference nobody will drop
}

}  // TEST_SUITE
