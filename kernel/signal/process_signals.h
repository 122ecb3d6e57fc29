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

// The actions (Linux's sighand_struct): one table per process, copied at fork, used by all its threads, and
// shared with other processes by clone's CLONE_SIGHAND without CLONE_THREAD (a sigaction in one is seen by the
// others). exec gives a process whose table is shared a copy of its own (Linux's de_thread), since the new
// program's handlers reset. Guarded by the signal lock (ProcessSignals::lock()).
struct SignalActions : RefCounted {
  // The actions are filled in by their creator, signal_init_process (every action SIG_DFL), signal_fork (the
  // parent's) or signal_exec, not here: fork would write the 1.5 KiB twice.
  SignalActions() {}
  AS_NONCOPYABLE(SignalActions);

  linux::sigaction m_actions[linux::NSIG];

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

// The signal lock guards the actions, and also the pending sets and blocked masks of every thread of the
// processes that use it and their signal state (ProcessSignals below): sending, delivering and changing a mask
// all happen under this one lock, as under Linux's siglock. Processes that share their actions (CLONE_SIGHAND)
// share the lock too, and go on sharing it after an exec has separated their actions: a lock that never
// changes needs none of the care Linux's lock_task_sighand takes with one that may (a sender that read the
// pointer could otherwise lock a lock the process no longer uses).
// Lock order: g_process_lock, then a signal lock, then g_sched_lock. No code holds two signal locks at once.
struct ProcessSignals {
  Spinlock m_own_lock{"signals"};
  Spinlock* m_lock = &m_own_lock;    // the lock in use, set at creation: ours, or m_lock_owner's
  RefPtr<Process> m_lock_owner;      // keeps the process whose lock we use alive (CLONE_SIGHAND), else null
  RefPtr<SignalActions> m_handlers;  // set at creation; replaced only by exec, under the lock
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

  Spinlock& lock() { return *m_lock; }
  linux::sigaction& action(unsigned sig) { return m_handlers->action(sig); }
};
