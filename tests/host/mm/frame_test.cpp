// mm/frame.cpp: frame descriptors and the buddy allocator (PhysicalMemory), over a host memory arena that
// plays the RAM at 0x80000000. Checks the free-range setup, every block order, buddy merging, exhaustion,
// the counters, the consistency check, reference counts, and that misuse panics.
#include "mm/frame.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "support/host_panic.h"
#include "support/test_ram.h"

// Per-CPU structures in the allocator are indexed by mm_current_cpu(), which the host keeps below HOST_MAX_CPUS.
static_assert(HOST_MAX_CPUS <= MM_MAX_CPUS);

namespace {

constexpr u64 MAX_BLOCK_FRAMES = 1ull << MAX_ORDER;

u64 pfn_of(PhysicalMemory& phys, const Frame* f) { return phys.address_of(f).pfn(); }

// Allocates single frames until the allocator is empty; returns them.
std::vector<Frame*> drain(PhysicalMemory& phys) {
  std::vector<Frame*> frames;
  while (Frame* f = phys.alloc_frame(FrameUse::Kernel)) frames.push_back(f);
  return frames;
}

// How many blocks of `order` can be allocated (they are freed again).
u64 count_blocks(PhysicalMemory& phys, unsigned order) {
  std::vector<Frame*> blocks;
  while (Frame* f = phys.alloc(order, FrameUse::Kernel)) blocks.push_back(f);
  for (Frame* f : blocks) phys.free(f, order);
  return blocks.size();
}

u64 sum_used(const MemoryCounters& c) {
  u64 sum = 0;
  for (u64 n : c.used_by) sum += n;
  return sum;
}

}  // namespace

TEST_SUITE("mm/frame") {

// After init every frame is Reserved: nothing is counted as usable and nothing can be allocated.
TEST_CASE("frame: init leaves everything reserved") {
  TestRam ram(4 * MiB);
  PhysicalMemory& phys = ram.phys();
  CHECK(phys.total_frames() == 0);
  CHECK(phys.free_frames() == 0);
  CHECK(phys.alloc_frame(FrameUse::Kernel) == nullptr);
  CHECK(phys.alloc(MAX_ORDER, FrameUse::Kernel) == nullptr);
  MemoryCounters c = phys.counters();
  CHECK(c.reserved_frames == ram.frame_count());
  CHECK(sum_used(c) == 0);
  CHECK(phys.check());
}

// Adding all RAM makes every frame free, in MAX_ORDER blocks when the RAM is aligned to them.
TEST_CASE("frame: add_free_range over all RAM") {
  TestRam ram(8 * MiB);
  PhysicalMemory& phys = ram.phys();
  ram.free_all();
  CHECK(phys.total_frames() == ram.frame_count());
  CHECK(phys.free_frames() == ram.frame_count());
  CHECK(phys.counters().reserved_frames == 0);
  CHECK(phys.check());
  CHECK(count_blocks(phys, MAX_ORDER) == ram.frame_count() / MAX_BLOCK_FRAMES);
  CHECK(phys.free_frames() == ram.frame_count());
}

// An unaligned range is rounded inwards to whole pages; frames outside it stay Reserved and are never handed
// out.
TEST_CASE("frame: add_free_range rounds to whole pages") {
  TestRam ram(8 * MiB);
  PhysicalMemory& phys = ram.phys();
  PhysAddr start = ram.base() + 3 * PAGE_SIZE + 0x234;  // first whole page: base + 4 pages
  PhysAddr end = ram.base() + 1000 * PAGE_SIZE + 0x800;  // last whole page ends at base + 1000 pages
  phys.add_free_range(start, end);
  CHECK(phys.total_frames() == 996);
  CHECK(phys.free_frames() == 996);
  CHECK(phys.check());
  std::vector<Frame*> frames = drain(phys);
  REQUIRE(frames.size() == 996);
  std::set<u64> pfns;
  for (Frame* f : frames) pfns.insert(pfn_of(phys, f));
  CHECK(pfns.size() == 996);
  CHECK(*pfns.begin() == ram.base().pfn() + 4);
  CHECK(*pfns.rbegin() == ram.base().pfn() + 999);
  CHECK(phys.frame_of(ram.base() + 3 * PAGE_SIZE)->use == FrameUse::Reserved);
  CHECK(phys.frame_of(ram.base() + 1000 * PAGE_SIZE)->use == FrameUse::Reserved);
  for (Frame* f : frames) phys.free_frame(f);
  CHECK(phys.free_frames() == 996);
  CHECK(phys.check());
}

// Several odd ranges: odd pfns and lengths, a range smaller than a page (adds nothing), an inverted one
// (nothing), one sticking out of RAM on both sides (clamped). Exactly the whole pages inside them are
// handed out, each once.
TEST_CASE("frame: add_free_range with odd ranges") {
  TestRam ram(8 * MiB);
  PhysicalMemory& phys = ram.phys();
  const u64 base = ram.base().get();
  std::set<u64> expected;
  auto add = [&](u64 start, u64 end) {
    phys.add_free_range(PhysAddr(start), PhysAddr(end));
    for (u64 pfn = align_up(start, PAGE_SIZE) / PAGE_SIZE; pfn < end / PAGE_SIZE; pfn++)
      if (pfn >= ram.base().pfn() && pfn < ram.end().pfn()) expected.insert(pfn);
  };
  add(base + 1 * PAGE_SIZE, base + 2 * PAGE_SIZE);              // one frame at an odd pfn
  add(base + 3 * PAGE_SIZE, base + 1500 * PAGE_SIZE + 17);      // crosses MAX_ORDER boundaries
  add(base + 1600 * PAGE_SIZE + 1, base + 1601 * PAGE_SIZE);    // less than a page: nothing
  add(base + 1700 * PAGE_SIZE, base + 1690 * PAGE_SIZE);        // inverted: nothing
  add(base + 1777 * PAGE_SIZE, base + 1777 * PAGE_SIZE + 7 * PAGE_SIZE);
  add(base + 2047 * PAGE_SIZE, base + 8 * MiB + 64 * MiB);      // runs past the end of RAM
  add(base - 64 * MiB, base);                                   // entirely below RAM
  CHECK(phys.total_frames() == expected.size());
  CHECK(phys.free_frames() == expected.size());
  CHECK(phys.check());
  std::vector<Frame*> frames = drain(phys);
  std::set<u64> got;
  for (Frame* f : frames) got.insert(pfn_of(phys, f));
  CHECK(frames.size() == expected.size());
  CHECK(got == expected);
  for (Frame* f : frames) phys.free_frame(f);
  CHECK(phys.check());
}

// RAM that starts at a pfn which is not a multiple of 2^MAX_ORDER: blocks are aligned to their order in
// physical addresses, and merging never crosses the start of RAM.
TEST_CASE("frame: RAM starting at an odd pfn") {
  TestRam ram(8 * MiB, PhysAddr(HostArena::DEFAULT_BASE + 3 * PAGE_SIZE));
  PhysicalMemory& phys = ram.phys();
  ram.free_all();
  CHECK(phys.free_frames() == ram.frame_count());
  CHECK(phys.check());
  for (unsigned order = 0; order <= MAX_ORDER; order++) {
    Frame* f = phys.alloc(order, FrameUse::Kernel);
    REQUIRE(f);
    CHECK(pfn_of(phys, f) % (1ull << order) == 0);
    CHECK(pfn_of(phys, f) >= ram.base().pfn());
    CHECK(pfn_of(phys, f) + (1ull << order) <= ram.end().pfn());
    phys.free(f, order);
  }
  // 2048 frames starting 3 past a 1024-aligned pfn: only one whole aligned 1024-block fits.
  CHECK(count_blocks(phys, MAX_ORDER) == 1);
  CHECK(phys.free_frames() == ram.frame_count());
  CHECK(phys.check());
}

// Adding a range that is already free is a bug (the frames are not Reserved any more): it panics.
TEST_CASE("frame: adding a range twice panics") {
  TestRam ram(4 * MiB);
  ram.free_all();
  CHECK_THROWS_AS(ram.phys().add_free_range(ram.base(), ram.base() + PAGE_SIZE), KernelPanic);
}

// A block of each order 0..MAX_ORDER: aligned to its size, inside RAM, not overlapping any other block, its
// frames marked with the use, the head with refcount 1 and the order, and the whole block writable.
TEST_CASE("frame: alloc of every order") {
  TestRam ram(16 * MiB);
  PhysicalMemory& phys = ram.phys();
  ram.free_all();
  std::vector<bool> taken(ram.frame_count());
  u64 used = 0;
  std::vector<std::pair<Frame*, unsigned>> blocks;
  for (unsigned order = 0; order <= MAX_ORDER; order++) {
    Frame* f = phys.alloc(order, FrameUse::Anon);
    REQUIRE(f);
    u64 pfn = pfn_of(phys, f);
    u64 n = 1ull << order;
    CHECK(pfn % n == 0);
    CHECK(phys.is_managed(PhysAddr::from_pfn(pfn + n - 1)));
    CHECK(f->refcount.load() == 1);
    CHECK(f->order == order);
    for (u64 i = 0; i < n; i++) {
      CHECK(f[i].use == FrameUse::Anon);
      CHECK_FALSE(taken[pfn - ram.base().pfn() + i]);
      taken[pfn - ram.base().pfn() + i] = true;
    }
    memset(phys.kernel_pointer(f), 0x5a, PAGE_SIZE * n);  // AddressSanitizer: the block is in the arena
    used += n;
    CHECK(phys.free_frames() == ram.frame_count() - used);
    blocks.push_back({f, order});
    }
  CHECK(phys.check());
  for (auto [f, order] : blocks) {
    phys.free(f, order);
    CHECK(f->is_free());
  }
  CHECK(phys.free_frames() == ram.frame_count());
  CHECK(phys.check());
}

// Orders above MAX_ORDER do not exist.
TEST_CASE("frame: alloc beyond MAX_ORDER panics") {
  TestRam ram(8 * MiB);
  ram.free_all();
  CHECK_THROWS_AS(ram.phys().alloc(MAX_ORDER + 1, FrameUse::Kernel), KernelPanic);
}

// Buddy merging: after every frame was allocated singly and freed in random order, the largest blocks are
// all available again.
TEST_CASE("frame: freeing everything merges back into MAX_ORDER blocks") {
  TestRam ram(8 * MiB);
  PhysicalMemory& phys = ram.phys();
  ram.free_all();
  std::vector<Frame*> frames = drain(phys);
  REQUIRE(frames.size() == ram.frame_count());
  CHECK(phys.free_frames() == 0);
  CHECK(count_blocks(phys, MAX_ORDER) == 0);
  std::mt19937_64 rng(1);
  std::shuffle(frames.begin(), frames.end(), rng);
  for (usize i = 0; i < frames.size(); i++) {
    phys.free_frame(frames[i]);
    if (i % 256 == 0) REQUIRE(phys.check());
  }
  CHECK(phys.free_frames() == ram.frame_count());
  CHECK(phys.check());
  CHECK(count_blocks(phys, MAX_ORDER) == ram.frame_count() / MAX_BLOCK_FRAMES);
}

// Fragmentation: with every other frame free, half the memory is free but no block of two frames exists.
TEST_CASE("frame: free frames without free buddies do not merge") {
  TestRam ram(4 * MiB);
  PhysicalMemory& phys = ram.phys();
  ram.free_all();
  std::vector<Frame*> frames = drain(phys);
  std::vector<Frame*> kept;
  for (Frame* f : frames) {
    if (pfn_of(phys, f) % 2 == 0)
      phys.free_frame(f);
    else
      kept.push_back(f);
  }
  CHECK(phys.free_frames() == ram.frame_count() / 2);
  CHECK(phys.check());
  CHECK(phys.alloc(1, FrameUse::Kernel) == nullptr);
  Frame* single = phys.alloc_frame(FrameUse::Kernel);
  REQUIRE(single);
  phys.free_frame(single);
  for (Frame* f : kept) phys.free_frame(f);
  CHECK(count_blocks(phys, MAX_ORDER) == ram.frame_count() / MAX_BLOCK_FRAMES);
}

// When memory runs out, alloc returns nullptr (for every order) and changes nothing.
TEST_CASE("frame: exhaustion returns nullptr") {
  TestRam ram(4 * MiB);
  PhysicalMemory& phys = ram.phys();
  ram.free_all();
  std::vector<Frame*> blocks;
  while (Frame* f = phys.alloc(3, FrameUse::Kernel)) blocks.push_back(f);
  CHECK(blocks.size() == ram.frame_count() / 8);
  CHECK(phys.free_frames() == 0);
  for (unsigned order = 0; order <= MAX_ORDER; order++) CHECK(phys.alloc(order, FrameUse::Kernel) == nullptr);
  CHECK(phys.alloc_zeroed(0, FrameUse::Kernel) == nullptr);
  CHECK(phys.check());
  for (Frame* f : blocks) phys.free(f, 3);
  CHECK(phys.free_frames() == ram.frame_count());
}

// Random allocations and frees of random orders, compared with a model after every step: no frame is handed
// out twice, free_frames() is exact, check() holds. At the end everything merges back.
TEST_CASE("frame: randomized alloc and free against a model") {
  TestRam ram(8 * MiB);
  PhysicalMemory& phys = ram.phys();
  ram.free_all();
  std::mt19937_64 rng(42);
  std::vector<std::pair<Frame*, unsigned>> live;
  std::vector<bool> taken(ram.frame_count());
  u64 used = 0;
  for (int step = 0; step < 3000; step++) {
    bool do_alloc = live.empty() || rng() % 100 < 55;
    if (do_alloc) {
      unsigned order = rng() % 4 == 0 ? static_cast<unsigned>(rng() % (MAX_ORDER + 1)) : static_cast<unsigned>(rng() % 3);
      Frame* f = phys.alloc(order, FrameUse::Kernel);
      if (!f) {
        // Only acceptable if no free block of this order can exist: at least check the arithmetic.
        CHECK(phys.free_frames() == ram.frame_count() - used);
        continue;
      }
      u64 first = pfn_of(phys, f) - ram.base().pfn();
      for (u64 i = 0; i < (1ull << order); i++) {
        REQUIRE_FALSE(taken[first + i]);
        taken[first + i] = true;
      }
      used += 1ull << order;
      live.push_back({f, order});
    } else {
      usize victim = rng() % live.size();
      auto [f, order] = live[victim];
      live[victim] = live.back();
      live.pop_back();
      u64 first = pfn_of(phys, f) - ram.base().pfn();
      for (u64 i = 0; i < (1ull << order); i++) taken[first + i] = false;
      phys.free(f, order);
      used -= 1ull << order;
    }
    REQUIRE(phys.free_frames() == ram.frame_count() - used);
    REQUIRE(phys.check());
  }
  for (auto [f, order] : live) phys.free(f, order);
  CHECK(phys.free_frames() == ram.frame_count());
  CHECK(count_blocks(phys, MAX_ORDER) == ram.frame_count() / MAX_BLOCK_FRAMES);
}

// counters(): frames in use per FrameUse, reserved frames, and total = free + in use.
TEST_CASE("frame: counters") {
  TestRam ram(4 * MiB);
  PhysicalMemory& phys = ram.phys();
  phys.add_free_range(ram.base() + 16 * PAGE_SIZE, ram.end());  // the first 16 frames stay reserved
  Frame* kernel = phys.alloc(2, FrameUse::Kernel);
  Frame* table = phys.alloc_frame(FrameUse::PageTable);
  Frame* anon1 = phys.alloc_frame(FrameUse::Anon);
  Frame* anon2 = phys.alloc_frame(FrameUse::Anon);
  REQUIRE((kernel && table && anon1 && anon2));
  MemoryCounters c = phys.counters();
  CHECK(c.total_frames == ram.frame_count() - 16);
  CHECK(c.reserved_frames == 16);
  CHECK(c.free_frames == phys.free_frames());
  CHECK(c.used_by[static_cast<unsigned>(FrameUse::Kernel)] == 4);
  CHECK(c.used_by[static_cast<unsigned>(FrameUse::PageTable)] == 1);
  CHECK(c.used_by[static_cast<unsigned>(FrameUse::Anon)] == 2);
  CHECK(c.used_by[static_cast<unsigned>(FrameUse::Heap)] == 0);
  CHECK(sum_used(c) == 7);
  CHECK(c.total_frames == c.free_frames + sum_used(c));
  phys.free(kernel, 2);
  phys.free_frame(table);
  phys.free_frame(anon1);
  phys.free_frame(anon2);
  c = phys.counters();
  CHECK(sum_used(c) == 0);
  CHECK(c.free_frames == c.total_frames);
  CHECK(std::string(frame_use_name(FrameUse::PageTable)) == "page table");
}

// alloc_zeroed clears the whole block (the arena starts filled with a poison byte); plain alloc does not
// promise anything; zero_frame clears one frame through g_phys.
TEST_CASE("frame: alloc_zeroed and zero_frame") {
  TestRam ram(4 * MiB);
  PhysicalMemory& phys = ram.phys();
  ram.free_all();
  auto all_bytes_are = [](const u8* p, u64 n, u8 value) {
    return std::all_of(p, p + n, [value](u8 b) { return b == value; });
  };
  Frame* dirty = phys.alloc(2, FrameUse::Kernel);
  REQUIRE(dirty);
  CHECK(all_bytes_are(phys.kernel_pointer(dirty), 4 * PAGE_SIZE, HostArena::POISON));
  phys.free(dirty, 2);
  Frame* zeroed = phys.alloc_zeroed(2, FrameUse::Kernel);
  REQUIRE(zeroed);
  CHECK(all_bytes_are(phys.kernel_pointer(zeroed), 4 * PAGE_SIZE, 0));
  phys.free(zeroed, 2);

  // zero_frame works on the kernel's allocator, g_phys: point it at this test's frames for a moment.
  std::destroy_at(&g_phys);
  std::construct_at(&g_phys);
  auto frames = std::make_unique<Frame[]>(ram.frame_count());
  g_phys.init(ram.base().pfn(), ram.end().pfn(), frames.get());
  g_phys.add_free_range(ram.base(), ram.end());
  Frame* f = g_phys.alloc(1, FrameUse::Kernel);
  REQUIRE(f);
  memset(g_phys.kernel_pointer(f), 0xff, 2 * PAGE_SIZE);
  zero_frame(f);
  CHECK(all_bytes_are(g_phys.kernel_pointer(f), PAGE_SIZE, 0));
  // Exactly one frame: the next one is untouched.
  CHECK(all_bytes_are(g_phys.kernel_pointer(f) + PAGE_SIZE, PAGE_SIZE, 0xff));
  std::destroy_at(&g_phys);
  std::construct_at(&g_phys);
}

// Freeing a frame twice, freeing a Reserved frame, freeing a block at a misaligned frame, or a pointer that
// is not a frame descriptor: all bugs, all panic.
TEST_CASE("frame: bad frees panic") {
  TestRam ram(4 * MiB);
  PhysicalMemory& phys = ram.phys();
  phys.add_free_range(ram.base() + PAGE_SIZE, ram.end());
  Frame* f = phys.alloc_frame(FrameUse::Kernel);
  REQUIRE(f);
  phys.free_frame(f);
  CHECK_THROWS_WITH_AS(phys.free_frame(f), doctest::Contains("which is free"), KernelPanic);
  CHECK_THROWS_WITH_AS(phys.free_frame(phys.frame_of(ram.base())), doctest::Contains("which is reserved"),
                       KernelPanic);
  Frame* pair = phys.alloc(1, FrameUse::Kernel);
  REQUIRE(pair);
  CHECK_THROWS_AS(phys.free(pair + 1, 1), KernelPanic);  // an order-1 block must start at an even pfn
  Frame outside;
  CHECK_THROWS_AS(phys.free_frame(&outside), KernelPanic);
  phys.free(pair, 1);
  CHECK(phys.free_frames() == phys.total_frames());
  CHECK(phys.check());
}

// unref drops one reference and frees the frame with the last one; one more is an underflow and panics.
TEST_CASE("frame: unref") {
  TestRam ram(4 * MiB);
  PhysicalMemory& phys = ram.phys();
  ram.free_all();
  u64 free_before = phys.free_frames();
  Frame* f = phys.alloc_frame(FrameUse::Anon);
  REQUIRE(f);
  f->refcount.fetch_add(2);  // two more holders, e.g. two address spaces sharing the page
  CHECK_FALSE(phys.unref(f));
  CHECK_FALSE(phys.unref(f));
  CHECK(f->use == FrameUse::Anon);
  CHECK(phys.free_frames() == free_before - 1);
  CHECK(phys.unref(f));
  CHECK(f->is_free());
  CHECK(phys.free_frames() == free_before);
  CHECK_THROWS_WITH_AS(phys.unref(f), doctest::Contains("underflow"), KernelPanic);
}

// Frame <-> physical address <-> kernel pointer round trips, and managed-range queries.
TEST_CASE("frame: addresses of frames") {
  TestRam ram(4 * MiB);
  PhysicalMemory& phys = ram.phys();
  PhysAddr pa = ram.base() + 77 * PAGE_SIZE;
  Frame* f = phys.frame_of(pa + 0x123);
  CHECK(phys.address_of(f) == pa);
  CHECK(phys.frame_of_pfn(pa.pfn()) == f);
  CHECK(phys.kernel_pointer(f) == phys_to_kernel(pa));
  CHECK(kernel_to_phys(phys.kernel_pointer(f)) == pa);
  CHECK(phys.is_managed(ram.base()));
  CHECK(phys.is_managed(PhysAddr(ram.end().get() - PAGE_SIZE)));
  CHECK_FALSE(phys.is_managed(ram.end()));
  CHECK_FALSE(phys.is_managed(PhysAddr(ram.base().get() - 1)));
}

// Single frames freed on one CPU wait in that CPU's cache; they still count as free, and another CPU that runs
// out takes them: no frame is ever out of reach.
TEST_CASE("frame: frames cached by one CPU are reachable from another") {
  TestRam ram(4 * MiB);
  PhysicalMemory& phys = ram.phys();
  ram.free_all();
  const unsigned mine = mm_current_cpu();
  const unsigned other = (mine + 1) % HOST_MAX_CPUS;
  host_set_current_cpu(other);
  std::vector<Frame*> frames;
  for (int i = 0; i < 40; i++) frames.push_back(phys.alloc_frame(FrameUse::Kernel));
  for (Frame* f : frames) phys.free_frame(f);
  CHECK(phys.free_frames() == ram.frame_count());
  CHECK(phys.check());
  host_set_current_cpu(mine);
  std::vector<Frame*> all = drain(phys);
  CHECK(all.size() == ram.frame_count());
  for (Frame* f : all) phys.free_frame(f);
  CHECK(count_blocks(phys, MAX_ORDER) == ram.frame_count() / MAX_BLOCK_FRAMES);
  CHECK(phys.check());
}

// A CPU moves single frames in and out of its cache without the buddy lists' lock (free_cached, alloc_cached),
// while another CPU, under that lock, merges a freed block with its buddy and reads the buddy's descriptor to see
// whether it is a free block. The two CPUs' loads and stores interleave: the merging CPU may see any mix of the
// fields as they were before the move and as they are after it. No mix may look like a free block. (It did: the
// cache wrote use = Free, then order = NOT_HEAD; an order-0 frame in use has order 0, so in between it looked like
// a free order-0 block, and a merge on another hart unlinked it from a list it was not on: the panic "assertion
// failed: n->is_linked()" in free_block_locked, once in six runs of user.kstack_reuse.debug.) The states are
// taken from the real moves, each on its own arena, so the test holds whatever the cache writes.
TEST_CASE("frame: a frame half-way into or out of another CPU's cache is never taken for a free buddy") {
  // The descriptor fields a move may change, one at a time.
  struct Fields {
    u32 refcount;
    FrameUse use;
    u8 order;
    u16 flags;  // page_flags and lru_flags together (the u16 they share with slab_live)
    void* owner;
    u64 index;
  };
  auto read = [](const Frame* f) {
    return Fields{f->refcount.load(), f->use, f->order, f->slab_live, f->owner, f->index};
  };
  auto write = [](Frame* f, const Fields& v) {
    f->refcount.store(v.refcount);
    f->use = v.use;
    f->order = v.order;
    f->slab_live = v.flags;
    f->owner = v.owner;
    f->index = v.index;
  };
  // bit i of `mix` set: field i as after the move, else as before.
  auto mixed = [](const Fields& before, const Fields& after, unsigned mix) {
    Fields m = before;
    if (mix & 1) m.refcount = after.refcount;
    if (mix & 2) m.use = after.use;
    if (mix & 4) m.order = after.order;
    if (mix & 8) m.flags = after.flags;
    if (mix & 16) m.owner = after.owner;
    if (mix & 32) m.index = after.index;
    return m;
  };
  const unsigned here = mm_current_cpu();
  const unsigned there = (here + 1) % HOST_MAX_CPUS;
  int families = 0;
  for (bool into_cache : {true, false}) {
    for (unsigned mix = 0; mix < 64; mix++) {
      CAPTURE(into_cache);
      CAPTURE(mix);
      TestRam ram(4 * MiB);
      PhysicalMemory& phys = ram.phys();
      ram.free_all();
      // Two buddies, in use as anonymous memory: `mine` is freed here, `theirs` moves on the other CPU.
      std::vector<Frame*> frames;
      for (int i = 0; i < 8; i++) frames.push_back(phys.alloc_frame(FrameUse::Anon));
      Frame* mine = nullptr;
      Frame* theirs = nullptr;
      for (Frame* a : frames)
        for (Frame* b : frames)
          if (pfn_of(phys, b) == (pfn_of(phys, a) ^ 1)) mine = a, theirs = b;
      REQUIRE(mine);
      REQUIRE(theirs);
      host_set_current_cpu(there);
      Fields before, after;
      if (into_cache) {
        before = read(theirs);
        phys.unref(theirs);  // its last reference: into the other CPU's cache
        after = read(theirs);
      } else {
        phys.unref(theirs);
        before = read(theirs);
        Frame* again = phys.alloc_frame(FrameUse::Anon);  // the cache hands out the frame it took last
        REQUIRE(again == theirs);
        after = read(theirs);
      }
      // This CPU frees `mine` into the buddy lists while `theirs` is seen half-way.
      host_set_current_cpu(here);
      write(theirs, mixed(before, after, mix));
      phys.free_frame(mine);
      REQUIRE_NOTHROW(phys.drain_cpu_cache());
      // `mine` is a free block of its own: the merge left `theirs` alone.
      CHECK(mine->use == FrameUse::Free);  // on a free list
      CHECK(mine->order == 0);
      write(theirs, after);
      CHECK(phys.check());
      families++;
      // Give everything back (on the CPU that holds `theirs`, if it is cached).
      host_set_current_cpu(there);
      if (!into_cache) phys.free_frame(theirs);
      phys.drain_cpu_cache();
      host_set_current_cpu(here);
      for (Frame* f : frames)
        if (f != mine && f != theirs) phys.free_frame(f);
      phys.drain_cpu_cache();
      CHECK(phys.free_frames() == ram.frame_count());
      CHECK(phys.check());
    }
  }
  CHECK(families == 128);
}

// The lock makes the allocator safe to share: threads allocating and freeing at once never receive the same
// frame, and the accounting is exact afterwards.
TEST_CASE("frame: concurrent alloc and free") {
  TestRam ram(8 * MiB);
  PhysicalMemory& phys = ram.phys();
  ram.free_all();
  constexpr int THREADS = 4;
  std::vector<std::thread> threads;
  std::atomic<int> double_owned{0};
  for (int t = 0; t < THREADS; t++) {
    threads.emplace_back([&phys, &double_owned, t] {
      std::mt19937 rng(t);
      std::vector<Frame*> mine;
      for (int i = 0; i < 3000; i++) {
        if (mine.size() < 64 && rng() % 2 == 0) {
          Frame* f = phys.alloc_frame(FrameUse::Kernel);
          if (!f) continue;
          // Claim the frame: if another thread got it too, the owner field shows it.
          if (f->owner != nullptr) double_owned++;
          f->owner = &mine;
          mine.push_back(f);
        } else if (!mine.empty()) {
          Frame* f = mine.back();
          mine.pop_back();
          if (f->owner != &mine) double_owned++;
          phys.free_frame(f);
        }
      }
      for (Frame* f : mine) phys.free_frame(f);
      // Frames cached for this "CPU" count as free but only merge once given back.
      phys.drain_cpu_cache();
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(double_owned.load() == 0);
  CHECK(phys.free_frames() == ram.frame_count());
  CHECK(phys.check());
  CHECK(count_blocks(phys, MAX_ORDER) == ram.frame_count() / MAX_BLOCK_FRAMES);
}

}  // TEST_SUITE
