// Fork of an address space with pages on swap (mm/swap_in.cpp, mm/remap.cpp): the child names the same slots,
// a page is read once for both and copied on write in each; an mremap that moves a page still shared on swap
// leaves a copy to the mover and the frame at one virtual page. (Writing a page read back read-only must copy it
// while others name its slot: the cow lab's exercise 2, so labs/cow/lab.json owns this suite.)
#include "swap_test_env.h"

using namespace swaptest;

TEST_SUITE("swap/fork") {

TEST_CASE("fork after page-out: one slot, read once, copied on write in both") {
  SwapEnv env;
  Space parent;
  must_map(*parent, A, 8 * P, Prot::ReadWrite);
  fill(*parent, A, 8, 10);
  page_out_all(*parent);
  CHECK(swap_used() == 8);
  Space child = parent.fork();
  CHECK(child->swapped_pages() == 8);
  CHECK(swap_used() == 8);  // shared: the slots have two names each
  u64 reads = env.disk().stats().reads.load();
  check_filled(*child, A, 8, 10);
  u64 reads_after_child = env.disk().stats().reads.load();
  CHECK(reads_after_child > reads);
  check_filled(*parent, A, 8, 10);  // from the swap cache: no I/O
  CHECK(env.disk().stats().reads.load() == reads_after_child);
  CHECK(stat(g_vm_stats.swap_cache_hits) >= 8);
  // Writes in both: each gets its own copy.
  for (u64 i = 0; i < 8; i++) store(*child, A + i * P, 200);
  for (u64 i = 0; i < 8; i++) store(*parent, A + i * P, static_cast<u8>(50 + i));
  for (u64 i = 0; i < 8; i++) {
    CHECK(load(*child, A + i * P) == 200);
    CHECK(load(*parent, A + i * P) == static_cast<u8>(50 + i));
  }
  // Everything out and back once more, now that they differ.
  page_out_all(*parent);
  page_out_all(*child);
  for (u64 i = 0; i < 8; i++) {
    CHECK(load(*child, A + i * P) == 200);
    CHECK(load(*parent, A + i * P) == static_cast<u8>(50 + i));
  }
  child.reset();
  parent.reset();
  CHECK(swap_used() == 0);
}

TEST_CASE("fork with memory full reclaims for the child's tables, as a fault does, instead of failing") {
  SwapEnv env(512 * KiB);  // 128 frames
  Space parent;
  must_map(*parent, A, 64 * P, Prot::ReadWrite);
  fill(*parent, A, 64, 30);
  // Every frame left is taken by something page-out cannot touch: the child's tables can only come from pages
  // that go to swap first.
  std::vector<Frame*> pinned;
  while (Frame* f = g_phys.alloc(0, FrameUse::Kernel)) pinned.push_back(f);
  REQUIRE(g_phys.free_frames() == 0);
  u64 outs = stat(g_vm_stats.pswpout);
  auto child = parent->fork();
  for (Frame* f : pinned) g_phys.free_frame(f);
  CHECK(child.has_value());
  CHECK(stat(g_vm_stats.pswpout) > outs);  // it got its memory from page-out
  if (!child.has_value()) return;
  Space kid(child.release_value());
  check_filled(*kid, A, 64, 30);
  check_filled(*parent, A, 64, 30);
  kid.reset();
  parent.reset();
}

TEST_CASE("mremap of pages shared on swap: the mover gets copies, the other keeps the frames at their page") {
  SwapEnv env;
  Space parent;
  must_map(*parent, A, 8 * P, Prot::ReadWrite);
  fill(*parent, A, 8, 70);
  page_out_all(*parent);
  Space child = parent.fork();
  load(*parent, A + 5 * P);  // one page in the swap cache, held read-only by the parent at A + 5P
  constexpr u64 B = A + 64 * P;
  REQUIRE(child->remap(VirtAddr(A), 8 * P, 8 * P, RemapFlag::MayMove | RemapFlag::Fixed, VirtAddr(B)).value() ==
          VirtAddr(B));
  // The child reads and writes at the new place; the parent still sees its own bytes at the old one.
  check_filled(*child, B, 8, 70);
  for (u64 i = 0; i < 8; i += 2) store(*child, B + i * P, 1);
  check_filled(*parent, A, 8, 70);
  for (u64 i = 0; i < 8; i++) CHECK(load(*child, B + i * P) == (i % 2 == 0 ? 1 : static_cast<u8>(70 + i)));
  // No frame is held at two pages: all of them can go out and come back.
  page_out_all(*parent);
  page_out_all(*child);
  CHECK(parent->resident_anon_pages() == 0);
  CHECK(child->resident_anon_pages() == 0);
  check_filled(*parent, A, 8, 70);
  for (u64 i = 0; i < 8; i++) CHECK(load(*child, B + i * P) == (i % 2 == 0 ? 1 : static_cast<u8>(70 + i)));
  child.reset();
  parent.reset();
  CHECK(swap_used() == 0);
}

}  // TEST_SUITE
