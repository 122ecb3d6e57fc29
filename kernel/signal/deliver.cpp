// Delivering signals: what a thread does with its pending signals on its way back to user mode (Linux's
// get_signal and the riscv handle_signal/do_signal), and rt_sigreturn, the way back from a handler.
//
// kernel/user_trap.cpp calls signal_deliver_pending when the thread has WORK_SIGNAL or WORK_KILL. With the
// signal lock held it looks, in this order, at:
//   1. a fatal signal (WORK_KILL): the process dies of it;
//   2. job control: if the process was continued, its parent is told (SIGCHLD, CLD_CONTINUED); if it is
//      stopped, the thread sleeps until SIGCONT or SIGKILL;
//   3. the pending signals it does not block: its own set first, then the process's; a synchronous one
//      (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS: caused by the thread's own instruction) before the
//      others, otherwise the lowest number first. It takes one, and does what its action says:
//        - ignore it, or a default of "ignore": take the next;
//        - a default of "stop": stop the process (unless a terminal stop signal in an orphaned group), tell the
//          parent (SIGCHLD, CLD_STOPPED), and sleep in step 2;
//        - a default of "terminate": the process dies of it (init excepted, which only gets what it handles);
//        - a handler: write a signal frame on the user stack (arch/riscv/signal_frame.h) and point the thread
//          at the handler, with the signal and the handler's sa_mask blocked. One handler per call: if more
//          signals are deliverable, WORK_SIGNAL stays set and the next call pushes another frame on top.
// A system call interrupted by a signal returned one of the RESTART errors (lib/error.h); here it becomes
// EINTR or is restarted (pc moved back onto the ecall, a0 restored), as the action and SA_RESTART decide.
#include <cstring>

#include "arch/riscv/csr.h"
#include "arch/riscv/signal_frame.h"
#include "arch/riscv/vdso.h"
#include "kernel/abi/syscall_numbers.h"
#include "kernel/log.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/signal/job_control.h"
#include "kernel/signal/signal.h"
#include "kernel/syscall_raw.h"
#include "kernel/timers.h"
#include "mm/address_space.h"

using namespace linux;

namespace {

// The thread's WORK_SIGNAL, made exact again by the thread itself once it has looked at everything: set if a
// signal it does not block is pending, or its process is stopped or was continued.
void recalc_work_locked(Thread* t) {
  Process* p = t->m_process;
  SigSet pending = (t->m_signals.m_pending.signals() | p->m_signals.m_shared_pending.signals()) & ~t->m_signals.m_blocked;
  const JobControlState& job = p->m_signals.m_job;
  if (!pending.is_empty() || job.m_is_stopped || job.m_notify_continue)
    t->add_work(WORK_SIGNAL);
  else
    t->clear_work(WORK_SIGNAL);
}

// The next signal to deliver from `set` (pending and not blocked): a synchronous one first, else the lowest.
unsigned pick(SigSet set) {
  SigSet synchronous = set & sigsets::SYNCHRONOUS;
  return synchronous.is_empty() ? set.lowest() : synchronous.lowest();
}

// Take the next deliverable signal, its siginfo into *info; 0 if there is none.
unsigned take_next_locked(Thread* t, siginfo* info) {
  SigSet allowed = ~t->m_signals.m_blocked;
  SigSet own = t->m_signals.m_pending.signals() & allowed;
  if (!own.is_empty()) {
    unsigned sig = pick(own);
    t->m_signals.recycle_locked(t->m_signals.m_pending.take_locked(sig, info));
    return sig;
  }
  PendingSet& shared = t->m_process->m_signals.m_shared_pending;
  SigSet group = shared.signals() & allowed;
  if (group.is_empty()) return 0;
  unsigned sig = pick(group);
  t->m_signals.recycle_locked(shared.take_locked(sig, info));
  return sig;
}

// The same, and a POSIX timer's signal gets its overrun count (kernel/timers.h), as Linux's dequeue_signal.
unsigned dequeue_locked(Thread* t, siginfo* info) {
  unsigned sig = take_next_locked(t, info);
  if (sig && info->si_code == SI_TIMER) timers_signal_taken_locked(*t->m_process, *info);
  return sig;
}

bool came_from_syscall(const TrapFrame* tf) { return tf->scause == csr::Scause::ECALL_U; }

// The system call the thread is returning from was interrupted: restart it (back onto the ecall, with its first
// argument again) or let it fail with EINTR. handler_flags: the handler's sa_flags, or no_handler.
constexpr u64 NO_HANDLER = ~u64{0};
void fix_up_interrupted_syscall(TrapFrame* tf, u64 handler_flags) {
  if (!came_from_syscall(tf)) return;
  tf->scause = ~u64{0};  // done once: a second signal delivered on the same way out must not do it again
  i64 result = static_cast<i64>(tf->a0);
  bool restart = false, through_restart_syscall = false;
  if (result == -errno_value(Error::RESTARTNOINTR)) {
    restart = true;
  } else if (result == -errno_value(Error::RESTARTSYS)) {
    restart = handler_flags == NO_HANDLER || (handler_flags & SA_RESTART);
  } else if (result == -errno_value(Error::RESTARTNOHAND)) {
    restart = handler_flags == NO_HANDLER;
  } else if (result == -errno_value(Error::RESTART_RESTARTBLOCK)) {
    restart = through_restart_syscall = handler_flags == NO_HANDLER;
  } else {
    return;
  }
  if (!restart) {
    tf->a0 = static_cast<u64>(-errno_value(Error::INTR));
    return;
  }
  tf->a0 = tf->orig_a0;
  tf->sepc -= 4;  // the ecall again (it is never a compressed instruction)
  if (through_restart_syscall) tf->a7 = static_cast<u64>(Sys::restart_syscall);
}

// A default action of "stop": the process stops (every thread, once there are several, at its next return to
// user mode), and the parent is told. The caller holds the lock; it is released.
void stop_process_unlock(Thread* t, unsigned sig) {
  Process* p = t->m_process;
  JobControlState& job = p->m_signals.m_job;
  job.m_is_stopped = true;
  job.m_stop_signal = sig;
  job.m_report_stop = true;
  job.m_report_continue = false;
  signal_stop_other_threads_locked(p, t);
  p->m_signals.lock().unlock();
  notify_parent_job_change(p, CLD_STOPPED, sig);
}

// The mask the handler runs with, and the one its frame will restore: what the thread had before.
struct MaskChange {
  SigSet before;          // the blocked mask before the handler
  bool was_temporary;     // it was rt_sigsuspend's temporary mask; m_saved_mask is the one to restore
  u64 to_restore;         // uc_sigmask
};

// Block what the handler's action says (its sa_mask, and the signal itself unless SA_NODEFER). Done before the
// frame is written, in the same critical section that took the signal; undone if the frame cannot be written.
MaskChange block_for_handler_locked(Thread* t, unsigned sig, const sigaction& action) {
  ThreadSignals& ts = t->m_signals;
  MaskChange change{ts.m_blocked, ts.m_restore_saved_mask,
                    (ts.m_restore_saved_mask ? ts.m_saved_mask : ts.m_blocked).bits()};
  ts.m_blocked |= SigSet(action.mask) & ~sigsets::UNBLOCKABLE;
  if (!(action.flags & SA_NODEFER)) ts.m_blocked.add(sig);
  ts.m_restore_saved_mask = false;
  recalc_work_locked(t);
  return change;
}

// The frame could not be written: no handler runs. The mask goes back, and SIGSEGV is forced (if the failed
// signal was SIGSEGV itself, it now kills).
[[gnu::cold, gnu::noinline]] void frame_failed(Thread* t, unsigned sig, u64 top, const MaskChange& mask) {
  Process* p = t->m_process;
  LOG_INFO("pid %d (%s): cannot write the frame of %s at sp %#llx: SIGSEGV", p->m_pid, p->m_name,
           signal_name(sig), static_cast<unsigned long long>(top));
  {
    SpinlockGuard guard(p->m_signals.lock());
    t->m_signals.m_blocked = mask.before;
    t->m_signals.m_restore_saved_mask = mask.was_temporary;
    if (sig == SIGSEGV) p->m_signals.action(SIGSEGV).handler = SIG_DFL;
    recalc_work_locked(t);
  }
  signal_force(siginfo_from_kernel(SIGSEGV));
}

// The signal frame and the handler's registers (the mask has been changed already).
void run_handler(Thread* t, TrapFrame* tf, const siginfo& info, const sigaction& action, const MaskChange& mask) {
  Process* p = t->m_process;
  ThreadSignals& ts = t->m_signals;
  unsigned sig = static_cast<unsigned>(info.si_signo);
  fix_up_interrupted_syscall(tf, action.flags);

  // Where the frame goes: below sp, or at the top of the alternate stack (SA_ONSTACK, not already on it). A
  // frame that would overflow the alternate stack from below is refused (Linux returns an impossible address).
  u64 sp = tf->sp;
  AltStack& alt = ts.m_altstack;
  bool usable = true;
  if (alt.contains(sp) && !alt.contains(sp - sizeof(riscv_signal::RtSigframe))) usable = false;
  u64 top = sp;
  if ((action.flags & SA_ONSTACK) && alt.is_enabled() && !alt.contains(sp)) top = alt.m_sp + alt.m_size;

  riscv_signal::FrameRequest request;
  request.handler = action.handler;
  request.return_address = vdso_sigreturn_address(*p->m_space);
  request.stack_top = top;
  request.blocked_to_restore = mask.to_restore;
  request.altstack = {alt.m_sp, alt.flags_for(sp), 0, alt.m_size};
  request.info = &info;
  Result<void> written = usable ? riscv_signal::setup_frame(tf, request) : Result<void>(Error::FAULT);
  if (UNLIKELY(written.is_error())) return frame_failed(t, sig, top, mask);
  if (alt.m_flags & SS_AUTODISARM) alt = AltStack{};
}

// Nothing (more) to deliver: an interrupted system call restarts, and a temporary mask goes back.
void finish_without_handler(TrapFrame* tf) {
  fix_up_interrupted_syscall(tf, NO_HANDLER);
  signal_restore_temporary_mask();
}

[[noreturn]] void die_of(unsigned sig) { process_exit(wait_status_signaled(sig)); }

}  // namespace

void signal_deliver_pending() {
  Thread* t = current_thread();
  Process* p = t->m_process;
  TrapFrame* tf = t->m_trap_frame;
  ProcessSignals& ps = p->m_signals;
  Spinlock& lock = ps.lock();
  for (;;) {
    lock.lock();
    if (unsigned sig = ps.m_kill_signal.load()) {
      lock.unlock();
      die_of(sig);
    }
    if (p->m_group_exiting || (p->m_group_exec && p->m_group_exec != t)) {
      // exit_group, or execve, in another thread: this one ends (with the status process_exit recorded).
      lock.unlock();
      process_exit(0);
    }
    if (ps.m_job.m_notify_continue) {
      ps.m_job.m_notify_continue = false;
      lock.unlock();
      notify_parent_job_change(p, CLD_CONTINUED, SIGCONT);
      continue;
    }
    if (ps.m_job.m_is_stopped) {
      // Stopped: sleep until SIGCONT or SIGKILL (both wake m_stopped_wait under this lock).
      (void)ps.m_stopped_wait.wait(lock, Interruptible::No);
      lock.unlock();
      continue;
    }
    siginfo info;
    unsigned sig = dequeue_locked(t, &info);
    if (sig == 0) {
      recalc_work_locked(t);
      lock.unlock();
      finish_without_handler(tf);
      return;
    }
    sigaction& action = ps.action(sig);
    if (action.handler == SIG_IGN) {
      lock.unlock();
      continue;
    }
    if (action.handler == SIG_DFL) {
      DefaultAction what = default_action(sig);
      // init gets only what it handles (a forced fault has cleared m_is_unkillable).
      if (what == DefaultAction::Ignore || (ps.m_is_unkillable && sig != SIGKILL)) {
        lock.unlock();
        continue;
      }
      if (what == DefaultAction::Stop) {
        if (sigsets::TERMINAL_STOP.has(sig)) {
          // Discarded in an orphaned group: nobody would continue it. (Asked without the signal lock: the
          // group is g_process_lock's, which comes first.)
          lock.unlock();
          if (process_group_is_orphaned(p)) continue;
          lock.lock();
          if (ps.m_kill_signal.load()) {
            lock.unlock();
            continue;
          }
        }
        stop_process_unlock(t, sig);
        continue;
      }
      u32 none = 0;
      ps.m_kill_signal.compare_exchange(none, sig);
      lock.unlock();
      die_of(ps.m_kill_signal.load());
    }
    // A handler. SA_RESETHAND: the action is SIG_DFL from now on (the handler still runs).
    sigaction taken = action;
    if (action.flags & SA_RESETHAND) action.handler = SIG_DFL;
    MaskChange mask = block_for_handler_locked(t, sig, taken);
    lock.unlock();
    run_handler(t, tf, info, taken, mask);
    return;
  }
}

void signal_set_temporary_mask(SigSet mask) {
  Thread* t = current_thread();
  ThreadSignals& ts = t->m_signals;
  SpinlockGuard guard(t->m_process->m_signals.lock());
  if (!ts.m_restore_saved_mask) ts.m_saved_mask = ts.m_blocked;
  ts.m_restore_saved_mask = true;
  ts.m_blocked = mask & ~sigsets::UNBLOCKABLE;
  recalc_work_locked(t);
}

void signal_restore_temporary_mask() {
  Thread* t = current_thread();
  ThreadSignals& ts = t->m_signals;
  if (!ts.m_restore_saved_mask) return;
  SpinlockGuard guard(t->m_process->m_signals.lock());
  ts.m_blocked = ts.m_saved_mask;
  ts.m_restore_saved_mask = false;
  recalc_work_locked(t);
}

// rt_sigreturn(2): back from a handler. The frame is at sp (the handler's `ret` went to __vdso_rt_sigreturn
// with sp where the kernel put the frame). Everything the frame holds comes back: pc, every register, the F/D
// state, the mask, the alternate stack; nothing else can (arch/riscv/signal_frame.h). A frame that cannot be
// read, or is malformed, gets SIGSEGV.
Result<u64> sys_rt_sigreturn(const SyscallArgs&) {
  Thread* t = current_thread();
  Process* p = t->m_process;
  TrapFrame* tf = t->m_trap_frame;
  ThreadSignals& ts = t->m_signals;
  ts.m_restart.m_kind = RestartKind::None;  // a restart_syscall after this would resume nothing
  u64 frame = tf->sp;
  auto restored = riscv_signal::restore_frame(tf);
  if (restored.is_error()) {
    LOG_INFO("pid %d (%s): rt_sigreturn: bad signal frame at %#llx (%s): SIGSEGV", p->m_pid, p->m_name,
             static_cast<unsigned long long>(frame), error_name(restored.error()));
    signal_force(siginfo_from_kernel(SIGSEGV));
    return 0;
  }
  {
    SpinlockGuard guard(p->m_signals.lock());
    ts.m_blocked = SigSet(restored.value().blocked) & ~sigsets::UNBLOCKABLE;
    recalc_work_locked(t);
  }
  // The alternate stack as the frame says (sigaltstack's rules; errors ignored, as Linux does). Usually the
  // frame holds it unchanged.
  const stack_t& alt = restored.value().altstack;
  const AltStack& now = ts.m_altstack;
  bool unchanged = alt.ss_sp == now.m_sp && alt.ss_size == now.m_size &&
                   (static_cast<u32>(alt.ss_flags) & SS_AUTODISARM) == now.m_flags &&
                   ((alt.ss_flags & SS_DISABLE) != 0) == !now.is_enabled();
  if (!unchanged) (void)signal_set_altstack(t, alt, tf->sp);
  tf->scause = ~u64{0};  // not a system call any more: nothing to restart
  return tf->a0;         // the interrupted a0, which the system-call return writes back unchanged
}

RAW_SYSCALL(sys_rt_sigreturn);
