// Machine and time system calls (kernel/sys_misc.cpp).
#pragma once

#include "kernel/syscall.h"

i64 sys_uname(const SyscallArgs&);
i64 sys_clock_gettime(const SyscallArgs&);
i64 sys_clock_getres(const SyscallArgs&);
i64 sys_gettimeofday(const SyscallArgs&);
i64 sys_nanosleep(const SyscallArgs&);
i64 sys_clock_nanosleep(const SyscallArgs&);
i64 sys_getrandom(const SyscallArgs&);
i64 sys_sysinfo(const SyscallArgs&);
i64 sys_reboot(const SyscallArgs&);
i64 sys_sched_getaffinity(const SyscallArgs&);
i64 sys_sched_setaffinity(const SyscallArgs&);
i64 sys_times(const SyscallArgs&);
i64 sys_getrusage(const SyscallArgs&);
i64 sys_prctl(const SyscallArgs&);
i64 sys_riscv_flush_icache(const SyscallArgs&);

// Frames the kernel holds only as caches and can free at once (counted as free by sysinfo and /proc/meminfo).
u64 memory_reclaimable_frames();
