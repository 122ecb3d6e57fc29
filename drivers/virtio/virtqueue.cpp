// The split virtqueue (drivers/virtio/virtqueue.h); section numbers are the virtio 1.2 specification's.
#include "drivers/virtio/virtqueue.h"

#include "drivers/driver_platform.h"

namespace {

// The device reads and writes the ring indices and flags concurrently with us: access them with single,
// untorn loads and stores (relaxed; the dma_* barriers order them against the ring contents).
u16 load_shared(const u16* p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
void store_shared(u16* p, u16 v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }

}  // namespace

SplitVirtqueue::Layout SplitVirtqueue::layout(u16 size, u64 used_alignment) {
  Layout l;
  // 2.7.2 legacy layout: descriptors (16 bytes each), then the available ring (flags, idx, ring[size],
  // used_event), then the used ring (flags, idx, ring[size], avail_event) aligned to used_alignment.
  l.avail_offset = 16ull * size;
  u64 avail_end = l.avail_offset + 2 * (3 + static_cast<u64>(size));
  l.used_offset = align_up(avail_end, used_alignment);
  l.total_bytes = l.used_offset + 2 * 3 + 8ull * size;
  return l;
}

void SplitVirtqueue::init(u16 size, u8* memory, PhysAddr physical, u64 used_alignment) {
  ASSERT(is_power_of_two(size) && size <= virtq::MAX_SIZE);
  m_memory = memory;
  m_physical = physical;
  m_layout = layout(size, used_alignment);
  m_desc = reinterpret_cast<virtq::Desc*>(memory);
  m_size = size;
  // Every descriptor starts on the free list, in order (the last one's `next` is never followed: the count
  // says when the list is empty).
  for (u16 i = 0; i < size; i++) m_desc[i].next = static_cast<u16>(i + 1 < size ? i + 1 : 0);
  m_free_head = 0;
  m_free_count = size;
  m_avail_idx = 0;
  m_last_used_idx = 0;
}

void SplitVirtqueue::make_available(u16 head) {
  // 2.7.13 "Supplying Buffers to The Device": the head goes in the next ring slot, then the index moves on.
  avail_ring()[m_avail_idx & (m_size - 1)] = head;
  // The device may read the ring slot and the chain's descriptors as soon as it sees the new index:
  // make those stores visible before the index store (2.7.13.3, "the driver MUST perform a suitable memory
  // barrier before the idx update").
  dma_wmb();
  m_avail_idx++;
  store_shared(avail_idx(), m_avail_idx);
}

bool SplitVirtqueue::needs_notification() const {
  // The device sets USED_F_NO_NOTIFY while it is already processing the ring. Our index store must be
  // visible to the device before we read its flag (a store-then-load ordering, which only a full barrier
  // gives): otherwise the device could go idle having missed our new entry while we read a stale "busy"
  // flag and skip the notification, and the request would never be seen (2.7.13.4).
  dma_mb();
  return (load_shared(used_flags()) & virtq::USED_F_NO_NOTIFY) == 0;
}

bool SplitVirtqueue::pop_used(u16& head, u32& written) {
  u16 device_idx = load_shared(used_idx());
  if (device_idx == m_last_used_idx) return false;
  // The device wrote the ring entry before it moved its index: read the index first, then the entry, and
  // keep the loads in that order (2.7.14 "Receiving Used Buffers From The Device"). The same order makes the
  // data the device wrote into our buffers (a read's sectors, the status byte) visible after this point.
  dma_rmb();
  const virtq::UsedElem& elem = used_ring()[m_last_used_idx & (m_size - 1)];
  u32 id = __atomic_load_n(&elem.id, __ATOMIC_RELAXED);
  written = __atomic_load_n(&elem.len, __ATOMIC_RELAXED);
  m_last_used_idx++;
  head = static_cast<u16>(id < m_size ? id : m_size);  // m_size: never a valid head
  return true;
}

u32 SplitVirtqueue::free_chain(u16 head) {
  ASSERT(head < m_size);
  u32 count = 1;
  u16 last = head;
  while (m_desc[last].flags & virtq::DESC_F_NEXT) {
    last = m_desc[last].next;
    count++;
    ASSERT_MSG(count <= m_size, "virtqueue: a descriptor chain loops");
  }
  // Splice the whole chain onto the front of the free list: its links stay as they are.
  m_desc[last].next = m_free_head;
  m_free_head = head;
  m_free_count = static_cast<u16>(m_free_count + count);
  return count;
}
