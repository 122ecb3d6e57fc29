// The kernel's side of mm/mm_platform.h.
#pragma once

#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/memlayout.h"
#include "kernel/log.h"
#include "kernel/spinlock.h"
#include "kernel/thread.h"
#include "kernel/wait_queue.h"
#include "mm/types.h"

constexpr u64 MM_USER_END = memlayout::USER_END;

inline u8* phys_to_kernel(PhysAddr pa) { return phys_to_virt<u8>(pa.get()); }
inline PhysAddr kernel_to_phys(const void* p) { return PhysAddr(virt_to_phys(p)); }
#define mm_log(...) klog(LogLevel::Info, __VA_ARGS__)
inline unsigned mm_current_cpu() { return this_cpu()->index; }

// Hand-unrolled page operations (arch/riscv/page_ops.S).
extern "C" void zero_page_memory(void* page);
extern "C" void copy_page_memory(void* dst, const void* src);

// Interrupts off for a few instructions, restored as they were: one CSR instruction each way (read_and_clear
// keeps the old SIE bit). Spinlocks taken inside still nest correctly: they see interrupts already off.
class IrqSave {
 public:
  IrqSave() : m_before(csr::Sstatus::read_and_clear(csr::Sstatus::SIE)) {}
  ~IrqSave() {
    if (m_before & csr::Sstatus::SIE) csr::Sstatus::set(csr::Sstatus::SIE);
  }
  IrqSave(const IrqSave&) = delete;
  IrqSave& operator=(const IrqSave&) = delete;

 private:
  u64 m_before;
};

// Sleeping, for mm/: a wait queue whose waits are uninterruptible (a read from swap ends; memory comes back).
class WaitChannel {
 public:
  WaitChannel() = default;
  AS_NONCOPYABLE(WaitChannel);
  void wait(Spinlock& held) {
    Cpu* c = this_cpu();
    if (!c->current || c->current == c->idle_thread) return wait_without_thread(held);
    (void)m_queue.wait(held, Interruptible::No);
  }
  bool wait_timeout(Spinlock& held, u64 ns) { return !m_queue.wait_timeout(held, ns, Interruptible::No).is_error(); }
  void wake_all() { m_queue.wake_all(); }

 private:
  // At boot (swap on the disks the command line names) the boot hart runs as its idle thread, which must never
  // sleep: it waits for one interrupt instead (wfi returns for a pending interrupt even with interrupts off,
  // privileged spec 3.3.3), which the caller's loop around wait() then re-checks — a wait may end early.
  void wait_without_thread(Spinlock& held) {
    held.unlock();
    disable_interrupts();
    asm volatile("wfi" ::: "memory");
    enable_interrupts();  // the pending interrupt is taken here
    held.lock();
  }

  WaitQueue m_queue;
};

inline bool mm_may_sleep() {
  Cpu* c = this_cpu();
  return c->irq_disable_depth == 0 && c->current && c->current != c->idle_thread;
}
inline bool mm_fatal_signal_pending() {
  Thread* t = current_thread();
  return t && t->has_work(WORK_KILL);
}
void mm_sleep_ns(u64 ns);
bool mm_preemption_point();  // (kernel/mm_platform/mm_platform.cpp)
