// mm/anon_slot.h: the value an anon table holds for one page. Empty, a resident frame or a swap slot, in one
// word: each kind reads back what was put in and answers only its own accessor (the debug build checks), the
// encodings do not collide, and share/release move a resident frame's reference count (freeing the frame and
// counting it in g_vm_stats.anon_pages at the last). Nothing makes swapped slots yet; their encoding is tested
// here so that paging can rely on it.
#include "mm/anon_slot.h"

#include <doctest/doctest.h>

#include "vm_test_env.h"

using namespace vmtest;

TEST_SUITE("mm/anon_slot") {

static_assert(sizeof(AnonSlot) == 8);
static_assert(AnonSlot() == AnonSlot());
static_assert(AnonSlot().is_empty() && !AnonSlot().is_resident() && !AnonSlot().is_swapped());
static_assert(AnonSlot::swapped(0).is_swapped() && !AnonSlot::swapped(0).is_empty());
static_assert(AnonSlot::swapped(12345).swap_slot() == 12345);
static_assert(AnonSlot::swapped(AnonSlot::MAX_SWAP_SLOT).swap_slot() == AnonSlot::MAX_SWAP_SLOT);

TEST_CASE("anon slot: empty, resident and swapped") {
  VmEnv env;
  AnonSlot empty;
  CHECK(empty.is_empty());
  CHECK_THROWS_AS(empty.frame(), KernelPanic);
  CHECK_THROWS_AS(empty.swap_slot(), KernelPanic);

  Frame* f = g_phys.alloc_frame(FrameUse::Anon);
  REQUIRE(f);
  AnonSlot resident = AnonSlot::resident(f);
  CHECK(resident.is_resident());
  CHECK_FALSE(resident.is_empty());
  CHECK_FALSE(resident.is_swapped());
  CHECK(resident.frame() == f);
  CHECK_THROWS_AS(resident.swap_slot(), KernelPanic);
  CHECK_THROWS_AS(AnonSlot::resident(nullptr), KernelPanic);

  for (u64 n : {u64{0}, u64{1}, u64{4096}, AnonSlot::MAX_SWAP_SLOT}) {
    CAPTURE(n);
    AnonSlot swapped = AnonSlot::swapped(n);
    CHECK(swapped.is_swapped());
    CHECK_FALSE(swapped.is_resident());
    CHECK_FALSE(swapped.is_empty());
    CHECK(swapped.swap_slot() == n);
    CHECK_THROWS_AS(swapped.frame(), KernelPanic);
    CHECK(swapped != resident);
    CHECK(swapped != empty);
  }
  CHECK_THROWS_AS(AnonSlot::swapped(AnonSlot::MAX_SWAP_SLOT + 1), KernelPanic);
  CHECK(AnonSlot::swapped(7) == AnonSlot::swapped(7));
  CHECK(AnonSlot::swapped(7) != AnonSlot::swapped(8));
  CHECK(resident == AnonSlot::resident(f));
  g_phys.free_frame(f);
}

// Every frame descriptor address is a resident slot (none looks swapped or empty).
TEST_CASE("anon slot: any frame descriptor encodes as resident") {
  VmEnv env;
  for (u64 i = 0; i < env.frame_count(); i++) {
    Frame* f = g_phys.frame_of(HostArena::base() + i * PAGE_SIZE);
    AnonSlot slot = AnonSlot::resident(f);
    REQUIRE(slot.is_resident());
    REQUIRE(slot.frame() == f);
  }
}

// share() takes a reference for a copy of the slot, release() drops the slot's own; the last one frees the
// frame and counts it gone.
TEST_CASE("anon slot: share and release") {
  VmEnv env;
  Frame* f = g_phys.alloc_frame(FrameUse::Anon);
  REQUIRE(f);
  g_vm_stats.anon_pages.fetch_add(1);
  AnonSlot mine = AnonSlot::resident(f);
  AnonSlot copy = mine;  // copying the value takes nothing
  CHECK(f->refcount.load() == 1);
  copy.share();
  CHECK(f->refcount.load() == 2);
  mine.release();
  CHECK(f->refcount.load() == 1);
  CHECK(f->use == FrameUse::Anon);
  CHECK(counter(g_vm_stats.anon_pages) == 1);
  copy.release();
  CHECK(f->use == FrameUse::Free);
  CHECK(counter(g_vm_stats.anon_pages) == 0);
}

}  // TEST_SUITE
