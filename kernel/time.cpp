#include "kernel/time.h"

#include "arch/riscv/csr.h"

namespace {
u64 g_timebase_hz = 10'000'000;  // until time_init; QEMU's value, so early spinlock timeouts are sane
u64 g_boot_ticks = 0;
u64 g_epoch_ns_at_boot = 0;
}  // namespace

void time_init(u64 timebase_hz, u64 boot_ticks) {
  g_timebase_hz = timebase_hz;
  g_boot_ticks = boot_ticks;
}

// Split into whole seconds and a remainder so that the products cannot overflow 64 bits.
u64 time_ticks_to_ns(u64 ticks) {
  return (ticks / g_timebase_hz) * 1'000'000'000ull + (ticks % g_timebase_hz) * 1'000'000'000ull / g_timebase_hz;
}

u64 time_ns_to_ticks(u64 ns) {
  return (ns / 1'000'000'000ull) * g_timebase_hz + (ns % 1'000'000'000ull) * g_timebase_hz / 1'000'000'000ull;
}

u64 time_monotonic_ns() { return time_ticks_to_ns(csr::read_time() - g_boot_ticks); }

u64 time_realtime_ns() { return g_epoch_ns_at_boot + time_monotonic_ns(); }

void time_set_realtime_base(u64 epoch_ns_at_boot) { g_epoch_ns_at_boot = epoch_ns_at_boot; }
