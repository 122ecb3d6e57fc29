// AddressSpace: the user half of one process's memory, machine-independently.
//
//   regions    an ordered set (AVL tree) of non-overlapping Regions: text, data, bss, heap, stack, mmaps
//   anon       the private pages the process owns (AnonTable, by virtual page)
//   pmap       the machine's page tables, a cache of the above (mm/pmap.h)
//
// Nothing is allocated before it is touched: map() only records a region; the first access faults and
// handle_fault() (mm/fault.cpp) fills in the page — zero-fill, the shared zero page for reads, a page of a VM
// object, or a copy-on-write copy. fork() shares every private page copy-on-write, copying no page.
//
// Lock: m_lock (a spinlock; no operation sleeps today) protects everything here. Lock order: address space,
// then VM object, then the frame allocator and kernel heap.
#pragma once

#include "lib/list.h"
#include "lib/own_ptr.h"
#include "lib/refptr.h"
#include "lib/result.h"
#include "mm/anon_table.h"
#include "mm/mm_platform.h"
#include "mm/pmap.h"
#include "mm/region.h"
#include "mm/rmap.h"
#include "mm/vm_object.h"
#include "mm/vm_stats.h"

// Layout of the user half (Sv39 gives 256 GiB; the same numbers as Linux on riscv64 Sv39).
namespace user_layout {
constexpr u64 USER_END = MM_USER_END;          // first address past the user half (the platform's)
constexpr u64 STACK_TOP = USER_END;            // the initial stack ends here
constexpr u64 STACK_LIMIT = SpaceLimits::DEFAULT_STACK;  // RLIMIT_STACK's default: how far the stack may grow
constexpr u64 STACK_GUARD_GAP = 256 * PAGE_SIZE;  // kept free below the stack (Linux stack_guard_gap)
constexpr u64 MMAP_MIN_GAP = 128 * MiB;          // the mmap base is at least this far below the stack's top
constexpr u64 MMAP_MAX_GAP = USER_END / 6 * 5;    // and at most this far (Linux's MIN_GAP and MAX_GAP)
constexpr u64 MMAP_BASE = USER_END - MMAP_MIN_GAP;  // mmap allocates top-down from here (RLIMIT_STACK <= 127 MiB)
constexpr u64 MMAP_LEGACY_BASE = (USER_END / 3 + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE;  // bottom-up from here
                                                  // when RLIMIT_STACK is unlimited (Linux's TASK_UNMAPPED_BASE)
constexpr u64 MMAP_MIN = 0x10000;              // nothing is mapped below this (vm.mmap_min_addr)
constexpr u64 MAX_MAP_COUNT = 65530;           // vm.max_map_count
}  // namespace user_layout

enum class FaultResult : u8 {
  Resolved,
  NoRegion,     // no region covers the address: SIGSEGV with SEGV_MAPERR
  AccessError,  // the region forbids this access: SIGSEGV with SEGV_ACCERR
  OutOfMemory,  // no frame could be had: the process is killed
  BusError,     // past the end of the mapped object, or the page could not be read from swap: SIGBUS
  Interrupted,  // not resolved: the process is being killed (it dies on its way back to user mode)
  Retry,        // (inside mm/fault.cpp only: wait as FaultRetry says, then start over)
};
const char* fault_result_name(FaultResult r);

// What a fault step that returned Retry needs before the fault starts over (mm/fault.cpp).
struct FaultRetry {
  Frame* page = nullptr;     // a page being read from swap, referenced: wait until its read has ended
  VmObject* object = nullptr;  // with page: the page is this object's, being read from its file (both referenced)
  bool need_memory = false;  // no frame (or page-table page, or anon-table node) was free: reclaim first
};

class SwapArea;
Result<void> swapoff_bring_back(SwapArea& area);

namespace MapFlag {
constexpr u32 Fixed = 1 << 0;           // exactly at address, replacing what is there (MAP_FIXED)
constexpr u32 FixedNoReplace = 1 << 1;  // exactly at address, EEXIST if anything is there
constexpr u32 Shared = 1 << 2;          // MAP_SHARED
constexpr u32 Stack = 1 << 3;           // grows down
constexpr u32 Heap = 1 << 4;
constexpr u32 Populate = 1 << 5;        // fault every page in now (MAP_POPULATE)
constexpr u32 Locked = 1 << 6;          // its pages stay in memory (MAP_LOCKED; populated too)
}  // namespace MapFlag

// How remap (mremap(2)) may place the new range (Linux's MREMAP_* flags).
namespace RemapFlag {
constexpr u32 MayMove = 1 << 0;    // the range may move if it cannot grow where it is (MREMAP_MAYMOVE)
constexpr u32 Fixed = 1 << 1;      // move to exactly new_address, replacing what is there (MREMAP_FIXED)
constexpr u32 DontUnmap = 1 << 2;  // move, leaving the old range mapped but empty (MREMAP_DONTUNMAP)
}  // namespace RemapFlag

// madvise(2) advice that does something (the rest is accepted and ignored by the system call).
enum class Advice : u8 {
  DontNeed,       // drop the private pages: they read as zeros, or as the object, again (EINVAL on mlocked memory)
  DontNeedLocked, // MADV_DONTNEED_LOCKED: the same, mlocked memory too
  Free,           // MADV_FREE: the pages may go (here: at once, as DontNeed); private anonymous memory only
  WillNeed,       // read the object's pages in now (anonymous memory: nothing to read)
  Cold,           // MADV_COLD / MADV_PAGEOUT: candidates for page-out (nothing pages out yet: accepted)
  PopulateRead,   // fault every page in readable (MADV_POPULATE_READ), as a read would
  PopulateWrite,  // ... writable (MADV_POPULATE_WRITE), as a write would
  Remove,         // MADV_REMOVE: free a shared writable mapping's object pages (a hole punched in the file)
  DontFork,       // MADV_DONTFORK: a forked child gets no copy of the range (RegionFlag::DontFork)
  DoFork,         // MADV_DOFORK: undoes DontFork
  WipeOnFork,     // MADV_WIPEONFORK: a forked child's copy reads zeros (private anonymous memory only)
  KeepOnFork,     // MADV_KEEPONFORK: undoes WipeOnFork
  Hint,           // advice that changes nothing here (NORMAL, RANDOM, SEQUENTIAL, DONTDUMP...): checked only
};

struct MapRequest {
  VirtAddr address;     // hint, or the exact place with Fixed/FixedNoReplace
  u64 length = 0;       // bytes, rounded up to pages
  Prot prot = Prot::None;
  Prot max_prot = Prot::All;
  u32 flags = 0;        // MapFlag
  RefPtr<VmObject> object;  // nullptr: anonymous
  u64 object_page = 0;  // page index in object of the first page
};

struct AnonFamily;
class AddressSpace;

// What RLIMIT_AS and RLIMIT_DATA count (mm/limits.cpp).
struct VmTotals {
  u64 total = 0;  // pages of every region (Linux's total_vm)
  u64 data = 0;   // pages of private writable regions that are not stacks (data_vm)
};

// An address space's place in one anon family (below): it may map that family's frames.
struct FamilyMembership {
  ListNode family_link;   // in family->members, guarded by the family's lock
  ListNode space_link;    // in the space's m_memberships (set at creation, emptied at destruction)
  AddressSpace* space;
  AnonFamily* family;     // holds a reference
};

// One page as /proc/PID/smaps and /proc/PID/pagemap describe it (AddressSpace::page_state_locked).
struct PageState {
  bool is_present = false;    // mapped in the page tables: an access would not fault
  bool is_anonymous = false;  // the process's own private page (the anon layer), not a page of the region's object
  bool is_swapped = false;    // in swap: an anon slot holding a swap slot
  bool is_zero_page = false;  // the shared zero page (Linux counts it in no figure of smaps)
  bool is_referenced = false; // the page-table entry's accessed bit
  bool is_dirty = false;      // the page-table entry's dirty bit
  PhysAddr address;           // present: the frame's address
  u64 swap_slot = 0;          // swapped: where (the page's offset in its swap area)
  u32 swap_type = 0;          // swapped: which swap area (its index, Linux's swap type)
  u32 sharers = 0;            // mappings of the page: the anon slots holding the frame (a fork family's members),
                              // or the regions whose window covers the object's page
};

// What a user address's page is, for keys that must be the same in every address space mapping the page
// (shared futexes, Linux's get_futex_key): a page of a VM object, or (object == nullptr) memory private to one
// address space, which the caller keys by the address space and the address.
struct PageIdentity {
  RefPtr<VmObject> object;  // nullptr: private to this address space
  u64 object_page = 0;      // the page's index in object
};

// Reference-counted: the processes that share it (clone with CLONE_VM, vfork) each hold a reference, and the
// last to exec or exit frees it (Linux's mm_users). The threads of one process share their process's.
class AddressSpace : public RefCounted {
 public:
  // A new, empty address space in a family of its own (exec).
  static Result<OwnPtr<AddressSpace>> create();
  // Frees everything. No hart may be using its page tables.
  ~AddressSpace();
  AS_NONCOPYABLE(AddressSpace);

  // A copy-on-write copy of this address space, in its family (fork). When memory runs out on the way (the
  // child's tables and regions), it reclaims as a fault does and tries again: fork fails with ENOMEM only when
  // RAM and swap are both full (Linux's allocations in fork reclaim too). Sleeps then: no lock may be held.
  Result<OwnPtr<AddressSpace>> fork();

  Result<VirtAddr> map(const MapRequest& request);
  // munmap(2). A range longer than UNMAP_STEP goes in steps of it from its top, the lock dropped and a
  // preemption point between (unmap_in_steps); it stops early (INTR) when the process is being killed.
  Result<void> unmap(VirtAddr start, u64 length);
  static constexpr u64 UNMAP_STEP = 16ull << 20;
  // Before the last reference goes (exit, exec): empty a large address space in steps of UNMAP_STEP from the
  // top, with a preemption point between (the destructor then has little left to do, and holds the hart for
  // little). A small one is left to the destructor, which is faster. Nobody else may use the space any more.
  void release_in_steps();
  Result<void> protect(VirtAddr start, u64 length, Prot prot);
  // mremap(2) with Linux's rules and errno (mm/remap.cpp): shrink, grow in place, or move (RemapFlag). A move
  // carries the private pages along without copying them (a page still shared copy-on-write with another
  // member of the fork family is copied: a frame is held at one virtual page only, see AnonFamily).
  Result<VirtAddr> remap(VirtAddr old_address, u64 old_length, u64 new_length, u32 flags, VirtAddr new_address);
  // madvise(2) (mm/advise.cpp), walked region by region as Linux does: an error in one region stops the walk
  // (earlier regions keep the advice), a hole is NOMEM after the mapped parts took the advice.
  Result<void> advise(VirtAddr start, u64 length, Advice advice);
  // MADV_DONTNEED: drop the private pages of the range (they read as zeros, or as the file, again).
  Result<void> discard(VirtAddr start, u64 length) { return advise(start, length, Advice::DontNeed); }
  // mlock(2), mlock2, munlock, MAP_LOCKED: the range's pages stay in memory (RegionFlag::Locked: page-out passes
  // them over) or may go again. The whole range must be mapped (NOMEM otherwise). Lock brings the pages in now,
  // as Linux's populate does (a writable private page as the process's own copy; regions without access are
  // skipped); it may sleep (reads from swap, waits for memory). LockOnFault locks without bringing anything in.
  enum class LockMode { Unlock, Lock, LockOnFault };
  Result<void> set_locked(VirtAddr start, u64 length, LockMode mode);
  // mlockall(2)/munlockall(2): every region now (current), and those mapped from now on (future: MCL_FUTURE,
  // Linux's def_flags VM_LOCKED), with `mode`; Unlock clears both.
  Result<void> set_all_locked(bool current, bool future, LockMode mode);
  // mincore(2): for each page of [start, start + pages * PAGE_SIZE), 1 in out[i] if it is in memory now (mapped,
  // held by the anon table, in the swap cache, or a page its object holds), else 0. NOMEM if part of the range
  // is not mapped.
  Result<void> residency(VirtAddr start, u64 pages, u8* out) const;
  // Is all of [start, start + length) mapped? NOMEM if not (msync).
  Result<void> check_mapped(VirtAddr start, u64 length) const;

  // The identity of va's page for an access: FAULT if no region covers va or the region does not allow the
  // access. As Linux: a shared mapping's page is its object's; private memory the process may write is its own;
  // in a private mapping it may not write, only a file's page not yet copied has an identity (private anonymous
  // pages and the zero page there have none: FAULT).
  Result<PageIdentity> page_identity(VirtAddr va, Access access) const;

  // The program break (brk(2)). set_brk_base is called by exec with the end of the loaded image, and the size
  // of the program's data segment (Linux's end_data - start_data), which RLIMIT_DATA counts with the heap.
  void set_brk_base(VirtAddr base, u64 data_segment_bytes = 0);
  // Linux brk semantics: returns the new break, or the unchanged one if the request cannot be met.
  VirtAddr brk(VirtAddr requested);
  VirtAddr current_brk() const { return m_brk; }
  VirtAddr brk_start() const { return m_brk_start; }

  // Resolve a fault at va. `access` is what the faulting instruction tried. It may sleep (reading a page from
  // swap, waiting for memory), with no lock held; the trap handlers call it with interrupts off.
  FaultResult handle_fault(VirtAddr va, Access access);

  // Write into this address space from the kernel (exec building the new image and stack, before the
  // address space runs): pages are faulted in as for a user write.
  Result<void> write(VirtAddr va, const void* data, usize length);
  Result<void> fill_zero(VirtAddr va, usize length);

  void activate() { m_pmap->activate(); }
  void deactivate() { m_pmap->deactivate(); }

  // Where map() without a fixed address would put `length` bytes now (exec places the vDSO with it, as Linux's
  // get_unmapped_area does).
  Result<VirtAddr> find_free_range(u64 length) const;
  // Where mmap without an address looks, chosen by exec from RLIMIT_STACK as Linux's arch_pick_mmap_layout
  // (without its randomization): top-down from below the room the stack may take (RLIMIT_STACK and the guard
  // gap, between MMAP_MIN_GAP and MMAP_MAX_GAP below the top), or bottom-up from MMAP_LEGACY_BASE when the
  // stack is unlimited. A new address space has the top-down layout of the default limit; fork copies it.
  void set_mmap_layout(u64 stack_limit);
  VirtAddr mmap_base() const { return VirtAddr(m_mmap_base); }
  bool mmap_bottom_up() const { return m_mmap_bottom_up; }
  // Where exec mapped the vDSO (Linux's mm->context.vdso), 0 if it did not; fork copies it.
  VirtAddr vdso_base() const { return m_vdso_base; }
  void set_vdso_base(VirtAddr base) { m_vdso_base = base; }

  // For /proc: calls fn(const Region&) in address order, with the lock held.
  template <typename Fn>
  void for_each_region(Fn fn) const {
    SpinlockGuard guard(m_lock);
    for (Region* r = m_regions.first(); r; r = RegionTree::next(*r)) fn(*r);
  }
  // The region containing va (lock must be held), for diagnostics.
  const Region* find_region_locked(VirtAddr va) const;
  // What the page at va (in region r) holds, for /proc/PID/smaps and /proc/PID/pagemap (mm/inspect.cpp). The
  // lock must be held: call it from for_each_region's function. Changes nothing.
  PageState page_state_locked(const Region& r, VirtAddr va) const;
  Spinlock& lock() const { return m_lock; }

  u64 region_count() const { return m_regions.size(); }
  u64 resident_anon_pages() const { return m_anon.resident_pages(); }
  // Private pages on swap (/proc/PID/status VmSwap).
  u64 swapped_pages() const { return m_anon.swapped_pages(); }
  u64 page_table_pages() const { return m_pmap->table_pages() + m_anon.metadata_pages(); }
  u64 mapped_pages() const;
  VirtAddr stack_top() const { return VirtAddr(user_layout::STACK_TOP); }
  Pmap& pmap() { return *m_pmap; }
  // The file a private mapping maps shrank (MemoryObject::set_size, with this space's lock held): the mapping's
  // own copies of pages in [start, end), now past the end of the file, go with their mappings, as Linux's
  // unmap_mapping_range(even_cows) drops them; the next access there gets SIGBUS.
  void drop_private_copies_locked(VirtAddr start, VirtAddr end);

 private:
  AddressSpace() = default;
  // A new, empty address space in a new family of its own, also a member of every family `parent` is in
  // (fork), or of none (exec: parent nullptr).
  static Result<OwnPtr<AddressSpace>> create_from(const AddressSpace* parent);
  // fork() without the reclaim: one try.
  Result<OwnPtr<AddressSpace>> fork_once();
  // How many times fork reclaims and tries again before it gives up (each reclaim already waits for a page-out
  // round, or kills a process when nothing can go out).
  static constexpr u32 FORK_RECLAIM_TRIES = 8;
  Result<void> join(AnonFamily* family);
  // The family this space's new frames belong to (its own), and the oldest it is in (its exec's): the family
  // of a frame others may share after it was read back from swap, as Linux's root anon_vma.
  AnonFamily* own_family() const { return m_own_family; }
  AnonFamily* root_family() const { return m_memberships.front()->family; }
  Result<void> share_regions_locked(AddressSpace& child);

  // Steps of the fault handler (mm/fault.cpp, mm/swap_in.cpp).
  FaultResult handle_fault_locked(VirtAddr va, Access access, FaultRetry& retry);
  FaultResult handle_fault_again(VirtAddr va, Access access, FaultRetry& first);
  FaultResult wait_before_retry(FaultRetry& retry);
  Region* find_region_for_fault_locked(VirtAddr va);
  bool try_grow_stack_locked(Region& stack, VirtAddr va);
  FaultResult fault_private_locked(Region& r, VirtAddr page, Access access, FaultRetry& retry);
  FaultResult fault_private_read_locked(Region& r, VirtAddr page, FaultRetry& retry);
  FaultResult fault_private_write_locked(Region& r, VirtAddr page, FaultRetry& retry);
  FaultResult fault_shared_locked(Region& r, VirtAddr page, Access access, FaultRetry& retry);
  FaultResult swap_in_locked(Region& r, VirtAddr page, Access access, FaultRetry& retry);
  FaultResult start_swap_read_locked(SwapArea& area, SwapEntry entry, u64 vpn, FaultRetry& retry,
                                     bool read_ahead = true);
  Frame* new_anon_frame_locked(u64 vpn);
  Result<Frame*> object_page_locked(Region& r, VirtAddr page);
  FaultResult wait_for_object_page(Region& r, Frame* page, FaultRetry& retry);
  static void release_retry(FaultRetry& retry);

  // The reverse map's visits (mm/rmap.cpp): what this space does with frame f at vpn, if its slot holds f.
  enum class UnmapOne : u8 { NotHeld, Converted, Kept };
  bool clear_referenced_of_locked(u64 vpn, const Frame* f);
  bool clear_modified_of_locked(u64 vpn, const Frame* f, Pmap::FlushBatch& tlb);
  bool maps_locked_locked(u64 vpn, const Frame* f) const;
  UnmapOne unmap_to_swap_locked(u64 vpn, Frame* f, SwapEntry entry, Pmap::FlushBatch& tlb);
  // Swapoff (mm/swapoff.cpp): brings back up to `max` pages of area `area_index`; see there.
  struct SwapoffStep {
    u32 brought_back = 0;
    Frame* wait_for = nullptr;  // a page being read (referenced)
    bool need_memory = false;
    bool failed = false;        // a page could not be read
  };
  SwapoffStep swapoff_step_locked(unsigned area_index, u32 max);

  // Region bookkeeping (mm/map.cpp).
  Region* find_locked(VirtAddr va) const;
  // vm.max_map_count as Linux 6.1 counts it: a new mapping (mmap, brk) may be made while the space has at most
  // MAX_MAP_COUNT regions, so it may end with one more; a split for mprotect (split_vma) needs fewer than
  // MAX_MAP_COUNT; munmap's splits are checked once, by unmap_locked, only when they add a region.
  enum class CountCheck : u8 { Split, Unchecked };
  bool too_many_regions_for_mapping_locked() const;
  Result<Region*> split_locked(Region& r, VirtAddr at, CountCheck check = CountCheck::Split);  // r keeps [start, at), returns [at, end)
  Result<Region*> insert_locked(OwnPtr<Region> r, CountCheck check = CountCheck::Split);
  void erase_locked(Region* r);  // unlinks and deletes; caller already removed its pages
  void keep_shared_stores_locked(VirtAddr start, VirtAddr end);  // before a shared mapping's PTEs go
  void merge_around_locked(Region& first, VirtAddr end);
  void try_merge_locked(Region* r);
  Result<void> check_mapped_locked(Region* first, VirtAddr start, VirtAddr end, Prot prot) const;
  // keep_tables: the range is mapped again at once (MAP_FIXED over a mapping): its page tables stay.
  Result<void> unmap_locked(VirtAddr start, VirtAddr end, bool keep_tables = false);
  Result<void> unmap_in_steps(VirtAddr start, VirtAddr end, bool stop_when_killed);
  bool range_is_free_locked(VirtAddr start, VirtAddr end) const;
  Result<VirtAddr> find_free_range_locked(u64 length, VirtAddr hint) const;
  Result<void> populate_locked(VirtAddr start, VirtAddr end, Access access);

  // RLIMIT_AS, RLIMIT_DATA and RLIMIT_STACK (mm/limits.cpp), as Linux 6.1 applies them. The regions are counted
  // only when a limit that applies is set (no cost otherwise); Linux keeps the counts (total_vm, data_vm).
  VmTotals vm_totals_locked() const;
  // Linux's is_data_mapping: private, writable, not a stack.
  static bool is_data_mapping(Prot prot, u32 region_flags) {
    return has(prot, Prot::Write) && !(region_flags & (RegionFlag::Shared | RegionFlag::Stack));
  }
  // Linux's may_expand_vm: may `pages` more pages (data or not) be mapped? Without a limit that applies, at once.
  bool may_expand_locked(const SpaceLimits& limits, u64 pages, bool is_data) const {
    if (limits.address_space == SpaceLimits::NONE && (!is_data || limits.data == SpaceLimits::NONE)) return true;
    return within_limits_locked(limits, pages, is_data);
  }
  bool within_limits_locked(const SpaceLimits& limits, u64 pages, bool is_data) const;
  // Pages of [start, end) that are mapped now (what MAP_FIXED replaces: Linux's count_vma_pages_range).
  u64 mapped_pages_in_locked(VirtAddr start, VirtAddr end) const;
  // mprotect's check (mprotect_fixup): NOMEM when making part of [start, end) writable would pass RLIMIT_DATA.
  Result<void> protect_within_limits_locked(Region* first, VirtAddr start, VirtAddr end, Prot prot) const;
  // brk's check_data_rlimit: the heap up to `requested` plus the data segment within RLIMIT_DATA.
  bool brk_within_data_limit_locked(const SpaceLimits& limits, VirtAddr requested) const;
  // acct_stack_growth: may the stack grow to [new_start, its end)?
  bool stack_may_grow_locked(const Region& stack, VirtAddr new_start) const;

  void set_region_lock_locked(Region* first, VirtAddr end, u32 lock);
  Result<void> bring_in(VirtAddr start, VirtAddr end);
  Result<void> advise_walk(VirtAddr start, VirtAddr end, Advice advice);  // takes the lock
  Result<void> advise_region_locked(Region& r, VirtAddr start, VirtAddr end, Advice advice);
  Result<void> populate_advice(VirtAddr start, VirtAddr end, Access access);
  Result<void> set_region_flags_locked(Region& r, VirtAddr start, VirtAddr end, u32 set, u32 clear);

  // mremap's steps (mm/remap.cpp).
  Result<VirtAddr> remap_to_locked(VirtAddr old_address, u64 old_length, u64 new_length, u32 flags,
                                   VirtAddr new_address);
  Result<void> remap_unmap_locked(VirtAddr start, u64 length);
  Result<Region*> region_to_resize_locked(VirtAddr address, u64 old_length, u64 new_length, u32 flags);
  Result<VirtAddr> move_range_locked(Region& r, VirtAddr old_address, u64 old_length, u64 new_length,
                                     VirtAddr new_address, u32 flags);
  Result<void> move_anon_pages_locked(VirtAddr from, VirtAddr to, u64 pages);

  mutable Spinlock m_lock{"address-space"};
  RegionTree m_regions;            // guarded by m_lock
  Region* m_last_region = nullptr; // last fault hit (a cache), guarded by m_lock
  AnonTable m_anon;                // guarded by m_lock
  OwnPtr<Pmap, StaticDestroy<Pmap>> m_pmap;  // set once by create_in; its operations under m_lock
  // The families this space is in, oldest (the exec's) first, its own last. Set up by create_from, emptied
  // by the destructor.
  IntrusiveList<FamilyMembership, &FamilyMembership::space_link> m_memberships;
  AnonFamily* m_own_family = nullptr;  // the last of m_memberships (kept here: every new page needs it)
  VirtAddr m_brk_start;            // guarded by m_lock
  VirtAddr m_brk;                  // guarded by m_lock
  u64 m_data_segment_bytes = 0;    // the program's data segment (set by exec, copied by fork), guarded by m_lock
  LockMode m_future_lock = LockMode::Unlock;  // mlockall(MCL_FUTURE): how new regions are locked; guarded by m_lock
  VirtAddr m_vdso_base;            // set once by exec before the space runs, copied by fork
  u64 m_mmap_base = user_layout::MMAP_BASE;  // set_mmap_layout (exec, before the space runs), copied by fork
  bool m_mmap_bottom_up = false;

  friend struct AnonFamily;
  friend bool rmap_test_and_clear_referenced(Frame* page);
  friend bool rmap_test_and_clear_modified(Frame* page, Pmap::FlushBatch& tlb);
  friend bool rmap_is_locked(Frame* page);
  friend RmapUnmapResult rmap_unmap_to_swap(Frame* page, SwapEntry entry, Pmap::FlushBatch& tlb);
  friend Result<void> swapoff_bring_back(SwapArea& area);
};

// An anon family: the anonymous frames one address space allocated (Frame::anon_family() points here, at the
// frame's virtual page Frame::anon_vpn()), and the address spaces that may map them — that space and every one
// forked from it later, since fork shares frames at the same address. Each address space has a family of its
// own and is a member of every family its ancestors had when it was forked (Linux's anon_vma chains): the
// reverse map of a frame visits only the processes that can really hold it, not the whole fork tree.
//
// Once swap is on, families are never freed, only recycled (mm/anon_family.cpp): a frame's family pointer, even a stale one,
// always points to a family, so the reverse map can look through it safely (try_ref says whether it is alive).
// They are reference-counted by their memberships without ever being deleted: unref() of the last reference
// puts the family back in the pool and returns false (so a RefPtr never deletes one).
struct AnonFamily {
  static AnonFamily* create();  // one reference; nullptr when out of memory
  void ref() const { m_refcount.fetch_add(1, MemoryOrder::Relaxed); }
  bool unref() const;
  // A reference if the family is alive (count not 0).
  bool try_ref() const;
  u32 ref_count() const { return m_refcount.load(MemoryOrder::Relaxed); }

  Spinlock lock{"anon-family"};
  IntrusiveList<FamilyMembership, &FamilyMembership::family_link> members;  // guarded by lock
  ListNode m_all_link;   // in the list of every family ever made (anon_family.cpp), guarded by its lock
  ListNode m_free_link;  // in the pool while not alive, guarded by the same lock

  // Calls fn(AnonFamily&) for each live family, holding a reference to it (and no lock) during the call.
  template <typename Fn>
  static void for_each_alive(Fn fn);
  static AnonFamily* next_alive_after(AnonFamily* previous);  // with a reference; nullptr at the end
  // Families waiting in the pool for reuse (heap objects kept as a cache: /proc/kernel-stats).
  static u64 pooled_count();

 private:
  AnonFamily() = default;
  mutable Atomic<u32> m_refcount{0};
};

// A new anonymous frame for page vpn of this address space's own family, counted (the fault path's allocation; a
// move by mremap copies a page shared copy-on-write into one). It joins the pageable set (mm/pageable.h).
__attribute__((always_inline)) inline Frame* AddressSpace::new_anon_frame_locked(u64 vpn) {
  ASSERT_LOCKED(m_lock);
  Frame* f = g_phys.alloc_pageable(FrameUse::Anon, own_family(), vpn);
  if (!f) return nullptr;
  g_vm_stats.anon_pages.fetch_add(1, MemoryOrder::Relaxed);
  return f;
}

template <typename Fn>
void AnonFamily::for_each_alive(Fn fn) {
  for (AnonFamily* f = next_alive_after(nullptr); f;) {
    fn(*f);
    AnonFamily* next = next_alive_after(f);
    f->unref();
    f = next;
  }
}
