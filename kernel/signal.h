// Signals: names, exec's reset of the actions, and the signal system calls (kernel/signal.cpp). Sending and
// delivering are declared in kernel/process.h.
#pragma once

#include "kernel/syscall.h"

struct Process;

const char* signal_name(unsigned sig);
// exec: caught signals go back to their default action (ignored ones stay ignored).
void signal_reset_on_exec(Process* p);

Result<u64> sys_kill(const SyscallArgs&);
Result<u64> sys_tkill(const SyscallArgs&);
Result<u64> sys_tgkill(const SyscallArgs&);
Result<u64> sys_rt_sigaction(const SyscallArgs&);
Result<u64> sys_rt_sigprocmask(const SyscallArgs&);
