// mm/anon_slot.h: the value an anon table holds for one page. Empty, a resident frame or a swap entry, in one
// word: each kind reads back what was put in and answers only its own accessor (the debug build checks), the
// encodings do not collide, and share/release move a resident frame's reference count (freeing the frame and
// counting it in g_vm_stats.anon_pages at the last). (share/release of swapped slots: tests/host/swap.)
#include "mm/anon_slot.h"

#include <doctest/doctest.h>

#include "vm_test_env.h"

using namespace vmtest;

TEST_SUITE("mm/anon_slot") {

static_assert(sizeof(AnonSlot) == 8);
static_assert(AnonSlot() == AnonSlot());
static_assert(AnonSlot().is_empty() && !AnonSlot().is_resident() && !AnonSlot().is_swapped());
static_assert(AnonSlot::swapped(SwapEntry(0, 1)).is_swapped() && !AnonSlot::swapped(SwapEntry(0, 1)).is_empty());
static_assert(AnonSlot::swapped(SwapEntry(3, 12345)).swap_entry() == SwapEntry(3, 12345));
static_assert(AnonSlot::swapped(SwapEntry(MAX_SWAP_AREAS - 1, SwapEntry::MAX_OFFSET)).swap_entry().offset() ==
              SwapEntry::MAX_OFFSET);
static_assert(SwapEntry(5, 77).area() == 5 && SwapEntry(5, 77).offset() == 77);

TEST_CASE("anon slot: empty, resident and swapped") {
  VmEnv env;
  AnonSlot empty;
  CHECK(empty.is_empty());
  CHECK_THROWS_AS(empty.frame(), KernelPanic);
  CHECK_THROWS_AS(empty.swap_entry(), KernelPanic);

  Frame* f = g_phys.alloc_frame(FrameUse::Anon);
  REQUIRE(f);
  AnonSlot resident = AnonSlot::resident(f);
  CHECK(resident.is_resident());
  CHECK_FALSE(resident.is_empty());
  CHECK_FALSE(resident.is_swapped());
  CHECK(resident.frame() == f);
  CHECK_THROWS_AS(resident.swap_entry(), KernelPanic);
  CHECK_THROWS_AS(AnonSlot::resident(nullptr), KernelPanic);

  for (u64 n : {u64{1}, u64{4096}, SwapEntry::MAX_OFFSET}) {
    CAPTURE(n);
    AnonSlot swapped = AnonSlot::swapped(SwapEntry(1, n));
    CHECK(swapped.is_swapped());
    CHECK_FALSE(swapped.is_resident());
    CHECK_FALSE(swapped.is_empty());
    CHECK(swapped.swap_entry() == SwapEntry(1, n));
    CHECK_THROWS_AS(swapped.frame(), KernelPanic);
    CHECK(swapped != resident);
    CHECK(swapped != empty);
  }
  CHECK_THROWS_AS(AnonSlot::swapped(SwapEntry()), KernelPanic);
  CHECK_THROWS_AS(SwapEntry(0, SwapEntry::MAX_OFFSET + 1), KernelPanic);
  CHECK(AnonSlot::swapped(SwapEntry(0, 7)) == AnonSlot::swapped(SwapEntry(0, 7)));
  CHECK(AnonSlot::swapped(SwapEntry(0, 7)) != AnonSlot::swapped(SwapEntry(0, 8)));
  CHECK(AnonSlot::swapped(SwapEntry(0, 7)) != AnonSlot::swapped(SwapEntry(1, 7)));
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
  CHECK(f->is_free());
  CHECK(counter(g_vm_stats.anon_pages) == 0);
}

}  // TEST_SUITE
