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
// the frame's current owner (the table above struct Frame says what they mean for each use).
#pragma once

#include "lib/assert.h"
#include "lib/atomic.h"
#include "lib/list.h"
#include "lib/types.h"
#include "mm/mm_platform.h"
#include "mm/types.h"

enum class FrameUse : u8 {
  Free,
  Reserved,     // never allocatable
  Kernel,       // general kernel use (allocated with alloc)
  Heap,         // a page of the kernel heap: a slab, or part of a large block
  PageTable,    // a page-table page
  KernelStack,
  Anon,         // anonymous user memory, held by anon-table slots
  File,         // a page of a VM object (a file, or shared memory)
  Zero,         // the shared read-only zero page
  VmMeta,       // VM bookkeeping: a node of a radix table (anon tables, object page indexes)
};

const char* frame_use_name(FrameUse use);

struct AnonFamily;
class VmObject;

// One descriptor per frame of RAM. Three fields mean different things for different uses; the table says what
// (read them through the accessors below where there are some: they check the use in debug builds).
//
//   use          owner                           index                            flags, link
//   Free         nullptr                         -                                -, on a free list (block heads)
//   Heap         a slab: its size class;         a slab: its first free object    a slab: its live objects,
//                a large block: nullptr          (a kernel address; 0: full)      on its class's partial list
//   PageTable    the Sv39Pmap (below the root)   -                                -, on the pmap's table list
//   Anon         the AnonFamily that may map it  the virtual page number it has   FrameFlag bits
//                (anon_family)                   in that family (anon_vpn)
//   File         the VmObject holding it         its page index in the object     FrameFlag bits
//                (object; nullptr once dropped)  (object_page)
//   VmMeta       -                               the node's group summary         -
//                                                (radix_summary, mm/radix_table.h)
//   Kernel, KernelStack, Zero, Reserved: none of the three.
struct Frame {
  ListNode link;                   // free list while free; the owner's lists otherwise
  Atomic<u32> refcount{0};
  FrameUse use = FrameUse::Reserved;
  u8 order = 0;                    // order of the free block this frame heads (free frames only)
  u16 flags = 0;                   // see the table
  void* owner = nullptr;           // documented back-link, see the table
  u64 index = 0;                   // see the table
  // Not used by anything yet; they are kept for page replacement and paging I/O, which need a frame's place on
  // an active/inactive list and the threads waiting while it is Busy. They also make a descriptor 64 bytes, so
  // finding a frame's number from its descriptor is a shift, not a division, on every fault.
  ListNode lru_link;
  void* io_waiters = nullptr;

  static constexpr u8 NOT_HEAD = 0xff;

  AnonFamily* anon_family() const {
    DEBUG_ASSERT(use == FrameUse::Anon);
    return static_cast<AnonFamily*>(owner);
  }
  u64 anon_vpn() const {
    DEBUG_ASSERT(use == FrameUse::Anon);
    return index;
  }
  VmObject* object() const {
    DEBUG_ASSERT(use == FrameUse::File);
    return static_cast<VmObject*>(owner);
  }
  u64 object_page() const {
    DEBUG_ASSERT(use == FrameUse::File);
    return index;
  }
  u64& radix_summary() {
    DEBUG_ASSERT(use == FrameUse::VmMeta);
    return index;
  }
};
static_assert(sizeof(Frame) == 64, "a power of two keeps descriptor arithmetic to shifts");

// Frame::flags of Anon and File frames: the states paging needs. Dirty is set on File frames of objects with a
// writer (mm/vm_object.h: the page differs from the disk), under the object lock; the others are not used yet.
namespace FrameFlag {
constexpr u16 Busy = 1 << 0;       // I/O in progress: wait, then retry the fault
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
  PhysAddr address_of(const Frame* frame) const { return PhysAddr::from_pfn(pfn_of(frame)); }
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
#ifndef NDEBUG
    unsigned holder = ~0u;  // the CPU that set busy (debug builds only: it costs a store on every fault)
#endif
    void lock() {
      while (busy.exchange(1, MemoryOrder::Acquire)) {
      }
#ifndef NDEBUG
      holder = mm_current_cpu();
#endif
    }
    void unlock() {
#ifndef NDEBUG
      holder = ~0u;
#endif
      busy.store(0, MemoryOrder::Release);
    }
#ifndef NDEBUG
    bool is_held() const { return busy.load(MemoryOrder::Relaxed) && holder == mm_current_cpu(); }
#endif
    const char* name() const { return "frame-cache"; }
  };
  Frame* steal_cached();
  void refill_locked(CpuCache& cache);
  Frame* alloc_cached(FrameUse use, void* owner = nullptr, u64 index = 0);
  Frame* alloc_slow(unsigned order, FrameUse use);
  bool unref_last(Frame* frame, u32 old);
  Frame* alloc_block(unsigned order, FrameUse use);
  Frame* take_block_locked(unsigned order, unsigned highest);
  void free_cached(Frame* frame);
  void prepare_allocated(Frame* head, unsigned order, FrameUse use);

  void free_block_locked(u64 pfn, unsigned order);
  bool is_free_head(u64 pfn, unsigned order) const;
  u64 pfn_of(const Frame* frame) const { return m_base_pfn + static_cast<u64>(frame - m_frames); }

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
