// mm/anon_table.{h,cpp}: the private pages of an address space by virtual page number. Each slot holds one
// reference to its frame; release_range drops them (freeing frames whose last reference goes, and counting
// them in g_vm_stats.anon_pages), share_range_from takes one more per frame (fork), and the table's nodes go
// back as soon as no page is left.
#include "mm/anon_table.h"

#include <doctest/doctest.h>

#include <vector>

#include "vm_test_env.h"

using namespace vmtest;

namespace {

// An anonymous frame as the fault handler makes one (counted in anon_pages).
Frame* new_anon(u64 vpn) {
  Frame* f = g_phys.alloc_frame(FrameUse::Anon);
  REQUIRE(f);
  f->index = vpn;
  g_vm_stats.anon_pages.fetch_add(1);
  return f;
}

// Store a new frame at vpn, which must be empty (the fault handler's way).
void put(AnonTable& t, u64 vpn, Frame* f) {
  AnonSlot* slot = t.slot_or_null(vpn);
  REQUIRE(slot);
  REQUIRE(slot->is_empty());
  t.fill_empty(slot, f);
}

Frame* frame_at(const AnonTable& t, u64 vpn) {
  AnonSlot slot = t.at(vpn);
  return slot.is_empty() ? nullptr : slot.frame();
}

}  // namespace

TEST_SUITE("mm/anon_table") {

// A slot is found once and filled; at() reads it back; the slot's own reference is the frame's count. Overwriting
// a resident slot with a copy and releasing the old value (a copy-on-write fault) leaves the count of pages alone.
TEST_CASE("anon table: fill_empty, at and a copy-on-write replacement") {
  VmEnv env;
  AnonTable t;
  CHECK(t.at(5).is_empty());
  Frame* a = new_anon(5);
  AnonSlot* slot = t.slot_or_null(5);
  REQUIRE(slot);
  CHECK(slot->is_empty());
  t.fill_empty(slot, a);
  CHECK(t.at(5) == AnonSlot::resident(a));
  CHECK(t.at(5).frame()->anon_vpn() == 5);
  CHECK(t.resident_pages() == 1);
  CHECK(t.metadata_pages() == 3);
  CHECK(t.slot_or_null(5) == slot);  // the same slot again, not a fresh one
  // Filling a slot that holds something is a bug the debug build catches.
  CHECK_THROWS_AS(t.fill_empty(slot, a), KernelPanic);

  Frame* b = new_anon(5);
  AnonSlot held = *slot;
  *slot = AnonSlot::resident(b);
  held.release();
  CHECK(frame_at(t, 5) == b);
  CHECK(t.resident_pages() == 1);
  CHECK(a->is_free());
  CHECK(counter(g_vm_stats.anon_pages) == 1);
  CHECK(t.at(6).is_empty());
  CHECK(t.at(RadixNodes::MAX_INDEX).is_empty());
}

// release_range drops exactly the range's references; a frame someone else still holds survives. When the
// last page goes, the nodes go too.
TEST_CASE("anon table: release_range") {
  VmEnv env;
  AnonTable t;
  std::vector<Frame*> frames;
  for (u64 vpn = 1000; vpn < 1010; vpn++) {
    frames.push_back(new_anon(vpn));
    put(t, vpn, frames.back());
  }
  frames[3]->refcount.fetch_add(1);  // another holder
  t.release_range(1002, 1005);
  CHECK(t.resident_pages() == 7);
  CHECK(t.at(1002).is_empty());
  CHECK(frame_at(t, 1005) == frames[5]);
  CHECK(frames[2]->is_free());
  CHECK(frames[3]->use == FrameUse::Anon);
  CHECK(frames[3]->refcount.load() == 1);
  CHECK(counter(g_vm_stats.anon_pages) == 8);
  t.release_range(0, 1001);
  t.release_range(1100, 5000);
  CHECK(t.resident_pages() == 6);
  CHECK(t.metadata_pages() == 3);
  t.release_range(0, RadixNodes::MAX_INDEX);
  CHECK(t.resident_pages() == 0);
  CHECK(t.metadata_pages() == 0);
  CHECK(counter(g_vm_stats.anon_pages) == 1);
  anon_frame_release(frames[3]);  // the other holder lets go
  CHECK(counter(g_vm_stats.anon_pages) == 0);
}

// share_range_from takes a reference per frame in the range and nothing outside it; adjacent ranges shared
// one after the other (fork, region by region) end up like one range.
TEST_CASE("anon table: share_range_from") {
  VmEnv env;
  AnonTable parent;
  for (u64 vpn : {10ull, 11ull, 12ull, 600ull, 700ull, 300000ull}) put(parent, vpn, new_anon(vpn));
  {
    AnonTable child;
    REQUIRE(child.share_range_from(parent, 0, 12).has_value());
    REQUIRE(child.share_range_from(parent, 12, 650).has_value());
    REQUIRE(child.share_range_from(parent, 1000, 400000).has_value());
    CHECK(child.resident_pages() == 5);
    CHECK(child.at(700).is_empty());
    for (u64 vpn : {10ull, 11ull, 12ull, 600ull, 300000ull}) {
      CHECK(child.at(vpn) == parent.at(vpn));
      CHECK(frame_at(parent, vpn)->refcount.load() == 2);
    }
    CHECK(frame_at(parent, 700)->refcount.load() == 1);
    CHECK(counter(g_vm_stats.anon_pages) == 6);
  }
  // The child's destructor dropped its references.
  for (u64 vpn : {10ull, 11ull, 12ull, 600ull, 700ull, 300000ull}) CHECK(frame_at(parent, vpn)->refcount.load() == 1);
  CHECK(counter(g_vm_stats.anon_pages) == 6);
}

}  // TEST_SUITE
