// The sched_* system calls (kernel/sys_sched.cpp).
#pragma once

#include "kernel/syscall.h"

Result<u64> sys_sched_setscheduler(const SyscallArgs&);
Result<u64> sys_sched_setparam(const SyscallArgs&);
Result<u64> sys_sched_getscheduler(const SyscallArgs&);
Result<u64> sys_sched_getparam(const SyscallArgs&);
Result<u64> sys_sched_get_priority_max(const SyscallArgs&);
Result<u64> sys_sched_get_priority_min(const SyscallArgs&);
Result<u64> sys_sched_rr_get_interval(const SyscallArgs&);
Result<u64> sys_sched_getaffinity(const SyscallArgs&);
Result<u64> sys_sched_setaffinity(const SyscallArgs&);
