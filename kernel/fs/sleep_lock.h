// SleepLock: a lock whose waiters sleep instead of spinning (xv6's sleeplock, Linux's mutex). The file system
// holds one while it copies to or from user memory, which a spinlock must never cover: the copy can fault, and
// resolving the fault takes the address-space lock and may take long.
//
// The holder may sleep (a blocked pipe writer keeps its pipe's writer lock while it waits for room, so that
// its bytes are not interleaved with another writer's); it must hold no spinlock when it takes the lock.
// Lock: m_spin protects m_is_locked and the wait queue's condition.
#pragma once

#include "kernel/spinlock.h"
#include "kernel/thread.h"
#include "kernel/wait_queue.h"
#include "lib/result.h"

class SleepLock {
 public:
  explicit SleepLock(const char* name) : m_spin(name) {}
  AS_NONCOPYABLE(SleepLock);

  // Waits until the lock is free and takes it. An interruptible wait gives RESTARTSYS when a signal comes first.
  Result<void> lock(Interruptible interruptible = Interruptible::No) {
    SpinlockGuard guard(m_spin);
    while (m_is_locked) TRY(m_waiters.wait(m_spin, interruptible));
    m_is_locked = true;
    m_owner = current_thread();
    return {};
  }
  // Takes the lock if it is free (non-blocking I/O must not wait for another reader or writer).
  bool try_lock() {
    SpinlockGuard guard(m_spin);
    if (m_is_locked) return false;
    m_is_locked = true;
    m_owner = current_thread();
    return true;
  }
  void unlock() {
    SpinlockGuard guard(m_spin);
    m_is_locked = false;
    m_owner = nullptr;
    // One waiter is enough: whoever gets the lock wakes the next one when it unlocks.
    m_waiters.wake_one();
  }
  bool is_locked() const { return m_is_locked; }
  // Held by the calling thread (for ASSERT_LOCKED in functions named *_locked).
  bool is_held() const { return m_is_locked && m_owner == current_thread(); }
  const char* name() const { return m_spin.name(); }

 private:
  Spinlock m_spin;
  bool m_is_locked = false;  // guarded by m_spin
  Thread* m_owner = nullptr; // the holder, guarded by m_spin
  WaitQueue m_waiters;
};

// RAII holder of a SleepLock taken uninterruptibly (the short holds of inode contents).
class SleepLockGuard {
 public:
  explicit SleepLockGuard(SleepLock& lock) : m_lock(lock) { MUST(m_lock.lock(Interruptible::No)); }
  ~SleepLockGuard() { m_lock.unlock(); }
  AS_NONCOPYABLE(SleepLockGuard);

 private:
  SleepLock& m_lock;
};
