// memfd_create(2) and the seals of fcntl(2) (kernel/fs/memfd.cpp).
#pragma once

#include "kernel/fs/file.h"
#include "kernel/syscall.h"

// fcntl commands and seals (include/uapi/linux/fcntl.h).
constexpr u32 F_ADD_SEALS = 1033, F_GET_SEALS = 1034;
constexpr u32 F_SEAL_SEAL = 1, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4, F_SEAL_WRITE = 8, F_SEAL_FUTURE_WRITE = 16;

Result<u64> sys_memfd_create(const SyscallArgs&);
// Boot: make the private tmpfs memfd files live in.
void memfd_init();
// fcntl(fd, F_ADD_SEALS / F_GET_SEALS, argument): EINVAL for a file that is not a memfd, EPERM to seal a file
// not open for writing.
Result<u64> memfd_fcntl_seals(File& file, u32 command, u64 argument);
