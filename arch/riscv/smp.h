// Starting the other harts (SBI HSM extension, spec chapter 9) and talking to them (IPIs, remote fences).
#pragma once

#include "kernel/machine.h"

// Start every hart the device tree lists besides the boot hart; each runs secondary_main then `entry`.
void smp_start_secondaries(const Machine& m, void (*entry)());
usize smp_online_count();

// Hart mask helpers for SBI calls: bit i = hart id (hart_mask_base 0).
u64 smp_all_harts_mask();
u64 smp_other_harts_mask();
void smp_send_ipi(u64 hart_mask);
// The online harts by index (bit i: g_cpus[i]; the CPU numbers of sched_getaffinity and /proc/cpuinfo).
u64 smp_online_index_mask();
