// Sleeping until something happens. A WaitQueue is a list of sleeping threads; wait() releases a spinlock the
// caller holds and sleeps atomically (no lost wake-up), wake_all() makes every sleeper runnable.
//
//   SpinlockGuard guard(m_lock);
//   while (m_buffer.is_empty()) TRY(m_readers.wait(m_lock));   // re-check the condition after waking
//
// An interruptible wait returns Error::RESTARTSYS when the thread gets a fatal signal (kill) or a signal to
// handle. A system call passes it on: on the way back to user mode the signal code turns it into EINTR, or
// restarts the call (SA_RESTART, or when no handler runs), as Linux does (kernel/signal/deliver.cpp).
#pragma once

#include "kernel/spinlock.h"
#include "kernel/thread.h"
#include "lib/list.h"
#include "lib/result.h"

// How a wait may end early: No (only a wake-up), Yes (any signal to handle: RESTARTSYS), Killable (only a fatal
// signal, WORK_KILL, as Linux's TASK_KILLABLE: a sleep the program cannot see, which must not outlive SIGKILL).
enum class Interruptible : u8 { No, Yes, Killable };

class WaitQueue {
 public:
  WaitQueue() = default;
  AS_NONCOPYABLE(WaitQueue);

  // Release `held` (the caller holds it), sleep until woken, take `held` again.
  Result<void> wait(Spinlock& held, Interruptible interruptible = Interruptible::Yes);
  // Same as wait(), but give up after timeout_ns; returns TIMEDOUT then.
  Result<void> wait_timeout(Spinlock& held, u64 timeout_ns, Interruptible interruptible = Interruptible::Yes);
  // Same as wait(), but give up at deadline_ns on the monotonic clock (0: never); returns TIMEDOUT then.
  Result<void> wait_until(Spinlock& held, u64 deadline_ns, Interruptible interruptible = Interruptible::Yes);
  void wake_all();
  void wake_one();

  // Used by the scheduler and signal code (g_sched_lock held).
  void remove_locked(Thread& t);
  void wake_all_locked();
  void m_waiters_push(Thread& t);

 private:
  IntrusiveList<Thread, &Thread::m_run_link> m_waiters;  // guarded by g_sched_lock
};

// Wake a thread sleeping interruptibly (a signal arrived for it). g_sched_lock must not be held.
void interrupt_thread(Thread* t);
// Sleep for ns nanoseconds (interruptible). Returns RESTARTSYS if a signal interrupted it.
Result<void> sleep_ns(u64 ns);
