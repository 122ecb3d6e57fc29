// Sv39Pmap: the page tables of one user address space (RISC-V privileged spec 4.3-4.4), behind the
// machine-independent pmap interface of mm/pmap.h.
//
// - The root table's upper half (entries 256-511) is copied from the kernel page table, whose second-level
//   tables are shared, so every address space sees the same kernel mappings (all with PTE G set).
// - Each pmap gets an ASID (satp.ASID) when first activated. Activation writes satp and then flushes that ASID
//   on this hart (sfence.vma zero, asid), so entries cached from an earlier run of the same ASID on this hart can
//   never be used: remote flushes are then needed only on harts where the pmap is active right now.
// - remove() and protect() record which addresses need a TLB flush; update() flushes them (per page, or the
//   whole ASID beyond a threshold) locally and, through the SBI RFENCE extension, on other harts running it.
// - Leaves are entered with A set (and D when the page is written at once), so hardware without A/D
//   updating does not fault again; QEMU also updates A/D itself.
// Lock: the owning address space's lock serialises enter/remove/protect/update on one pmap.
#pragma once

#include "lib/atomic.h"

#include "arch/riscv/pte.h"
#include "lib/list.h"
#include "lib/result.h"
#include "mm/frame.h"
#include "mm/types.h"


// Remote TLB flushes sent by update() (one SBI request each, whatever its range) and the harts they reached, for
// /proc/kernel-stats (Linux's nr_tlb_remote_flush and nr_tlb_remote_flush_received).
extern Atomic<u64> g_tlb_remote_flushes;
extern Atomic<u64> g_tlb_remote_flush_harts;

class Sv39Pmap {
 public:
  static Sv39Pmap* create();
  static void destroy(Sv39Pmap* pmap);

  // Inline: the fast path (both intermediate tables exist) is on every page fault.
  Result<void> enter(VirtAddr va, PhysAddr pa, Prot prot, PmapEnter how) {
    u64 v = va.get();
    Pte* e = fast_slot(v);
    if (UNLIKELY(!e)) return enter_slow(va, pa, prot, how);
    Pte old = *e;
    *e = leaf_for(pa, prot, how);
    if (UNLIKELY(!runs_here_only())) {
      flush_shared(v, old, *e);
      return {};
    }
    sfence_vma(v, m_asid);
    return {};
  }
  void remove(VirtAddr start, VirtAddr end);
  void free_tables(VirtAddr start, VirtAddr end, VirtAddr floor, VirtAddr ceiling);
  void protect(VirtAddr start, VirtAddr end, Prot prot);
  Result<PhysAddr> extract(VirtAddr va) const;
  bool is_referenced(VirtAddr va) const;
  bool clear_referenced(VirtAddr va);
  bool is_modified(VirtAddr va) const;
  bool clear_modified(VirtAddr va);
  bool remove_page(VirtAddr va);
  void update() {
    if (m_pending_count) update_slow();
  }
  // TLB work of several pmaps done at once (mm/pmap.h): the harts that ran one of them when its work was
  // gathered; flush() fences each of them once, whole TLBs (QEMU drops its whole soft TLB on any sfence.vma).
  struct FlushBatch {
    u64 cpus = 0;  // bit i: g_cpus[i]
    void flush();
  };
  void update_into(FlushBatch& batch) {
    if (m_pending_count) update_into_slow(batch);
  }
  void activate();
  // Switch this hart to the kernel's own table, leaving whatever pmap it ran.
  static void activate_kernel();
  void deactivate() {
    if (this_cpu()->active_pmap == this) activate_kernel();
  }
  // The harts (bit = hart index) where this pmap is loaded now (membarrier's targets: the harts running a thread
  // of this address space).
  u64 active_harts() const { return m_active_harts.load(MemoryOrder::Acquire); }
  u64 table_pages() const { return m_table_pages; }

 private:
  Sv39Pmap() = default;
  Pte* leaf(VirtAddr va) const;
  void note_flush(VirtAddr va);
  void update_slow();
  void update_into_slow(FlushBatch& batch);
  Result<void> enter_slow(VirtAddr va, PhysAddr pa, Prot prot, PmapEnter how);
  static Pte leaf_for(PhysAddr pa, Prot prot, PmapEnter how);
  // The leaf entry for va when both intermediate tables exist (every fault but the first in a 2 MiB range).
  Pte* fast_slot(u64 va) const {
    Pte l2 = root_table()[sv39::vpn(va, 2)];
    if (UNLIKELY(!l2.is_table())) return nullptr;
    Pte l1 = table_at(l2.address())[sv39::vpn(va, 1)];
    if (UNLIKELY(!l1.is_table())) return nullptr;
    return &table_at(l1.address())[sv39::vpn(va, 0)];
  }
  Pte* root_table() const { return table_at(m_root); }
  static Pte* table_at(PhysAddr pa);
  Pte* slow_slot(u64 va);
  // After a leaf was written: is this pmap loaded on this hart and no other (the common case: a process with one
  // thread)? The fence orders the entry's store before the load of m_active_harts, as activate() orders its
  // bit before its table walks: a hart that starts running this pmap either is seen here or sees the new entry.
  bool runs_here_only() const {
    Cpu* c = this_cpu();
    asm volatile("fence w, r" ::: "memory");
    return c->active_pmap == this && m_active_harts.load(MemoryOrder::Relaxed) == (1ull << c->index);
  }
  // A leaf was entered (old -> fresh) where the pmap is loaded elsewhere too (or not here). Even an
  // invalid-to-valid change needs a fence before the new translation is guaranteed to be used (spec 4.2.1):
  // this hart's is done now. Other harts need one only if they may hold a translation that must not be used
  // any more (the entry pointed to another frame, or allowed more): update() sends it. A fresh entry, or one
  // that only allows more, costs them at most one more fault, which fences on its own hart (as Linux's riscv
  // update_mmu_cache does).
  void flush_shared(u64 va, Pte old, Pte fresh);

  PhysAddr m_root;
  u64 m_table_pages = 0;          // page-table pages below the root, plus the root
  // Every table page below the root (linked through Frame::link), so destroy() frees them without a walk.
  IntrusiveList<Frame, &Frame::link> m_tables;
  // Tables free_tables() unlinked: freed by the next update(), after the fence (a hart may still be walking them).
  IntrusiveList<Frame, &Frame::link> m_dead_tables;
  friend struct UserTableMemory;
  u16 m_asid = 0;                 // 0 = none yet
  u64 m_asid_generation = 0;
  Atomic<u64> m_active_harts{0};  // bit = hart index where this pmap is loaded in satp
  // Deferred flushes since the last update().
  static constexpr unsigned MAX_PENDING = 16;
  u64 m_pending[MAX_PENDING];
  // The pages noted; m_pending_all once more than MAX_PENDING were (then update() flushes the whole ASID, and
  // m_pending_count stays at MAX_PENDING, so that update() tests that one word).
  unsigned m_pending_count = 0;
  bool m_pending_all = false;
};

// Inline parts of Sv39Pmap (they need the Cpu and the direct map).
#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/memlayout.h"

inline Pte* Sv39Pmap::table_at(PhysAddr pa) { return phys_to_virt<Pte>(pa.get()); }

// A user leaf: U always, A preset (hardware without A/D updating would fault otherwise), D when written now.
inline Pte Sv39Pmap::leaf_for(PhysAddr pa, Prot prot, PmapEnter how) {
  u64 bits = pte_bits_for(prot) | Pte::U | Pte::A;
  if (how == PmapEnter::Dirty && (bits & Pte::W)) bits |= Pte::D;
  return Pte::leaf(pa, bits);
}


