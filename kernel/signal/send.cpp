// Sending a signal (Linux's kernel/signal.c: send_signal_locked, prepare_signal, complete_signal).
//
// Sending decides four things, all under the receiver's signal lock:
//   1. what happens at once: a stop signal discards a pending SIGCONT, and SIGCONT discards pending stop
//      signals and continues a stopped process, whatever SIGCONT's action;
//   2. whether the signal is dropped: its action would do nothing (SIG_IGN, or a default of "ignore"), and no
//      thread blocks it (a blocked signal stays pending, since its action may change before it is unblocked);
//      a standard signal that is already pending is not queued again;
//   3. where it waits: a signal sent to the process waits in the process's shared set, one sent to a thread
//      (tkill, a fault) in that thread's own set;
//   4. who must notice: a thread that does not block it gets WORK_SIGNAL and is woken from an interruptible
//      sleep (or, running on another hart, interrupted). A signal that will kill the process anyway (SIGKILL,
//      or a default action of "terminate" with no handler) kills it at once: every thread gets WORK_KILL.
#include <cstring>

#include "kernel/log.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/signal/signal.h"
#include "kernel/wait_queue.h"

using namespace linux;

namespace {

// The live threads of a process (Process::m_threads), with its signal lock held. An exiting process's threads
// are its own business (ProcessSignals::m_is_exiting).
template <typename Fn>
void for_each_thread(Process* p, Fn fn) {
  if (p->m_signals.m_is_exiting) return;
  for (Thread& t : p->m_threads) fn(&t);
}

// The most siginfo entries waiting in one pending set (Linux: RLIMIT_SIGPENDING, per user).
constexpr usize MAX_QUEUED = 4096;

// Would this process's action for sig do nothing? (Linux's sig_task_ignored.)
bool action_ignores_locked(Process* p, unsigned sig, bool forced) {
  u64 handler = p->m_signals.action(sig).handler;
  // init gets only the signals it handles; a forced signal (a fault) reaches it anyway.
  if (p->m_signals.m_is_unkillable && handler == SIG_DFL && !(forced && sigsets::UNBLOCKABLE.has(sig))) return true;
  if (handler == SIG_IGN) return true;
  return handler == SIG_DFL && default_action(sig) == DefaultAction::Ignore;
}

// Is the signal dropped as it is sent? Not while the receiving thread blocks it or waits for it.
bool is_ignored_locked(Process* p, Thread* t, unsigned sig, bool forced) {
  if (t && (t->m_signals.m_blocked.has(sig) || t->m_signals.m_waiting_for.has(sig))) return false;
  return action_ignores_locked(p, sig, forced);
}

// Step 1: the side effects of stop signals and SIGCONT, at the moment they are sent.
void prepare_locked(Process* p, unsigned sig) {
  JobControlState& job = p->m_signals.m_job;
  if (sigsets::STOP.has(sig)) {
    SigSet cont = SigSet::of(SIGCONT);
    p->m_signals.m_shared_pending.discard_locked(cont);
    for_each_thread(p, [&](Thread* t) { t->m_signals.m_pending.discard_locked(cont); });
  } else if (sig == SIGCONT) {
    p->m_signals.m_shared_pending.discard_locked(sigsets::STOP);
    for_each_thread(p, [&](Thread* t) { t->m_signals.m_pending.discard_locked(sigsets::STOP); });
    if (job.m_is_stopped) {
      job.m_is_stopped = false;
      job.m_report_stop = false;
      job.m_report_continue = true;
      job.m_notify_continue = true;  // the parent is told by the first thread that runs again
      for_each_thread(p, [](Thread* t) { t->add_work(WORK_SIGNAL); });
      p->m_signals.m_stopped_wait.wake_all();
    }
  }
}

// The process dies of sig: every thread stops what it does as soon as it can.
void kill_locked(Process* p, unsigned sig) {
  u32 none = 0;
  p->m_signals.m_kill_signal.compare_exchange(none, sig);
  for_each_thread(p, [](Thread* t) {
    t->add_work(WORK_KILL);
    interrupt_thread(t);
  });
  p->m_signals.m_stopped_wait.wake_all();
}

// Does thread t take sig now? (Linux's wants_signal.) Not while it blocks it, nor while its process is
// stopped: then only SIGKILL acts at once, anything else waits for SIGCONT.
bool wants_signal_locked(Thread* t, unsigned sig) {
  if (t->m_signals.m_blocked.has(sig)) return false;
  return sig == SIGKILL || !t->m_process->m_signals.m_job.m_is_stopped;
}

// Step 4: who notices.
void complete_locked(Process* p, Thread* target, unsigned sig) {
  Thread* t = target;
  if (!t) {
    for_each_thread(p, [&](Thread* candidate) {
      if (!t && wants_signal_locked(candidate, sig)) t = candidate;
    });
    if (!t) return;  // every thread blocks it: it waits in the shared set
  } else if (!wants_signal_locked(t, sig)) {
    return;
  }
  u64 handler = p->m_signals.action(sig).handler;
  bool fatal = sig == SIGKILL || (handler == SIG_DFL && default_action(sig) == DefaultAction::Terminate &&
                                  !p->m_signals.m_is_unkillable && !t->m_signals.m_waiting_for.has(sig));
  if (fatal) {
    kill_locked(p, sig);
    return;
  }
  t->add_work(WORK_SIGNAL);
  if (t != current_thread()) interrupt_thread(t);  // (the sender itself sees its work on its way out)
}

// The whole of sending, with the receiver's signal lock held. target is nullptr for a signal to the process.
// The siginfo goes into slot if given (a thread's fault slot), otherwise into a queue entry made here, once it
// is clear that the signal will wait (allocating under the lock: a dropped signal costs no allocation).
Result<void> send_locked(Process* p, Thread* target, const siginfo& info, PendingSignal* slot, bool forced) {
  unsigned sig = static_cast<unsigned>(info.si_signo);
  if (p->m_signals.m_is_exiting || p->m_signals.m_kill_signal.load(MemoryOrder::Relaxed)) return {};  // dying
  prepare_locked(p, sig);
  if (is_ignored_locked(p, target ? target : p->m_threads.front(), sig, forced)) return {};
  PendingSet& pending = target ? target->m_signals.m_pending : p->m_signals.m_shared_pending;
  if (!is_realtime_signal(sig) && pending.has(sig)) return {};  // a standard signal is pending at most once
  PendingSignal* node = slot;
  // SIGKILL is never delivered to a handler: no siginfo. The queue is bounded for what user space sends (the
  // kernel's own signals, si_code >= 0, always get their siginfo if there is memory).
  if (!node && sig != SIGKILL && (pending.queued() < MAX_QUEUED || info.si_code >= 0)) {
    Thread* spare_holder = target ? target : p->m_threads.front();
    node = spare_holder && !p->m_signals.m_is_exiting ? spare_holder->m_signals.new_entry_locked() : new PendingSignal();
  }
  if (node) {
    node->m_info = info;
  } else if (is_realtime_signal(sig) && info.si_code != SI_USER && info.si_code != SI_KERNEL) {
    // A standard signal may arrive without its siginfo; a real-time one sent with data may not: EAGAIN.
    return Error::AGAIN;
  }
  pending.add_locked(sig, node);
  complete_locked(p, target, sig);
  return {};
}

}  // namespace

const char* signal_name(unsigned sig) {
  static const char* const names[] = {"0",       "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",    "SIGTRAP",
                                      "SIGABRT", "SIGBUS",  "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV",
                                      "SIGUSR2", "SIGPIPE", "SIGALRM",   "SIGTERM", "SIGSTKFLT", "SIGCHLD",
                                      "SIGCONT", "SIGSTOP", "SIGTSTP",   "SIGTTIN", "SIGTTOU",   "SIGURG",
                                      "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",  "SIGIO",
                                      "SIGPWR",  "SIGSYS"};
  return sig < array_size(names) ? names[sig] : "SIGRT";
}

siginfo siginfo_from_current(unsigned sig, i32 code) {
  siginfo info;
  info.si_signo = static_cast<i32>(sig);
  info.si_errno = 0;
  info.si_code = code;
  info.pad0 = 0;
  Process* self = current_process();
  // The largest member, to set every byte of the union: the pid, uid 0 (everyone is root), the rest 0.
  info.chld = {self ? self->m_pid : 0, 0, 0, 0, 0, 0};
  return info;
}

siginfo siginfo_from_kernel(unsigned sig) {
  siginfo info{};
  info.si_signo = static_cast<i32>(sig);
  info.si_code = SI_KERNEL;
  return info;
}

Result<void> signal_send(Process* target, const siginfo& info) {
  if (!is_valid_signal(static_cast<unsigned>(info.si_signo))) return Error::INVAL;
  SpinlockGuard guard(target->m_signals.lock());
  return send_locked(target, nullptr, info, nullptr, false);
}

bool signal_is_ignored_locked(Process* target, unsigned sig) {
  return !target->m_signals.m_is_exiting && is_ignored_locked(target, target->m_threads.front(), sig, false);
}

Result<void> signal_send_locked(Process* target, const siginfo& info) {
  return send_locked(target, nullptr, info, nullptr, false);
}

void signal_retarget_shared_locked(Process* p, Thread* from, SigSet which) {
  SigSet left = p->m_signals.m_shared_pending.signals() & which;
  for_each_thread(p, [&](Thread* t) {
    if (t == from || left.is_empty()) return;
    SigSet taken = left & ~t->m_signals.m_blocked;
    if (taken.is_empty() || (p->m_signals.m_job.m_is_stopped && !taken.has(SIGKILL))) return;
    left &= ~taken;
    t->add_work(WORK_SIGNAL);
    if (t != current_thread()) interrupt_thread(t);
  });
}

void signal_thread_exit_locked(Process* p, Thread* t) {
  t->m_signals.m_pending.discard_locked(sigsets::ALL);
  signal_retarget_shared_locked(p, t, sigsets::ALL);
}

void signal_stop_other_threads_locked(Process* p, Thread* self) {
  for_each_thread(p, [&](Thread* t) {
    if (t == self) return;
    t->add_work(WORK_SIGNAL);
    interrupt_thread(t);
  });
}

Result<void> signal_send_to_thread(Process* p, i32 tid, const siginfo& info) {
  SpinlockGuard guard(p->m_signals.lock());
  return signal_send_to_thread_locked(p, tid, info);
}

Result<void> signal_send_to_thread_locked(Process* p, i32 tid, const siginfo& info) {
  Thread* target = nullptr;
  for_each_thread(p, [&](Thread* t) {
    if (static_cast<i32>(t->m_tid) == tid) target = t;
  });
  if (!target) return p->m_signals.m_is_exiting ? Result<void>() : Result<void>(Error::SRCH);  // dying: as if sent
  if (info.si_signo == 0) return {};
  if (!is_valid_signal(static_cast<unsigned>(info.si_signo))) return Error::INVAL;
  return send_locked(p, target, info, nullptr, false);
}

Result<void> signal_send_to_self(const siginfo& info) {
  if (info.si_signo == 0) return {};
  Thread* t = current_thread();
  SpinlockGuard guard(t->m_process->m_signals.lock());
  return send_locked(t->m_process, t, info, nullptr, false);
}

// Linux's force_sig_info_to_task: a signal the thread cannot refuse. If it is blocked or ignored, its action
// becomes SIG_DFL (and it is unblocked): a fault the program cannot handle kills it, rather than being retried
// for ever or left pending.
bool signal_force(const siginfo& info) {
  Thread* t = current_thread();
  Process* p = t->m_process;
  unsigned sig = static_cast<unsigned>(info.si_signo);
  ThreadSignals& ts = t->m_signals;
  // LAB signals: BEGIN SOLUTION
  PendingSignal* slot = ts.m_fault_slot.m_link.is_linked() ? nullptr : &ts.m_fault_slot;
  SpinlockGuard guard(p->m_signals.lock());
  sigaction& action = p->m_signals.action(sig);
  bool blocked = ts.m_blocked.has(sig);
  if (blocked || action.handler == SIG_IGN) {
    action.handler = SIG_DFL;
    if (blocked) ts.m_blocked.remove(sig);
  }
  if (action.handler == SIG_DFL) p->m_signals.m_is_unkillable = false;  // even init dies of its faults
  bool fatal = action.handler == SIG_DFL && default_action(sig) == DefaultAction::Terminate;
  (void)send_locked(p, t, info, slot, true);
  // LAB signals: STUDENT
  // // TODO(lab signals, exercise 2): this sends the fault's signal as kill(2) would: to the process, where
  // // any thread may take it, and only if the process neither blocks nor ignores it. A fault cannot wait:
  // // the faulting instruction runs again as soon as the thread returns to user mode. Send it to this thread
  // // (t), in its preallocated fault slot (ts.m_fault_slot, unless it is already queued), as a forced signal;
  // // and if the thread blocks it or the process ignores it, unblock it and make its action SIG_DFL first,
  // // so that the fault kills (init too: m_is_unkillable), as Linux's force_sig_info_to_task does.
  // (void)ts;
  // SpinlockGuard guard(p->m_signals.lock());
  // sigaction& action = p->m_signals.action(sig);
  // bool fatal = action.handler == SIG_DFL && default_action(sig) == DefaultAction::Terminate;
  // (void)send_locked(p, nullptr, info, nullptr, false);
  // LAB signals: END
  return fatal;
}

bool signal_force_fault(unsigned sig, i32 code, u64 address) {
  siginfo info{};
  info.si_signo = static_cast<i32>(sig);
  info.si_code = code;
  info.fault.addr = address;
  return signal_force(info);
}

void signal_kill_process(Process* p, unsigned sig) {
  SpinlockGuard guard(p->m_signals.lock());
  kill_locked(p, sig);
}
