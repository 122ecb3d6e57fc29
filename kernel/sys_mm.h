// Memory system calls (kernel/sys_mm.cpp).
#pragma once

#include "kernel/syscall.h"

i64 sys_brk(const SyscallArgs&);
i64 sys_mmap(const SyscallArgs&);
i64 sys_munmap(const SyscallArgs&);
i64 sys_mprotect(const SyscallArgs&);
i64 sys_madvise(const SyscallArgs&);
