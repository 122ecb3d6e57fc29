// CPU-time interval timers and POSIX timers, as Linux 6.1 has them (kernel/time/itimer.c, posix-timers.c,
// posix-cpu-timers.c). ITIMER_REAL is the signal code's (kernel/signal/itimer.cpp); what is here:
//
//   ITIMER_VIRTUAL, ITIMER_PROF   setitimer(2)'s CPU-time timers: SIGVTALRM after user time, SIGPROF after user
//                                 and system time (kernel/signal/itimer.cpp passes them here)
//   timer_create(2) and friends   per-process POSIX timers, numbered from 0, on the wall clocks (REALTIME,
//                                 MONOTONIC, BOOTTIME, TAI: a kernel timer, kernel/ktimer.h) or on the caller's
//                                 CPU-time clocks; they send SIGEV_SIGNAL to the process, SIGEV_THREAD_ID to one
//                                 thread, or nothing (SIGEV_NONE)
//
// CPU time is counted in timer ticks (kernel/cpu_time.cpp), which count the CPU-time timers down, so they fire
// within a tick (10 ms) of their time, as Linux's do without high-resolution CPU timers.
//
// A POSIX timer's signal is queued at most once: expiries while it is still pending are overruns, which the
// siginfo (si_overrun) and timer_getoverrun report once the signal is taken, as on Linux.
//
// fork gives the child no timers; exec deletes the POSIX timers and keeps the interval timers; exit deletes all.
//
// Locks: g_timer_lock guards every timer's state and each process's timer list. Order: the process's signal
// lock, then g_timer_lock (a timer firing holds both while it sends; the signal code calls
// timers_signal_taken_locked with its lock held).
#pragma once

#include "kernel/abi/linux_signal.h"
#include "kernel/syscall.h"
#include "lib/result.h"

struct Process;
struct Thread;
struct ProcessTimers;

// A timer tick charged elapsed_ns of CPU time to p's thread `ticking`, from user mode or not: count the
// process's CPU-time timers (and the thread's) down, fire those that run out.
void timers_tick_cpu(Process& p, const Thread& ticking, bool from_user, u64 elapsed_ns);
// exec: the POSIX timers go. exit: every timer goes (before the process's signal state does).
void timers_exec(Process& p);
void timers_exit(Process& p);
// A POSIX timer's signal (si_code SI_TIMER) was taken from a pending set: fill in its overrun count.
void timers_signal_taken_locked(Process& p, linux::siginfo& info);

// setitimer/getitimer for ITIMER_VIRTUAL (1) and ITIMER_PROF (2): the time left and the interval, in ns.
struct CpuItimerValue {
  u64 value_ns = 0, interval_ns = 0;
};
CpuItimerValue cpu_itimer_get(Process& p, u32 which);
// Sets the timer (value 0: disarm); returns what it was.
Result<CpuItimerValue> cpu_itimer_set(Process& p, u32 which, CpuItimerValue fresh);

Result<u64> sys_timer_create(const SyscallArgs&);
Result<u64> sys_timer_settime(const SyscallArgs&);
Result<u64> sys_timer_gettime(const SyscallArgs&);
Result<u64> sys_timer_getoverrun(const SyscallArgs&);
Result<u64> sys_timer_delete(const SyscallArgs&);
