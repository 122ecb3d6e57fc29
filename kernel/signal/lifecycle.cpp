// Signal state through a process's life: creation, fork, exec, exit (see kernel/signal/signal.h), and what /proc
// shows of it.
#include <cstring>

#include "kernel/process.h"
#include "kernel/signal/job_control.h"
#include "kernel/signal/signal.h"

using namespace linux;

namespace {

void real_timer_fired(KernelTimer* timer);

void init_common(Process* p) {
  p->m_signals.m_real_timer.m_process = p;
  p->m_signals.m_real_timer.m_timer.m_function = real_timer_fired;
}

// ITIMER_REAL ran out: SIGALRM, and again after the interval if there is one (kernel/signal/itimer.cpp sets it).
void real_timer_fired(KernelTimer* timer) {
  RealTimer* rt = reinterpret_cast<RealTimer*>(reinterpret_cast<char*>(timer) - offsetof(RealTimer, m_timer));
  Process* p = rt->m_process;
  u64 interval;
  {
    SpinlockGuard guard(p->m_signals.lock());
    interval = rt->m_interval_ns;
  }
  if (interval) ktimer_arm(timer, timer->m_deadline_ns + interval);
  (void)signal_send(p, siginfo_from_kernel(SIGALRM));
}

}  // namespace

Result<void> signal_init_process(Process* p, bool is_init) {
  auto* actions = new SignalActions();
  if (!actions) return Error::NOMEM;
  memset(actions->m_actions, 0, sizeof(SignalActions::m_actions));  // all SIG_DFL
  p->m_signals.m_handlers = RefPtr<SignalActions>::adopt(actions);
  p->m_signals.m_is_unkillable = is_init;
  init_common(p);
  return {};
}

Result<void> signal_fork(Process* parent, Thread* parent_thread, Process* child, Thread* child_thread,
                         u64 clone_flags, unsigned exit_signal) {
  ProcessSignals& from = parent->m_signals;
  ProcessSignals& to = child->m_signals;
  if (clone_flags & linux::CLONE_SIGHAND) {
    // A process sharing the caller's actions, and so its lock (clone without CLONE_THREAD).
    to.m_lock = from.m_lock;
    to.m_lock_owner = from.m_lock_owner ? from.m_lock_owner : RefPtr<Process>(parent);
    SpinlockGuard guard(from.lock());
    to.m_handlers = from.m_handlers;
    child_thread->m_signals.m_blocked = parent_thread->m_signals.m_blocked;
  } else {
    auto* actions = new SignalActions();
    if (!actions) return Error::NOMEM;
    to.m_handlers = RefPtr<SignalActions>::adopt(actions);
    SpinlockGuard guard(from.lock());
    memcpy(actions->m_actions, from.m_handlers->m_actions, sizeof(SignalActions::m_actions));
    // clone3's CLONE_CLEAR_SIGHAND: handlers go back to SIG_DFL; ignored signals stay ignored (as exec does).
    if (clone_flags & linux::CLONE_CLEAR_SIGHAND)
      for (sigaction& action : actions->m_actions)
        if (action.handler != SIG_IGN) action = sigaction{};
    child_thread->m_signals.m_blocked = parent_thread->m_signals.m_blocked;
  }
  // The alternate stack is the parent thread's own business; fork and vfork copy it, a process sharing the
  // memory for good (CLONE_VM without CLONE_VFORK) gets none: it would run its handlers on the parent's (Linux's
  // copy_process, sas_ss_reset).
  if ((clone_flags & (linux::CLONE_VM | linux::CLONE_VFORK)) != linux::CLONE_VM)
    child_thread->m_signals.m_altstack = parent_thread->m_signals.m_altstack;
  child->m_signals.m_exit_signal = exit_signal;
  init_common(child);
  return {};
}

Result<void> signal_exec(Process* p, Thread* t) {
  ProcessSignals& ps = p->m_signals;
  // A table shared with another process (CLONE_SIGHAND): the new program gets a copy of its own (the other
  // threads of this process have exited; the count is stable, since only this process could share it further).
  RefPtr<SignalActions> shared;  // dropped after the lock
  if (ps.m_handlers->ref_count() > 1) {
    auto* actions = new SignalActions();
    if (!actions) return Error::NOMEM;
    SpinlockGuard guard(ps.lock());
    memcpy(actions->m_actions, ps.m_handlers->m_actions, sizeof(SignalActions::m_actions));
    shared = std::move(ps.m_handlers);
    ps.m_handlers = RefPtr<SignalActions>::adopt(actions);
  }
  {
    SpinlockGuard guard(ps.lock());
    for (sigaction& a : ps.m_handlers->m_actions) {
      if (a.handler != SIG_IGN) a = sigaction{};  // a handler's code is gone with the old program
      a.flags = 0;
      a.mask = 0;
    }
  }
  t->m_signals.m_altstack = AltStack{};
  {
    SpinlockGuard guard(g_process_lock);
    p->m_did_exec = true;
  }
  return {};
}

void signal_exit(Process* p) {
  if (p->m_signals.m_real_timer.m_was_armed) ktimer_cancel(&p->m_signals.m_real_timer.m_timer);
  // From now on the process takes no signal. Pending ones are of no use: their memory goes now.
  SpinlockGuard guard(p->m_signals.lock());
  p->m_signals.m_is_exiting = true;
  p->m_signals.m_shared_pending.discard_locked(sigsets::ALL);
  if (p->m_thread) p->m_thread->m_signals.m_pending.discard_locked(sigsets::ALL);
}

bool signal_is_stopped(Process* p) {
  SpinlockGuard guard(p->m_signals.lock());
  return p->m_signals.m_job.m_is_stopped;
}

SignalSummary signal_summary(Process* p) {
  SignalSummary s{};
  SpinlockGuard guard(p->m_signals.lock());
  s.shared_pending = p->m_signals.m_shared_pending.signals().bits();
  if (Thread* t = p->m_thread ? p->m_thread : p->m_threads.front()) {
    s.pending = t->m_signals.m_pending.signals().bits();
    s.blocked = t->m_signals.m_blocked.bits();
  }
  for (unsigned sig = 1; sig <= NSIG; sig++) {
    u64 handler = p->m_signals.action(sig).handler;
    if (handler == SIG_IGN) s.ignored |= sig_bit(sig);
    else if (handler != SIG_DFL) s.caught |= sig_bit(sig);
  }
  return s;
}
