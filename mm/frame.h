// Physical memory: one Frame descriptor for every 4 KiB frame of RAM, and a buddy allocator that hands out
// blocks of 2^order contiguous frames.
//
// Invariants:
//  - A free block of order k starts at a pfn that is a multiple of 2^k; its first frame has use == Free and
//    order == k and is linked on free list k; its other frames have use == Free and order == NOT_HEAD.
//  - use == Free means "on the free lists" and is written only under m_lock. A free frame in a CPU's cache is
//    Cached instead: the caches move frames in and out without m_lock, so another CPU merging a block under
//    m_lock may see such a frame's fields half-way through a move (use already Free, order still 0 from its
//    allocation, say). Whatever mix it sees, use is never Free, so it is never taken for a free buddy.
//  - An allocated frame has refcount >= 1 while it is in use; whoever drops the last reference frees it.
//  - Frames that are not RAM we may use (firmware, the kernel image, the device tree, the initrd) stay
//    Reserved forever and are never handed out.
// Lock: m_lock protects the free lists and counters, and the fields of Free frames. The fields of a Cached frame
// belong to its CPU's cache lock; those of an allocated frame to its current owner (the table above struct
// Frame says what they mean for each use).
#pragma once

#include "lib/assert.h"
#include "lib/atomic.h"
#include "lib/list.h"
#include "lib/types.h"
#include "mm/mm_platform.h"
#include "mm/types.h"

enum class FrameUse : u8 {
  Free,         // on the buddy allocator's free lists (only ever set or cleared under its lock)
  Cached,       // free, in a CPU's frame cache (PhysicalMemory::CpuCache)
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
constexpr unsigned FRAME_USES = static_cast<unsigned>(FrameUse::VmMeta) + 1;

const char* frame_use_name(FrameUse use);

struct AnonFamily;
class VmObject;

// One descriptor per frame of RAM. Three fields mean different things for different uses; the table says what
// (read them through the accessors below where there are some: they check the use in debug builds).
//
//   use          owner                           index                            link
//   Free         nullptr                         -                                on a free list (block heads)
//   Cached       nullptr                         -                                -
//   Heap         a slab: its size class;         a slab: its first free object    a slab: on its class's
//                a large block: nullptr          (a kernel address; 0: full)      partial list (and its live
//                                                                                 objects in slab_live)
//   PageTable    the Sv39Pmap (below the root)   -                                on the pmap's table list
//   Anon         the AnonFamily that may map it  the virtual page number it has   -
//                (anon_family; nullptr for a     in that family (anon_vpn)
//                page read ahead from swap and
//                not mapped yet)
//   File         the VmObject holding it         its page index in the object     -
//                (object; nullptr once dropped)  (object_page)
//   VmMeta       -                               the node's group summary         -
//                                                (radix_summary, mm/radix_table.h)
//   Kernel, KernelStack, Zero, Reserved: none of the three.
//
// Pageable frames (Anon; later clean File pages) also use page_flags, lru_flags, lru_link and swap: see
// mm/pageable.h and mm/swap_area.h.
struct Frame {
  ListNode link;                   // free list while free; the owner's lists otherwise
  Atomic<u32> refcount{0};
  FrameUse use = FrameUse::Reserved;
  u8 order = 0;                    // order of the free block this frame heads (free frames only)
  // Two bytes, two locks: each byte is its own memory location, written only with byte stores under its own
  // lock, so a change of one never undoes a concurrent change of the other (no read-modify-write spans both).
  union {
    u16 slab_live = 0;  // Heap: a slab's live objects (mm/heap.cpp)
    struct {
      // The state of the page's contents (PageFlag). Anonymous pages: in the swap cache, being read, being
      // written, written to since its swap copy was made; guarded by the lock of the swap area whose cache
      // holds the page. File pages (the page cache, mm/vm_object.h): Dirty, Busy, Error; guarded by the lock
      // of the object holding the page. Read without the lock only where the comments say why that is safe.
      u8 page_flags;
      // Pageable frames: the page's place in the pageable set (LruFlag, and four bits of the replacement
      // policy's own). Guarded by the pageable-set lock (mm/pageable.h).
      u8 lru_flags;
    };
  };
  void* owner = nullptr;           // documented back-link, see the table
  u64 index = 0;                   // see the table
  // Pageable frames: the replacement policy's lists, or a page-out batch while the page is being paged out.
  // (Also what makes a descriptor 64 bytes, so finding a frame's number from its descriptor is a shift, not a
  // division, on every fault.)
  ListNode lru_link;
  u64 swap = 0;                    // a page in the swap cache: its SwapEntry (raw); guarded like page_flags

  static constexpr u8 NOT_HEAD = 0xff;

  // Free for the allocator: on its free lists or in a CPU's cache (both count as free memory).
  bool is_free() const { return use == FrameUse::Free || use == FrameUse::Cached; }
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
  // The replacement policy's four bits (mm/replacement.h).
  u8 policy_bits() const { return lru_flags >> 4; }
  void set_policy_bits(u8 bits) { lru_flags = static_cast<u8>((lru_flags & 0x0f) | (bits << 4)); }
};
static_assert(sizeof(Frame) == 64, "a power of two keeps descriptor arithmetic to shifts");

// Frame::page_flags of pageable frames.
namespace PageFlag {
constexpr u8 SwapCache = 1 << 0;  // bound to the swap slot in Frame::swap (mm/swap_area.h)
constexpr u8 Busy = 1 << 1;       // being read from swap: the contents are not there yet; faults wait for it
constexpr u8 Error = 1 << 2;      // the read failed (the faults that waited for it get SIGBUS)
constexpr u8 Writeback = 1 << 3;  // being written to swap (the page stays mapped and usable meanwhile)
constexpr u8 Dirty = 1 << 4;      // written to since its swap copy was made: that copy is stale
constexpr u8 CacheOwned = 1 << 5; // the swap cache holds a reference: a page read (or read ahead) that no
                                  // anon-table slot holds yet; the first fault that takes it takes that reference
constexpr u8 ReadAhead = 1 << 6;  // read ahead of a fault, not yet used by one (for the read-ahead statistics)
constexpr u8 ErrorNearby = 1 << 7;  // with Error: the failed read was of several pages (read-ahead), so the error
                                    // may be another page's: the faults that waited read their page again alone
}  // namespace PageFlag

// Frame::lru_flags (the low four bits; the high four are the replacement policy's).
namespace LruFlag {
constexpr u8 Fresh = 1 << 0;      // just allocated: still in its CPU's hand-over list, not yet in the set
constexpr u8 Orphan = 1 << 1;     // freed while Fresh: the hand-over frees it instead of adding it
constexpr u8 InSet = 1 << 2;      // held by the replacement policy
constexpr u8 Isolated = 1 << 3;   // taken out by page-out, which holds a reference to it
}  // namespace LruFlag

// Takes one reference to a frame unless its count is already 0 (it is being freed): for code that finds a frame
// through a structure that does not own it (the swap cache).
inline bool frame_try_ref(Frame* f) {
  u32 count = f->refcount.load(MemoryOrder::Relaxed);
  while (count != 0)
    if (f->refcount.compare_exchange(count, count + 1, MemoryOrder::Acquire)) return true;
  return false;
}

// Frame::page_flags of File frames (the page cache, mm/vm_object.h), under the object lock. Dirty, Busy and Error
// are the same bits as PageFlag's, so that they mean one thing on every pageable page (page_wait.h waits for
// Busy on both kinds); SwapCache (bit 0) is never set on a File frame.
// (Dirty was once in a u16 `flags` overlapping lru_flags: a read-modify-write of it under the object lock could
// undo a concurrent change of lru_flags under the pageable-set lock; host test mm/page_cache "the Dirty bit and
// the replacement bits change independently".)
namespace FrameFlag {
constexpr u8 Dirty = PageFlag::Dirty;  // differs from the disk
constexpr u8 Busy = PageFlag::Busy;    // in the object, its contents not read from the disk yet: wait for it
constexpr u8 Error = PageFlag::Error;  // reading it failed (out of the object: the next access reads again)
constexpr u8 Reading = 1 << 3;         // with Busy: someone is reading it (the others wait)
constexpr u8 Accessed = 1 << 6;        // read() or write() used it since page-out last asked
}  // namespace FrameFlag

constexpr unsigned MAX_ORDER = 10;  // blocks of up to 2^10 frames = 4 MiB
constexpr unsigned MM_MAX_CPUS = 8;
constexpr unsigned FRAME_CACHE_SIZE = 64;   // single frames each CPU keeps ready (no lock needed)
constexpr unsigned FRAME_CACHE_BATCH = 32;  // moved between a CPU's cache and the buddy lists at a time
constexpr unsigned FRESH_BATCH = 32;        // new pageable frames handed over to the pageable set at a time...
constexpr unsigned FRESH_MAX = 64;          // ...when its lock is free; waiting for it only with this many

// Which allocations must leave the reserve alone: memory a program can make the kernel allocate without bound
// (its pages, their bookkeeping, their page tables). The kernel's own allocations may use the reserve.
constexpr bool is_user_driven(FrameUse use) {
  return use == FrameUse::Anon || use == FrameUse::File || use == FrameUse::VmMeta || use == FrameUse::PageTable;
}

struct MemoryCounters {
  u64 total_frames;      // usable RAM managed by the allocator (excludes reserved)
  u64 free_frames;
  u64 reserved_frames;   // firmware, kernel image, device tree, initrd
  u64 used_by[FRAME_USES];  // frames in use, per FrameUse (Free and Cached stay 0)
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
  // One pageable frame (an anonymous page): like alloc_owned, and the frame joins the pageable set
  // (mm/pageable.h). It is first put on its CPU's hand-over list, under the cache lock the allocation takes
  // anyway, and handed over to the set a batch at a time: the fault path pays a few stores, not a lock.
  Frame* alloc_pageable(FrameUse use, void* owner, u64 index) {
    if (Frame* f = alloc_cached_pageable(use, owner, index)) return f;
    return alloc_pageable_slow(use, owner, index);
  }
  // A page of the page cache: a pageable frame that joins the pageable set whether or not anonymous ones do
  // (a clean file page can always be dropped and read again, swap or not). Not on the fault path's fast way.
  Frame* alloc_file_page(void* owner, u64 index) { return alloc_pageable_slow(FrameUse::File, owner, index, true); }
  // Whether new pageable frames join the pageable set. Off at boot: with no swap area (and no page cache
  // asking for its pages), page-out has nowhere to put an anonymous page, so the pages need not be tracked and
  // the fault path does not pay for it (Linux's reclaim also leaves anonymous pages alone without swap).
  // track_pageable_frames() turns it on for good (the first swapon) and adopts the pageable frames already in
  // use into the set.
  bool tracks_pageable() const { return m_tracks_pageable.load(MemoryOrder::Relaxed); }
  void track_pageable_frames();
  // Hands every CPU's list of new pageable frames over to the pageable set now (page-out wants to see every
  // page; the leak checks want the frames freed while still on a list).
  void hand_over_fresh_pages();

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

  u64 pfn_of(const Frame* frame) const { return m_base_pfn + static_cast<u64>(frame - m_frames); }
  // All frames, in physical order (the tests; /proc).
  u64 frame_count() const { return m_end_pfn - m_base_pfn; }
  Frame* frame_at(u64 i) const { return &m_frames[i]; }

  u64 free_frames() const { return m_free_frames.load(MemoryOrder::Relaxed); }
  u64 total_frames() const { return m_total_frames; }
  MemoryCounters counters() const;
  // Consistency check of the free lists and the CPU caches (tests; debug commands; nothing may allocate or free
  // meanwhile: the caches are read without their locks).
  bool check() const;

  // Watermarks, in frames (mm/pageable.h says how they are chosen). User-driven allocations (is_user_driven)
  // fail rather than take the last `min` free frames: those are the kernel's, so that neither page-out nor any
  // other kernel work fails because programs used all memory. An allocation that leaves fewer than `low` free
  // calls the low-memory hook (which wakes the page-out thread; it works until `high` are free).
  void set_watermarks(u64 min, u64 low, u64 high) { m_min = min, m_low = low, m_high = high; }
  u64 watermark_min() const { return m_min; }
  u64 watermark_low() const { return m_low; }
  u64 watermark_high() const { return m_high; }
  void set_low_memory_hook(void (*hook)()) { m_low_memory_hook = hook; }
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
    Frame* fresh[FRESH_MAX];  // pageable frames allocated here and not yet handed over; guarded by busy
    unsigned fresh_count = 0;   // guarded by busy
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
  void refill_locked(CpuCache& cache, FrameUse use);
  Frame* to_cache_locked(Frame* frame);
  void from_cache_locked(Frame* frame);
  Frame* alloc_cached(FrameUse use, void* owner = nullptr, u64 index = 0);
  Frame* alloc_cached_pageable(FrameUse use, void* owner, u64 index);
  Frame* take_pageable_locked(CpuCache& cache, FrameUse use, void* owner, u64 index, bool track);
  Frame* alloc_pageable_slow(FrameUse use, void* owner, u64 index, bool always_track = false);
  void hand_over_locked(CpuCache& cache, bool wait);
  void put_in_cache_locked(CpuCache& cache, Frame* frame);
  Frame* alloc_slow(unsigned order, FrameUse use);
  bool unref_last(Frame* frame, u32 old);
  Frame* alloc_block(unsigned order, FrameUse use);
  Frame* take_block_locked(unsigned order, unsigned highest);
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
  u64 m_min = 0, m_low = 0, m_high = 0;   // watermarks; set at boot
  Atomic<bool> m_tracks_pageable{false};  // see tracks_pageable
  void (*m_low_memory_hook)() = nullptr;
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
