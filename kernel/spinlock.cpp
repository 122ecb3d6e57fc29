#include "kernel/spinlock.h"

#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "kernel/log.h"
#include "kernel/time.h"
#include "lib/assert.h"

void push_interrupts_off() {
  bool was_enabled = interrupts_enabled();
  disable_interrupts();
  Cpu* c = this_cpu();
  if (c->irq_disable_depth++ == 0) c->irq_enabled_before = was_enabled;
}

void pop_interrupts_off() {
  Cpu* c = this_cpu();
  ASSERT_MSG(!interrupts_enabled(), "pop_interrupts_off with interrupts enabled");
  ASSERT_MSG(c->irq_disable_depth > 0, "pop_interrupts_off without push_interrupts_off");
  if (--c->irq_disable_depth == 0 && c->irq_enabled_before) enable_interrupts();
}

bool Spinlock::is_held() const {
  return m_locked.load(MemoryOrder::Relaxed) && m_owner == static_cast<i32>(this_cpu()->index);
}

bool Spinlock::try_lock() {
  push_interrupts_off();
  if (m_locked.exchange(1, MemoryOrder::Acquire) == 0) {
    m_owner = static_cast<i32>(this_cpu()->index);
    return true;
  }
  pop_interrupts_off();
  return false;
}

void Spinlock::lock() {
  push_interrupts_off();
  if (is_held()) panic("spinlock '%s': hart %u takes it twice (deadlock)", m_name, this_cpu()->hart_id);
  if (LIKELY(m_locked.exchange(1, MemoryOrder::Acquire) == 0)) {
    m_owner = static_cast<i32>(this_cpu()->index);
    return;
  }
  u64 start = csr::read_time();
  bool reported = false;
  for (;;) {
    while (m_locked.load(MemoryOrder::Relaxed)) {
      if (!reported && time_ticks_to_ns(csr::read_time() - start) > 1'000'000'000ull) {
        reported = true;
        i32 owner = m_owner;
        klog(LogLevel::Warn, "spinlock '%s': hart %u has waited 1 s; held by hart %d", m_name,
             this_cpu()->hart_id, owner >= 0 ? static_cast<int>(g_cpus[owner].hart_id) : -1);
      }
      asm volatile(".4byte 0x0100000f");  // pause (Zihintpause): a hint, a no-op where unimplemented
    }
    if (m_locked.exchange(1, MemoryOrder::Acquire) == 0) break;
  }
  m_owner = static_cast<i32>(this_cpu()->index);
}

void Spinlock::unlock() {
  ASSERT_MSG(is_held(), "spinlock '%s' released by hart %u, which does not hold it", m_name, this_cpu()->hart_id);
  m_owner = -1;
  m_locked.store(0, MemoryOrder::Release);
  pop_interrupts_off();
}
