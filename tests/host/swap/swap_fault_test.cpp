// Faults that sleep, and swap-in (mm/fault.cpp, mm/swap_in.cpp) with page-out (mm/pageout.cpp) over a RAM disk:
// pages go out and come back with their bytes; a page shared copy-on-write keeps one slot and is read once;
// read errors give SIGBUS to the faulting access only and write errors lose nothing; a page written during its
// write-out stays; read-ahead brings neighbours; locked regions stay in memory; swapoff brings everything back.
#include <atomic>
#include <thread>

#include "swap_test_env.h"

using namespace swaptest;

TEST_SUITE("swap/fault") {

TEST_CASE("pages go to swap and come back with their contents; the slots are freed when written again") {
  SwapEnv env;
  Space s;
  must_map(*s, A, 16 * P, Prot::ReadWrite);
  fill(*s, A, 16, 100);
  CHECK(s->resident_anon_pages() == 16);
  page_out_all(*s);
  CHECK(s->resident_anon_pages() == 0);
  CHECK(s->swapped_pages() == 16);
  CHECK(stat(g_vm_stats.pswpout) == 16);
  CHECK(swap_used() == 16);
  CHECK_FALSE(is_mapped(*s, A));
  // The pages went out together: one request's worth of neighbouring slots, and the disk has the bytes.
  CHECK(env.disk().stats().writes.load() <= 2);

  check_filled(*s, A, 16, 100);
  CHECK(s->resident_anon_pages() == 16);
  CHECK(s->swapped_pages() == 0);
  // Read-ahead brought the neighbours: the aligned windows of 8 slots around slots 1..16 are [0,8) (0 is the
  // header), [8,16) and [16,24): three reads.
  CHECK(stat(g_vm_stats.pgmajfault) == 3);
  CHECK(stat(g_vm_stats.swap_ra) == 13);
  CHECK(stat(g_vm_stats.swap_ra_hit) == 13);
  // Read back, mapped writable (nobody else has them), the swap copies kept: a page not written since can go
  // again without a write (the dirty bit says), and one written goes to its slot again.
  CHECK(mapped_prot(*s, A) == Prot::ReadWrite);
  CHECK(swap_used() == 16);
  s.reset();
  CHECK(swap_used() == 0);
}

TEST_CASE("a page read back by a write gives its slot up at once; so does any page when swap is half full") {
  SwapEnv env(512 * KiB, "mkswap-1M-label.img");  // 255 slots
  Space s;
  must_map(*s, A, 4 * P, Prot::ReadWrite);
  fill(*s, A, 4, 1);
  page_out_all(*s);
  CHECK(swap_used() == 4);
  store(*s, A, 9);  // a write fault reads it back
  CHECK(swap_used() == 3);
  CHECK(load(*s, A + P) == 2);  // a read: the copy stays (swap is far from half full)
  CHECK(swap_used() == 3);
  // Fill swap past half: now a read gives the slot up too. (Mapped and paged out a piece at a time, so that
  // no mapping needs more than the RAM at once, even where mmap populates eagerly: the lazy lab's starting code.)
  for (u64 piece = 0; piece < 7; piece++) {
    u64 at = A + (4 + piece * 28) * P;
    must_map(*s, at, 28 * P, Prot::ReadWrite);
    fill(*s, at, 28, 0);
    page_out_all(*s);
  }
  REQUIRE(g_swap.is_half_full());
  u64 used = swap_used();
  CHECK(load(*s, A + 2 * P) == 3);
  CHECK(swap_used() < used);
  s.reset();
  CHECK(swap_used() == 0);
}

TEST_CASE("a clean page with a good swap copy is dropped without writing it again") {
  SwapEnv env;
  Space s;
  must_map(*s, A, 8 * P, Prot::ReadWrite);
  fill(*s, A, 8, 1);
  page_out_all(*s);
  u64 writes = env.disk().stats().writes.load();
  check_filled(*s, A, 8, 1);  // read back, not written
  page_out_all(*s);
  CHECK(s->resident_anon_pages() == 0);
  CHECK(env.disk().stats().writes.load() == writes);
  CHECK(stat(g_vm_stats.pswpout) == 8);
  // Written after being read back: it goes to swap again (to the same slot or a new one).
  check_filled(*s, A, 8, 1);
  store(*s, A + 3 * P, 99);
  page_out_all(*s);
  CHECK(stat(g_vm_stats.pswpout) == 9);
  CHECK(load(*s, A + 3 * P) == 99);
  CHECK(load(*s, A + 2 * P) == 3);
  s.reset();
  CHECK(swap_used() == 0);
}

TEST_CASE("a page read back for reading is mapped writable only if nobody else can see it") {
  SwapEnv env;
  Space s;
  must_map(*s, A, 2 * P, Prot::ReadWrite);
  store(*s, A, 5);
  page_out_all(*s);
  CHECK(load(*s, A) == 5);
  CHECK(mapped_prot(*s, A) == Prot::ReadWrite);  // exclusive: no fault at the next write
  // After fork both name the slot: reading it back maps it read-only in each.
  page_out_all(*s);
  Space child = s.fork();
  CHECK(load(*child, A) == 5);
  CHECK(mapped_prot(*child, A) == Prot::Read);
  CHECK(load(*s, A) == 5);
  CHECK(mapped_prot(*s, A) == Prot::Read);
  child.reset();
  s.reset();
  CHECK(swap_used() == 0);
}

TEST_CASE("mremap moves pages on swap with their slots; page-out finds the moved pages at their new place") {
  SwapEnv env;
  Space s;
  must_map(*s, A, 8 * P, Prot::ReadWrite);
  fill(*s, A, 8, 30);
  page_out_all(*s);
  CHECK(s->swapped_pages() == 8);
  load(*s, A + 2 * P);  // one page back in memory (and its neighbours in the swap cache, read ahead)
  constexpr u64 B = A + 64 * P;
  REQUIRE(s->remap(VirtAddr(A), 8 * P, 8 * P, RemapFlag::MayMove | RemapFlag::Fixed, VirtAddr(B)).value() ==
          VirtAddr(B));
  CHECK(s->swapped_pages() + s->resident_anon_pages() == 8);
  CHECK(swap_used() >= 7);
  check_filled(*s, B, 8, 30);
  // Every frame now belongs to its new page: the reverse map finds them all again.
  page_out_all(*s);
  CHECK(s->resident_anon_pages() == 0);
  check_filled(*s, B, 8, 30);
  s.reset();
  CHECK(swap_used() == 0);
}

TEST_CASE("swapped pages are released by munmap, MADV_DONTNEED and exit") {
  SwapEnv env;
  Space s;
  must_map(*s, A, 12 * P, Prot::ReadWrite);
  fill(*s, A, 12, 1);
  page_out_all(*s);
  CHECK(swap_used() == 12);
  REQUIRE(s->unmap(VirtAddr(A), 4 * P).has_value());
  CHECK(swap_used() == 8);
  REQUIRE(s->discard(VirtAddr(A + 4 * P), 4 * P).has_value());
  CHECK(swap_used() == 4);
  CHECK(load(*s, A + 4 * P) == 0);  // discarded: zeros again
  s.reset();
  CHECK(swap_used() == 0);
}

TEST_CASE("a read error gives the faulting access SIGBUS; the next fault reads again") {
  SwapEnv env;
  Space s;
  must_map(*s, A, 4 * P, Prot::ReadWrite);
  fill(*s, A, 4, 30);
  page_out_all(*s);
  env.disk().fail(BlockOp::Read, 0, 1u << 20);
  CHECK(s->handle_fault(VirtAddr(A + P), Access::Read) == FaultResult::BusError);
  CHECK(s->handle_fault(VirtAddr(A + 2 * P), Access::Write) == FaultResult::BusError);
  CHECK(stat(g_vm_stats.swap_read_errors) >= 1);
  CHECK(s->swapped_pages() == 4);  // nothing was lost: the pages are still on swap
  env.disk().clear_failures();
  check_filled(*s, A, 4, 30);
  s.reset();
  CHECK(swap_used() == 0);
}

TEST_CASE("a read error on one slot gives SIGBUS to that page only, not to its read-ahead neighbours") {
  SwapEnv env;
  Space s;
  must_map(*s, A, 8 * P, Prot::ReadWrite);
  fill(*s, A, 8, 90);
  page_out_all(*s);
  // Page 5 is in slot 6 (slot 0 is the header): its eight sectors fail. Faults in its read-ahead window read the
  // window as one request, which fails; each page is then read again alone.
  env.disk().fail(BlockOp::Read, 6 * 8, 8);
  CHECK(load(*s, A + 4 * P) == 94);
  CHECK(s->handle_fault(VirtAddr(A + 5 * P), Access::Read) == FaultResult::BusError);
  CHECK(load(*s, A + 6 * P) == 96);
  CHECK(s->swapped_pages() >= 1);  // page 5 is still on swap, to be read again
  env.disk().clear_failures();
  check_filled(*s, A, 8, 90);
  s.reset();
  CHECK(swap_used() == 0);
}

TEST_CASE("a write error keeps the page in memory and marks the slot bad: nothing is lost") {
  SwapEnv env;
  Space s;
  must_map(*s, A, 4 * P, Prot::ReadWrite);
  fill(*s, A, 4, 60);
  u64 total = g_swap.totals().total_pages;
  env.disk().fail_next(BlockOp::Write, 1);
  page_out_all(*s);  // the first request fails; its pages stay; the next rounds write them elsewhere
  CHECK(stat(g_vm_stats.swap_write_errors) >= 1);
  CHECK(g_swap.totals().total_pages < total);
  check_filled(*s, A, 4, 60);
  s.reset();
  CHECK(swap_used() == 0);
}

TEST_CASE("a page written during its write-out stays in memory, with its new contents") {
  SwapEnv env;
  Space s;
  must_map(*s, A, P, Prot::ReadWrite);
  store(*s, A, 1);
  env.disk().hold();
  std::thread reclaimer([] { reclaim_pages(1, ReclaimFor::Direct); });
  env.disk().wait_queued(1);
  // The write is in flight; the page is still mapped, writable: the program writes on.
  u8 two = 2;
  CHECK(locked_access(*s, A, Access::Write, &two) == FaultResult::Resolved);
  env.disk().release();
  reclaimer.join();
  CHECK(s->resident_anon_pages() == 1);
  CHECK(load(*s, A) == 2);
  // Next time it goes (written again), and comes back with the new byte.
  page_out_all(*s);
  CHECK(s->resident_anon_pages() == 0);
  CHECK(load(*s, A) == 2);
  s.reset();
  CHECK(swap_used() == 0);
}

TEST_CASE("a page-out round fences the TLBs once per phase, not once per page") {
  SwapEnv env;
  Space s;
  must_map(*s, A, 32 * P, Prot::ReadWrite);
  fill(*s, A, 32, 7);
  u64 updates = s->pmap().updates();
  u64 flushes = FakePmap::batch_flushes();
  // One round of 32 pages: their dirty bits (one flush before the writes) and their mappings (one before the
  // frames go).
  CHECK(reclaim_pages(32, ReclaimFor::Direct) == 32);
  CHECK(s->resident_anon_pages() == 0);
  CHECK(FakePmap::batch_flushes() - flushes == 2);
  CHECK(s->pmap().updates() == updates);  // no flush of its own per page
  check_filled(*s, A, 32, 7);
  s.reset();
  CHECK(swap_used() == 0);
}

TEST_CASE("pages of a locked region are never paged out") {
  SwapEnv env;
  Space s;
  must_map(*s, A, 8 * P, Prot::ReadWrite);
  fill(*s, A, 8, 1);
  REQUIRE(s->set_locked(VirtAddr(A + 2 * P), 2 * P, AddressSpace::LockMode::Lock).has_value());
  page_out_all(*s);
  CHECK(s->resident_anon_pages() == 2);
  CHECK(is_mapped(*s, A + 2 * P));
  CHECK(is_mapped(*s, A + 3 * P));
  // Locking pages that are on swap brings them in.
  REQUIRE(s->set_locked(VirtAddr(A + 5 * P), P, AddressSpace::LockMode::Lock).has_value());
  CHECK(s->resident_anon_pages() == 3);
  REQUIRE(s->set_locked(VirtAddr(A), 8 * P, AddressSpace::LockMode::Unlock).has_value());
  page_out_all(*s);
  CHECK(s->resident_anon_pages() == 0);
  check_filled(*s, A, 8, 1);
  s.reset();
}

TEST_CASE("mlock2 MLOCK_ONFAULT locks without bringing pages in; a hole is ENOMEM") {
  SwapEnv env;
  Space s;
  must_map(*s, A, 4 * P, Prot::ReadWrite);
  fill(*s, A, 4, 3);
  page_out_all(*s);
  REQUIRE(s->set_locked(VirtAddr(A), 4 * P, AddressSpace::LockMode::LockOnFault).has_value());
  CHECK(s->resident_anon_pages() == 0);
  CHECK(load(*s, A + P) == 3 + 1);  // faulted in: now locked
  page_out_all(*s);
  CHECK(s->resident_anon_pages() == 1);
  CHECK(s->set_locked(VirtAddr(A), 8 * P, AddressSpace::LockMode::Lock).error() == Error::NOMEM);
  s.reset();
  CHECK(swap_used() == 0);
}

TEST_CASE("mlockall: current regions, future mappings, munlockall; a fork child inherits no lock") {
  SwapEnv env;
  Space s;
  must_map(*s, A, 2 * P, Prot::ReadWrite);
  fill(*s, A, 2, 5);
  page_out_all(*s);
  REQUIRE(s->set_all_locked(true, true, AddressSpace::LockMode::Lock).has_value());
  CHECK(s->resident_anon_pages() == 2);  // brought back in
  must_map(*s, A + 16 * P, 2 * P, Prot::ReadWrite);  // MCL_FUTURE: locked and populated
  CHECK(s->resident_anon_pages() == 4);
  Space child = s.fork();
  // A page the parent maps locked stays while shared; the child's own copies may go.
  fill(*child, A, 2, 5);
  fill(*child, A + 16 * P, 2, 9);
  page_out_all(*s);
  CHECK(s->resident_anon_pages() == 4);
  page_out_all(*child);
  CHECK(child->resident_anon_pages() == 0);
  check_filled(*child, A, 2, 5);
  check_filled(*child, A + 16 * P, 2, 9);
  child.reset();
  REQUIRE(s->set_all_locked(true, false, AddressSpace::LockMode::Unlock).has_value());
  must_map(*s, A + 32 * P, P, Prot::ReadWrite);
  page_out_all(*s);
  CHECK(s->resident_anon_pages() == 0);  // the future lock is gone: the new mapping's pages may go too
  check_filled(*s, A, 2, 5);
  s.reset();
  CHECK(swap_used() == 0);
}

TEST_CASE("faults of several threads on one swapped page: one read, every thread sees the page") {
  SwapEnv env;
  Space parent;
  must_map(*parent, A, P, Prot::ReadWrite);
  store(*parent, A, 42);
  page_out_all(*parent);
  std::vector<Space> children;
  for (int i = 0; i < 4; i++) children.push_back(parent.fork());
  u64 reads = env.disk().stats().reads.load();
  env.disk().hold();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; i++) {
    threads.emplace_back([&, i] {
      u8 v = 0;
      if (locked_access(*children[i], A, Access::Read, &v) == FaultResult::Resolved && v == 42) ok++;
    });
  }
  env.disk().wait_queued(1);
  env.disk().release();
  for (auto& t : threads) t.join();
  CHECK(ok.load() == 4);
  CHECK(env.disk().stats().reads.load() == reads + 1);
  children.clear();
  parent.reset();
  CHECK(swap_used() == 0);
}

TEST_CASE("swapoff brings every page back, in every address space that names it") {
  SwapEnv env;
  Space parent;
  must_map(*parent, A, 20 * P, Prot::ReadWrite);
  fill(*parent, A, 20, 3);
  page_out_all(*parent);
  Space child = parent.fork();
  store(*child, A, 77);  // the child's own copy of page 0
  page_out_all(*child);
  CHECK(swap_used() > 0);
  REQUIRE(g_swap.swapoff(env.disk_ref().get()).has_value());
  CHECK_FALSE(g_swap.has_areas());
  CHECK(parent->swapped_pages() == 0);
  CHECK(child->swapped_pages() == 0);
  CHECK(load(*child, A) == 77);
  check_filled(*parent, A, 20, 3);
  for (u64 i = 1; i < 20; i++) CHECK(load(*child, A + i * P) == static_cast<u8>(3 + i));
  // (the fixture swaps on again so that its own swapoff finds the area)
  REQUIRE(swapon_disk(env.disk_ref(), "/dev/vdz").has_value());
}

TEST_CASE("with RAM and swap full, a fault that finds no memory is OutOfMemory (no killer here)") {
  SwapEnv env(512 * KiB, "mkswap-1M-label.img");  // 128 frames, 255 slots
  Space s;
  u64 pages = 600;
  // Mapped without rights first, then made writable: memory only the faults below fill, even where mmap
  // populates private memory eagerly (the lazy lab's starting code, which would fail the mapping itself).
  must_map(*s, A, pages * P, Prot::None);
  REQUIRE(s->protect(VirtAddr(A), pages * P, Prot::ReadWrite).has_value());
  FaultResult last = FaultResult::Resolved;
  u64 i = 0;
  for (; i < pages && last == FaultResult::Resolved; i++) last = s->handle_fault(VirtAddr(A + i * P), Access::Write);
  CHECK(last == FaultResult::OutOfMemory);
  CHECK(i > 255);  // swap took pages before memory ran out
  CHECK(g_swap.totals().free_pages == 0);
  s.reset();
  CHECK(swap_used() == 0);
}

}  // TEST_SUITE
