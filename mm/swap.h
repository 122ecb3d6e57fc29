// The swap space: the swap areas in use (mm/swap_area.h), what swapon(2) and swapoff(2) do to them, and the
// calls the rest of mm/ makes about swap entries.
//
//   swapon        checks the header of a disk, builds its slot map and adds it, by priority: page-out fills
//                 the area of the highest priority first (Linux: a higher number first; without SWAP_FLAG_PREFER
//                 areas get -2, -3, ... in the order they are added).
//   swapoff       stops allocation in the area and brings every page stored there back into memory (it
//                 sleeps: reads, and waits for memory), then removes the area.
//   entries       AnonSlot::share/release count the anon-table slots naming an entry (entry_ref/entry_unref);
//                 page-out allocates entries for the pages it writes (allocate_and_bind).
//
// Lock: m_lock protects which areas are active and their order; each area has its own lock for its slots.
// swapon and swapoff are serialised by m_is_changing (they sleep). Lock order: swap space, then area.
#pragma once

#include "lib/own_ptr.h"
#include "lib/result.h"
#include "mm/io_wait.h"
#include "mm/swap_area.h"

namespace SwapFlag {  // swapon(2) flags, as Linux's
constexpr u32 PREFER = 0x8000;        // SWAP_FLAG_PREFER: the priority is in the low bits
constexpr u32 PRIORITY_MASK = 0x7fff;
constexpr u32 DISCARD = 0x10000;      // accepted and ignored (no discard on virtio-blk here)
constexpr u32 DISCARD_ONCE = 0x20000;
constexpr u32 DISCARD_PAGES = 0x40000;
constexpr u32 VALID = PREFER | PRIORITY_MASK | DISCARD | DISCARD_ONCE | DISCARD_PAGES;
}  // namespace SwapFlag

struct SwapTotals {
  u64 total_pages = 0;   // usable slots of all areas
  u64 free_pages = 0;
  u64 cached_pages = 0;  // frames in the swap caches
};

class SwapSpace {
 public:
  // Adds `device` as a swap area. INVAL with *why when it holds no valid swap area, BUSY when the disk is
  // already in use as swap, NOSPC... when MAX_SWAP_AREAS are active (Linux: EPERM), NOMEM, IO.
  Result<void> swapon(OwnPtr<SwapDevice> device, u32 flags, const char** why);
  // Removes the area on the disk `identity` (SwapDevice::identity), first bringing its pages back. INVAL when
  // no area is on that disk, NOMEM when memory cannot hold them (the area stays; Linux: ENOMEM), IO when one
  // could not be read (the area stays and the page is still there to be read again).
  Result<void> swapoff(const void* identity);

  bool has_areas() const { return m_active_count.load(MemoryOrder::Relaxed) != 0; }
  // The area an entry names (it must be active: an entry in use keeps its area from going).
  SwapArea& area_of(SwapEntry e) { return m_areas[e.area()]; }

  // One more / one fewer anon-table slot names e.
  void entry_ref(SwapEntry e);
  void entry_unref(SwapEntry e);

  // Slots for `count` frames being paged out, from the areas in priority order: binds frames[i] for
  // i < the returned count (possibly fewer than asked: swap is full).
  u32 allocate_and_bind(Frame* const* frames, u32 count);

  SwapTotals totals() const;
  // Slots that some anon-table slot names: what the processes alive have on swap (the leak check's figure).
  u64 named_slots();
  // Pages only the swap caches hold (clean, unmapped: as good as free), and dropping them (the shrinker's).
  u64 cache_owned_pages() const;
  u64 drop_cache_owned_pages();
  // More than half of all swap is in use: pages read back give their slots up (see mm/swap_in.cpp).
  bool is_half_full() const { return 2 * m_used_pages.load(MemoryOrder::Relaxed) > m_total_pages.load(MemoryOrder::Relaxed); }
  // Kept by the areas as slots are taken and freed (for is_half_full: no lock).
  void count_used(i64 delta) { m_used_pages.fetch_add(static_cast<u64>(delta), MemoryOrder::Relaxed); }
  void count_total(i64 delta) { m_total_pages.fetch_add(static_cast<u64>(delta), MemoryOrder::Relaxed); }

  // Read-ahead on swap-in: the aligned window of 2^page_cluster slots around the page (Linux's vm.page-cluster;
  // 0 turns read-ahead off). Default 3: 8 pages.
  u32 page_cluster() const { return m_page_cluster.load(MemoryOrder::Relaxed); }
  Result<void> set_page_cluster(u32 value);
  // Calls fn(SwapArea&) for every active area, in priority order, under the lock (/proc/swaps).
  template <typename Fn>
  void for_each_area(Fn fn) {
    SpinlockGuard guard(m_lock);
    for (unsigned i = 0; i < m_active_count.load(MemoryOrder::Relaxed); i++) fn(m_areas[m_order[i]]);
  }

 private:
  void begin_change();
  void end_change();
  void insert_in_order_locked(unsigned index);
  void remove_from_order_locked(unsigned index);
  Result<void> bring_back(SwapArea& area);

  mutable Spinlock m_lock{"swap-space"};
  SwapArea m_areas[MAX_SWAP_AREAS];
  u8 m_order[MAX_SWAP_AREAS] = {};       // active areas, highest priority first; guarded by m_lock
  Atomic<u32> m_active_count{0};         // entries of m_order; written under m_lock
  int m_least_priority = -1;             // the last default priority handed out; guarded by m_lock
  bool m_is_changing = false;            // a swapon or swapoff is running; guarded by m_lock
  WaitChannel m_change_done;
  Atomic<u32> m_page_cluster{3};
  Atomic<u64> m_used_pages{0};   // slots in use in all areas
  Atomic<u64> m_total_pages{0};  // usable slots of all areas
};

extern SwapSpace g_swap;

// Reads one page of a swap device synchronously (the header at swapon). Sleeps.
Result<void> swap_read_page_sync(SwapDevice& device, u64 page, Frame* frame);

// A frame in the swap cache, for the fault handler:
//   swap_copy_is_shared            other anon-table slots name its swap entry: it must not be mapped writable
//                                  (they would read its old contents back)
//   swap_copy_release_for_write    the only holder writes it: true if it may (its swap copy is given up: the
//                                  slot is freed, or, during a write-out, the page marked dirty); false if
//                                  others name the entry (copy it instead)
//   swap_cache_release             its last reference went: out of the cache (the frame allocator's call)
bool swap_copy_is_shared(Frame* frame);
bool swap_copy_release_for_write(Frame* frame);
void swap_cache_release(Frame* frame);
// Is the page at entry in the swap cache now (mincore)?
bool swap_cache_holds(SwapEntry entry);
