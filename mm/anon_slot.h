// AnonSlot: what an anon table (mm/anon_table.h) holds for one virtual page, in one 64-bit word:
//
//   empty       0                   the page was never written privately: it reads as its object's page or zero
//   resident    a Frame* (bit 0 clear; descriptors are 64-byte aligned)
//               the frame holding the page; the slot owns one reference to it (Frame::refcount)
//   swapped     (slot << 1) | 1     the page's contents are in swap slot `slot` of the swap device; the slot owns
//               one reference to that swap slot
//
// A slot is a value: copying one does not take a reference. share() takes one (fork puts the copy in the child's
// table), release() drops the slot's own. Nothing makes a swapped slot yet: the encoding, the accessors and
// their tests are here so that paging out is a change to this type and its callers' swapped branches, not to
// the tables. Until then share() and release() handle resident slots only, and a swapped slot anywhere is a
// bug that the debug builds catch (frame() checks).
#pragma once

#include <type_traits>

#include "lib/assert.h"
#include "mm/frame.h"
#include "mm/vm_stats.h"

// Drop one reference to an anonymous frame, freeing it (and counting it gone) when it was the last.
inline void anon_frame_release(Frame* frame) {
  if (g_phys.unref(frame)) g_vm_stats.anon_pages.fetch_sub(1, MemoryOrder::Relaxed);
}

class AnonSlot {
 public:
  constexpr AnonSlot() = default;
  static AnonSlot resident(Frame* frame) {
    DEBUG_ASSERT(frame != nullptr && (reinterpret_cast<u64>(frame) & SWAP_TAG) == 0);
    return AnonSlot(reinterpret_cast<u64>(frame));
  }
  static constexpr AnonSlot swapped(u64 swap_slot) {
    DEBUG_ASSERT(swap_slot <= MAX_SWAP_SLOT);
    return AnonSlot((swap_slot << 1) | SWAP_TAG);
  }

  constexpr bool is_empty() const { return m_raw == 0; }
  constexpr bool is_resident() const { return m_raw != 0 && (m_raw & SWAP_TAG) == 0; }
  constexpr bool is_swapped() const { return (m_raw & SWAP_TAG) != 0; }

  // The frame of a resident slot.
  Frame* frame() const {
    DEBUG_ASSERT(is_resident());
    return reinterpret_cast<Frame*>(m_raw);
  }
  // The swap slot of a swapped slot.
  constexpr u64 swap_slot() const {
    DEBUG_ASSERT(is_swapped());
    return m_raw >> 1;
  }

  // Take one more reference to what the slot holds, for a copy of the slot (fork).
  void share() const { frame()->refcount.fetch_add(1, MemoryOrder::Relaxed); }
  // Drop the slot's reference (the slot itself is left as it is: the caller empties or overwrites it).
  void release() const { anon_frame_release(frame()); }

  constexpr bool operator==(const AnonSlot&) const = default;

  static constexpr u64 MAX_SWAP_SLOT = (1ull << 63) - 1;

 private:
  static constexpr u64 SWAP_TAG = 1;
  explicit constexpr AnonSlot(u64 raw) : m_raw(raw) {}

  u64 m_raw = 0;
};
static_assert(sizeof(AnonSlot) == sizeof(u64) && std::is_trivially_copyable_v<AnonSlot>);
static_assert(alignof(Frame) >= 2, "a Frame* must leave bit 0 free for the swap tag");
