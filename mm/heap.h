// The kernel heap behind operator new/delete (kernel/heap_operators.cpp): objects of up to 2 KiB come from slabs (one 4 KiB frame cut
// into equal objects, per size class); larger ones get their own block of frames from the buddy allocator.
// Memory is not zeroed. new returns nullptr when memory is exhausted (the kernel is built without exceptions);
// use `new (nothrow)`-style checks or the create() factories that return Result.
#pragma once

#include "lib/types.h"

void* kmalloc(usize size);
void* kzalloc(usize size);
void kfree(void* ptr);

constexpr usize HEAP_SIZE_CLASSES = 14;

struct HeapStats {
  u64 bytes_in_use;      // sum of the size classes of live objects, plus large blocks
  u64 slab_frames;       // frames holding slabs
  u64 large_frames;      // frames holding large objects
  u64 empty_slab_frames; // slabs kept with no live object (reclaimable)
  u64 allocations;       // live objects
  u32 class_size[HEAP_SIZE_CLASSES];  // the slab size classes,
  u64 class_live[HEAP_SIZE_CLASSES];  // and their live objects (to tell what a leak is made of)
};
HeapStats heap_stats();
// The size class (HeapStats::class_size) an allocation of `size` bytes takes; 0 for a large one.
u32 heap_class_size_of(usize size);
// Give the slabs the heap keeps empty for reuse back to the frame allocator.
void heap_trim();
// The same without waiting for any lock (the heap's shrinker, mm/shrinker.h); the frames freed.
u64 heap_shrink();
