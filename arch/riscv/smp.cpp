#include "arch/riscv/smp.h"

#include "lib/atomic.h"

#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/kernel_map.h"
#include "arch/riscv/memlayout.h"
#include "arch/riscv/plic.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/timer.h"
#include "arch/riscv/trap.h"
#include "kernel/log.h"
#include "kernel/time.h"

extern "C" void _secondary_start();

Cpu g_cpus[MAX_HARTS];
usize g_cpu_count = 0;

namespace {

// Read by _secondary_start (boot.S) with the boot page table: offsets 0 and 8 are fixed.
struct SecondaryBoot {
  u64 stack_top;
  u64 satp;
  Cpu* cpu;
  void (*entry)();
};
SecondaryBoot g_secondary_boot[MAX_HARTS];
Atomic<usize> g_online{1};

}  // namespace

extern "C" [[noreturn]] void secondary_main(u64 hart_id, SecondaryBoot* boot) {
  Cpu* c = boot->cpu;
  set_this_cpu(c);
  ASSERT(c->hart_id == hart_id);
  trap_init_hart();
  csr::Scounteren::write(csr::Scounteren::CY | csr::Scounteren::TM | csr::Scounteren::IR);
  plic_init_hart(c->info->plic_context);
  timer_init_hart();
  c->is_online = true;
  g_online.fetch_add(1, MemoryOrder::Release);
  boot->entry();
  panic("secondary hart entry returned");
}

void smp_start_secondaries(const Machine& m, void (*entry)()) {
  Cpu* self = this_cpu();
  for (usize i = 0; i < m.hart_count; i++) {
    if (m.harts[i].hart_id == self->hart_id) continue;
    Cpu* c = &g_cpus[g_cpu_count];
    c->index = static_cast<u32>(g_cpu_count);
    c->hart_id = m.harts[i].hart_id;
    c->info = &m.harts[i];
    auto stack = kernel_stack_alloc();
    auto overflow = kernel_stack_alloc();
    if (stack.is_error() || overflow.is_error()) {
      LOG_WARN("smp: no memory for hart %u's stacks; leaving it off", c->hart_id);
      continue;
    }
    c->overflow_sp = overflow.value();
    SecondaryBoot& b = g_secondary_boot[c->index];
    b = {stack.value(), kernel_satp(), c, entry};
    g_cpu_count++;
    usize before = g_online.load();
    sbi::Ret r = sbi::hart_start(c->hart_id, kernel_image_to_phys(reinterpret_cast<void*>(&_secondary_start)),
                                 reinterpret_cast<u64>(&b));
    if (r.error) {
      LOG_WARN("smp: SBI could not start hart %u (error %lld)", c->hart_id, static_cast<long long>(r.error));
      g_cpu_count--;
      continue;
    }
    // Wait (up to a second) for it to report in, so harts come up one at a time and in order.
    u64 start = csr::read_time();
    while (g_online.load(MemoryOrder::Acquire) == before) {
      if (time_ticks_to_ns(csr::read_time() - start) > 1'000'000'000ull) {
        LOG_WARN("smp: hart %u did not come online", c->hart_id);
        break;
      }
    }
  }
}

usize smp_online_count() { return g_online.load(); }

u64 smp_all_harts_mask() {
  u64 mask = 0;
  for (usize i = 0; i < g_cpu_count; i++)
    if (g_cpus[i].is_online) mask |= 1ull << g_cpus[i].hart_id;
  return mask;
}

u64 smp_other_harts_mask() { return smp_all_harts_mask() & ~(1ull << this_cpu()->hart_id); }

void smp_send_ipi(u64 hart_mask) {
  if (hart_mask) sbi::send_ipi(hart_mask, 0);
}
