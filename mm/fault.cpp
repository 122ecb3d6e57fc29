// The page-fault handler: one entry point, a short sequence of named steps.
//
//   1. find the region      (growing the stack when the address is just below it)
//   2. check the access     against the region's protection
//   3. resolve the page     private: anon layer first (existing page, copy-on-write copy or reuse, or a page to
//                           bring back from swap: mm/swap_in.cpp), then the object layer (a page of the mapped
//                           object, or the zero page / a fresh zero page); shared: the object's page
//   4. enter the mapping    in the pmap, read-only when the page is still shared copy-on-write
//   5. update               flush what the pmap deferred
//
// Faults that sleep. The steps run under the address-space lock, a spinlock, and never sleep there. When a step
// needs something that takes time — a page being read from swap, a frame when memory is full — it says what
// (FaultRetry) and returns Retry: handle_fault drops the lock, waits (for the page's read to end: page_wait.h;
// or for memory: reclaim, mm/pageout.h), and starts again from step 1, because anything may have changed
// meanwhile (the region unmapped, the page brought in by another fault). Pages in memory never take that way:
// a fault on them costs what it did before paging existed.
//
// Lock order: address space, then swap area, then VM object, then the pageable set and the frame allocator.
#include <cstring>

#include "mm/address_space.h"
#include "mm/page_wait.h"
#include "mm/pageout.h"
#include "mm/swap.h"
#include "mm/vm_stats.h"

namespace {

// Past the end of the object, no room left in its file system (a full tmpfs: SIGBUS, as Linux's shmem fault), or
// a file page that cannot be read.
FaultResult fault_result_of(Error e) {
  return e == Error::BUSERR || e == Error::NOSPC || e == Error::IO ? FaultResult::BusError : FaultResult::OutOfMemory;
}

// A page of a file object that is not read yet (mm/vm_object.h: lazy fill).
bool is_busy_file_page(const Frame* page) { return __atomic_load_n(&page->page_flags, __ATOMIC_ACQUIRE) & FrameFlag::Busy; }

// No machine has write-only pages (on riscv, W without R is reserved: privileged spec 4.3.1), so a writable
// region is readable too, as on Linux.
bool region_permits(Prot prot, Access access) {
  switch (access) {
    case Access::Read: return has(effective_prot(prot), Prot::Read);
    case Access::Write: return has(prot, Prot::Write);
    case Access::Exec: return has(prot, Prot::Exec);
  }
  return false;
}

// A step found no frame (or no page-table page, or no anon-table node): reclaim, then retry.
FaultResult need_memory(FaultRetry& retry) {
  retry.need_memory = true;
  return FaultResult::Retry;
}

}  // namespace

FaultResult AddressSpace::handle_fault(VirtAddr va, Access access) {
  if (va.get() >= user_layout::USER_END) return FaultResult::NoRegion;
  FaultRetry retry;
  // Called from trap handlers, with interrupts off: the lock need not turn them off. (The user-copy routines
  // call it with interrupts as the system call had them; no interrupt handler takes this lock.)
  m_lock.lock_irqs_off();
  FaultResult result = handle_fault_locked(va, access, retry);
  m_lock.unlock_irqs_off();
  if (LIKELY(result != FaultResult::Retry)) return result;
  return handle_fault_again(va, access, retry);
}

// The rest of a fault that must wait (kept out of handle_fault, so that faults on resident pages pay nothing
// for it): wait, start over, as many times as it takes.
__attribute__((noinline)) FaultResult AddressSpace::handle_fault_again(VirtAddr va, Access access, FaultRetry& first) {
  // Memory comes back after a reclaim, or the OOM killer makes some; a fault that still finds none after this
  // many rounds gives up (something other than frames is missing, a page-table page, say).
  constexpr unsigned MEMORY_ROUNDS = 64;
  FaultRetry retry = first;
  for (unsigned memory_rounds = 0;;) {
    if (retry.need_memory && ++memory_rounds > MEMORY_ROUNDS) {
      release_retry(retry);
      return FaultResult::OutOfMemory;
    }
    FaultResult result = wait_before_retry(retry);
    if (result != FaultResult::Retry) return result;
    retry = FaultRetry();
    m_lock.lock_irqs_off();
    result = handle_fault_locked(va, access, retry);
    m_lock.unlock_irqs_off();
    if (result != FaultResult::Retry) return result;
  }
}

// What a fault waits for without the lock, before it starts over. Retry: start over; anything else: the result.
FaultResult AddressSpace::wait_before_retry(FaultRetry& retry) {
  if (!mm_may_sleep()) {
    // A kernel access to user memory with a spinlock held (a bug elsewhere) cannot wait: it fails. (A file page
    // left Busy is read by the next one who needs it.)
    release_retry(retry);
    return FaultResult::OutOfMemory;
  }
  if (retry.object) {
    // A page of a file: read it and the pages around it (or wait for whoever reads it). A read error is SIGBUS,
    // as on Linux.
    auto read = retry.object->wait_for_fault_page(retry.page);
    g_vm_stats.pgmajfault_file.fetch_add(1, MemoryOrder::Relaxed);
    release_retry(retry);
    if (read.is_error()) return FaultResult::BusError;
  } else if (Frame* page = retry.page) {
    page_wait_until_ready(page);
    // The read this fault waited for failed: this fault gets the error (SIGBUS), whoever else waited gets it
    // too, and the next fault reads again. If it read several pages, the bad one may be a neighbour: start over,
    // and the page is read again alone (swap_in_locked).
    u8 flags = __atomic_load_n(&page->page_flags, __ATOMIC_ACQUIRE);
    anon_frame_release(page);
    if ((flags & PageFlag::Error) && !(flags & PageFlag::ErrorNearby)) return FaultResult::BusError;
  }
  if (retry.need_memory) {
    if (reclaim_for_fault() == ReclaimOutcome::NoMemory) return FaultResult::OutOfMemory;
  }
  if (mm_fatal_signal_pending()) return FaultResult::Interrupted;
  return FaultResult::Retry;
}

FaultResult AddressSpace::handle_fault_locked(VirtAddr va, Access access, FaultRetry& retry) {
  ASSERT_LOCKED(m_lock);
  // 1. Find the region.
  Region* r = find_region_for_fault_locked(va);
  if (!r) return FaultResult::NoRegion;
  // 2. Check the access.
  if (!region_permits(r->m_prot, access)) return FaultResult::AccessError;
  // 3 + 4. Resolve the page and enter it.
  VirtAddr page = va.page_base();
  FaultResult result =
      r->is_private() ? fault_private_locked(*r, page, access, retry) : fault_shared_locked(*r, page, access, retry);
  // 5. Carry out any TLB work the pmap deferred (a fault usually leaves none: enter() fences its own page).
  m_pmap->update();
  return result;
}

// Step 1: the region containing va; if there is none but va lies just below a stack region, grow the stack.
Region* AddressSpace::find_region_for_fault_locked(VirtAddr va) {
  ASSERT_LOCKED(m_lock);
  if (m_last_region && m_last_region->contains(va)) return m_last_region;
  Region* r = m_regions.find_last_le(va.get());
  if (r && r->contains(va)) {
    m_last_region = r;
    return r;
  }
  Region* above = r ? RegionTree::next(*r) : m_regions.first();
  if (above && (above->m_flags & RegionFlag::Stack) && try_grow_stack_locked(*above, va)) return above;
  return nullptr;
}

bool AddressSpace::try_grow_stack_locked(Region& stack, VirtAddr va) {
  ASSERT_LOCKED(m_lock);
  VirtAddr new_start = va.page_base();
  if (new_start.get() < user_layout::MMAP_MIN) return false;
  if (!stack_may_grow_locked(stack, new_start)) return false;  // RLIMIT_STACK, RLIMIT_AS: SIGSEGV
  // Keep the guard gap between the stack and whatever is mapped below it.
  if (Region* below = RegionTree::prev(stack); below && below->m_end + user_layout::STACK_GUARD_GAP > new_start)
    return false;
  // Moving the start keeps the tree ordered: nothing lies between the region below and the new start.
  stack.m_start = new_start;
  g_vm_stats.faults_stack_growth.fetch_add(1, MemoryOrder::Relaxed);
  return true;
}

// Step 3 for private regions: decide which frame to map and how, then (step 4) enter it.
FaultResult AddressSpace::fault_private_locked(Region& r, VirtAddr page, Access access, FaultRetry& retry) {
  ASSERT_LOCKED(m_lock);
  return access == Access::Write ? fault_private_write_locked(r, page, retry)
                                 : fault_private_read_locked(r, page, retry);
}

// A read (or fetch) maps what is there without taking anything: our own page if we have one (read-only while it
// is still shared copy-on-write, or while its swap copy is shared), else the object's page, else the shared zero
// page. A page on swap is read back first.
FaultResult AddressSpace::fault_private_read_locked(Region& r, VirtAddr page, FaultRetry& retry) {
  ASSERT_LOCKED(m_lock);
  u64 vpn = page.page_number();
  Prot prot = effective_prot(r.m_prot);
  AnonSlot held = m_anon.at(vpn);
  Frame* map;
  if (!held.is_empty()) {
    if (UNLIKELY(held.is_swapped())) return swap_in_locked(r, page, Access::Read, retry);
    map = held.frame();
    // Read-only while its swap copy is shared too: a write must copy (others would read it back changed).
    if (UNLIKELY(map->page_flags & PageFlag::SwapCache) && swap_copy_is_shared(map)) prot = prot & ~Prot::Write;
    // LAB cow: BEGIN SOLUTION
    if (map->refcount.load(MemoryOrder::Relaxed) > 1) prot = prot & ~Prot::Write;
    // LAB cow: STUDENT
    // // TODO(lab cow, exercise 3): a page still shared copy-on-write may be read, not written.
    // LAB cow: END
  } else {
    if (r.m_object) {
      // LAB mmap: BEGIN SOLUTION
      auto object_page = object_page_locked(r, page);
      if (object_page.is_error()) {
        if (object_page.error() == Error::NOMEM) return need_memory(retry);
        return fault_result_of(object_page.error());
      }
      map = object_page.value();
      if (UNLIKELY(is_busy_file_page(map))) return wait_for_object_page(r, map, retry);
      g_vm_stats.faults_object.fetch_add(1, MemoryOrder::Relaxed);
      // LAB mmap: STUDENT
      // // TODO(lab mmap, exercise 2): a read needs no page of its own: map the object's page (the page cache's),
      // // read-only, so that the first write copies it. This takes a private copy at once, as a kernel without a
      // // page cache would.
      // return fault_private_write_locked(r, page, retry);
      // LAB mmap: END
    } else {
      // LAB lazy: BEGIN SOLUTION
      map = zero_page();
      g_vm_stats.zero_page_hits.fetch_add(1, MemoryOrder::Relaxed);
      // LAB lazy: STUDENT
      // // TODO(lab lazy, exercise 3): a read of untouched memory needs no page of its own: map the zero page.
      // return fault_private_write_locked(r, page, retry);
      // LAB lazy: END
    }
    prot = prot & ~Prot::Write;
  }
  if (m_pmap->enter(page, g_phys.address_of(map), prot, PmapEnter::Normal).is_error()) return need_memory(retry);
  return FaultResult::Resolved;
}

// A write always ends with a page of our own in the anon table: the one there (copied first while it is still
// shared copy-on-write), or a copy of the object's page, or a fresh zeroed page. A page on swap is read back
// first.
FaultResult AddressSpace::fault_private_write_locked(Region& r, VirtAddr page, FaultRetry& retry) {
  ASSERT_LOCKED(m_lock);
  u64 vpn = page.page_number();
  Prot prot = effective_prot(r.m_prot);
  AnonSlot* slot = m_anon.slot_or_null(vpn);
  if (UNLIKELY(!slot)) return need_memory(retry);
  AnonSlot held = *slot;
  Frame* mine;
  if (!held.is_empty()) {
    if (UNLIKELY(held.is_swapped())) return swap_in_locked(r, page, Access::Write, retry);
    mine = held.frame();
    // A page whose swap copy others still name is shared too: writing it would change what they read back. (The
    // only holder gives its swap copy up and writes in place.)
    bool shared_on_swap = UNLIKELY(mine->page_flags & PageFlag::SwapCache) && !swap_copy_release_for_write(mine);
    // (Relaxed: holders can only go away concurrently, never arrive — fork of this space needs our lock.)
    // LAB cow: BEGIN SOLUTION
    if (mine->refcount.load(MemoryOrder::Relaxed) > 1 || shared_on_swap) {
      // Copy-on-write: someone else still holds this frame. Copy it and drop our share.
      Frame* copy = new_anon_frame_locked(vpn);
      if (UNLIKELY(!copy)) return need_memory(retry);
      copy_frame(copy, mine);
      *slot = AnonSlot::resident(copy);
      held.release_resident();
      mine = copy;
      g_vm_stats.faults_cow_copy.fetch_add(1, MemoryOrder::Relaxed);
    } else {
      // The last owner writes: reuse the frame, no copy.
      g_vm_stats.faults_cow_reuse.fetch_add(1, MemoryOrder::Relaxed);
    }
    // LAB cow: STUDENT
    // // TODO(lab cow, exercise 2): if another address space still holds this frame (or shared_on_swap says that
    // // its copy on swap is shared), copy it and drop our share; if we are the last owner, write it in place.
    // (void)shared_on_swap;
    // LAB cow: END
  } else {
    // The first write: a copy of the object's page, or a fresh zeroed page (demand-zero).
    Frame* source = nullptr;
    if (r.m_object) {
      auto object_page = object_page_locked(r, page);
      if (object_page.is_error()) {
        if (object_page.error() == Error::NOMEM) return need_memory(retry);
        return fault_result_of(object_page.error());
      }
      source = object_page.value();
      if (UNLIKELY(is_busy_file_page(source))) return wait_for_object_page(r, source, retry);
    }
    mine = new_anon_frame_locked(vpn);
    if (UNLIKELY(!mine)) return need_memory(retry);
    if (source) {
      copy_frame(mine, source);
      g_vm_stats.faults_cow_copy.fetch_add(1, MemoryOrder::Relaxed);
    } else {
      zero_frame(mine);
      g_vm_stats.faults_demand_zero.fetch_add(1, MemoryOrder::Relaxed);
    }
    m_anon.fill_empty(slot, mine);
  }
  // Step 4. (A kernel write into PROT_NONE memory, AddressSpace::write, maps nothing: no mapping can have no
  // rights; on Sv39 it would be a pointer to a page table.)
  if (UNLIKELY(prot == Prot::None)) return FaultResult::Resolved;
  if (m_pmap->enter(page, g_phys.address_of(mine), prot, PmapEnter::Dirty).is_error()) return need_memory(retry);
  return FaultResult::Resolved;
}

// The object's page for a private region (kept out of the fault path's main line: file mappings only). A page
// not read from its file yet is returned too: the caller checks Busy (wait_for_object_page).
__attribute__((noinline)) Result<Frame*> AddressSpace::object_page_locked(Region& r, VirtAddr page) {
  ASSERT_LOCKED(m_lock);
  return r.m_object->get_page(r.object_page_of(page));
}

// The object's page is still to be read from its file: the fault reads it (or waits for it) without the lock,
// then starts over (wait_before_retry). The page and the object are held meanwhile (the region may go).
__attribute__((noinline)) FaultResult AddressSpace::wait_for_object_page(Region& r, Frame* page, FaultRetry& retry) {
  ASSERT_LOCKED(m_lock);
  page->refcount.fetch_add(1, MemoryOrder::Relaxed);
  r.m_object->ref();
  retry.page = page;
  retry.object = r.m_object.get();
  return FaultResult::Retry;
}

void AddressSpace::release_retry(FaultRetry& retry) {
  if (!retry.page) return;
  if (retry.object) {
    g_phys.unref(retry.page);
    if (retry.object->unref()) delete retry.object;
  } else {
    anon_frame_release(retry.page);
  }
  retry.page = nullptr;
  retry.object = nullptr;
}

// Step 3 for shared regions: every mapping uses the object's own page.
FaultResult AddressSpace::fault_shared_locked(Region& r, VirtAddr page, Access access, FaultRetry& retry) {
  ASSERT_LOCKED(m_lock);
  auto frame = r.m_object->get_page(r.object_page_of(page));
  if (frame.is_error()) {
    if (frame.error() == Error::NOMEM) return need_memory(retry);
    return fault_result_of(frame.error());
  }
  if (UNLIKELY(is_busy_file_page(frame.value()))) return wait_for_object_page(r, frame.value(), retry);
  g_vm_stats.faults_object.fetch_add(1, MemoryOrder::Relaxed);
  if (m_pmap->enter(page, g_phys.address_of(frame.value()), effective_prot(r.m_prot),
                    access == Access::Write ? PmapEnter::Dirty : PmapEnter::Normal)
          .is_error())
    return need_memory(retry);
  return FaultResult::Resolved;
}
