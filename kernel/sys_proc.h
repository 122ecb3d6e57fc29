// Process system calls (kernel/sys_proc.cpp).
#pragma once

#include "kernel/syscall.h"

Result<u64> sys_clone(const SyscallArgs&);
Result<u64> sys_exit(const SyscallArgs&);
Result<u64> sys_wait4(const SyscallArgs&);
Result<u64> sys_getpid(const SyscallArgs&);
Result<u64> sys_getppid(const SyscallArgs&);
Result<u64> sys_gettid(const SyscallArgs&);
Result<u64> sys_getuid(const SyscallArgs&);
Result<u64> sys_set_tid_address(const SyscallArgs&);
Result<u64> sys_exit_group(const SyscallArgs&);
Result<u64> sys_clone3(const SyscallArgs&);
Result<u64> sys_prlimit64(const SyscallArgs&);
Result<u64> sys_unshare(const SyscallArgs&);
Result<u64> sys_sched_yield(const SyscallArgs&);
Result<u64> sys_umask(const SyscallArgs&);
