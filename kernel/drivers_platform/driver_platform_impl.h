// The kernel's side of drivers/driver_platform.h.
#pragma once

#include "arch/riscv/cpu.h"
#include "kernel/log.h"
#include "kernel/spinlock.h"
#include "kernel/wait_queue.h"

// A thread waits for one event that an interrupt handler signals (Linux's struct completion). complete()
// sets the flag and wakes the waiter under m_lock; the waiter re-reads the flag under m_lock, so it cannot miss
// the wake-up, and it cannot return (and free a Completion on its stack) before complete() has released the
// lock, the last time complete() touches the object.
class Completion {
 public:
  Completion() = default;
  AS_NONCOPYABLE(Completion);

  void complete() {
    SpinlockGuard guard(m_lock);
    m_is_done = true;
    m_waiters.wake_all();
  }
  void wait() {
    Cpu* cpu = this_cpu();
    if (!cpu->current || cpu->current == cpu->idle_thread) return wait_without_thread();
    SpinlockGuard guard(m_lock);
    while (!m_is_done) MUST(m_waiters.wait(m_lock, Interruptible::No));
  }

 private:
  // At boot (mounting a disk, a self-test) the boot hart runs as its own idle thread, which must never sleep.
  // It waits for the interrupt instead: with interrupts off it checks the flag, then wfi, which returns when an
  // enabled interrupt is pending even with interrupts off (privileged spec 3.3.3), so a completion between
  // the check and the wfi is not missed; then it takes the interrupt and checks again. Once threads run, no
  // caller comes here: they sleep.
  void wait_without_thread() {
    bool were_enabled = interrupts_enabled();
    for (;;) {
      disable_interrupts();
      m_lock.lock();
      bool is_done = m_is_done;
      m_lock.unlock();
      if (is_done) break;
      asm volatile("wfi" ::: "memory");
      enable_interrupts();  // the pending interrupt is taken here
    }
    if (were_enabled) enable_interrupts();
  }

  Spinlock m_lock{"completion"};
  bool m_is_done = false;  // guarded by m_lock
  WaitQueue m_waiters;
};

// RISC-V fences (unprivileged spec, chapter 2.7 "Memory Ordering Instructions" and the RVWMO appendix): the
// predecessor and successor sets name the kinds of access ordered. A device doing DMA observes main memory
// like another hart does.
inline void dma_wmb() { asm volatile("fence w,w" ::: "memory"); }
inline void dma_rmb() { asm volatile("fence r,r" ::: "memory"); }
inline void dma_mb() { asm volatile("fence rw,rw" ::: "memory"); }

enum class DriverLog : u8 { Info, Warn, Error };
#define drv_log(level, ...)                                                                                 \
  klog((level) == DriverLog::Info ? LogLevel::Info : (level) == DriverLog::Warn ? LogLevel::Warn : LogLevel::Error, \
       __VA_ARGS__)
