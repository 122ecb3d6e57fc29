// The clocks a program names by clockid_t (clock_gettime, clock_getres, clock_nanosleep, timer_create), in one
// table, as Linux's posix_clocks array (kernel/time/posix-timers.c): what each clock counts, and whether it can
// be read, slept on and timed. Decoded once here; the system calls (kernel/sys_misc.cpp, kernel/timers.cpp) ask
// the decoded Clock.
#pragma once

#include "lib/result.h"
#include "lib/types.h"

enum class ClockKind : u8 {
  Realtime,     // CLOCK_REALTIME, _COARSE, CLOCK_TAI (the TAI offset is 0 until adjtimex sets it, as Linux's)
  Monotonic,    // CLOCK_MONOTONIC, _RAW, _COARSE, CLOCK_BOOTTIME (no suspend here: boot time is monotonic time)
  ProcessCpu,   // CLOCK_PROCESS_CPUTIME_ID, or a negative id naming a process (clock_getcpuclockid)
  ThreadCpu,    // CLOCK_THREAD_CPUTIME_ID, or a negative id naming a thread (pthread_getcpuclockid)
};

struct Clock {
  u32 id = 0;               // as the program gave it
  ClockKind kind = ClockKind::Realtime;
  i32 target = 0;           // a CPU clock's process or thread id; 0: the caller's own
  bool is_user_only = false;  // a CPU clock counting user time only (CPUCLOCK_VIRT)
  enum class Use : u8 { Yes, NotSupported, Invalid };  // ENOTSUP, EINVAL
  Use read = Use::Yes;      // clock_gettime, clock_getres
  Use sleep = Use::Yes;     // clock_nanosleep
  Use timer = Use::Yes;     // timer_create
};

// EINVAL for an id that names no clock.
Result<Clock> clock_decode(u32 clock_id);
// Now, in nanoseconds. EINVAL for a clock that cannot be read, or when a CPU clock's process or thread is gone (or, for a thread, is not one of the
// caller's: Linux's pid_for_clock).
Result<u64> clock_read_ns(const Clock& clock);
u64 clock_resolution_ns(const Clock& clock);
// Whether clock_nanosleep may sleep on the clock, and timer_create make a timer on it (ENOTSUP or EINVAL if not).
Result<void> clock_check_sleep(const Clock& clock);
Result<void> clock_check_timer(const Clock& clock);
