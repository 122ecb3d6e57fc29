// Signals: the rest of the kernel's view of kernel/signal/. Its files:
//
//   sigset.h           sets of signals and their default actions
//   thread_signals.h   per-thread state (mask, pending, alternate stack), process_signals.h per-process state
//   pending.cpp        pending sets with their siginfo
//   send.cpp           sending: who gets a signal, what it does at once (SIGKILL, SIGCONT, stops), waking
//   deliver.cpp        delivery on the way back to user mode: default actions, stopping, handler frames
//                      (the frame itself is arch/riscv/signal_frame.*), restarting interrupted system calls,
//                      rt_sigreturn
//   syscalls.cpp       rt_sigaction, rt_sigprocmask, rt_sigpending, rt_sigsuspend, rt_sigtimedwait,
//                      rt_sigqueueinfo, rt_tgsigqueueinfo, sigaltstack, kill, tkill, tgkill, restart_syscall
//   itimer.cpp         setitimer/getitimer (ITIMER_REAL) and alarm's SIGALRM
//   lifecycle.cpp      signal state at process creation, fork, exec and exit; what /proc shows
//   job_control.*      process groups, sessions, controlling terminals, SIGCHLD to the parent
#pragma once

#include "kernel/abi/linux_signal.h"
#include "kernel/signal/sigset.h"
#include "lib/result.h"

struct Process;
struct Thread;

const char* signal_name(unsigned sig);

// ---- siginfo ----
// Sent by the calling process (kill: SI_USER, tkill/tgkill: SI_TKILL), with its pid and uid.
linux::siginfo siginfo_from_current(unsigned sig, i32 code);
// Sent by the kernel on its own account (SI_KERNEL: alarm, the terminal's ^C).
linux::siginfo siginfo_from_kernel(unsigned sig);

// ---- Sending ----
// To a process: any of its threads that does not block it takes it (kill(2)).
Result<void> signal_send(Process* target, const linux::siginfo& info);
// The same, with target's signal lock held.
Result<void> signal_send_locked(Process* target, const linux::siginfo& info);
// Would sending sig to target be a waste: dropped at once because its action ignores it (and no thread blocks
// it)? (Lets a sender skip building the siginfo.) target's signal lock held.
bool signal_is_ignored_locked(Process* target, unsigned sig);
// To the thread tid of process p (tkill, tgkill, rt_tgsigqueueinfo). SRCH if p has no such thread. A signal 0
// only checks that the thread exists.
Result<void> signal_send_to_thread(Process* p, i32 tid, const linux::siginfo& info);
// The same, with p's signal lock held (a POSIX timer's SIGEV_THREAD_ID, kernel/timers.cpp).
Result<void> signal_send_to_thread_locked(Process* p, i32 tid, const linux::siginfo& info);
// To the calling thread (SIGPIPE, raise). A signal 0 does nothing.
Result<void> signal_send_to_self(const linux::siginfo& info);
// Threads (the signal lock held): the process's pending signals in `which` that thread `from` does not take (it
// blocks them, or it exits) go to threads that do (Linux's retarget_shared_pending); a thread that exits
// (removed from the thread list) drops its own pending signals and hands on the process's; a group stop
// makes every other thread look at its signals (and stop) as soon as it can.
void signal_retarget_shared_locked(Process* p, Thread* from, SigSet which);
void signal_thread_exit_locked(Process* p, Thread* t);
void signal_stop_other_threads_locked(Process* p, Thread* self);
// The calling thread's instruction faulted: sig with code and the address, delivered before it runs again.
// Like Linux's force_sig_fault, a fault whose signal is blocked or ignored is not left pending or dropped: the
// action becomes SIG_DFL and the process dies of it. Returns true when the signal will kill the process (no
// handler will run), so that the caller can say why in the kernel log.
bool signal_force_fault(unsigned sig, i32 code, u64 address);
// The same for any siginfo (a bad signal frame: SIGSEGV, SI_KERNEL).
bool signal_force(const linux::siginfo& info);
// The process dies of sig as soon as a thread of it notices (SIGKILL for running out of memory, a bad frame).
void signal_kill_process(Process* p, unsigned sig);

// ---- Delivery (kernel/user_trap.cpp calls it on the way back to user mode, with WORK_SIGNAL or WORK_KILL) ----
void signal_deliver_pending();

// ---- Life cycle ----
// A new process's signal state (every action SIG_DFL). init is unkillable.
Result<void> signal_init_process(Process* p, bool is_init);
// fork: the child gets a copy of the actions (or, with CLONE_SIGHAND, the same table), the blocked mask and
// the alternate stack; no pending signal; exit_signal is what the parent gets when the child exits.
Result<void> signal_fork(Process* parent, Thread* parent_thread, Process* child, Thread* child_thread,
                         u64 clone_flags, unsigned exit_signal);
// exec: caught signals go back to SIG_DFL, ignored ones stay ignored; the mask and pending signals stay; the
// alternate stack goes; a process that used another's table gets its own again.
Result<void> signal_exec(Process* p, Thread* t);
// exit: stop the interval timer, leave job control (kernel/signal/job_control.h), drop pending signals.
void signal_exit(Process* p);
// The parent learns of a child's exit (its exit signal, normally SIGCHLD with CLD_EXITED or CLD_KILLED; the
// caller wakes its wait4). Returns true if the child is to be reaped at once (the parent ignores SIGCHLD or set
// SA_NOCLDWAIT). g_process_lock held.
bool signal_notify_parent_exit_locked(Process* child, u32 wait_status);
// wait4's view of job control: a stop (WUNTRACED) or continue (WCONTINUED) not yet reported, as a wait status
// (taken: reported once). 0 if none. g_process_lock held.
u32 signal_take_stop_report_locked(Process* child, u32 options);
// Is the process stopped (for /proc's state letter)?
bool signal_is_stopped(Process* p);
// What /proc/PID/status shows: pending (thread and shared), blocked, ignored, caught.
struct SignalSummary {
  u64 pending, shared_pending, blocked, ignored, caught;
};
SignalSummary signal_summary(Process* p);

// ---- For the system calls that sleep ----
// rt_sigsuspend and the like: replace the mask until the next signal is delivered.
void signal_set_temporary_mask(SigSet mask);
// ppoll and pselect6 return without being interrupted: the mask they set goes back at once (Linux's
// restore_saved_sigmask_unless(false)). An interrupted call leaves it for the delivery of the signal.
void signal_restore_temporary_mask();
// sigaltstack's rules for a new alternate stack, for a thread whose stack pointer is sp (rt_sigreturn too).
Result<void> signal_set_altstack(Thread* t, const linux::stack_t& ss, u64 sp);

// ---- System calls (kernel/signal/*.cpp; the process-group ones are in job_control.h) ----
struct SyscallArgs;
Result<u64> sys_rt_sigaction(const SyscallArgs&);
Result<u64> sys_rt_sigprocmask(const SyscallArgs&);
Result<u64> sys_rt_sigpending(const SyscallArgs&);
Result<u64> sys_rt_sigsuspend(const SyscallArgs&);
Result<u64> sys_rt_sigtimedwait(const SyscallArgs&);
Result<u64> sys_rt_sigreturn(const SyscallArgs&);
Result<u64> sys_kill(const SyscallArgs&);
Result<u64> sys_tkill(const SyscallArgs&);
Result<u64> sys_tgkill(const SyscallArgs&);
Result<u64> sys_rt_sigqueueinfo(const SyscallArgs&);
Result<u64> sys_rt_tgsigqueueinfo(const SyscallArgs&);
Result<u64> sys_sigaltstack(const SyscallArgs&);
Result<u64> sys_restart_syscall(const SyscallArgs&);
Result<u64> sys_setitimer(const SyscallArgs&);
Result<u64> sys_getitimer(const SyscallArgs&);
