// Processes: an address space, open files, a working directory, signal state, and one or more threads (a
// thread group, Linux's: getpid is the process's id, gettid a thread's; the first thread's id is the pid).
// Processes form a tree (parent, children); an exiting process becomes a zombie until its parent reaps it with
// wait4, and its children are handed to init (pid 1).
//
// Locks: g_process_lock protects the tree (m_parent, m_children, m_sibling_link), m_state, m_exit_status,
// process groups and sessions, and the pid table. Signal state (kernel/signal/) is guarded by the lock of its
// handler table, m_signals.lock(). m_space is changed only by the process's own thread (exec) under
// g_process_lock, so that thread reads it without a lock and other readers (/proc) hold g_process_lock. The
// descriptor table and the working directory are each thread's (Thread::m_files, m_fs), shared as clone says.
#pragma once

#include "lib/atomic.h"

#include "arch/riscv/cpu.h"
#include "kernel/abi/linux.h"
#include "kernel/cpu_time.h"
#include "kernel/fs/running_image.h"
#include "kernel/signal/process_signals.h"
#include "kernel/spinlock.h"
#include "kernel/thread.h"
#include "kernel/wait_queue.h"
#include "lib/list.h"
#include "lib/own_ptr.h"
#include "lib/refptr.h"

class AddressSpace;
class FdTable;
class Inode;
struct ProcessGroup;
struct GroupList;
struct ProcessTimers;

// The prctl(2) settings that are plain values (PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_KEEPCAPS,
// PR_SET_TIMERSLACK, PR_SET_THP_DISABLE).
struct ProcessFlags {
  u8 dumpable = 1;           // SUID_DUMP_USER
  bool no_new_privs = false;  // once set, never cleared; inherited by fork and kept by exec
  bool keep_capabilities = false;  // cleared by exec
  bool thp_disabled = false;
  u64 timer_slack_ns = 50'000;
};

enum class ProcessState : u8 { Alive, Zombie };

constexpr usize PROCESS_NAME_MAX = 16;   // like Linux's comm (TASK_COMM_LEN)
constexpr usize PROCESS_PATH_MAX = 256;
constexpr i32 PID_MAX = 32768;

struct Process : RefCounted {
  i32 m_pid = 0;
  ListNode m_sibling_link;                   // in the parent's m_children, guarded by g_process_lock
  Process* m_parent = nullptr;               // guarded by g_process_lock
  Atomic<i32> m_parent_pid{0};               // m_parent's pid, for getppid without the lock
  IntrusiveList<Process, &Process::m_sibling_link> m_children;  // guarded by g_process_lock
  ProcessState m_state = ProcessState::Alive;  // guarded by g_process_lock
  u32 m_exit_status = 0;                     // wait status (linux::wait_status_*), guarded by g_process_lock
  WaitQueue m_child_exited;                  // the process waits here in wait4 for its children
  // Job control (kernel/signal/job_control.h): the process group, and through it the session.
  ProcessGroup* m_group = nullptr;           // guarded by g_process_lock
  ListNode m_group_link;                     // in m_group's members, guarded by g_process_lock
  bool m_did_exec = false;                   // since fork (setpgid on it is EACCES); guarded by g_process_lock

  // The threads. m_threads holds the live ones (not yet past their exit), changed with g_process_lock and the
  // signal lock both held, so either lock is enough to walk it. m_thread is the group leader (the thread that
  // was created with the process) while it lives; the last thread to exit takes its place, as the zombie that
  // wait4 frees (a leader that exits before the others is freed like any other thread).
  IntrusiveList<Thread, &Thread::m_group_link> m_threads;
  Thread* m_thread = nullptr;
  // exit_group or a fatal signal: every thread exits, and the process's status is this one. Guarded by the
  // signal lock.
  bool m_group_exiting = false;
  u32 m_group_exit_status = 0;
  // execve in a process with several threads: the exec'ing thread, which waits (in m_threads_changed, with
  // g_process_lock) until the others have exited. Guarded by the signal lock.
  Thread* m_group_exec = nullptr;
  WaitQueue m_threads_changed;
  // The memory. clone with CLONE_VM (vfork, or a process sharing memory for good) gives the child a reference
  // to its parent's; the last of the processes sharing it to exec or exit frees it.
  RefPtr<AddressSpace> m_space;
  // vfork (CLONE_VFORK): where the parent waits until the child execs or exits. Taken by exchange, by the
  // child when it gives the memory back and by a parent killed while it waits.
  Atomic<struct VforkWait*> m_vfork{nullptr};
  // membarrier(2)'s registrations (kernel/membarrier.cpp). Linux keeps them in the mm; here they are kept with
  // the process, which owns its memory: a fork or an exec starts without any (exec's commit clears them),
  // threads share them. (A vfork child, which borrows its parent's memory, starts without them; Linux's shares.)
  Atomic<u32> m_membarrier_state{0};
  char m_name[PROCESS_NAME_MAX] = {};        // the file name exec'd (comm)
  char m_exe_path[PROCESS_PATH_MAX] = {};    // the path exec'd, for /proc/PID/exe
  RunningImage m_executable;  // the file exec'd, kept from being written (ETXTBSY); /proc/PID/exe; g_process_lock
  char m_cmdline[PROCESS_PATH_MAX] = {};     // argv, NUL-separated, for /proc/PID/cmdline
  usize m_cmdline_length = 0;

  ProcessSignals m_signals;                  // kernel/signal/process_signals.h

  Spinlock m_limits_lock{"limits"};
  linux::rlimit m_limits[linux::RLIM_NLIMITS] = {};  // guarded by m_limits_lock

  ProcessCpuTime m_cpu_time;                 // kernel/cpu_time.h
  ProcessTimers* m_timers = nullptr;         // CPU-time itimers and POSIX timers (kernel/timers.h); g_timer_lock

  // Attributes set by prctl(2), setpriority(2) and setgroups(2) (kernel/sys_prctl.cpp, kernel/sys_cred.cpp).
  Atomic<i32> m_nice{0};                     // -20..19; inherited by fork, kept by exec
  Atomic<u16> m_ioprio{0};                   // ioprio_set(2)'s class and level (0: none); inherited, kept
  Atomic<u32> m_pdeath_signal{0};            // PR_SET_PDEATHSIG: sent when the parent exits; fork clears it
  bool m_is_child_subreaper = false;         // PR_SET_CHILD_SUBREAPER; guarded by g_process_lock
  ProcessFlags m_prctl{};                    // the other prctl settings; written by the process itself
  RefPtr<GroupList> m_groups;                // supplementary groups (null: none); replaced under g_process_lock
  u64 m_start_time_ns = 0;
  u64 m_missing_syscalls_logged[8] = {};     // bitmap: unknown syscall numbers already reported

  Process();
  ~Process();
};

extern Spinlock g_process_lock;

inline Process* current_process() {
  Thread* t = this_cpu()->current;
  return t ? t->m_process : nullptr;
}
RefPtr<Process> process_find(i32 pid);
// Calls fn(Process&) for every process (for /proc), with g_process_lock held.
template <typename Fn>
void process_for_each(Fn fn);
u32 process_count();
// Tasks, as Linux's nr_threads (sysinfo procs, /proc/loadavg): every thread, and each process from fork until
// it is reaped.
u32 process_task_count();
u64 process_created_count();  // processes created since boot (/proc/stat "processes")
i32 process_last_pid();       // the pid given out last (/proc/loadavg)

// Boot: create pid 1 running `path` with argv (the console as fds 0, 1, 2).
void process_start_init(const char* path, const char* const* argv, usize argc);

// fork(2)-like clone (with CLONE_VM|CLONE_VFORK: vfork, the caller sleeping until the child execs or exits).
// Returns the child's pid.
Result<i32> process_fork(u64 flags, u64 new_sp, u64 child_tid_address);
// Terminate the calling process with a wait status (exit code or signal): exit_group. Every other thread is
// told to exit; the status is that of the first thread to call this. Never returns.
[[noreturn]] void process_exit(u32 wait_status);
// End the calling thread (exit(2)). The last thread of a process ends the process with wait_status (unless the
// process is already exiting as a group). Never returns.
[[noreturn]] void thread_exit(u32 wait_status);
// clone(2) with CLONE_THREAD: a new thread of the calling process that starts at the caller's registers with
// a0 = 0, sp = new_sp (unless 0) and tp = tls (with CLONE_SETTLS); its tid is stored at parent_tid_address
// (CLONE_PARENT_SETTID) before it runs. Returns its tid.
Result<i32> process_clone_thread(u64 flags, u64 new_sp, u64 tls, u64 parent_tid_address, u64 child_tid_address);
// The process whose thread has id tid (a process's own pid included), or nullptr.
RefPtr<Process> process_find_by_tid(i32 tid);
// The live thread whose id is tid, or nullptr; g_process_lock held.
Thread* process_find_thread_locked(i32 tid);
// tid's Thread in p, or nullptr; g_process_lock or p's signal lock held.
Thread* process_thread_locked(Process* p, i32 tid);
// execve from a process with several threads: tell the others to exit and wait until they have; the caller
// becomes the leader (its tid the pid). AGAIN if the process is exiting or another thread exec's (the caller
// exits on its way out then).
Result<void> process_exec_kill_other_threads();
// The calling process gives up its address space (exec, with the new one installed, or exit), freeing it
// unless another process shares it; a vfork parent waiting for that wakes. `old` is what m_space held.
void process_release_space(Process* p, RefPtr<AddressSpace> old);
// Free the threads that exited (their kernel stacks), now that none of them runs any more.
void process_reap_dead_threads();
// wait4(2): the pid of the child reaped, or 0 (WNOHANG and none has exited).
Result<i32> process_wait(i32 pid, u64 status_address, u32 options, u64 rusage_address);

// The scheduler's hooks for address-space switches (kernel/sched.cpp): make p's address space current on this
// hart, or stop using it (for a kernel thread, which runs on the kernel's own tables).
void process_activate_address_space(Process* p);
void process_deactivate_address_space(Process* p);

// Implementation detail of process_for_each.
Process* process_table_at_locked(i32 pid);

template <typename Fn>
void process_for_each(Fn fn) {
  SpinlockGuard guard(g_process_lock);
  for (i32 pid = 1; pid < PID_MAX; pid++)
    if (Process* p = process_table_at_locked(pid)) fn(*p);
}
