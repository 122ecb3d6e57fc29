// The pageable set: every page that page-out may take from its owners — today every anonymous page (private
// memory of processes, and pages read back or ahead from swap), tomorrow the clean pages of files — kept by the
// replacement policy (mm/replacement.h), which says which page goes next.
//
// How a page joins and leaves:
//   - A new pageable frame (PhysicalMemory::alloc_pageable) is Fresh: it waits on its CPU's hand-over list and
//     joins the set a batch at a time (hand_over), so the fault path takes no lock for it.
//   - Freed (its last reference gone), it leaves (release). One freed while still Fresh is an Orphan: the
//     hand-over frees it instead.
//   - Page-out takes victims (isolate_victims): each leaves the set Isolated, with a reference page-out holds.
//     A victim that cannot go after all comes back (put_back).
//
// The lock is held for one victim at a time, and the policy's questions about one victim are bounded
// (PROBE_BUDGET: past it every page counts as not referenced), because faults wait for this lock while they hold
// their address spaces' locks (to add or free pages), and a question about an address space whose lock is busy
// counts as "referenced": without a bound, page-out could go round the whole set under the lock while the very
// faults it waits for wait for it.
//
// Watermarks (PhysicalMemory::set_watermarks): with M frames of RAM, min = M/128 clamped to [32, 1024] is kept
// for the kernel; the page-out thread starts below low = 2 min and stops above high = 3 min. An allocation that
// finds nothing reclaims directly (mm/pageout.h).
//
// Lock: m_lock (a spinlock) protects the policy, the counters and every frame's lru_flags. Lock order: a CPU's
// frame cache, then the pageable set, then anon families, then address spaces (taken only with try_lock
// under m_lock, since a fault holds its address space's lock when it frees a page).
#pragma once

#include "lib/result.h"
#include "mm/frame.h"
#include "mm/mm_platform.h"
#include "mm/replacement.h"

class PageableSet {
 public:
  // Uses the policy named `name` (the default if nullptr or unknown; false then). The set must be empty.
  bool init(const char* policy_name);
  // Host tests: a fresh set, forgetting whatever the last test left (its frames are gone with its arena).
  void reset(const char* policy_name);
  // Switches to another policy, moving every page over (in the order the old one would have evicted them).
  // NOENT if no policy has that name, NOMEM.
  Result<void> set_policy(const char* name);
  const char* policy_name() const;

  // From the frame allocator: `count` new pageable frames join; the ones freed meanwhile are moved to the
  // front of the array and their number returned (the caller frees them). Without `wait`, AGAIN (and nothing
  // done) when the lock is busy.
  Result<unsigned> hand_over(Frame** frames, unsigned count, bool wait);
  // The last reference to a pageable frame is gone: it leaves the set. false: it was Fresh, now an Orphan
  // that its hand-over will free; do not free it.
  bool release(Frame* frame);

  // Up to `max` victims chosen by the policy, each Isolated with a reference taken for the caller. *scanned
  // gets how many pages the choice looked at. `probe` answers the policy's questions, at most PROBE_BUDGET of
  // them per victim.
  static constexpr u32 PROBE_BUDGET = 128;
  unsigned isolate_victims(PageProbe& probe, Frame** victims, unsigned max, u64* scanned);
  // Pageable frames in use and not tracked yet (allocated before tracking began) join the set.
  void adopt_in_use(PhysicalMemory& phys);
  // A victim that stays: back into the set (the caller still drops its own reference).
  void put_back(Frame* frame);

  u64 page_count() const;
  Spinlock& lock() { return m_lock; }

 private:
  mutable Spinlock m_lock{"pageable"};
  ReplacementPolicy* m_policy = nullptr;  // guarded by m_lock
};

extern PageableSet g_pageable;

// The frame allocator's calls (mm/frame.cpp), in terms of g_pageable.
inline Result<unsigned> pageable_hand_over(Frame** frames, unsigned count, bool wait) {
  return g_pageable.hand_over(frames, count, wait);
}
inline bool pageable_release(Frame* frame) { return g_pageable.release(frame); }
// PhysicalMemory::track_pageable_frames: every pageable frame in use that is in no set joins g_pageable.
void pageable_adopt_in_use(PhysicalMemory& phys);

// The watermarks for `total_frames` frames of RAM (see above), set on g_phys.
void pageable_set_watermarks(u64 total_frames);
