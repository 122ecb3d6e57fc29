// The resource limits an address space enforces, as Linux 6.1 does (mm/mmap.c may_expand_vm, check_data_rlimit,
// acct_stack_growth; mm/mprotect.c mprotect_fixup; mm/mremap.c vma_to_resize):
//
//   RLIMIT_AS     every mapping: mmap, brk, stack growth and mremap growth fail past it (ENOMEM; SIGSEGV for
//                 the stack); MAP_FIXED over mappings counts only the pages it adds
//   RLIMIT_DATA   private writable mappings that are not stacks (data_vm): mmap, brk, mremap growth, and mprotect
//                 making such a range writable; brk also checks the heap plus the program's data segment
//   RLIMIT_STACK  how far the stack grows below its end
//
// The limits are the calling process's (mm_space_limits(), Linux's rlimit() of current): a vfork child that
// borrows its parent's memory maps under its own limits, as on Linux. Linux keeps total_vm and data_vm up to
// date on every change; here the regions are counted when a limit that applies is set, so an address space
// without limits (the usual case) pays nothing.
#include "mm/address_space.h"

VmTotals AddressSpace::vm_totals_locked() const {
  ASSERT_LOCKED(m_lock);
  VmTotals totals;
  for (Region* r = m_regions.first(); r; r = RegionTree::next(*r)) {
    totals.total += r->pages();
    if (is_data_mapping(r->m_prot, r->m_flags)) totals.data += r->pages();
  }
  return totals;
}

namespace {

bool within(const SpaceLimits& limits, const VmTotals& now, u64 pages, bool is_data) {
  if (now.total + pages > limits.address_space / PAGE_SIZE) return false;
  if (is_data && now.data + pages > limits.data / PAGE_SIZE) {
    // Linux's workaround for Valgrind, which sets a soft limit of 0: the hard limit holds then.
    return limits.data == 0 && now.data + pages <= limits.data_max / PAGE_SIZE;
  }
  return true;
}

bool applies(const SpaceLimits& limits, bool is_data) {
  return limits.address_space != SpaceLimits::NONE || (is_data && limits.data != SpaceLimits::NONE);
}

}  // namespace

bool AddressSpace::within_limits_locked(const SpaceLimits& limits, u64 pages, bool is_data) const {
  ASSERT_LOCKED(m_lock);
  return within(limits, vm_totals_locked(), pages, is_data);
}

u64 AddressSpace::mapped_pages_in_locked(VirtAddr start, VirtAddr end) const {
  ASSERT_LOCKED(m_lock);
  u64 pages = 0;
  Region* r = find_locked(start);
  for (r = r ? r : m_regions.find_first_gt(start.get()); r && r->m_start < end; r = RegionTree::next(*r)) {
    VirtAddr low = r->m_start > start ? r->m_start : start, high = r->m_end < end ? r->m_end : end;
    pages += (high - low) / PAGE_SIZE;
  }
  return pages;
}

// Region by region, as mprotect_fixup: a region that becomes writable fails when its pages as data would pass
// the limits and would not as what they were. (Linux has changed the regions before the failing one by then;
// here nothing changes: the caller checks before it splits.)
Result<void> AddressSpace::protect_within_limits_locked(Region* first, VirtAddr start, VirtAddr end, Prot prot) const {
  ASSERT_LOCKED(m_lock);
  if (!has(prot, Prot::Write)) return {};
  SpaceLimits limits = mm_space_limits();
  if (!applies(limits, true)) return {};
  VmTotals now = vm_totals_locked();
  for (Region* r = first; r && r->m_start < end; r = RegionTree::next(*r)) {
    VirtAddr low = r->m_start > start ? r->m_start : start, high = r->m_end < end ? r->m_end : end;
    u64 pages = (high - low) / PAGE_SIZE;
    bool was_data = is_data_mapping(r->m_prot, r->m_flags), becomes_data = is_data_mapping(prot, r->m_flags);
    if (!within(limits, now, pages, becomes_data) && within(limits, now, pages, was_data)) return Error::NOMEM;
    if (becomes_data && !was_data) now.data += pages;
  }
  return {};
}

bool AddressSpace::brk_within_data_limit_locked(const SpaceLimits& limits, VirtAddr requested) const {
  ASSERT_LOCKED(m_lock);
  if (limits.data == SpaceLimits::NONE) return true;
  return (requested - m_brk_start) + m_data_segment_bytes <= limits.data;
}

bool AddressSpace::stack_may_grow_locked(const Region& stack, VirtAddr new_start) const {
  ASSERT_LOCKED(m_lock);
  SpaceLimits limits = mm_space_limits();
  if (!may_expand_locked(limits, (stack.m_start - new_start) / PAGE_SIZE, false)) return false;
  return stack.m_end - new_start <= limits.stack;
}
