// A split virtqueue, the driver's side (virtio 1.2 spec, 2.7 "Split Virtqueues"): the ring through which a
// driver hands buffers to a device and gets them back.
//
//   descriptor table   size entries {addr, len, flags, next}: the buffers. A request is a chain of descriptors
//                      linked by `next` (flag NEXT); a device-writable buffer has flag WRITE.
//   available ring     driver -> device: heads of chains ready for the device, and a free-running index.
//   used ring          device -> driver: heads of chains the device is done with (and bytes written), and its
//                      own free-running index.
//
// Unused descriptors form a free list threaded through their `next` fields, so taking n descriptors for a
// chain is n pops, and the links of the chain are already in place (2.7.13, any order is allowed).
//
// Memory: one physically contiguous, zeroed block in the legacy layout (2.7.2 "Legacy Interfaces: A Note on
// Virtqueue Layout"): the descriptor table, the available ring right after it, and the used ring at the next
// `used_alignment` boundary (a page for the legacy virtio-mmio transport, which only takes the first page
// number; the modern transport takes three addresses, and this layout satisfies its alignments too).
//
// The indices and flags the device also touches are read and written with single atomic accesses; the
// ordering between them and the ring contents is made by the dma_* barriers (each says why where it is).
//
// Lock: none. The owner (a driver) serialises every call with its own lock; the device is the other party.
#pragma once

#include "lib/assert.h"
#include "lib/types.h"
#include "mm/types.h"

namespace virtq {

// 2.7.5 "The Virtqueue Descriptor Table".
struct Desc {
  u64 addr;
  u32 len;
  u16 flags;
  u16 next;
};
static_assert(sizeof(Desc) == 16);
constexpr u16 DESC_F_NEXT = 1;      // the chain continues at `next`
constexpr u16 DESC_F_WRITE = 2;     // the device writes this buffer (otherwise it reads it)
constexpr u16 DESC_F_INDIRECT = 4;  // (not used: VIRTIO_F_INDIRECT_DESC is not negotiated)

// 2.7.6 "The Virtqueue Available Ring": flags, idx, ring[size], used_event.
constexpr u16 AVAIL_F_NO_INTERRUPT = 1;
// 2.7.8 "The Virtqueue Used Ring": flags, idx, ring[size] of UsedElem, avail_event.
struct UsedElem {
  u32 id;   // head of the chain
  u32 len;  // bytes the device wrote into the chain's writable buffers
};
static_assert(sizeof(UsedElem) == 8);
constexpr u16 USED_F_NO_NOTIFY = 1;  // the device asks not to be notified of new available buffers

constexpr u16 MAX_SIZE = 32768;  // 2.7 "Queue Size" of a split virtqueue

}  // namespace virtq

class SplitVirtqueue {
 public:
  // Where the three parts sit in the block, and its size (all in bytes).
  struct Layout {
    u64 avail_offset;
    u64 used_offset;
    u64 total_bytes;
  };
  // size: a power of two <= virtq::MAX_SIZE; used_alignment: a power of two >= 4.
  static Layout layout(u16 size, u64 used_alignment);

  // One buffer of a chain.
  struct Buffer {
    PhysAddr address;
    u32 length;
    bool is_device_writable;
  };

  SplitVirtqueue() = default;
  SplitVirtqueue(const SplitVirtqueue&) = delete;
  SplitVirtqueue& operator=(const SplitVirtqueue&) = delete;

  // Starts using the zeroed block at `memory` (kernel pointer) / `physical`, laid out by layout().
  void init(u16 size, u8* memory, PhysAddr physical, u64 used_alignment);

  u16 size() const { return m_size; }
  u16 free_descriptors() const { return m_free_count; }
  PhysAddr desc_address() const { return m_physical; }
  PhysAddr avail_address() const { return m_physical + m_layout.avail_offset; }
  PhysAddr used_address() const { return m_physical + m_layout.used_offset; }

  // Builds a chain of `count` descriptors (1 <= count <= free_descriptors()) from buffer_at(i, head),
  // i = 0..count-1, and returns its head (the driver may key per-request state by it). The device does not see
  // the chain until make_available(head).
  template <typename BufferAt>
  u16 add_chain(u32 count, BufferAt&& buffer_at) {
    ASSERT(count >= 1 && count <= m_free_count);
    u16 head = m_free_head;
    for (u32 i = 0; i < count; i++) {
      u16 d = m_free_head;
      virtq::Desc& desc = m_desc[d];
      m_free_head = desc.next;  // the next free descriptor is also the next link of the chain
      Buffer b = buffer_at(i, head);
      desc.addr = b.address.get();
      desc.len = b.length;
      desc.flags = static_cast<u16>((b.is_device_writable ? virtq::DESC_F_WRITE : 0) |
                                    (i + 1 < count ? virtq::DESC_F_NEXT : 0));
    }
    m_free_count = static_cast<u16>(m_free_count - count);
    return head;
  }

  // Puts the chain at `head` in the available ring and publishes the new index to the device.
  void make_available(u16 head);
  // After make_available: true if the device wants to be told (it did not set USED_F_NO_NOTIFY).
  bool needs_notification() const;

  // Takes the next chain the device has finished from the used ring. Returns false when there is none.
  // `head` is what the device wrote, checked only against the ring size: the caller checks that it is a
  // chain it gave (a misbehaving device must not make the driver free a free descriptor).
  bool pop_used(u16& head, u32& written);
  // Returns the descriptors of the chain at `head` to the free list. Returns how many there were.
  u32 free_chain(u16 head);

 private:
  u16* avail_flags() const { return reinterpret_cast<u16*>(m_memory + m_layout.avail_offset); }
  u16* avail_idx() const { return avail_flags() + 1; }
  u16* avail_ring() const { return avail_flags() + 2; }
  u16* used_flags() const { return reinterpret_cast<u16*>(m_memory + m_layout.used_offset); }
  u16* used_idx() const { return used_flags() + 1; }
  virtq::UsedElem* used_ring() const { return reinterpret_cast<virtq::UsedElem*>(used_flags() + 2); }

  u8* m_memory = nullptr;
  PhysAddr m_physical;
  Layout m_layout{};
  virtq::Desc* m_desc = nullptr;
  u16 m_size = 0;
  u16 m_free_head = 0;     // first descriptor of the free list
  u16 m_free_count = 0;
  u16 m_avail_idx = 0;     // our copy of avail->idx (we are its only writer)
  u16 m_last_used_idx = 0; // the used-ring index up to which we have taken entries
};
