// Identity and priority system calls (kernel/sys_cred.cpp).
#pragma once

#include "kernel/syscall.h"

Result<u64> sys_getgroups(const SyscallArgs&);
Result<u64> sys_setgroups(const SyscallArgs&);
Result<u64> sys_getpriority(const SyscallArgs&);
Result<u64> sys_setpriority(const SyscallArgs&);
Result<u64> sys_ioprio_set(const SyscallArgs&);
Result<u64> sys_ioprio_get(const SyscallArgs&);
