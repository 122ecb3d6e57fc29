// The anonymous layer of an address space: for every virtual page that the process has written privately
// (zero-fill memory, copy-on-write copies of file pages, the stack and heap), an AnonSlot (mm/anon_slot.h) saying
// where the page is. Indexed by virtual page number, so regions can be split, merged and re-protected without
// touching it.
//
// A slot holds one reference to its frame (Frame::refcount counts the slots that hold the frame, in every
// address space of a fork family). fork() copies the slots and takes a reference for each copy: parent and
// child then share each frame copy-on-write; a write fault copies the frame only while it is still shared
// (refcount > 1) and simply reuses it when the writer is the last owner.
// Lock: the owning address space's lock.
#pragma once

#include "lib/result.h"
#include "mm/anon_slot.h"
#include "mm/radix_table.h"

class AnonTable {
 public:
  AnonTable() = default;
  ~AnonTable();
  AS_NONCOPYABLE(AnonTable);

  // What vpn holds (an empty slot if nothing).
  AnonSlot at(u64 vpn) const { return m_table.get(vpn); }
  // The slot of vpn, created if needed, to read and then fill or overwrite: a fault walks the table once.
  // nullptr when a table node cannot be allocated. vpn must be below RadixNodes::MAX_INDEX.
  AnonSlot* slot_or_null(u64 vpn) { return m_table.slot_or_null(vpn); }
  // Store a new frame, with the caller's reference, into an empty slot (and count the page).
  void fill_empty(AnonSlot* slot, Frame* frame) {
    DEBUG_ASSERT(slot->is_empty());
    *slot = AnonSlot::resident(frame);
    m_resident++;
  }
  // fn(vpn, AnonSlot&) for every non-empty slot in [start_vpn, end_vpn), in order; fn may empty a slot only by
  // moving its content to another slot (move_slot), so that the count of resident pages stays right.
  template <typename Fn>
  void for_each(u64 start_vpn, u64 end_vpn, Fn&& fn) {
    m_table.for_each(start_vpn, end_vpn, fn);
  }
  // Move what `from` holds into the empty slot `to` (of page to_vpn), with its reference or its swap name, and
  // empty `from` (the counts stay: same table). A resident frame learns its new page (Frame::anon_vpn): the caller
  // makes sure no other address space holds it (a frame is held at one virtual page in its whole family). A swap
  // entry moves as it is: whoever takes its page from the swap cache later at another page than the frame's
  // copies it, or re-keys it if nobody else can see it (swap_in_locked, swapoff_step_locked).
  static void move_slot(AnonSlot& from, AnonSlot* to, u64 to_vpn) {
    DEBUG_ASSERT(to->is_empty() && !from.is_empty());
    if (from.is_resident()) from.frame()->index = to_vpn;
    *to = from;
    from = AnonSlot();
  }
  // A swapped slot becomes resident (swap-in: the caller moved the names over) and back (page-out).
  void swapped_to_resident(AnonSlot* slot, Frame* frame) {
    DEBUG_ASSERT(slot->is_swapped());
    *slot = AnonSlot::resident(frame);
    m_resident++;
    m_swapped--;
  }
  void resident_to_swapped(AnonSlot* slot, SwapEntry entry) {
    DEBUG_ASSERT(slot->is_resident());
    *slot = AnonSlot::swapped(entry);
    m_resident--;
    m_swapped++;
  }
  // The slot of vpn if the table has one (never allocates).
  AnonSlot* existing_slot(u64 vpn) { return m_table.existing_slot(vpn); }
  // fn(vpn, AnonSlot*) for every swapped slot (swapoff); fn may change the slot (through the calls above).
  template <typename Fn>
  void for_each_swapped(Fn&& fn) {
    if (m_swapped == 0) return;
    m_table.for_each(0, RadixNodes::MAX_INDEX, [&](u64 vpn, AnonSlot& slot) {
      if (slot.is_swapped()) fn(vpn, &slot);
    });
  }
  // Release every slot in [start_vpn, end_vpn).
  void release_range(u64 start_vpn, u64 end_vpn);
  // Free the table's nodes that serve only [floor_vpn, ceiling_vpn) (no region there: munmap's hole) and reach
  // into [start_vpn, end_vpn).
  void release_nodes(u64 start_vpn, u64 end_vpn, u64 floor_vpn, u64 ceiling_vpn) {
    m_table.free_nodes_within(start_vpn, end_vpn, floor_vpn, ceiling_vpn);
  }
  // Release every slot and the table itself (the address space is going away).
  void release_all();
  // Share src's slots in [start_vpn, end_vpn) into this table, which holds nothing there (a reference each):
  // fork.
  Result<void> share_range_from(const AnonTable& src, u64 start_vpn, u64 end_vpn);

  u64 resident_pages() const { return m_resident; }
  u64 swapped_pages() const { return m_swapped; }
  u64 metadata_pages() const { return m_table.node_count(); }

 private:
  RadixTable<AnonSlot> m_table;
  u64 m_resident = 0;  // resident slots
  u64 m_swapped = 0;   // swapped slots
};
