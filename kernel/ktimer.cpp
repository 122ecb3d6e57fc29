#include "kernel/ktimer.h"

#include "arch/riscv/cpu.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"

namespace {

Spinlock g_ktimer_lock("ktimer");
KernelTimer* g_armed = nullptr;  // sorted by deadline; guarded by g_ktimer_lock

void unlink_locked(KernelTimer* t) {
  for (KernelTimer** link = &g_armed; *link; link = &(*link)->m_next) {
    if (*link == t) {
      *link = t->m_next;
      break;
    }
  }
  t->m_next = nullptr;
  t->m_is_armed = false;
}

}  // namespace

void ktimer_arm(KernelTimer* t, u64 deadline_ns) {
  SpinlockGuard guard(g_ktimer_lock);
  if (t->m_is_armed) unlink_locked(t);
  t->m_deadline_ns = deadline_ns;
  KernelTimer** link = &g_armed;
  while (*link && (*link)->m_deadline_ns <= deadline_ns) link = &(*link)->m_next;
  t->m_next = *link;
  *link = t;
  t->m_is_armed = true;
}

u64 ktimer_cancel(KernelTimer* t) {
  for (;;) {
    {
      SpinlockGuard guard(g_ktimer_lock);
      u64 left = 0;
      if (t->m_is_armed) {
        u64 now = time_monotonic_ns();
        left = t->m_deadline_ns > now ? t->m_deadline_ns - now : 1;
        unlink_locked(t);
      }
      // Its function may be running on the boot hart right now (and could re-arm it): wait for it to finish,
      // so that the caller may free what the function uses.
      if (!t->m_is_running) return left;
    }
    asm volatile(".4byte 0x0100000f");  // pause (Zihintpause): a hint, a no-op where unimplemented
  }
}

u64 ktimer_remaining(const KernelTimer* t) {
  SpinlockGuard guard(g_ktimer_lock);
  if (!t->m_is_armed) return 0;
  u64 now = time_monotonic_ns();
  return t->m_deadline_ns > now ? t->m_deadline_ns - now : 1;
}

void ktimer_run_expired(u64 now_ns) {
  for (;;) {
    KernelTimer* t;
    {
      SpinlockGuard guard(g_ktimer_lock);
      t = g_armed;
      if (!t || t->m_deadline_ns > now_ns) return;
      unlink_locked(t);
      t->m_is_running = true;
    }
    t->m_function(t);  // without the lock: it may re-arm t, or send a signal
    SpinlockGuard guard(g_ktimer_lock);
    t->m_is_running = false;
  }
}
