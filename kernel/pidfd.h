// Process file descriptors: pidfd_open(2) gives a descriptor that names a process for as long as it is open
// (a pid can be reused once the process is reaped; a pidfd cannot point elsewhere), and pidfd_send_signal(2)
// signals through it. /proc/PID/fdinfo shows the process as "Pid:" (kernel/pidfd.cpp).
#pragma once

#include "kernel/syscall.h"

Result<u64> sys_pidfd_open(const SyscallArgs&);
Result<u64> sys_pidfd_send_signal(const SyscallArgs&);
