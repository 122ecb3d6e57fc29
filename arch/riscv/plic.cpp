#include "arch/riscv/plic.h"

#include "arch/riscv/memlayout.h"

namespace {
// Register map (PLIC spec chapter 3 "Memory Map").
constexpr u64 PRIORITY = 0x0;          // + 4 * source
constexpr u64 ENABLE = 0x2000;         // + 0x80 * context + 4 * (source / 32)
constexpr u64 CONTEXT = 0x200000;      // + 0x1000 * context: +0 threshold, +4 claim/complete
volatile u32* g_plic = nullptr;

volatile u32* reg(u64 offset) { return g_plic + offset / 4; }
}  // namespace

void plic_init(const Machine& m) {
  if (!m.plic.is_present()) return;
  g_plic = phys_to_virt<volatile u32>(m.plic.base);
}

void plic_init_hart(u32 context) {
  if (!g_plic || context == ~0u) return;
  *reg(CONTEXT + 0x1000ull * context) = 0;  // threshold 0: accept every priority > 0
}

void plic_enable(u32 irq, u32 context) {
  if (!g_plic || context == ~0u) return;
  *reg(PRIORITY + 4ull * irq) = 1;
  volatile u32* enable = reg(ENABLE + 0x80ull * context + 4ull * (irq / 32));
  *enable = *enable | (1u << (irq % 32));
}

u32 plic_claim(u32 context) { return g_plic ? *reg(CONTEXT + 0x1000ull * context + 4) : 0; }

void plic_complete(u32 context, u32 irq) {
  if (g_plic) *reg(CONTEXT + 0x1000ull * context + 4) = irq;
}
