// The pmap: the machine-dependent page tables of one address space, seen by mm/ through a small interface in
// the terms of NetBSD's pmap(9):
//
//   create / destroy      the tables of a new address space (the kernel half is shared) / free them
//   enter(va, pa, prot)   map one page (replacing any mapping at va)
//   remove(start, end)    unmap a range
//   free_tables(start, end, floor, ceiling)   after remove: free the page-table pages that serve only [floor,
//                         ceiling) — the hole around an unmapped range, where no region is left — and reach into
//                         [start, end); update() frees them, once no hart can still walk them
//   protect(start, end, prot)  reduce the permissions of a range (never raises them)
//   extract(va)           va -> pa, if mapped
//   is_referenced / clear_referenced / is_modified / clear_modified   accessed and dirty state of one mapping
//   remove_page(va)       unmap one page and say whether it was modified: read and removed in one step, so
//                         that a store another hart makes meanwhile is never lost (page-out)
//   update()              carry out deferred TLB work (remove/protect may batch their flushes)
//   update_into(batch)    the same work, gathered into a Pmap::FlushBatch instead of done now; batch.flush()
//                         then does the work of every pmap gathered, at once (page-out: one remote fence per
//                         round, not one per page). Until flush() returns, the removed mappings may still be
//                         used by some hart's TLB: nothing they reached may be freed or trusted clean before.
//   activate()            make this address space current on this hart
//   deactivate()          if it is current on this hart, stop using it (the hart goes back to the kernel's tables)
//
// The contract (pmap(9)): a mapping is only a cache of what mm/ knows — mm/ keeps every page it owns in its own
// structures (anon tables, VM objects), so a fault can always rebuild a removed mapping. "Modified" must be
// exact; "referenced" may be approximate. Until update() returns, a removed or write-protected mapping may
// still be used by some hart's TLB.
//
// What pmap(9) calls pmap_page_protect (every mapping of one frame) is not part of this interface: mm/ can find
// each mapping of a frame itself and call protect/remove on it. An anonymous frame may be mapped only by the
// address spaces of its fork family (Frame::anon_family(), mm/address_space.h), each at the frame's virtual page
// (Frame::anon_vpn()); a page of a VM object only by the regions on that object's region list (mm/vm_object.h).
// Nothing needs it yet: page-out will.
//
// Two implementations satisfy the PmapInterface concept below: Sv39Pmap (arch/riscv/pmap.h) in the kernel and
// FakePmap (tests/host) in the host unit tests. Which one is "Pmap" comes from pmap_platform.h on the include
// path of each build.
#pragma once

#include <concepts>

#include "lib/result.h"
#include "mm/types.h"


template <typename P>
concept PmapInterface = requires(P& p, const P& cp, VirtAddr va, PhysAddr pa, Prot prot, PmapEnter how,
                                 typename P::FlushBatch& batch) {
  { P::create() } -> std::same_as<P*>;  // nullptr when out of memory
  { P::destroy(&p) } -> std::same_as<void>;
  { p.enter(va, pa, prot, how) } -> std::same_as<Result<void>>;
  { p.remove(va, va) } -> std::same_as<void>;
  { p.free_tables(va, va, va, va) } -> std::same_as<void>;
  { p.protect(va, va, prot) } -> std::same_as<void>;
  { cp.extract(va) } -> std::same_as<Result<PhysAddr>>;
  { cp.is_referenced(va) } -> std::same_as<bool>;
  { p.clear_referenced(va) } -> std::same_as<bool>;
  { cp.is_modified(va) } -> std::same_as<bool>;
  { p.clear_modified(va) } -> std::same_as<bool>;
  { p.remove_page(va) } -> std::same_as<bool>;
  { p.update() } -> std::same_as<void>;
  { p.update_into(batch) } -> std::same_as<void>;
  { batch.flush() } -> std::same_as<void>;
  { p.activate() } -> std::same_as<void>;
  { p.deactivate() } -> std::same_as<void>;
  { cp.table_pages() } -> std::same_as<u64>;
};

#include "pmap_platform.h"  // using Pmap = <the build's implementation>;

static_assert(PmapInterface<Pmap>, "the build's Pmap does not implement the pmap interface");
