// Looking at pages without touching them: AddressSpace::page_state_locked, for /proc/PID/smaps and pagemap.
//
// A page of a region is, in the order the fault handler looks (mm/fault.cpp): the process's own private page in
// the anon layer (resident or swapped), else a page of the region's object, else nothing yet. Whether it is
// mapped is the pmap's business: a resident page may be absent from the page tables (a cache the next fault
// rebuilds), and the shared zero page may be mapped where nothing is resident.
// Lock: the address space's (held by the caller); the object's, to count the regions sharing its page.
#include "mm/address_space.h"

namespace {

// How many regions map page `index` of `object`: a snapshot (the other regions' bounds are read without their
// address spaces' locks, which cannot be taken here; a region moving meanwhile makes the count off by one).
u32 object_page_mappers(VmObject& object, u64 index) {
  u32 count = 0;
  object.for_each_region([&](const Region& other) {
    if (index >= other.m_object_page && index < other.m_object_page + other.pages()) count++;
  });
  return count;
}

}  // namespace

PageState AddressSpace::page_state_locked(const Region& r, VirtAddr va) const {
  ASSERT(m_lock.is_held() && r.contains(va));
  PageState state;
  VirtAddr page = va.page_base();
  auto mapped = m_pmap->extract(page);
  if (!mapped.is_error()) {
    state.is_present = true;
    state.address = mapped.value();
    state.is_referenced = m_pmap->is_referenced(page);
    state.is_dirty = m_pmap->is_modified(page);
  }
  AnonSlot slot = r.is_private() ? m_anon.at(page.get() >> PAGE_SHIFT) : AnonSlot();
  if (slot.is_swapped()) {
    state.is_anonymous = state.is_swapped = true;
    state.swap_type = slot.swap_entry().area();
    state.swap_slot = slot.swap_entry().offset();
    state.sharers = 1;
    return state;
  }
  if (slot.is_resident()) {
    state.is_anonymous = true;
    state.sharers = slot.frame()->refcount.load(MemoryOrder::Relaxed);
    return state;
  }
  if (!state.is_present) return state;
  Frame* frame = g_phys.is_managed(state.address) ? g_phys.frame_of(state.address) : nullptr;
  if (frame && frame->use == FrameUse::Zero) {
    state.is_zero_page = true;
  } else if (r.m_object) {
    state.sharers = object_page_mappers(*r.m_object, r.object_page_of(page));
  }
  return state;
}
