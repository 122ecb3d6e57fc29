// A swap area: one disk (a SwapDevice) in the Linux swap format, cut into page-sized slots, with
//
//   a slot map     for every slot, how many anon-table slots name it (AnonSlot::swapped: its count) and which
//                  frame holds its contents in memory, if any (the swap cache, below). A slot is free when its
//                  count is 0 and no frame is bound to it. The header page and the pages the header lists as bad
//                  are marked bad and never handed out; so is a slot whose write failed.
//   a swap cache   the frame bound to a slot: a page being written out (its mappings still point to it), a page
//                  read back (while others still hold the slot, so they find the page instead of reading it
//                  again; while the read is in flight, PageFlag::Busy says so and faults wait for it), a page
//                  read ahead. A bound frame has PageFlag::SwapCache set and its entry in Frame::swap.
//                  The binding is weak: it holds no reference to the frame. Whoever frees the frame (the last
//                  reference gone) unbinds it; whoever looks it up takes a reference only if the count is not
//                  already 0 (a frame on its way out counts as absent).
//
// Slots are allocated next-fit from a cursor, so pages paged out together get neighbouring slots: they are
// written in one request and read back by read-ahead together.
//
// The set of areas (swapon/swapoff, the priorities, the totals for /proc/meminfo) is g_swap (mm/swap.h).
// Lock: m_lock (a spinlock) protects the slot map and the counters, and a bound frame's PageFlag flags and
// Frame::swap. Lock order: address space, then area (then the frame allocator).
#pragma once

#include "lib/own_ptr.h"
#include "lib/result.h"
#include "mm/frame.h"
#include "mm/mm_platform.h"
#include "mm/swap_device.h"
#include "mm/swap_entry.h"

struct SwapHeader;

class SwapArea {
 public:
  SwapArea() = default;
  AS_NONCOPYABLE(SwapArea);

  // Sets this (unused) area up over `device`: reads and checks the header (it sleeps), builds the slot map.
  // On failure returns INVAL (not a swap area: *why says why), NOMEM or IO, and the area stays unused.
  Result<void> activate(unsigned index, OwnPtr<SwapDevice> device, int priority, const char** why);
  // Frees the slot map and gives the device back. Every slot must be free (swapoff brought them back).
  OwnPtr<SwapDevice> deactivate();

  bool is_active() const { return m_is_active; }
  unsigned index() const { return m_index; }
  int priority() const { return m_priority; }
  SwapDevice& device() { return *m_device; }
  const char* label() const { return m_label; }
  const char* uuid() const { return m_uuid; }

  // ---- slots (all under m_lock) ----
  Spinlock& lock() { return m_lock; }
  // Up to `count` free slots, bound to frames[0..) in order (PageFlag::SwapCache set, Frame::swap filled): as
  // many as were found, consecutive where possible. 0 if the area is full or draining.
  u32 allocate_and_bind_locked(Frame* const* frames, u32 count);
  // One more / one fewer anon-table slot names `offset` (fork copied it / a holder released or swapped it in).
  void ref_locked(u64 offset);
  void unref_locked(u64 offset);
  u32 count_locked(u64 offset) const { return slot(offset).count; }
  // The frame bound to `offset` (nullptr if none).
  Frame* cached_frame_locked(u64 offset) const;
  // Binds a frame to a slot in use that has none (a page being read back); the frame's PageFlag flags are the
  // caller's to set.
  void bind_locked(u64 offset, Frame* frame);
  // Undoes a binding; frees the slot if nothing names it any more.
  void unbind_locked(u64 offset, Frame* frame);
  // A write to `offset` failed: never use the slot again (it must have no holder; its binding is undone).
  void mark_bad_locked(u64 offset, Frame* frame);
  // Whether the slot is in use (named or bound) — for read-ahead: a free or bad neighbour is not read.
  bool is_in_use_locked(u64 offset) const;
  // Swapoff: undoes every binding of a slot nobody names (dropping pages only the cache holds), except pages
  // being read or written.
  void release_unnamed_bindings_locked();
  // A fault (or swapoff) takes the cache's reference to a bound page: PageFlag::CacheOwned goes.
  void take_cache_reference_locked(Frame* frame);
  // Drops the pages only the cache holds, that nobody waits for (the swap cache's shrinker); how many.
  u64 drop_cache_owned_locked();

  // Stop handing out slots (swapoff).
  void set_draining(bool draining);
  bool is_draining() const { return m_is_draining; }

  // Counters (read without the lock: a snapshot).
  u64 total_pages() const { return m_good_pages; }           // usable slots (/proc/swaps "Size")
  u64 used_pages() const { return m_used_pages; }            // slots in use (named or bound)
  u64 bad_pages() const { return m_bad_pages; }              // header, bad-page list, failed writes
  u64 cached_pages() const { return m_cached_pages; }        // bound frames (SwapCached)
  u64 cache_owned_pages() const { return m_cache_owned_pages; }  // of those, the ones only the cache holds
  // Slots some anon-table slot names (a scan of the map: init's leak check, /proc/kernel-stats).
  u64 named_slots_locked() const;
  u64 device_pages() const { return m_pages; }

 private:
  struct Slot {
    u32 count = 0;         // anon-table slots naming this one; BAD: never use
    u32 frame_plus_one = 0;  // frame number + 1 of the bound frame, 0: none
  };
  static constexpr u32 BAD = 0xffffffff;
  static constexpr u64 SLOTS_PER_CHUNK = PAGE_SIZE / sizeof(Slot);  // one frame of the map

  Slot& slot(u64 offset) const {
    DEBUG_ASSERT(offset < m_pages);
    return m_chunks[offset / SLOTS_PER_CHUNK][offset % SLOTS_PER_CHUNK];
  }
  bool is_free(const Slot& s) const { return s.count == 0 && s.frame_plus_one == 0; }
  void bind_slot(u64 offset, Frame* frame);
  void maybe_free_locked(u64 offset);
  Result<void> build_map(const u8* header_page, const SwapHeader& header, const char** why);
  void free_map();

  mutable Spinlock m_lock{"swap-area"};
  bool m_is_active = false;        // guarded by g_swap's lock
  bool m_is_draining = false;      // guarded by m_lock
  unsigned m_index = 0;
  int m_priority = 0;
  OwnPtr<SwapDevice> m_device;
  u64 m_pages = 0;                 // slots, header included (the header's pages)
  Slot** m_chunks = nullptr;       // the slot map, one frame per chunk
  u64 m_chunk_count = 0;
  u64 m_cursor = 1;                // next slot to try, guarded by m_lock
  u64 m_good_pages = 0;            // guarded by m_lock (constant after activate, but for bad writes)
  u64 m_used_pages = 0;            // guarded by m_lock
  u64 m_bad_pages = 0;             // guarded by m_lock
  u64 m_cached_pages = 0;          // guarded by m_lock
  u64 m_cache_owned_pages = 0;     // guarded by m_lock
  char m_label[17] = {};
  char m_uuid[37] = {};
};
