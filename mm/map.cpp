// Mapping, unmapping and re-protecting ranges of an address space (mmap, munmap, mprotect), with Linux's
// rules: ranges are page-granular; munmap and mprotect split regions at the range ends; mprotect fails with
// ENOMEM if the range has a hole; adjacent regions that have become alike merge again.
#include "mm/address_space.h"
#include "mm/swap.h"
#include "mm/vm_stats.h"

namespace {

bool mergeable(const Region& a, const Region& b) {
  if (a.m_end != b.m_start || a.m_prot != b.m_prot || a.m_max_prot != b.m_max_prot || a.m_flags != b.m_flags)
    return false;
  if (a.m_flags & (RegionFlag::Stack | RegionFlag::Heap)) return false;
  if (a.m_object.get() != b.m_object.get()) return false;
  return !a.m_object || a.m_object_page + a.pages() == b.m_object_page;
}

}  // namespace

Region* AddressSpace::find_locked(VirtAddr va) const {
  ASSERT_LOCKED(m_lock);
  Region* r = m_regions.find_last_le(va.get());
  return r && r->contains(va) ? r : nullptr;
}

const Region* AddressSpace::find_region_locked(VirtAddr va) const { return find_locked(va); }

// The tree takes the region over (erase_locked deletes it). With CountCheck::Split, NOMEM when the address space
// has its limit of regions already (vm.max_map_count); a new mapping's caller checked
// too_many_regions_for_mapping_locked before it changed anything. The region must not overlap another.
Result<Region*> AddressSpace::insert_locked(OwnPtr<Region> region, CountCheck check) {
  ASSERT_LOCKED(m_lock);
  if (check == CountCheck::Split && m_regions.size() >= user_layout::MAX_MAP_COUNT) return Error::NOMEM;
  Region* r = region.leak();
  r->m_space = this;
  m_regions.insert(*r);
  if (r->m_object) r->m_object->link_region(*r);
  return r;
}

void AddressSpace::erase_locked(Region* r) {
  ASSERT_LOCKED(m_lock);
  if (m_last_region == r) m_last_region = nullptr;
  m_regions.remove(*r);
  if (r->m_object) r->m_object->unlink_region(*r);
  delete r;
}

// A shared mapping of [start, end) is about to go while its data stays (in the object): the stores made through
// it, in the pmap's modified bits, are handed to the object first (munmap, MADV_DONTNEED, mmap over it).
void AddressSpace::keep_shared_stores_locked(VirtAddr start, VirtAddr end) {
  ASSERT_LOCKED(m_lock);
  Region* r = find_locked(start);
  for (r = r ? r : m_regions.find_first_gt(start.get()); r && r->m_start < end; r = RegionTree::next(*r))
    if (r->m_object && r->is_shared())
      r->m_object->discard_mappings(*r, r->m_start > start ? r->m_start : start, r->m_end < end ? r->m_end : end);
}

void AddressSpace::drop_private_copies_locked(VirtAddr start, VirtAddr end) {
  ASSERT_LOCKED(m_lock);
  m_pmap->remove(start, end);
  m_pmap->update();  // no hart may reach a copy through its TLB once it is freed
  m_anon.release_range(start.page_number(), end.page_number());
}

// Linux's do_mmap and do_brk_flags: no new mapping once the space has more than MAX_MAP_COUNT regions.
bool AddressSpace::too_many_regions_for_mapping_locked() const {
  ASSERT_LOCKED(m_lock);
  return m_regions.size() > user_layout::MAX_MAP_COUNT;
}

Result<Region*> AddressSpace::split_locked(Region& r, VirtAddr at, CountCheck check) {
  ASSERT_LOCKED(m_lock);
  ASSERT(at > r.m_start && at < r.m_end && at.is_page_aligned());
  Region* upper = TRY(insert_locked(TRY(r.clone_range(at, r.m_end)), check));
  r.m_end = at;
  return upper;
}

void AddressSpace::try_merge_locked(Region* r) {
  ASSERT_LOCKED(m_lock);
  if (Region* prev = RegionTree::prev(*r); prev && mergeable(*prev, *r)) {
    prev->m_end = r->m_end;
    erase_locked(r);
    r = prev;
  }
  if (Region* next = RegionTree::next(*r); next && mergeable(*r, *next)) {
    r->m_end = next->m_end;
    erase_locked(next);
  }
}

bool AddressSpace::range_is_free_locked(VirtAddr start, VirtAddr end) const {
  ASSERT_LOCKED(m_lock);
  Region* r = m_regions.find_last_le(start.get());
  if (r && r->m_end > start) return false;
  Region* next = m_regions.find_first_gt(start.get());
  return !next || next->m_start >= end;
}

// Top-down search for a free range of `length` bytes: below the mmap base first (like Linux), then anywhere,
// top-down from the end of the user half (above the mmap base first, then gaps that straddle it). In the legacy
// layout (set_mmap_layout: RLIMIT_STACK unlimited), bottom-up from the base.
Result<VirtAddr> AddressSpace::find_free_range_locked(u64 length, VirtAddr hint) const {
  ASSERT_LOCKED(m_lock);
  using namespace user_layout;
  if (hint.get() >= MMAP_MIN && hint.get() <= USER_END - length && hint.is_page_aligned() &&
      range_is_free_locked(hint, hint + length)) {
    // Like the search, a hint keeps out of the guard gap below a stack (Linux: vm_start_gap).
    Region* above = m_regions.find_first_gt(hint.get());
    if (!above || !(above->m_flags & RegionFlag::Stack) || above->m_start.get() - (hint + length).get() >= STACK_GUARD_GAP)
      return hint;
  }
  auto search = [&](u64 low, u64 high) -> u64 {
    // Gaps between regions, walking down from `high`.
    u64 top = high;
    Region* r = m_regions.find_last_le(high - 1);
    for (;;) {
      u64 bottom = r ? r->m_end.get() : low;
      if (bottom < low) bottom = low;
      u64 limit = top;
      if (limit > bottom && limit - bottom >= length) return limit - length;
      if (!r || r->m_start.get() <= low) return 0;
      top = r->m_start.get();
      // Keep the stack's guard gap free of mappings.
      if (r->m_flags & RegionFlag::Stack) top = top > STACK_GUARD_GAP ? top - STACK_GUARD_GAP : 0;
      r = RegionTree::prev(*r);
    }
  };
  if (length > USER_END - MMAP_MIN) return Error::NOMEM;
  if (m_mmap_bottom_up) {
    // Linux's legacy layout (arch_get_unmapped_area): the lowest gap from the base up, nothing below it.
    u64 bottom = m_mmap_base;
    if (Region* r = m_regions.find_last_le(bottom); r && r->m_end.get() > bottom) bottom = r->m_end.get();
    for (Region* r = m_regions.find_first_gt(m_mmap_base);; r = RegionTree::next(*r)) {
      u64 top = r ? r->m_start.get() : USER_END;
      if (r && (r->m_flags & RegionFlag::Stack)) top = top > STACK_GUARD_GAP ? top - STACK_GUARD_GAP : 0;
      if (top > bottom && top - bottom >= length) return VirtAddr(bottom);
      if (!r) return Error::NOMEM;
      if (r->m_end.get() > bottom) bottom = r->m_end.get();
    }
  }
  if (u64 a = search(MMAP_MIN, m_mmap_base)) return VirtAddr(a);
  if (u64 a = search(MMAP_MIN, USER_END)) return VirtAddr(a);
  return Error::NOMEM;
}

void AddressSpace::set_mmap_layout(u64 stack_limit) {
  using namespace user_layout;
  SpinlockGuard guard(m_lock);
  m_mmap_bottom_up = stack_limit == SpaceLimits::NONE;
  if (m_mmap_bottom_up) {
    m_mmap_base = MMAP_LEGACY_BASE;
    return;
  }
  // Linux's mmap_base(): the stack's limit and its guard gap (values near infinity would overflow: not added).
  u64 gap = stack_limit;
  if (gap + STACK_GUARD_GAP > gap) gap += STACK_GUARD_GAP;
  if (gap < MMAP_MIN_GAP) gap = MMAP_MIN_GAP;
  if (gap > MMAP_MAX_GAP) gap = MMAP_MAX_GAP;
  m_mmap_base = align_up(STACK_TOP - gap, PAGE_SIZE);
}

Result<VirtAddr> AddressSpace::find_free_range(u64 length) const {
  SpinlockGuard guard(m_lock);
  return find_free_range_locked(align_up(length, PAGE_SIZE), VirtAddr(0));
}

Result<VirtAddr> AddressSpace::map(const MapRequest& req) {
  u64 length = align_up(req.length, PAGE_SIZE);
  if (length == 0 || length < req.length) return Error::INVAL;
  if (length > user_layout::USER_END) return Error::NOMEM;
  u32 flags = ((req.flags & MapFlag::Shared) ? RegionFlag::Shared : 0) |
              ((req.flags & MapFlag::Stack) ? RegionFlag::Stack : 0) | ((req.flags & MapFlag::Heap) ? RegionFlag::Heap : 0);
  SpaceLimits limits = mm_space_limits();
  SpinlockGuard guard(m_lock);
  if (too_many_regions_for_mapping_locked()) return Error::NOMEM;
  VirtAddr start;
  bool replaces = false;
  if (req.flags & (MapFlag::Fixed | MapFlag::FixedNoReplace)) {
    start = req.address;
    if (!start.is_page_aligned()) return Error::INVAL;
    if (start.get() >= user_layout::USER_END || length > user_layout::USER_END - start.get()) return Error::NOMEM;
    if (req.flags & MapFlag::FixedNoReplace) {
      if (!range_is_free_locked(start, start + length)) return Error::EXIST;
    } else {
      replaces = true;
    }
  } else {
    start = TRY(find_free_range_locked(length, req.address.page_base()));
  }
  // RLIMIT_AS and RLIMIT_DATA, before anything changes (Linux's mmap_region): MAP_FIXED counts only the pages it
  // adds to what is mapped.
  bool is_data = is_data_mapping(req.prot, flags);
  if (!may_expand_locked(limits, length / PAGE_SIZE, is_data) &&
      !may_expand_locked(limits, length / PAGE_SIZE - (replaces ? mapped_pages_in_locked(start, start + length) : 0),
                         is_data))
    return Error::NOMEM;
  if (replaces) TRY(unmap_locked(start, start + length, true));
  // MAP_LOCKED, and every mapping after mlockall(MCL_FUTURE): locked, and brought in unless MCL_ONFAULT.
  u32 populate = req.flags & MapFlag::Populate;
  if ((req.flags & MapFlag::Locked) || m_future_lock != LockMode::Unlock) {
    flags |= RegionFlag::Locked;
    if (m_future_lock != LockMode::LockOnFault) populate = MapFlag::Populate;
  }
  Region* r = TRY(insert_locked(TRY(Region::create({.start = start,
                                                    .end = start + length,
                                                    .prot = req.prot,
                                                    .max_prot = req.max_prot,
                                                    .flags = flags,
                                                    .object = req.object.get(),
                                                    .object_page = req.object_page})),
                                CountCheck::Unchecked));
  // LAB lazy: BEGIN SOLUTION
  // LAB lazy: STUDENT
  // // Eager: private anonymous memory (but the stack, which grows) is allocated at once; ENOMEM when it cannot be.
  // // TODO(lab lazy, exercise 2): record the region only (MAP_POPULATE below is the one eager case).
  // if (!req.object && !(req.flags & (MapFlag::Shared | MapFlag::Stack)) && req.prot != Prot::None &&
  //     populate_locked(start, start + length, Access::Write).is_error()) {
  //   (void)unmap_locked(start, start + length);
  //   m_pmap->update();
  //   return Error::NOMEM;
  // }
  // LAB lazy: END
  try_merge_locked(r);
  m_pmap->update();
  if (populate && req.prot != Prot::None) {
    // As Linux's mm_populate, once the lock is released: page by page as mlock does (bring_in: faults that may
    // wait for memory, a preemption point each, a write fault where the mapping is private and writable), so
    // that a huge range neither holds the hart nor outlives SIGKILL. Best effort: a page that cannot come in now
    // faults later. PROT_NONE memory has nothing to populate.
    guard.unlock();
    (void)bring_in(start, start + length);
  }
  return start;
}

// Every page of [start, end) is mapped (ENOMEM otherwise, as Linux's mprotect and madvise say), and every region
// there allows `prot` (EACCES otherwise), checked region by region in address order, from `first`, the region
// that holds start (or nullptr).
__attribute__((always_inline)) inline Result<void> AddressSpace::check_mapped_locked(Region* first, VirtAddr start,
                                                                                     VirtAddr end, Prot prot) const {
  ASSERT_LOCKED(m_lock);
  VirtAddr cursor = start;
  for (Region* r = first; cursor < end; r = RegionTree::next(*r)) {
    if (!r || r->m_start > cursor) return Error::NOMEM;
    if (!is_subset(prot, r->m_max_prot)) return Error::ACCESS;
    cursor = r->m_end;
  }
  return {};
}

Result<void> AddressSpace::unmap_locked(VirtAddr start, VirtAddr end, bool keep_tables) {
  ASSERT_LOCKED(m_lock);
  // Split the regions that straddle either end, so that every region left in [start, end) lies inside it (one
  // tree lookup more only when the range is not inside one region).
  // Only a hole inside one region adds one; that is refused at the limit (Linux's do_mas_align_munmap).
  Region* first = find_locked(start);
  // A region that starts below the range and ends inside it is cut short afterwards, not split: no allocation
  // (each step of a long munmap ends inside its lowest region).
  Region* shortened = nullptr;
  if (first && first->m_start < start) {
    if (first->m_end > end) {
      if (m_regions.size() >= user_layout::MAX_MAP_COUNT) return Error::NOMEM;
      first = TRY(split_locked(*first, start, CountCheck::Unchecked));
    } else {
      shortened = first;
      first = nullptr;
    }
  }
  Region* last = first && first->m_end >= end ? first : find_locked(end - 1);
  if (last && last->m_end > end) TRY(split_locked(*last, end, CountCheck::Unchecked));
  // The mappings go first, with their TLB entries on every hart: another thread of this process may be using
  // the pages on another hart right now, and no hart may reach a page through its TLB once it is freed
  // (dropping a region may drop the last reference to its object's pages).
  keep_shared_stores_locked(start, end);
  m_pmap->remove(start, end);
  m_pmap->update();
  for (Region* r = first ? first : m_regions.find_first_gt(start.get()); r && r->m_start < end;) {
    Region* next = RegionTree::next(*r);
    erase_locked(r);
    r = next;
  }
  if (shortened) shortened->m_end = start;
  m_anon.release_range(start.page_number(), end.page_number());
  if (keep_tables) return {};
  // The page-table pages and anon-table nodes that served only the hole now around [start, end) go too
  // (Linux's free_pgtables): a program that maps and unmaps all over its address space does not keep a table
  // for every place it went.
  Region* next = m_regions.find_first_gt(start.get());
  Region* prev = next ? RegionTree::prev(*next) : m_regions.last();
  VirtAddr floor = prev ? prev->m_end : VirtAddr(0);
  VirtAddr ceiling = next ? next->m_start : VirtAddr(user_layout::USER_END);
  m_pmap->free_tables(start, end, floor, ceiling);
  m_anon.release_nodes(start.page_number(), end.page_number(), floor.page_number(), ceiling.page_number());
  return {};
}

Result<void> AddressSpace::unmap(VirtAddr start, u64 length) {
  // A length that rounds up past 2^64 wraps to 0 (Linux: EINVAL, as for 0 itself).
  if (!start.is_page_aligned() || align_up(length, PAGE_SIZE) == 0) return Error::INVAL;
  length = align_up(length, PAGE_SIZE);
  if (start.get() >= user_layout::USER_END || length > user_layout::USER_END - start.get()) return Error::INVAL;
  VirtAddr end = start + length;
  SpinlockGuard guard(m_lock);
  if (length <= UNMAP_STEP) {
    TRY(unmap_locked(start, end));
    m_pmap->update();
    return {};
  }
  // A hole inside one region adds one: refused at the limit, before anything changes.
  Region* first = find_locked(start);
  if (first && first->m_start < start && first->m_end > end && m_regions.size() >= user_layout::MAX_MAP_COUNT)
    return Error::NOMEM;
  guard.unlock();
  return unmap_in_steps(start, end, true);
}

// [start, end) unmapped in steps of at most UNMAP_STEP, from the top down, each under the lock with its TLB
// fence, and a preemption point between them: a long range neither holds the hart (a 192 MiB range of written
// pages took ~11 ms in one piece) nor outlives SIGKILL (stop_when_killed; Linux's zap_pmd_range has
// cond_resched only, but a killed process's memory goes at its exit anyway). Holes are skipped: a step starts at
// the end of the highest region below the last. Each step ends inside its lowest region, which is cut short
// (unmap_locked): no step allocates, so only the first (a split at end) can fail. As Linux's munmap, the pages
// go after the range has left the tree (step by step here); a step is what a munmap of that piece would do, so
// another thread sees the range go from the top down, and a mapping it makes meanwhile below the steps goes
// with them (a program that maps over memory another thread is unmapping: Linux orders the two).
Result<void> AddressSpace::unmap_in_steps(VirtAddr start, VirtAddr end, bool stop_when_killed) {
  VirtAddr top = end;
  for (;;) {
    {
      SpinlockGuard guard(m_lock);
      Region* r = m_regions.find_last_le(top.get() - 1);
      if (!r || r->m_end <= start) return {};
      if (r->m_end < top) top = r->m_end;
      VirtAddr bottom = top.get() - start.get() > UNMAP_STEP ? VirtAddr(top.get() - UNMAP_STEP) : start;
      TRY(unmap_locked(bottom, top));
      m_pmap->update();
      if (bottom == start) return {};
      top = bottom;
    }
    if (mm_preemption_point() && stop_when_killed) return Error::INTR;
  }
}

void AddressSpace::release_in_steps() {
  // Small: the destructor's one pass is faster, and short enough.
  if (m_anon.resident_pages() + m_anon.swapped_pages() + page_table_pages() + m_regions.size() <
      UNMAP_STEP / PAGE_SIZE)
    return;
  (void)unmap_in_steps(VirtAddr(0), VirtAddr(user_layout::USER_END), false);
}

// The regions from `first` (and the one before it) up to `end` merge with their neighbours where they can
// (after a change of their protection or flags).
void AddressSpace::merge_around_locked(Region& first, VirtAddr end) {
  Region* r = &first;
  if (Region* prev = RegionTree::prev(*r)) r = prev;
  while (r && r->m_start < end) {
    Region* next = RegionTree::next(*r);
    if (next && mergeable(*r, *next)) {
      r->m_end = next->m_end;
      erase_locked(next);
      continue;
    }
    r = next;
  }
}

Result<void> AddressSpace::protect(VirtAddr start, u64 length, Prot prot) {
  if (!start.is_page_aligned()) return Error::INVAL;
  if (length == 0) return {};
  length = align_up(length, PAGE_SIZE);
  if (length == 0) return Error::NOMEM;  // rounded up past 2^64 (Linux: the end wraps below the start)
  if (start.get() >= user_layout::USER_END || length > user_layout::USER_END - start.get()) return Error::NOMEM;
  VirtAddr end = start + length;
  SpinlockGuard guard(m_lock);
  // Checked before anything changes.
  Region* first = find_locked(start);
  TRY(check_mapped_locked(first, start, end, prot));
  TRY(protect_within_limits_locked(first, start, end, prot));  // RLIMIT_DATA
  // Cut the range out of the regions at its ends (one tree lookup more only when it spans several regions).
  if (first->m_start < start) first = TRY(split_locked(*first, start));
  Region* last = first->m_end >= end ? first : find_locked(end - 1);
  if (last->m_end > end) TRY(split_locked(*last, end));
  for (Region* r = first; r && r->m_start < end; r = RegionTree::next(*r)) r->m_prot = prot;
  // Lower the permissions of existing mappings; raised permissions take effect through faults, which
  // re-check copy-on-write sharing.
  m_pmap->protect(start, end, effective_prot(prot));
  // Merge the changed regions with each other and their neighbours.
  merge_around_locked(*first, end);
  m_pmap->update();
  return {};
}

Result<void> AddressSpace::check_mapped(VirtAddr start, u64 length) const {
  SpinlockGuard guard(m_lock);
  Region* first = find_locked(start);
  if (!first) first = m_regions.find_first_gt(start.get());
  return check_mapped_locked(first, start, start + align_up(length, PAGE_SIZE), Prot::None);
}

Result<void> AddressSpace::residency(VirtAddr start, u64 pages, u8* out) const {
  VirtAddr end = start + pages * PAGE_SIZE;
  SpinlockGuard guard(m_lock);
  Region* first = find_locked(start);
  if (!first) first = m_regions.find_first_gt(start.get());
  TRY(check_mapped_locked(first, start, end, Prot::None));
  u64 i = 0;
  for (VirtAddr page = start; page < end; page += PAGE_SIZE, i++) {
    const Region* r = find_locked(page);
    AnonSlot held = m_anon.at(page.page_number());
    // A page on swap counts as in memory while the swap cache still holds it (as Linux's mincore).
    bool in_memory = held.is_resident() || (held.is_swapped() && swap_cache_holds(held.swap_entry())) ||
                     !m_pmap->extract(page).is_error() ||
                     (held.is_empty() && r->m_object && r->m_object->peek_page(r->object_page_of(page)) != nullptr);
    out[i] = in_memory ? 1 : 0;
  }
  return {};
}

// The regions from first up to end get `lock` (RegionFlag::Locked or 0) and merge with their neighbours
// where they can (the caller split the regions at the ends of its range).
void AddressSpace::set_region_lock_locked(Region* first, VirtAddr end, u32 lock) {
  ASSERT_LOCKED(m_lock);
  for (Region* r = first; r && r->m_start < end; r = RegionTree::next(*r))
    r->m_flags = (r->m_flags & ~RegionFlag::Locked) | lock;
  merge_around_locked(*first, end);
}

// mlock's population: every page of [start, end) that the process may read, faulted in as a write where the
// region is private and writable (Linux's populate_vma_page_range), with no lock held (faults may sleep).
// Best effort: a page that cannot come in faults later.
Result<void> AddressSpace::bring_in(VirtAddr start, VirtAddr end) {
  for (VirtAddr page = start; page < end; page += PAGE_SIZE) {
    if (mm_preemption_point()) return Error::INTR;  // a long range neither holds the hart nor outlives SIGKILL
    Access access;
    {
      SpinlockGuard guard(m_lock);
      const Region* r = find_locked(page);
      if (!r) return Error::NOMEM;  // unmapped meanwhile (another thread)
      if (!has(effective_prot(r->m_prot), Prot::Read)) {
        page = r->m_end - PAGE_SIZE;
        continue;
      }
      access = has(r->m_prot, Prot::Write) && r->is_private() ? Access::Write : Access::Read;
    }
    FaultResult result = handle_fault(page, access);
    if (result == FaultResult::Interrupted) return Error::INTR;
    if (result == FaultResult::OutOfMemory) return Error::NOMEM;
  }
  return {};
}

Result<void> AddressSpace::set_locked(VirtAddr start, u64 length, LockMode mode) {
  VirtAddr end = start + align_up(length, PAGE_SIZE);
  if (end == start) return {};
  {
    SpinlockGuard guard(m_lock);
    Region* first = find_locked(start);
    TRY(check_mapped_locked(first, start, end, Prot::None));
    if (first->m_start < start) first = TRY(split_locked(*first, start));
    Region* last = first->m_end >= end ? first : find_locked(end - 1);
    if (last->m_end > end) TRY(split_locked(*last, end));
    set_region_lock_locked(first, end, mode == LockMode::Unlock ? 0 : RegionFlag::Locked);
  }
  if (mode != LockMode::Lock) return {};
  return bring_in(start, end);
}

Result<void> AddressSpace::set_all_locked(bool current, bool future, LockMode mode) {
  u32 lock = mode == LockMode::Unlock ? 0 : RegionFlag::Locked;
  {
    SpinlockGuard guard(m_lock);
    // As Linux's apply_mlockall_flags: MCL_CURRENT alone also ends an earlier MCL_FUTURE.
    m_future_lock = future ? mode : LockMode::Unlock;
    if (!current && mode != LockMode::Unlock) return {};
    if (Region* first = m_regions.first()) set_region_lock_locked(first, VirtAddr(user_layout::USER_END), lock);
  }
  if (mode != LockMode::Lock || !current) return {};
  // Region by region (the tree may change while faults sleep): each from the first region at or after `cursor`.
  VirtAddr cursor(0);
  for (;;) {
    VirtAddr from, to;
    {
      SpinlockGuard guard(m_lock);
      Region* r = find_locked(cursor);
      if (!r) r = m_regions.find_first_gt(cursor.get());
      if (!r) return {};
      from = r->m_start > cursor ? r->m_start : cursor;
      to = r->m_end;
    }
    TRY(bring_in(from, to));
    cursor = to;
  }
}

// Every page of [start, end) now, under the lock, never waiting (the lazy lab's eager starting code allocates
// with it; MAP_POPULATE uses bring_in, which lets go of the lock and the hart).
Result<void> AddressSpace::populate_locked(VirtAddr start, VirtAddr end, Access access) {
  ASSERT_LOCKED(m_lock);
  for (VirtAddr page = start; page < end; page += PAGE_SIZE) {
    Region* r = find_locked(page);
    if (!r) return Error::NOMEM;
    // Best effort: a page that would need a wait (memory, a read from swap) is left to fault later.
    FaultRetry retry;
    FaultResult res =
        r->is_private() ? fault_private_locked(*r, page, access, retry) : fault_shared_locked(*r, page, access, retry);
    if (retry.page) anon_frame_release(retry.page);
    if (res != FaultResult::Resolved) return Error::NOMEM;
  }
  return {};
}
