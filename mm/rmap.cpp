// The reverse map of anonymous pages (mm/rmap.h): each call visits the members of the page's family.
#include "mm/rmap.h"

#include "mm/address_space.h"
#include "mm/swap.h"

namespace {

// Calls visit(AddressSpace&) for each member of the page's family, under the family's lock, if the family is
// alive. `try_only`: skip (and report through the return value) members whose lock is busy.
template <typename Visit>
bool for_each_mapper(Frame* page, bool try_only, Visit visit) {
  auto* family = static_cast<AnonFamily*>(page->owner);
  if (!family || !family->try_ref()) return true;
  bool all_visited = true;
  if (try_only) {
    if (!family->lock.try_lock()) {
      family->unref();
      return false;
    }
  } else {
    family->lock.lock();
  }
  {
    for (FamilyMembership& m : family->members) {
      AddressSpace& space = *m.space;
      if (try_only) {
        if (!space.lock().try_lock()) {
          all_visited = false;
          continue;
        }
      } else {
        space.lock().lock();
      }
      visit(space);
      space.lock().unlock();
    }
  }
  family->lock.unlock();
  family->unref();
  return all_visited;
}

// The page's virtual page, read under a member's address-space lock: mremap re-keys a frame only its own
// address space holds (mm/remap.cpp), under that space's lock, so the holder's page is read right; in the other
// members the slot does not hold the frame anyway (each call below compares the slot with the frame).
u64 page_vpn(const Frame* page) { return __atomic_load_n(&page->index, __ATOMIC_RELAXED); }

}  // namespace

bool AddressSpace::clear_referenced_of_locked(u64 vpn, const Frame* f) {
  ASSERT_LOCKED(m_lock);
  if (m_anon.at(vpn) != AnonSlot::resident(const_cast<Frame*>(f))) return false;
  // The TLB flush this asks for is left to the space's next update() (its next fault or mapping change): the
  // accessed bits may be approximate (pmap(9)), and flushing here would mean fences on other harts, under the
  // pageable set's lock, for every page the policy looks at.
  return m_pmap->clear_referenced(VirtAddr(vpn << PAGE_SHIFT));
}

bool AddressSpace::clear_modified_of_locked(u64 vpn, const Frame* f, Pmap::FlushBatch& tlb) {
  ASSERT_LOCKED(m_lock);
  if (m_anon.at(vpn) != AnonSlot::resident(const_cast<Frame*>(f))) return false;
  bool modified = m_pmap->clear_modified(VirtAddr(vpn << PAGE_SHIFT));
  // The flush is what makes the next write set the bit again (a TLB entry that had it would not): page-out does
  // it for the whole round at once, before it writes (no fence on other harts under this lock, per page).
  m_pmap->update_into(tlb);
  return modified;
}

AddressSpace::UnmapOne AddressSpace::unmap_to_swap_locked(u64 vpn, Frame* f, SwapEntry entry,
                                                           Pmap::FlushBatch& tlb) {
  ASSERT_LOCKED(m_lock);
  AnonSlot* slot = m_anon.existing_slot(vpn);
  if (!slot || *slot != AnonSlot::resident(f)) return UnmapOne::NotHeld;
  VirtAddr va(vpn << PAGE_SHIFT);
  if (const Region* r = find_locked(va); r && (r->m_flags & RegionFlag::Locked)) return UnmapOne::Kept;
  // Removed and its dirty bit read in one step: a store between a look and the removal would be lost.
  // (The flush is gathered: page-out frees no frame before the round's flush.)
  bool modified = m_pmap->remove_page(va);
  m_pmap->update_into(tlb);
  if (modified) return UnmapOne::Kept;  // written during its write-out: the mapping is gone, the page stays
  SwapArea& area = g_swap.area_of(entry);
  {
    SpinlockGuard guard(area.lock());
    // A write fault in another mapper may have taken the page's swap copy away since page-out chose it (the copy
    // was named by nobody else: swap_copy_release_for_write). Then the page stays, like one written to.
    if (!(f->page_flags & PageFlag::SwapCache) || f->swap != entry.raw()) return UnmapOne::Kept;
    area.ref_locked(entry.offset());
  }
  m_anon.resident_to_swapped(slot, entry);
  // The slot's reference to the frame goes (page-out holds one more, so the frame stays).
  u32 old = f->refcount.fetch_sub(1, MemoryOrder::AcqRel);
  ASSERT(old > 1);
  return UnmapOne::Converted;
}

bool AddressSpace::maps_locked_locked(u64 vpn, const Frame* f) const {
  ASSERT_LOCKED(m_lock);
  if (m_anon.at(vpn) != AnonSlot::resident(const_cast<Frame*>(f))) return false;
  const Region* r = find_locked(VirtAddr(vpn << PAGE_SHIFT));
  return r && (r->m_flags & RegionFlag::Locked);
}

bool rmap_is_locked(Frame* page) {
  bool locked = false;
  for_each_mapper(page, false, [&](AddressSpace& space) { locked |= space.maps_locked_locked(page_vpn(page), page); });
  return locked;
}

bool rmap_test_and_clear_referenced(Frame* page) {
  bool referenced = false;
  bool all = for_each_mapper(page, true, [&](AddressSpace& space) {
    referenced |= space.clear_referenced_of_locked(page_vpn(page), page);
  });
  return referenced || !all;
}

bool rmap_test_and_clear_modified(Frame* page, Pmap::FlushBatch& tlb) {
  bool modified = false;
  for_each_mapper(page, false, [&](AddressSpace& space) {
    modified |= space.clear_modified_of_locked(page_vpn(page), page, tlb);
  });
  return modified;
}

RmapUnmapResult rmap_unmap_to_swap(Frame* page, SwapEntry entry, Pmap::FlushBatch& tlb) {
  RmapUnmapResult result;
  for_each_mapper(page, false, [&](AddressSpace& space) {
    switch (space.unmap_to_swap_locked(page_vpn(page), page, entry, tlb)) {
      case AddressSpace::UnmapOne::NotHeld: break;
      case AddressSpace::UnmapOne::Converted: result.converted++; break;
      case AddressSpace::UnmapOne::Kept: result.kept = true; break;
    }
  });
  return result;
}
