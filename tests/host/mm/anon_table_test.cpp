// mm/anon_table.{h,cpp}: the private pages of an address space by virtual page number. Each entry holds one
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

}  // namespace

TEST_SUITE("mm/anon_table") {

// set stores a frame (taking over the caller's reference); storing over a frame releases the old one.
TEST_CASE("anon table: set, frame_at and replacement") {
  VmEnv env;
  AnonTable t;
  CHECK(t.frame_at(5) == nullptr);
  Frame* a = new_anon(5);
  REQUIRE(t.set(5, a).has_value());
  CHECK(t.frame_at(5) == a);
  CHECK(t.resident_pages() == 1);
  CHECK(t.metadata_pages() == 3);
  Frame* b = new_anon(5);
  REQUIRE(t.set(5, b).has_value());
  CHECK(t.frame_at(5) == b);
  CHECK(t.resident_pages() == 1);
  CHECK(a->use == FrameUse::Free);
  CHECK(counter(g_vm_stats.anon_pages) == 1);
  // The fault handler's way: find the entry once, then fill it.
  u64* entry = t.entry(6).value();
  CHECK(*entry == 0);
  t.fill_empty(entry, new_anon(6));
  CHECK(t.resident_pages() == 2);
  CHECK(t.frame_at(6)->index == 6);
}

// release_range drops exactly the range's references; a frame someone else still holds survives. When the
// last page goes, the nodes go too.
TEST_CASE("anon table: release_range") {
  VmEnv env;
  AnonTable t;
  std::vector<Frame*> frames;
  for (u64 vpn = 1000; vpn < 1010; vpn++) {
    frames.push_back(new_anon(vpn));
    REQUIRE(t.set(vpn, frames.back()).has_value());
  }
  frames[3]->refcount.fetch_add(1);  // another holder
  t.release_range(1002, 1005);
  CHECK(t.resident_pages() == 7);
  CHECK(t.frame_at(1002) == nullptr);
  CHECK(t.frame_at(1005) == frames[5]);
  CHECK(frames[2]->use == FrameUse::Free);
  CHECK(frames[3]->use == FrameUse::Anon);
  CHECK(frames[3]->refcount.load() == 1);
  CHECK(counter(g_vm_stats.anon_pages) == 8);
  t.release_range(0, 1001);
  t.release_range(1100, 5000);
  CHECK(t.resident_pages() == 6);
  CHECK(t.metadata_pages() == 3);
  t.release_range(0, RadixTable::MAX_INDEX);
  CHECK(t.resident_pages() == 0);
  CHECK(t.metadata_pages() == 0);
  CHECK(counter(g_vm_stats.anon_pages) == 1);
  g_vm_stats.anon_release(frames[3]);  // the other holder lets go
  CHECK(counter(g_vm_stats.anon_pages) == 0);
}

// share_range_from takes a reference per frame in the range and nothing outside it; adjacent ranges shared
// one after the other (fork, region by region) end up like one range.
TEST_CASE("anon table: share_range_from") {
  VmEnv env;
  AnonTable parent;
  for (u64 vpn : {10ull, 11ull, 12ull, 600ull, 700ull, 300000ull}) REQUIRE(parent.set(vpn, new_anon(vpn)).has_value());
  {
    AnonTable child;
    REQUIRE(child.share_range_from(parent, 0, 12).has_value());
    REQUIRE(child.share_range_from(parent, 12, 650).has_value());
    REQUIRE(child.share_range_from(parent, 1000, 400000).has_value());
    CHECK(child.resident_pages() == 5);
    CHECK(child.frame_at(700) == nullptr);
    for (u64 vpn : {10ull, 11ull, 12ull, 600ull, 300000ull}) {
      CHECK(child.frame_at(vpn) == parent.frame_at(vpn));
      CHECK(parent.frame_at(vpn)->refcount.load() == 2);
    }
    CHECK(parent.frame_at(700)->refcount.load() == 1);
    CHECK(counter(g_vm_stats.anon_pages) == 6);
  }
  // The child's destructor dropped its references.
  for (u64 vpn : {10ull, 11ull, 12ull, 600ull, 700ull, 300000ull}) CHECK(parent.frame_at(vpn)->refcount.load() == 1);
  CHECK(counter(g_vm_stats.anon_pages) == 6);
}

}  // TEST_SUITE
