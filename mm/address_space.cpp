// AddressSpace life cycle: creation, fork, destruction, brk, and kernel writes into a new image.
// Mapping operations are in mm/map.cpp, the fault handler in mm/fault.cpp.
#include "mm/address_space.h"

#include <cstring>

#include "mm/pageout.h"
#include "mm/vm_stats.h"

const char* fault_result_name(FaultResult r) {
  switch (r) {
    case FaultResult::Resolved: return "resolved";
    case FaultResult::NoRegion: return "no region";
    case FaultResult::AccessError: return "access not permitted";
    case FaultResult::OutOfMemory: return "out of memory";
    case FaultResult::BusError: return "past the end of the object, or a page swap could not read";
    case FaultResult::Interrupted: return "interrupted: the process is being killed";
    case FaultResult::Retry: return "retry";
  }
  return "?";
}

Result<OwnPtr<AddressSpace>> AddressSpace::create() { return create_from(nullptr); }

Result<OwnPtr<AddressSpace>> AddressSpace::create_from(const AddressSpace* parent) {
  OwnPtr<AddressSpace> space(new AddressSpace());
  if (!space) return Error::NOMEM;
  space->m_pmap.reset(Pmap::create());
  if (!space->m_pmap) return Error::NOMEM;
  if (parent) {
    // (The parent's memberships do not change while it forks: only its destructor changes them.)
    for (FamilyMembership& m : parent->m_memberships) {
      m.family->ref();
      TRY(space->join(m.family));
    }
  }
  AnonFamily* own = AnonFamily::create();
  if (!own) return Error::NOMEM;
  TRY(space->join(own));
  space->m_own_family = own;
  return space;
}

// Becomes a member of `family`, taking over the caller's reference to it (dropped on failure).
Result<void> AddressSpace::join(AnonFamily* family) {
  auto* m = new FamilyMembership();
  if (!m) {
    family->unref();
    return Error::NOMEM;
  }
  m->space = this;
  m->family = family;
  m_memberships.push_back(*m);
  SpinlockGuard guard(family->lock);
  family->members.push_back(*m);
  return {};
}

AddressSpace::~AddressSpace() {
  // Leave the families first: from then on the reverse map (page-out) no longer visits this space, whose
  // tables and pmap are about to go.
  while (FamilyMembership* m = m_memberships.pop_front()) {
    {
      SpinlockGuard guard(m->family->lock);
      m->family->members.remove(*m);
    }
    m->family->unref();
    delete m;
  }
  {
    SpinlockGuard guard(m_lock);
    // Every region goes: take the tree apart in one pass instead of removing (and rebalancing) one at a time.
    m_last_region = nullptr;
    m_regions.drain([](Region& r) {
      if (r.m_object) r.m_object->unlink_region(r);
      delete &r;
    });
    m_anon.release_all();
  }
  // The pmap goes with m_pmap.
}

Result<OwnPtr<AddressSpace>> AddressSpace::fork() {
  // Each try starts over: a half-made child is freed whole when its try fails, which gives its memory back
  // before the reclaim.
  for (u32 attempt = 0;; attempt++) {
    Result<OwnPtr<AddressSpace>> child = fork_once();
    if (!child.is_error() || child.error() != Error::NOMEM || attempt == FORK_RECLAIM_TRIES) return child;
    if (mm_fatal_signal_pending() || reclaim_for_fault() == ReclaimOutcome::NoMemory) return child;
  }
}

Result<OwnPtr<AddressSpace>> AddressSpace::fork_once() {
  OwnPtr<AddressSpace> child = TRY(create_from(this));
  SpinlockGuard guard(m_lock);
  // Nobody else can see the child yet: its lock is taken for the *_locked functions that fill it in. (Lock
  // order: parent, then child.) If sharing fails, the half-made child goes when this returns, after the locks.
  SpinlockGuard child_guard(child->m_lock);
  Result<void> shared = share_regions_locked(*child);
  child->m_brk_start = m_brk_start;
  child->m_brk = m_brk;
  child->m_data_segment_bytes = m_data_segment_bytes;
  child->m_vdso_base = m_vdso_base;
  child->m_mmap_base = m_mmap_base;
  child->m_mmap_bottom_up = m_mmap_bottom_up;
  m_pmap->update();
  TRY(shared);
  return child;
}

// Fork's copy: each region again in the child, with its private pages shared copy-on-write — the child takes a
// reference to each, and the parent's writable mappings become read-only so that its next write faults and
// copies (or reuses).
Result<void> AddressSpace::share_regions_locked(AddressSpace& child) {
  ASSERT_LOCKED(m_lock);
  ASSERT_LOCKED(child.m_lock);
  // The child's region tree is made in the shape of this one: no comparisons, no rotations (and no more regions
  // than this space has, so vm.max_map_count holds).
  Result<void> result;
  bool any_dont_fork = false;
  child.m_regions.clone_from(m_regions, [&](Region& r) -> Region* {
    if (result.is_error()) return nullptr;
    auto made = r.clone_range(r.m_start, r.m_end);
    if (made.is_error()) {
      result = made.error();
      return nullptr;
    }
    Region* copy = made.value().leak();  // the child's tree owns it (erase_locked or the destructor deletes it)
    copy->m_space = &child;
    copy->m_flags &= ~RegionFlag::Locked;  // memory locks are not inherited (mlock(2))
    if (copy->m_object) copy->m_object->link_region(*copy);
    any_dont_fork |= (r.m_flags & RegionFlag::DontFork) != 0;
    // MADV_DONTFORK: the copy goes again below; MADV_WIPEONFORK: the child's copy starts empty (zero-fill).
    if (r.is_private() && !(r.m_flags & (RegionFlag::DontFork | RegionFlag::WipeOnFork))) {
      // LAB cow: BEGIN SOLUTION
      result = child.m_anon.share_range_from(m_anon, r.m_start.page_number(), r.m_end.page_number());
      if (has(r.m_prot, Prot::Write)) m_pmap->protect(r.m_start, r.m_end, effective_prot(r.m_prot) & ~Prot::Write);
      // LAB cow: STUDENT
      // // Eager: the child gets a copy of every page the parent has (as xv6's uvmcopy does).
      // // TODO(lab cow, exercise 1): copy no page: share them, and make the parent's writable mappings read-only.
      // for (u64 vpn = r.m_start.page_number(); vpn < r.m_end.page_number() && !result.is_error(); vpn++) {
      //   AnonSlot held = m_anon.at(vpn);
      //   if (held.is_empty()) continue;
      //   if (held.is_swapped()) {  // a page on swap: the child names the same swap slot (lab swap)
      //     result = child.m_anon.share_range_from(m_anon, vpn, vpn + 1);
      //     continue;
      //   }
      //   AnonSlot* slot = child.m_anon.slot_or_null(vpn);
      //   Frame* copy = slot ? child.new_anon_frame_locked(vpn) : nullptr;
      //   if (!copy) {
      //     result = Error::NOMEM;
      //     break;
      //   }
      //   copy_frame(copy, held.frame());
      //   child.m_anon.fill_empty(slot, copy);
      // }
      // LAB cow: END
    }
    return copy;
  });
  // The regions MADV_DONTFORK keeps out of the child (Linux's dup_mmap skips VM_DONTCOPY): made in the tree's
  // shape above, taken out now (they share nothing with the parent).
  for (Region* r = any_dont_fork ? child.m_regions.first() : nullptr; r && !result.is_error();) {
    Region* next = RegionTree::next(*r);
    if (r->m_flags & RegionFlag::DontFork) child.erase_locked(r);
    r = next;
  }
  return result;
}

void AddressSpace::set_brk_base(VirtAddr base, u64 data_segment_bytes) {
  SpinlockGuard guard(m_lock);
  m_brk_start = base.page_round_up();
  m_brk = m_brk_start;
  m_data_segment_bytes = data_segment_bytes;
}

VirtAddr AddressSpace::brk(VirtAddr requested) {
  SpaceLimits limits = mm_space_limits();
  SpinlockGuard guard(m_lock);
  if (requested < m_brk_start || requested.get() >= user_layout::USER_END) return m_brk;
  // RLIMIT_DATA, checked for a shrinking heap too (Linux's check_data_rlimit comes before "always allow
  // shrinking brk").
  if (!brk_within_data_limit_locked(limits, requested)) return m_brk;
  VirtAddr old_end = m_brk.page_round_up();
  VirtAddr new_end = requested.page_round_up();
  if (new_end > old_end) {
    if (!may_expand_locked(limits, (new_end - old_end) / PAGE_SIZE, true)) return m_brk;  // RLIMIT_AS, RLIMIT_DATA
    if (too_many_regions_for_mapping_locked()) return m_brk;  // vm.max_map_count, even to grow the heap
    // The heap may not run into the next mapping: keep one free page before it (a stack keeps its guard gap),
    // as Linux does. A mapping the program placed over the old break counts too.
    Region* next = find_locked(old_end);
    if (!next) next = m_regions.find_first_gt(old_end.get());
    if (next) {
      u64 gap = (next->m_flags & RegionFlag::Stack) ? user_layout::STACK_GUARD_GAP : PAGE_SIZE;
      if (next->m_start.get() < new_end.get() + gap) return m_brk;
    }
    Region* heap = old_end > m_brk_start ? find_locked(old_end - PAGE_SIZE) : nullptr;
    // After mlockall(MCL_FUTURE) the heap's new pages are locked too (its pages fault in as they are touched).
    u32 lock = m_future_lock != LockMode::Unlock ? RegionFlag::Locked : 0;
    if (heap && (heap->m_flags & RegionFlag::Heap) && heap->m_end == old_end) {
      heap->m_end = new_end;
      heap->m_flags |= lock;
    } else {
      auto made = Region::create({.start = old_end,
                                  .end = new_end,
                                  .prot = Prot::ReadWrite,
                                  .max_prot = Prot::All,
                                  .flags = RegionFlag::Heap | lock,
                                  .object = nullptr,
                                  .object_page = 0});
      if (made.is_error() || insert_locked(made.release_value(), CountCheck::Unchecked).is_error()) return m_brk;
    }
    // LAB lazy: BEGIN SOLUTION
    // LAB lazy: STUDENT
    // // Eager: allocate and map every new page now, and refuse the growth when memory runs out.
    // // TODO(lab lazy, exercise 1): allocate nothing here; the fault handler fills pages in when touched.
    // if (populate_locked(old_end, new_end, Access::Write).is_error()) {
    //   (void)unmap_locked(old_end, new_end);
    //   m_pmap->update();
    //   return m_brk;
    // }
    // LAB lazy: END
  } else if (new_end < old_end) {
    if (unmap_locked(new_end, old_end).is_error()) return m_brk;
    m_pmap->update();
  }
  m_brk = requested;
  return m_brk;
}

// Each page is resolved as a user write would be — waiting without the lock when the fault must (for memory,
// for a page on swap) — and then written under the lock.
Result<void> AddressSpace::write(VirtAddr va, const void* data, usize length) {
  const u8* src = static_cast<const u8*>(data);
  while (length > 0) {
    VirtAddr page = va.page_base();
    usize chunk = PAGE_SIZE - va.offset_in_page();
    if (chunk > length) chunk = length;
    for (;;) {
      SpinlockGuard guard(m_lock);
      Region* r = find_locked(va);
      if (!r || !r->is_private()) return Error::FAULT;
      FaultRetry retry;
      FaultResult result = fault_private_locked(*r, page, Access::Write, retry);
      m_pmap->update();
      if (result == FaultResult::Resolved) {
        u8* dst = g_phys.kernel_pointer(m_anon.at(page.page_number()).frame()) + va.offset_in_page();
        if (src)
          memcpy(dst, src, chunk);
        else
          memset(dst, 0, chunk);
        break;
      }
      if (result != FaultResult::Retry) return Error::NOMEM;
      guard.unlock();
      result = wait_before_retry(retry);
      if (result == FaultResult::Interrupted) return Error::INTR;
      if (result != FaultResult::Retry) return Error::NOMEM;
    }
    if (src) src += chunk;
    va += chunk;
    length -= chunk;
  }
  return {};
}

Result<void> AddressSpace::fill_zero(VirtAddr va, usize length) { return write(va, nullptr, length); }

u64 AddressSpace::mapped_pages() const {
  SpinlockGuard guard(m_lock);
  u64 pages = 0;
  for (Region* r = m_regions.first(); r; r = RegionTree::next(*r)) pages += r->pages();
  return pages;
}

Result<PageIdentity> AddressSpace::page_identity(VirtAddr va, Access access) const {
  SpinlockGuard guard(m_lock);
  const Region* r = find_locked(va);
  if (!r || !has(effective_prot(r->m_prot), Prot::Read)) return Error::FAULT;
  bool writable = has(r->m_prot, Prot::Write);
  if (access == Access::Write && !writable) return Error::FAULT;
  if (r->is_shared()) return PageIdentity{r->m_object, r->object_page_of(va)};
  if (writable) return PageIdentity{};
  if (!r->m_object || !m_anon.at(va.page_number()).is_empty()) return Error::FAULT;
  return PageIdentity{r->m_object, r->object_page_of(va)};
}
