// The text of the /proc files, in Linux's formats (fs/proc/meminfo.c, task_mmu.c, array.c), so that tools
// written for Linux read them unchanged.
//
// Locks: per-process files hold g_process_lock while they print (the process, its address space and its
// fields stay put: exec and exit change them only under that lock), and the maps take the address space's
// lock through AddressSpace::for_each_region. Order: g_process_lock, address space, VM object, heap.
#include <cstring>

#include "arch/riscv/cpu.h"
#include "arch/riscv/kernel_map.h"
#include "arch/riscv/memlayout.h"
#include "kernel/fs/mount.h"
#include "kernel/fs/namei.h"
#include "kernel/fs/procfs.h"
#include "kernel/fs/ramfs.h"
#include "kernel/fs/vfs.h"
#include "mm/heap.h"
#include "kernel/machine.h"
#include "kernel/process.h"
#include "kernel/signal/job_control.h"
#include "kernel/signal/signal.h"
#include "kernel/time.h"
#include "lib/format.h"
#include "mm/address_space.h"
#include "mm/frame.h"
#include "mm/vm_stats.h"

extern Machine g_machine;

namespace {

constexpr u64 KB_PER_PAGE = PAGE_SIZE / 1024;
constexpr u64 CLOCK_TICKS_PER_SECOND = 100;  // USER_HZ: the unit of the times in /proc/PID/stat

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

// Resident pages of the object behind a region, within the region's window.
u64 region_resident_object_pages(const Region& r) {
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

Process* find_locked(i32 pid) {
  ASSERT(g_process_lock.is_held());
  if (pid <= 0 || pid >= PID_MAX) return nullptr;
  return process_table_at_locked(pid);
}

char state_letter_locked(Process& p) {
  if (p.m_state == ProcessState::Zombie) return 'Z';
  if (!p.m_thread) return 'R';
  if (signal_is_stopped(&p)) return 'T';
  // Read without the scheduler's lock: a snapshot is all /proc promises.
  ThreadState s = __atomic_load_n(&p.m_thread->m_state, __ATOMIC_RELAXED);
  return s == ThreadState::Sleeping ? 'S' : 'R';
}

const char* state_name(char letter) {
  switch (letter) {
    case 'R': return "R (running)";
    case 'S': return "S (sleeping)";
    case 'Z': return "Z (zombie)";
    case 'T': return "T (stopped)";
  }
  return "R (running)";
}

struct MemoryUse {
  u64 size_pages = 0;      // every region (VmSize)
  u64 resident_pages = 0;  // anonymous pages plus resident object pages in the regions (VmRSS)
};

MemoryUse memory_use_locked(const Process& p) {
  MemoryUse use;
  if (!p.m_space || p.m_state == ProcessState::Zombie) return use;
  use.resident_pages = p.m_space->resident_anon_pages();
  p.m_space->for_each_region([&](const Region& r) {
    use.size_pages += r.pages();
    use.resident_pages += region_resident_object_pages(r);
  });
  return use;
}

// The process's name as /proc prints it (comm: at most 15 characters).
void copy_name_locked(const Process& p, char (&name)[PROCESS_NAME_MAX]) {
  memcpy(name, p.m_name, PROCESS_NAME_MAX);
  name[PROCESS_NAME_MAX - 1] = '\0';
}

}  // namespace

Result<void> proc_meminfo(TextBuilder& out) {
  MemoryCounters c = g_phys.counters();
  HeapStats heap = heap_stats();
  auto used = [&](FrameUse use) { return c.used_by[static_cast<unsigned>(use)]; };
  u64 file_pages = used(FrameUse::File);
  u64 ramfs_pages = RamFile::total_resident_pages();
  u64 shmem = file_pages > ramfs_pages ? file_pages - ramfs_pages : 0;
  u64 reclaimable = heap.empty_slab_frames + kernel_stack_cached_frames();
  u64 mapped = 0;
  process_for_each([&](Process& p) {
    if (p.m_space && p.m_state != ProcessState::Zombie)
      p.m_space->for_each_region([&](const Region& r) { mapped += region_resident_object_pages(r); });
  });
  if (mapped > file_pages) mapped = file_pages;  // shared pages are counted once per mapping above

  meminfo_line(out, "MemTotal", c.total_frames);
  meminfo_line(out, "MemFree", c.free_frames);
  meminfo_line(out, "MemAvailable", c.free_frames + reclaimable);
  meminfo_line(out, "Buffers", 0);
  meminfo_line(out, "Cached", file_pages);
  meminfo_line(out, "SwapCached", 0);
  meminfo_line(out, "SwapTotal", 0);
  meminfo_line(out, "SwapFree", 0);
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

// One line per region, exactly as Linux's show_map_vma prints it: the name (if any) starts at column 73.
Result<void> proc_pid_maps(TextBuilder& out, i32 pid) {
  SpinlockGuard guard(g_process_lock);
  Process* p = find_locked(pid);
  if (!p) return Error::SRCH;
  if (!p->m_space || p->m_state == ProcessState::Zombie) return {};
  p->m_space->for_each_region([&](const Region& r) {
    usize line_start = out.length();
    const VmObject* object = r.m_object.get();
    u64 offset = object ? r.m_object_page * PAGE_SIZE : 0;
    u32 minor = object && !object->is_special_mapping() ? device_minor(RAMFS_DEVICE) : 0;
    u64 inode = object ? object->inode_number() : 0;
    out.appendf("%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu ", static_cast<unsigned long long>(r.m_start.get()),
                static_cast<unsigned long long>(r.m_end.get()), has(r.m_prot, Prot::Read) ? 'r' : '-',
                has(r.m_prot, Prot::Write) ? 'w' : '-', has(r.m_prot, Prot::Exec) ? 'x' : '-',
                r.is_shared() ? 's' : 'p', static_cast<unsigned long long>(offset), 0u, minor,
                static_cast<unsigned long long>(inode));
    const char* name = nullptr;
    if (r.m_flags & RegionFlag::Heap)
      name = "[heap]";
    else if (r.m_flags & RegionFlag::Stack)
      name = "[stack]";
    else if (object)
      name = object->path() ? object->path() : "/dev/zero (deleted)";
    if (name) {
      // seq_setwidth(25 + sizeof(void*) * 6 - 1) then seq_pad(m, ' '): pad to 72, then one space.
      out.pad_to(line_start + 25 + 8 * 6 - 1);
      out.append(' ');
      out.append(name);
    }
    out.append('\n');
  });
  return {};
}

Result<void> proc_pid_stat(TextBuilder& out, i32 pid) {
  SpinlockGuard guard(g_process_lock);
  Process* p = find_locked(pid);
  if (!p) return Error::SRCH;
  char name[PROCESS_NAME_MAX];
  copy_name_locked(*p, name);
  char state = state_letter_locked(*p);
  i32 ppid = p->m_parent ? p->m_parent->m_pid : 0;
  MemoryUse use = memory_use_locked(*p);
  u64 start_ticks = p->m_start_time_ns / (1000000000 / CLOCK_TICKS_PER_SECOND);
  // Fields 1-52 of proc(5); what is not kept is 0.
  out.appendf("%d (%s) %c %d %d %d 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %llu %llu %llu %llu", p->m_pid, name, state, ppid,
              process_pgid_locked(p), process_sid_locked(p), static_cast<unsigned long long>(start_ticks),
              static_cast<unsigned long long>(use.size_pages * PAGE_SIZE),
              static_cast<unsigned long long>(use.resident_pages), static_cast<unsigned long long>(~0ull));
  // Fields 26-52: startcode .. cnswap (12), exit_signal (SIGCHLD), processor .. exit_code (14).
  out.append(" 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
  return {};
}

Result<void> proc_pid_status(TextBuilder& out, i32 pid) {
  SpinlockGuard guard(g_process_lock);
  Process* p = find_locked(pid);
  if (!p) return Error::SRCH;
  char name[PROCESS_NAME_MAX];
  copy_name_locked(*p, name);
  i32 ppid = p->m_parent ? p->m_parent->m_pid : 0;
  MemoryUse use = memory_use_locked(*p);
  out.appendf("Name:\t%s\nUmask:\t0022\nState:\t%s\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\n", name,
              state_name(state_letter_locked(*p)), p->m_pid, p->m_pid, ppid);
  out.append("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
  if (p->m_state != ProcessState::Zombie) {
    out.appendf("VmSize:\t%8llu kB\nVmRSS:\t%8llu kB\n", static_cast<unsigned long long>(use.size_pages * KB_PER_PAGE),
                static_cast<unsigned long long>(use.resident_pages * KB_PER_PAGE));
  }
  SignalSummary sig = signal_summary(p);
  out.appendf("Threads:\t1\nSigPnd:\t%016llx\nShdPnd:\t%016llx\nSigBlk:\t%016llx\nSigIgn:\t%016llx\n"
              "SigCgt:\t%016llx\n",
              static_cast<unsigned long long>(sig.pending), static_cast<unsigned long long>(sig.shared_pending),
              static_cast<unsigned long long>(sig.blocked), static_cast<unsigned long long>(sig.ignored),
              static_cast<unsigned long long>(sig.caught));
  return {};
}

Result<void> proc_pid_cmdline(TextBuilder& out, i32 pid) {
  SpinlockGuard guard(g_process_lock);
  Process* p = find_locked(pid);
  if (!p) return Error::SRCH;
  if (p->m_state == ProcessState::Zombie) return {};  // Linux: empty once the memory is gone
  usize length = p->m_cmdline_length < PROCESS_PATH_MAX ? p->m_cmdline_length : PROCESS_PATH_MAX;
  out.append(p->m_cmdline, length);
  return {};
}

Result<usize> proc_pid_exe(i32 pid, char* buffer, usize size) {
  SpinlockGuard guard(g_process_lock);
  Process* p = find_locked(pid);
  if (!p) return Error::NOENT;
  usize length = strnlen(p->m_exe_path, PROCESS_PATH_MAX);
  if (length == 0 || p->m_state == ProcessState::Zombie) return Error::NOENT;
  if (length > size) length = size;
  memcpy(buffer, p->m_exe_path, length);
  return length;
}

Result<usize> proc_pid_cwd(i32 pid, char* buffer, usize size) {
  RefPtr<Inode> cwd;
  {
    SpinlockGuard guard(g_process_lock);
    Process* p = find_locked(pid);
    if (!p || p->m_state == ProcessState::Zombie) return Error::NOENT;
    cwd = p->m_cwd;
  }
  // The path is found without g_process_lock: the walk up takes the name-space lock.
  char* path = static_cast<char*>(kmalloc(fs_limits::MAX_PATH));
  if (!path) return Error::NOMEM;
  auto length = vfs_path_of(cwd.get(), path, fs_limits::MAX_PATH);
  if (!length.is_error()) {
    usize n = length.value() < size ? length.value() : size;
    memcpy(buffer, path, n);
    length = n;
  }
  kfree(path);
  return length;
}
