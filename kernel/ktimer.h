// Kernel timers: call a function once a time has passed. The boot hart's timer tick (kernel/sched.cpp) runs
// the functions whose time has come, with interrupts off and no lock held, so a function may take spinlocks
// (send a signal, wake a thread) but must not sleep. Resolution: one tick (10 ms).
//
// Used by the interval timer ITIMER_REAL (kernel/signal/itimer.cpp); POSIX timers can use it the same way.
//
// Lock: g_ktimer_lock (kernel/ktimer.cpp) guards the list and every timer's fields.
#pragma once

#include "lib/types.h"

struct KernelTimer {
  void (*m_function)(KernelTimer*) = nullptr;  // set once, before the timer is first armed
  // The rest is the timer list's: guarded by g_ktimer_lock.
  u64 m_deadline_ns = 0;   // on the monotonic clock
  KernelTimer* m_next = nullptr;
  bool m_is_armed = false;
  bool m_is_running = false;  // its function runs right now (on the boot hart)
};

// Arm t to run at deadline_ns (monotonic); an armed timer moves to the new time. May be called from the
// timer's own function (to re-arm it).
void ktimer_arm(KernelTimer* t, u64 deadline_ns);
// Disarm t, and wait until its function has returned if it is running on another hart. Returns the time that
// was left (0 if t was not armed). Never call it from t's own function.
u64 ktimer_cancel(KernelTimer* t);
// The time left before t runs, 0 if it is not armed.
u64 ktimer_remaining(const KernelTimer* t);
// The tick: run every timer whose deadline is at or before now.
void ktimer_run_expired(u64 now_ns);
