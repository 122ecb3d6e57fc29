#include "arch/riscv/pmap.h"

#include <cstring>

#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/kernel_map.h"
#include "arch/riscv/memlayout.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/sv39.h"
#include "mm/frame.h"
#include "mm/pmap.h"

namespace {


Atomic<u32> g_next_asid{1};
u32 g_asid_mask = 0;  // all-ones in the ASID bits the hart implements (0: no ASIDs)
Atomic<u64> g_total_table_pages{0};

u16 allocate_asid() {
  if (g_asid_mask == 0) return 0;
  for (;;) {
    u32 a = g_next_asid.fetch_add(1) & g_asid_mask;
    if (a != 0) return static_cast<u16>(a);  // 0 belongs to the kernel table
  }
}

constexpr u64 USER_LEAF = Pte::U | Pte::A;

}  // namespace

// Page-table pages come from the frame allocator; the pmap keeps them on a list (for destroy) and counts them
// (for /proc/meminfo's PageTables).
struct UserTableMemory {
  Sv39Pmap* pmap;
  PhysAddr alloc_table() {
    Frame* f = g_phys.alloc_zeroed(0, FrameUse::PageTable);
    if (!f) return PhysAddr(0);
    f->owner = pmap;
    pmap->m_tables.push_back(*f);
    pmap->m_table_pages++;
    return g_phys.address_of(f);
  }
  void free_table(PhysAddr pa) {
    Frame* f = g_phys.frame_of(pa);
    pmap->m_tables.remove(*f);
    pmap->m_table_pages--;
    g_phys.free_frame(f);
  }
  Pte* table_ptr(PhysAddr pa) { return phys_to_virt<Pte>(pa.get()); }
};

// How many ASID bits this hart has: write all ones to satp.ASID and read back (spec 4.1.11).
void pmap_probe_asid_bits() {
  u64 kernel = kernel_satp();
  csr::Satp::write(kernel | (csr::Satp::ASID_MASK << csr::Satp::ASID_SHIFT));
  u64 back = csr::Satp::read();
  csr::Satp::write(kernel);
  sfence_vma_all();
  g_asid_mask = static_cast<u32>((back >> csr::Satp::ASID_SHIFT) & csr::Satp::ASID_MASK);
}

u32 pmap_asid_mask() { return g_asid_mask; }

Sv39Pmap* Sv39Pmap::create() {
  auto* p = new Sv39Pmap();
  if (!p) return nullptr;
  Frame* root = g_phys.alloc_zeroed(0, FrameUse::PageTable);
  if (!root) {
    delete p;
    return nullptr;
  }
  p->m_root = g_phys.address_of(root);
  p->m_table_pages = 1;
  // Share the kernel half: copy the root entries of the upper half (their subtables are the kernel's).
  auto* mine = phys_to_virt<Pte>(p->m_root.get());
  auto* kernel = phys_to_virt<Pte>(kernel_root_table().get());
  memcpy(mine + 256, kernel + 256, 256 * sizeof(Pte));
  p->m_asid = allocate_asid();
  return p;
}

void Sv39Pmap::destroy(Sv39Pmap* p) {
  ASSERT_MSG(p->m_active_harts.load() == 0, "destroying a pmap that is still active on some hart");
  while (Frame* f = p->m_tables.pop_front()) g_phys.free_frame(f);
  g_phys.free_frame(g_phys.frame_of(p->m_root));
  delete p;
}

Pte* Sv39Pmap::leaf(VirtAddr va) const {
  UserTableMemory mem{const_cast<Sv39Pmap*>(this)};
  Sv39Walker<UserTableMemory> walker(mem, m_root);
  return walker.find_leaf(va.get());
}

void Sv39Pmap::note_flush(VirtAddr va) {
  if (m_pending_all) return;
  if (m_pending_count == MAX_PENDING) {
    m_pending_all = true;
    return;
  }
  m_pending[m_pending_count++] = va.get();
}

// The leaf entry for va when both intermediate tables exist (every fault but the first in a 2 MiB range).
inline Pte* Sv39Pmap::fast_slot(u64 va) const {
  Pte l2 = phys_to_virt<Pte>(m_root.get())[sv39::vpn(va, 2)];
  if (UNLIKELY(!l2.is_table())) return nullptr;
  Pte l1 = phys_to_virt<Pte>(l2.address().get())[sv39::vpn(va, 1)];
  if (UNLIKELY(!l1.is_table())) return nullptr;
  return &phys_to_virt<Pte>(l1.address().get())[sv39::vpn(va, 0)];
}

__attribute__((noinline)) Pte* Sv39Pmap::slow_slot(u64 va) {
  UserTableMemory mem{this};
  Sv39Walker<UserTableMemory> walker(mem, m_root);
  return walker.slot(va, 0, true);
}

inline void Sv39Pmap::flush_entered(u64 va) {
  // Even an invalid-to-valid change needs a fence before the new translation is guaranteed to be used
  // (spec 4.2.1). Where this pmap runs only here (a fault), fence this page now; otherwise leave it to update().
  Cpu* c = this_cpu();
  if (c->active_pmap == this && m_active_harts.load(MemoryOrder::Relaxed) == (1ull << c->index))
    sfence_vma(va, m_asid);
  else
    note_flush(VirtAddr(va));
}

Result<void> Sv39Pmap::enter(VirtAddr va, PhysAddr pa, Prot prot, PmapEnter how) {
  u64 v = va.get();
  Pte* e = fast_slot(v);
  if (UNLIKELY(!e)) {
    ASSERT(v < sv39::USER_END && va.is_page_aligned());
    e = slow_slot(v);
    if (!e) return Error::NOMEM;
  }
  u64 bits = pte_bits_for(prot) | USER_LEAF;
  if (how == PmapEnter::Dirty && (bits & Pte::W)) bits |= Pte::D;
  *e = Pte::leaf(pa, bits);
  flush_entered(v);
  return {};
}

void Sv39Pmap::remove(VirtAddr start, VirtAddr end) {
  UserTableMemory mem{this};
  Sv39Walker<UserTableMemory> walker(mem, m_root);
  walker.for_each_leaf(start.get(), end.get(), [&](u64 va, Pte& e, unsigned) {
    e = Pte();
    note_flush(VirtAddr(va));
  });
}

void Sv39Pmap::protect(VirtAddr start, VirtAddr end, Prot prot) {
  u64 keep = pte_bits_for(prot) | ~Pte::PERM_MASK;
  UserTableMemory mem{this};
  Sv39Walker<UserTableMemory> walker(mem, m_root);
  walker.for_each_leaf(start.get(), end.get(), [&](u64 va, Pte& e, unsigned) {
    Pte reduced(e.raw() & keep);
    if (reduced == e) return;
    // A leaf with no R/W/X left would read as a pointer to a next-level table: remove it instead.
    e = (reduced.raw() & Pte::PERM_MASK) ? reduced : Pte();
    note_flush(VirtAddr(va));
  });
}

Result<PhysAddr> Sv39Pmap::extract(VirtAddr va) const {
  Pte* e = leaf(va.page_base());
  if (!e) return Error::NOENT;
  return e->address() + va.offset_in_page();
}

bool Sv39Pmap::clear_referenced(VirtAddr va) {
  Pte* e = leaf(va);
  if (!e || !e->has(Pte::A)) return false;
  *e = e->without(Pte::A);
  note_flush(va);
  return true;
}

bool Sv39Pmap::is_modified(VirtAddr va) const {
  Pte* e = leaf(va);
  return e && e->has(Pte::D);
}

bool Sv39Pmap::clear_modified(VirtAddr va) {
  Pte* e = leaf(va);
  if (!e || !e->has(Pte::D)) return false;
  // Clear D and write permission together would lose writes on hardware that sets D lazily; clearing D alone
  // is exact with a TLB flush: the next store walks the table again and sets D.
  *e = e->without(Pte::D);
  note_flush(va);
  return true;
}

u64 Sv39Pmap::debug_pte(VirtAddr va) const {
  Pte* e = leaf(va);
  return e ? e->raw() : 0;
}

void Sv39Pmap::update_slow() {
  Cpu* self = this_cpu();
  u64 active = m_active_harts.load(MemoryOrder::Acquire);
  u64 self_bit = 1ull << self->index;
  if (active & self_bit) {
    // Local flush: per page, or the whole ASID (global kernel entries survive either way).
    if (m_pending_all) {
      if (m_asid) sfence_vma_asid(m_asid);
      else sfence_vma_all();
    } else {
      for (unsigned i = 0; i < m_pending_count; i++) sfence_vma(m_pending[i], m_asid);
    }
  }
  u64 others = active & ~self_bit;
  if (others) {
    // Harts that are running this address space right now. (Others flush it when they activate it.)
    u64 mask = 0;
    for (unsigned i = 0; i < 64; i++)
      if (others & (1ull << i)) mask |= 1ull << g_cpus[i].hart_id;
    if (m_pending_all) {
      sbi::remote_sfence_vma_asid(mask, 0, 0, ~0ull, m_asid);
    } else {
      for (unsigned i = 0; i < m_pending_count; i++) sbi::remote_sfence_vma_asid(mask, 0, m_pending[i], PAGE_SIZE, m_asid);
    }
  }
  m_pending_count = 0;
  m_pending_all = false;
}

void Sv39Pmap::activate() {
  Cpu* c = this_cpu();
  if (c->active_pmap == this) return;
  u64 bit = 1ull << c->index;
  if (c->active_pmap) c->active_pmap->m_active_harts.fetch_and(~bit, MemoryOrder::Release);
  // Publish that we run it before loading it, so a concurrent update() elsewhere includes this hart.
  m_active_harts.fetch_or(bit, MemoryOrder::AcqRel);
  c->active_pmap = this;
  csr::Satp::write(csr::Satp::make_sv39(m_root.get(), m_asid));
  // Drop whatever this hart cached for this ASID earlier (possibly for another address space that had it, or
  // for this one before a change made while it ran elsewhere). Global kernel entries survive.
  if (m_asid) sfence_vma_asid(m_asid);
  else sfence_vma_all();
}

void Sv39Pmap::activate_kernel() {
  Cpu* c = this_cpu();
  if (!c->active_pmap) return;
  c->active_pmap->m_active_harts.fetch_and(~(1ull << c->index), MemoryOrder::Release);
  c->active_pmap = nullptr;
  csr::Satp::write(kernel_satp());
  // With ASIDs, the user entries cached under the old ASID cannot be used under the kernel's ASID 0. Without
  // them everything shares ASID 0: drop the old user entries.
  if (g_asid_mask == 0) sfence_vma_all();
}
