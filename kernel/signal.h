// Signals: names, forced fatal signals from faults, and the signal system calls (kernel/signal.cpp).
#pragma once

#include "kernel/syscall.h"

struct Process;

const char* signal_name(unsigned sig);
// The calling process must die of sig (a fault it cannot survive); it happens on the way back to user mode.
void signal_force_fatal(unsigned sig);
// exec: caught signals go back to their default action (ignored ones stay ignored).
void signal_reset_on_exec(Process* p);

Result<u64> sys_kill(const SyscallArgs&);
Result<u64> sys_tkill(const SyscallArgs&);
Result<u64> sys_tgkill(const SyscallArgs&);
Result<u64> sys_rt_sigaction(const SyscallArgs&);
Result<u64> sys_rt_sigprocmask(const SyscallArgs&);
