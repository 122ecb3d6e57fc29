// Machine and time system calls (kernel/sys_misc.cpp).
#pragma once

#include "kernel/syscall.h"

// What uname(2) says the system is (and /proc/version and /proc/sys/kernel).
constexpr const char* UNAME_SYSNAME = "Linux";
constexpr const char* UNAME_NODENAME = "sv39";
constexpr const char* UNAME_RELEASE = "6.1.0-sv39";
constexpr const char* UNAME_VERSION = "#1 SMP sv39-teaching-kernel";

Result<u64> sys_uname(const SyscallArgs&);
Result<u64> sys_clock_gettime(const SyscallArgs&);
Result<u64> sys_clock_getres(const SyscallArgs&);
Result<u64> sys_gettimeofday(const SyscallArgs&);
Result<u64> sys_nanosleep(const SyscallArgs&);
Result<u64> sys_clock_nanosleep(const SyscallArgs&);
Result<u64> sys_getrandom(const SyscallArgs&);
Result<u64> sys_sysinfo(const SyscallArgs&);
Result<u64> sys_reboot(const SyscallArgs&);
Result<u64> sys_getcpu(const SyscallArgs&);
Result<u64> sys_times(const SyscallArgs&);
Result<u64> sys_getrusage(const SyscallArgs&);
Result<u64> sys_prctl(const SyscallArgs&);
Result<u64> sys_riscv_flush_icache(const SyscallArgs&);

// restart_syscall of an interrupted relative nanosleep or clock_nanosleep: sleep on to the deadline it had.
Result<u64> nanosleep_restart(u32 clock, u64 deadline_ns, u64 remaining_address);

// Frames the kernel holds only as caches and can free at once (counted as free by sysinfo and /proc/meminfo).
u64 memory_reclaimable_frames();
// Shared memory, as /proc/meminfo's Shmem (sysinfo's sharedram): file pages that are neither a ramfs file's nor a
// disk file's cache (MAP_SHARED|MAP_ANONYMOUS memory, memfd). Defined with /proc/meminfo (kernel/fs/proc_text.cpp).
u64 memory_shared_frames();
