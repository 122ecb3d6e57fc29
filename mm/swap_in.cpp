// Swap-in: the fault on a page whose anon-table slot names a swap entry (step 3 of mm/fault.cpp).
//
//   - The swap cache has the page (another fault read it, it was read ahead, or it is still there from its
//     write-out): the slot takes it — a minor fault, no I/O.
//   - The page is being read (Busy): wait for the read, then start over.
//   - Nothing: read it. A frame is bound to the slot, Busy, with the neighbouring slots in use (the aligned
//     window of 2^page_cluster slots around it: pages paged out together) read ahead in the same request; the
//     fault waits for the read without any lock and starts over, and then finds the page in the cache.
//
// A page taken from the swap cache is mapped writable only if nobody else can see it: no other slot holds the
// frame and no other slot names the swap entry (they would read the old contents back). Otherwise a read maps it
// read-only and a write copies it, as copy-on-write does. A page that is written stops needing its swap copy:
// the slot is freed (unless others still name it).
#include "mm/address_space.h"
#include "mm/page_wait.h"
#include "mm/swap.h"
#include "mm/vm_stats.h"

namespace {

// The read of one request ended (interrupt context): the pages are ready, or failed.
void swap_read_done(SwapIo& io, Result<void> result) {
  auto* area = static_cast<SwapArea*>(io.context);
  u32 n = io.page_count;
  {
    SpinlockGuard guard(area->lock());
    for (u32 i = 0; i < n; i++) {
      Frame* f = io.frames[i];
      u8 flags = static_cast<u8>(f->page_flags & ~PageFlag::Busy);
      if (result.is_error()) flags |= n > 1 ? PageFlag::Error | PageFlag::ErrorNearby : PageFlag::Error;
      // (Release: the page's contents, and Error, are seen by whoever sees Busy clear.)
      __atomic_store_n(&f->page_flags, flags, __ATOMIC_RELEASE);
    }
  }
  if (result.is_error()) {
    g_vm_stats.swap_read_errors.fetch_add(1, MemoryOrder::Relaxed);
    mm_log("swap: read error on %s, pages %llu-%llu: the faults that wait for them get SIGBUS", area->device().path(),
           static_cast<unsigned long long>(io.first_page), static_cast<unsigned long long>(io.first_page + n - 1));
  }
  for (u32 i = 0; i < n; i++) page_wake(io.frames[i]);
  delete &io;
}

}  // namespace

FaultResult AddressSpace::swap_in_locked(Region& r, VirtAddr page, Access access, FaultRetry& retry) {
  ASSERT_LOCKED(m_lock);
  u64 vpn = page.page_number();
  AnonSlot* slot = m_anon.existing_slot(vpn);
  SwapEntry entry = slot->swap_entry();
  SwapArea& area = g_swap.area_of(entry);
  u64 offset = entry.offset();
  Frame* f;
  bool exclusive, elsewhere;
  {
    SpinlockGuard guard(area.lock());
    f = area.cached_frame_locked(offset);
    if (!f) return start_swap_read_locked(area, entry, vpn, retry);
    u8 flags = f->page_flags;
    if (flags & PageFlag::Error) {
      // An earlier read of it failed (those faults got SIGBUS, or, if it read several pages, came back here):
      // this fault reads again, this page alone (the bad sector may be a neighbour's).
      area.unbind_locked(offset, f);
      if (flags & PageFlag::CacheOwned) {
        f->page_flags = 0;
        anon_frame_release(f);
      }
      return start_swap_read_locked(area, entry, vpn, retry, /*read_ahead=*/false);
    }
    if (!frame_try_ref(f)) {
      // Being freed right now: it will be out of the cache in a moment. Start over.
      return FaultResult::Retry;
    }
    if (flags & PageFlag::Busy) {
      retry.page = f;  // with the reference just taken
      return FaultResult::Retry;
    }
    // The slot takes the page: the cache's reference, if it had one, or the one just taken.
    if (flags & PageFlag::CacheOwned) {
      area.take_cache_reference_locked(f);
      f->refcount.fetch_sub(1, MemoryOrder::Relaxed);  // (the cache's reference stays: it is the slot's now)
      if (flags & PageFlag::ReadAhead) g_vm_stats.swap_ra_hit.fetch_add(1, MemoryOrder::Relaxed);
    }
    area.unref_locked(offset);
    if (!f->owner) {
      // Read ahead for a page nobody had asked for yet: now it has a place.
      f->owner = root_family();
      f->index = vpn;
    }
    exclusive = f->refcount.load(MemoryOrder::Relaxed) == 1 && area.count_locked(offset) == 0;
    // A page only this space has belongs to its own family from now on (only its own children can come to
    // share it), at this page; one others share stays with the oldest family, whose members are all who can
    // (mm/rmap.h), at its page.
    if (exclusive) {
      f->owner = own_family();
      f->index = vpn;
    }
    // Keyed at another page: mremap moved this slot's swap name while others shared it (mm/remap.cpp). A frame
    // is held at one page in its family, so this slot gets a copy, whatever the access.
    elsewhere = f->index != vpn;
    if (exclusive && (access == Access::Write || g_swap.is_half_full())) {
      // Written now, the swap copy will be stale; or swap is short, and a copy kept for a page in memory is a
      // slot another page cannot have (Linux: vm_swap_full). Free the slot. (A write-out in flight keeps it:
      // the page is marked dirty instead, and that write-out will not count.)
      if (f->page_flags & PageFlag::Writeback) f->page_flags |= PageFlag::Dirty;
      else area.unbind_locked(offset, f);
    }
  }
  m_anon.swapped_to_resident(slot, f);
  g_vm_stats.swap_cache_hits.fetch_add(1, MemoryOrder::Relaxed);
  Prot prot = effective_prot(r.m_prot);
  if ((access == Access::Write || elsewhere) && !exclusive) {
    // Copy-on-write of a page others still see (through the frame, or through the swap entry).
    Frame* copy = new_anon_frame_locked(vpn);
    if (!copy) {
      retry.need_memory = true;  // (the slot holds the page now; the next try copies it)
      return FaultResult::Retry;
    }
    copy_frame(copy, f);
    *slot = AnonSlot::resident(copy);
    anon_frame_release(f);
    f = copy;
    g_vm_stats.faults_cow_copy.fetch_add(1, MemoryOrder::Relaxed);
  } else if (!exclusive) {
    prot = prot & ~Prot::Write;
  }
  if (prot == Prot::None) return FaultResult::Resolved;  // (a kernel write into PROT_NONE memory)
  if (m_pmap->enter(page, g_phys.address_of(f), prot, access == Access::Write ? PmapEnter::Dirty : PmapEnter::Normal)
          .is_error()) {
    retry.need_memory = true;
    return FaultResult::Retry;
  }
  return FaultResult::Resolved;
}

// The page is in no memory: read it, with its neighbours on swap. Called with the area's lock held.
FaultResult AddressSpace::start_swap_read_locked(SwapArea& area, SwapEntry entry, u64 vpn, FaultRetry& retry,
                                                 bool read_ahead) {
  ASSERT_LOCKED(m_lock);
  ASSERT_LOCKED(area.lock());
  auto* io = new SwapIo();
  Frame* f = io ? g_phys.alloc_pageable(FrameUse::Anon, root_family(), vpn) : nullptr;
  if (!f) {
    delete io;
    retry.need_memory = true;
    return FaultResult::Retry;
  }
  g_vm_stats.anon_pages.fetch_add(1, MemoryOrder::Relaxed);
  u64 offset = entry.offset();
  // One reference for the cache (CacheOwned), one for this fault while it waits.
  f->page_flags = PageFlag::Busy | PageFlag::CacheOwned;
  f->refcount.store(2, MemoryOrder::Relaxed);
  area.bind_locked(offset, f);

  // Read-ahead: the run of slots in use and not in memory around `offset`, within its aligned window.
  u32 window = read_ahead ? 1u << g_swap.page_cluster() : 1;
  u32 most = area.device().max_pages_per_io();
  if (window > most) window = static_cast<u32>(most);
  u64 window_start = offset & ~static_cast<u64>(window - 1);
  u64 window_end = window_start + window;
  auto wanted = [&](u64 o) { return o >= window_start && o < window_end && area.is_in_use_locked(o) && !area.cached_frame_locked(o); };
  auto read_ahead_frame = [&](u64 o) -> Frame* {
    Frame* n = g_phys.alloc_pageable(FrameUse::Anon, nullptr, 0);
    if (!n) return nullptr;
    g_vm_stats.anon_pages.fetch_add(1, MemoryOrder::Relaxed);
    n->page_flags = PageFlag::Busy | PageFlag::CacheOwned | PageFlag::ReadAhead;
    area.bind_locked(o, n);
    return n;
  };
  u64 first = offset;
  Frame* before[MAX_SWAP_IO_PAGES];
  u32 before_count = 0;
  while (first > 0 && wanted(first - 1)) {
    Frame* n = read_ahead_frame(first - 1);
    if (!n) break;
    before[before_count++] = n;
    first--;
  }
  u32 count = 0;
  for (u32 i = before_count; i > 0; i--) io->frames[count++] = before[i - 1];
  io->frames[count++] = f;
  for (u64 o = offset + 1; count < window && wanted(o); o++) {
    Frame* n = read_ahead_frame(o);
    if (!n) break;
    io->frames[count++] = n;
  }
  io->op = SwapIoOp::Read;
  io->first_page = first;
  io->page_count = count;
  io->on_complete = swap_read_done;
  io->context = &area;
  if (area.device().submit(*io).is_error()) {
    // Nothing started: undo the bindings; the pages go (this fault gets SIGBUS, as for a failed read).
    for (u32 i = 0; i < count; i++) {
      Frame* n = io->frames[i];
      area.unbind_locked(first + i, n);
      n->page_flags = 0;
      anon_frame_release(n);  // the cache's reference
    }
    delete io;
    anon_frame_release(f);  // this fault's
    return FaultResult::BusError;
  }
  g_vm_stats.pgmajfault.fetch_add(1, MemoryOrder::Relaxed);
  g_vm_stats.pswpin.fetch_add(count, MemoryOrder::Relaxed);
  g_vm_stats.swap_ra.fetch_add(count - 1, MemoryOrder::Relaxed);
  retry.page = f;
  return FaultResult::Retry;
}
