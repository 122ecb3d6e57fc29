// Page-out (mm/pageout.h): reclaim rounds, the page-out thread, direct reclaim and the way to the OOM killer.
#include "mm/pageout.h"

#include "mm/address_space.h"
#include "mm/anon_slot.h"
#include "mm/io_wait.h"
#include "mm/pageable.h"
#include "mm/rmap.h"
#include "mm/swap.h"
#include "mm/vm_stats.h"

namespace {

constexpr u32 BATCH_MAX = 64;        // victims per round
constexpr u32 DAEMON_BATCH = 64;
constexpr u32 DIRECT_BATCH = 32;
constexpr u32 IOS_PER_WAVE = 4;      // write requests in flight at once per round
constexpr u32 BATCH_POOL = MM_MAX_CPUS + 1;

// What one round works with. Preallocated at boot (pageout_init): page-out must not need memory to make memory.
struct PageoutBatch {
  Frame* victims[BATCH_MAX];
  Frame* unbound[BATCH_MAX];  // victims with no swap slot yet
  Frame* writes[BATCH_MAX];   // victims to write
  Frame* clean[BATCH_MAX];    // victims whose swap copy is good: to unmap and drop
  Frame* failed[BATCH_MAX];   // victims whose write failed
  Frame* keep[BATCH_MAX];     // victims that stay
  bool kept_mapped[BATCH_MAX];  // clean[i]: a mapper kept it (rmap_unmap_to_swap)
  Pmap::FlushBatch tlb;       // the round's TLB work: one fence per phase, not one per page and mapper
  SwapIo ios[IOS_PER_WAVE];
  i32 io_error[IOS_PER_WAVE];  // each request's result (an Error, 0 for none), written by its callback
  IoWaitGroup group;
  PageoutBatch* next_free;
};

struct BatchPool {
  Spinlock lock{"pageout-pool"};
  PageoutBatch* free = nullptr;  // guarded by lock
  WaitChannel available;
} g_pool;

struct Daemon {
  Spinlock lock{"pageout"};
  bool is_woken = false;  // guarded by lock
  WaitChannel wakeup;
} g_daemon;

OomKiller g_oom_killer = nullptr;
const FilePageReclaimer* g_file_reclaimer = nullptr;
Atomic<u64> g_isolated{0};  // pages some round holds right now (their fate is not known yet)

PageoutBatch* acquire_batch() {
  SpinlockGuard guard(g_pool.lock);
  while (!g_pool.free) g_pool.available.wait(g_pool.lock);
  PageoutBatch* b = g_pool.free;
  g_pool.free = b->next_free;
  return b;
}

void release_batch(PageoutBatch* b) {
  SpinlockGuard guard(g_pool.lock);
  b->next_free = g_pool.free;
  g_pool.free = b;
  g_pool.available.wake_all();
}

// What the replacement policy may ask: the accessed bits of every mapping of a page.
class RmapProbe final : public PageProbe {
 public:
  bool referenced(Frame& page) override {
    m_asked++;
    if (page.use == FrameUse::File) return g_file_reclaimer && g_file_reclaimer->referenced(page);
    return rmap_test_and_clear_referenced(&page);
  }
  u64 asked() const { return m_asked; }

 private:
  u64 m_asked = 0;
};

SwapArea& area_of(const Frame* f) { return g_swap.area_of(SwapEntry::from_raw(f->swap)); }

void set_flags_locked(Frame* f, u8 set, u8 clear) {
  __atomic_store_n(&f->page_flags, static_cast<u8>((f->page_flags & ~clear) | set), __ATOMIC_RELEASE);
}

// A page only the swap cache holds, that nobody waits for: out of the cache, and its memory freed. (The caller
// holds one reference besides the cache's; both go.)
bool drop_cache_owned(Frame* f) {
  SwapArea& area = area_of(f);
  {
    SpinlockGuard guard(area.lock());
    if (!(f->page_flags & PageFlag::SwapCache) || !(f->page_flags & PageFlag::CacheOwned) ||
        (f->page_flags & PageFlag::Busy) || f->refcount.load(MemoryOrder::Relaxed) != 2)
      return false;
    area.unbind_locked(SwapEntry::from_raw(f->swap).offset(), f);
    set_flags_locked(f, 0, PageFlag::CacheOwned | PageFlag::ReadAhead | PageFlag::Error | PageFlag::ErrorNearby);
  }
  anon_frame_release(f);  // the cache's reference; page-out's goes last (freeing it)
  return true;
}

void write_done(SwapIo& io, Result<void> result) {
  auto* b = static_cast<PageoutBatch*>(io.context);
  b->io_error[&io - b->ios] = result.is_error() ? static_cast<i32>(result.error()) : 0;
  b->group.done(result);  // last: the round may go on as soon as the count reaches 0
}

bool entry_less(const Frame* a, const Frame* b) {
  SwapEntry x = SwapEntry::from_raw(a->swap), y = SwapEntry::from_raw(b->swap);
  return x.area() != y.area() ? x.area() < y.area() : x.offset() < y.offset();
}

void sort_by_entry(Frame** frames, u32 n) {
  for (u32 i = 1; i < n; i++) {
    Frame* f = frames[i];
    u32 j = i;
    for (; j > 0 && entry_less(f, frames[j - 1]); j--) frames[j] = frames[j - 1];
    frames[j] = f;
  }
}

// Writes `writes[0..n)` (bound to their slots, Writeback set), runs of neighbouring slots as one request,
// IOS_PER_WAVE requests in flight at a time. Frames whose write failed are moved to `failed`; the others stay.
// Returns how many stay in `writes` (they are written).
u32 write_pages(PageoutBatch& b, Frame** writes, u32 n, Frame** failed, u32* failed_count) {
  sort_by_entry(writes, n);
  u32 kept = 0;
  u32 i = 0;
  while (i < n) {
    // One wave: up to IOS_PER_WAVE runs.
    u32 ios = 0;
    u32 wave_start = i;
    while (i < n && ios < IOS_PER_WAVE) {
      SwapEntry first = SwapEntry::from_raw(writes[i]->swap);
      SwapArea& area = g_swap.area_of(first);
      u32 most = area.device().max_pages_per_io();
      SwapIo& io = b.ios[ios];
      io.op = SwapIoOp::Write;
      io.first_page = first.offset();
      io.page_count = 0;
      io.on_complete = write_done;
      io.context = &b;
      while (i < n && io.page_count < most) {
        SwapEntry e = SwapEntry::from_raw(writes[i]->swap);
        if (e.area() != first.area() || e.offset() != first.offset() + io.page_count) break;
        io.frames[io.page_count++] = writes[i++];
      }
      b.io_error[ios] = 0;
      b.group.add(1);
      if (Result<void> r = area.device().submit(io); r.is_error()) {
        b.io_error[ios] = static_cast<i32>(r.error());
        b.group.done(r.error());
      }
      ios++;
    }
    (void)b.group.wait();  // the errors are per request, in io_error
    u32 at = wave_start;
    for (u32 k = 0; k < ios; k++) {
      SwapIo& io = b.ios[k];
      for (u32 p = 0; p < io.page_count; p++, at++) {
        if (b.io_error[k]) failed[(*failed_count)++] = writes[at];
        else writes[kept++] = writes[at];
      }
      if (!b.io_error[k]) g_vm_stats.pswpout.fetch_add(io.page_count, MemoryOrder::Relaxed);
    }
  }
  return kept;
}

// A write failed: the slot is never used again and the page stays in memory, still mapped. Nothing is lost.
void write_failed(Frame* f) {
  SwapArea& area = area_of(f);
  SwapEntry e = SwapEntry::from_raw(f->swap);
  SpinlockGuard guard(area.lock());
  set_flags_locked(f, 0, PageFlag::Writeback);
  if (area.count_locked(e.offset()) == 0) {
    area.mark_bad_locked(e.offset(), f);
    mm_log("swap: write error on %s, page %llu: the slot is marked bad, the page stays in memory",
           area.device().path(), static_cast<unsigned long long>(e.offset()));
  }
  g_vm_stats.swap_write_errors.fetch_add(1, MemoryOrder::Relaxed);
}

// The page's swap copy is good and every mapper switched to it (rmap_unmap_to_swap; `kept`: one kept it), and
// their TLBs were flushed: the page goes if nobody kept it.
bool evict(Frame* f, bool kept) {
  SwapEntry e = SwapEntry::from_raw(__atomic_load_n(&f->swap, __ATOMIC_ACQUIRE));
  if (e.is_null()) return false;  // out of the swap cache already (a writer took the copy): it stays
  SwapArea& area = g_swap.area_of(e);
  {
    SpinlockGuard guard(area.lock());
    if (kept) {
      set_flags_locked(f, PageFlag::Dirty, 0);
      return false;
    }
    // Only page-out's own reference left: nobody maps it and nobody took it back from the cache meanwhile (a
    // fault would do that under this lock). Out of the cache, and free.
    if (f->refcount.load(MemoryOrder::Relaxed) != 1 || !(f->page_flags & PageFlag::SwapCache) ||
        (f->page_flags & (PageFlag::Dirty | PageFlag::CacheOwned)))
      return false;
    area.unbind_locked(e.offset(), f);
  }
  return true;
}

// One round: up to `max` victims. Returns the pages freed.
u64 reclaim_round(PageoutBatch& b, u32 max, ReclaimFor who) {
  RmapProbe probe;
  u64 scanned = 0;
  u32 n = g_pageable.isolate_victims(probe, b.victims, max, &scanned);
  if (n == 0) {
    // New pages may still wait on their CPUs' hand-over lists.
    g_phys.hand_over_fresh_pages();
    n = g_pageable.isolate_victims(probe, b.victims, max, &scanned);
  }
  g_isolated.fetch_add(n, MemoryOrder::Relaxed);
  Atomic<u64>& scan_counter = who == ReclaimFor::Daemon ? g_vm_stats.pgscan_kswapd : g_vm_stats.pgscan_direct;
  scan_counter.fetch_add(probe.asked() > n ? probe.asked() : n, MemoryOrder::Relaxed);

  u32 nunbound = 0, nwrites = 0, nclean = 0, nfailed = 0, nkeep = 0;
  u64 freed = 0;
  for (u32 i = 0; i < n; i++) {
    Frame* f = b.victims[i];
    if (f->use == FrameUse::File) {  // a page of the page cache: its owner decides (mm/pageout.h)
      if (g_file_reclaimer && g_file_reclaimer->evict(*f)) {
        g_phys.unref(f);  // page-out's reference, the last
        freed++;
      } else {
        b.keep[nkeep++] = f;
      }
      continue;
    }
    if (!(f->page_flags & PageFlag::CacheOwned) && rmap_is_locked(f)) {  // mlocked: not to be written at all
      b.keep[nkeep++] = f;
      continue;
    }
    if (!(__atomic_load_n(&f->page_flags, __ATOMIC_ACQUIRE) & PageFlag::SwapCache)) {
      b.unbound[nunbound++] = f;
      continue;
    }
    if (f->page_flags & PageFlag::CacheOwned) {
      if (drop_cache_owned(f)) {
        anon_frame_release(f);
        freed++;
      } else {
        b.keep[nkeep++] = f;
      }
      continue;
    }
    // In the swap cache and held by slots. Written since its copy was made? Then written again (to the same
    // slot); otherwise the copy is good and it can go without I/O.
    bool dirty = rmap_test_and_clear_modified(f, b.tlb);
    SwapArea& area = area_of(f);
    SpinlockGuard guard(area.lock());
    u8 flags = f->page_flags;
    if (!(flags & PageFlag::SwapCache) || (flags & (PageFlag::Busy | PageFlag::Writeback))) {
      b.keep[nkeep++] = f;
    } else if (dirty || (flags & PageFlag::Dirty)) {
      if (area.count_locked(SwapEntry::from_raw(f->swap).offset()) != 0) {
        b.keep[nkeep++] = f;  // (cannot happen: a page whose copy others name is never writable)
      } else {
        set_flags_locked(f, PageFlag::Writeback, PageFlag::Dirty);
        b.writes[nwrites++] = f;
      }
    } else {
      b.clean[nclean++] = f;
    }
  }
  // Pages with no swap copy yet: slots for all of them at once (neighbours, where the area has them).
  u32 got = nunbound ? g_swap.allocate_and_bind(b.unbound, nunbound) : 0;
  for (u32 i = 0; i < got; i++) {
    Frame* f = b.unbound[i];
    (void)rmap_test_and_clear_modified(f, b.tlb);  // from the flush on, a write sets the dirty bit again
    SwapArea& area = area_of(f);
    SpinlockGuard guard(area.lock());
    set_flags_locked(f, PageFlag::Writeback, PageFlag::Dirty);
    b.writes[nwrites++] = f;
  }
  for (u32 i = got; i < nunbound; i++) b.keep[nkeep++] = b.unbound[i];  // swap is full
  if (got < nunbound) g_vm_stats.swap_full_rounds.fetch_add(1, MemoryOrder::Relaxed);

  // The dirty bits cleared above are flushed from every TLB before the pages are read for writing.
  b.tlb.flush();

  // The writes.
  u32 written = nwrites ? write_pages(b, b.writes, nwrites, b.failed, &nfailed) : 0;
  for (u32 i = 0; i < nfailed; i++) {
    write_failed(b.failed[i]);
    b.keep[nkeep++] = b.failed[i];
  }
  for (u32 i = 0; i < written; i++) {
    Frame* f = b.writes[i];
    SwapArea& area = area_of(f);
    SpinlockGuard guard(area.lock());
    set_flags_locked(f, 0, PageFlag::Writeback);
    b.clean[nclean++] = f;
  }

  // Every mapper switches to the swap copy; once no TLB holds the old mappings, the pages nobody kept go.
  // (A page whose swap copy a write fault took away meanwhile has no entry any more: it stays.)
  for (u32 i = 0; i < nclean; i++) {
    SwapEntry entry = SwapEntry::from_raw(__atomic_load_n(&b.clean[i]->swap, __ATOMIC_ACQUIRE));
    b.kept_mapped[i] = entry.is_null() || rmap_unmap_to_swap(b.clean[i], entry, b.tlb).kept;
  }
  b.tlb.flush();
  for (u32 i = 0; i < nclean; i++) {
    Frame* f = b.clean[i];
    if (evict(f, b.kept_mapped[i])) {
      anon_frame_release(f);  // page-out's reference, the last
      freed++;
    } else {
      b.keep[nkeep++] = f;
    }
  }
  for (u32 i = 0; i < nkeep; i++) {
    g_pageable.put_back(b.keep[i]);
    if (b.keep[i]->use == FrameUse::File) g_phys.unref(b.keep[i]);
    else anon_frame_release(b.keep[i]);
  }
  g_isolated.fetch_sub(n, MemoryOrder::Relaxed);
  Atomic<u64>& steal_counter = who == ReclaimFor::Daemon ? g_vm_stats.pgsteal_kswapd : g_vm_stats.pgsteal_direct;
  steal_counter.fetch_add(freed, MemoryOrder::Relaxed);
  return freed;
}

void low_memory_hook() { pageout_wake(); }

u64 free_frames() { return g_phys.free_frames(); }

// Enough free memory that a user allocation succeeds again.
bool memory_is_back() { return free_frames() > g_phys.watermark_min() + 2 * FRAME_CACHE_BATCH; }

}  // namespace

void pageout_init() {
  for (u32 i = 0; i < BATCH_POOL; i++) {
    auto* b = new PageoutBatch();
    ASSERT_MSG(b, "no memory for the page-out batches");
    b->next_free = g_pool.free;
    g_pool.free = b;
  }
  g_phys.set_low_memory_hook(low_memory_hook);
}

u64 reclaim_pages(u64 want, ReclaimFor who) {
  PageoutBatch* b = acquire_batch();
  u32 per_round = who == ReclaimFor::Daemon ? DAEMON_BATCH : DIRECT_BATCH;
  u64 freed = 0;
  while (freed < want) {
    u64 n = reclaim_round(*b, static_cast<u32>(want - freed < per_round ? want - freed : per_round), who);
    if (n == 0) break;
    freed += n;
  }
  release_batch(b);
  return freed;
}

ReclaimOutcome reclaim_for_fault() {
  for (u32 round = 0; round < 20; round++) {
    if (memory_is_back()) return ReclaimOutcome::Progress;
    pageout_wake();
    if (reclaim_pages(DIRECT_BATCH, ReclaimFor::Direct) > 0 || memory_is_back()) return ReclaimOutcome::Progress;
    if (mm_fatal_signal_pending()) return ReclaimOutcome::Progress;  // (the fault sees the kill and ends)
    // Nothing came free this time. Others' rounds still in flight will free pages; otherwise, after a few tries,
    // RAM and swap are full.
    if (g_isolated.load(MemoryOrder::Relaxed) == 0 && round >= 3) break;
    mm_sleep_ns(2'000'000);
  }
  if (!g_oom_killer || !g_oom_killer()) return ReclaimOutcome::NoMemory;
  g_vm_stats.oom_kill.fetch_add(1, MemoryOrder::Relaxed);
  // Wait for the victim's memory (it may be this very process: then the kill ends the wait).
  for (u32 i = 0; i < 200 && !memory_is_back() && !mm_fatal_signal_pending(); i++) mm_sleep_ns(5'000'000);
  return ReclaimOutcome::Progress;
}

void pageout_wake() {
  SpinlockGuard guard(g_daemon.lock);
  if (g_daemon.is_woken) return;
  g_daemon.is_woken = true;
  g_daemon.wakeup.wake_all();
}

void pageout_thread_main() {
  for (;;) {
    {
      SpinlockGuard guard(g_daemon.lock);
      while (!g_daemon.is_woken && free_frames() >= g_phys.watermark_low())
        (void)g_daemon.wakeup.wait_timeout(g_daemon.lock, 1'000'000'000);
      g_daemon.is_woken = false;
    }
    // Up to the high watermark, a batch at a time; a few empty rounds in a row mean there is nothing to take
    // (swap full, everything locked): rest until woken again.
    u32 empty_rounds = 0;
    while (free_frames() < g_phys.watermark_high() && empty_rounds < 3) {
      if (reclaim_pages(DAEMON_BATCH, ReclaimFor::Daemon) == 0) {
        empty_rounds++;
        mm_sleep_ns(10'000'000);
      } else {
        empty_rounds = 0;
      }
    }
  }
}

void set_oom_killer(OomKiller killer) { g_oom_killer = killer; }
void set_file_page_reclaimer(const FilePageReclaimer* reclaimer) {
  // (Page-cache frames join the set from their allocation on: PhysicalMemory::alloc_file_page. Anonymous ones
  // only once there is swap to put them in.)
  g_file_reclaimer = reclaimer;
}
