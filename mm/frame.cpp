#include "mm/frame.h"

#include <cstring>

PhysicalMemory g_phys;

const char* frame_use_name(FrameUse use) {
  switch (use) {
    case FrameUse::Free: return "free";
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
    f.flags = 0;
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
      refill_locked(*cache);
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
  f->flags = 0;
  f->owner = owner;
  f->index = index;
  f->refcount.store(1, MemoryOrder::Relaxed);
  return f;
}

// Refill a CPU's empty cache with FRAME_CACHE_BATCH frames: one aligned block of that many frames when the
// buddy lists have one (split off a larger block if needed), single frames otherwise.
void PhysicalMemory::refill_locked(CpuCache& cache) {
  ASSERT_LOCKED(cache);
  constexpr unsigned BATCH_ORDER = 5;
  static_assert((1u << BATCH_ORDER) == FRAME_CACHE_BATCH);
  SpinlockGuard guard(m_lock);
  if (Frame* head = take_block_locked(BATCH_ORDER, MAX_ORDER)) {
    head->order = Frame::NOT_HEAD;
    // Highest address last in the array: it is handed out first, the rest follow in descending order.
    for (unsigned i = 0; i < FRAME_CACHE_BATCH; i++) cache.frames[i] = head + (FRAME_CACHE_BATCH - 1 - i);
    cache.count = FRAME_CACHE_BATCH;
    return;
  }
  // Fragmented memory: take what the small orders have, a frame at a time.
  while (cache.count < FRAME_CACHE_BATCH) {
    Frame* head = take_block_locked(0, BATCH_ORDER - 1);
    if (!head) break;
    head->order = Frame::NOT_HEAD;
    cache.frames[cache.count++] = head;
  }
}

void PhysicalMemory::free_cached(Frame* frame) {
  frame->use = FrameUse::Free;
  frame->order = Frame::NOT_HEAD;
  frame->owner = nullptr;
  frame->refcount.store(0, MemoryOrder::Relaxed);
  m_free_frames.fetch_add(1, MemoryOrder::Relaxed);
  IrqSave irq;
  CpuCache& cache = m_caches[mm_current_cpu()];
  cache.lock();
  if (cache.count == FRAME_CACHE_SIZE) {
    // Full: return the oldest batch to the buddy lists.
    SpinlockGuard guard(m_lock);
    for (unsigned i = 0; i < FRAME_CACHE_BATCH; i++) {
      m_free_frames.fetch_sub(1, MemoryOrder::Relaxed);  // free_block_locked counts it again
      free_block_locked(pfn_of(cache.frames[i]), 0);
    }
    for (unsigned i = FRAME_CACHE_BATCH; i < FRAME_CACHE_SIZE; i++) cache.frames[i - FRAME_CACHE_BATCH] = cache.frames[i];
    cache.count -= FRAME_CACHE_BATCH;
  }
  cache.frames[cache.count++] = frame;
  cache.unlock();
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
    for (unsigned i = 0; i < cache.count; i++) {
      m_free_frames.fetch_sub(1, MemoryOrder::Relaxed);
      free_block_locked(pfn_of(cache.frames[i]), 0);
    }
    cache.count = 0;
  }
  cache.unlock();
}

__attribute__((noinline)) Frame* PhysicalMemory::alloc_slow(unsigned order, FrameUse use) {
  ASSERT(order <= MAX_ORDER);
  if (order == 0) {
    // The buddy lists and this CPU's cache are empty: other CPUs may still hold some.
    Frame* f = steal_cached();
    if (f) prepare_allocated(f, 0, use);
    return f;
  }
  if (Frame* f = alloc_block(order, use)) return f;
  // Cached single frames may be what keeps blocks from merging.
  drain_cpu_cache();
  return alloc_block(order, use);
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
  ASSERT_MSG(frame->use != FrameUse::Free && frame->use != FrameUse::Reserved,
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

__attribute__((noinline)) bool PhysicalMemory::unref_last(Frame* frame, u32 old) {
  ASSERT_MSG(old != 0, "frame %#llx: reference count underflow", static_cast<unsigned long long>(address_of(frame).get()));
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
    else if (m_frames[i].use != FrameUse::Free)
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
  for (const CpuCache& cache : m_caches) counted += cache.count;
  return counted == free_frames();
}


