// From a booted kernel to running processes: bring up the subsystems, start init, and turn every hart into a
// scheduler.
#include "arch/riscv/cpu.h"
#include "arch/riscv/memlayout.h"
#include "arch/riscv/vdso.h"
#include "drivers/drivers.h"
#include "kernel/cmdline.h"
#include "kernel/fs/vfs.h"
#include "kernel/kernel.h"
#include "kernel/log.h"
#include "kernel/machine.h"
#include "kernel/process.h"
#include "kernel/random.h"
#include "kernel/sched.h"
#include "kernel/swap.h"
#include "mm/frame.h"
#include "mm/vm_stats.h"

extern Machine g_machine;
void pmap_probe_asid_bits();
u32 pmap_asid_mask();

void kernel_init_subsystems() {
  pmap_probe_asid_bits();
  LOG_INFO("paging: %u ASID bits", static_cast<unsigned>(__builtin_popcount(pmap_asid_mask())));
  random_init(g_machine.rng_seed, g_machine.rng_seed_size);
  vm_init();
  vdso_init();
  sched_init_hart();
  const PhysRange& initrd = g_machine.initrd;
  vfs_init(initrd.size ? phys_to_virt<const void>(initrd.base) : nullptr, initrd.size);
  if (initrd.size) {
    // The files now live in the in-memory file system: give the archive's frames back.
    g_phys.add_free_range(PhysAddr(align_up(initrd.base, PAGE_SIZE)), PhysAddr(align_down(initrd.end(), PAGE_SIZE)));
    LOG_INFO("initramfs: %llu KiB unpacked, archive freed", static_cast<unsigned long long>(initrd.size / KiB));
    vfs_root_fit_to_memory();  // half of RAM, counting the archive's frames
  }
  // Disks, and their /dev nodes. Their interrupts go to this (the boot) hart.
  drivers_init(g_machine, this_cpu()->info ? this_cpu()->info->plic_context : ~0u);
  vfs_add_disk_nodes();
  vfs_mount_from_command_line();
  // Page replacement, the page-out thread, and swap on the disks the command line names.
  swap_init();
}

[[noreturn]] void kernel_hart_main() {
  sched_init_hart();
  sched_run_idle();
}

[[noreturn]] void kernel_start_init() {
  const char* path = cmdline_get("init");
  if (!path || !*path) path = "/sbin/init";
  const char* argv[32];
  argv[0] = path;
  usize argc = 1 + cmdline_init_args(argv + 1, array_size(argv) - 1);
  process_start_init(path, argv, argc);
  sched_run_idle();
}
