// Walking and editing Sv39 page tables (RISC-V privileged spec 4.3.2 "Virtual Address Translation Process",
// with the Sv39 parameters of 4.4).
//
// The walker does not know where page-table pages come from: the TableMemory it is given allocates, frees and
// addresses them. In the kernel that is the frame allocator and the direct map (arch/riscv/pmap.cpp); in the
// host tests it is a plain memory arena, so the same code is unit-tested on the build machine.
//
//   TableMemory must provide:
//     PhysAddr alloc_table();            a zeroed 4 KiB page, or PhysAddr(0) when memory is exhausted
//     void free_table(PhysAddr);
//     Pte* table_ptr(PhysAddr);          the 512 entries of a table page
//
// TLB maintenance is not done here: callers (the pmap) know which changes need which fence.
#pragma once

#include "arch/riscv/pte.h"
#include "lib/result.h"

template <typename TableMemory>
class Sv39Walker {
 public:
  Sv39Walker(TableMemory& mem, PhysAddr root) : m_mem(mem), m_root(root) {}

  PhysAddr root() const { return m_root; }

  // The entry that maps va at `level` (0: 4 KiB, 1: 2 MiB, 2: 1 GiB). With `create`, missing intermediate
  // tables are allocated; returns nullptr if one is missing (or cannot be allocated), or if a superpage leaf
  // is in the way.
  Pte* slot(u64 va, unsigned level, bool create) {
    Pte* table = m_mem.table_ptr(m_root);
    for (unsigned l = sv39::LEVELS - 1; l > level; l--) {
      Pte* e = &table[sv39::vpn(va, l)];
      if (!e->is_valid()) {
        if (!create) return nullptr;
        PhysAddr next = m_mem.alloc_table();
        if (next.get() == 0) return nullptr;
        *e = Pte::table(next);
      } else if (e->is_leaf()) {
        return nullptr;
      }
      table = m_mem.table_ptr(e->address());
    }
    return &table[sv39::vpn(va, level)];
  }

  // The leaf that translates va, and its level; nullptr if va is unmapped.
  Pte* find_leaf(u64 va, unsigned* level_out = nullptr) {
    // LAB pmap: BEGIN SOLUTION
    Pte* table = m_mem.table_ptr(m_root);
    for (int l = sv39::LEVELS - 1; l >= 0; l--) {
      Pte* e = &table[sv39::vpn(va, static_cast<unsigned>(l))];
      if (!e->is_valid()) return nullptr;
      if (e->is_leaf()) {
        if (level_out) *level_out = static_cast<unsigned>(l);
        return e;
      }
      if (l == 0) return nullptr;  // a non-leaf at level 0 is malformed (spec 4.3.2 step 4)
      table = m_mem.table_ptr(e->address());
    }
    return nullptr;
    // LAB pmap: STUDENT
    // // TODO(lab pmap, exercise 1): walk from the root table down to the leaf that maps va (labs/pmap/README.md).
    // (void)va;
    // (void)level_out;
    // return nullptr;
    // LAB pmap: END
  }

  // Map [va, va+size) to [pa, pa+size) with leaf `flags` (V is added). With allow_superpages, 1 GiB and
  // 2 MiB leaves are used wherever va, pa and the remaining size are aligned to them.
  Result<void> map_range(u64 va, PhysAddr pa, u64 size, u64 flags, bool allow_superpages) {
    u64 end = va + size;
    while (va < end) {
      unsigned level = 0;
      if (allow_superpages) {
        for (unsigned l = sv39::LEVELS - 1; l > 0; l--) {
          u64 s = sv39::LEVEL_SIZE[l];
          if (is_aligned(va, s) && is_aligned(pa.get(), s) && end - va >= s) {
            level = l;
            break;
          }
        }
      }
      Pte* e = slot(va, level, true);
      if (!e) return Error::NOMEM;
      *e = Pte::leaf(pa, flags);
      va += sv39::LEVEL_SIZE[level];
      pa = pa + sv39::LEVEL_SIZE[level];
    }
    return {};
  }

  // Calls fn(u64 va, Pte& leaf, unsigned level) for every valid leaf overlapping [start, end), skipping absent
  // subtrees in one step each.
  template <typename Fn>
  void for_each_leaf(u64 start, u64 end, Fn&& fn) {
    visit(m_mem.table_ptr(m_root), sv39::LEVELS - 1, 0, start, end, fn);
  }

  // Like for_each_leaf, but hands over the entries of each last-level table in the range at once:
  // run(u64 va_of_first, Pte* first, unsigned count) for runs of 4 KiB entries (valid or not), and
  // big(u64 va, Pte& leaf, unsigned level) for superpage leaves. For the hot loops of the pmap (protect and
  // remove over a whole region), where a call per entry would cost more than the work.
  template <typename Run, typename Big>
  void for_each_last_level_run(u64 start, u64 end, Run&& run, Big&& big) {
    visit_runs(m_mem.table_ptr(m_root), sv39::LEVELS - 1, 0, start, end, run, big);
  }

  // Free every table page reachable from the root entries covering [start, end) (whole root slots only;
  // leaves are not touched: unmap them first). Used when an address space is destroyed.
  void free_subtables(u64 start, u64 end) {
    Pte* root = m_mem.table_ptr(m_root);
    for (unsigned i = sv39::vpn(start, 2); i < sv39::ENTRIES && (u64(i) << 30) < end; i++) {
      if (root[i].is_table()) {
        free_table_recursive(root[i].address(), 1);
        root[i] = Pte();
      }
    }
  }

  // Unlink the tables that serve only addresses in [floor, ceiling) and reach into [start, end): a level-1 table
  // (1 GiB of addresses) or a level-0 table (2 MiB) whose whole span lies in [floor, ceiling) (munmap: the hole
  // left around the range; Linux's free_pgtables). release(PhysAddr) gets each one, the tables below a level-1
  // table first. The caller frees them only once no hart can still walk them: a hart may cache non-leaf entries
  // too, so that takes a fence of the whole address space (spec 4.2.1, SFENCE.VMA with rs1 = x0). Leaves must
  // be gone from [floor, ceiling) already: they are not looked at.
  template <typename Release>
  void unlink_tables(u64 start, u64 end, u64 floor, u64 ceiling, Release&& release) {
    constexpr u64 TOP_SPAN = sv39::LEVEL_SIZE[2], MID_SPAN = sv39::LEVEL_SIZE[1];
    Pte* root = m_mem.table_ptr(m_root);
    for (u64 va = align_down(start, TOP_SPAN); va < end; va += TOP_SPAN) {
      Pte& top = root[sv39::vpn(va, 2)];
      if (!top.is_table()) continue;
      if (va >= floor && va + TOP_SPAN <= ceiling) {
        release_subtree(top.address(), 1, release);
        top = Pte();
        continue;
      }
      Pte* mid = m_mem.table_ptr(top.address());
      u64 lo = start > va ? start : va;
      u64 hi = end < va + TOP_SPAN ? end : va + TOP_SPAN;
      for (u64 v = align_down(lo, MID_SPAN); v < hi; v += MID_SPAN) {
        Pte& e = mid[sv39::vpn(v, 1)];
        if (e.is_table() && v >= floor && v + MID_SPAN <= ceiling) {
          release(e.address());
          e = Pte();
        }
      }
    }
  }

 private:
  template <typename Fn>
  void visit(Pte* table, unsigned level, u64 base, u64 start, u64 end, Fn& fn) {
    // LAB pmap: BEGIN SOLUTION
    u64 span = sv39::LEVEL_SIZE[level];
    unsigned first = start > base ? static_cast<unsigned>((start - base) / span) : 0;
    for (unsigned i = first; i < sv39::ENTRIES; i++) {
      u64 va = base + u64(i) * span;
      if (va >= end) break;
      Pte& e = table[i];
      if (!e.is_valid()) continue;
      if (e.is_leaf()) {
        fn(va, e, level);
      } else if (level > 0) {
        visit(m_mem.table_ptr(e.address()), level - 1, va, start, end, fn);
      }
    }
    // LAB pmap: STUDENT
    // // TODO(lab pmap, exercise 2): call fn for every valid leaf below `table` (which maps from `base`, at
    // // `level`) that overlaps [start, end), skipping whole subtrees outside the range.
    // (void)table;
    // (void)level;
    // (void)base;
    // (void)start;
    // (void)end;
    // (void)fn;
    // LAB pmap: END
  }

  template <typename Run, typename Big>
  void visit_runs(Pte* table, unsigned level, u64 base, u64 start, u64 end, Run& run, Big& big) {
    u64 span = sv39::LEVEL_SIZE[level];
    unsigned first = start > base ? static_cast<unsigned>((start - base) / span) : 0;
    if (level == 0) {
      u64 limit = (end - base + span - 1) / span;
      unsigned last = limit < sv39::ENTRIES ? static_cast<unsigned>(limit) : sv39::ENTRIES;
      if (first < last) run(base + u64(first) * span, table + first, last - first);
      return;
    }
    for (unsigned i = first; i < sv39::ENTRIES; i++) {
      u64 va = base + u64(i) * span;
      if (va >= end) break;
      Pte& e = table[i];
      if (!e.is_valid()) continue;
      if (e.is_leaf())
        big(va, e, level);
      else
        visit_runs(m_mem.table_ptr(e.address()), level - 1, va, start, end, run, big);
    }
  }

  void free_table_recursive(PhysAddr table_pa, unsigned level) {
    auto free_now = [&](PhysAddr pa) { m_mem.free_table(pa); };
    release_subtree(table_pa, level, free_now);
  }

  // release(pa) for every table below table_pa (a table at `level`), then for table_pa itself.
  template <typename Release>
  void release_subtree(PhysAddr table_pa, unsigned level, Release& release) {
    if (level > 0) {
      Pte* t = m_mem.table_ptr(table_pa);
      for (unsigned i = 0; i < sv39::ENTRIES; i++)
        if (t[i].is_table()) release_subtree(t[i].address(), level - 1, release);
    }
    release(table_pa);
  }

  TableMemory& m_mem;
  PhysAddr m_root;
};
