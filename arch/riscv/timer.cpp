#include "arch/riscv/timer.h"

#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/sbi.h"
#include "kernel/time.h"

namespace {
void program(u64 when) {
  Cpu* c = this_cpu();
  c->next_timer = when;
  if (c->info && c->info->has_sstc)
    csr::Stimecmp::write(when);
  else
    sbi::set_timer(when);
}
}  // namespace

void timer_init_hart() {
  program(csr::read_time() + time_ns_to_ticks(1'000'000'000ull / TICK_HZ));
  csr::Sie::set(csr::Sie::STIE);
}

void timer_rearm() {
  Cpu* c = this_cpu();
  c->ticks++;
  u64 period = time_ns_to_ticks(1'000'000'000ull / TICK_HZ);
  u64 next = c->next_timer + period;
  u64 now = csr::read_time();
  c->tick_late_ns = now > c->next_timer ? time_ticks_to_ns(now - c->next_timer) : 0;
  if (next <= now) next = now + period;  // we fell behind (a long stop in the debugger): don't storm
  program(next);
}
