// Signals, as far as the kernel goes today: sending (kill), the recorded actions (rt_sigaction) and mask
// (rt_sigprocmask), and the default actions — terminate, or ignore. User handlers are recorded but not run: a
// caught signal takes its default action.
//
// A process's signal state is guarded by its m_signal_lock, and so is its thread's WORK_SIGNAL bit
// (kernel/thread.h): every change of the pending or blocked sets recalculates it under the lock, so the bit
// says exactly whether a signal waits to be delivered, and the way back to user mode tests only the bit.
#include "lib/bits.h"
#include "kernel/signal.h"

#include "arch/riscv/usercopy.h"
#include "kernel/log.h"
#include "kernel/process.h"
#include "kernel/syscall_raw.h"

using namespace linux;

namespace {

enum class DefaultAction : u8 { Terminate, Ignore, Stop };

DefaultAction default_action(unsigned sig) {
  switch (sig) {
    case SIGCHLD:
    case SIGURG:
    case SIGWINCH:
    case SIGCONT:
      return DefaultAction::Ignore;
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
      return DefaultAction::Stop;
    default:
      return DefaultAction::Terminate;
  }
}

bool valid_signal(unsigned sig) { return sig >= 1 && sig <= NSIG; }

// Would delivering sig to p do nothing at all? Such signals are dropped when sent, as Linux does.
bool is_ignored_locked(Process* p, unsigned sig) {
  ASSERT_LOCKED(p->m_signal_lock);
  if (sig == SIGKILL || sig == SIGSTOP) return false;
  u64 handler = p->m_actions[sig - 1].handler;
  if (handler == SIG_IGN) return true;
  // Stopping is not implemented: treat stop signals like ignored ones.
  return handler == SIG_DFL && default_action(sig) != DefaultAction::Terminate;
}

// Make p's thread's WORK_SIGNAL bit say whether a signal is pending and not blocked.
void recalculate_signal_work_locked(Process* p) {
  ASSERT_LOCKED(p->m_signal_lock);
  if (!p->m_thread) return;
  if (p->m_pending_signals.load(MemoryOrder::Relaxed) & ~p->m_blocked_signals)
    p->m_thread->add_work(WORK_SIGNAL);
  else
    p->m_thread->clear_work(WORK_SIGNAL);
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

Result<void> signal_send(Process* target, unsigned sig) {
  if (!valid_signal(sig)) return Error::INVAL;
  {
    SpinlockGuard guard(target->m_signal_lock);
    if (sig == SIGKILL) {
      target->m_kill_signal.store(SIGKILL);
      if (target->m_thread) target->m_thread->add_work(WORK_KILL);
    } else {
      if (is_ignored_locked(target, sig)) return {};
      target->m_pending_signals.fetch_or(sig_bit(sig));
      if (target->m_blocked_signals & sig_bit(sig)) return {};
      if (target->m_thread) target->m_thread->add_work(WORK_SIGNAL);
    }
  }
  if (target->m_thread) interrupt_thread(target->m_thread);
  return {};
}

void signal_deliver_pending() {
  Process* p = current_process();
  if (!p) return;
  if (unsigned sig = p->m_kill_signal.load()) process_exit(wait_status_signaled(sig));
  u64 deliverable;
  {
    SpinlockGuard guard(p->m_signal_lock);
    deliverable = p->m_pending_signals.load() & ~p->m_blocked_signals;
    if (!deliverable) {
      recalculate_signal_work_locked(p);
      return;
    }
    unsigned sig = lowest_set_bit(deliverable) + 1;
    p->m_pending_signals.fetch_and(~sig_bit(sig));
    recalculate_signal_work_locked(p);
    u64 handler = p->m_actions[sig - 1].handler;
    if (handler == SIG_IGN) return;
    if (handler == SIG_DFL && default_action(sig) != DefaultAction::Terminate) return;
    // Default action (or a handler we cannot run yet): terminate.
    guard.unlock();
    if (handler != SIG_DFL)
      LOG_WARN("pid %d (%s): %s has a handler, but signal handlers are not supported yet: terminating", p->m_pid,
               p->m_name, signal_name(sig));
    process_exit(wait_status_signaled(sig));
  }
}

void signal_reset_on_exec(Process* p) {
  SpinlockGuard guard(p->m_signal_lock);
  for (auto& a : p->m_actions) {
    if (a.handler != SIG_IGN) a = {};
  }
}

// ---- system calls ----

namespace {

// kill(2), and tkill/tgkill with one thread per process (a tid is a pid).
Result<u64> kill_pid(i32 pid, unsigned sig) {
  if (sig > NSIG) return Error::INVAL;
  Process* self = current_process();
  if (pid > 0) {
    RefPtr<Process> target = process_find(pid);
    if (!target || target->m_state == ProcessState::Zombie) return Error::SRCH;
    if (sig != 0) TRY(signal_send(target.get(), sig));
    return 0;
  }
  // pid 0 (our process group), -1 (everyone we may signal) or -pgid: there are no process groups yet, so
  // 0 and -pid mean the caller, and -1 every process but init and the caller (kill(2)).
  if (pid == 0 || pid < -1) {
    if (sig != 0) TRY(signal_send(self, sig));
    return 0;
  }
  RefPtr<Process> targets[64];
  usize count = 0;
  i32 next = 2;
  bool any = false;
  while (true) {
    count = 0;
    process_for_each([&](Process& p) {
      if (p.m_pid < next || p.m_pid == 1 || &p == self || count == array_size(targets)) return;
      if (p.m_state == ProcessState::Zombie) return;
      targets[count++] = RefPtr<Process>(&p);
    });
    if (count == 0) break;
    any = true;
    for (usize i = 0; i < count; i++) {
      if (sig) (void)signal_send(targets[i].get(), sig);
      next = targets[i]->m_pid + 1;
    }
  }
  if (!any) return Error::SRCH;
  return 0;
}

}  // namespace

Result<u64> sys_kill(const SyscallArgs& a) { return kill_pid(static_cast<i32>(a.a0), static_cast<unsigned>(a.a1)); }

Result<u64> sys_tgkill(const SyscallArgs& a) { return kill_pid(static_cast<i32>(a.a1), static_cast<unsigned>(a.a2)); }

Result<u64> sys_tkill(const SyscallArgs& a) {
  if (static_cast<i32>(a.a0) <= 0) return Error::INVAL;
  return kill_pid(static_cast<i32>(a.a0), static_cast<unsigned>(a.a1));
}

Result<u64> sys_rt_sigaction(const SyscallArgs& a) {
  unsigned sig = static_cast<unsigned>(a.a0);
  u64 act_address = a.a1, old_address = a.a2;
  if (a.a3 != 8) return Error::INVAL;  // sizeof(sigset_t) in the kernel ABI
  if (!valid_signal(sig)) return Error::INVAL;
  linux::sigaction act{};
  if (act_address) {
    if ((sig == SIGKILL || sig == SIGSTOP)) return Error::INVAL;
    act = TRY(copy_value_from_user<linux::sigaction>(act_address));
  }
  Process* p = current_process();
  linux::sigaction old;
  {
    SpinlockGuard guard(p->m_signal_lock);
    old = p->m_actions[sig - 1];
  }
  // Copy the old action out before changing anything, so EFAULT leaves the action unchanged.
  if (old_address && copy_value_to_user(old_address, old).is_error()) return Error::FAULT;
  if (act_address) {
    SpinlockGuard guard(p->m_signal_lock);
    act.mask &= ~(sig_bit(SIGKILL) | sig_bit(SIGSTOP));
    p->m_actions[sig - 1] = act;
    // Setting a signal to be ignored discards it if pending (sigaction(2)).
    if (is_ignored_locked(p, sig)) {
      p->m_pending_signals.fetch_and(~sig_bit(sig));
      recalculate_signal_work_locked(p);
    }
  }
  return 0;
}

Result<u64> sys_rt_sigprocmask(const SyscallArgs& a) {
  u32 how = static_cast<u32>(a.a0);
  u64 set_address = a.a1, old_address = a.a2;
  if (a.a3 != 8) return Error::INVAL;
  Process* p = current_process();
  u64 set = 0;
  if (set_address) {
    if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK) return Error::INVAL;
    set = TRY(copy_value_from_user<u64>(set_address)) & ~(sig_bit(SIGKILL) | sig_bit(SIGSTOP));
  }
  u64 old;
  {
    SpinlockGuard guard(p->m_signal_lock);
    old = p->m_blocked_signals;
  }
  if (old_address && copy_value_to_user(old_address, old).is_error()) return Error::FAULT;
  if (set_address) {
    SpinlockGuard guard(p->m_signal_lock);
    if (how == SIG_BLOCK) p->m_blocked_signals |= set;
    if (how == SIG_UNBLOCK) p->m_blocked_signals &= ~set;
    if (how == SIG_SETMASK) p->m_blocked_signals = set;
    recalculate_signal_work_locked(p);
  }
  return 0;
}

// The raw entry points trap.S calls (kernel/syscall.h).
RAW_SYSCALL(sys_kill);
RAW_SYSCALL(sys_tkill);
RAW_SYSCALL(sys_tgkill);
RAW_SYSCALL(sys_rt_sigaction);
RAW_SYSCALL(sys_rt_sigprocmask);
