// madvise(2) advice that changes something, walked as Linux 6.1's madvise_walk_vmas does: region by region over
// [start, end); an error in a region stops the walk there (the regions before keep the advice); holes do not
// stop it, but make the result NOMEM once the mapped parts have taken the advice.
//
//   DontNeed        the private pages go (zero-fill memory reads as zeros again, a private file mapping shows the
//                   file again, a shared mapping keeps its data: it is in the object); EINVAL on mlocked memory
//                   (Linux's madvise_dontneed_free_valid_vma), which DontNeedLocked (MADV_DONTNEED_LOCKED) allows
//   Free            the same for private anonymous memory (Linux frees such "lazy-free" pages at reclaim unless
//                   written again; freeing them at once is one of the outcomes it allows); EINVAL elsewhere and on
//                   mlocked memory
//   WillNeed        the object's pages are read in (mincore then counts them), nothing is mapped
//   Cold            accepted: nothing is paged out yet (MADV_COLD, MADV_PAGEOUT)
//   Remove          EINVAL without an object, EACCES unless shared and writable, else EOPNOTSUPP (no object can
//                   punch holes yet)
//   DontFork...     DontFork/DoFork and WipeOnFork/KeepOnFork set or clear a region flag that fork obeys
//                   (mm/address_space.cpp), splitting the regions at the ends of the range and merging them
//                   again after, as Linux's madvise_update_vma; WipeOnFork is EINVAL but on private anonymous
//                   memory
//   Hint            nothing (holes are still NOMEM)
//   Populate*       every page faulted in as a read or a write would; EINVAL if the region does not allow that
//                   access, EFAULT past the end of the object (SIGBUS), NOMEM without memory, EINTR if the
//                   process is being killed
//
// Lock: the address-space lock, for the whole walk; except Populate*, which checks each region under it and
// faults its pages in without it (a fault may sleep: a read from swap, a wait for memory).
#include "mm/address_space.h"

Result<void> AddressSpace::advise(VirtAddr start, u64 length, Advice advice) {
  if (!start.is_page_aligned()) return Error::INVAL;
  u64 rounded = align_up(length, PAGE_SIZE);
  if (length && !rounded) return Error::INVAL;
  VirtAddr end = start + rounded;
  if (end < start) return Error::INVAL;
  if (end == start) return {};
  if (advice == Advice::PopulateRead) return populate_advice(start, end, Access::Read);
  if (advice == Advice::PopulateWrite) return populate_advice(start, end, Access::Write);
  if (advice != Advice::DontNeed && advice != Advice::DontNeedLocked && advice != Advice::Free)
    return advise_walk(start, end, advice);
  // Dropping pages: a long range goes in steps of UNMAP_STEP, as munmap's, each walked under the lock, with a
  // preemption point between (Linux's zap_pmd_range has cond_resched): 192 MiB of written pages held the hart
  // for ~11 ms in one walk. A step's hole is NOMEM for the whole call, after the rest took the advice.
  Result<void> result;
  for (VirtAddr at = start; at < end;) {
    VirtAddr to = end - at > UNMAP_STEP ? at + UNMAP_STEP : end;
    Result<void> done = advise_walk(at, to, advice);
    if (done.is_error()) {
      if (done.error() != Error::NOMEM) return done;
      result = done;
    }
    at = to;
    if (at < end && mm_preemption_point()) return Error::INTR;
  }
  return result;
}

Result<void> AddressSpace::advise_walk(VirtAddr start, VirtAddr end, Advice advice) {
  SpinlockGuard guard(m_lock);
  Region* r = find_locked(start);
  if (!r) r = m_regions.find_first_gt(start.get());
  Result<void> result;
  for (VirtAddr at = start; at < end;) {
    if (!r || r->m_start >= end) return Error::NOMEM;
    if (at < r->m_start) {
      result = Error::NOMEM;
      at = r->m_start;
    }
    VirtAddr to = r->m_end < end ? r->m_end : end;
    Region* next = RegionTree::next(*r);
    Result<void> done = advise_region_locked(*r, at, to, advice);
    if (done.is_error()) {
      result = done;
      break;
    }
    at = to;
    r = next;
  }
  if (advice == Advice::DontFork || advice == Advice::DoFork || advice == Advice::WipeOnFork ||
      advice == Advice::KeepOnFork) {
    // The flagged parts join their neighbours again where the flags now agree.
    Region* first = find_locked(start);
    if (!first) first = m_regions.find_first_gt(start.get());
    if (first) merge_around_locked(*first, end);
  }
  return result;
}

// One region's part [start, end) of the range.
Result<void> AddressSpace::advise_region_locked(Region& r, VirtAddr start, VirtAddr end, Advice advice) {
  ASSERT_LOCKED(m_lock);
  switch (advice) {
    case Advice::Free:
      if (r.m_object) return Error::INVAL;  // anonymous memory only
      [[fallthrough]];
    case Advice::DontNeed:
      if (r.m_flags & RegionFlag::Locked) return Error::INVAL;  // mlocked: only MADV_DONTNEED_LOCKED drops it
      [[fallthrough]];
    case Advice::DontNeedLocked:
      keep_shared_stores_locked(start, end);  // the object's write-back learns of stores from the bits removed
      m_pmap->remove(start, end);
      // No hart may still reach the pages through its TLB when they are freed: another thread of this process
      // may be using them on another hart right now.
      m_pmap->update();
      m_anon.release_range(start.page_number(), end.page_number());
      return {};
    case Advice::WillNeed:
      if (r.m_object) {
        u64 last = r.object_page_of(end - PAGE_SIZE);
        u64 size = r.m_object->size_pages();
        for (u64 page = r.object_page_of(start); page <= last && page < size; page++) (void)r.m_object->get_page(page);
      }
      return {};
    case Advice::Cold:
    case Advice::Hint:
      return {};
    case Advice::Remove:
      // Linux punches a hole in the file through its file system's fallocate; no object here can (as ramfs
      // cannot on Linux: EOPNOTSUPP).
      if (!r.m_object) return Error::INVAL;
      if (!r.is_shared() || !has(r.m_prot, Prot::Write)) return Error::ACCESS;
      return Error::NOTSUP;
    case Advice::DontFork: return set_region_flags_locked(r, start, end, RegionFlag::DontFork, 0);
    case Advice::DoFork: return set_region_flags_locked(r, start, end, 0, RegionFlag::DontFork);
    case Advice::WipeOnFork:
      if (r.m_object || r.is_shared()) return Error::INVAL;  // (Linux: a file or VM_SHARED)
      return set_region_flags_locked(r, start, end, RegionFlag::WipeOnFork, 0);
    case Advice::KeepOnFork: return set_region_flags_locked(r, start, end, 0, RegionFlag::WipeOnFork);
    case Advice::PopulateRead:
    case Advice::PopulateWrite:
      break;  // (populate_advice)
  }
  return {};
}

// Region r's part [start, end) gets flags `set` and loses `clear`: cut out of r first if the flags change.
// (Merged again by the caller after the walk.)
Result<void> AddressSpace::set_region_flags_locked(Region& r, VirtAddr start, VirtAddr end, u32 set, u32 clear) {
  ASSERT_LOCKED(m_lock);
  u32 flags = (r.m_flags & ~clear) | set;
  if (flags == r.m_flags) return {};
  Region* part = &r;
  if (part->m_start < start) part = TRY(split_locked(*part, start));
  if (part->m_end > end) TRY(split_locked(*part, end));
  part->m_flags = flags;
  return {};
}

// MADV_POPULATE_READ/WRITE: region by region from start, each checked under the lock, its pages faulted in
// without it. The walk stops at the first error, as Linux's madvise_populate: a hole is NOMEM at once.
Result<void> AddressSpace::populate_advice(VirtAddr start, VirtAddr end, Access access) {
  for (VirtAddr at = start; at < end;) {
    VirtAddr to;
    {
      SpinlockGuard guard(m_lock);
      const Region* r = find_locked(at);
      if (!r) return Error::NOMEM;
      // As the page-table walk of Linux's get_user_pages checks a region: the right itself, not what the machine
      // gives with it (PROT_WRITE alone does not allow a populating read).
      if (!has(r->m_prot, access == Access::Write ? Prot::Write : Prot::Read)) return Error::INVAL;
      to = r->m_end < end ? r->m_end : end;
    }
    for (; at < to; at += PAGE_SIZE) {
      if (mm_preemption_point()) return Error::INTR;  // a long range neither holds the hart nor outlives SIGKILL
      switch (handle_fault(at, access)) {
        case FaultResult::Resolved: continue;
        case FaultResult::BusError: return Error::FAULT;
        case FaultResult::Interrupted: return Error::INTR;
        case FaultResult::OutOfMemory:
        case FaultResult::Retry: return Error::NOMEM;
        case FaultResult::NoRegion: return Error::NOMEM;      // unmapped meanwhile (another thread)
        case FaultResult::AccessError: return Error::INVAL;   // mprotect'ed meanwhile
      }
    }
  }
  return {};
}
