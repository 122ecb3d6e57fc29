// The reverse map of anonymous pages: from a frame to every mapping of it. An anonymous frame can only be held
// by the address spaces of one fork family (Frame::anon_family), and only at one virtual page (Frame::anon_vpn):
// fork copies slots at the same address. So "every mapping" is: each member of the family whose anon-table slot
// at that page holds the frame. Page-out asks the family through these calls; pmap(9)'s page-level operations
// (pmap_page_protect, pmap_clear_reference...) are built from them.
//
// A frame's family pointer may be stale (the family gone, its memory reused: families are never freed, only
// recycled, so the pointer always points to a family — mm/anon_family.cpp): each call first takes a reference
// if the family is alive, and then trusts only slots that hold the very frame.
//
// Lock order: family, then address space (the family lock keeps members from leaving while they are visited).
#pragma once

#include "mm/frame.h"
#include "mm/pmap.h"
#include "mm/swap_entry.h"

// Whether any mapping of the page was accessed since the last ask; clears the accessed bits. A family or address
// space whose lock is busy counts as "accessed" (its owner is busy with it right now): only try_lock is used,
// because this runs under the pageable-set lock, which a fault may want while it holds its address-space lock.
bool rmap_test_and_clear_referenced(Frame* page);
// Whether any mapping of the page was written since it was last asked; clears the dirty bits. Their flush from
// the TLBs is gathered into `tlb`: after tlb.flush(), a write sets them again (the page's contents may be
// snapshot for writing only then).
bool rmap_test_and_clear_modified(Frame* page, Pmap::FlushBatch& tlb);

// Whether a mapping of the page is in a locked region (mlock): page-out leaves such a page alone, without
// writing it (Linux keeps mlocked pages off its LRU lists altogether).
bool rmap_is_locked(Frame* page);

struct RmapUnmapResult {
  u32 converted = 0;  // slots that now name the swap entry instead of the frame
  bool kept = false;  // a slot kept the frame: written to again meanwhile, or mlocked (Frame Dirty is set for
                      // the first)
};
// Page-out: every slot holding the page names `entry` from now on (one more name of the swap slot each) and its
// mapping is removed — unless the mapping was written to since rmap_test_and_clear_modified, or the region is
// locked (mlock): that slot keeps the frame. The TLB flush of the removed mappings is gathered into `tlb`: the
// frame may be freed only after tlb.flush().
RmapUnmapResult rmap_unmap_to_swap(Frame* page, SwapEntry entry, Pmap::FlushBatch& tlb);
