// Spinlocks. Taking one disables interrupts on this hart (so an interrupt handler cannot deadlock against
// the code it interrupted) until the outermost lock is released. A hart that spins for more than a second
// reports which lock it waits for and which hart holds it, once, then keeps waiting.
//
// Use the guard:   SpinlockGuard guard(m_lock);
//
// In the debug kernel (built without NDEBUG), every lock and unlock also goes through the lock-order checker
// (kernel/lockdep.h), and functions named *_locked check that their lock is held (ASSERT_LOCKED, lib/assert.h).
#pragma once

#include "arch/riscv/cpu.h"
#include "lib/atomic.h"
#include "lib/lock_guard.h"
#include "lib/types.h"

#ifndef NDEBUG
#include "kernel/lockdep.h"
#define SPINLOCK_CHECK(call) call
#else
#define SPINLOCK_CHECK(call) \
  do {                       \
  } while (0)
#endif

class Spinlock {
 public:
  explicit constexpr Spinlock(const char* name) : m_name(name) {}
  Spinlock(const Spinlock&) = delete;
  Spinlock& operator=(const Spinlock&) = delete;

  // The uncontended paths are inline: taking and releasing a free lock is on every fault and system call.
  void lock() {
    Cpu* c = this_cpu();
    push_interrupts_off(c);
    SPINLOCK_CHECK(lockdep_acquire(*this, false));  // before waiting: an inversion is reported, not deadlocked on
    if (LIKELY(m_locked.exchange(1, MemoryOrder::Acquire) == 0)) {
      m_owner = c;
      return;
    }
    lock_slow();
  }
  void unlock() {
    Cpu* c = this_cpu();
    if (UNLIKELY(m_owner != c)) unlock_not_held();
    m_owner = nullptr;
    m_locked.store(0, MemoryOrder::Release);
    SPINLOCK_CHECK(lockdep_release(*this));
    pop_interrupts_off(c);
  }
  // For callers that run with interrupts off already (a trap handler): skip the interrupt bookkeeping. Must
  // be paired with unlock_irqs_off, with interrupts still off.
  void lock_irqs_off() {
    Cpu* c = this_cpu();
    SPINLOCK_CHECK(lockdep_acquire(*this, false));
    if (LIKELY(m_locked.exchange(1, MemoryOrder::Acquire) == 0)) {
      m_owner = c;
      return;
    }
    lock_slow();
  }
  void unlock_irqs_off() {
    if (UNLIKELY(m_owner != this_cpu())) unlock_not_held();
    m_owner = nullptr;
    m_locked.store(0, MemoryOrder::Release);
    SPINLOCK_CHECK(lockdep_release(*this));
  }
  bool try_lock();
  // True if this hart holds the lock (for ASSERTs in functions named *_locked).
  bool is_held() const;
  const char* name() const { return m_name; }

 private:
  void lock_slow();
  [[noreturn]] void unlock_not_held();

  Atomic<u32> m_locked{0};
  Cpu* m_owner = nullptr;  // the holding hart, nullptr when free
  const char* m_name;
#ifndef NDEBUG
  friend u32& lockdep_class_cache(const Spinlock& lock);
  mutable u32 m_lockdep_class = 0;  // the lock-order checker's class of this lock, plus one (0: not yet known)
#endif
};

using SpinlockGuard = LockGuard<Spinlock>;
