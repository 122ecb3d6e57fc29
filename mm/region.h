// A region: one contiguous range of an address space with one protection and one backing (what
// /proc/PID/maps prints as a line, and what Linux calls a VMA). The address space keeps its regions in an AVL
// tree ordered by start address; regions never overlap.
//
// Backing: a region maps pages of a VM object starting at page m_object_page (file mappings, shared memory),
// or no object (private zero-fill memory; m_object_page is then 0). Private regions keep the pages they wrote in
// the address space's anon table (by virtual page number), so copy-on-write never changes the object.
//
// Regions are made in one place, Region::create (a new mapping, a new heap) and clone_range (a copy for fork,
// the upper part of a split); the address space owns them in its tree.
// Lock: the owning address space's lock.
#pragma once

#include "lib/avl_tree.h"
#include "lib/list.h"
#include "lib/own_ptr.h"
#include "lib/refptr.h"
#include "lib/assert.h"
#include "lib/result.h"
#include "mm/types.h"

class VmObject;
class AddressSpace;

namespace RegionFlag {
constexpr u32 Shared = 1 << 0;  // writes go to the object and are seen by every mapping (MAP_SHARED)
constexpr u32 Stack = 1 << 1;   // grows down on faults below it, up to the stack limit
constexpr u32 Heap = 1 << 2;    // the brk area
constexpr u32 Locked = 1 << 3;  // mlock(2): its pages stay in memory (page-out passes them over)
constexpr u32 DontFork = 1 << 4;    // MADV_DONTFORK: not in a forked child at all (Linux's VM_DONTCOPY)
constexpr u32 WipeOnFork = 1 << 5;  // MADV_WIPEONFORK: a forked child's copy starts empty (reads zeros)
}  // namespace RegionFlag

struct Region {
  AvlNode m_tree_node;          // in AddressSpace::m_regions
  ListNode m_object_link;       // in m_object's region list (reverse map)
  AddressSpace* m_space = nullptr;  // back-link to the owner
  VirtAddr m_start;             // page aligned
  VirtAddr m_end;               // page aligned, exclusive
  Prot m_prot = Prot::None;     // current permission
  Prot m_max_prot = Prot::All;  // what mprotect may raise it to (a read-only file limits this)
  u32 m_flags = 0;
  RefPtr<VmObject> m_object;    // nullptr: anonymous zero-fill
  u64 m_object_page = 0;        // page index in m_object that m_start maps

  // What a new region is: its range, rights, flags and backing.
  struct Spec {
    VirtAddr start;               // page aligned
    VirtAddr end;                 // page aligned, > start
    Prot prot = Prot::None;
    Prot max_prot = Prot::All;
    u32 flags = 0;                // RegionFlag
    VmObject* object = nullptr;   // nullptr: anonymous zero-fill; else the region takes a reference of its own
    u64 object_page = 0;          // page index in object that start maps (ignored without an object)
  };
  // A region not yet in any address space; NOMEM when the kernel heap is exhausted.
  static Result<OwnPtr<Region>> create(const Spec& spec) {
    DEBUG_ASSERT(spec.start < spec.end && spec.start.is_page_aligned() && spec.end.is_page_aligned());
    OwnPtr<Region> r(new Region(spec));
    if (!r) return Error::NOMEM;
    return r;
  }
  // A region like this one — the same rights, flags and object — over [start, end), a part of this one's range
  // (its window of the object moves along).
  Result<OwnPtr<Region>> clone_range(VirtAddr start, VirtAddr end) const {
    DEBUG_ASSERT(start >= m_start && end <= m_end);
    return create({.start = start,
                   .end = end,
                   .prot = m_prot,
                   .max_prot = m_max_prot,
                   .flags = m_flags,
                   .object = m_object.get(),
                   .object_page = m_object ? object_page_of(start) : 0});
  }

  ~Region();  // out of line: VmObject is incomplete here
  AS_NONCOPYABLE(Region);

  bool is_shared() const { return m_flags & RegionFlag::Shared; }
  bool is_private() const { return !is_shared(); }
  u64 size() const { return m_end - m_start; }
  u64 pages() const { return size() >> PAGE_SHIFT; }
  bool contains(VirtAddr va) const { return va >= m_start && va < m_end; }
  u64 object_page_of(VirtAddr va) const { return m_object_page + ((va - m_start) >> PAGE_SHIFT); }

  struct ByStart {
    static u64 key(const Region& r) { return r.m_start.get(); }
  };

 private:
  explicit Region(const Spec& spec);  // out of line: taking a reference to the object needs VmObject
};

using RegionTree = AvlTree<Region, &Region::m_tree_node, Region::ByStart>;
