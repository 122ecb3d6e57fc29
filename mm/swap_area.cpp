// Swap areas: the slot map and the swap cache of one disk (mm/swap_area.h).
#include "mm/swap_area.h"

#include <cstring>

#include "mm/anon_slot.h"
#include "mm/swap.h"
#include "mm/swap_header.h"

namespace {

void copy_label(char (&out)[17], const char* in) {
  usize n = 0;
  for (; n < 16 && in[n]; n++) out[n] = (in[n] >= 32 && in[n] < 127) ? in[n] : '?';
  out[n] = '\0';
}

}  // namespace

Result<void> SwapArea::activate(unsigned index, OwnPtr<SwapDevice> device, int priority, const char** why) {
  ASSERT(!m_is_active && !m_chunks);
  u64 device_pages = device->page_count();
  if (device_pages < 2) {
    *why = "the device is too small to hold a swap area (a header page and one page of data)";
    return Error::INVAL;
  }
  Frame* header = g_phys.alloc(0, FrameUse::Kernel);
  if (!header) return Error::NOMEM;
  Result<void> read = swap_read_page_sync(*device, 0, header);
  if (read.is_error()) {
    g_phys.free_frame(header);
    *why = "the first page (the swap header) could not be read";
    return read.error();
  }
  const u8* page = g_phys.kernel_pointer(header);
  auto parsed = swap_header_parse(page, device_pages, why);
  Result<void> built = parsed.is_error() ? Result<void>(parsed.error()) : build_map(page, parsed.value(), why);
  if (built.is_error()) {
    g_phys.free_frame(header);
    return built.error();
  }
  copy_label(m_label, parsed.value().label);
  parsed.value().format_uuid(m_uuid);
  g_phys.free_frame(header);
  m_index = index;
  m_priority = priority;
  m_device = static_cast<OwnPtr<SwapDevice>&&>(device);
  m_cursor = 1;
  m_is_draining = false;
  m_is_active = true;
  return {};
}

// The slot map for `pages` slots: everything free but the header page and the bad pages the header lists.
Result<void> SwapArea::build_map(const u8* header_page, const SwapHeader& h, const char** why) {
  u64 pages = h.pages;
  m_pages = pages;
  m_chunk_count = (pages + SLOTS_PER_CHUNK - 1) / SLOTS_PER_CHUNK;
  m_chunks = new Slot*[m_chunk_count];
  if (!m_chunks) return Error::NOMEM;
  for (u64 i = 0; i < m_chunk_count; i++) m_chunks[i] = nullptr;
  for (u64 i = 0; i < m_chunk_count; i++) {
    Frame* f = g_phys.alloc_zeroed(0, FrameUse::Kernel);
    if (!f) {
      free_map();
      return Error::NOMEM;
    }
    m_chunks[i] = reinterpret_cast<Slot*>(g_phys.kernel_pointer(f));
  }
  m_bad_pages = 0;
  auto mark_bad = [&](u64 offset) {
    if (slot(offset).count == BAD) return;  // (a page listed twice)
    slot(offset).count = BAD;
    m_bad_pages++;
  };
  mark_bad(0);
  for (u32 i = 0; i < h.bad_page_count; i++) mark_bad(h.bad_page(header_page, i));
  m_good_pages = pages - m_bad_pages;
  m_used_pages = 0;
  m_cached_pages = 0;
  if (m_good_pages == 0) {
    free_map();
    *why = "Empty swap-file: every page of the area is listed as bad";
    return Error::INVAL;
  }
  g_swap.count_total(static_cast<i64>(m_good_pages));
  return {};
}

void SwapArea::free_map() {
  if (!m_chunks) return;
  for (u64 i = 0; i < m_chunk_count; i++)
    if (m_chunks[i]) g_phys.free_frame(g_phys.frame_of(kernel_to_phys(m_chunks[i])));
  delete[] m_chunks;
  m_chunks = nullptr;
  m_chunk_count = 0;
}

OwnPtr<SwapDevice> SwapArea::deactivate() {
  ASSERT(m_is_active);
  ASSERT_MSG(m_used_pages == 0, "swap area %u deactivated with %llu slots in use", m_index,
             static_cast<unsigned long long>(m_used_pages));
  free_map();
  g_swap.count_total(-static_cast<i64>(m_good_pages));
  m_is_active = false;
  m_pages = 0;
  m_good_pages = 0;
  m_bad_pages = 0;
  return static_cast<OwnPtr<SwapDevice>&&>(m_device);
}

void SwapArea::set_draining(bool draining) {
  SpinlockGuard guard(m_lock);
  m_is_draining = draining;
}

void SwapArea::bind_slot(u64 offset, Frame* frame) {
  Slot& s = slot(offset);
  DEBUG_ASSERT(s.frame_plus_one == 0 && s.count != BAD);
  s.frame_plus_one = static_cast<u32>(g_phys.pfn_of(frame) + 1);
  frame->swap = SwapEntry(m_index, offset).raw();
  frame->page_flags |= PageFlag::SwapCache;
  m_cached_pages++;
  if (frame->page_flags & PageFlag::CacheOwned) m_cache_owned_pages++;
}

u32 SwapArea::allocate_and_bind_locked(Frame* const* frames, u32 count) {
  ASSERT_LOCKED(m_lock);
  if (m_is_draining || m_used_pages >= m_good_pages) return 0;
  u32 done = 0;
  // Next fit: from the cursor to the end, then from slot 1 to the cursor.
  for (u64 scanned = 0; scanned < m_pages && done < count; scanned++) {
    u64 offset = m_cursor;
    m_cursor = m_cursor + 1 < m_pages ? m_cursor + 1 : 1;
    // A whole chunk that is full is skipped a slot at a time; the map is small enough (a 1 GiB area is 512
    // chunks) that this stays cheap next to the write it prepares.
    if (!is_free(slot(offset))) continue;
    bind_slot(offset, frames[done++]);
    m_used_pages++;
    g_swap.count_used(1);
    if (m_used_pages == m_good_pages) break;
  }
  return done;
}

void SwapArea::ref_locked(u64 offset) {
  ASSERT_LOCKED(m_lock);
  Slot& s = slot(offset);
  ASSERT_MSG(s.count != BAD && s.count != BAD - 1, "swap slot %llu: count overflow or a bad slot in use",
             static_cast<unsigned long long>(offset));
  ASSERT_MSG(s.count > 0 || s.frame_plus_one != 0, "swap slot %llu: a reference to a free slot",
             static_cast<unsigned long long>(offset));
  s.count++;
}

void SwapArea::unref_locked(u64 offset) {
  ASSERT_LOCKED(m_lock);
  Slot& s = slot(offset);
  ASSERT_MSG(s.count != 0 && s.count != BAD, "swap slot %llu: reference count underflow",
             static_cast<unsigned long long>(offset));
  if (--s.count == 0 && s.frame_plus_one != 0) {
    // Nobody names the slot now. A page only the cache holds (read ahead, or left over from a read) is of no use
    // to anyone: it goes, and the slot with it (Linux's free_swap_and_cache). One being read stays until reclaim.
    Frame* f = g_phys.frame_of_pfn(s.frame_plus_one - 1);
    if ((f->page_flags & PageFlag::CacheOwned) && !(f->page_flags & (PageFlag::Busy | PageFlag::Writeback))) {
      unbind_locked(offset, f);
      f->page_flags = 0;
      anon_frame_release(f);  // the cache's reference (a fault waiting for it may still hold its own)
      return;
    }
  }
  maybe_free_locked(offset);
}

void SwapArea::maybe_free_locked(u64 offset) {
  if (is_free(slot(offset))) {
    m_used_pages--;
    g_swap.count_used(-1);
  }
}

u64 SwapArea::named_slots_locked() const {
  ASSERT_LOCKED(m_lock);
  u64 n = 0;
  for (u64 offset = 0; offset < m_pages; offset++) {
    u32 count = slot(offset).count;
    if (count != 0 && count != BAD) n++;
  }
  return n;
}

Frame* SwapArea::cached_frame_locked(u64 offset) const {
  ASSERT_LOCKED(m_lock);
  u32 n = slot(offset).frame_plus_one;
  return n ? g_phys.frame_of_pfn(n - 1) : nullptr;
}

void SwapArea::bind_locked(u64 offset, Frame* frame) {
  ASSERT_LOCKED(m_lock);
  DEBUG_ASSERT(slot(offset).count > 0);
  bind_slot(offset, frame);
}

void SwapArea::unbind_locked(u64 offset, Frame* frame) {
  ASSERT_LOCKED(m_lock);
  Slot& s = slot(offset);
  ASSERT_MSG(s.frame_plus_one == g_phys.pfn_of(frame) + 1, "swap slot %llu: unbinding a frame it does not hold",
             static_cast<unsigned long long>(offset));
  s.frame_plus_one = 0;
  if (frame->page_flags & PageFlag::CacheOwned) m_cache_owned_pages--;
  frame->page_flags &= static_cast<u8>(~PageFlag::SwapCache);
  frame->swap = 0;
  m_cached_pages--;
  maybe_free_locked(offset);
}

void SwapArea::take_cache_reference_locked(Frame* frame) {
  ASSERT_LOCKED(m_lock);
  DEBUG_ASSERT(frame->page_flags & PageFlag::CacheOwned);
  frame->page_flags = static_cast<u8>(frame->page_flags & ~(PageFlag::CacheOwned | PageFlag::ReadAhead));
  m_cache_owned_pages--;
}

u64 SwapArea::drop_cache_owned_locked() {
  ASSERT_LOCKED(m_lock);
  u64 dropped = 0;
  for (u64 offset = 1; offset < m_pages && m_cache_owned_pages > 0; offset++) {
    Slot& s = slot(offset);
    if (s.frame_plus_one == 0) continue;
    Frame* f = g_phys.frame_of_pfn(s.frame_plus_one - 1);
    if (!(f->page_flags & PageFlag::CacheOwned) || (f->page_flags & (PageFlag::Busy | PageFlag::Writeback)) ||
        f->refcount.load(MemoryOrder::Relaxed) != 1)
      continue;
    unbind_locked(offset, f);
    f->page_flags = 0;
    anon_frame_release(f);
    dropped++;
  }
  return dropped;
}

void SwapArea::mark_bad_locked(u64 offset, Frame* frame) {
  ASSERT_LOCKED(m_lock);
  Slot& s = slot(offset);
  ASSERT(s.count == 0);
  s.frame_plus_one = 0;
  if (frame->page_flags & PageFlag::CacheOwned) m_cache_owned_pages--;
  frame->page_flags &= static_cast<u8>(~PageFlag::SwapCache);
  frame->swap = 0;
  m_cached_pages--;
  s.count = BAD;
  // The slot was in use (bound); now it is bad: neither used nor usable.
  m_used_pages--;
  m_good_pages--;
  m_bad_pages++;
  g_swap.count_used(-1);
  g_swap.count_total(-1);
}

bool SwapArea::is_in_use_locked(u64 offset) const {
  ASSERT_LOCKED(m_lock);
  if (offset == 0 || offset >= m_pages) return false;
  const Slot& s = slot(offset);
  return s.count != BAD && !is_free(s);
}

void SwapArea::release_unnamed_bindings_locked() {
  ASSERT_LOCKED(m_lock);
  for (u64 offset = 1; offset < m_pages; offset++) {
    Slot& s = slot(offset);
    if (s.frame_plus_one == 0 || s.count != 0) continue;
    Frame* f = g_phys.frame_of_pfn(s.frame_plus_one - 1);
    if (f->page_flags & (PageFlag::Busy | PageFlag::Writeback)) continue;
    bool cache_owned = f->page_flags & PageFlag::CacheOwned;
    unbind_locked(offset, f);
    f->page_flags = 0;
    if (cache_owned) anon_frame_release(f);
  }
}
