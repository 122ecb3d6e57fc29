// Process system calls: clone (fork, threads), exit, exit_group, wait4, ids, set_tid_address,
// prlimit64, sched_yield.
#include "kernel/sys_proc.h"

#include "arch/riscv/usercopy.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/fs_context.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/syscall_raw.h"
#include "mm/address_space.h"

using namespace linux;

namespace {

// clone and clone3: flags (the low byte the exit signal), the new stack pointer (0: the caller's), and the
// addresses CLONE_PARENT_SETTID, CLONE_SETTLS and CLONE_CHILD_SETTID/CLEARTID name.
Result<u64> do_clone(u64 flags, u64 newsp, u64 parent_tid, u64 tls, u64 child_tid) {
  // Linux's checks (kernel/fork.c, copy_process), in its order.
  if ((flags & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS)) return Error::INVAL;
  if ((flags & (CLONE_NEWUSER | CLONE_FS)) == (CLONE_NEWUSER | CLONE_FS)) return Error::INVAL;
  if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND)) return Error::INVAL;
  if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM)) return Error::INVAL;
  // Siblings of init (which has no parent): EINVAL, as for any process Linux marks unkillable.
  if ((flags & CLONE_PARENT) && current_process()->m_signals.m_is_unkillable) return Error::INVAL;
  if ((flags & CLONE_THREAD) && (flags & (CLONE_NEWUSER | CLONE_NEWPID))) return Error::INVAL;
  // Namespaces need privileges and exist nowhere here; a pidfd needs pidfd files: EINVAL, as a kernel built
  // without them says.
  if (flags & (CLONE_NEW_ANY | CLONE_PIDFD)) return Error::INVAL;
  if ((flags & CSIGNAL) > NSIG) return Error::INVAL;  // the exit signal: any signal, or none
  // Ignored as Linux ignores them (CLONE_DETACHED, CLONE_UNTRACED without a tracer, CLONE_PTRACE without a
  // tracer, CLONE_IO, CLONE_SYSVSEM without System V semaphores).
  if (flags & CLONE_THREAD) {
    // A thread of this process: memory and signal actions shared; the descriptor table and fs context shared
    // with CLONE_FILES and CLONE_FS (what pthread_create asks), else copied for the new thread alone.
    if (flags & CLONE_VFORK) return Error::INVAL;
    if ((flags & CLONE_PARENT_SETTID) && copy_value_to_user<u32>(parent_tid, 0).is_error()) return Error::FAULT;
    return TRY(process_clone_thread(flags, newsp, tls, parent_tid, child_tid));
  }
  // A new process. With CLONE_VM it shares this address space (vfork and posix_spawn until the child execs or
  // exits, a CLONE_VM child for good); with CLONE_FILES, CLONE_FS and CLONE_SIGHAND the caller's descriptor
  // table, fs context and signal actions; with CLONE_PARENT it is the caller's sibling.
  if ((flags & CLONE_PARENT_SETTID) && copy_value_to_user<u32>(parent_tid, 0).is_error()) return Error::FAULT;
  i32 pid = TRY(process_fork(flags, newsp, child_tid));
  if (flags & CLONE_PARENT_SETTID) (void)copy_value_to_user<u32>(parent_tid, static_cast<u32>(pid));
  return pid;
}

// struct clone_args (include/uapi/linux/sched.h), version 2 (88 bytes).
struct CloneArgs {
  u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
constexpr usize CLONE_ARGS_SIZE_VER0 = 64;
constexpr u64 CLONE_INTO_CGROUP = 0x200000000ull;
constexpr u64 CLONE_NEWTIME = 0x80;

}  // namespace

Result<u64> sys_clone(const SyscallArgs& a) {
  // riscv64 argument order: flags, newsp, parent_tid, tls, child_tid. Only the low 32 bits are flags (the
  // higher ones exist for clone3 alone).
  return do_clone(a.a0 & 0xffffffffull, a.a1, a.a2, a.a3, a.a4);
}

// clone3(args, size): Linux's copy_clone_args_from_user and clone3_args_valid, then clone's rules.
Result<u64> sys_clone3(const SyscallArgs& a) {
  u64 address = a.a0, size = a.a1;
  if (size > PAGE_SIZE) return Error::TOO_BIG;
  if (size < CLONE_ARGS_SIZE_VER0) return Error::INVAL;
  CloneArgs args{};
  TRY(copy_from_user(&args, address, size < sizeof(args) ? size : sizeof(args)));
  // A newer program's larger struct: what we do not know must be zero (copy_struct_from_user).
  for (u64 at = sizeof(args); at < size; at += sizeof(u64)) {
    u64 word = 0;
    usize n = size - at < sizeof(word) ? size - at : sizeof(word);
    TRY(copy_from_user(&word, address + at, n));
    if (word) return Error::TOO_BIG;
  }
  if (args.set_tid_size > 32 || (!args.set_tid && args.set_tid_size) || (args.set_tid && !args.set_tid_size))
    return Error::INVAL;
  if ((args.exit_signal & ~CSIGNAL) || args.exit_signal > NSIG) return Error::INVAL;
  if ((args.flags & CLONE_INTO_CGROUP) && (args.cgroup > 0x7fffffff || size < sizeof(CloneArgs))) return Error::INVAL;
  if (args.flags & ~(0xffffffffull | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP)) return Error::INVAL;
  if (args.flags & (CLONE_DETACHED | (CSIGNAL & ~CLONE_NEWTIME))) return Error::INVAL;
  if ((args.flags & CLONE_SIGHAND) && (args.flags & CLONE_CLEAR_SIGHAND)) return Error::INVAL;
  if ((args.flags & (CLONE_THREAD | CLONE_PARENT)) && args.exit_signal) return Error::INVAL;
  if (args.stack ? !args.stack_size : args.stack_size) return Error::INVAL;
  // Not here: pids chosen by the caller (needs CAP_SYS_ADMIN in a pid namespace), cgroups, time namespaces.
  if (args.set_tid || (args.flags & (CLONE_INTO_CGROUP | CLONE_NEWTIME))) return Error::INVAL;
  u64 sp = args.stack ? args.stack + args.stack_size : 0;  // the stack grows down from its end
  return do_clone(args.flags | args.exit_signal, sp, args.parent_tid, args.tls, args.child_tid);
}

Result<u64> sys_exit(const SyscallArgs& a) { thread_exit(wait_status_exited(static_cast<u32>(a.a0))); }

Result<u64> sys_exit_group(const SyscallArgs& a) { process_exit(wait_status_exited(static_cast<u32>(a.a0))); }

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

// unshare(2), as Linux's ksys_unshare: the calling thread gets a descriptor table (CLONE_FILES) or fs context
// (CLONE_FS) of its own, a copy of the one it shares, if it shares it. Address space, signal actions and thread
// group cannot be unshared, only found unshared: EINVAL unless the caller is its process's only thread (and,
// for CLONE_SIGHAND and CLONE_VM, no other process shares its actions or memory). SysV semaphores have no undo
// lists here: nothing to do. New namespaces are EINVAL, as on a Linux built without them, except CLONE_NEWNS,
// which Linux always has and this kernel does not: EINVAL too.
Result<u64> sys_unshare(const SyscallArgs& a) {
  u64 flags = a.a0;
  constexpr u64 UNSHAREABLE = CLONE_FILES | CLONE_FS | CLONE_SYSVSEM | CLONE_VM | CLONE_SIGHAND | CLONE_THREAD;
  if (flags & ~UNSHAREABLE) return Error::INVAL;
  if (flags & CLONE_VM) flags |= CLONE_SIGHAND;
  if (flags & CLONE_SIGHAND) flags |= CLONE_THREAD;
  Process* p = current_process();
  Thread* self = current_thread();
  if (flags & CLONE_THREAD) {
    SpinlockGuard guard(g_process_lock);
    if (p->m_threads.front() != self || p->m_threads.back() != self) return Error::INVAL;
  }
  if ((flags & CLONE_SIGHAND) && p->m_signals.m_handlers->ref_count() > 1) return Error::INVAL;
  if ((flags & CLONE_VM) && p->m_space->ref_count() > 1) return Error::INVAL;
  RefPtr<FsContext> fs;
  RefPtr<FdTable> files;
  if ((flags & CLONE_FS) && self->m_fs->ref_count() > 1) {
    fs = self->m_fs->copy();
    if (!fs) return Error::NOMEM;
  }
  if ((flags & CLONE_FILES) && self->m_files->ref_count() > 1) files = TRY(self->m_files->clone());
  // Swapped in under the lock /proc reads them with; the shared ones are dropped after it.
  SpinlockGuard guard(g_process_lock);
  if (fs) std::swap(fs, self->m_fs);
  if (files) std::swap(files, self->m_files);
  guard.unlock();
  return 0;
}

Result<u64> sys_sched_yield(const SyscallArgs&) {
  thread_yield();
  return 0;
}

// umask(2): the caller's file-creation mask (shared with CLONE_FS sharers) becomes mask & 0777; the old one is
// returned.
Result<u64> sys_umask(const SyscallArgs& a) { return current_thread()->m_fs->exchange_umask(static_cast<u32>(a.a0)); }

// The raw entry points trap.S calls (kernel/syscall.h).
RAW_SYSCALL(sys_clone);
RAW_SYSCALL(sys_exit);
RAW_SYSCALL(sys_wait4);
RAW_SYSCALL(sys_getpid);
RAW_SYSCALL(sys_getppid);
RAW_SYSCALL(sys_gettid);
RAW_SYSCALL(sys_getuid);
RAW_SYSCALL(sys_set_tid_address);
RAW_SYSCALL(sys_exit_group);
RAW_SYSCALL(sys_clone3);
RAW_SYSCALL(sys_prlimit64);
RAW_SYSCALL(sys_unshare);
RAW_SYSCALL(sys_sched_yield);
RAW_SYSCALL(sys_umask);
