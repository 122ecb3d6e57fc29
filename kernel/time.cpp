// The kernel's clocks. Their parameters live in the vvar page (arch/riscv/vdso.h), which every process can read:
// the vDSO computes CLOCK_MONOTONIC and CLOCK_REALTIME in user mode from the same data with the same function
// (vdso::clock_read_ns) as the kernel does here, so both always agree.
#include "kernel/time.h"

#include "arch/riscv/vdso.h"
#include "kernel/spinlock.h"

namespace {
Spinlock g_clock_write_lock{"clock-data"};  // serialises writers of the vvar page's clock data

// Change the published clock data: fn(ClockData&) runs inside the sequence count's update bracket.
template <typename Fn>
void update_clock_data(Fn fn) {
  SpinlockGuard guard(g_clock_write_lock);
  vdso::ClockData& data = vdso_clock_data();
  vdso::clock_update_begin(data);
  fn(data);
  vdso::clock_update_end(data);
}
}  // namespace

void time_init(u64 timebase_hz, u64 boot_ticks) {
  update_clock_data([&](vdso::ClockData& data) {
    data.timebase_hz = timebase_hz;
    data.ns_per_tick = vdso::whole_ns_per_tick(timebase_hz);
    data.boot_ticks = boot_ticks;
    u64 tick_ns = vdso::ticks_to_ns(1, timebase_hz);
    data.resolution_ns = tick_ns ? tick_ns : 1;  // as sys_clock_getres reports it
  });
}

// (The timebase is set once, by time_init, before any other hart runs: it is read without the sequence count.)
u64 time_ticks_to_ns(u64 ticks) {
  const vdso::ClockData& data = vdso_clock_data();
  return vdso::ticks_to_ns(ticks, data.timebase_hz, data.ns_per_tick);
}

u64 time_ns_to_ticks(u64 ns) {
  u64 hz = vdso_clock_data().timebase_hz;
  return (ns / vdso::NSEC_PER_SEC) * hz + (ns % vdso::NSEC_PER_SEC) * hz / vdso::NSEC_PER_SEC;
}

u64 time_monotonic_ns() { return vdso::clock_read_ns(vdso_clock_data(), vdso::Base::Monotonic); }

u64 time_realtime_ns() { return vdso::clock_read_ns(vdso_clock_data(), vdso::Base::Realtime); }

void time_set_realtime_base(u64 epoch_ns_at_boot) {
  update_clock_data([&](vdso::ClockData& data) { data.realtime_offset_ns = epoch_ns_at_boot; });
}
