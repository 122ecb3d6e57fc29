// Shrinkers: kernel caches that keep memory they could give back — the heap's empty slabs, idle kernel stacks.
// Each registers one; the frame allocator asks them all when it finds no frame (PhysicalMemory::alloc_slow),
// so memory reported free (/proc/meminfo, sysinfo) is memory an allocation — a page fault too — can really get.
//
// A shrinker is called from inside an allocation, which may hold any lock: it must not sleep and may only
// try_lock its own locks (and give up on contention).
#pragma once

#include "lib/types.h"

struct Shrinker {
  const char* name;
  u64 (*count)();   // frames it could give back now (a snapshot)
  u64 (*shrink)();  // gives back what it can without waiting; returns the frames freed
};

constexpr unsigned MAX_SHRINKERS = 8;

// At boot, before any allocation can need it (the registry itself takes no lock).
void register_shrinker(const Shrinker* shrinker);
// Asks every shrinker; the frames freed in all.
u64 shrink_kernel_caches();
// The frames the shrinkers could give back now, in all.
u64 kernel_caches_reclaimable();
