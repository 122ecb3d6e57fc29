// The swap space: swapon, swapoff, and the counting of swap entries (mm/swap.h).
#include "mm/swap.h"

#include "mm/shrinker.h"
#include "mm/swapoff.h"

SwapSpace g_swap;

namespace {

struct SyncRead {
  IoWaitGroup group;
};

void sync_read_done(SwapIo& io, Result<void> result) { static_cast<SyncRead*>(io.context)->group.done(result); }

}  // namespace

Result<void> swap_read_page_sync(SwapDevice& device, u64 page, Frame* frame) {
  auto* io = new SwapIo();
  if (!io) return Error::NOMEM;
  SyncRead state;
  io->op = SwapIoOp::Read;
  io->first_page = page;
  io->page_count = 1;
  io->frames[0] = frame;
  io->on_complete = sync_read_done;
  io->context = &state;
  state.group.add(1);
  if (Result<void> r = device.submit(*io); r.is_error()) state.group.done(r.error());
  Result<void> result = state.group.wait();
  delete io;
  return result;
}

void SwapSpace::begin_change() {
  SpinlockGuard guard(m_lock);
  while (m_is_changing) m_change_done.wait(m_lock);
  m_is_changing = true;
}

void SwapSpace::end_change() {
  SpinlockGuard guard(m_lock);
  m_is_changing = false;
  m_change_done.wake_all();
}

void SwapSpace::insert_in_order_locked(unsigned index) {
  ASSERT_LOCKED(m_lock);
  unsigned n = m_active_count.load(MemoryOrder::Relaxed);
  unsigned at = 0;
  // Higher priority first; among equals, the older area first.
  while (at < n && m_areas[m_order[at]].priority() >= m_areas[index].priority()) at++;
  for (unsigned i = n; i > at; i--) m_order[i] = m_order[i - 1];
  m_order[at] = static_cast<u8>(index);
  m_active_count.store(n + 1, MemoryOrder::Release);
}

void SwapSpace::remove_from_order_locked(unsigned index) {
  ASSERT_LOCKED(m_lock);
  unsigned n = m_active_count.load(MemoryOrder::Relaxed);
  unsigned j = 0;
  for (unsigned i = 0; i < n; i++)
    if (m_order[i] != index) m_order[j++] = m_order[i];
  m_active_count.store(j, MemoryOrder::Release);
}

// The swap cache's shrinker: pages only the cache holds (read ahead and never used) are clean copies of what is
// on swap, as good as free. Dropping them needs only the areas' locks, tried.
u64 SwapSpace::cache_owned_pages() const {
  u64 n = 0;
  for (const SwapArea& area : m_areas)
    if (area.is_active()) n += area.cache_owned_pages();
  return n;
}

u64 SwapSpace::named_slots() {
  u64 n = 0;
  for_each_area([&](SwapArea& area) {
    SpinlockGuard guard(area.lock());
    n += area.named_slots_locked();
  });
  return n;
}

u64 SwapSpace::drop_cache_owned_pages() {
  if (!m_lock.try_lock()) return 0;
  u64 dropped = 0;
  for (unsigned i = 0; i < m_active_count.load(MemoryOrder::Relaxed); i++) {
    SwapArea& area = m_areas[m_order[i]];
    if (area.cache_owned_pages() == 0 || !area.lock().try_lock()) continue;
    dropped += area.drop_cache_owned_locked();
    area.lock().unlock();
  }
  m_lock.unlock();
  return dropped;
}

namespace {
u64 count_cache_owned() { return g_swap.cache_owned_pages(); }
u64 shrink_cache_owned() { return g_swap.drop_cache_owned_pages(); }
const Shrinker g_swap_cache_shrinker = {"swap cache", count_cache_owned, shrink_cache_owned};
}  // namespace

Result<void> SwapSpace::swapon(OwnPtr<SwapDevice> device, u32 flags, const char** why) {
  register_shrinker(&g_swap_cache_shrinker);
  if (flags & ~SwapFlag::VALID) {
    *why = "unknown swapon flags";
    return Error::INVAL;
  }
  begin_change();
  unsigned index = MAX_SWAP_AREAS;
  int priority = 0;
  {
    SpinlockGuard guard(m_lock);
    for (unsigned i = 0; i < MAX_SWAP_AREAS; i++) {
      if (m_areas[i].is_active() && m_areas[i].device().identity() == device->identity()) {
        guard.unlock();
        end_change();
        *why = "the device is already in use as swap";
        return Error::BUSY;
      }
      if (!m_areas[i].is_active() && index == MAX_SWAP_AREAS) index = i;
    }
    if (index == MAX_SWAP_AREAS) {
      guard.unlock();
      end_change();
      *why = "too many swap areas are in use";
      return Error::PERM;
    }
    priority = (flags & SwapFlag::PREFER) ? static_cast<int>(flags & SwapFlag::PRIORITY_MASK) : --m_least_priority;
  }
  // Reading the header sleeps: not under m_lock. Nothing else touches an inactive area.
  Result<void> r = m_areas[index].activate(index, static_cast<OwnPtr<SwapDevice>&&>(device), priority, why);
  if (r.has_value()) {
    // Anonymous pages become pageable from the first swap area on (PhysicalMemory::tracks_pageable).
    g_phys.track_pageable_frames();
    SpinlockGuard guard(m_lock);
    insert_in_order_locked(index);
  } else if (!(flags & SwapFlag::PREFER)) {
    SpinlockGuard guard(m_lock);
    m_least_priority++;  // the default priority was not used
  }
  end_change();
  return r;
}

Result<void> SwapSpace::swapoff(const void* identity) {
  begin_change();
  SwapArea* area = nullptr;
  {
    SpinlockGuard guard(m_lock);
    for (unsigned i = 0; i < MAX_SWAP_AREAS; i++)
      if (m_areas[i].is_active() && m_areas[i].device().identity() == identity) area = &m_areas[i];
    // No more allocation from it: out of the order page-out uses, and draining.
    if (area) remove_from_order_locked(area->index());
  }
  if (!area) {
    end_change();
    return Error::INVAL;
  }
  area->set_draining(true);
  Result<void> r = swapoff_bring_back(*area);
  if (r.is_error()) {
    area->set_draining(false);
    SpinlockGuard guard(m_lock);
    insert_in_order_locked(area->index());
  } else {
    OwnPtr<SwapDevice> device;
    {
      SpinlockGuard guard(m_lock);
      device = area->deactivate();
      if (area->priority() < 0 && area->priority() == m_least_priority) m_least_priority++;
    }
  }
  end_change();
  return r;
}

Result<void> SwapSpace::set_page_cluster(u32 value) {
  if (value > 5) return Error::INVAL;  // 32 pages: MAX_SWAP_IO_PAGES
  m_page_cluster.store(value, MemoryOrder::Relaxed);
  return {};
}

void swap_entry_ref(SwapEntry entry) { g_swap.entry_ref(entry); }
void swap_entry_unref(SwapEntry entry) { g_swap.entry_unref(entry); }

// The entry of a frame read without the area's lock may be stale (the binding can go, on a failed write-out);
// each call looks again under the lock of the area it names.
bool swap_copy_is_shared(Frame* frame) {
  SwapEntry e = SwapEntry::from_raw(__atomic_load_n(&frame->swap, __ATOMIC_ACQUIRE));
  if (e.is_null()) return false;
  SwapArea& area = g_swap.area_of(e);
  SpinlockGuard guard(area.lock());
  if (!(frame->page_flags & PageFlag::SwapCache) || frame->swap != e.raw()) return false;
  return area.count_locked(e.offset()) != 0;
}

bool swap_copy_release_for_write(Frame* frame) {
  SwapEntry e = SwapEntry::from_raw(__atomic_load_n(&frame->swap, __ATOMIC_ACQUIRE));
  if (e.is_null()) return true;
  SwapArea& area = g_swap.area_of(e);
  SpinlockGuard guard(area.lock());
  if (!(frame->page_flags & PageFlag::SwapCache) || frame->swap != e.raw()) return true;
  if (area.count_locked(e.offset()) != 0) return false;
  if (frame->page_flags & PageFlag::Writeback) frame->page_flags |= PageFlag::Dirty;
  else area.unbind_locked(e.offset(), frame);
  return true;
}

void swap_cache_release(Frame* frame) {
  SwapEntry e = SwapEntry::from_raw(frame->swap);
  SwapArea& area = g_swap.area_of(e);
  SpinlockGuard guard(area.lock());
  area.unbind_locked(e.offset(), frame);
}

bool swap_cache_holds(SwapEntry entry) {
  SwapArea& area = g_swap.area_of(entry);
  SpinlockGuard guard(area.lock());
  return area.cached_frame_locked(entry.offset()) != nullptr;
}

void SwapSpace::entry_ref(SwapEntry e) {
  SwapArea& area = area_of(e);
  SpinlockGuard guard(area.lock());
  area.ref_locked(e.offset());
}

void SwapSpace::entry_unref(SwapEntry e) {
  SwapArea& area = area_of(e);
  SpinlockGuard guard(area.lock());
  area.unref_locked(e.offset());
}

u32 SwapSpace::allocate_and_bind(Frame* const* frames, u32 count) {
  SpinlockGuard guard(m_lock);
  u32 done = 0;
  for (unsigned i = 0; i < m_active_count.load(MemoryOrder::Relaxed) && done < count; i++) {
    SwapArea& area = m_areas[m_order[i]];
    SpinlockGuard area_guard(area.lock());
    done += area.allocate_and_bind_locked(frames + done, count - done);
  }
  return done;
}

SwapTotals SwapSpace::totals() const {
  SwapTotals t;
  SpinlockGuard guard(m_lock);
  for (const SwapArea& area : m_areas) {
    if (!area.is_active()) continue;
    t.total_pages += area.total_pages();
    t.free_pages += area.total_pages() - area.used_pages();
    t.cached_pages += area.cached_pages();
  }
  return t;
}
