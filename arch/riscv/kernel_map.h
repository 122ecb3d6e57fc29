// The kernel half of every address space: built once at boot from the device tree, then shared by all
// processes (each process's root table copies its upper-half entries, arch/riscv/pmap.cpp).
#pragma once

#include "kernel/machine.h"
#include "lib/result.h"
#include "mm/types.h"

// Boot, before the frame allocator exists: add 1 GiB direct-map leaves to the boot page table for the
// physical range [pa, pa+size), so that C++ can read the device tree and RAM.
void boot_map_direct(u64 pa, u64 size);

// Build the final kernel page table (direct map of RAM, devices, the kernel image with per-section
// permissions, the kernel stack region) and switch this hart to it.
void kernel_map_init(const Machine& machine);
// The satp value of the kernel page table (ASID 0), for harts without a process.
u64 kernel_satp();
PhysAddr kernel_root_table();

// Kernel stacks: KSTACK_SIZE bytes below an unmapped guard (memlayout.h). Returns the stack top.
Result<u64> kernel_stack_alloc();
void kernel_stack_free(u64 top);
// Frames held by freed stacks kept mapped for reuse (counted as reclaimable memory).
u64 kernel_stack_cached_frames();
struct KernelStackStats {
  u64 live;            // stacks that belong to a thread
  u64 cached;          // freed stacks kept mapped for reuse
  u64 slots_reserved;  // address slots taken (live, cached, and freed slots not yet reusable)
};
KernelStackStats kernel_stack_stats();
// Frees every cached stack without waiting for the lock (mm/shrinker.h); the frames freed.
u64 kernel_stack_cache_shrink();
