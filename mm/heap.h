// The kernel heap behind operator new/delete (kernel/heap_operators.cpp): objects of up to 2 KiB come from slabs (one 4 KiB frame cut
// into equal objects, per size class); larger ones get their own block of frames from the buddy allocator.
// Memory is not zeroed. new returns nullptr when memory is exhausted (the kernel is built without exceptions);
// use `new (nothrow)`-style checks or the create() factories that return Result.
#pragma once

#include "lib/types.h"

void* kmalloc(usize size);
void* kzalloc(usize size);
void kfree(void* ptr);

// A buffer for work done a piece at a time (a copy, a directory listing): `want` bytes if a block that size is
// free, else half, and so on down to `floor` bytes. Under memory pressure free memory is single frames scattered
// by page-out, and a system call must not fail with ENOMEM for want of a contiguous 32 KiB when one page would
// do (Linux's getdents and sendfile never need more than a page). data is nullptr when even `floor` failed;
// size is what was allocated. Free with kfree(data).
struct HeapBuffer {
  void* data;
  usize size;
};
HeapBuffer kmalloc_up_to(usize want, usize floor);

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
