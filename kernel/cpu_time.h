// CPU time, accounted as Linux does without precise accounting (no CONFIG_VIRT_CPU_ACCOUNTING): every timer
// tick (10 ms = one USER_HZ clock tick) is charged to what its hart was doing when it came — a process in
// user mode, a process in the kernel, or nothing (idle). Per hart for /proc/stat, per process for times(2),
// getrusage(2), /proc/PID/stat, the CPU-time clocks and the virtual and profiling interval timers.
// Also the load average (/proc/loadavg, sysinfo), sampled every 5 seconds as Linux's calc_load does.
#pragma once

#include "lib/atomic.h"
#include "lib/result.h"
#include "lib/types.h"

constexpr u64 CPU_TICK_NS = 10'000'000;  // one timer tick; also USER_HZ's clock tick (AT_CLKTCK = 100)

struct Process;

// A process's CPU time in ticks, and its reaped children's (what wait4 collected), as times(2) reports them.
struct ProcessCpuTime {
  Atomic<u64> user{0};
  Atomic<u64> system{0};
  Atomic<u64> children_user{0};
  Atomic<u64> children_system{0};
};

// A thread's own CPU time in ticks (the thread CPU-time clocks, kernel/clocks.h); its process's counts it too.
struct ThreadCpuTime {
  Atomic<u64> user{0};
  Atomic<u64> system{0};
};

// What a hart did with its ticks (the columns of /proc/stat's cpu lines we keep).
struct HartCpuTime {
  u64 user = 0, nice = 0, system = 0, idle = 0;
};

// The timer tick on this hart, which came from user mode or not: charges the tick (and counts the process's
// CPU-time timers down, kernel/timers.h).
void cpu_time_tick(bool from_user);
HartCpuTime cpu_time_of_hart(usize index);
// A reaped child's time (its own and its children's) goes to the parent's children totals.
void cpu_time_add_child(Process& parent, const Process& child);
// Nanoseconds of CPU time the process has used (user + system).
u64 cpu_time_process_ns(const Process& p);

// The load averages (1, 5, 15 minutes) in Linux's fixed point: 1.0 is 1 << 11 (FSHIFT).
constexpr u32 LOAD_FSHIFT = 11;
void cpu_time_load_averages(u64 (&loads)[3]);
