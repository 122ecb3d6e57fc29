// Test fixtures over the host memory arena (mm_platform/mm_platform_impl.h):
//   TestRam           a PhysicalMemory managing a fresh arena, with its own Frame descriptors;
//   ArenaTableMemory  the TableMemory of Sv39Walker (arch/riscv/sv39.h) on top of a TestRam: page-table pages
//                     come from the frame allocator, like in the kernel, with an optional budget to simulate
//                     exhaustion and a record of live tables to catch leaks and bad frees.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <set>

#include "arch/riscv/pte.h"
#include "mm/frame.h"

class TestRam {
 public:
  // RAM of `size` bytes at physical address `base`, all Reserved until add_free_range (or free_all).
  explicit TestRam(u64 size = 8 * MiB, PhysAddr base = PhysAddr(HostArena::DEFAULT_BASE))
      : m_arena(size, base), m_frame_count(size / PAGE_SIZE), m_frames(new Frame[m_frame_count]) {
    m_phys.init(base.pfn(), base.pfn() + m_frame_count, m_frames.get());
  }

  PhysicalMemory& phys() { return m_phys; }
  u64 frame_count() const { return m_frame_count; }
  PhysAddr base() const { return HostArena::base(); }
  PhysAddr end() const { return HostArena::end(); }
  // Hands the whole arena to the allocator.
  void free_all() { m_phys.add_free_range(base(), end()); }

 private:
  ScopedArena m_arena;
  u64 m_frame_count;
  std::unique_ptr<Frame[]> m_frames;
  PhysicalMemory m_phys;
};

class ArenaTableMemory {
 public:
  static constexpr usize UNLIMITED = ~usize(0);

  explicit ArenaTableMemory(PhysicalMemory& phys, usize budget = UNLIMITED) : m_phys(phys), m_budget(budget) {}

  // The TableMemory interface.
  PhysAddr alloc_table() {
    if (m_live.size() >= m_budget) return PhysAddr(0);
    Frame* f = m_phys.alloc_zeroed(0, FrameUse::PageTable);
    if (!f) return PhysAddr(0);
    PhysAddr pa = m_phys.address_of(f);
    m_live.insert(pa.get());
    m_allocations++;
    return pa;
  }
  void free_table(PhysAddr pa) {
    REQUIRE_MESSAGE(m_live.erase(pa.get()) == 1, "free_table of a page that is not a live table");
    m_phys.free_frame(m_phys.frame_of(pa));
  }
  Pte* table_ptr(PhysAddr pa) {
    REQUIRE_MESSAGE(m_live.count(pa.get()) == 1, "table_ptr of a page that is not a live table");
    m_table_ptr_calls++;
    return reinterpret_cast<Pte*>(phys_to_kernel(pa));
  }

  usize live_tables() const { return m_live.size(); }
  bool is_live(PhysAddr pa) const { return m_live.count(pa.get()) == 1; }
  usize allocations() const { return m_allocations; }
  usize table_ptr_calls() const { return m_table_ptr_calls; }
  void reset_table_ptr_calls() { m_table_ptr_calls = 0; }
  // At most `budget` tables may be live at once; alloc_table fails beyond.
  void set_budget(usize budget) { m_budget = budget; }

 private:
  PhysicalMemory& m_phys;
  usize m_budget;
  std::set<u64> m_live;
  usize m_allocations = 0;
  usize m_table_ptr_calls = 0;
};
