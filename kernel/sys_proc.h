// Process system calls (kernel/sys_proc.cpp).
#pragma once

#include "kernel/syscall.h"

i64 sys_clone(const SyscallArgs&);
i64 sys_exit(const SyscallArgs&);
i64 sys_wait4(const SyscallArgs&);
i64 sys_getpid(const SyscallArgs&);
i64 sys_getppid(const SyscallArgs&);
i64 sys_gettid(const SyscallArgs&);
i64 sys_getuid(const SyscallArgs&);
i64 sys_getpgid(const SyscallArgs&);
i64 sys_setpgid(const SyscallArgs&);
i64 sys_setsid(const SyscallArgs&);
i64 sys_set_tid_address(const SyscallArgs&);
i64 sys_set_robust_list(const SyscallArgs&);
i64 sys_prlimit64(const SyscallArgs&);
i64 sys_sched_yield(const SyscallArgs&);
i64 sys_umask(const SyscallArgs&);
