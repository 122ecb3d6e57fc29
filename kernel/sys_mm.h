// Memory system calls (kernel/sys_mm.cpp).
#pragma once

#include "kernel/syscall.h"

Result<u64> sys_brk(const SyscallArgs&);
Result<u64> sys_mmap(const SyscallArgs&);
Result<u64> sys_munmap(const SyscallArgs&);
Result<u64> sys_mprotect(const SyscallArgs&);
Result<u64> sys_mremap(const SyscallArgs&);
Result<u64> sys_madvise(const SyscallArgs&);
Result<u64> sys_mincore(const SyscallArgs&);
Result<u64> sys_mlock(const SyscallArgs&);
Result<u64> sys_mlock2(const SyscallArgs&);
Result<u64> sys_munlock(const SyscallArgs&);
Result<u64> sys_mlockall(const SyscallArgs&);
Result<u64> sys_munlockall(const SyscallArgs&);
Result<u64> sys_msync(const SyscallArgs&);
