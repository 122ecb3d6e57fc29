// CPU time accounting and the load average (kernel/cpu_time.h).
#include "kernel/cpu_time.h"

#include "arch/riscv/cpu.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "kernel/timers.h"

namespace {

// Per hart; each hart writes only its own entry (in its timer interrupt); readers take a snapshot.
struct HartCounters {
  Atomic<u64> user{0}, nice{0}, system{0}, idle{0};
};
HartCounters g_hart_times[MAX_HARTS];

// How many ticks this tick stands for. A hart whose timer interrupt came late (QEMU's vCPU thread was not
// running on the host, and its missed interrupts arrive as one) charges the thread that ran all along the
// whole time it ran, in ticks, the remainder carried to the next tick; a thread new on the hart since the last
// tick is charged one. Each hart touches only its own entry.
struct HartTickClock {
  const Thread* thread = nullptr;  // what ran at the last tick
  u64 charged_until_ns = 0;        // the time charged up to
};
HartTickClock g_tick_clocks[MAX_HARTS];
constexpr u64 MAX_TICKS_AT_ONCE = 100;  // a second: more is a hart that was stopped, not a thread that ran

u64 ticks_elapsed(Cpu* c) {
  HartTickClock& clock = g_tick_clocks[c->index];
  u64 now = time_monotonic_ns();
  if (clock.thread != c->current || now < clock.charged_until_ns + CPU_TICK_NS) {
    clock.thread = c->current;
    clock.charged_until_ns = now;
    return 1;
  }
  u64 ticks = (now - clock.charged_until_ns) / CPU_TICK_NS;
  if (ticks > MAX_TICKS_AT_ONCE) {
    clock.charged_until_ns = now;
    return MAX_TICKS_AT_ONCE;
  }
  clock.charged_until_ns += ticks * CPU_TICK_NS;
  return ticks;
}

// Load averages, as Linux's loadavg.c: every 5 s, avenrun = avenrun * e + active * (1 - e) in fixed point.
constexpr u64 FIXED_1 = 1ull << LOAD_FSHIFT;
constexpr u64 EXP[3] = {1884, 2014, 2037};  // FIXED_1 / exp(5 s / 1, 5, 15 min)
constexpr u64 LOAD_INTERVAL_TICKS = 500;     // 5 s + the ticks: Linux uses LOAD_FREQ = 5 * HZ + 1
Atomic<u64> g_loads[3];
u64 g_ticks_to_next_load = LOAD_INTERVAL_TICKS;  // touched by hart 0 only

void sample_load() {
  u64 active = sched_active_threads() * FIXED_1;
  for (int i = 0; i < 3; i++) {
    u64 old = g_loads[i].load(MemoryOrder::Relaxed);
    u64 fresh = old * EXP[i] + active * (FIXED_1 - EXP[i]);
    // Round up while rising, as calc_load does, so that a steady load of 1 does reach 1.00.
    if (active >= old) fresh += FIXED_1 - 1;
    g_loads[i].store(fresh / FIXED_1, MemoryOrder::Relaxed);
  }
}

}  // namespace

void cpu_time_tick(bool from_user) {
  Cpu* c = this_cpu();
  HartCounters& hart = g_hart_times[c->index];
  Process* p = c->current != c->idle_thread ? current_process() : nullptr;
  u64 ticks = ticks_elapsed(c);
  if (!p) {
    if (c->current == c->idle_thread) hart.idle.fetch_add(ticks, MemoryOrder::Relaxed);
    else hart.system.fetch_add(ticks, MemoryOrder::Relaxed);  // a kernel thread
  } else if (from_user) {
    (p->m_nice.load(MemoryOrder::Relaxed) > 0 ? hart.nice : hart.user).fetch_add(ticks, MemoryOrder::Relaxed);
    p->m_cpu_time.user.fetch_add(ticks, MemoryOrder::Relaxed);
    c->current->m_cpu_time.user.fetch_add(ticks, MemoryOrder::Relaxed);
  } else {
    hart.system.fetch_add(ticks, MemoryOrder::Relaxed);
    p->m_cpu_time.system.fetch_add(ticks, MemoryOrder::Relaxed);
    c->current->m_cpu_time.system.fetch_add(ticks, MemoryOrder::Relaxed);
  }
  if (p) timers_tick_cpu(*p, *c->current, from_user, ticks * CPU_TICK_NS);
  if (c->index == 0 && --g_ticks_to_next_load == 0) {
    g_ticks_to_next_load = LOAD_INTERVAL_TICKS;
    sample_load();
  }
}

HartCpuTime cpu_time_of_hart(usize index) {
  const HartCounters& h = g_hart_times[index];
  return {h.user.load(MemoryOrder::Relaxed), h.nice.load(MemoryOrder::Relaxed), h.system.load(MemoryOrder::Relaxed),
          h.idle.load(MemoryOrder::Relaxed)};
}

void cpu_time_add_child(Process& parent, const Process& child) {
  const ProcessCpuTime& c = child.m_cpu_time;
  parent.m_cpu_time.children_user.fetch_add(c.user.load(MemoryOrder::Relaxed) + c.children_user.load(MemoryOrder::Relaxed),
                                            MemoryOrder::Relaxed);
  parent.m_cpu_time.children_system.fetch_add(
      c.system.load(MemoryOrder::Relaxed) + c.children_system.load(MemoryOrder::Relaxed), MemoryOrder::Relaxed);
}

u64 cpu_time_process_ns(const Process& p) {
  return (p.m_cpu_time.user.load(MemoryOrder::Relaxed) + p.m_cpu_time.system.load(MemoryOrder::Relaxed)) * CPU_TICK_NS;
}

void cpu_time_load_averages(u64 (&loads)[3]) {
  for (int i = 0; i < 3; i++) loads[i] = g_loads[i].load(MemoryOrder::Relaxed);
}
