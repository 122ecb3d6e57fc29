// A process's signal state (part of Process, kernel/process.h) and the table of actions it may share.
// (See kernel/signal/thread_signals.h for how the state divides between threads, processes and tables.)
#pragma once

#include <cstring>

#include "kernel/ktimer.h"
#include "kernel/signal/thread_signals.h"
#include "kernel/spinlock.h"
#include "kernel/wait_queue.h"
#include "lib/refptr.h"

struct Process;

// The actions (Linux's sighand_struct). Every process has a table of its own (ProcessSignals::m_own_handlers,
// copied at fork); the threads of a process use their process's. CLONE_SIGHAND without CLONE_THREAD (two
// processes sharing one table) points m_handlers at the other process's table, and exec goes back to its own.
//
// Its lock guards the actions, and also the pending sets and blocked masks of every thread that uses the table
// and the signal state of their processes (ProcessSignals below): sending, delivering and changing a mask all
// happen under this one lock, as under Linux's siglock.
// Lock order: g_process_lock, then a table's m_lock, then g_sched_lock.
struct SignalHandlers {
  // The actions are filled in by their process's creator, signal_init_process (every action SIG_DFL) or
  // signal_fork (the parent's), not here: fork would write the 1.5 KiB twice.
  SignalHandlers() {}
  AS_NONCOPYABLE(SignalHandlers);

  Spinlock m_lock{"signals"};
  linux::sigaction m_actions[linux::NSIG];  // guarded by m_lock

  linux::sigaction& action(unsigned sig) { return m_actions[sig - 1]; }
};

// setitimer(ITIMER_REAL): SIGALRM when the timer runs out, then every interval.
struct RealTimer {
  KernelTimer m_timer;
  u64 m_interval_ns = 0;    // guarded by the handlers' lock
  bool m_was_armed = false; // setitimer armed it once: exit must cancel it (only the process itself sets it)
  Process* m_process = nullptr;  // back-link for the timer's function (the timer is cancelled before exit)
};

// Job control: stopped by SIGSTOP (or a terminal stop signal), continued by SIGCONT. Guarded by the handlers'
// lock.
struct JobControlState {
  bool m_is_stopped = false;      // every thread sleeps in m_stopped_wait until SIGCONT or SIGKILL
  u32 m_stop_signal = 0;          // the signal that stopped it
  bool m_report_stop = false;     // wait4(WUNTRACED) has a stop to report
  bool m_report_continue = false; // wait4(WCONTINUED) has a continue to report
  bool m_notify_continue = false; // the parent gets SIGCHLD (CLD_CONTINUED) when a thread of ours next runs
};

struct ProcessSignals {
  SignalHandlers m_own_handlers;
  // The table in use: m_own_handlers, or another process's (kept alive by m_handlers_owner). It changes only
  // at exec, from another's back to the own one; whoever changes it must hold the old table's lock, and code
  // that may run concurrently with such a change must take lock() again if the table moved meanwhile (as
  // Linux's lock_task_sighand does). No table is shared between processes today, so it never moves.
  SignalHandlers* m_handlers = &m_own_handlers;
  RefPtr<Process> m_handlers_owner;
  PendingSet m_shared_pending;        // sent to the process (kill); guarded by the handlers' lock
  // The signal the process dies of once a thread notices (WORK_KILL): set once, never cleared.
  Atomic<u32> m_kill_signal{0};
  JobControlState m_job;
  WaitQueue m_stopped_wait;           // threads of a stopped process sleep here
  // init: only the signals it has handlers for reach it (Linux's SIGNAL_UNKILLABLE); a fault still kills it.
  bool m_is_unkillable = false;       // guarded by the handlers' lock
  // The process is exiting: signals sent to it are dropped, and nothing but the exiting thread itself looks at
  // its threads any more (which lets the reaper free them without this lock). Guarded by the handlers' lock.
  bool m_is_exiting = false;
  u32 m_exit_signal = linux::SIGCHLD; // sent to the parent at exit (clone's CSIGNAL; 0: none)
  RealTimer m_real_timer;

  Spinlock& lock() { return m_handlers->m_lock; }
};
