// Swapoff: every anon-table slot that names the area gets its page back. There is no map from a swap slot to the
// slots naming it, so swapoff visits every address space (through the families, mm/anon_family.cpp) and looks
// at its swapped slots, as Linux's try_to_unuse visits every mm. Each visit brings back what the swap cache
// already holds and starts one read for the rest; the reads happen with no lock held, and the visits repeat
// until no slot names the area.
#include "mm/swapoff.h"

#include "mm/address_space.h"
#include "mm/page_wait.h"
#include "mm/pageout.h"
#include "mm/swap.h"
#include "mm/vm_stats.h"

namespace {

}  // namespace

// Up to `max` swapped slots of this space that name area `area_index` take their page from the swap cache; at the
// first one that is not there, a read starts (wait_for), or memory is lacking (need_memory), or an earlier read
// had failed (failed). Pages are not mapped: the next access faults them in without I/O.
AddressSpace::SwapoffStep AddressSpace::swapoff_step_locked(unsigned area_index, u32 max) {
  ASSERT_LOCKED(m_lock);
  SwapoffStep step;
  m_anon.for_each_swapped([&](u64 vpn, AnonSlot* slot) {
    if (step.brought_back >= max || step.wait_for || step.need_memory || step.failed) return;
    SwapEntry entry = slot->swap_entry();
    if (entry.area() != area_index) return;
    SwapArea& area = g_swap.area_of(entry);
    Frame* f;
    Frame* copy = nullptr;
    {
      SpinlockGuard guard(area.lock());
      f = area.cached_frame_locked(entry.offset());
      if (!f) {
        FaultRetry retry;
        FaultResult r = start_swap_read_locked(area, entry, vpn, retry);
        if (r == FaultResult::Retry) {
          step.wait_for = retry.page;
          step.need_memory = retry.need_memory;
        } else {
          step.failed = true;
        }
        return;
      }
      if (f->page_flags & PageFlag::Error) {
        step.failed = true;
        return;
      }
      if (!frame_try_ref(f)) {
        step.need_memory = true;  // (being freed this instant: look again after a pause)
        return;
      }
      if (f->page_flags & PageFlag::Busy) {
        step.wait_for = f;
        return;
      }
      // Keyed at another page (mremap moved this slot's swap name while others shared it): this slot gets a
      // copy unless it turns out to be the only holder (as in swap_in_locked).
      if (f->owner && f->index != vpn && !(copy = new_anon_frame_locked(vpn))) {
        step.need_memory = true;  // (the reference just taken goes below, with no lock held)
      } else {
        if (f->page_flags & PageFlag::CacheOwned) {
          area.take_cache_reference_locked(f);
          f->refcount.fetch_sub(1, MemoryOrder::Relaxed);
        }
        if (!f->owner) {
          f->owner = root_family();
          f->index = vpn;
        }
        area.unref_locked(entry.offset());
        if (f->refcount.load(MemoryOrder::Relaxed) == 1 && area.count_locked(entry.offset()) == 0) {
          f->owner = own_family();  // nobody else can see it: it is this page's, of this space's family
          f->index = vpn;
        }
      }
    }
    // (Frames are released with no swap area lock held: the last reference takes it.)
    if (step.need_memory) {
      anon_frame_release(f);
      return;
    }
    if (copy && f->index != vpn) {
      copy_frame(copy, f);
      anon_frame_release(f);
      f = copy;
    } else if (copy) {
      anon_frame_release(copy);
    }
    m_anon.swapped_to_resident(slot, f);
    step.brought_back++;
  });
  return step;
}

Result<void> swapoff_bring_back(SwapArea& area) {
  unsigned index = area.index();
  u32 memory_waits = 0;
  for (;;) {
    bool found = false;
    AddressSpace::SwapoffStep blocked;
    AnonFamily::for_each_alive([&](AnonFamily& family) {
      if (blocked.wait_for || blocked.need_memory || blocked.failed) return;
      SpinlockGuard family_guard(family.lock);
      for (FamilyMembership& m : family.members) {
        AddressSpace& space = *m.space;
        SpinlockGuard guard(space.lock());
        AddressSpace::SwapoffStep step = space.swapoff_step_locked(index, 256);
        if (step.brought_back) found = true;
        if (step.wait_for || step.need_memory || step.failed) {
          blocked = step;
          found = true;
          return;
        }
      }
    });
    if (blocked.failed) return Error::IO;
    if (Frame* f = blocked.wait_for) {
      page_wait_until_ready(f);
      bool failed = __atomic_load_n(&f->page_flags, __ATOMIC_ACQUIRE) & PageFlag::Error;
      anon_frame_release(f);
      if (failed) return Error::IO;
      continue;
    }
    if (blocked.need_memory) {
      if (++memory_waits > 100) return Error::NOMEM;
      if (g_phys.free_frames() <= g_phys.watermark_min() + 2 * FRAME_CACHE_BATCH &&
          reclaim_pages(32, ReclaimFor::Direct) == 0)
        mm_sleep_ns(10'000'000);
      continue;
    }
    memory_waits = 0;
    if (found) continue;
    // No slot names the area now. What it still holds: pages only its cache keeps (read ahead), pages in memory
    // bound to a slot nobody names any more, and pages a page-out round is writing to it right now.
    {
      SpinlockGuard guard(area.lock());
      area.release_unnamed_bindings_locked();
    }
    if (area.used_pages() == 0) return {};
    mm_sleep_ns(5'000'000);  // (a page-out round that had slots from it before it drained is finishing)
  }
}
