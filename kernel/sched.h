// The scheduler: one global run queue (round robin) shared by all harts, protected by g_sched_lock together with
// thread states and wait queues (xv6's design: one lock makes sleep/wakeup simple to reason about).
// Each hart has an idle thread that runs when the queue is empty. A timer tick marks the running user thread
// for preemption; it yields at its next return to user mode (the kernel itself is not preempted).
//
// Lock order: any other spinlock may be held when taking g_sched_lock, never the other way round.
#pragma once

#include "kernel/spinlock.h"
#include "kernel/thread.h"

extern Spinlock g_sched_lock;

// Make the calling hart's current context its idle thread (every hart, once, at boot).
void sched_init_hart();
// Make t runnable (it must be Embryo or Sleeping).
void sched_make_runnable(Thread* t);
// Give up the hart; the caller stays runnable.
void thread_yield();
// A point in a kernel loop whose length a user program chooses (a big read or write, getrandom). The kernel is
// not preemptible, so such a loop gives up the hart here when a tick has asked for it (every tick is 10 ms),
// and says to stop early when the process is being killed or, with StopOn::AnySignal, has a signal to take
// (Linux's cond_resched with fatal_signal_pending / signal_pending). The caller then returns what it has done
// so far (Linux's partial count), or EINTR if nothing. Call it with no spinlock held.
enum class StopOn : u8 { Kill, AnySignal };
bool preemption_point(StopOn stop_on);
// Switch to the next runnable thread. g_sched_lock must be held (and no other spinlock); the current thread's
// state must already say why it stops running. Returns, with g_sched_lock held, when this thread runs again.
void sched_switch_locked();
// The per-hart scheduler loop (idle thread).
[[noreturn]] void sched_run_idle();
// Called on every timer tick on every hart.
void sched_tick();
// The current thread gives up WORK_RESCHEDULE at a scheduling point: the hold that ends here is measured.
void sched_note_resched_taken(Thread* t);
// The longest time a thread kept a hart after a tick asked it to give the hart up (from the time the tick was
// due, to the scheduling point where the thread looked: a preemption point, a sleep, the way back to user mode),
// and who: tid, program name, and a7 of its user registers (the system call it was in, if it was in one; ~0 for
// a kernel thread). /proc/kernel-stats shows it.
struct SchedHold {
  u64 held_ns = 0;
  u32 tid = 0;
  u64 syscall = ~0ull;
  char name[16] = {};
};
SchedHold sched_longest_hold();
// Total scheduler statistics for /proc.
u64 sched_context_switches();
// Threads running or waiting to run (Linux's nr_running: the load average and /proc/loadavg count them).
u32 sched_active_threads();
// A new thread's scheduling attributes from the thread that made it (clone, fork): policy, priority and
// allowed harts, reset to SCHED_OTHER if the parent asked for SCHED_RESET_ON_FORK (Linux's sched_fork).
void sched_fork(Thread* child, const Thread* parent);
// Let t run only on the harts of `allowed` (bit = hart index; at least one online). A thread running elsewhere
// leaves its hart: at once if it is the caller, at its next return to user mode otherwise.
void sched_set_cpus_allowed(Thread* t, u64 allowed);
