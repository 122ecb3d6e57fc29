// The pageable set (mm/pageable.h).
#include "mm/pageable.h"

#include "mm/vm_stats.h"

PageableSet g_pageable;

namespace {

// Moving pages between policies: nothing counts as recently used.
class NothingReferenced final : public PageProbe {
 public:
  bool referenced(Frame&) override { return false; }
};

u64 clamp(u64 v, u64 lo, u64 hi) { return v < lo ? lo : v > hi ? hi : v; }

}  // namespace

bool PageableSet::init(const char* policy_name) {
  const ReplacementPolicyInfo* info = policy_name ? replacement_policy_find(policy_name) : nullptr;
  bool found = info != nullptr;
  if (!info) info = replacement_policy_find(DEFAULT_REPLACEMENT_POLICY);
  ReplacementPolicy* policy = info->create();
  ASSERT_MSG(policy, "no memory for the replacement policy");
  SpinlockGuard guard(m_lock);
  ASSERT(!m_policy || m_policy->page_count() == 0);
  delete m_policy;
  m_policy = policy;
  return found;
}

void PageableSet::reset(const char* policy_name) {
  {
    SpinlockGuard guard(m_lock);
    delete m_policy;
    m_policy = nullptr;
  }
  init(policy_name);
}

Result<void> PageableSet::set_policy(const char* name) {
  const ReplacementPolicyInfo* info = replacement_policy_find(name);
  if (!info) return Error::NOENT;
  ReplacementPolicy* fresh = info->create();
  if (!fresh) return Error::NOMEM;
  ReplacementPolicy* old;
  {
    SpinlockGuard guard(m_lock);
    old = m_policy;
    NothingReferenced probe;
    while (Frame* f = old->choose_victim(probe)) fresh->page_added(*f);
    m_policy = fresh;
  }
  delete old;
  return {};
}

const char* PageableSet::policy_name() const {
  SpinlockGuard guard(m_lock);
  return m_policy ? m_policy->name() : "none";
}

Result<unsigned> PageableSet::hand_over(Frame** frames, unsigned count, bool wait) {
  if (wait) m_lock.lock();
  else if (!m_lock.try_lock()) return Error::AGAIN;
  unsigned orphans = 0;
  for (unsigned i = 0; i < count; i++) {
    Frame* f = frames[i];
    DEBUG_ASSERT(f->lru_flags & LruFlag::Fresh);
    if (f->lru_flags & LruFlag::Orphan) {
      f->lru_flags = 0;
      frames[i] = frames[orphans];
      frames[orphans++] = f;
      continue;
    }
    f->lru_flags = LruFlag::InSet;
  }
  m_policy->pages_added(frames + orphans, count - orphans);
  m_lock.unlock();
  return orphans;
}

void PageableSet::adopt_in_use(PhysicalMemory& phys) {
  SpinlockGuard guard(m_lock);
  for (u64 i = 0; i < phys.frame_count(); i++) {
    Frame* f = phys.frame_at(i);
    if (f->use != FrameUse::Anon || f->lru_flags != 0) continue;
    // A count of 0: being freed (its unref_last either saw the flag and waits for this lock, finding the frame
    // not in the set, or did not and frees it now): leave it.
    if (f->refcount.load(MemoryOrder::Acquire) == 0) continue;
    f->lru_flags = LruFlag::InSet;
    m_policy->page_added(*f);
  }
}

void pageable_adopt_in_use(PhysicalMemory& phys) { g_pageable.adopt_in_use(phys); }

bool PageableSet::release(Frame* frame) {
  SpinlockGuard guard(m_lock);
  u8 flags = frame->lru_flags;
  if (flags & LruFlag::Fresh) {
    frame->lru_flags = flags | LruFlag::Orphan;
    return false;
  }
  if (flags & LruFlag::InSet) {
    m_policy->page_removed(*frame);
    frame->lru_flags = 0;
  }
  return true;
}

// The questions of one victim's choice: the caller's probe, up to the budget; past it nothing is referenced.
class BudgetProbe final : public PageProbe {
 public:
  explicit BudgetProbe(PageProbe& inner) : m_inner(inner) {}
  bool referenced(Frame& page) override {
    m_asked++;
    if (m_asked > PageableSet::PROBE_BUDGET) return false;
    return m_inner.referenced(page);
  }
  u64 asked() const { return m_asked; }

 private:
  PageProbe& m_inner;
  u64 m_asked = 0;
};

unsigned PageableSet::isolate_victims(PageProbe& probe, Frame** victims, unsigned max, u64* scanned) {
  unsigned n = 0;
  u64 looked = 0;
  // A page whose last reference is going away right now (count 0, its unref waiting for this lock) is let go:
  // it leaves the set here, and release() finds it already out.
  for (u64 tries = 0; n < max && tries < 4ull * max; tries++) {
    SpinlockGuard guard(m_lock);
    BudgetProbe budget(probe);
    Frame* f = m_policy->choose_victim(budget);
    looked += budget.asked() > 0 ? budget.asked() : 1;
    if (!f) break;
    u32 count = f->refcount.load(MemoryOrder::Relaxed);
    bool referenced = false;
    while (count != 0 && !(referenced = f->refcount.compare_exchange(count, count + 1, MemoryOrder::Acquire))) {
    }
    if (!referenced) {
      f->lru_flags = 0;
      continue;
    }
    f->lru_flags = LruFlag::Isolated;
    victims[n++] = f;
  }
  *scanned = looked;
  return n;
}

void PageableSet::put_back(Frame* frame) {
  SpinlockGuard guard(m_lock);
  DEBUG_ASSERT(frame->lru_flags & LruFlag::Isolated);
  frame->lru_flags = LruFlag::InSet;
  m_policy->page_added(*frame);
}

u64 PageableSet::page_count() const {
  SpinlockGuard guard(m_lock);
  return m_policy ? m_policy->page_count() : 0;
}

void pageable_set_watermarks(u64 total_frames) {
  u64 min = clamp(total_frames / 128, 32, 1024);
  g_phys.set_watermarks(min, 2 * min, 3 * min);
}
