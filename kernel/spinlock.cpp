#include "kernel/spinlock.h"

#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "kernel/log.h"
#include "kernel/time.h"
#include "lib/assert.h"

void pop_interrupts_off_underflow() { panic("pop_interrupts_off without push_interrupts_off"); }

bool Spinlock::is_held() const { return m_locked.load(MemoryOrder::Relaxed) && m_owner == this_cpu(); }

bool Spinlock::try_lock() {
  push_interrupts_off();
  if (m_locked.exchange(1, MemoryOrder::Acquire) == 0) {
    m_owner = this_cpu();
    SPINLOCK_CHECK(lockdep_acquire(*this, true));
    return true;
  }
  pop_interrupts_off();
  return false;
}

// The lock was taken: by this hart (a deadlock, reported), or by another one (spin, reporting a long wait).
void Spinlock::lock_slow() {
  if (m_owner == this_cpu()) panic("spinlock '%s': hart %u takes it twice (deadlock)", m_name, this_cpu()->hart_id);
  u64 start = csr::read_time();
  bool reported = false;
  for (;;) {
    while (m_locked.load(MemoryOrder::Relaxed)) {
      if (!reported && time_ticks_to_ns(csr::read_time() - start) > 1'000'000'000ull) {
        reported = true;
        Cpu* owner = m_owner;
        klog(LogLevel::Warn, "spinlock '%s': hart %u has waited 1 s; held by hart %d", m_name,
             this_cpu()->hart_id, owner ? static_cast<int>(owner->hart_id) : -1);
      }
      asm volatile(".4byte 0x0100000f");  // pause (Zihintpause): a hint, a no-op where unimplemented
    }
    if (m_locked.exchange(1, MemoryOrder::Acquire) == 0) break;
  }
  m_owner = this_cpu();
}

void Spinlock::unlock_not_held() {
  panic("spinlock '%s' released by hart %u, which does not hold it", m_name, this_cpu()->hart_id);
}
