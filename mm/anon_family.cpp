// Once swap is on, anon families are never freed: a family whose last member has gone waits in a pool for the
// next exec. Page-out finds a page's family through Frame::owner, which may be stale by then; with families kept
// alive forever, a stale pointer still points to a family (dead, or reused by another process), and try_ref
// tells which. The memory this keeps is small (one family per process ever alive at once) and is reused.
// Before swap is on (PhysicalMemory::tracks_pageable), nothing looks at a frame's family without holding the
// frame through a member's slot, so a family nobody is a member of is freed (and init's leak check, which
// compares free memory before and after a program, sees its memory come back).
#include "mm/address_space.h"

namespace {

Spinlock g_families_lock{"anon-families"};
// Every family ever made, and the ones waiting for reuse; guarded by g_families_lock.
IntrusiveList<AnonFamily, &AnonFamily::m_all_link>& all_families() {
  static IntrusiveList<AnonFamily, &AnonFamily::m_all_link> list;
  return list;
}
IntrusiveList<AnonFamily, &AnonFamily::m_free_link>& free_families() {
  static IntrusiveList<AnonFamily, &AnonFamily::m_free_link> list;
  return list;
}
u64 g_pooled = 0;  // families in free_families(); guarded by g_families_lock

}  // namespace

u64 AnonFamily::pooled_count() {
  SpinlockGuard guard(g_families_lock);
  return g_pooled;
}

AnonFamily* AnonFamily::create() {
  AnonFamily* f;
  {
    SpinlockGuard guard(g_families_lock);
    f = free_families().pop_front();
    if (f) g_pooled--;
  }
  if (!f) {
    f = new AnonFamily();
    if (!f) return nullptr;
    SpinlockGuard guard(g_families_lock);
    all_families().push_back(*f);
  }
  ASSERT(f->members.is_empty());
  // Last: from here on try_ref may succeed, and everything it then looks at is in order.
  f->m_refcount.store(1, MemoryOrder::Release);
  return f;
}

bool AnonFamily::unref() const {
  u32 old = m_refcount.fetch_sub(1, MemoryOrder::AcqRel);
  ASSERT_MSG(old != 0, "anon family: reference count underflow");
  if (old == 1) {
    auto* self = const_cast<AnonFamily*>(this);
    {
      SpinlockGuard guard(g_families_lock);
      if (g_phys.tracks_pageable()) {
        free_families().push_back(*self);
        g_pooled++;
        return false;
      }
      all_families().remove(*self);
    }
    delete self;
    return true;
  }
  return false;
}

bool AnonFamily::try_ref() const {
  u32 count = m_refcount.load(MemoryOrder::Relaxed);
  while (count != 0)
    if (m_refcount.compare_exchange(count, count + 1, MemoryOrder::Acquire)) return true;
  return false;
}

AnonFamily* AnonFamily::next_alive_after(AnonFamily* previous) {
  SpinlockGuard guard(g_families_lock);
  AnonFamily* f = previous ? all_families().next_of(*previous) : all_families().front();
  while (f && !f->try_ref()) f = all_families().next_of(*f);
  return f;
}
