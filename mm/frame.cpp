#include "mm/frame.h"

#include <cstring>

#include "mm/pageable.h"
#include "mm/shrinker.h"
#include "mm/swap.h"

PhysicalMemory g_phys;

const char* frame_use_name(FrameUse use) {
  switch (use) {
    case FrameUse::Free: return "free";
    case FrameUse::Cached: return "free (cached)";
    case FrameUse::Reserved: return "reserved";
    case FrameUse::Kernel: return "kernel";
    case FrameUse::Heap: return "heap";
    case FrameUse::PageTable: return "page table";
    case FrameUse::KernelStack: return "kernel stack";
    case FrameUse::Anon: return "anonymous";
    case FrameUse::File: return "file";
    case FrameUse::Zero: return "zero page";
    case FrameUse::VmMeta: return "vm metadata";
  }
  return "?";
}

void PhysicalMemory::init(u64 base_pfn, u64 end_pfn, Frame* frames) {
  m_base_pfn = base_pfn;
  m_end_pfn = end_pfn;
  m_frames = frames;
  for (u64 i = 0; i < end_pfn - base_pfn; i++) {
    m_frames[i].use = FrameUse::Reserved;
    m_frames[i].order = Frame::NOT_HEAD;
  }
}

void PhysicalMemory::add_free_range(PhysAddr start, PhysAddr end) {
  u64 pfn = (start.get() + PAGE_SIZE - 1) >> PAGE_SHIFT;
  u64 end_pfn = end.pfn();
  if (pfn < m_base_pfn) pfn = m_base_pfn;
  if (end_pfn > m_end_pfn) end_pfn = m_end_pfn;
  SpinlockGuard guard(m_lock);
  while (pfn < end_pfn) {
    // The largest aligned block that starts at pfn and fits.
    unsigned order = 0;
    while (order < MAX_ORDER && (pfn & ((2ull << order) - 1)) == 0 && pfn + (2ull << order) <= end_pfn) order++;
    for (u64 i = 0; i < (1ull << order); i++) {
      Frame& f = *frame_of_pfn(pfn + i);
      ASSERT(f.use == FrameUse::Reserved);
      f.use = FrameUse::Free;
      f.order = Frame::NOT_HEAD;
    }
    m_total_frames += 1ull << order;
    free_block_locked(pfn, order);
    pfn += 1ull << order;
  }
}

// Called under m_lock. Only what m_lock guards decides: a frame that another CPU is moving into or out of its cache
// without m_lock is never Free (see the invariants), whatever mix of its old and new fields this CPU sees. (Its use
// byte may be written meanwhile: a byte load yields the old or the new value, and neither is Free.)
bool PhysicalMemory::is_free_head(u64 pfn, unsigned order) const {
  if (pfn < m_base_pfn || pfn + (1ull << order) > m_end_pfn) return false;
  const Frame& f = *frame_of_pfn(pfn);
  return f.use == FrameUse::Free && f.order == order;
}

// Insert a free block, merging it with its buddy as long as the buddy is free and of the same order.
void PhysicalMemory::free_block_locked(u64 pfn, unsigned order) {
  ASSERT_LOCKED(m_lock);
  m_free_frames.fetch_add(1ull << order, MemoryOrder::Relaxed);
  while (order < MAX_ORDER) {
    u64 buddy = pfn ^ (1ull << order);
    if (!is_free_head(buddy, order)) break;
    Frame& b = *frame_of_pfn(buddy);
    m_free_lists[order].remove(b);
    b.order = Frame::NOT_HEAD;
    if (buddy < pfn) {
      frame_of_pfn(pfn)->order = Frame::NOT_HEAD;
      pfn = buddy;
    }
    order++;
  }
  Frame& head = *frame_of_pfn(pfn);
  head.order = static_cast<u8>(order);
  m_free_lists[order].push_front(head);
}

void PhysicalMemory::prepare_allocated(Frame* head, unsigned order, FrameUse use) {
  for (u64 i = 0; i < (1ull << order); i++) {
    Frame& f = head[i];
    f.use = use;
    f.order = Frame::NOT_HEAD;
    f.page_flags = 0;
    f.lru_flags = 0;
    f.owner = nullptr;
    f.index = 0;
  }
  head->order = static_cast<u8>(order);
  head->refcount.store(1, MemoryOrder::Relaxed);
}

Frame* PhysicalMemory::alloc_cached(FrameUse use, void* owner, u64 index) {
  Frame* f;
  {
    IrqSave irq;
    CpuCache* cache = &m_caches[mm_current_cpu()];
    cache->lock();
    unsigned n = cache->count;
    if (UNLIKELY(n == 0)) {
      refill_locked(*cache, use);
      n = cache->count;
      if (n == 0) {
        cache->unlock();
        return nullptr;
      }
    }
    f = cache->frames[n - 1];
    cache->count = n - 1;
    cache->unlock();
  }
  m_free_frames.fetch_sub(1, MemoryOrder::Relaxed);
  f->use = use;
  f->order = 0;
  f->page_flags = 0;
  f->lru_flags = 0;
  f->owner = owner;
  f->index = index;
  f->refcount.store(1, MemoryOrder::Relaxed);
  return f;
}

// alloc_cached for a pageable frame: the frame also goes on this CPU's hand-over list. Its fields are set before
// the cache lock is released, because from then on another CPU may hand the list over (hand_over_fresh_pages)
// and look at them.
__attribute__((always_inline)) inline Frame* PhysicalMemory::take_pageable_locked(CpuCache& cache, FrameUse use,
                                                                                  void* owner, u64 index,
                                                                                  bool track) {
  unsigned n = cache.count;
  Frame* f = cache.frames[n - 1];
  cache.count = n - 1;
  f->use = use;
  f->order = 0;
  f->page_flags = 0;
  f->lru_flags = track ? LruFlag::Fresh : 0;
  f->owner = owner;
  f->index = index;
  f->refcount.store(1, MemoryOrder::Relaxed);
  if (track) cache.fresh[cache.fresh_count++] = f;
  m_free_frames.fetch_sub(1, MemoryOrder::Relaxed);
  return f;
}

// The fast way, a leaf function (no registers to save): nullptr when the cache is empty or the hand-over list
// is due to be handed over — alloc_pageable_slow does both (once in FRESH_BATCH allocations).
Frame* PhysicalMemory::alloc_cached_pageable(FrameUse use, void* owner, u64 index) {
  IrqSave irq;
  CpuCache& cache = m_caches[mm_current_cpu()];
  cache.lock();
  bool track = tracks_pageable();
  if (UNLIKELY(cache.count == 0 || (track && cache.fresh_count + 1 >= FRESH_BATCH))) {
    cache.unlock();
    return nullptr;
  }
  Frame* f = take_pageable_locked(cache, use, owner, index, track);
  cache.unlock();
  return f;
}

void PhysicalMemory::track_pageable_frames() {
  if (tracks_pageable()) return;
  // From now on new frames go on the hand-over lists, and the last unref of a pageable frame asks the set
  // (unref_last). Both sides order their store before their load with a full fence (the store-buffering
  // pattern): either the adoption below sees a frame's count dropped to 0 and skips it, or the freeing CPU sees
  // the flag and goes through the set's lock, where it finds the frame adopted and takes it out.
  m_tracks_pageable.store(true, MemoryOrder::SeqCst);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  pageable_adopt_in_use(*this);
}

__attribute__((noinline)) Frame* PhysicalMemory::alloc_pageable_slow(FrameUse use, void* owner, u64 index,
                                                                      bool always_track) {
  bool track = always_track || tracks_pageable();
  Frame* f = nullptr;
  {
    IrqSave irq;
    CpuCache& cache = m_caches[mm_current_cpu()];
    cache.lock();
    if (cache.count == 0) refill_locked(cache, use);
    if (cache.count != 0) {
      f = take_pageable_locked(cache, use, owner, index, track);
      if (cache.fresh_count >= FRESH_BATCH) hand_over_locked(cache, cache.fresh_count == FRESH_MAX);
    }
    cache.unlock();
  }
  if (f) return f;
  // This CPU's cache is empty and the buddy lists gave nothing (or nothing above the reserve): frames other CPUs
  // keep, then nothing (the caller reclaims).
  f = steal_cached();
  if (!f) return nullptr;
  prepare_allocated(f, 0, use);
  f->owner = owner;
  f->index = index;
  if (!track) return f;
  f->lru_flags = LruFlag::Fresh;
  IrqSave irq;
  CpuCache& cache = m_caches[mm_current_cpu()];
  cache.lock();
  cache.fresh[cache.fresh_count++] = f;
  if (cache.fresh_count >= FRESH_BATCH) hand_over_locked(cache, cache.fresh_count == FRESH_MAX);
  cache.unlock();
  return f;
}

// Gives the cache's new pageable frames to the pageable set; the ones freed meanwhile (orphans) come back here.
// Without `wait`, only if the set's lock is free: the fault that allocates holds its address space's lock, and
// page-out may hold the set's lock while it asks about that very address space (mm/pageable.h).
void PhysicalMemory::hand_over_locked(CpuCache& cache, bool wait) {
  ASSERT_LOCKED(cache);
  unsigned n = cache.fresh_count;
  auto orphans_or_busy = pageable_hand_over(cache.fresh, n, wait);
  if (!orphans_or_busy.has_value()) return;  // busy: later
  cache.fresh_count = 0;
  unsigned orphans = orphans_or_busy.value();
  for (unsigned i = 0; i < orphans; i++) {
    Frame* f = cache.fresh[i];
    f->use = FrameUse::Cached;  // not Free: that is for the free lists, under m_lock (see the invariants)
    f->order = Frame::NOT_HEAD;
    f->owner = nullptr;
    f->lru_flags = 0;
    m_free_frames.fetch_add(1, MemoryOrder::Relaxed);
    put_in_cache_locked(cache, f);
  }
}

void PhysicalMemory::hand_over_fresh_pages() {
  for (CpuCache& cache : m_caches) {
    IrqSave irq;
    cache.lock();
    if (cache.fresh_count) hand_over_locked(cache, true);
    cache.unlock();
  }
}

// A frame leaves the free lists for a CPU's cache (taken off its list already).
__attribute__((always_inline)) inline Frame* PhysicalMemory::to_cache_locked(Frame* frame) {
  ASSERT_LOCKED(m_lock);
  frame->use = FrameUse::Cached;
  frame->order = Frame::NOT_HEAD;
  return frame;
}

// A cached frame goes back to the free lists (counted free already, and counted again by free_block_locked).
__attribute__((always_inline)) inline void PhysicalMemory::from_cache_locked(Frame* frame) {
  ASSERT_LOCKED(m_lock);
  DEBUG_ASSERT(frame->use == FrameUse::Cached);
  frame->use = FrameUse::Free;
  m_free_frames.fetch_sub(1, MemoryOrder::Relaxed);
  free_block_locked(pfn_of(frame), 0);
}

// Refill a CPU's empty cache with FRAME_CACHE_BATCH frames: one aligned block of that many frames when the
// buddy lists have one (split off a larger block if needed), single frames otherwise.
void PhysicalMemory::refill_locked(CpuCache& cache, FrameUse use) {
  ASSERT_LOCKED(cache);
  constexpr unsigned BATCH_ORDER = 5;
  static_assert((1u << BATCH_ORDER) == FRAME_CACHE_BATCH);
  SpinlockGuard guard(m_lock);
  u64 free = m_free_frames.load(MemoryOrder::Relaxed);
  // Running low: wake whoever makes room (the page-out thread). It takes its own locks after ours.
  if (free < m_low + FRAME_CACHE_BATCH && m_low_memory_hook) m_low_memory_hook();
  // The reserve is the kernel's (set_watermarks).
  if (is_user_driven(use) && free < m_min + FRAME_CACHE_BATCH) return;
  if (Frame* head = take_block_locked(BATCH_ORDER, MAX_ORDER)) {
    // Highest address last in the array: it is handed out first, the rest follow in descending order.
    for (unsigned i = 0; i < FRAME_CACHE_BATCH; i++)
      cache.frames[i] = to_cache_locked(head + (FRAME_CACHE_BATCH - 1 - i));
    cache.count = FRAME_CACHE_BATCH;
    return;
  }
  // Fragmented memory: take what the small orders have, a frame at a time.
  while (cache.count < FRAME_CACHE_BATCH) {
    Frame* head = take_block_locked(0, BATCH_ORDER - 1);
    if (!head) break;
    cache.frames[cache.count++] = to_cache_locked(head);
  }
}

void PhysicalMemory::free_cached(Frame* frame) {
  frame->use = FrameUse::Cached;  // not Free: that is for the free lists, under m_lock (see the invariants)
  frame->order = Frame::NOT_HEAD;
  frame->owner = nullptr;
  frame->lru_flags = 0;
  frame->refcount.store(0, MemoryOrder::Relaxed);
  m_free_frames.fetch_add(1, MemoryOrder::Relaxed);
  IrqSave irq;
  CpuCache& cache = m_caches[mm_current_cpu()];
  cache.lock();
  put_in_cache_locked(cache, frame);
  cache.unlock();
}

// A free frame (counted free already) into a CPU's cache; when the cache is full its oldest batch goes back to
// the buddy lists first.
void PhysicalMemory::put_in_cache_locked(CpuCache& cache, Frame* frame) {
  ASSERT_LOCKED(cache);
  if (cache.count == FRAME_CACHE_SIZE) {
    SpinlockGuard guard(m_lock);
    for (unsigned i = 0; i < FRAME_CACHE_BATCH; i++) from_cache_locked(cache.frames[i]);
    for (unsigned i = FRAME_CACHE_BATCH; i < FRAME_CACHE_SIZE; i++) cache.frames[i - FRAME_CACHE_BATCH] = cache.frames[i];
    cache.count -= FRAME_CACHE_BATCH;
  }
  cache.frames[cache.count++] = frame;
}

Frame* PhysicalMemory::steal_cached() {
  for (CpuCache& cache : m_caches) {
    IrqSave irq;
    cache.lock();
    if (cache.count) {
      m_free_frames.fetch_sub(1, MemoryOrder::Relaxed);
      Frame* f = cache.frames[--cache.count];
      cache.unlock();
      return f;
    }
    cache.unlock();
  }
  return nullptr;
}

void PhysicalMemory::drain_cpu_cache() {
  IrqSave irq;
  CpuCache& cache = m_caches[mm_current_cpu()];
  cache.lock();
  {
    SpinlockGuard guard(m_lock);
    for (unsigned i = 0; i < cache.count; i++) from_cache_locked(cache.frames[i]);
    cache.count = 0;
  }
  cache.unlock();
}

__attribute__((noinline)) Frame* PhysicalMemory::alloc_slow(unsigned order, FrameUse use) {
  ASSERT(order <= MAX_ORDER);
  // Twice at most: the second time after asking the kernel's caches (mm/shrinker.h) to give back what they keep
  // (empty slabs, idle kernel stacks, frames freed while on a hand-over list). Memory that is counted free must
  // be memory an allocation can get.
  for (int attempt = 0; attempt < 2; attempt++) {
    if (attempt == 1) {
      hand_over_fresh_pages();
      if (shrink_kernel_caches() == 0 && free_frames() == 0) return nullptr;
    }
    if (order == 0) {
      // This CPU's cache is empty and could not be refilled: other CPUs may still hold some (a user-driven
      // allocation takes them too: the reserve is in the buddy lists, not in the caches).
      if (Frame* f = steal_cached()) {
        prepare_allocated(f, 0, use);
        return f;
      }
      // The buddy lists, down to the reserve for a user-driven one (the cache refill wanted a whole batch).
      if (!is_user_driven(use) || free_frames() > m_min) {
        if (Frame* f = alloc_block(0, use)) return f;
      }
      continue;
    }
    if (is_user_driven(use) && free_frames() < m_min + (1ull << order)) continue;
    if (Frame* f = alloc_block(order, use)) return f;
    // Cached single frames may be what keeps blocks from merging.
    drain_cpu_cache();
    if (Frame* f = alloc_block(order, use)) return f;
  }
  return nullptr;
}

// A free block of the smallest order in [order, highest] that has one, split down to `order` (the upper halves
// go back on the free lists); nullptr if there is none. Its frames still count as free.
Frame* PhysicalMemory::take_block_locked(unsigned order, unsigned highest) {
  ASSERT_LOCKED(m_lock);
  unsigned k = order;
  while (k <= highest && m_free_lists[k].is_empty()) k++;
  if (k > highest) return nullptr;
  Frame* head = m_free_lists[k].pop_front();
  u64 pfn = pfn_of(head);
  while (k > order) {
    k--;
    Frame& upper = *frame_of_pfn(pfn + (1ull << k));
    upper.order = static_cast<u8>(k);
    m_free_lists[k].push_front(upper);
  }
  return head;
}

Frame* PhysicalMemory::alloc_block(unsigned order, FrameUse use) {
  SpinlockGuard guard(m_lock);
  Frame* head = take_block_locked(order, MAX_ORDER);
  if (!head) return nullptr;
  m_free_frames.fetch_sub(1ull << order, MemoryOrder::Relaxed);
  prepare_allocated(head, order, use);
  return head;
}

Frame* PhysicalMemory::alloc_zeroed(unsigned order, FrameUse use) {
  Frame* f = alloc(order, use);
  if (f) {
    // Through this allocator's own frames (zero_frame would go through g_phys).
    for (u64 i = 0; i < (1ull << order); i++) zero_page_memory(kernel_pointer(f + i));
  }
  return f;
}

void PhysicalMemory::free(Frame* frame, unsigned order) {
  ASSERT(frame >= m_frames && frame < m_frames + (m_end_pfn - m_base_pfn));
  ASSERT_MSG(!frame->is_free() && frame->use != FrameUse::Reserved,
             "freeing frame %#llx which is %s", static_cast<unsigned long long>(address_of(frame).get()),
             frame_use_name(frame->use));
  u64 pfn = pfn_of(frame);
  ASSERT((pfn & ((1ull << order) - 1)) == 0);
  if (order == 0) {
    free_cached(frame);
    return;
  }
  SpinlockGuard guard(m_lock);
  for (u64 i = 0; i < (1ull << order); i++) {
    frame[i].use = FrameUse::Free;
    frame[i].order = Frame::NOT_HEAD;
    frame[i].owner = nullptr;
    frame[i].refcount.store(0, MemoryOrder::Relaxed);
  }
  free_block_locked(pfn, order);
}

// The last reference is gone. A pageable frame first leaves the pageable set and the swap cache (nobody else
// can bind or add it now: both need a reference). Once frames are tracked (track_pageable_frames), every
// pageable frame asks the set, under its lock, whether it is in it (the adoption may just have put it there).
__attribute__((noinline)) bool PhysicalMemory::unref_last(Frame* frame, u32 old) {
  ASSERT_MSG(old != 0, "frame %#llx: reference count underflow", static_cast<unsigned long long>(address_of(frame).get()));
  if (frame->page_flags & PageFlag::SwapCache) swap_cache_release(frame);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);  // the count's drop before the flag's load: see track_pageable_frames
  if (frame->use == FrameUse::Anon ? tracks_pageable()
                                   : (__atomic_load_n(&frame->lru_flags, __ATOMIC_RELAXED) & (LruFlag::Fresh | LruFlag::InSet))) {
    if (!pageable_release(frame)) return true;  // still on a hand-over list: the hand-over frees it
  }
  free(frame, 0);
  return true;
}

MemoryCounters PhysicalMemory::counters() const {
  MemoryCounters c{};
  c.total_frames = m_total_frames;
  c.free_frames = free_frames();
  for (u64 i = 0; i < m_end_pfn - m_base_pfn; i++) {
    auto use = static_cast<unsigned>(m_frames[i].use);
    if (m_frames[i].use == FrameUse::Reserved)
      c.reserved_frames++;
    else if (!m_frames[i].is_free())
      c.used_by[use]++;
  }
  return c;
}

bool PhysicalMemory::check() const {
  SpinlockGuard guard(const_cast<Spinlock&>(m_lock));
  u64 counted = 0;
  for (unsigned k = 0; k <= MAX_ORDER; k++) {
    for (Frame& f : m_free_lists[k]) {
      u64 pfn = pfn_of(&f);
      if (f.use != FrameUse::Free || f.order != k || (pfn & ((1ull << k) - 1))) return false;
      for (u64 i = 1; i < (1ull << k); i++)
        if (frame_of_pfn(pfn + i)->use != FrameUse::Free) return false;
      counted += 1ull << k;
    }
  }
  for (const CpuCache& cache : m_caches) {
    for (unsigned i = 0; i < cache.count; i++)
      if (cache.frames[i]->use != FrameUse::Cached) return false;
    counted += cache.count;
  }
  return counted == free_frames();
}


