// The file-system system calls (kernel/fs/fs_syscalls_*.cpp); kernel/syscall.cpp puts them in the table by number.
#pragma once

#include "kernel/syscall.h"

Result<u64> sys_getcwd(const SyscallArgs&);
Result<u64> sys_dup(const SyscallArgs&);
Result<u64> sys_dup3(const SyscallArgs&);
Result<u64> sys_fcntl(const SyscallArgs&);
Result<u64> sys_flock(const SyscallArgs&);
Result<u64> sys_ioctl(const SyscallArgs&);
Result<u64> sys_mkdirat(const SyscallArgs&);
Result<u64> sys_unlinkat(const SyscallArgs&);
Result<u64> sys_renameat2(const SyscallArgs&);  // renameat 38 is not in the riscv64 table
Result<u64> sys_ftruncate(const SyscallArgs&);
Result<u64> sys_fallocate(const SyscallArgs&);
Result<u64> sys_faccessat(const SyscallArgs&);  // and faccessat2
Result<u64> sys_chdir(const SyscallArgs&);
Result<u64> sys_fchdir(const SyscallArgs&);
Result<u64> sys_mknodat(const SyscallArgs&);
Result<u64> sys_truncate(const SyscallArgs&);
// kernel/fs/fs_syscalls_attr.cpp
Result<u64> sys_fchmodat(const SyscallArgs&);
Result<u64> sys_fchmod(const SyscallArgs&);
Result<u64> sys_fchownat(const SyscallArgs&);
Result<u64> sys_fchown(const SyscallArgs&);
Result<u64> sys_utimensat(const SyscallArgs&);
Result<u64> sys_openat(const SyscallArgs&);
Result<u64> sys_openat2(const SyscallArgs&);  // kernel/fs/openat2.cpp
Result<u64> sys_close(const SyscallArgs&);
Result<u64> sys_pipe2(const SyscallArgs&);
Result<u64> sys_getdents64(const SyscallArgs&);
Result<u64> sys_lseek(const SyscallArgs&);
Result<u64> sys_read(const SyscallArgs&);
Result<u64> sys_write(const SyscallArgs&);
Result<u64> sys_readv(const SyscallArgs&);
Result<u64> sys_writev(const SyscallArgs&);
Result<u64> sys_pread64(const SyscallArgs&);
Result<u64> sys_pwrite64(const SyscallArgs&);
// kernel/fs/fs_syscalls_copy.cpp
Result<u64> sys_sendfile(const SyscallArgs&);
Result<u64> sys_copy_file_range(const SyscallArgs&);
Result<u64> sys_readlinkat(const SyscallArgs&);
Result<u64> sys_newfstatat(const SyscallArgs&);
Result<u64> sys_fstat(const SyscallArgs&);
Result<u64> sys_symlinkat(const SyscallArgs&);
Result<u64> sys_linkat(const SyscallArgs&);
// kernel/fs/fs_syscalls_mount.cpp
Result<u64> sys_umount2(const SyscallArgs&);
Result<u64> sys_mount(const SyscallArgs&);
Result<u64> sys_statfs(const SyscallArgs&);
Result<u64> sys_fstatfs(const SyscallArgs&);
Result<u64> sys_sync(const SyscallArgs&);
Result<u64> sys_fsync(const SyscallArgs&);  // and fdatasync
Result<u64> sys_syncfs(const SyscallArgs&);
