// execve(2): replace the calling process's program with a new one from an ELF file.
#pragma once

#include "kernel/syscall.h"

struct Process;

Result<u64> sys_execve(const SyscallArgs&);
// Boot: make init's first run exec `path` (from inside the new process), then enter user mode.
void exec_prepare_first(Process* init, const char* path, const char* const* argv, usize argc);
