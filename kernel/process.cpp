// Process life cycle: the pid table, creating init, fork, threads (clone with CLONE_THREAD), exit and wait4.
#include "kernel/process.h"

#include <cstddef>
#include <cstring>

#include "arch/riscv/cpu.h"
#include "arch/riscv/usercopy.h"
#include "kernel/credentials.h"
#include "kernel/exec.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/vfs.h"
#include "kernel/futex.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/sched.h"
#include "kernel/signal/job_control.h"
#include "kernel/signal/signal.h"
#include "kernel/time.h"
#include "kernel/timers.h"
#include "arch/riscv/memlayout.h"
#include "mm/address_space.h"
#include "mm/frame.h"
#include "mm/vm_stats.h"

Spinlock g_process_lock("process");

namespace {

Process* g_pid_table[PID_MAX];  // guarded by g_process_lock
// Every live user thread by tid (a thread group's leader under the pid). Thread ids and process ids come from
// one number space, as on Linux: a pid is free only when neither table (nor a process group) uses it.
Thread* g_tid_table[PID_MAX];   // guarded by g_process_lock
// Threads that exited while others of their process went on: their kernel stacks wait here until
// process_reap_dead_threads frees them. Guarded by g_sched_lock: a thread is added with it held and keeps it
// until its last switch has saved its registers, so a thread taken off under the lock no longer runs.
IntrusiveList<Thread, &Thread::m_run_link> g_dead_threads;
i32 g_next_pid = 1;             // guarded by g_process_lock
u32 g_process_count = 0;        // guarded by g_process_lock
// Threads beyond each process's first, alive: with g_process_count (which counts zombies until they are reaped)
// the tasks Linux's nr_threads counts. Guarded by g_process_lock.
u32 g_extra_threads = 0;
u64 g_processes_created = 1;    // forks since boot, and init; guarded by g_process_lock
Process* g_init = nullptr;
// Zombies nobody will wait for (their parent ignores SIGCHLD or set SA_NOCLDWAIT): gone from the pid table
// and their group at exit, in m_sibling_link until reap_detached frees them; guarded by g_process_lock.
IntrusiveList<Process, &Process::m_sibling_link> g_detached;

// The lowest free pid at or after the last one given out, wrapping (like Linux's pid allocation).
i32 allocate_pid_locked() {
  ASSERT_LOCKED(g_process_lock);
  for (i32 tries = 0; tries < PID_MAX; tries++) {
    i32 pid = g_next_pid;
    g_next_pid = g_next_pid + 1 >= PID_MAX ? 2 : g_next_pid + 1;
    if (pid >= 1 && !g_pid_table[pid] && !g_tid_table[pid] && !job_control_pid_in_use_locked(pid)) return pid;
  }
  return -1;
}

// The most tasks (processes and threads) the machine runs at once: Linux's max_threads (kernel/fork.c,
// set_max_threads), sized so that their 16 KiB kernel stacks take at most an eighth of RAM. fork and clone fail
// with EAGAIN past it, for root too, so that a fork bomb meets an errno before memory runs out.
u32 max_threads() {
  u64 threads = g_phys.total_frames() * PAGE_SIZE / (8 * memlayout::KSTACK_SIZE);
  constexpr u64 MIN_THREADS = 20;  // Linux's
  if (threads < MIN_THREADS) threads = MIN_THREADS;
  return threads < PID_MAX ? static_cast<u32>(threads) : PID_MAX;
}

bool at_max_threads_locked() {
  ASSERT_LOCKED(g_process_lock);
  return g_process_count + g_extra_threads >= max_threads();
}

void set_default_limits(Process* p) {
  for (auto& l : p->m_limits) l = {linux::RLIM_INFINITY, linux::RLIM_INFINITY};
  p->m_limits[linux::RLIMIT_STACK] = {user_layout::STACK_LIMIT, linux::RLIM_INFINITY};
  p->m_limits[linux::RLIMIT_NOFILE] = {1024, 4096};
  p->m_limits[linux::RLIMIT_CORE] = {0, linux::RLIM_INFINITY};
  // Half of max_threads, as Linux gives init (not enforced: every process here is root, whom Linux does not
  // hold to it; max_threads is enforced).
  p->m_limits[linux::RLIMIT_NPROC] = {max_threads() / 2, max_threads() / 2};
  p->m_limits[linux::RLIMIT_MEMLOCK] = {8 * MiB, 8 * MiB};
  // The rest of Linux's INIT_RLIMITS (and fork_init's RLIMIT_SIGPENDING).
  p->m_limits[linux::RLIMIT_SIGPENDING] = {max_threads() / 2, max_threads() / 2};
  p->m_limits[linux::RLIMIT_MSGQUEUE] = {819'200, 819'200};  // MQ_BYTES_MAX
  p->m_limits[linux::RLIMIT_NICE] = {0, 0};
  p->m_limits[linux::RLIMIT_RTPRIO] = {0, 0};
}

// Take something a process owns out of it under g_process_lock (/proc reads it under that lock), so that the
// caller can free it outside the lock.
template <typename P>
P take_under_process_lock(P& owned) {
  SpinlockGuard guard(g_process_lock);
  return std::move(owned);
}

// Free what is left of a reaped zombie: its thread (and kernel stack) and the process itself.
void release_zombie(Process* child) {
  // The zombie marked itself while holding g_sched_lock and kept it until its final switch had saved its
  // registers, so once we can take the lock it no longer runs on its stack.
  { SpinlockGuard sync(g_sched_lock); }
  // (Senders leave an exiting process's thread alone: ProcessSignals::m_is_exiting.)
  if (child->m_thread) thread_destroy(child->m_thread);
  child->m_thread = nullptr;
  // Its other threads exited before it (the last thread saw them gone from the thread list only after they
  // were on the dead list): free them too.
  process_reap_dead_threads();
  RefPtr<Process>::adopt(child);  // drop the table's reference
}

// The pid table forgets a reaped zombie (g_process_lock held); release_zombie frees it afterwards.
void unlist_zombie_locked(Process* zombie) {
  g_pid_table[zombie->m_pid] = nullptr;
  g_process_count--;
  job_control_release_locked(zombie);
}

// Free the zombies nobody waits for.
void reap_detached() {
  if (g_detached.is_empty()) return;  // (read without the lock: a zombie added meanwhile waits for the next call)
  for (;;) {
    Process* zombie;
    {
      SpinlockGuard guard(g_process_lock);
      zombie = g_detached.pop_front();
      if (!zombie) return;
    }
    release_zombie(zombie);
  }
}

}  // namespace

// Where a vfork parent sleeps until its child execs or exits (on the parent's kernel stack).
struct VforkWait {
  Spinlock lock{"vfork"};
  WaitQueue given_back;
  bool done = false;  // guarded by lock
};

Process::Process() = default;
Process::~Process() = default;

void process_release_space(Process* p, RefPtr<AddressSpace> old) {
  // The last reference (nobody can take another: it has left the process): a large address space is emptied
  // in steps first, with a preemption point between them (AddressSpace::release_in_steps), so that the exit or
  // exec of a big process does not hold the hart (Linux's exit_mmap: unmap_vmas with cond_resched).
  if (old && old->ref_count() == 1) old->release_in_steps();
  old.clear();  // frees it unless another process shares it (CLONE_VM)
  if (VforkWait* w = p->m_vfork.exchange(nullptr)) {
    SpinlockGuard guard(w->lock);
    w->done = true;
    w->given_back.wake_all();  // the parent returns once it has this lock: w is not touched after the unlock
  }
}

RefPtr<Process> process_find(i32 pid) {
  SpinlockGuard guard(g_process_lock);
  if (pid <= 0 || pid >= PID_MAX || !g_pid_table[pid]) return nullptr;
  return RefPtr<Process>(g_pid_table[pid]);
}

Process* process_table_at_locked(i32 pid) {
  ASSERT_LOCKED(g_process_lock);
  return g_pid_table[pid];
}

u64 process_created_count() {
  SpinlockGuard guard(g_process_lock);
  return g_processes_created;
}

i32 process_last_pid() {
  SpinlockGuard guard(g_process_lock);
  return g_next_pid > 1 ? g_next_pid - 1 : PID_MAX - 1;
}

RefPtr<Process> process_find_by_tid(i32 tid) {
  SpinlockGuard guard(g_process_lock);
  if (tid <= 0 || tid >= PID_MAX) return nullptr;
  if (Thread* t = g_tid_table[tid]) return RefPtr<Process>(t->m_process);
  return g_pid_table[tid] ? RefPtr<Process>(g_pid_table[tid]) : nullptr;
}

Thread* process_find_thread_locked(i32 tid) {
  ASSERT_LOCKED(g_process_lock);
  return tid > 0 && tid < PID_MAX ? g_tid_table[tid] : nullptr;
}

Thread* process_thread_locked(Process* p, i32 tid) {
  for (Thread& t : p->m_threads)
    if (static_cast<i32>(t.m_tid) == tid) return &t;
  return nullptr;
}

void process_reap_dead_threads() {
  if (g_dead_threads.is_empty()) return;  // (read without the lock: one added meanwhile waits for the next call)
  for (;;) {
    Thread* t;
    {
      SpinlockGuard guard(g_sched_lock);
      t = g_dead_threads.pop_front();
    }
    if (!t) return;
    thread_destroy(t);
  }
}

u32 process_count() {
  SpinlockGuard guard(g_process_lock);
  return g_process_count;
}

u32 process_task_count() {
  SpinlockGuard guard(g_process_lock);
  return g_process_count + g_extra_threads;
}

void process_activate_address_space(Process* p) {
  // A thread of a process that has left its address space (exit, exec, in their preemption points) runs on the
  // kernel's tables, not on whatever pmap this hart ran last: that one's process could destroy it meanwhile.
  if (p->m_space) p->m_space->activate();
  else Pmap::activate_kernel();
}

void process_deactivate_address_space(Process* p) {
  if (p->m_space) p->m_space->deactivate();
}

void process_start_init(const char* path, const char* const* argv, usize argc) {
  auto* p = new Process();
  ASSERT(p);
  set_default_limits(p);
  p->m_start_time_ns = time_monotonic_ns();
  Thread* t = thread_create_user(p);
  if (!t) panic("no memory for init's thread");
  t->m_files = make_ref<FdTable>();
  t->m_fs = make_ref<FsContext>();
  if (!t->m_files || !t->m_fs) panic("no memory for init's files");
  MUST(t->m_files->install_at(0, console_open(ConsoleChannel::Stdin), false));
  MUST(t->m_files->install_at(1, console_open(ConsoleChannel::Stdout), false));
  MUST(t->m_files->install_at(2, console_open(ConsoleChannel::Stderr), false));
  (void)t->m_fs->set_working_directory(vfs_root());
  p->m_thread = t;
  MUST(signal_init_process(p, true));
  {
    SpinlockGuard guard(g_process_lock);
    p->m_pid = allocate_pid_locked();
    t->m_tid = static_cast<u32>(p->m_pid);
    g_tid_table[p->m_pid] = t;
    p->m_threads.push_back(*t);
    g_pid_table[p->m_pid] = p;
    g_process_count++;
    g_init = p;
    MUST(job_control_init_locked(p));  // init leads session 1 and group 1
  }
  // Exec runs in the context of the new process; init's thread does it as its first act (kernel/exec.cpp).
  exec_prepare_first(p, path, argv, argc);
  sched_make_runnable(t);
}

Result<i32> process_fork(u64 flags, u64 new_sp, u64 child_tid_address) {
  using namespace linux;
  Process* parent = current_process();
  Thread* parent_thread = current_thread();
  reap_detached();
  process_reap_dead_threads();
  // A quick look before any copying (a fork bomb makes mostly these calls); the exact check is under the lock.
  if (__atomic_load_n(&g_process_count, __ATOMIC_RELAXED) + __atomic_load_n(&g_extra_threads, __ATOMIC_RELAXED) >=
      max_threads())
    return Error::AGAIN;
  auto* child = new Process();
  if (!child) return Error::NOMEM;
  // On failure, dropping this reference frees the child with what it got so far: its address space and file
  // table go with it (the thread, which is not the child's to free, is destroyed by hand).
  RefPtr<Process> child_ref = RefPtr<Process>::adopt(child);

  if (flags & CLONE_VM)
    child->m_space = parent->m_space;  // one more reference: the same memory (vfork, or shared for good)
  else
    child->m_space = RefPtr<AddressSpace>::adopt(TRY(parent->m_space->fork()).leak());
  // The descriptor table and fs context: the caller's own (CLONE_FILES, CLONE_FS) or copies.
  RefPtr<FdTable> files = flags & CLONE_FILES ? parent_thread->m_files : TRY(parent_thread->m_files->clone());
  RefPtr<FsContext> fs = flags & CLONE_FS ? parent_thread->m_fs : parent_thread->m_fs->copy();
  if (!fs) return Error::NOMEM;
  memcpy(child->m_name, parent->m_name, sizeof(child->m_name));
  memcpy(child->m_exe_path, parent->m_exe_path, sizeof(child->m_exe_path));
  {
    SpinlockGuard guard(g_process_lock);
    child->m_executable = parent->m_executable.copy();
  }
  memcpy(child->m_cmdline, parent->m_cmdline, sizeof(child->m_cmdline));
  child->m_cmdline_length = parent->m_cmdline_length;
  // Inherited: nice, groups and the prctl settings; not the parent-death signal or the subreaper mark.
  child->m_nice.store(parent->m_nice.load(MemoryOrder::Relaxed), MemoryOrder::Relaxed);
  child->m_ioprio.store(parent->m_ioprio.load(MemoryOrder::Relaxed), MemoryOrder::Relaxed);
  child->m_prctl = parent->m_prctl;
  {
    SpinlockGuard guard(g_process_lock);
    child->m_groups = parent->m_groups;
  }
  {
    SpinlockGuard guard(parent->m_limits_lock);
    memcpy(child->m_limits, parent->m_limits, sizeof(child->m_limits));
  }
  child->m_start_time_ns = time_monotonic_ns();

  Thread* t = thread_create_user(child);
  if (!t) return Error::NOMEM;
  t->m_files = std::move(files);
  t->m_fs = std::move(fs);
  sched_fork(t, parent_thread);
  child->m_thread = t;
  // CLONE_PARENT: the child is the caller's sibling, and its exit signal is the caller's own (Linux's
  // copy_process ignores the one given).
  unsigned exit_signal = flags & CLONE_PARENT ? parent->m_signals.m_exit_signal : flags & CSIGNAL;
  if (auto r = signal_fork(parent, parent_thread, child, t, flags, exit_signal); r.is_error()) {
    thread_destroy(t);
    child->m_thread = nullptr;
    return r.error();
  }
  // The child resumes from the same system call with the same registers, but fork returns 0 in it.
  *t->m_trap_frame = *parent_thread->m_trap_frame;
  t->m_trap_frame->a0 = 0;
  if (new_sp) t->m_trap_frame->sp = new_sp;
  // Floating-point registers: the parent's live ones (if it used them) are the child's starting state.
  fpu_fork(t->m_fpu, *t->m_trap_frame, parent_thread->m_fpu, *parent_thread->m_trap_frame);

  i32 pid;
  {
    SpinlockGuard guard(g_process_lock);
    // A fatal signal on its way to the parent (a kill(-1) or a group kill, sent under this lock): no child, so
    // that none escapes it (Linux's copy_process checks the same under tasklist_lock).
    bool dying = parent->m_signals.m_kill_signal.load(MemoryOrder::Relaxed) != 0;
    pid = dying || at_max_threads_locked() ? -1 : allocate_pid_locked();
    if (pid < 0) {
      guard.unlock();
      thread_destroy(t);
      child->m_thread = nullptr;
      return dying ? Error::INTR : Error::AGAIN;
    }
    child->m_pid = pid;
    t->m_tid = static_cast<u32>(pid);
    g_tid_table[pid] = t;
    child->m_threads.push_back(*t);
    // (The caller's parent, with CLONE_PARENT: do_clone refuses it to init, which has none.)
    Process* new_parent = flags & CLONE_PARENT ? parent->m_parent : parent;
    child->m_parent = new_parent;
    child->m_parent_pid.store(new_parent->m_pid);
    new_parent->m_children.push_back(*child);
    job_control_fork_locked(parent, child);
    g_pid_table[pid] = child_ref.leak();  // the table now holds the creation reference
    g_process_count++;
    g_processes_created++;
  }
  // CLONE_CHILD_SETTID is stored by the child itself as it starts (thread_first_run), as Linux's
  // schedule_tail does, so the store sees the child's own page protections.
  if (flags & CLONE_CHILD_SETTID) t->m_set_child_tid = child_tid_address;
  if (flags & CLONE_CHILD_CLEARTID) t->m_clear_child_tid = child_tid_address;
  // CLONE_VFORK: sleep until the child has execed or exited. The wait ends on a fatal signal, as Linux's
  // wait_for_vfork_done is killable, and the child is left behind, as on Linux (with CLONE_VM it keeps its
  // reference to the memory): whoever takes m_vfork first owns `wait`, so a parent that takes it back returns at
  // once and the child never touches it. (A child that stops itself with SIGSTOP must not leave a parent no
  // signal can end: the fuzzer found that once.)
  VforkWait wait;
  RefPtr<Process> vfork_child;
  if (flags & CLONE_VFORK) {
    child->m_vfork.store(&wait);
    vfork_child = RefPtr<Process>(child);  // m_vfork is read after the child may have exited
  }
  sched_make_runnable(t);
  if (flags & CLONE_VFORK) {
    Interruptible mode = Interruptible::Killable;
    SpinlockGuard guard(wait.lock);
    while (!wait.done) {
      if (wait.given_back.wait(wait.lock, mode).has_value()) continue;
      if (vfork_child->m_vfork.exchange(nullptr) == &wait) break;  // killed: the child will not wake us
      // The child has taken `wait` and is about to set done.
      mode = Interruptible::No;
    }
  }
  return pid;
}

Result<i32> process_clone_thread(u64 flags, u64 new_sp, u64 tls, u64 parent_tid_address, u64 child_tid_address) {
  using namespace linux;
  Process* p = current_process();
  Thread* self = current_thread();
  process_reap_dead_threads();
  // The descriptor table and fs context: shared (pthreads) or, without CLONE_FILES or CLONE_FS, copies.
  RefPtr<FdTable> files = flags & CLONE_FILES ? self->m_files : TRY(self->m_files->clone());
  RefPtr<FsContext> fs = flags & CLONE_FS ? self->m_fs : self->m_fs->copy();
  if (!fs) return Error::NOMEM;
  Thread* t = thread_create_user(p);
  if (!t) return Error::NOMEM;
  t->m_files = std::move(files);
  t->m_fs = std::move(fs);
  sched_fork(t, self);
  // The new thread resumes from the same system call with the same registers, but clone returns 0 in it.
  *t->m_trap_frame = *self->m_trap_frame;
  t->m_trap_frame->a0 = 0;
  if (new_sp) t->m_trap_frame->sp = new_sp;
  if (flags & CLONE_SETTLS) t->m_trap_frame->tp = tls;
  fpu_fork(t->m_fpu, *t->m_trap_frame, self->m_fpu, *self->m_trap_frame);
  i32 tid;
  {
    SpinlockGuard guard(g_process_lock);
    SpinlockGuard signals(p->m_signals.lock());
    // A process that is dying (or exec'ing) gets no new threads; the caller is about to exit (Linux restarts
    // the call, which never happens since the caller dies first).
    tid = p->m_group_exiting || p->m_group_exec || p->m_signals.m_kill_signal.load() ? -2
          : at_max_threads_locked()                                                  ? -1
                                                                                     : allocate_pid_locked();
    if (tid >= 0) {
      g_extra_threads++;
      // Signals: the caller's mask; no alternate stack (it would be shared, as Linux says for CLONE_VM).
      t->m_signals.m_blocked = self->m_signals.m_blocked;
      t->m_tid = static_cast<u32>(tid);
      g_tid_table[tid] = t;
      p->m_threads.push_back(*t);
    }
  }
  if (tid < 0) {
    thread_destroy(t);
    return tid == -2 ? Error::RESTARTNOINTR : Error::AGAIN;
  }
  // CLONE_PARENT_SETTID: stored before the thread can run (it may exit at once and clear the same word, which
  // pthread_join then waits on: glibc passes &pd->tid for both).
  if (flags & CLONE_PARENT_SETTID) (void)copy_value_to_user<u32>(parent_tid_address, static_cast<u32>(tid));
  if (flags & CLONE_CHILD_SETTID) t->m_set_child_tid = child_tid_address;
  if (flags & CLONE_CHILD_CLEARTID) t->m_clear_child_tid = child_tid_address;
  sched_make_runnable(t);
  return tid;
}

namespace {

// The end of a process, run by its last thread: release what it owns and become a zombie. Never returns.
[[noreturn]] void process_teardown(Process* p, Thread* t, u32 wait_status) {
  if (p == g_init) {
    int code = (wait_status & 0x7f) ? 128 + static_cast<int>(wait_status & 0x7f) : static_cast<int>((wait_status >> 8) & 0xff);
    LOG_INFO("init exited with status %d: powering off", code);
    vfs_shutdown();
    LOG_DEBUG("vm: demand-zero %llu cow-copy %llu cow-reuse %llu object %llu zero %llu", (unsigned long long)g_vm_stats.faults_demand_zero.load(), (unsigned long long)g_vm_stats.faults_cow_copy.load(), (unsigned long long)g_vm_stats.faults_cow_reuse.load(), (unsigned long long)g_vm_stats.faults_object.load(), (unsigned long long)g_vm_stats.zero_page_hits.load());
    machine_power_off(code);
  }
  // Timers stop (kernel/timers.h, then ITIMER_REAL), and the process takes no more signals.
  timers_exit(*p);
  signal_exit(p);

  // Release what the process owns (its last thread has let go of its files: thread_exit).
  take_under_process_lock(p->m_executable) = RunningImage();  // the file may be written again
  // Leave the address space before destroying it: no hart may run on page tables being freed. (Every other
  // thread left it before it left the thread list.)
  if (p->m_space) p->m_space->deactivate();
  process_release_space(p, take_under_process_lock(p->m_space));

  // Become a zombie: give the children to the nearest living subreaper above us, or to init; send those that
  // asked (PR_SET_PDEATHSIG) their signal; tell the parent. First the terminal and stopped process groups that
  // lose us are told (kernel/signal/job_control.h).
  g_process_lock.lock();
  job_control_exit_locked(p);
  Process* reaper = g_init;
  for (Process* a = p->m_parent; a && a != g_init; a = a->m_parent) {
    if (a->m_is_child_subreaper && a->m_state != ProcessState::Zombie) {
      reaper = a;
      break;
    }
  }
  while (Process* c = p->m_children.pop_front()) {
    c->m_parent = reaper;
    c->m_parent_pid.store(reaper->m_pid);
    // Linux's reparent_leader: the new parent hears of an adopted child by SIGCHLD, whatever exit signal clone
    // gave it, so that its wait4(-1) reaps it (a child with another exit signal is a "clone" child, skipped
    // without __WALL: the fuzzer's strays stayed zombies of init for ever).
    c->m_signals.m_exit_signal = linux::SIGCHLD;
    reaper->m_children.push_back(*c);
    if (c->m_state == ProcessState::Zombie) {
      reaper->m_child_exited.wake_all();
    } else if (u32 sig = c->m_pdeath_signal.load(MemoryOrder::Relaxed)) {
      (void)signal_send(c, siginfo_from_current(sig, linux::SI_USER));  // as from the dying parent
    }
  }
  p->m_state = ProcessState::Zombie;
  p->m_exit_status = wait_status;
  // The parent gets its SIGCHLD and its wait4 wakes; a parent that wants no zombies gets none.
  Process* parent = p->m_parent;
  if (signal_notify_parent_exit_locked(p, wait_status)) {
    parent->m_children.remove(*p);
    unlist_zombie_locked(p);
    g_detached.push_back(*p);
  }
  g_sched_lock.lock();
  // (No IPI to an idle hart: this one is about to give up its thread and can run the parent.)
  if (parent) parent->m_child_exited.wake_all_locked();
  t->m_state = ThreadState::Zombie;
  g_process_lock.unlock();
  sched_switch_locked();
  panic("a zombie thread ran again");
}

// Tell every thread of p but `except` to exit (WORK_KILL), waking them from interruptible sleeps. The signal
// lock is held.
void kill_other_threads_locked(Process* p, Thread* except) {
  for (Thread& other : p->m_threads) {
    if (&other == except) continue;
    other.add_work(WORK_KILL);
    interrupt_thread(&other);
  }
  p->m_signals.m_stopped_wait.wake_all();  // a stopped process's threads sleep there
}

}  // namespace

[[noreturn]] void process_exit(u32 wait_status) {
  Process* p = current_process();
  Thread* self = current_thread();
  {
    SpinlockGuard guard(p->m_signals.lock());
    if (p->m_group_exec && p->m_group_exec != self && !p->m_group_exiting) {
      // Another thread exec's and told this one to go: it leaves quietly, the process lives on.
      guard.unlock();
      thread_exit(0);
    }
    if (!p->m_group_exiting) {
      p->m_group_exiting = true;
      p->m_group_exit_status = wait_status;
      kill_other_threads_locked(p, self);
    }
  }
  thread_exit(wait_status);
}

[[noreturn]] void thread_exit(u32 wait_status) {
  Process* p = current_process();
  Thread* t = current_thread();
  bool others;
  {
    SpinlockGuard guard(g_process_lock);
    others = p->m_threads.front() != t || p->m_threads.back() != t;
  }
  // The robust futex list, and CLONE_CHILD_CLEARTID / set_tid_address: a thread library waits on that word for
  // the thread to end. Linux (mm_release) zeroes it only while another thread or process (CLONE_VM) still uses
  // the memory, and ignores a bad address (put_user).
  futex_thread_release(t, others || (p->m_space && p->m_space->ref_count() > 1));
  // This thread touches no user memory any more: leave the address space now, so that the last thread can
  // destroy it as soon as it finds itself alone.
  if (p->m_space) p->m_space->deactivate();
  // Its descriptor table and fs context: the last user of a table closes its files (a pipe's peer sees the end
  // of file as the process exits), and the last thread of a process lets go before it becomes a zombie.
  take_under_process_lock(t->m_files) = nullptr;
  take_under_process_lock(t->m_fs) = nullptr;

  g_process_lock.lock();
  bool last;
  {
    SpinlockGuard guard(p->m_signals.lock());
    p->m_threads.remove(*t);
    last = p->m_threads.is_empty();
    if (p->m_group_exiting) wait_status = p->m_group_exit_status;
    if (!last) signal_thread_exit_locked(p, t);
  }
  g_tid_table[t->m_tid] = nullptr;  // (the leader's id stays taken by the process until it is reaped)
  if (!last) {
    g_extra_threads--;  // the last thread's task is counted with the process until it is reaped
    if (p->m_thread == t) p->m_thread = nullptr;
    if (p->m_group_exec) p->m_threads_changed.wake_all();
    g_sched_lock.lock();
    g_dead_threads.push_back(*t);
    t->m_state = ThreadState::Zombie;
    g_process_lock.unlock();
    sched_switch_locked();
    panic("an exited thread ran again");
  }
  p->m_thread = t;  // the zombie thread wait4 frees
  g_process_lock.unlock();
  process_teardown(p, t, wait_status);
}

Result<void> process_exec_kill_other_threads() {
  Process* p = current_process();
  Thread* self = current_thread();
  g_process_lock.lock();
  if (p->m_threads.front() == self && p->m_threads.back() == self) {
    g_process_lock.unlock();
    return {};
  }
  {
    SpinlockGuard guard(p->m_signals.lock());
    if (p->m_group_exiting || p->m_group_exec) {
      // The process is exiting, or another thread exec's: this one is told to go too.
      g_process_lock.unlock();
      return Error::AGAIN;
    }
    p->m_group_exec = self;
    kill_other_threads_locked(p, self);
  }
  while (p->m_threads.front() != self || p->m_threads.back() != self)
    (void)p->m_threads_changed.wait(g_process_lock, Interruptible::No);
  // The exec'ing thread becomes the leader, with the process's id (Linux's de_thread).
  if (static_cast<i32>(self->m_tid) != p->m_pid) {
    g_tid_table[self->m_tid] = nullptr;
    self->m_tid = static_cast<u32>(p->m_pid);
    g_tid_table[p->m_pid] = self;
  }
  p->m_thread = self;
  {
    SpinlockGuard guard(p->m_signals.lock());
    p->m_group_exec = nullptr;
  }
  g_process_lock.unlock();
  return {};
}

Result<i32> process_wait(i32 pid, u64 status_address, u32 options, u64 rusage_address) {
  using namespace linux;
  if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WALL | __WCLONE | __WNOTHREAD)) return Error::INVAL;
  if (pid == -2147483647 - 1) return Error::SRCH;  // INT_MIN: -pid would overflow (Linux: ESRCH)
  Process* self = current_process();
  reap_detached();
  process_reap_dead_threads();
  // Check the result pointers before reaping anything, so a bad pointer does not lose a child's status.
  if (status_address && copy_value_to_user<u32>(status_address, 0).is_error()) return Error::FAULT;
  if (rusage_address && copy_value_to_user(rusage_address, rusage{}).is_error()) return Error::FAULT;
  g_process_lock.lock();
  for (;;) {
    bool any = false;
    Process* zombie = nullptr;
    Process* reported = nullptr;
    u32 report = 0;
    for (Process& c : self->m_children) {
      // pid > 0: that child; -1: any child; 0: any child in our process group; < -1: any child in group -pid.
      if (pid > 0 && c.m_pid != pid) continue;
      if (pid == 0 && c.m_group != self->m_group) continue;
      if (pid < -1 && process_pgid_locked(&c) != -pid) continue;
      // A "clone" child (exit signal other than SIGCHLD) is waited for only with __WCLONE, or __WALL.
      bool is_clone_child = c.m_signals.m_exit_signal != SIGCHLD;
      if (!(options & __WALL) && is_clone_child != static_cast<bool>(options & __WCLONE)) continue;
      any = true;
      if (c.m_state == ProcessState::Zombie) {
        zombie = &c;
        break;
      }
      // WUNTRACED, WCONTINUED: a stop or a continue not yet reported (kernel/signal/job_control.h).
      if (options & (WUNTRACED | WCONTINUED)) {
        report = signal_take_stop_report_locked(&c, options);
        if (report) {
          reported = &c;
          break;
        }
      }
    }
    if (!any) {
      g_process_lock.unlock();
      return Error::CHILD;
    }
    if (reported) {
      i32 rpid = reported->m_pid;
      g_process_lock.unlock();
      if (status_address && copy_value_to_user(status_address, report).is_error()) return Error::FAULT;
      return rpid;
    }
    if (zombie) {
      self->m_children.remove(*zombie);
      unlist_zombie_locked(zombie);
      i32 zpid = zombie->m_pid;
      u32 status = zombie->m_exit_status;
      cpu_time_add_child(*self, *zombie);
      g_process_lock.unlock();
      release_zombie(zombie);
      if (status_address && copy_value_to_user(status_address, status).is_error()) return Error::FAULT;
      return zpid;
    }
    if (options & WNOHANG) {
      g_process_lock.unlock();
      return 0;
    }
    if (auto waited = self->m_child_exited.wait(g_process_lock); waited.is_error()) {
      g_process_lock.unlock();
      return waited.error();  // RESTARTSYS: EINTR, or restarted with SA_RESTART
    }
  }
}
