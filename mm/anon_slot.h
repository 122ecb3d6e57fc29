// AnonSlot: what an anon table (mm/anon_table.h) holds for one virtual page, in one 64-bit word:
//
//   empty       0                   the page was never written privately: it reads as its object's page or zero
//   resident    a Frame* (bit 0 clear; descriptors are 64-byte aligned)
//               the frame holding the page; the slot owns one reference to it (Frame::refcount)
//   swapped     (entry << 1) | 1    the page's contents are on swap, at SwapEntry `entry` (mm/swap_entry.h); the
//               slot counts as one of the names of that swap slot (SwapArea's count)
//
// A slot is a value: copying one does not take a reference. share() takes one (fork puts the copy in the child's
// table), release() drops the slot's own: a frame reference, or a name of the swap slot.
#pragma once

#include <type_traits>

#include "lib/assert.h"
#include "mm/frame.h"
#include "mm/swap_entry.h"
#include "mm/vm_stats.h"

// Drop one reference to an anonymous frame, freeing it (and counting it gone) when it was the last.
inline void anon_frame_release(Frame* frame) {
  if (g_phys.unref(frame)) g_vm_stats.anon_pages.fetch_sub(1, MemoryOrder::Relaxed);
}
// One more / one fewer anon-table slot names a swap entry (mm/swap.cpp).
void swap_entry_ref(SwapEntry entry);
void swap_entry_unref(SwapEntry entry);

class AnonSlot {
 public:
  constexpr AnonSlot() = default;
  static AnonSlot resident(Frame* frame) {
    DEBUG_ASSERT(frame != nullptr && (reinterpret_cast<u64>(frame) & SWAP_TAG) == 0);
    return AnonSlot(reinterpret_cast<u64>(frame));
  }
  static constexpr AnonSlot swapped(SwapEntry entry) {
    DEBUG_ASSERT(!entry.is_null() && entry.raw() <= MAX_SWAP_RAW);
    return AnonSlot((entry.raw() << 1) | SWAP_TAG);
  }

  constexpr bool is_empty() const { return m_raw == 0; }
  constexpr bool is_resident() const { return m_raw != 0 && (m_raw & SWAP_TAG) == 0; }
  constexpr bool is_swapped() const { return (m_raw & SWAP_TAG) != 0; }

  // The frame of a resident slot.
  Frame* frame() const {
    DEBUG_ASSERT(is_resident());
    return reinterpret_cast<Frame*>(m_raw);
  }
  // Where a swapped slot's page is on swap.
  constexpr SwapEntry swap_entry() const {
    DEBUG_ASSERT(is_swapped());
    return SwapEntry::from_raw(m_raw >> 1);
  }

  // Take one more reference to what the slot holds, for a copy of the slot (fork).
  void share() const {
    if (LIKELY(is_resident())) share_resident();
    else swap_entry_ref(swap_entry());
  }
  // Drop the slot's reference (the slot itself is left as it is: the caller empties or overwrites it).
  void release() const {
    if (LIKELY(is_resident())) release_resident();
    else swap_entry_unref(swap_entry());
  }
  // The same for a slot known to be resident (a table holding no swapped slot at all: the fast way of fork and
  // exit).
  void share_resident() const { frame()->refcount.fetch_add(1, MemoryOrder::Relaxed); }
  void release_resident() const { anon_frame_release(frame()); }

  constexpr bool operator==(const AnonSlot&) const = default;

  static constexpr u64 MAX_SWAP_RAW = (1ull << 63) - 1;

 private:
  static constexpr u64 SWAP_TAG = 1;
  explicit constexpr AnonSlot(u64 raw) : m_raw(raw) {}

  u64 m_raw = 0;
};
static_assert(sizeof(AnonSlot) == sizeof(u64) && std::is_trivially_copyable_v<AnonSlot>);
static_assert(alignof(Frame) >= 2, "a Frame* must leave bit 0 free for the swap tag");
