// membarrier(2) (kernel/membarrier.cpp).
#pragma once

#include "kernel/syscall.h"

Result<u64> sys_membarrier(const SyscallArgs&);
