// The kernel's side of swap (kernel/swap.h).
#include "kernel/swap.h"

#include <cstring>

#include "arch/riscv/kernel_map.h"
#include "drivers/block/block_swap_device.h"
#include "kernel/cmdline.h"
#include "kernel/fs/syscall_support.h"
#include "kernel/fs/vfs.h"
#include "kernel/log.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/signal/signal.h"
#include "kernel/syscall_raw.h"
#include "lib/format.h"
#include "mm/address_space.h"
#include "mm/heap.h"
#include "mm/pageable.h"
#include "mm/pageout.h"
#include "mm/shrinker.h"
#include "mm/swap.h"
#include "mm/vm_object.h"

namespace {

// A disk to swap on: "/dev/vdb" names it in /proc/swaps, as the path swapon(2) was given does on Linux.
Result<void> swap_on(RefPtr<BlockDevice> disk, const char* path, u32 flags) {
  if (disk->is_read_only()) {
    LOG_WARN("swapon: %s: the disk is read-only", path);
    return Error::PERM;
  }
  auto* device = new BlockSwapDevice(disk, path);
  if (!device) return Error::NOMEM;
  const char* why = "";
  Result<void> r = g_swap.swapon(OwnPtr<SwapDevice>(device), flags, &why);
  if (r.is_error()) {
    LOG_WARN("swapon: %s: %s", path, why);
    return r;
  }
  // Linux's line ("Adding 65532k swap on /dev/vdb.  Priority:-2 extents:1 across:65532k"), with the label.
  g_swap.for_each_area([&](SwapArea& area) {
    if (strcmp(area.device().path(), path) != 0) return;
    u64 kib = area.total_pages() * (PAGE_SIZE / KiB);
    LOG_INFO("Adding %lluk swap on %s.  Priority:%d extents:1 across:%lluk%s%s uuid %s",
             static_cast<unsigned long long>(kib), path, area.priority(), static_cast<unsigned long long>(kib),
             area.label()[0] ? " label " : "", area.label(), area.uuid());
  });
  return {};
}

// The block device a path names (swapon/swapoff): EINVAL for anything but a block device node (a regular
// file would be a swap file, which needs a file system's block map: not supported).
Result<RefPtr<BlockDevice>> disk_at(u64 user_path, char (&path)[64]) {
  UserPath p;
  TRY(p.copy_from(user_path));
  WalkStart start = TRY(walk_start(linux::AT_FDCWD, p.get()));
  RefPtr<Inode> inode = TRY(vfs_lookup(start.base.get(), p.get()));
  if (inode->type() != InodeType::BlockDevice) return Error::INVAL;
  RefPtr<BlockDevice> disk = block_device_find_by_number(inode->rdev());
  if (!disk) return Error::NODEV;
  format(path, sizeof(path), "%s", p.get());
  return disk;
}

// The OOM killer: the process with the most pages in memory, on swap and in its page tables (Linux's
// oom_badness counts those: a process that maps the zero page every 2 MiB holds no page of its own but one
// page-table page for each), never init. One line says which and why.
bool oom_kill() {
  RefPtr<Process> victim;
  u64 best = 0, resident = 0, swapped = 0, tables = 0;
  process_for_each([&](Process& p) {
    if (p.m_pid == 1 || p.m_state == ProcessState::Zombie || !p.m_space || p.m_signals.m_kill_signal.load(MemoryOrder::Relaxed)) return;
    // (Read without the address-space lock: each count is one word, and a choice needs no exact figure.)
    u64 r = p.m_space->resident_anon_pages(), s = p.m_space->swapped_pages(), t = p.m_space->page_table_pages();
    if (r + s + t > best) {
      best = r + s + t;
      resident = r;
      swapped = s;
      tables = t;
      victim = RefPtr<Process>(&p);
    }
  });
  if (!victim) return false;
  LOG_WARN("Out of memory: killed process %d (%s), %llu KiB in memory and %llu KiB on swap, %llu KiB of page "
           "tables, the most of any: RAM and swap are full",
           victim->m_pid, victim->m_name, static_cast<unsigned long long>(resident * PAGE_SIZE / KiB),
           static_cast<unsigned long long>(swapped * PAGE_SIZE / KiB),
           static_cast<unsigned long long>(tables * PAGE_SIZE / KiB));
  signal_kill_process(victim.get(), linux::SIGKILL);
  // The processes that share its memory (clone with CLONE_VM) die with it, or the memory would stay (Linux's
  // oom_kill_process). (Under g_process_lock, which comes before the signal lock.)
  const AddressSpace* memory = victim->m_space.get();
  process_for_each([&](Process& p) {
    if (&p != victim.get() && p.m_pid != 1 && p.m_space.get() == memory) {
      LOG_WARN("Out of memory: killed process %d (%s), which shares its memory", p.m_pid, p.m_name);
      signal_kill_process(&p, linux::SIGKILL);
    }
  });
  return true;
}

void pageout_thread(void*) { pageout_thread_main(); }

const Shrinker g_kernel_stack_shrinker = {"kernel stacks", kernel_stack_cached_frames, kernel_stack_cache_shrink};

}  // namespace

void swap_init() {
  const char* policy = cmdline_get("replacement");
  if (!g_pageable.init(policy) && policy)
    LOG_WARN("replacement=%s: no such policy; using %s", policy, g_pageable.policy_name());
  pageable_set_watermarks(g_phys.total_frames());
  pageout_init();
  set_oom_killer(oom_kill);
  set_file_page_reclaimer(&MemoryObject::reclaimer);  // clean pages of the page cache go under pressure
  register_shrinker(&g_kernel_stack_shrinker);
  LOG_INFO("page-out: %s replacement; watermarks min %llu, low %llu, high %llu pages", g_pageable.policy_name(),
           static_cast<unsigned long long>(g_phys.watermark_min()), static_cast<unsigned long long>(g_phys.watermark_low()),
           static_cast<unsigned long long>(g_phys.watermark_high()));
  ASSERT_MSG(thread_create_kernel("pageout", pageout_thread, nullptr), "cannot start the page-out thread");
  // sysctl.vm.page-cluster=N: swap read-ahead (Linux sets any sysctl at boot this way).
  if (const char* value = cmdline_get("sysctl.vm.page-cluster")) {
    u32 n = 0;
    const char* p = value;
    while (*p >= '0' && *p <= '9' && n < 100) n = n * 10 + static_cast<u32>(*p++ - '0');
    if (p == value || *p || g_swap.set_page_cluster(n).is_error())
      LOG_WARN("sysctl.vm.page-cluster=%s: not a number from 0 to 5; keeping %u", value, g_swap.page_cluster());
  }
  // swap=vdb[,vdc...]: swap on at boot, in the order given (the priorities count down from -2).
  if (const char* list = cmdline_get("swap")) {
    char name[16];
    while (*list) {
      usize n = 0;
      while (list[n] && list[n] != ',') n++;
      format(name, sizeof(name), "%.*s", static_cast<int>(n), list);
      list += n + (list[n] == ',');
      const char* disk_name = strncmp(name, "/dev/", 5) == 0 ? name + 5 : name;
      RefPtr<BlockDevice> disk = block_device_find(disk_name);
      char path[24];
      format(path, sizeof(path), "/dev/%s", disk_name);
      if (!disk) LOG_WARN("swap=%s: no such disk", name);
      else (void)swap_on(disk, path, 0);
    }
  }
}

Result<u64> sys_swapon(const SyscallArgs& a) {
  if (static_cast<u32>(a.a1) & ~SwapFlag::VALID) return Error::INVAL;
  char path[64];
  RefPtr<BlockDevice> disk = TRY(disk_at(a.a0, path));
  TRY(swap_on(disk, path, static_cast<u32>(a.a1)));
  return 0;
}

Result<u64> sys_swapoff(const SyscallArgs& a) {
  char path[64];
  RefPtr<BlockDevice> disk = TRY(disk_at(a.a0, path));
  TRY(g_swap.swapoff(disk.get()));
  LOG_INFO("swapoff: %s: every page is back in memory", path);
  return 0;
}

RAW_SYSCALL(sys_swapon);
RAW_SYSCALL(sys_swapoff);
