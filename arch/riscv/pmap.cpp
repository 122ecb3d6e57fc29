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

Atomic<u64> g_tlb_remote_flushes{0};
Atomic<u64> g_tlb_remote_flush_harts{0};

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
  while (Frame* f = p->m_dead_tables.pop_front()) g_phys.free_frame(f);
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
    m_pending_all = true;  // (m_pending_count stays MAX_PENDING: update() looks at it alone)
    return;
  }
  m_pending[m_pending_count++] = va.get();
}

__attribute__((noinline)) Pte* Sv39Pmap::slow_slot(u64 va) {
  UserTableMemory mem{this};
  Sv39Walker<UserTableMemory> walker(mem, m_root);
  return walker.slot(va, 0, true);
}

__attribute__((noinline)) Result<void> Sv39Pmap::enter_slow(VirtAddr va, PhysAddr pa, Prot prot, PmapEnter how) {
  u64 v = va.get();
  ASSERT(v < memlayout::USER_END && va.is_page_aligned());
  Pte* e = slow_slot(v);
  if (!e) return Error::NOMEM;
  Pte old = *e;
  *e = leaf_for(pa, prot, how);
  if (!runs_here_only()) {
    flush_shared(v, old, *e);
    return {};
  }
  sfence_vma(v, m_asid);
  return {};
}

__attribute__((noinline)) void Sv39Pmap::flush_shared(u64 va, Pte old, Pte fresh) {
  bool loses = old.is_valid() &&
               (old.address() != fresh.address() || (old.raw() & Pte::PERM_MASK & ~fresh.raw()) != 0);
  if (loses) note_flush(VirtAddr(va));
  else if (this_cpu()->active_pmap == this) sfence_vma(va, m_asid);
}

void Sv39Pmap::remove(VirtAddr start, VirtAddr end) {
  UserTableMemory mem{this};
  Sv39Walker<UserTableMemory> walker(mem, m_root);
  walker.for_each_last_level_run(
      start.get(), end.get(),
      [&](u64 va, Pte* entries, unsigned count) {
        for (unsigned i = 0; i < count; i++) {
          if (!(entries[i].raw() & Pte::V)) continue;
          entries[i] = Pte();
          note_flush(VirtAddr(va + u64(i) * PAGE_SIZE));
        }
      },
      [&](u64 va, Pte& e, unsigned) {
        e = Pte();
        note_flush(VirtAddr(va));
      });
}

void Sv39Pmap::free_tables(VirtAddr start, VirtAddr end, VirtAddr floor, VirtAddr ceiling) {
  UserTableMemory mem{this};
  Sv39Walker<UserTableMemory> walker(mem, m_root);
  bool unlinked = false;
  walker.unlink_tables(start.get(), end.get(), floor.get(), ceiling.get(), [&](PhysAddr pa) {
    Frame* f = g_phys.frame_of(pa);
    m_tables.remove(*f);
    m_table_pages--;
    m_dead_tables.push_back(*f);
    unlinked = true;
  });
  if (unlinked) {  // non-leaf entries changed: update() fences the whole address space, then frees them
    m_pending_all = true;
    m_pending_count = MAX_PENDING;
  }
}

void Sv39Pmap::protect(VirtAddr start, VirtAddr end, Prot prot) {
  u64 keep = pte_bits_for(prot) | ~Pte::PERM_MASK;
  UserTableMemory mem{this};
  Sv39Walker<UserTableMemory> walker(mem, m_root);
  auto reduce = [&](u64 va, Pte& e) {
    Pte reduced(e.raw() & keep);
    // A leaf with no R/W/X left would read as a pointer to a next-level table: remove it instead.
    e = (reduced.raw() & Pte::PERM_MASK) ? reduced : Pte();
    note_flush(VirtAddr(va));
  };
  walker.for_each_last_level_run(
      start.get(), end.get(),
      [&](u64 va, Pte* entries, unsigned count) {
        // The common case is a long run where most entries are absent or already allowed: one load and one
        // test each.
        u64 drop = Pte::PERM_MASK & ~keep;
        for (unsigned i = 0; i < count; i++) {
          u64 raw = entries[i].raw();
          if (UNLIKELY((raw & Pte::V) && (raw & drop))) reduce(va + u64(i) * PAGE_SIZE, entries[i]);
        }
      },
      [&](u64 va, Pte& e, unsigned) {
        if (e.raw() & Pte::PERM_MASK & ~keep) reduce(va, e);
      });
}

Result<PhysAddr> Sv39Pmap::extract(VirtAddr va) const {
  Pte* e = leaf(va.page_base());
  if (!e) return Error::NOENT;
  return e->address() + va.offset_in_page();
}

// The accessed bit (privileged spec 4.3.1): QEMU sets it on the first access through the entry.
bool Sv39Pmap::is_referenced(VirtAddr va) const {
  Pte* e = leaf(va);
  return e && e->has(Pte::A);
}

// The entry's raw word, for the atomic updates below: another hart running this address space may be setting A
// or D in it at the same moment (QEMU updates them with an atomic compare-and-swap, as the privileged spec
// requires of hardware A/D updating, 4.3.1), and a plain read-modify-write could lose a D it sets.
static u64* raw_word(Pte* e) { return reinterpret_cast<u64*>(e); }
static_assert(sizeof(Pte) == sizeof(u64));

bool Sv39Pmap::clear_referenced(VirtAddr va) {
  Pte* e = leaf(va);
  if (!e || !e->has(Pte::A)) return false;
  __atomic_fetch_and(raw_word(e), ~Pte::A, __ATOMIC_RELAXED);
  note_flush(va);
  return true;
}

bool Sv39Pmap::remove_page(VirtAddr va) {
  Pte* e = leaf(va);
  if (!e) return false;
  u64 old = __atomic_exchange_n(raw_word(e), 0, __ATOMIC_ACQ_REL);
  if (!(old & Pte::V)) return false;
  note_flush(va);
  return old & Pte::D;
}

bool Sv39Pmap::is_modified(VirtAddr va) const {
  Pte* e = leaf(va);
  return e && e->has(Pte::D);
}

bool Sv39Pmap::clear_modified(VirtAddr va) {
  Pte* e = leaf(va);
  if (!e || !e->has(Pte::D)) return false;
  // Clear D and write permission together would lose writes on hardware that sets D lazily; clearing D alone
  // is exact with a TLB flush: the next store walks the table again and sets D. (Atomic: see raw_word.)
  __atomic_fetch_and(raw_word(e), ~Pte::D, __ATOMIC_RELAXED);
  note_flush(va);
  return true;
}

namespace {

// The SBI hart mask of a set of CPUs (bit i: g_cpus[i]).
u64 hart_mask_of(u64 cpus) {
  u64 mask = 0;
  for (unsigned i = 0; i < 64; i++)
    if (cpus & (1ull << i)) mask |= 1ull << g_cpus[i].hart_id;
  return mask;
}

}  // namespace

void Sv39Pmap::update_into_slow(FlushBatch& batch) {
  if (UNLIKELY(!m_dead_tables.is_empty())) {  // (munmap updates at once: page-out never finds any)
    update_slow();
    return;
  }
  // As update_slow: the changed entries are stored before the harts running this pmap are read. Those harts
  // flush at batch.flush(); a hart that starts running it meanwhile flushes its ASID when it activates it.
  asm volatile("fence w, r" ::: "memory");
  batch.cpus |= m_active_harts.load(MemoryOrder::Acquire);
  m_pending_count = 0;
  m_pending_all = false;
}

void Sv39Pmap::FlushBatch::flush() {
  if (!cpus) return;
  push_interrupts_off();  // (this hart stays this hart)
  u64 self_bit = 1ull << this_cpu()->index;
  if (cpus & self_bit) sfence_vma_all();
  if (u64 others = cpus & ~self_bit) sbi::remote_sfence_vma(hart_mask_of(others), 0, 0, ~0ull);
  pop_interrupts_off();
  cpus = 0;
}

void Sv39Pmap::update_slow() {
  Cpu* self = this_cpu();
  // The entries changed before are stored before the harts running this pmap are read (activate() sets its
  // bit before it walks the tables): a hart missed here walks the new entries.
  asm volatile("fence w, r" ::: "memory");
  u64 active = m_active_harts.load(MemoryOrder::Acquire);
  u64 self_bit = 1ull << self->index;
  bool all = m_pending_all;
  if (active & self_bit) {
    // Local flush: per page, or the whole ASID (global kernel entries survive either way).
    if (all) {
      if (m_asid) sfence_vma_asid(m_asid);
      else sfence_vma_all();
    } else {
      for (unsigned i = 0; i < m_pending_count; i++) sfence_vma(m_pending[i], m_asid);
    }
  }
  u64 others = active & ~self_bit;
  if (others) {
    // Harts that are running this address space right now. (Others flush it when they activate it.)
    u64 mask = hart_mask_of(others);
    // One request for the whole batch (each is an SBI call and an IPI to every hart in the mask): the range
    // from the lowest to the highest page noted, or the whole ASID.
    u64 low = ~0ull, high = 0;
    for (unsigned i = 0; !all && i < m_pending_count; i++) {
      low = m_pending[i] < low ? m_pending[i] : low;
      high = m_pending[i] > high ? m_pending[i] : high;
    }
    if (all) sbi::remote_sfence_vma_asid(mask, 0, 0, ~0ull, m_asid);
    else sbi::remote_sfence_vma_asid(mask, 0, low, high - low + PAGE_SIZE, m_asid);
    g_tlb_remote_flushes.fetch_add(1, MemoryOrder::Relaxed);
    g_tlb_remote_flush_harts.fetch_add(__builtin_popcountll(others), MemoryOrder::Relaxed);
  }
  m_pending_count = 0;
  m_pending_all = false;
  // No hart can walk the unlinked tables any more (the remote fences above have completed when the SBI call
  // returns).
  while (Frame* f = m_dead_tables.pop_front()) g_phys.free_frame(f);
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
