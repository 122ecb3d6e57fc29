#include "lib/bits.h"
#include "arch/riscv/kernel_map.h"

#include "arch/riscv/csr.h"
#include "arch/riscv/memlayout.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/smp.h"
#include "arch/riscv/sv39.h"
#include "kernel/log.h"
#include "kernel/spinlock.h"
#include "mm/frame.h"

extern "C" u8 boot_page_table[];
extern "C" const u8 _kernel_start[], _text_start[], _text_end[], _rodata_start[], _rodata_end[], _data_start[],
    _bss_end[], _ksymtab_start[], _kernel_end[];

u64 kernel_image_phys_offset;

namespace {

// Page-table pages of the kernel come from the frame allocator and are reached through the direct map.
struct KernelTableMemory {
  PhysAddr alloc_table() {
    Frame* f = g_phys.alloc_zeroed(0, FrameUse::PageTable);
    return f ? g_phys.address_of(f) : PhysAddr(0);
  }
  void free_table(PhysAddr pa) { g_phys.free_frame(g_phys.frame_of(pa)); }
  Pte* table_ptr(PhysAddr pa) { return phys_to_virt<Pte>(pa.get()); }
};

KernelTableMemory g_table_memory;
PhysAddr g_kernel_root;
u64 g_kernel_satp;

constexpr u64 KERNEL_LEAF = Pte::G | Pte::A | Pte::D;  // A/D preset: the kernel never needs them tracked

Sv39Walker<KernelTableMemory> kernel_walker() { return Sv39Walker<KernelTableMemory>(g_table_memory, g_kernel_root); }

void map_or_panic(u64 va, u64 pa, u64 size, u64 flags, bool superpages, const char* what) {
  auto walker = kernel_walker();
  if (walker.map_range(va, PhysAddr(pa), size, flags, superpages).is_error())
    panic("out of memory while mapping %s into the kernel page table", what);
}

void map_device(const Device& d, const char* what) {
  if (!d.is_present()) return;
  u64 base = align_down(d.base, PAGE_SIZE);
  u64 end = align_up(d.base + d.size, PAGE_SIZE);
  map_or_panic(memlayout::DIRECT_MAP_BASE + base, base, end - base, Pte::R | Pte::W | KERNEL_LEAF, false, what);
}

// Kernel stacks.
Spinlock g_kstack_lock("kstack");
constexpr u64 MAX_KSTACKS = memlayout::KSTACK_REGION_SIZE / memlayout::KSTACK_SLOT;
constexpr u64 KSTACK_BITMAP_WORDS = 1024;  // up to 65536 stacks in use at once
u64 g_kstack_bitmap[KSTACK_BITMAP_WORDS];  // guarded by g_kstack_lock
u64 g_kstack_cache[64];                    // tops of freed, still-mapped stacks, guarded by g_kstack_lock
usize g_kstack_cache_count = 0;
u64 g_kstack_live = 0;                     // stacks owned by threads, guarded by g_kstack_lock
static_assert(KSTACK_BITMAP_WORDS * 64 <= MAX_KSTACKS);
// The last-level tables for the first PREALLOCATED_KSTACKS stacks are made at boot (kernel_map_init), so that
// ordinary loads never grow the kernel page table (which would look like a leak to init's frame check).
constexpr u64 PREALLOCATED_KSTACKS = 1024;

}  // namespace

void boot_map_direct(u64 pa, u64 size) {
  auto* root = reinterpret_cast<Pte*>(boot_page_table);
  for (u64 g = align_down(pa, GiB); g < pa + size; g += GiB) {
    u64 va = memlayout::DIRECT_MAP_BASE + g;
    root[sv39::vpn(va, 2)] = Pte::leaf(PhysAddr(g), Pte::R | Pte::W | KERNEL_LEAF);
  }
  // New valid entries only; a fence orders the stores before later walks (spec 4.2.1).
  sfence_vma_all();
}

void kernel_map_init(const Machine& m) {
  Frame* root = g_phys.alloc_zeroed(0, FrameUse::PageTable);
  if (!root) panic("no memory for the kernel page table");
  g_kernel_root = g_phys.address_of(root);

  // Direct map of RAM, with the largest leaves alignment allows.
  for (usize i = 0; i < m.memory_count; i++) {
    const PhysRange& r = m.memory[i];
    if (r.end() > memlayout::DIRECT_MAP_SIZE) panic("RAM above %llu GiB is not supported", static_cast<unsigned long long>(memlayout::DIRECT_MAP_SIZE / GiB));
    map_or_panic(memlayout::DIRECT_MAP_BASE + r.base, r.base, r.size, Pte::R | Pte::W | KERNEL_LEAF, true, "RAM");
  }
  // Device registers, in the direct map too.
  map_device(m.uart, "the UART");
  map_device(m.plic, "the PLIC");
  map_device(m.test_device, "the test device");
  map_device(m.rtc, "the RTC");
  for (usize i = 0; i < m.virtio_count; i++) map_device(m.virtio[i], "a virtio slot");

  // The kernel image, each part with its own permissions (nothing is both writable and executable).
  auto image = [&](const u8* start, const u8* end, u64 flags, const char* what) {
    u64 va = reinterpret_cast<u64>(start);
    u64 size = align_up(reinterpret_cast<u64>(end), PAGE_SIZE) - va;
    if (size) map_or_panic(va, va - kernel_image_phys_offset, size, flags | KERNEL_LEAF, false, what);
  };
  image(_text_start, _text_end, Pte::R | Pte::X, "kernel text");
  image(_rodata_start, _rodata_end, Pte::R, "kernel rodata");
  image(_data_start, _bss_end, Pte::R | Pte::W, "kernel data");
  image(_ksymtab_start, _kernel_end, Pte::R, "kernel symbols");

  // The kernel stack region: create its second-level tables now, so that every address space (which copies
  // the root's upper half) sees stacks mapped later. The last-level tables for the first PREALLOCATED_KSTACKS
  // stacks are made now too, so that ordinary loads never grow the kernel page table (which would look like a
  // leak to init's check that every frame comes back after a test).
  for (u64 va = memlayout::KSTACK_BASE; va < memlayout::KSTACK_BASE + memlayout::KSTACK_REGION_SIZE; va += GiB) {
    auto walker = kernel_walker();
    if (!walker.slot(va, 1, true)) panic("no memory for the kernel stack tables");
  }
  for (u64 va = memlayout::KSTACK_BASE; va < memlayout::KSTACK_BASE + PREALLOCATED_KSTACKS * memlayout::KSTACK_SLOT;
       va += 2 * MiB) {
    auto walker = kernel_walker();
    if (!walker.slot(va, 0, true)) panic("no memory for the kernel stack tables");
  }

  g_kernel_satp = csr::Satp::make_sv39(g_kernel_root.get(), 0);
  // Switch: the new table maps everything the running code uses. Flush the boot table's translations.
  csr::Satp::write(g_kernel_satp);
  sfence_vma_all();
}

u64 kernel_satp() { return g_kernel_satp; }
PhysAddr kernel_root_table() { return g_kernel_root; }

// Kernel stacks. A slot is a KSTACK_SLOT-sized piece of the stack region: a guard (never mapped) below the
// stack pages. The bitmap says which slots are taken; the lowest free slot is used first, so stacks stay in
// the preallocated part of the region unless very many threads exist at once. One bitmap word covers the
// 64 slots of one last-level table (2 MiB); a table past the preallocated ones is made when the first slot of
// its word is taken and given back when the last one is freed.
static_assert(2 * MiB / memlayout::KSTACK_SLOT == 64, "one bitmap word per last-level table of the stack region");
constexpr u64 PREALLOCATED_KSTACK_WORDS = PREALLOCATED_KSTACKS / 64;

namespace {

u64 slot_bottom(u64 slot) { return memlayout::KSTACK_BASE + slot * memlayout::KSTACK_SLOT + memlayout::KSTACK_GUARD; }

// Flush the kernel's translations of [va, va + size) on every hart, and wait until they are done (SBI RFENCE
// returns once the other harts have fenced: OpenSBI waits for their acknowledgement). Kernel pages are global
// (G), so the fence must cover every address space: sfence.vma with no ASID.
void flush_kernel_range_everywhere(u64 va, u64 size) {
  sfence_vma_all();
  if (u64 others = smp_other_harts_mask()) sbi::remote_sfence_vma(others, 0, va, size);
}

// Take the lowest free slot, making its last-level table if it has none. Lock held.
Result<u64> take_slot_locked() {
  ASSERT_LOCKED(g_kstack_lock);
  for (u64 w = 0; w < KSTACK_BITMAP_WORDS; w++) {
    if (g_kstack_bitmap[w] == ~0ull) continue;
    unsigned bit = lowest_set_bit(~g_kstack_bitmap[w]);
    u64 slot = w * 64 + bit;
    // Under the lock, so two harts never both make the table of one word.
    if (!kernel_walker().slot(slot_bottom(slot), 0, true)) return Error::NOMEM;
    g_kstack_bitmap[w] |= 1ull << bit;
    return slot;
  }
  return Error::NOMEM;
}

// Give a slot back (its pages are unmapped and flushed everywhere). When it was the last slot in use of a
// table past the preallocated ones, the table goes too. Lock held.
void release_slot_locked(u64 slot) {
  ASSERT_LOCKED(g_kstack_lock);
  u64 w = slot / 64;
  g_kstack_bitmap[w] &= ~(1ull << (slot % 64));
  if (g_kstack_bitmap[w] != 0 || w < PREALLOCATED_KSTACK_WORDS) return;
  u64 table_va = memlayout::KSTACK_BASE + w * 2 * MiB;
  Pte* entry = kernel_walker().slot(table_va, 1, false);
  if (!entry || !entry->is_table()) return;
  PhysAddr table = entry->address();
  *entry = Pte();
  // Harts may cache the non-leaf entry (privileged spec 4.3.2: address-translation caches): fence them all
  // before the page can be reused as anything else.
  flush_kernel_range_everywhere(table_va, 2 * MiB);
  g_table_memory.free_table(table);
}

}  // namespace

Result<u64> kernel_stack_alloc() {
  u64 slot;
  {
    SpinlockGuard guard(g_kstack_lock);
    if (g_kstack_cache_count > 0) {
      g_kstack_live++;
      return g_kstack_cache[--g_kstack_cache_count];
    }
    slot = TRY(take_slot_locked());
  }
  u64 bottom = slot_bottom(slot);
  auto walker = kernel_walker();
  for (u64 off = 0; off < memlayout::KSTACK_SIZE; off += PAGE_SIZE) {
    Frame* f = g_phys.alloc(0, FrameUse::KernelStack);
    if (!f) {
      // Undo the pages mapped so far. They were never used, so no hart can have cached them.
      for (u64 undo = 0; undo < off; undo += PAGE_SIZE) {
        Pte* u = walker.slot(bottom + undo, 0, false);
        g_phys.free_frame(g_phys.frame_of(u->address()));
        *u = Pte();
      }
      SpinlockGuard guard(g_kstack_lock);
      release_slot_locked(slot);
      return Error::NOMEM;
    }
    // The slot's table exists (take_slot_locked) and the slot is ours alone. It was unmapped and flushed
    // everywhere when it was last freed, so no hart holds a stale translation; the spec allows caching
    // invalid entries, so fence this hart below.
    *walker.slot(bottom + off, 0, false) = Pte::leaf(g_phys.address_of(f), Pte::R | Pte::W | KERNEL_LEAF);
  }
  sfence_vma_all();
  SpinlockGuard guard(g_kstack_lock);
  g_kstack_live++;
  return bottom + memlayout::KSTACK_SIZE;
}

void kernel_stack_free(u64 top) {
  // Keep the stack mapped for the next thread when there is room: that needs no TLB work at all. Only stacks
  // in the preallocated part are kept, so that a cached stack never holds on to a table made for a crowd.
  u64 slot = (top - memlayout::KSTACK_SIZE - memlayout::KSTACK_GUARD - memlayout::KSTACK_BASE) / memlayout::KSTACK_SLOT;
  SpinlockGuard guard(g_kstack_lock);
  g_kstack_live--;
  if (slot < PREALLOCATED_KSTACKS && g_kstack_cache_count < array_size(g_kstack_cache)) {
    g_kstack_cache[g_kstack_cache_count++] = top;
    return;
  }
  guard.unlock();
  // Cache full: unmap and free the pages, make sure no hart can still use their translations (a hart that ran
  // the dead thread may have them), and only then let the slot be taken again.
  u64 bottom = top - memlayout::KSTACK_SIZE;
  auto walker = kernel_walker();
  for (u64 off = 0; off < memlayout::KSTACK_SIZE; off += PAGE_SIZE) {
    Pte* e = walker.slot(bottom + off, 0, false);
    g_phys.free_frame(g_phys.frame_of(e->address()));
    *e = Pte();
  }
  flush_kernel_range_everywhere(bottom, memlayout::KSTACK_SIZE);
  SpinlockGuard again(g_kstack_lock);
  release_slot_locked(slot);
}

KernelStackStats kernel_stack_stats() {
  SpinlockGuard guard(g_kstack_lock);
  KernelStackStats s{g_kstack_live, g_kstack_cache_count, 0};
  for (u64 word : g_kstack_bitmap)
    for (; word; word &= word - 1) s.slots_reserved++;
  return s;
}

// The kernel-stack shrinker (mm/shrinker.h): the cached stacks are unmapped and freed as kernel_stack_free does
// past the cache. Called from inside allocations: it only tries the lock (an allocation made while holding it,
// a page table for a new slot, finds nothing here).
u64 kernel_stack_cache_shrink() {
  if (!g_kstack_lock.try_lock()) return 0;
  u64 freed = 0;
  auto walker = kernel_walker();
  while (g_kstack_cache_count > 0) {
    u64 top = g_kstack_cache[--g_kstack_cache_count];
    u64 bottom = top - memlayout::KSTACK_SIZE;
    for (u64 off = 0; off < memlayout::KSTACK_SIZE; off += PAGE_SIZE) {
      Pte* e = walker.slot(bottom + off, 0, false);
      g_phys.free_frame(g_phys.frame_of(e->address()));
      *e = Pte();
      freed++;
    }
    flush_kernel_range_everywhere(bottom, memlayout::KSTACK_SIZE);
    release_slot_locked((bottom - memlayout::KSTACK_GUARD - memlayout::KSTACK_BASE) / memlayout::KSTACK_SLOT);
  }
  g_kstack_lock.unlock();
  return freed;
}

u64 kernel_stack_cached_frames() {
  SpinlockGuard guard(g_kstack_lock);
  return g_kstack_cache_count * (memlayout::KSTACK_SIZE / PAGE_SIZE);
}
