// The lock-order checker of the debug kernel (kernel-debug.elf), after Linux's lockdep: it learns, from the
// spinlocks each hart holds when it takes another one, the order in which lock classes are taken, and the first
// time a hart takes them in the opposite order of one seen before (A then B here, B then ... then A earlier),
// it reports both with their stacks and panics. Such an inversion is a deadlock waiting for the wrong timing:
// the checker finds it on the first run that exercises both paths, whatever the timing.
//
// A lock class is a lock name ("signals", "heap"...): every per-process signal lock is one class, as they follow
// one order. Taking two locks of one class at once is not checked (fork holds two address-space locks); a
// try_lock never waits, so it adds no order, but what is taken while it is held does.
//
// Spinlock calls these in debug builds only (kernel/spinlock.h); the release kernel has none of it.
#pragma once

#include "lib/types.h"

class Spinlock;

// Before taking `lock` (is_try: a try_lock, which cannot deadlock): record and check the order.
void lockdep_acquire(const Spinlock& lock, bool is_try);
// After a try_lock failed, or after releasing `lock`.
void lockdep_release(const Spinlock& lock);
// Whether the checker has seen an inversion (it reports the first one).
bool lockdep_found_inversion();
// Where a lock keeps its class (Spinlock's private field, for the checker).
u32& lockdep_class_cache(const Spinlock& lock);
