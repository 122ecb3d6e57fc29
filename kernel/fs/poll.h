// Waiting for files to become ready: ppoll(2) and pselect6(2) (glibc's poll, select, pselect and pause use them;
// riscv64 has no poll or select system call).
//
// Each file says what it is ready for right now (File::poll_events). A caller that finds nothing ready sleeps
// until something changes anywhere: every change of a file's readiness (bytes into or out of a pipe, an end
// closed, a line typed at the console) calls poll_notify(), which wakes every sleeping poller to look again.
// One wait queue for all files is simple and cannot lose a wake-up (the poller samples a generation counter
// before it looks and sleeps only if it has not moved); its cost is that pollers look more often than needed,
// which is fine for the few that run at once here.
#pragma once

#include "kernel/syscall.h"
#include "lib/result.h"

// A file's readiness may have changed: wake every thread waiting in ppoll/pselect6. Any context, any spinlock
// held except the scheduler's.
void poll_notify();

Result<u64> sys_ppoll(const SyscallArgs& args);
Result<u64> sys_pselect6(const SyscallArgs& args);
