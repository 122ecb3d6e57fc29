// Process system calls: clone (fork semantics), exit, wait4, ids, set_tid_address, set_robust_list,
// prlimit64, sched_yield.
#include "kernel/sys_proc.h"

#include "arch/riscv/usercopy.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/syscall_raw.h"

using namespace linux;

Result<u64> sys_clone(const SyscallArgs& a) {
  // riscv64 argument order: flags, newsp, parent_tid, tls, child_tid.
  u64 flags = a.a0, newsp = a.a1, parent_tid = a.a2, child_tid = a.a4;
  u64 supported = CSIGNAL | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID;
  if (flags & ~supported) return Error::INVAL;  // threads, vfork, namespaces: not yet
  if ((flags & CSIGNAL) > NSIG) return Error::INVAL;  // the exit signal: any signal, or none
  if ((flags & CLONE_PARENT_SETTID) && copy_value_to_user<u32>(parent_tid, 0).is_error()) return Error::FAULT;
  i32 pid = TRY(process_fork(flags, newsp, child_tid));
  if (flags & CLONE_PARENT_SETTID) (void)copy_value_to_user<u32>(parent_tid, static_cast<u32>(pid));
  return pid;
}

Result<u64> sys_exit(const SyscallArgs& a) { process_exit(wait_status_exited(static_cast<u32>(a.a0))); }

Result<u64> sys_wait4(const SyscallArgs& a) {
  return TRY(process_wait(static_cast<i32>(a.a0), a.a1, static_cast<u32>(a.a2), a.a3));
}

Result<u64> sys_getpid(const SyscallArgs&) { return current_process()->m_pid; }

Result<u64> sys_getppid(const SyscallArgs&) { return current_process()->m_parent_pid.load(MemoryOrder::Relaxed); }

Result<u64> sys_gettid(const SyscallArgs&) { return current_thread()->m_tid; }

Result<u64> sys_getuid(const SyscallArgs&) { return 0; }  // everyone is root: there are no users yet

Result<u64> sys_set_tid_address(const SyscallArgs& a) {
  // Only recorded: the store at exit checks the address (Linux's put_user), so any value is accepted here.
  current_thread()->m_clear_child_tid = a.a0;
  return current_thread()->m_tid;
}

Result<u64> sys_set_robust_list(const SyscallArgs& a) {
  // The futex robust list matters for threads, which we do not have; the length is still checked.
  if (a.a1 != 24) return Error::INVAL;
  return 0;
}

Result<u64> sys_prlimit64(const SyscallArgs& a) {
  i32 pid = static_cast<i32>(a.a0);
  u32 resource = static_cast<u32>(a.a1);
  u64 new_address = a.a2, old_address = a.a3;
  if (resource >= RLIM_NLIMITS) return Error::INVAL;
  RefPtr<Process> target = pid == 0 ? RefPtr<Process>(current_process()) : process_find(pid);
  if (!target) return Error::SRCH;
  rlimit fresh{};
  if (new_address) {
    fresh = TRY(copy_value_from_user<rlimit>(new_address));
    if (fresh.rlim_cur > fresh.rlim_max) return Error::INVAL;
  }
  rlimit old;
  {
    SpinlockGuard guard(target->m_limits_lock);
    old = target->m_limits[resource];
  }
  if (old_address && copy_value_to_user(old_address, old).is_error()) return Error::FAULT;
  if (new_address) {
    SpinlockGuard guard(target->m_limits_lock);
    target->m_limits[resource] = fresh;
  }
  return 0;
}

// unshare(2). What a process can stop sharing: its file table, fs context and SysV semaphore undo list, and, for a
// process that is its only thread, its address space and signal actions; nothing here is shared with another
// process yet (fork copies them all), so these succeed and change nothing. New namespaces are EINVAL, as on a
// Linux built without them, except CLONE_NEWNS, which Linux always has and this kernel does not: EINVAL too.
Result<u64> sys_unshare(const SyscallArgs& a) {
  u64 flags = a.a0;
  constexpr u64 UNSHAREABLE = CLONE_FILES | CLONE_FS | CLONE_SYSVSEM | CLONE_VM | CLONE_SIGHAND | CLONE_THREAD;
  if (flags & ~UNSHAREABLE) return Error::INVAL;
  return 0;
}

Result<u64> sys_sched_yield(const SyscallArgs&) {
  thread_yield();
  return 0;
}

Result<u64> sys_umask(const SyscallArgs&) { return 022; }

// The raw entry points trap.S calls (kernel/syscall.h).
RAW_SYSCALL(sys_clone);
RAW_SYSCALL(sys_exit);
RAW_SYSCALL(sys_wait4);
RAW_SYSCALL(sys_getpid);
RAW_SYSCALL(sys_getppid);
RAW_SYSCALL(sys_gettid);
RAW_SYSCALL(sys_getuid);
RAW_SYSCALL(sys_set_tid_address);
RAW_SYSCALL(sys_set_robust_list);
RAW_SYSCALL(sys_prlimit64);
RAW_SYSCALL(sys_unshare);
RAW_SYSCALL(sys_sched_yield);
RAW_SYSCALL(sys_umask);
