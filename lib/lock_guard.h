// A scope that holds a lock: taken by the constructor, released at scope exit or earlier by unlock().
// The kernel's spinlocks and the host tests' stand-ins share it (SpinlockGuard = LockGuard<Spinlock>).
#pragma once

template <typename Lock>
class LockGuard {
 public:
  explicit LockGuard(Lock& lock) : m_lock(&lock) { m_lock->lock(); }
  ~LockGuard() {
    if (m_lock) m_lock->unlock();
  }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;
  // Release early (the guard then does nothing at scope exit).
  void unlock() {
    m_lock->unlock();
    m_lock = nullptr;
  }

 private:
  Lock* m_lock;
};
