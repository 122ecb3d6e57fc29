// Threads: the unit the scheduler runs. Every thread has a kernel stack (with a guard page) and a saved kernel
// context; a user thread also belongs to a Process (its thread group: clone with CLONE_THREAD adds threads to
// it) and has its user registers in the TrapFrame at the top of its kernel stack.
//
// Lock: g_sched_lock (kernel/sched.h) protects m_state, the run queue and every wait queue.
#pragma once

#include "arch/riscv/cpu.h"
#include "arch/riscv/fpu.h"
#include "arch/riscv/trap_frame.h"
#include "kernel/cpu_time.h"
#include "kernel/signal/thread_signals.h"
#include "lib/atomic.h"
#include "lib/list.h"
#include "lib/refptr.h"
#include "lib/types.h"

struct Process;
class FdTable;
struct FsContext;
class WaitQueue;

enum class ThreadState : u8 { Embryo, Runnable, Running, Sleeping, Zombie };

// Work a thread must do before it returns to user mode, one bit each in Thread::m_work. Any hart may set a bit
// (an atomic OR: no bit set by another hart is lost); arch/riscv/trap.S tests the whole word with one load on
// its way back to user mode, and prepare_return_to_user (kernel/user_trap.cpp) does the work.
constexpr u32 WORK_RESCHEDULE = 1u << 0;  // give up the hart: a timer tick asked
// A signal may need the thread's attention: one is pending and not blocked, the process is stopping or was
// continued, or a system call was interrupted. Any hart sets it (under the signal lock); only the thread itself
// clears it, once it has looked (kernel/signal/deliver.cpp), so a system call that a signal interrupted always
// passes through the restart logic on its way out.
constexpr u32 WORK_SIGNAL = 1u << 1;
constexpr u32 WORK_KILL = 1u << 2;        // the process is dying (ProcessSignals::m_kill_signal says of what)

struct Thread {
  SwitchContext m_context{};         // callee-saved registers while switched out
  u64 m_kstack_top = 0;
  TrapFrame* m_trap_frame = nullptr; // user registers (top of the kernel stack), user threads only
  ThreadState m_state = ThreadState::Embryo;  // guarded by g_sched_lock
  Atomic<u32> m_work{0};             // WORK_* bits: changed only by atomic OR and AND
  Process* m_process = nullptr;      // owning process; nullptr for kernel threads
  ListNode m_run_link;               // run queue, a wait queue or the dead list, guarded by g_sched_lock
  ListNode m_group_link;             // in m_process->m_threads while it lives (kernel/process.h)
  WaitQueue* m_waiting_on = nullptr; // guarded by g_sched_lock
  bool m_wait_interrupted = false;   // set when a signal ended the wait; guarded by g_sched_lock
  bool m_interruptible = false;      // guarded by g_sched_lock
  bool m_killable = false;           // a fatal signal ends the wait (Interruptible::Killable); same lock
  bool m_irq_enabled_before = false; // saved Cpu::irq_enabled_before across a switch
  u64 m_slept_at_ns = 0;             // when it last went to sleep (its wake-up's place in the run queue); same lock
  // When a tick first asked this thread to give up its hart (WORK_RESCHEDULE) and it has not yet: 0 if none.
  // Written by the tick on the thread's own hart, read and cleared by the thread (kernel/sched.cpp).
  u64 m_resched_asked_ns = 0;
  FpuContext m_fpu;                  // the user's floating-point registers while the hart does not hold them
  const char* m_name = "";
  u32 m_tid = 0;
  u32 m_last_cpu = 0;
  // The user words clone(2) and set_tid_address(2) name. They are stored to only from this thread's own context,
  // through the checked user-access routines, so they land only where the program itself could store.
  u64 m_set_child_tid = 0;           // CLONE_CHILD_SETTID: the tid is stored here before the thread's first user instruction
  u64 m_clear_child_tid = 0;         // CLONE_CHILD_CLEARTID / set_tid_address: zeroed when the thread exits
  u64 m_robust_list = 0;             // set_robust_list(2): the head of its robust futex list (kernel/futex.h)
  ThreadSignals m_signals;           // kernel/signal/thread_signals.h
  // The descriptor table (kernel/fs/fd_table.h) and the working directory and umask (kernel/fs/fs_context.h):
  // Linux keeps them per thread, shared by clone's CLONE_FILES and CLONE_FS (every pthread shares its
  // process's). Changed only by the thread itself (clone's child before it runs, unshare, exec, exit) under
  // g_process_lock, so the thread reads them without a lock and others (/proc) hold g_process_lock.
  RefPtr<FdTable> m_files;
  RefPtr<FsContext> m_fs;
  ThreadCpuTime m_cpu_time;          // charged by the timer tick (kernel/cpu_time.cpp), on this thread's hart
  // Scheduling attributes (sched_setscheduler, sched_setaffinity), guarded by g_sched_lock; inherited by
  // clone and fork (kernel/sched.h sched_fork).
  u64 m_cpus_allowed = ~0ull;        // bit i: may run on hart index i (the scheduler never runs it elsewhere)
  u8 m_sched_policy = 0;             // SCHED_OTHER, FIFO, RR, BATCH or IDLE: reported (all run round robin here)
  u8 m_sched_priority = 0;           // 1..99 for FIFO and RR, else 0
  bool m_sched_reset_on_fork = false;  // SCHED_RESET_ON_FORK: children start as SCHED_OTHER

  // Release: what the setter wrote before (a kill signal, say) is seen by whoever sees the bit (Acquire).
  void add_work(u32 bits) { m_work.fetch_or(bits, MemoryOrder::Release); }
  void clear_work(u32 bits) { m_work.fetch_and(~bits, MemoryOrder::Relaxed); }
  bool has_work(u32 bits) const { return m_work.load(MemoryOrder::Acquire) & bits; }
};

// A fatal signal, or a pending unblocked one, waits for t: an interruptible sleep ends, and the thread acts on it
// on its way back to user mode.
inline bool thread_has_interrupting_signal(const Thread* t) { return t->has_work(WORK_SIGNAL | WORK_KILL); }

inline Thread* current_thread() { return this_cpu()->current; }

// Create a kernel thread that runs fn(arg); it is Runnable when created.
Thread* thread_create_kernel(const char* name, void (*fn)(void*), void* arg);
// Allocate a thread with a kernel stack for a user process (not yet runnable). Its TrapFrame is at the top
// of the stack; the first switch to it returns to user mode with that frame.
Thread* thread_create_user(Process* process);
void thread_destroy(Thread* t);
