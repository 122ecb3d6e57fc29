// The anonymous layer of an address space: for every virtual page that the process has written privately
// (zero-fill memory, copy-on-write copies of file pages, the stack and heap), the frame that holds it.
// Indexed by virtual page number, so regions can be split, merged and re-protected without touching it.
//
// An entry holds one reference to its frame (Frame::refcount counts the anon tables that hold the frame).
// fork() copies the entries and takes a reference for the child: parent and child then share each frame
// copy-on-write; a write fault copies the frame only while it is still shared (refcount > 1) and simply reuses it
// when the writer is the last owner. (The swap issue adds entries that hold a swap slot instead of a frame.)
// Lock: the owning address space's lock.
#pragma once

#include "lib/result.h"
#include "mm/frame.h"
#include "mm/radix_table.h"

class AnonTable {
 public:
  AnonTable() = default;
  ~AnonTable();
  AnonTable(const AnonTable&) = delete;
  AnonTable& operator=(const AnonTable&) = delete;

  // The frame at vpn, or nullptr.
  Frame* frame_at(u64 vpn) const { return reinterpret_cast<Frame*>(m_table.get(vpn)); }
  // Store frame at vpn, taking over the caller's reference; the previous frame there (if any) is released.
  Result<void> set(u64 vpn, Frame* frame);
  // The entry of vpn, created if needed, to read and then fill: a fault walks the table once. Store a frame
  // into an empty entry with fill_empty (it counts the page).
  Result<u64*> entry(u64 vpn) { return m_table.slot(vpn); }
  u64* entry_or_null(u64 vpn) { return m_table.slot_or_null(vpn); }
  void fill_empty(u64* entry, Frame* frame) {
    *entry = reinterpret_cast<u64>(frame);
    m_resident++;
  }
  // Release every frame in [start_vpn, end_vpn).
  void release_range(u64 start_vpn, u64 end_vpn);
  // Release every frame and the table itself (the address space is going away).
  void release_all();
  // Share src's frames in [start_vpn, end_vpn) into this table (a reference each): fork.
  Result<void> share_range_from(const AnonTable& src, u64 start_vpn, u64 end_vpn);
  // Calls fn(vpn, Frame*) for every resident page in the range.
  template <typename Fn>
  void for_each(u64 start_vpn, u64 end_vpn, Fn fn) {
    m_table.for_each(start_vpn, end_vpn, [&](u64 vpn, u64& value) { fn(vpn, reinterpret_cast<Frame*>(value)); });
  }

  u64 resident_pages() const { return m_resident; }
  u64 metadata_pages() const { return m_table.node_count(); }

 private:
  mutable RadixTable m_table;
  u64 m_resident = 0;
};
