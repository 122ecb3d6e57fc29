// mremap(2): shrinking, growing and moving a mapping, with Linux 6.1's rules and errors (mm/mremap.c):
//
//   shrink          the tail is unmapped, the address stays
//   grow in place   when the range runs to its region's end and nothing is mapped after it
//   move            (MREMAP_MAYMOVE) to a free range, (MREMAP_FIXED) to exactly new_address, replacing what was
//                   there, or (MREMAP_DONTUNMAP) leaving the old range mapped but empty
//
// A move carries the range's region to the new place (same rights, flags and object window) and its private
// pages along by moving their anon-table slots: the frames are not copied, only re-keyed by their new virtual
// page. One exception keeps the reverse map simple: a frame still shared copy-on-write with another member of
// the fork family must stay at its virtual page (Frame::anon_vpn is one page for the whole family, see
// AnonFamily), so that page is copied for the mover — as a write fault would do later anyway.
// A page on swap moves as its swap name; if its page is later found in the swap cache keyed at another page
// (others share it), the fault that takes it copies it (mm/swap_in.cpp).
//
// The old mappings are removed from every hart's TLB before any page moves: another thread may be using the
// range right now, and must fault (and find the range gone, or empty) rather than reach a page that now lives
// elsewhere. The new range is mapped by faults, as everything else (pmap(9): a mapping is a cache).
//
// Errors come in Linux's order; what Linux has done before an error (the munmap of MREMAP_FIXED's target, of a
// shrunk tail) stays done here too.
#include "mm/address_space.h"
#include "mm/vm_stats.h"

namespace {

// Linux's move_vma/mremap_to refuse to start a move that could leave the address space past vm.max_map_count
// (each end of the old and the new range may split a region).
bool too_many_regions_to_move(u64 regions) { return regions + 2 >= user_layout::MAX_MAP_COUNT - 3; }

// Linux's do_munmap checks its range before it unmaps (a length near 2^64 wraps past the end): EINVAL.
bool is_user_range(VirtAddr start, u64 length) {
  return start.get() < user_layout::USER_END && length <= user_layout::USER_END - start.get();
}

}  // namespace

// munmap's part of mremap: the tail of a shrunk range, or MREMAP_FIXED's target.
Result<void> AddressSpace::remap_unmap_locked(VirtAddr start, u64 length) {
  ASSERT_LOCKED(m_lock);
  if (!is_user_range(start, length)) return Error::INVAL;
  Result<void> unmapped = unmap_locked(start, start + length);
  m_pmap->update();
  return unmapped;
}

Result<VirtAddr> AddressSpace::remap(VirtAddr old_address, u64 old_length, u64 new_length, u32 flags,
                                     VirtAddr new_address) {
  // Linux: PAGE_ALIGN may wrap to 0: a zero old length is the "duplicate a shared mapping" case, a zero new
  // length is EINVAL.
  if (!old_address.is_page_aligned()) return Error::INVAL;
  old_length = align_up(old_length, PAGE_SIZE);
  new_length = align_up(new_length, PAGE_SIZE);
  if (new_length == 0) return Error::INVAL;
  SpinlockGuard guard(m_lock);
  if (!find_locked(old_address)) return Error::FAULT;
  if (flags & (RemapFlag::Fixed | RemapFlag::DontUnmap))
    return remap_to_locked(old_address, old_length, new_length, flags, new_address);

  // Shrinking always works: the tail goes (an unmap that cannot split a region fails only a real shrink).
  if (old_length >= new_length) {
    if (old_length > new_length) TRY(remap_unmap_locked(old_address + new_length, old_length - new_length));
    return old_address;
  }

  Region* r = TRY(region_to_resize_locked(old_address, old_length, new_length, flags));
  // Grow in place: the range runs to the region's end, and the pages after it are free and inside the user half.
  if (old_length == r->m_end - old_address) {
    VirtAddr new_end = old_address + new_length;
    Region* next = RegionTree::next(*r);
    if (new_end > old_address && new_end.get() <= user_layout::USER_END && (!next || next->m_start >= new_end)) {
      r->m_end = new_end;
      try_merge_locked(r);
      return old_address;
    }
  }
  if (!(flags & RemapFlag::MayMove)) return Error::NOMEM;
  VirtAddr to = TRY(find_free_range_locked(new_length, VirtAddr(0)));
  return move_range_locked(*r, old_address, old_length, new_length, to, flags);
}

// Linux's mremap_to: MREMAP_FIXED or MREMAP_DONTUNMAP.
Result<VirtAddr> AddressSpace::remap_to_locked(VirtAddr old_address, u64 old_length, u64 new_length, u32 flags,
                                               VirtAddr new_address) {
  ASSERT_LOCKED(m_lock);
  using user_layout::USER_END;
  if (!new_address.is_page_aligned()) return Error::INVAL;
  if (new_length > USER_END || new_address.get() > USER_END - new_length) return Error::INVAL;
  // The two ranges may not overlap.
  if (old_address.get() + old_length > new_address.get() && new_address.get() + new_length > old_address.get())
    return Error::INVAL;
  if (too_many_regions_to_move(m_regions.size())) return Error::NOMEM;
  if (flags & RemapFlag::Fixed) TRY(remap_unmap_locked(new_address, new_length));
  if (old_length > new_length) {
    TRY(remap_unmap_locked(old_address + new_length, old_length - new_length));
    old_length = new_length;
  }
  Region* r = TRY(region_to_resize_locked(old_address, old_length, new_length, flags));
  // MREMAP_DONTUNMAP keeps the old range mapped: it adds old_length.
  if ((flags & RemapFlag::DontUnmap) &&
      !may_expand_locked(mm_space_limits(), old_length / PAGE_SIZE, is_data_mapping(r->m_prot, r->m_flags)))
    return Error::NOMEM;
  if (!(flags & RemapFlag::Fixed)) new_address = TRY(find_free_range_locked(new_length, new_address));
  return move_range_locked(*r, old_address, old_length, new_length, new_address, flags);
}

// Linux's vma_to_resize: the region that holds the old range, if it may become new_length long.
Result<Region*> AddressSpace::region_to_resize_locked(VirtAddr address, u64 old_length, u64 new_length, u32 flags) {
  ASSERT_LOCKED(m_lock);
  Region* r = find_locked(address);
  if (!r) return Error::FAULT;
  // A zero old length "duplicates" a mapping: that makes sense for shared mappings only.
  if (old_length == 0 && r->is_private()) return Error::INVAL;
  // The kernel's own pages ([vdso], [vvar]) never grow (Linux's VM_DONTEXPAND), and DONTUNMAP leaves them be.
  bool is_special = r->m_object && r->m_object->is_special_mapping();
  if ((flags & RemapFlag::DontUnmap) && is_special) return Error::INVAL;
  // The old range may not run past its region.
  if (old_length > r->m_end - address) return Error::FAULT;
  if (new_length == old_length) return r;
  if (r->m_object && r->object_page_of(address) + (new_length >> PAGE_SHIFT) < r->object_page_of(address))
    return Error::INVAL;
  if (is_special) return Error::FAULT;
  // RLIMIT_AS and RLIMIT_DATA for the pages it grows by (old_length <= new_length here).
  if (!may_expand_locked(mm_space_limits(), (new_length - old_length) / PAGE_SIZE, is_data_mapping(r->m_prot, r->m_flags)))
    return Error::NOMEM;
  return r;
}

// Linux's move_vma: a region like r at [new_address, + new_length) takes over the old range's pages; the old
// range is then unmapped (or, with DontUnmap, left mapped and empty).
Result<VirtAddr> AddressSpace::move_range_locked(Region& r, VirtAddr old_address, u64 old_length, u64 new_length,
                                                 VirtAddr new_address, u32 flags) {
  ASSERT_LOCKED(m_lock);
  if (too_many_regions_to_move(m_regions.size())) return Error::NOMEM;
  bool is_special = r.m_object && r.m_object->is_special_mapping();
  // Linux forbids splitting a special mapping: only a whole one moves.
  if (is_special && (old_address != r.m_start || old_length != r.size())) return Error::INVAL;
  Region* moved = TRY(insert_locked(TRY(Region::create({.start = new_address,
                                                        .end = new_address + new_length,
                                                        .prot = r.m_prot,
                                                        .max_prot = r.m_max_prot,
                                                        // The brk area is where the break is: a moved part of
                                                        // it is ordinary memory.
                                                        .flags = r.m_flags & ~RegionFlag::Heap,
                                                        .object = r.m_object.get(),
                                                        .object_page = r.m_object ? r.object_page_of(old_address) : 0}))));
  // (A zero old length duplicates a shared mapping: nothing moves, nothing is unmapped.)
  if (old_length > 0) {
    VirtAddr old_end = old_address + old_length;
    // No hart may use the old translations once a page has moved. (Stores through a shared file mapping are
    // kept in the object first: its write-back learns them from the modified bits the removal drops.)
    keep_shared_stores_locked(old_address, old_end);
    m_pmap->remove(old_address, old_end);
    m_pmap->update();
    if (Result<void> carried = move_anon_pages_locked(old_address, new_address, old_length >> PAGE_SHIFT);
        carried.is_error()) {
      erase_locked(moved);
      return carried.error();
    }
    // The vDSO's new place is where signal handlers return through (Linux's vdso_mremap).
    if (is_special && old_address == m_vdso_base) m_vdso_base = new_address;
    // Linux ignores a failure here (a split without memory): the pages have moved already.
    if (!(flags & RemapFlag::DontUnmap)) (void)unmap_locked(old_address, old_end);
  }
  try_merge_locked(moved);
  m_pmap->update();
  return new_address;
}

// Move the private pages of [from, + pages) to [to, + pages), where the anon table holds nothing (a free or
// just-unmapped range). Either all move or none (NOMEM: a table node or a copy could not be had; the pages that
// had moved go back, which needs no memory: their old slots' nodes are still there).
Result<void> AddressSpace::move_anon_pages_locked(VirtAddr from, VirtAddr to, u64 pages) {
  ASSERT_LOCKED(m_lock);
  u64 from_vpn = from.page_number(), to_vpn = to.page_number();
  u64 delta_back = from_vpn - to_vpn;  // modulo 2^64: to_vpn + delta_back == from_vpn
  Result<void> result;
  u64 moved = 0;
  m_anon.for_each(from_vpn, from_vpn + pages, [&](u64 vpn, AnonSlot& slot) {
    if (result.is_error()) return;
    AnonSlot* target = m_anon.slot_or_null(vpn - from_vpn + to_vpn);
    if (!target) {
      result = Error::NOMEM;
      return;
    }
    // A swapped slot moves with its swap name (mm/anon_table.h, move_slot). A resident frame held by more than
    // this slot is shared copy-on-write with another address space of the family, which holds it at this page
    // (or page-out holds it for a moment: a copy is right then too, page-out then finds the old page empty).
    Frame* frame = slot.is_resident() ? slot.frame() : nullptr;
    if (frame && frame->refcount.load(MemoryOrder::Relaxed) > 1) {
      Frame* copy = new_anon_frame_locked(vpn);
      if (!copy) {
        result = Error::NOMEM;
        return;
      }
      copy_frame(copy, frame);
      slot.release();
      slot = AnonSlot::resident(copy);
      g_vm_stats.faults_cow_copy.fetch_add(1, MemoryOrder::Relaxed);
    }
    AnonTable::move_slot(slot, target, vpn - from_vpn + to_vpn);
    moved++;
  });
  if (result.is_error() && moved > 0) {
    m_anon.for_each(to_vpn, to_vpn + pages, [&](u64 vpn, AnonSlot& slot) {
      AnonTable::move_slot(slot, m_anon.slot_or_null(vpn + delta_back), vpn + delta_back);
    });
  }
  return result;
}
