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
      Frame& f = m_frames[pfn + i - m_base_pfn];
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
  const Frame& f = m_frames[pfn - m_base_pfn];
  return f.use == FrameUse::Free && f.order == order;
}

// Insert a free block, merging it with its buddy as long as the buddy is free and of the same order.
void PhysicalMemory::free_block_locked(u64 pfn, unsigned order) {
  m_free_frames.fetch_add(1ull << order, MemoryOrder::Relaxed);
  while (order < MAX_ORDER) {
    u64 buddy = pfn ^ (1ull << order);
    if (!is_free_head(buddy, order)) break;
    Frame& b = m_frames[buddy - m_base_pfn];
    m_free_lists[order].remove(b);
    b.order = Frame::NOT_HEAD;
    if (buddy < pfn) {
      m_frames[pfn - m_base_pfn].order = Frame::NOT_HEAD;
      pfn = buddy;
    }
    order++;
  }
  Frame& head = m_frames[pfn - m_base_pfn];
  head.order = static_cast<u8>(order);
  m_free_lists[order].push_front(head);
}

Frame* PhysicalMemory::alloc(unsigned order, FrameUse use) {
  ASSERT(order <= MAX_ORDER);
  SpinlockGuard guard(m_lock);
  unsigned k = order;
  while (k <= MAX_ORDER && m_free_lists[k].is_empty()) k++;
  if (k > MAX_ORDER) return nullptr;
  Frame* head = m_free_lists[k].pop_front();
  u64 pfn = m_base_pfn + static_cast<u64>(head - m_frames);
  // Split: give back the upper halves until the block has the requested order.
  while (k > order) {
    k--;
    u64 upper = pfn + (1ull << k);
    Frame& u = m_frames[upper - m_base_pfn];
    u.order = static_cast<u8>(k);
    m_free_lists[k].push_front(u);
  }
  m_free_frames.fetch_sub(1ull << order, MemoryOrder::Relaxed);
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
  return head;
}

Frame* PhysicalMemory::alloc_zeroed(unsigned order, FrameUse use) {
  Frame* f = alloc(order, use);
  if (f) memset(kernel_pointer(f), 0, PAGE_SIZE << order);
  return f;
}

void PhysicalMemory::free(Frame* frame, unsigned order) {
  ASSERT(frame >= m_frames && frame < m_frames + (m_end_pfn - m_base_pfn));
  ASSERT_MSG(frame->use != FrameUse::Free && frame->use != FrameUse::Reserved,
             "freeing frame %#llx which is %s", static_cast<unsigned long long>(address_of(frame).get()),
             frame_use_name(frame->use));
  u64 pfn = m_base_pfn + static_cast<u64>(frame - m_frames);
  ASSERT((pfn & ((1ull << order) - 1)) == 0);
  SpinlockGuard guard(m_lock);
  for (u64 i = 0; i < (1ull << order); i++) {
    frame[i].use = FrameUse::Free;
    frame[i].order = Frame::NOT_HEAD;
    frame[i].owner = nullptr;
    frame[i].refcount.store(0, MemoryOrder::Relaxed);
  }
  free_block_locked(pfn, order);
}

bool PhysicalMemory::unref(Frame* frame) {
  u32 old = frame->refcount.fetch_sub(1, MemoryOrder::AcqRel);
  ASSERT_MSG(old != 0, "frame %#llx: reference count underflow", static_cast<unsigned long long>(address_of(frame).get()));
  if (old != 1) return false;
  free(frame, 0);
  return true;
}

Frame* PhysicalMemory::frame_of(PhysAddr pa) const {
  ASSERT(is_managed(pa));
  return &m_frames[pa.pfn() - m_base_pfn];
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
      u64 pfn = m_base_pfn + static_cast<u64>(&f - m_frames);
      if (f.use != FrameUse::Free || f.order != k || (pfn & ((1ull << k) - 1))) return false;
      for (u64 i = 1; i < (1ull << k); i++)
        if (m_frames[pfn + i - m_base_pfn].use != FrameUse::Free) return false;
      counted += 1ull << k;
    }
  }
  return counted == free_frames();
}

void zero_frame(Frame* frame) {
  auto* p = reinterpret_cast<u64*>(g_phys.kernel_pointer(frame));
  for (u64 i = 0; i < PAGE_SIZE / 8; i += 8) {
    p[i] = 0, p[i + 1] = 0, p[i + 2] = 0, p[i + 3] = 0, p[i + 4] = 0, p[i + 5] = 0, p[i + 6] = 0, p[i + 7] = 0;
  }
}
