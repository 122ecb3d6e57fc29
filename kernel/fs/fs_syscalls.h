// The file-system system calls (kernel/fs/). Numbers are Linux's asm-generic ones; kernel/syscall.cpp maps them.
#pragma once

#include "kernel/syscall.h"

i64 sys_getcwd(const SyscallArgs&);      // 17
i64 sys_dup(const SyscallArgs&);         // 23
i64 sys_dup3(const SyscallArgs&);        // 24
i64 sys_fcntl(const SyscallArgs&);       // 25
i64 sys_ioctl(const SyscallArgs&);       // 29
i64 sys_mkdirat(const SyscallArgs&);     // 34
i64 sys_unlinkat(const SyscallArgs&);    // 35
i64 sys_renameat2(const SyscallArgs&);   // 276 (renameat 38 is not in the riscv64 table)
i64 sys_ftruncate(const SyscallArgs&);   // 46
i64 sys_faccessat(const SyscallArgs&);   // 48 (and faccessat2 439)
i64 sys_chdir(const SyscallArgs&);       // 49
i64 sys_fchdir(const SyscallArgs&);      // 50
i64 sys_fchmodat(const SyscallArgs&);    // 53 (accepted, permission bits stored)
i64 sys_openat(const SyscallArgs&);      // 56
i64 sys_close(const SyscallArgs&);       // 57
i64 sys_pipe2(const SyscallArgs&);       // 59
i64 sys_getdents64(const SyscallArgs&);  // 61
i64 sys_lseek(const SyscallArgs&);       // 62
i64 sys_read(const SyscallArgs&);        // 63
i64 sys_write(const SyscallArgs&);       // 64
i64 sys_readv(const SyscallArgs&);       // 65
i64 sys_writev(const SyscallArgs&);      // 66
i64 sys_pread64(const SyscallArgs&);     // 67
i64 sys_pwrite64(const SyscallArgs&);    // 68
i64 sys_readlinkat(const SyscallArgs&);  // 78
i64 sys_newfstatat(const SyscallArgs&);  // 79
i64 sys_fstat(const SyscallArgs&);       // 80
i64 sys_symlinkat(const SyscallArgs&);   // 36
i64 sys_linkat(const SyscallArgs&);      // 37
i64 sys_statx(const SyscallArgs&);       // 291 (ENOSYS is fine: glibc falls back to newfstatat)
