#include "arch/riscv/smp.h"

#include <cstring>

#include "lib/atomic.h"

#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/kernel_map.h"
#include "arch/riscv/memlayout.h"
#include "arch/riscv/plic.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/timer.h"
#include "arch/riscv/trap.h"
#include "kernel/cmdline.h"
#include "kernel/log.h"
#include "kernel/time.h"

extern "C" void _start();
extern "C" void _secondary_start();

Cpu g_cpus[MAX_HARTS];
usize g_cpu_count = 0;

// What a hart that SBI starts needs before it can run C++: read by _secondary_start (boot.S), which finds the
// record by hart id, so the offsets of the first three fields are fixed. (It does not trust the `opaque`
// argument of hart_start: OpenSBI 1.1 can hand a starting hart a stale one, see boot.S.)
struct SecondaryBoot {
  u64 stack_top;     // offset 0
  u64 satp;          // offset 8: the kernel page table
  u64 hart_id_tag;   // offset 16: hart id + 1; 0 for an unused record
  Cpu* cpu;
  void (*entry)();
};
static_assert(__builtin_offsetof(SecondaryBoot, hart_id_tag) == 16 && sizeof(SecondaryBoot) == 40,
              "boot.S knows this layout");
extern "C" SecondaryBoot secondary_boot_records[MAX_HARTS];
extern "C" const u64 secondary_boot_record_count;
SecondaryBoot secondary_boot_records[MAX_HARTS];
const u64 secondary_boot_record_count = MAX_HARTS;

namespace {
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
  // The address and argument a started hart gets. smp_entry=boot gives it what a hart gets when it loses
  // OpenSBI 1.1's start race (boot.S): the boot entry and the device tree. Either way it must come up.
  const char* how = cmdline_get("smp_entry");
  bool via_boot_entry = how && strcmp(how, "boot") == 0;
  u64 start_pa = kernel_image_to_phys(reinterpret_cast<void*>(via_boot_entry ? &_start : &_secondary_start));
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
    SecondaryBoot& b = secondary_boot_records[c->index];
    b = {stack.value(), kernel_satp(), c->hart_id + 1, c, entry};
    __atomic_thread_fence(__ATOMIC_SEQ_CST);  // the record is complete before the hart can run
    g_cpu_count++;
    usize before = g_online.load();
    sbi::Ret r = sbi::hart_start(c->hart_id, start_pa, via_boot_entry ? m.fdt.base : reinterpret_cast<u64>(&b));
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

u64 smp_online_index_mask() {
  u64 mask = 0;
  for (usize i = 0; i < g_cpu_count; i++)
    if (g_cpus[i].is_online) mask |= 1ull << i;
  return mask;
}

u64 smp_other_harts_mask() { return smp_all_harts_mask() & ~(1ull << this_cpu()->hart_id); }

void smp_send_ipi(u64 hart_mask) {
  if (hart_mask) sbi::send_ipi(hart_mask, 0);
}
