// What the /proc generators share (kernel/fs/proc_text.cpp, proc_pid.cpp, proc_vm.cpp).
//
// Locks: per-process files hold g_process_lock while they print (the process, its address space and its
// fields stay put: exec and exit change them only under that lock), and the VM files take the address space's
// lock through AddressSpace::for_each_region. Order: g_process_lock, address space, VM object, heap.
#pragma once

#include <cstring>

#include "kernel/fs/text_builder.h"
#include "kernel/process.h"
#include "mm/region.h"

constexpr u64 KB_PER_PAGE = PAGE_SIZE / 1024;

// The process with this pid (g_process_lock held), or nullptr.
Process* proc_find_locked(i32 pid);

// Resident pages of the object behind a region, within the region's window.
u64 proc_region_resident_object_pages(const Region& r);

struct ProcMemoryUse {
  u64 size_pages = 0;      // every region (VmSize)
  u64 resident_pages = 0;  // anonymous pages plus resident object pages in the regions (VmRSS)
  u64 shared_pages = 0;    // resident object pages (statm's "shared")
  u64 text_pages = 0;      // executable regions
  u64 data_pages = 0;      // private writable regions, the stack included (statm's "data", VmData + VmStk)
};
// g_process_lock held.
ProcMemoryUse proc_memory_use_locked(const Process& p);

// A link's target: text (length bytes) cut to size, as readlink(2) does. Returns what was copied.
inline Result<usize> proc_copy_link(char* buffer, usize size, const char* text, usize length) {
  usize n = length < size ? length : size;
  memcpy(buffer, text, n);
  return n;
}

// File pages mapped by some process, each counted once (meminfo's Mapped; proc_mapped.cpp).
Result<u64> proc_mapped_file_pages();

// A region's line of /proc/PID/maps (show_map_vma), with its newline.
void proc_print_map_line(TextBuilder& out, const Region& r);
