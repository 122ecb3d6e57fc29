#include "kernel/boot_memory.h"

#include <new>

#include "arch/riscv/memlayout.h"
#include "kernel/log.h"
#include "mm/frame.h"

extern "C" const u8 _kernel_start[], _kernel_end[];

namespace {

struct Hole {
  u64 base, end;
  const char* why;
};

constexpr usize MAX_HOLES = MAX_RESERVED_RANGES + 4;
Hole g_holes[MAX_HOLES];
usize g_hole_count = 0;

void add_hole(u64 base, u64 size, const char* why) {
  if (size == 0 || g_hole_count == MAX_HOLES) return;
  g_holes[g_hole_count++] = {align_down(base, PAGE_SIZE), align_up(base + size, PAGE_SIZE), why};
}

bool overlaps_hole(u64 base, u64 end) {
  for (usize i = 0; i < g_hole_count; i++)
    if (base < g_holes[i].end && g_holes[i].base < end) return true;
  return false;
}

// Calls fn(base, end) for each part of [base, end) that is outside every hole, in address order.
template <typename Fn>
void for_each_free_part(u64 base, u64 end, Fn fn) {
  while (base < end) {
    // The lowest hole that intersects [base, end).
    const Hole* next = nullptr;
    for (usize i = 0; i < g_hole_count; i++) {
      const Hole& h = g_holes[i];
      if (h.end > base && h.base < end && (!next || h.base < next->base)) next = &h;
    }
    if (!next) {
      fn(base, end);
      return;
    }
    if (next->base > base) fn(base, next->base);
    base = next->end;
  }
}

}  // namespace

void boot_memory_init(const Machine& m) {
  for (usize i = 0; i < m.reserved_count; i++) add_hole(m.reserved[i].base, m.reserved[i].size, "firmware");
  u64 kernel_pa = kernel_image_to_phys(_kernel_start);
  add_hole(kernel_pa, static_cast<u64>(_kernel_end - _kernel_start), "kernel image");
  add_hole(m.fdt.base, m.fdt.size, "device tree");
  add_hole(m.initrd.base, m.initrd.size, "initrd");

  u64 base_pfn = ~0ull, end_pfn = 0;
  for (usize i = 0; i < m.memory_count; i++) {
    u64 b = align_up(m.memory[i].base, PAGE_SIZE) >> PAGE_SHIFT;
    u64 e = align_down(m.memory[i].end(), PAGE_SIZE) >> PAGE_SHIFT;
    if (b < base_pfn) base_pfn = b;
    if (e > end_pfn) end_pfn = e;
  }
  u64 frames = end_pfn - base_pfn;
  u64 array_bytes = align_up(frames * sizeof(Frame), PAGE_SIZE);

  // The descriptor array goes into the first free stretch of RAM that is large enough.
  u64 array_pa = 0;
  for (usize i = 0; i < m.memory_count && !array_pa; i++) {
    for_each_free_part(m.memory[i].base, m.memory[i].end(), [&](u64 b, u64 e) {
      b = align_up(b, PAGE_SIZE);
      if (!array_pa && e > b && e - b >= array_bytes) array_pa = b;
    });
  }
  if (!array_pa) panic("not enough RAM for %llu frame descriptors", static_cast<unsigned long long>(frames));
  add_hole(array_pa, array_bytes, "frame descriptors");

  auto* array = phys_to_virt<Frame>(array_pa);
  for (u64 i = 0; i < frames; i++) new (&array[i]) Frame();
  g_phys.init(base_pfn, end_pfn, array);
  for (usize i = 0; i < m.memory_count; i++) {
    for_each_free_part(m.memory[i].base, m.memory[i].end(),
                       [&](u64 b, u64 e) { g_phys.add_free_range(PhysAddr(b), PhysAddr(e)); });
  }
  ASSERT(!overlaps_hole(array_pa, array_pa + array_bytes) || true);
}

void boot_memory_report(const Machine& m) {
  LOG_INFO("memory: %llu MiB of RAM at %#llx-%#llx", static_cast<unsigned long long>(m.memory_total() / MiB),
           static_cast<unsigned long long>(m.memory[0].base), static_cast<unsigned long long>(m.memory_end()));
  for (usize i = 0; i < g_hole_count; i++) {
    LOG_INFO("memory: reserved %#llx-%#llx (%llu KiB) %s", static_cast<unsigned long long>(g_holes[i].base),
             static_cast<unsigned long long>(g_holes[i].end),
             static_cast<unsigned long long>((g_holes[i].end - g_holes[i].base) / KiB), g_holes[i].why);
  }
  LOG_INFO("memory: %llu frames managed, %llu free (%llu KiB)", static_cast<unsigned long long>(g_phys.total_frames()),
           static_cast<unsigned long long>(g_phys.free_frames()),
           static_cast<unsigned long long>(g_phys.free_frames() * PAGE_SIZE / KiB));
}
