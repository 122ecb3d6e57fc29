// The system-wide text of /proc (meminfo, uptime, cpuinfo, mounts, loadavg, stat, version, sys/*) in Linux's
// formats (fs/proc/meminfo.c, stat.c, loadavg.c), and what the per-process generators share
// (kernel/fs/proc_internal.h, which also says the locks).
#include <cstring>

#include "arch/riscv/cpu.h"
#include "arch/riscv/kernel_map.h"
#include "arch/riscv/memlayout.h"
#include "arch/riscv/pmap.h"
#include "kernel/cpu_time.h"
#include "kernel/credentials.h"
#include "kernel/fs/mount.h"
#include "kernel/fs/namei.h"
#include "kernel/fs/pipe.h"
#include "kernel/fs/proc_internal.h"
#include "kernel/fs/procfs.h"
#include "kernel/fs/ramfs.h"
#include "kernel/fs/vfs.h"
#include "mm/heap.h"
#include "kernel/machine.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/sys_misc.h"
#include "kernel/time.h"
#include "lib/format.h"
#include "mm/address_space.h"
#include "mm/frame.h"
#include "mm/swap.h"
#include "mm/vm_stats.h"

extern Machine g_machine;

namespace {

// Linux's show_val_kb: the name and colon in 16 columns, the value right-aligned in 8, then " kB".
void meminfo_line(TextBuilder& out, const char* name, u64 pages) {
  char label[32];
  format(label, sizeof(label), "%s:", name);
  out.appendf("%-16s%8llu kB\n", label, static_cast<unsigned long long>(pages * KB_PER_PAGE));
}

// The extra lines for students: plain counts, no unit.
void meminfo_count(TextBuilder& out, const char* name, u64 count) {
  char label[32];
  format(label, sizeof(label), "%s:", name);
  out.appendf("%-16s%8llu\n", label, static_cast<unsigned long long>(count));
}

// A load average in fixed point as Linux prints it: the integer part, then two decimals.
void load_value(TextBuilder& out, u64 load) {
  u64 hundredths = ((load & ((1ull << LOAD_FSHIFT) - 1)) * 100) >> LOAD_FSHIFT;
  out.appendf("%llu.%02llu", static_cast<unsigned long long>(load >> LOAD_FSHIFT),
              static_cast<unsigned long long>(hundredths));
}

}  // namespace

Process* proc_find_locked(i32 pid) {
  ASSERT(g_process_lock.is_held());
  if (pid <= 0 || pid >= PID_MAX) return nullptr;
  return process_table_at_locked(pid);
}

u64 proc_region_resident_object_pages(const Region& r) {
  if (!r.m_object) return 0;
  u64 pages = r.pages();
  // A huge window would take long to walk page by page: the object's total is a fair upper bound then.
  if (pages > 16384) {
    u64 resident = r.m_object->resident_pages();
    return resident < pages ? resident : pages;
  }
  u64 count = 0;
  for (u64 i = 0; i < pages; i++)
    if (r.m_object->peek_page(r.m_object_page + i)) count++;
  return count;
}

ProcMemoryUse proc_memory_use_locked(const Process& p) {
  ProcMemoryUse use;
  if (!p.m_space || p.m_state == ProcessState::Zombie) return use;
  use.resident_pages = p.m_space->resident_anon_pages();
  p.m_space->for_each_region([&](const Region& r) {
    u64 object_pages = proc_region_resident_object_pages(r);
    use.size_pages += r.pages();
    use.resident_pages += object_pages;
    use.shared_pages += object_pages;
    if (has(r.m_prot, Prot::Exec)) use.text_pages += r.pages();
    if (r.is_private() && has(r.m_prot, Prot::Write)) use.data_pages += r.pages();
  });
  return use;
}

u64 memory_shared_frames() {
  MemoryCounters c = g_phys.counters();
  u64 file_pages = c.used_by[static_cast<unsigned>(FrameUse::File)];
  u64 cached = RamFile::total_resident_pages() + vfs_page_cache_frames();
  return file_pages > cached ? file_pages - cached : 0;
}

Result<void> proc_meminfo(TextBuilder& out) {
  MemoryCounters c = g_phys.counters();
  HeapStats heap = heap_stats();
  auto used = [&](FrameUse use) { return c.used_by[static_cast<unsigned>(use)]; };
  u64 file_pages = used(FrameUse::File);
  u64 ramfs_pages = RamFile::total_resident_pages();
  u64 page_cache = vfs_page_cache_frames();
  u64 shmem = file_pages > ramfs_pages + page_cache ? file_pages - ramfs_pages - page_cache : 0;
  u64 reclaimable = memory_reclaimable_frames();  // (the kernel's caches, and pages only the swap cache holds)
  u64 mapped = TRY(proc_mapped_file_pages());  // a page mapped by many processes counts once

  meminfo_line(out, "MemTotal", c.total_frames);
  meminfo_line(out, "MemFree", c.free_frames);
  meminfo_line(out, "MemAvailable", c.free_frames + reclaimable);
  meminfo_line(out, "Buffers", vfs_buffer_frames());
  meminfo_line(out, "Cached", file_pages);
  SwapTotals swap = g_swap.totals();
  meminfo_line(out, "SwapCached", swap.cached_pages);
  meminfo_line(out, "SwapTotal", swap.total_pages);
  meminfo_line(out, "SwapFree", swap.free_pages);
  meminfo_line(out, "Dirty", vfs_dirty_frames());
  meminfo_line(out, "AnonPages", g_vm_stats.anon_pages.load(MemoryOrder::Relaxed));
  meminfo_line(out, "Mapped", mapped);
  meminfo_line(out, "Shmem", shmem);
  meminfo_line(out, "KReclaimable", reclaimable);
  meminfo_line(out, "Slab", used(FrameUse::Heap));
  meminfo_line(out, "SReclaimable", heap.empty_slab_frames);
  meminfo_line(out, "SUnreclaim", used(FrameUse::Heap) - heap.empty_slab_frames);
  meminfo_line(out, "KernelStack", used(FrameUse::KernelStack));
  meminfo_line(out, "PageTables", used(FrameUse::PageTable));
  // Not in Linux: the VM's own index pages (anon tables, the page indexes of VM objects).
  meminfo_line(out, "VmMetadata", used(FrameUse::VmMeta));
  meminfo_count(out, "ZeroPageHits", g_vm_stats.zero_page_hits.load(MemoryOrder::Relaxed));
  meminfo_count(out, "FaultsDemandZero", g_vm_stats.faults_demand_zero.load(MemoryOrder::Relaxed));
  meminfo_count(out, "FaultsCowCopy", g_vm_stats.faults_cow_copy.load(MemoryOrder::Relaxed));
  meminfo_count(out, "FaultsCowReuse", g_vm_stats.faults_cow_reuse.load(MemoryOrder::Relaxed));
  meminfo_count(out, "FaultsObject", g_vm_stats.faults_object.load(MemoryOrder::Relaxed));
  meminfo_count(out, "FaultsStackGrowth", g_vm_stats.faults_stack_growth.load(MemoryOrder::Relaxed));
  return {};
}

// Not in Linux: the counters a leak check compares before and after a program runs (init does, in runner mode),
// one "name value" per line as /proc/vmstat has them. What must come back after every process has exited:
// frames of each use but file and heap (those are caches too), live kernel stacks, heap allocations; and the
// kernel image's hash must never change.
// A hash (FNV-1a) of the kernel's code and read-only data, which nothing may change while it runs: a store that
// reached them through the direct map (a user pointer the kernel forgot to check) shows as a new value.
u64 kernel_image_hash() {
  extern const u8 _text_start[], _rodata_end[];
  u64 hash = 0xcbf29ce484222325ull;
  const u64* p = reinterpret_cast<const u64*>(_text_start);
  const u64* end = reinterpret_cast<const u64*>(_rodata_end);
  for (; p < end; p++) hash = (hash ^ *p) * 0x100000001b3ull;
  return hash;
}

Result<void> proc_kernel_stats(TextBuilder& out) {
  // Pageable frames freed while still on a CPU's hand-over list go back to the allocator at the next hand-over
  // (mm/pageable.h): done now, so that what is free is counted free. (Page-cache frames are pageable with or
  // without swap: PhysicalMemory::alloc_file_page.)
  g_phys.hand_over_fresh_pages();
  MemoryCounters c = g_phys.counters();
  u64 swap_cache_frames = g_swap.cache_owned_pages();
  HeapStats heap = heap_stats();
  KernelStackStats stacks = kernel_stack_stats();
  u64 page_cache = vfs_page_cache_frames();
  auto line = [&](const char* name, u64 value) { out.appendf("%s %llu\n", name, static_cast<unsigned long long>(value)); };
  line("frames_total", c.total_frames);
  line("frames_free", c.free_frames);
  static const FrameUse uses[] = {FrameUse::Kernel, FrameUse::Heap, FrameUse::PageTable, FrameUse::KernelStack,
                                  FrameUse::Anon, FrameUse::File, FrameUse::Zero, FrameUse::VmMeta};
  for (FrameUse use : uses) {
    char name[40];
    format(name, sizeof(name), "frames_%s", frame_use_name(use));
    for (char* p = name; *p; p++)
      if (*p == ' ') *p = '_';
    u64 frames = c.used_by[static_cast<unsigned>(use)];
    // The file systems' block caches take kernel frames and keep them while mounted (Buffers in /proc/meminfo):
    // they are shown apart, so that the leak check can tell a cache that grew from kernel memory that leaked.
    if (use == FrameUse::Kernel) frames -= vfs_buffer_frames();
    // So is the page cache of disk files: pages a file keeps after its last user are cached, not leaked (a
    // file page no file holds stays in frames_file).
    if (use == FrameUse::File) frames -= page_cache < frames ? page_cache : frames;
    // Likewise the swap cache's own pages (read ahead, or left from a read: only the cache holds them), which
    // are anonymous frames that outlive their processes until reclaim takes them.
    if (use == FrameUse::Anon) frames -= frames < swap_cache_frames ? frames : swap_cache_frames;
    line(name, frames);
  }
  line("frames_buffer_cache", vfs_buffer_frames());
  line("frames_page_cache", page_cache);
  line("frames_swap_cache", swap_cache_frames);
  // Swap slots some process names (its pages on swap): they go with their processes, as frames do. (Slots
  // only the swap cache holds are the cache's, with its frames above.)
  line("swap_slots_named", g_swap.named_slots());
  line("ramfs_pages", RamFile::total_resident_pages());
  line("kernel_stacks", stacks.live);
  line("kernel_stacks_cached", stacks.cached);
  line("kernel_stack_slots", stacks.slots_reserved);
  // Anon families kept for reuse once swap is on (mm/anon_family.cpp) are a cache of heap objects: left out of
  // the heap's figures, shown apart.
  u64 pooled = AnonFamily::pooled_count();
  u32 family_class = heap_class_size_of(sizeof(AnonFamily));
  for (usize i = 0; i < HEAP_SIZE_CLASSES; i++) {
    if (heap.class_size[i] != family_class) continue;
    u64 n = pooled < heap.class_live[i] ? pooled : heap.class_live[i];
    heap.class_live[i] -= n;
    heap.bytes_in_use -= n * heap.class_size[i];
    heap.allocations -= n;
    break;
  }
  line("anon_families_pooled", pooled);
  line("heap_bytes", heap.bytes_in_use);
  line("heap_allocations", heap.allocations);
  line("heap_slab_frames", heap.slab_frames);
  line("heap_large_frames", heap.large_frames);
  for (usize i = 0; i < HEAP_SIZE_CLASSES; i++) {
    char name[32];
    format(name, sizeof(name), "heap_objects_%u", heap.class_size[i]);
    line(name, heap.class_live[i]);
  }
  line("processes", process_count());
  line("tlb_remote_flushes", g_tlb_remote_flushes.load(MemoryOrder::Relaxed));
  line("tlb_remote_flush_harts", g_tlb_remote_flush_harts.load(MemoryOrder::Relaxed));
  // Inter-processor interrupts taken, all harts together (wake-ups of idle harts, membarrier's barriers).
  u64 ipis = 0;
  for (usize i = 0; i < g_cpu_count; i++) ipis += g_cpus[i].ipis_taken.load(MemoryOrder::Relaxed);
  line("ipis_taken", ipis);
  line("kernel_image_hash", kernel_image_hash());
  // The longest a thread kept a hart after a tick asked for it, and who (kernel/sched.h): not a leak counter.
  SchedHold hold = sched_longest_hold();
  line("sched_longest_hold_us", hold.held_ns / 1000);
  line("sched_longest_hold_tid", hold.tid);
  line("sched_longest_hold_syscall", hold.syscall);
  out.appendf("sched_longest_hold_comm %s\n", hold.name);
  return {};
}

Result<void> proc_uptime(TextBuilder& out) {
  u64 centiseconds = time_monotonic_ns() / 10000000;
  // The second number is the idle time summed over the harts; the scheduler does not account it yet.
  out.appendf("%llu.%02llu 0.00\n", static_cast<unsigned long long>(centiseconds / 100),
              static_cast<unsigned long long>(centiseconds % 100));
  return {};
}

Result<void> proc_cpuinfo(TextBuilder& out) {
  // The ISA string of each hart comes from the device tree (kept for the life of the kernel).
  auto fdt = Fdt::create(phys_to_virt<const void>(g_machine.fdt.base), g_machine.fdt.size);
  for (usize i = 0; i < g_cpu_count; i++) {
    const Cpu& cpu = g_cpus[i];
    if (!cpu.is_online) continue;
    const char* isa = "rv64imafdc";
    if (!fdt.is_error()) {
      auto cpus = fdt.value().find_path("/cpus");
      if (!cpus.is_error()) {
        fdt.value().for_each_child(cpus.value(), [&](Fdt::Node node) {
          Fdt::Property reg = fdt.value().property(node, "reg");
          if (reg.size >= 4 && reg.cell(0) == cpu.hart_id)
            if (const char* s = fdt.value().property(node, "riscv,isa").as_string()) isa = s;
        });
      }
    }
    out.appendf("processor\t: %u\nhart\t\t: %u\nisa\t\t: %s\nmmu\t\t: sv39\n\n", cpu.index, cpu.hart_id, isa);
  }
  return {};
}

Result<void> proc_mounts(TextBuilder& out) {
  RefPtr<Inode> root = vfs_root();
  return mount_print_table(out, *root);
}

// /proc/loadavg: the three load averages, running/total threads, the last pid given out.
Result<void> proc_loadavg(TextBuilder& out) {
  u64 loads[3];
  cpu_time_load_averages(loads);
  for (int i = 0; i < 3; i++) {
    load_value(out, loads[i]);
    out.append(' ');
  }
  u32 threads = process_task_count();
  out.appendf("%u/%u %d\n", sched_active_threads(), threads, process_last_pid());
  return {};
}

// /proc/stat (show_stat): CPU time per hart in clock ticks, then the system-wide counters.
Result<void> proc_stat(TextBuilder& out) {
  HartCpuTime total;
  for (usize i = 0; i < g_cpu_count; i++) {
    if (!g_cpus[i].is_online) continue;
    HartCpuTime h = cpu_time_of_hart(i);
    total.user += h.user;
    total.nice += h.nice;
    total.system += h.system;
    total.idle += h.idle;
  }
  auto line = [&](const char* name, const HartCpuTime& t) {
    // user nice system idle iowait irq softirq steal guest guest_nice
    out.appendf("%s %llu %llu %llu %llu 0 0 0 0 0 0\n", name, static_cast<unsigned long long>(t.user),
                static_cast<unsigned long long>(t.nice), static_cast<unsigned long long>(t.system),
                static_cast<unsigned long long>(t.idle));
  };
  line("cpu ", total);
  for (usize i = 0; i < g_cpu_count; i++) {
    if (!g_cpus[i].is_online) continue;
    char name[16];
    format(name, sizeof(name), "cpu%u", static_cast<unsigned>(i));
    line(name, cpu_time_of_hart(i));
  }
  u64 boot_seconds = (time_realtime_ns() - time_monotonic_ns()) / 1'000'000'000;
  out.appendf("ctxt %llu\nbtime %llu\nprocesses %llu\nprocs_running %u\nprocs_blocked 0\n",
              static_cast<unsigned long long>(sched_context_switches()), static_cast<unsigned long long>(boot_seconds),
              static_cast<unsigned long long>(process_created_count()), sched_active_threads());
  return {};
}

// /proc/version, as uname(2) describes the kernel.
Result<void> proc_version(TextBuilder& out) {
  out.appendf("%s version %s (sv39 teaching kernel) %s\n", UNAME_SYSNAME, UNAME_RELEASE, UNAME_VERSION);
  return {};
}

// The settings of /proc/sys, as this kernel has them (none can be changed yet).
Result<void> proc_sys_value(TextBuilder& out, const char* name) {
  auto is = [&](const char* key) { return strcmp(name, key) == 0; };
  // Open files (kernel/fs/file.h): allocated, free (always 0 since Linux 2.6), the maximum.
  if (is("fs/file-nr"))
    out.appendf("%llu\t0\t%llu\n", static_cast<unsigned long long>(g_open_files.load(MemoryOrder::Relaxed)),
                static_cast<unsigned long long>(file_max()));
  else if (is("fs/file-max")) out.appendf("%llu\n", static_cast<unsigned long long>(file_max()));
  // Pipes (kernel/fs/pipe.h): the largest size F_SETPIPE_SZ gives a user without CAP_SYS_RESOURCE, and the
  // per-user page limits (none hard, 16384 soft), as Linux 6.1's defaults. Every process here is root, whom
  // Linux holds to none of them.
  else if (is("fs/pipe-max-size")) out.appendf("%llu\n", static_cast<unsigned long long>(PIPE_MAX_SIZE));
  else if (is("fs/pipe-user-pages-hard")) out.append("0\n");
  else if (is("fs/pipe-user-pages-soft")) out.append("16384\n");
  else if (is("kernel/cap_last_cap")) out.append("40\n");  // CAP_CHECKPOINT_RESTORE: root holds every capability
  else if (is("kernel/hostname")) out.appendf("%s\n", UNAME_NODENAME);
  else if (is("kernel/ngroups_max")) out.appendf("%u\n", GroupList::MAX_GROUPS);
  else if (is("kernel/osrelease")) out.appendf("%s\n", UNAME_RELEASE);
  else if (is("kernel/ostype")) out.appendf("%s\n", UNAME_SYSNAME);
  else if (is("kernel/pid_max")) out.appendf("%d\n", PID_MAX);
  else if (is("kernel/version")) out.appendf("%s\n", UNAME_VERSION);
  else if (is("vm/max_map_count")) out.appendf("%llu\n", static_cast<unsigned long long>(user_layout::MAX_MAP_COUNT));
  else if (is("vm/mmap_min_addr")) out.appendf("%llu\n", static_cast<unsigned long long>(user_layout::MMAP_MIN));
  // Mode 1, "always overcommit": mmap never refuses memory for want of frames (pages are allocated when
  // touched), and running out kills a process then.
  else if (is("vm/overcommit_memory")) out.append("1\n");
  else if (is("vm/page-cluster")) out.appendf("%u\n", g_swap.page_cluster());  // sysctl.vm.page-cluster= at boot
  else return Error::NOENT;
  return {};
}
