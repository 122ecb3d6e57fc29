// Time: the hart's `time` CSR counts at the device tree's timebase-frequency (10 MHz on QEMU virt).
#pragma once

#include "lib/types.h"

void time_init(u64 timebase_hz, u64 boot_ticks);
u64 time_ticks_to_ns(u64 ticks);
u64 time_ns_to_ticks(u64 ns);
// Nanoseconds since boot (CLOCK_MONOTONIC).
u64 time_monotonic_ns();
// Nanoseconds since the Unix epoch (CLOCK_REALTIME), from the RTC read at boot.
u64 time_realtime_ns();
void time_set_realtime_base(u64 epoch_ns_at_boot);
