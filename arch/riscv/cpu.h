// Per-hart state. While a hart runs kernel code, tp points at its Cpu; while it runs user code, sscratch
// does (and tp belongs to the user program). trap.S swaps them on every trap, so this_cpu() is one
// instruction and needs no lock.
#pragma once

#include "arch/riscv/csr.h"
#include "kernel/machine.h"
#include "lib/atomic.h"
#include "lib/types.h"

struct Thread;

struct Cpu {
  // Used by trap.S (through asm_offsets.h, arch/riscv/asm_offsets.cpp).
  u64 trap_prev_sp = 0;     // sp at the moment of the trap (user or kernel), saved by trap.S
  u64 kernel_sp = 0;        // top of the current thread's kernel stack, loaded on entry from U-mode
  u64 trap_scratch0 = 0;    // two registers' worth of scratch for the stack-overflow check
  u64 trap_scratch1 = 0;
  u64 overflow_sp = 0;      // top of this hart's emergency stack, used when a kernel stack overflows
  Thread* current = nullptr;  // the thread running on this hart

  u32 hart_id = 0;   // RISC-V hart id (mhartid), as the SBI and the device tree name harts
  u32 index = 0;     // 0..hart_count-1, dense, for per-hart arrays
  const HartInfo* info = nullptr;

  // Interrupt-disable nesting for spinlocks (push_off/pop_off in xv6 terms).
  u32 irq_disable_depth = 0;
  bool irq_enabled_before = false;
  bool is_online = false;
  bool in_panic = false;

  Thread* idle_thread = nullptr;
  class Sv39Pmap* active_pmap = nullptr;  // the user pmap in satp, nullptr for the kernel table
  u64 ticks = 0;
  u64 next_timer = 0;
  u64 tick_late_ns = 0;  // how long after it was due the tick being taken came (interrupts were off)
  // Software interrupts (IPIs) this hart has taken, each counted between two full fences: a hart that sees the
  // count move knows this hart executed a full memory barrier after the IPI was sent (membarrier(2)).
  Atomic<u64> ipis_taken{0};
};

extern Cpu g_cpus[MAX_HARTS];
extern usize g_cpu_count;

inline Cpu* this_cpu() {
  Cpu* c;
  asm volatile("mv %0, tp" : "=r"(c));
  return c;
}

inline void set_this_cpu(Cpu* c) { asm volatile("mv tp, %0" ::"r"(c)); }

// Interrupt enable on this hart (sstatus.SIE).
inline bool interrupts_enabled() { return csr::Sstatus::read() & csr::Sstatus::SIE; }
inline void enable_interrupts() { csr::Sstatus::set(csr::Sstatus::SIE); }
inline void disable_interrupts() { csr::Sstatus::clear(csr::Sstatus::SIE); }

// Nestable interrupt disabling: spinlocks use these so that interrupts come back on only when the outermost
// lock is released.
// (c must be this hart's Cpu: callers that already have it pass it.)
inline void push_interrupts_off(Cpu* c) {
  u64 before = csr::Sstatus::read_and_clear(csr::Sstatus::SIE);  // read and clear SIE in one step
  if (c->irq_disable_depth++ == 0) c->irq_enabled_before = before & csr::Sstatus::SIE;
}
void pop_interrupts_off_underflow();
inline void pop_interrupts_off(Cpu* c) {
  if (UNLIKELY(c->irq_disable_depth == 0)) pop_interrupts_off_underflow();
  if (--c->irq_disable_depth == 0 && c->irq_enabled_before) enable_interrupts();
}
inline void push_interrupts_off() { push_interrupts_off(this_cpu()); }
inline void pop_interrupts_off() { pop_interrupts_off(this_cpu()); }
