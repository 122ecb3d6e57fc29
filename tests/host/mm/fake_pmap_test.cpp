// The host's FakePmap (tests/host/mm_platform/pmap_platform.h), which the mm/ tests use in place of the Sv39
// pmap: it must keep the pmap(9) contract of mm/pmap.h, or tests built on it would prove nothing.
#include "mm/pmap.h"

#include <doctest/doctest.h>

#include "support/host_panic.h"

static_assert(PmapInterface<FakePmap>);

TEST_SUITE("mm/fake_pmap") {

// enter maps a page (replacing an older mapping), extract translates inside it, remove unmaps a range.
TEST_CASE("fake pmap: enter, extract and remove") {
  Pmap* p = Pmap::create();
  REQUIRE(p);
  CHECK(p->extract(VirtAddr(0x1000)).error() == Error::NOENT);
  REQUIRE(p->enter(VirtAddr(0x1000), PhysAddr(0x80001000), Prot::Read, PmapEnter::Normal).has_value());
  REQUIRE(p->enter(VirtAddr(0x2000), PhysAddr(0x80005000), Prot::ReadWrite, PmapEnter::Normal).has_value());
  CHECK(p->extract(VirtAddr(0x1234)).value() == PhysAddr(0x80001234));
  REQUIRE(p->enter(VirtAddr(0x1000), PhysAddr(0x80009000), Prot::Read, PmapEnter::Normal).has_value());
  CHECK(p->extract(VirtAddr(0x1000)).value() == PhysAddr(0x80009000));
  p->remove(VirtAddr(0x1000), VirtAddr(0x2000));
  CHECK(p->extract(VirtAddr(0x1000)).is_error());
  CHECK(p->extract(VirtAddr(0x2000)).has_value());
  CHECK_THROWS_AS((void)p->enter(VirtAddr(0x1001), PhysAddr(0), Prot::Read, PmapEnter::Normal), KernelPanic);
  Pmap::destroy(p);
}

// protect only takes rights away; a mapping left with none is gone.
TEST_CASE("fake pmap: protect never raises rights") {
  Pmap* p = Pmap::create();
  REQUIRE(p->enter(VirtAddr(0x1000), PhysAddr(0x80001000), Prot::ReadWrite, PmapEnter::Normal).has_value());
  REQUIRE(p->enter(VirtAddr(0x2000), PhysAddr(0x80002000), Prot::Read, PmapEnter::Normal).has_value());
  p->protect(VirtAddr(0x1000), VirtAddr(0x3000), Prot::ReadExec);
  CHECK(p->find(VirtAddr(0x1000))->prot == Prot::Read);
  CHECK(p->find(VirtAddr(0x2000))->prot == Prot::Read);
  p->protect(VirtAddr(0x2000), VirtAddr(0x3000), Prot::Write);
  CHECK(p->find(VirtAddr(0x2000)) == nullptr);
  Pmap::destroy(p);
}

// Referenced and modified: set by enter (modified only for a dirty enter of a writable page) and by
// simulated accesses, reported and cleared one mapping at a time.
TEST_CASE("fake pmap: referenced and modified") {
  Pmap* p = Pmap::create();
  REQUIRE(p->enter(VirtAddr(0x1000), PhysAddr(0x80001000), Prot::ReadWrite, PmapEnter::Normal).has_value());
  REQUIRE(p->enter(VirtAddr(0x2000), PhysAddr(0x80002000), Prot::ReadWrite, PmapEnter::Dirty).has_value());
  REQUIRE(p->enter(VirtAddr(0x3000), PhysAddr(0x80003000), Prot::Read, PmapEnter::Dirty).has_value());
  CHECK_FALSE(p->is_modified(VirtAddr(0x1000)));
  CHECK(p->is_modified(VirtAddr(0x2000)));
  CHECK_FALSE(p->is_modified(VirtAddr(0x3000)));
  CHECK(p->clear_referenced(VirtAddr(0x1000)));
  CHECK_FALSE(p->clear_referenced(VirtAddr(0x1000)));
  CHECK(p->touch(VirtAddr(0x1000), Access::Write));
  CHECK(p->is_modified(VirtAddr(0x1000)));
  CHECK(p->clear_modified(VirtAddr(0x1000)));
  CHECK_FALSE(p->is_modified(VirtAddr(0x1000)));
  CHECK_FALSE(p->touch(VirtAddr(0x3000), Access::Write));  // read-only: the access would fault
  CHECK_FALSE(p->clear_modified(VirtAddr(0x9000)));
  Pmap::destroy(p);
}

// Changes leave TLB work pending until update(); calls are logged in order; failures can be injected.
TEST_CASE("fake pmap: update, call log and failure injection") {
  Pmap* p = Pmap::create();
  REQUIRE(p->enter(VirtAddr(0x1000), PhysAddr(0x80001000), Prot::ReadWrite, PmapEnter::Dirty).has_value());
  p->protect(VirtAddr(0x1000), VirtAddr(0x2000), Prot::Read);
  CHECK(p->pending_flushes() == 2);
  p->update();
  CHECK(p->pending_flushes() == 0);
  CHECK(p->updates() == 1);
  p->activate();
  CHECK(p->calls() == std::vector<std::string>{"enter 0x1000 -> 0x80001000 rw- dirty", "protect 0x1000-0x2000 r--",
                                               "activate"});
  p->fail_next_enters(1);
  CHECK(p->enter(VirtAddr(0x5000), PhysAddr(0), Prot::Read, PmapEnter::Normal).error() == Error::NOMEM);
  CHECK(p->enter(VirtAddr(0x5000), PhysAddr(0), Prot::Read, PmapEnter::Normal).has_value());
  CHECK(p->table_pages() == 3);  // root + one 1 GiB slot + one 2 MiB slot in use
  long live = FakePmap::live_count();
  FakePmap::fail_next_creates(1);
  CHECK(Pmap::create() == nullptr);
  CHECK(FakePmap::live_count() == live);
  Pmap::destroy(p);
  CHECK(FakePmap::live_count() == live - 1);
}

}  // TEST_SUITE
