// The signal system calls: actions, masks and pending sets (rt_sigaction, rt_sigprocmask, rt_sigpending),
// waiting (rt_sigsuspend, rt_sigtimedwait), sending (kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo),
// the alternate stack (sigaltstack) and restart_syscall. (rt_sigreturn is in deliver.cpp.) Each follows Linux
// 6.1's kernel/signal.c, errors and their order included.
#include <cstring>

#include "arch/riscv/usercopy.h"
#include "kernel/futex.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/signal/job_control.h"
#include "kernel/signal/signal.h"
#include "kernel/sys_misc.h"
#include "kernel/syscall_raw.h"
#include "kernel/timers.h"
#include "kernel/time.h"

using namespace linux;

namespace {

constexpr u64 SIGSET_SIZE = 8;  // sizeof(sigset_t) in the kernel's ABI
// The sa_flags Linux keeps (UAPI_SA_FLAGS; riscv has no SA_RESTORER): unknown bits are cleared, so that a
// program can tell which flags the kernel knows.
constexpr u64 SA_EXPOSE_TAGBITS = 0x800;
constexpr u64 KNOWN_SA_FLAGS =
    SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER | SA_RESETHAND | SA_EXPOSE_TAGBITS;

// An action that does nothing with the signal (Linux's sig_handler_ignored).
bool action_ignores(const sigaction& a, unsigned sig) {
  return a.handler == SIG_IGN || (a.handler == SIG_DFL && default_action(sig) == DefaultAction::Ignore);
}

Result<SigSet> sigset_from_user(u64 address) {
  return SigSet(TRY(copy_value_from_user<u64>(address)));
}

// The current thread's view of its pending set: its own and its process's.
SigSet pending_of_locked(Thread* t) {
  return t->m_signals.m_pending.signals() | t->m_process->m_signals.m_shared_pending.signals();
}

// The sender may not pretend to be the kernel (si_code >= 0) or a kill/tkill (SI_TKILL), except to itself.
Result<siginfo> queued_info_from_user(u64 address, unsigned sig, i32 to_pid) {
  siginfo info;
  TRY(copy_from_user(&info, address, sizeof(info)));
  info.si_signo = static_cast<i32>(sig);
  if ((info.si_code >= 0 || info.si_code == SI_TKILL) && to_pid != current_process()->m_pid) return Error::PERM;
  return info;
}

// kill(pid) and rt_sigqueueinfo(pid): the process pid, or the process of the thread whose id it is (Linux's
// kill_pid_info finds any task and signals its whole thread group).
Result<void> send_to_pid(i32 pid, const siginfo& info) {
  RefPtr<Process> target = process_find_by_tid(pid);
  if (!target) return Error::SRCH;
  if (info.si_signo == 0) return {};  // only "does it exist?"
  return signal_send(target.get(), info);
}

// Every process but init and the caller: kill(-1, sig). SRCH if there is none. All under g_process_lock, as
// Linux holds tasklist_lock: a process forked meanwhile is either in the table already (and gets the signal),
// or its parent's fork sees the parent's fatal signal and makes no child (process_fork). Sending in batches
// outside the lock let a child forked during the walk escape a kill(-1, SIGKILL) (the fuzzer's clean-up left
// strays alive).
Result<void> send_to_everyone(const siginfo& info) {
  Process* self = current_process();
  bool any = false;
  process_for_each([&](Process& p) {
    if (p.m_pid == 1 || &p == self) return;
    any = true;
    if (info.si_signo) (void)signal_send(&p, info);
  });
  return any ? Result<void>() : Result<void>(Error::SRCH);
}

// kill(2)'s pid: a process, our group (0), everyone (-1), or a group (-pgid).
Result<void> send_kill(i32 pid, const siginfo& info) {
  if (pid == -2147483647 - 1) return Error::SRCH;  // INT_MIN: -pid would overflow (Linux: ESRCH)
  if (pid > 0) return send_to_pid(pid, info);
  if (pid == -1) return send_to_everyone(info);
  i32 pgid;
  {
    SpinlockGuard guard(g_process_lock);
    pgid = pid == 0 ? process_pgid_locked(current_process()) : -pid;
  }
  return signal_send_group(pgid, info);
}

// tkill/tgkill/rt_tgsigqueueinfo: the thread tid (of process tgid, unless tgid is 0).
Result<void> send_to_thread(i32 tgid, i32 tid, const siginfo& info) {
  Process* self = current_process();
  if (tid == static_cast<i32>(current_thread()->m_tid) && (tgid <= 0 || tgid == self->m_pid))
    return signal_send_to_self(info);  // to ourselves (raise): no lookup
  RefPtr<Process> p = process_find_by_tid(tid);
  if (!p || (tgid > 0 && p->m_pid != tgid)) return Error::SRCH;
  return signal_send_to_thread(p.get(), tid, info);
}

Result<unsigned> valid_or_zero(u64 sig) {
  if (sig > NSIG) return Error::INVAL;
  return static_cast<unsigned>(sig);
}

}  // namespace

// ---- Actions, masks, pending ----

Result<u64> sys_rt_sigaction(const SyscallArgs& a) {
  unsigned sig = static_cast<unsigned>(a.a0);
  u64 act_address = a.a1, old_address = a.a2;
  if (a.a3 != SIGSET_SIZE) return Error::INVAL;
  if (!is_valid_signal(sig) || a.a0 > NSIG || (act_address && sigsets::UNBLOCKABLE.has(sig))) return Error::INVAL;
  sigaction act{};
  if (act_address) act = TRY(copy_value_from_user<sigaction>(act_address));
  Thread* self = current_thread();
  Process* p = self->m_process;
  sigaction old;
  {
    SpinlockGuard guard(p->m_signals.lock());
    sigaction& k = p->m_signals.action(sig);
    old = k;
    old.flags &= KNOWN_SA_FLAGS;
    if (act_address) {
      act.flags &= KNOWN_SA_FLAGS;
      act.mask &= ~sigsets::UNBLOCKABLE.bits();
      k = act;
      // POSIX: setting an action that ignores a pending signal discards it, blocked or not.
      if (action_ignores(act, sig)) {
        SigSet one = SigSet::of(sig);
        p->m_signals.m_shared_pending.discard_locked(one);
        for (Thread& t : p->m_threads) t.m_signals.m_pending.discard_locked(one);
      }
    }
  }
  // Copied out last: a bad oldact is EFAULT with the new action already in place, as on Linux.
  if (old_address) TRY(copy_value_to_user(old_address, old));
  return 0;
}

Result<u64> sys_rt_sigprocmask(const SyscallArgs& a) {
  u32 how = static_cast<u32>(a.a0);
  u64 set_address = a.a1, old_address = a.a2;
  if (a.a3 != SIGSET_SIZE) return Error::INVAL;
  Thread* t = current_thread();
  ThreadSignals& ts = t->m_signals;
  SigSet old = ts.m_blocked;
  if (set_address) {
    SigSet set = TRY(sigset_from_user(set_address)) & ~sigsets::UNBLOCKABLE;
    if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK) return Error::INVAL;
    SpinlockGuard guard(t->m_process->m_signals.lock());
    SigSet blocked = how == SIG_BLOCK ? ts.m_blocked | set : how == SIG_UNBLOCK ? ts.m_blocked & ~set : set;
    SigSet newly_blocked = blocked & ~ts.m_blocked;
    ts.m_blocked = blocked;
    // A signal this unblocks is delivered on the way out of this call; the process's pending signals this
    // thread now blocks go to another thread that takes them.
    if (!(pending_of_locked(t) & ~blocked).is_empty()) t->add_work(WORK_SIGNAL);
    if (!newly_blocked.is_empty()) signal_retarget_shared_locked(t->m_process, t, newly_blocked);
  }
  if (old_address) TRY(copy_value_to_user(old_address, old.bits()));
  return 0;
}

Result<u64> sys_rt_sigpending(const SyscallArgs& a) {
  if (a.a1 > SIGSET_SIZE) return Error::INVAL;
  Thread* t = current_thread();
  SigSet pending;
  {
    SpinlockGuard guard(t->m_process->m_signals.lock());
    pending = pending_of_locked(t) & t->m_signals.m_blocked;
  }
  u64 bits = pending.bits();
  TRY(copy_to_user(a.a0, &bits, a.a1));
  return 0;
}

// ---- Waiting for a signal ----

// rt_sigsuspend(2): replace the mask and sleep until a signal is delivered; always EINTR afterwards (the
// handler has run by then), and the old mask is back once the handler returns.
Result<u64> sys_rt_sigsuspend(const SyscallArgs& a) {
  if (a.a1 != SIGSET_SIZE) return Error::INVAL;
  SigSet mask = TRY(sigset_from_user(a.a0));
  signal_set_temporary_mask(mask);
  // Sleep (with the signal lock as the lock the wait releases) until a signal ends the wait.
  Spinlock& lock = current_process()->m_signals.lock();
  WaitQueue never_woken;
  lock.lock();
  while (never_woken.wait(lock).has_value()) {
  }
  lock.unlock();
  // Restarted if no handler runs (a signal that stops and continues the process, say): the mask goes back
  // and the call starts again, as on Linux.
  return Error::RESTARTNOHAND;
}

// rt_sigtimedwait(2): take a pending signal of the set, or wait for one (up to the timeout). While it waits the
// signals of the set are unblocked, so that their arrival wakes it; it takes them itself, and no handler runs.
Result<u64> sys_rt_sigtimedwait(const SyscallArgs& a) {
  if (a.a3 != SIGSET_SIZE) return Error::INVAL;
  SigSet wanted = TRY(sigset_from_user(a.a0)) & ~sigsets::UNBLOCKABLE;
  u64 info_address = a.a1;
  bool has_timeout = a.a2 != 0;
  u64 timeout_ns = 0;
  if (has_timeout) {
    timespec ts = TRY(copy_value_from_user<timespec>(a.a2));
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1'000'000'000) return Error::INVAL;
    timeout_ns = static_cast<u64>(ts.tv_sec) * 1'000'000'000ull + static_cast<u64>(ts.tv_nsec);
  }
  Thread* t = current_thread();
  ThreadSignals& ts = t->m_signals;
  Spinlock& lock = t->m_process->m_signals.lock();
  siginfo info;
  unsigned sig = 0;
  Result<void> waited;
  {
    SpinlockGuard guard(lock);
    // Take one from the thread's set, then the process's (whether or not they are blocked).
    auto take_one = [&]() -> unsigned {
      SigSet own = ts.m_pending.signals() & wanted;
      if (!own.is_empty()) {
        unsigned s = own.lowest();
        ts.recycle_locked(ts.m_pending.take_locked(s, &info));
        return s;
      }
      PendingSet& shared = t->m_process->m_signals.m_shared_pending;
      SigSet group = shared.signals() & wanted;
      if (group.is_empty()) return 0;
      unsigned s = group.lowest();
      ts.recycle_locked(shared.take_locked(s, &info));
      return s;
    };
    auto take = [&]() -> unsigned {
      unsigned s = take_one();
      if (s && info.si_code == SI_TIMER) timers_signal_taken_locked(*t->m_process, info);  // kernel/timers.h
      return s;
    };
    sig = take();
    if (!sig && (!has_timeout || timeout_ns > 0)) {
      SigSet blocked = ts.m_blocked;
      ts.m_waiting_for = wanted;
      ts.m_blocked = blocked & ~wanted;
      // Only what is pending and unblocked now may cut the wait short (the work bit may be left over).
      if ((pending_of_locked(t) & ~ts.m_blocked).is_empty() && !t->has_work(WORK_KILL)) t->clear_work(WORK_SIGNAL);
      WaitQueue never_woken;
      waited = has_timeout ? never_woken.wait_timeout(lock, timeout_ns) : never_woken.wait(lock);
      ts.m_blocked = blocked;
      ts.m_waiting_for = SigSet();
      sig = take();
      if (!(pending_of_locked(t) & ~ts.m_blocked).is_empty()) t->add_work(WORK_SIGNAL);
    }
  }
  if (!sig) return waited.is_error() && waited.error() == Error::TIMEDOUT ? Error::AGAIN
                 : has_timeout && timeout_ns == 0                        ? Error::AGAIN
                                                                         : Error::INTR;
  if (info_address) {
    u8 full[SIGINFO_USER_SIZE] = {};
    memcpy(full, &info, sizeof(info));
    TRY(copy_to_user(info_address, full, sizeof(full)));
  }
  return sig;
}

// ---- Sending ----

Result<u64> sys_kill(const SyscallArgs& a) {
  unsigned sig = TRY(valid_or_zero(a.a1));
  return syscall_result(send_kill(static_cast<i32>(a.a0), siginfo_from_current(sig, SI_USER)));
}

Result<u64> sys_tkill(const SyscallArgs& a) {
  i32 tid = static_cast<i32>(a.a0);
  if (tid <= 0) return Error::INVAL;
  unsigned sig = TRY(valid_or_zero(a.a1));
  return syscall_result(send_to_thread(0, tid, siginfo_from_current(sig, SI_TKILL)));
}

Result<u64> sys_tgkill(const SyscallArgs& a) {
  i32 tgid = static_cast<i32>(a.a0), tid = static_cast<i32>(a.a1);
  if (tgid <= 0 || tid <= 0) return Error::INVAL;
  unsigned sig = TRY(valid_or_zero(a.a2));
  return syscall_result(send_to_thread(tgid, tid, siginfo_from_current(sig, SI_TKILL)));
}

Result<u64> sys_rt_sigqueueinfo(const SyscallArgs& a) {
  i32 pid = static_cast<i32>(a.a0);
  unsigned sig = TRY(valid_or_zero(a.a1));
  siginfo info = TRY(queued_info_from_user(a.a2, sig, pid));
  if (pid <= 0) return Error::SRCH;  // POSIX.1b names no process groups
  return syscall_result(send_to_pid(pid, info));
}

Result<u64> sys_rt_tgsigqueueinfo(const SyscallArgs& a) {
  i32 tgid = static_cast<i32>(a.a0), tid = static_cast<i32>(a.a1);
  if (tgid <= 0 || tid <= 0) return Error::INVAL;
  unsigned sig = TRY(valid_or_zero(a.a2));
  siginfo info = TRY(queued_info_from_user(a.a3, sig, tid));
  return syscall_result(send_to_thread(tgid, tid, info));
}

// ---- The alternate stack ----

Result<void> signal_set_altstack(Thread* t, const stack_t& ss, u64 sp) {
  AltStack& alt = t->m_signals.m_altstack;
  if (alt.contains(sp)) return Error::PERM;  // not while a handler runs on it
  u32 mode = static_cast<u32>(ss.ss_flags) & ~SS_AUTODISARM;
  if (mode != static_cast<u32>(SS_DISABLE) && mode != static_cast<u32>(SS_ONSTACK) && mode != 0) return Error::INVAL;
  if (mode == static_cast<u32>(SS_DISABLE)) {
    alt = AltStack{0, 0, static_cast<u32>(ss.ss_flags) & SS_AUTODISARM};
    return {};
  }
  if (ss.ss_size < MINSIGSTKSZ) return Error::NOMEM;
  alt = AltStack{ss.ss_sp, ss.ss_size, static_cast<u32>(ss.ss_flags) & SS_AUTODISARM};
  return {};
}

Result<u64> sys_sigaltstack(const SyscallArgs& a) {
  Thread* t = current_thread();
  u64 sp = t->m_trap_frame->sp;
  AltStack& alt = t->m_signals.m_altstack;
  stack_t old{alt.m_sp, alt.flags_for(sp), 0, alt.m_size};
  if (a.a0) {
    stack_t ss = TRY(copy_value_from_user<stack_t>(a.a0));
    TRY(signal_set_altstack(t, ss, sp));
  }
  if (a.a1) TRY(copy_value_to_user(a.a1, old));
  return 0;
}

// ---- restart_syscall ----

// The continuation of a call that a signal without a handler interrupted (ERESTART_RESTARTBLOCK): today only
// nanosleep and relative clock_nanosleep, which sleep on to the deadline they had.
Result<u64> sys_restart_syscall(const SyscallArgs&) {
  RestartBlock& r = current_thread()->m_signals.m_restart;
  RestartKind kind = r.m_kind;
  r.m_kind = RestartKind::None;
  if (kind == RestartKind::Nanosleep) return nanosleep_restart(r.m_clock, r.m_deadline_ns, r.m_remaining_address);
  if (kind == RestartKind::Futex)
    return futex_wait_restart(r.m_futex_address, r.m_futex_shared, r.m_futex_value, r.m_deadline_ns, r.m_futex_bitset);
  return Error::INTR;  // nothing to resume (Linux's do_no_restart_syscall)
}

RAW_SYSCALL(sys_rt_sigaction);
RAW_SYSCALL(sys_rt_sigprocmask);
RAW_SYSCALL(sys_rt_sigpending);
RAW_SYSCALL(sys_rt_sigsuspend);
RAW_SYSCALL(sys_rt_sigtimedwait);
RAW_SYSCALL(sys_kill);
RAW_SYSCALL(sys_tkill);
RAW_SYSCALL(sys_tgkill);
RAW_SYSCALL(sys_rt_sigqueueinfo);
RAW_SYSCALL(sys_rt_tgsigqueueinfo);
RAW_SYSCALL(sys_sigaltstack);
RAW_SYSCALL(sys_restart_syscall);
