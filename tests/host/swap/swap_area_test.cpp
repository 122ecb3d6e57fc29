// mm/swap_area.{h,cpp} and mm/swap.{h,cpp}: swapon of areas made by mkswap over a RAM disk; what is refused
// and why; priorities; slot allocation next to each other, counting, freeing, bad slots; swapoff.
#include "swap_test_env.h"

using namespace swaptest;

TEST_SUITE("swap/area") {

TEST_CASE("swapon reads mkswap's header: size, label, UUID; swapoff gives the disk back") {
  VmEnv env;
  auto disk = swap_disk("mkswap-1M-label.img");
  REQUIRE(swapon_disk(disk, "/dev/vdz").has_value());
  CHECK(g_swap.has_areas());
  SwapTotals t = g_swap.totals();
  CHECK(t.total_pages == 255);  // 256 pages, less the header
  CHECK(t.free_pages == 255);
  int seen = 0;
  g_swap.for_each_area([&](SwapArea& a) {
    seen++;
    CHECK(std::string(a.label()) == "hostlabel");
    CHECK(std::string(a.uuid()) == "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    CHECK(std::string(a.device().path()) == "/dev/vdz");
    CHECK(a.priority() == -2);  // Linux's first default priority
  });
  CHECK(seen == 1);
  // Once is enough: the same disk again is busy.
  const char* why = nullptr;
  auto again = swapon_disk(disk, "/dev/vdz", 0, &why);
  REQUIRE(again.is_error());
  CHECK(again.error() == Error::BUSY);
  REQUIRE(g_swap.swapoff(disk.get()).has_value());
  CHECK_FALSE(g_swap.has_areas());
  CHECK(g_swap.swapoff(disk.get()).error() == Error::INVAL);
}

TEST_CASE("a disk without a swap header is refused with a reason, and nothing is left behind") {
  VmEnv env;
  auto disk = make_ref<MemoryBlockDevice>("vdz", 2048);
  const char* why = nullptr;
  auto r = swapon_disk(disk, "/dev/vdz", 0, &why);
  REQUIRE(r.is_error());
  CHECK(r.error() == Error::INVAL);
  REQUIRE(why);
  CHECK(std::string(why).find("swap-space signature") != std::string::npos);
  CHECK_FALSE(g_swap.has_areas());
  // A header that cannot be read is an I/O error.
  auto unreadable = swap_disk("mkswap-1M-label.img");
  unreadable->fail(BlockOp::Read, 0, 8);
  auto r2 = swapon_disk(unreadable, "/dev/vdy", 0, &why);
  REQUIRE(r2.is_error());
  CHECK(r2.error() == Error::IO);
}

TEST_CASE("bad pages listed in the header are never used") {
  VmEnv env;
  auto disk = swap_disk("mkswap-1M-label.img");
  u8* page = disk->bytes();
  u32 count = 3, bad[3] = {1, 2, 10};
  memcpy(page + SWAP_HEADER_VERSION_OFFSET + 8, &count, 4);
  memcpy(page + SWAP_HEADER_BAD_PAGES_OFFSET, bad, sizeof bad);
  REQUIRE(swapon_disk(disk, "/dev/vdz").has_value());
  CHECK(g_swap.totals().total_pages == 252);
  // Allocate everything: no frame is ever bound to a bad slot.
  std::vector<Frame*> frames;
  for (int i = 0; i < 252; i++) {
    Frame* f = g_phys.alloc_frame(FrameUse::Anon);
    REQUIRE(f);
    frames.push_back(f);
  }
  CHECK(g_swap.allocate_and_bind(frames.data(), 252) == 252);
  Frame* extra = g_phys.alloc_frame(FrameUse::Anon);
  CHECK(g_swap.allocate_and_bind(&extra, 1) == 0);  // full
  for (Frame* f : frames) {
    u64 offset = SwapEntry::from_raw(f->swap).offset();
    CHECK(offset != 0);
    CHECK(offset != 1);
    CHECK(offset != 2);
    CHECK(offset != 10);
  }
  CHECK(g_swap.totals().free_pages == 0);
  for (Frame* f : frames) {
    swap_cache_release(f);  // (what the frame allocator does when the last reference goes)
    g_phys.free_frame(f);
  }
  g_phys.free_frame(extra);
  CHECK(g_swap.totals().free_pages == 252);
  REQUIRE(g_swap.swapoff(disk.get()).has_value());
}

TEST_CASE("slots: consecutive for a batch, counted by name, freed when unnamed and unbound; bad after a failed write") {
  VmEnv env;
  auto disk = swap_disk("mkswap-4M.img");
  REQUIRE(swapon_disk(disk, "/dev/vdz").has_value());
  Frame* f[4];
  for (Frame*& x : f) x = g_phys.alloc_frame(FrameUse::Anon);
  REQUIRE(g_swap.allocate_and_bind(f, 4) == 4);
  SwapEntry e0 = SwapEntry::from_raw(f[0]->swap);
  for (int i = 0; i < 4; i++) {
    CHECK((f[i]->page_flags & PageFlag::SwapCache) != 0);
    CHECK(SwapEntry::from_raw(f[i]->swap) == e0.plus(i));
  }
  CHECK(swap_used() == 4);
  SwapArea& area = g_swap.area_of(e0);
  // Two names for slot 0, then the binding goes: the slot stays while named.
  g_swap.entry_ref(e0);
  g_swap.entry_ref(e0);
  swap_cache_release(f[0]);
  CHECK(swap_used() == 4);
  {
    SpinlockGuard guard(area.lock());
    CHECK(area.count_locked(e0.offset()) == 2);
    CHECK(area.cached_frame_locked(e0.offset()) == nullptr);
  }
  g_swap.entry_unref(e0);
  CHECK(swap_used() == 4);
  g_swap.entry_unref(e0);
  CHECK(swap_used() == 3);
  // A failed write: the slot becomes bad, and the area is that much smaller.
  {
    SpinlockGuard guard(area.lock());
    area.mark_bad_locked(e0.plus(1).offset(), f[1]);
  }
  CHECK((f[1]->page_flags & PageFlag::SwapCache) == 0);
  CHECK(g_swap.totals().total_pages == 1023 - 1);
  CHECK(swap_used() == 2);
  swap_cache_release(f[2]);
  swap_cache_release(f[3]);
  CHECK(swap_used() == 0);
  for (Frame* x : f) g_phys.free_frame(x);
  REQUIRE(g_swap.swapoff(disk.get()).has_value());
}

TEST_CASE("priorities: the higher area fills first; default priorities count down from -2") {
  VmEnv env;
  auto low = swap_disk("mkswap-1M-label.img", "vdy");
  auto high = swap_disk("mkswap-4M.img", "vdz");
  REQUIRE(swapon_disk(low, "/dev/vdy").has_value());
  REQUIRE(swapon_disk(high, "/dev/vdz", SwapFlag::PREFER | 5).has_value());
  std::vector<int> priorities;
  g_swap.for_each_area([&](SwapArea& a) { priorities.push_back(a.priority()); });
  CHECK(priorities == std::vector<int>{5, -2});
  Frame* f = g_phys.alloc_frame(FrameUse::Anon);
  REQUIRE(g_swap.allocate_and_bind(&f, 1) == 1);
  unsigned area_index = SwapEntry::from_raw(f->swap).area();
  CHECK(std::string(g_swap.area_of(SwapEntry::from_raw(f->swap)).device().path()) == "/dev/vdz");
  (void)area_index;
  swap_cache_release(f);
  g_phys.free_frame(f);
  REQUIRE(g_swap.swapoff(high.get()).has_value());
  REQUIRE(g_swap.swapoff(low.get()).has_value());
  // The default priority handed out last is handed out again.
  REQUIRE(swapon_disk(low, "/dev/vdy").has_value());
  g_swap.for_each_area([&](SwapArea& a) { CHECK(a.priority() == -2); });
  REQUIRE(g_swap.swapoff(low.get()).has_value());
}

}  // TEST_SUITE
