// Physical memory: one Frame descriptor for every 4 KiB frame of RAM, and a buddy allocator that hands out
// blocks of 2^order contiguous frames.
//
// Invariants:
//  - A free block of order k starts at a pfn that is a multiple of 2^k; its first frame has use == Free and
//    order == k and is linked on free list k; its other frames have use == Free and order == NOT_HEAD.
//  - An allocated frame has refcount >= 1 while it is in use; whoever drops the last reference frees it.
//  - Frames that are not RAM we may use (firmware, the kernel image, the device tree, the initrd) stay
//    Reserved forever and are never handed out.
// Lock: m_lock protects the free lists and counters. Frame fields other than the free-list link belong to
// the frame's current owner (see FrameUse).
#pragma once

#include "lib/atomic.h"

#include "lib/list.h"
#include "lib/types.h"
#include "mm/mm_platform.h"
#include "mm/types.h"

enum class FrameUse : u8 {
  Free,
  Reserved,     // never allocatable
  Kernel,       // general kernel use (allocated with alloc_frames)
  Heap,         // a page of the kernel heap (owner = the heap's slab header)
  PageTable,    // a page-table page (owner = the pmap)
  KernelStack,
  Anon,         // anonymous user memory (owner = AnonOwner, index = user page number)
  File,         // a page of a file or shared object (owner = VmObject, index = page index)
  Zero,         // the shared read-only zero page
  VmMeta,       // VM bookkeeping: nodes of anon tables and object page indexes
};

const char* frame_use_name(FrameUse use);

struct Frame {
  ListNode link;                   // free list while free; the owner's lists otherwise
  Atomic<u32> refcount{0};
  FrameUse use = FrameUse::Reserved;
  u8 order = 0;                    // order of the free block this frame heads (free frames only)
  u16 flags = 0;                   // FrameFlag bits
  void* owner = nullptr;           // documented back-link, see FrameUse
  u64 index = 0;                   // position within the owner
  // For page replacement and paging I/O (the swap issue): the frame's place on an active/inactive list, and
  // the threads waiting while it is Busy. Unused until then; they also make a descriptor 64 bytes, so finding
  // a frame's number from its descriptor is a shift, not a division, on every fault.
  ListNode lru_link;
  void* io_waiters = nullptr;

  static constexpr u8 NOT_HEAD = 0xff;
};
static_assert(sizeof(Frame) == 64, "a power of two keeps descriptor arithmetic to shifts");

namespace FrameFlag {
constexpr u16 Busy = 1 << 0;       // I/O in progress: wait, then retry (the swap issue)
constexpr u16 Dirty = 1 << 1;
constexpr u16 Referenced = 1 << 2;
}  // namespace FrameFlag

constexpr unsigned MAX_ORDER = 10;  // blocks of up to 2^10 frames = 4 MiB
constexpr unsigned MM_MAX_CPUS = 8;
constexpr unsigned FRAME_CACHE_SIZE = 64;   // single frames each CPU keeps ready (no lock needed)
constexpr unsigned FRAME_CACHE_BATCH = 32;  // moved between a CPU's cache and the buddy lists at a time

struct MemoryCounters {
  u64 total_frames;      // usable RAM managed by the allocator (excludes reserved)
  u64 free_frames;
  u64 reserved_frames;   // firmware, kernel image, device tree, initrd
  u64 used_by[10];        // frames in use, per FrameUse
};

class PhysicalMemory {
 public:
  // Describes RAM [base_pfn, end_pfn) with the descriptor array `frames` (end_pfn - base_pfn entries, already
  // constructed). Everything starts Reserved; add_free_range makes usable RAM available.
  void init(u64 base_pfn, u64 end_pfn, Frame* frames);
  void add_free_range(PhysAddr start, PhysAddr end);

  // A block of 2^order frames, or nullptr when memory is exhausted. The first frame gets refcount 1 and `use`.
  Frame* alloc(unsigned order, FrameUse use) {
    if (LIKELY(order == 0)) {
      if (Frame* f = alloc_cached(use)) return f;
    }
    return alloc_slow(order, use);
  }
  Frame* alloc_zeroed(unsigned order, FrameUse use);
  void free(Frame* frame, unsigned order);

  // One frame with its owner and index set (the fault path's allocation).
  Frame* alloc_owned(FrameUse use, void* owner, u64 index) {
    if (Frame* f = alloc_cached(use, owner, index)) return f;
    Frame* f = alloc_slow(0, use);
    if (f) f->owner = owner, f->index = index;
    return f;
  }

  // Single-frame shortcuts.
  Frame* alloc_frame(FrameUse use) { return alloc(0, use); }
  void free_frame(Frame* frame) { free(frame, 0); }
  // Drop one reference; frees the frame when it was the last. Returns true if freed.
  bool unref(Frame* frame) {
    u32 old = frame->refcount.fetch_sub(1, MemoryOrder::AcqRel);
    if (LIKELY(old > 1)) return false;
    return unref_last(frame, old);
  }

  Frame* frame_of(PhysAddr pa) const { return &m_frames[pa.pfn() - m_base_pfn]; }
  Frame* frame_of_pfn(u64 pfn) const { return &m_frames[pfn - m_base_pfn]; }
  bool is_managed(PhysAddr pa) const { return pa.pfn() >= m_base_pfn && pa.pfn() < m_end_pfn; }
  PhysAddr address_of(const Frame* frame) const {
    return PhysAddr::from_pfn(m_base_pfn + static_cast<u64>(frame - m_frames));
  }
  u8* kernel_pointer(const Frame* frame) const { return phys_to_kernel(address_of(frame)); }

  u64 free_frames() const { return m_free_frames.load(MemoryOrder::Relaxed); }
  u64 total_frames() const { return m_total_frames; }
  MemoryCounters counters() const;
  // Consistency check of the free lists (tests; debug commands).
  bool check() const;
  // Give this CPU's cached single frames back to the buddy lists (so that they can merge again).
  void drain_cpu_cache();

 private:
  // Single frames are served from a per-CPU cache first: an uncontended lock, and no buddy splitting or merging
  // on the hot paths (faults, page-table pages). Frames in a cache count as free. When the buddy lists run dry,
  // an allocation takes frames from other CPUs' caches, so no frame is ever out of reach.
  // The cache's lock is a bare test-and-set taken with interrupts off (IrqSave): it is almost never contended
  // (only by another CPU stealing frames when the buddy lists are empty) and is on every fault.
  struct alignas(1024) CpuCache {  // a power of two: finding this CPU's cache is one shift
    Atomic<u32> busy{0};
    Frame* frames[FRAME_CACHE_SIZE];
    unsigned count = 0;  // guarded by busy
    void lock() {
      while (busy.exchange(1, MemoryOrder::Acquire)) {
      }
    }
    void unlock() { busy.store(0, MemoryOrder::Release); }
  };
  Frame* steal_cached();
  void refill_locked(CpuCache& cache);
  Frame* alloc_cached(FrameUse use, void* owner = nullptr, u64 index = 0);
  Frame* alloc_slow(unsigned order, FrameUse use);
  bool unref_last(Frame* frame, u32 old);
  Frame* alloc_block(unsigned order, FrameUse use);
  void free_cached(Frame* frame);
  void prepare_allocated(Frame* head, unsigned order, FrameUse use);

  void free_block_locked(u64 pfn, unsigned order);
  bool is_free_head(u64 pfn, unsigned order) const;

  Spinlock m_lock{"phys"};
  Frame* m_frames = nullptr;
  u64 m_base_pfn = 0;
  u64 m_end_pfn = 0;
  u64 m_total_frames = 0;
  Atomic<u64> m_free_frames{0};
  IntrusiveList<Frame, &Frame::link> m_free_lists[MAX_ORDER + 1];  // guarded by m_lock
  CpuCache m_caches[MM_MAX_CPUS];
};

// The kernel's one physical memory allocator.
extern PhysicalMemory g_phys;

// Zero one 4 KiB frame, or copy one, through the direct map.
inline void zero_frame(Frame* frame) { zero_page_memory(g_phys.kernel_pointer(frame)); }
inline void copy_frame(Frame* to, const Frame* from) {
  copy_page_memory(g_phys.kernel_pointer(to), g_phys.kernel_pointer(from));
}
