// The per-hart timer: a tick every TICK_NS through Sstc's stimecmp where the hart has it (no trip to M-mode),
// otherwise through the SBI TIME extension.
#pragma once

#include "lib/types.h"

constexpr u64 TICK_HZ = 100;

void timer_init_hart();
// Called from the timer interrupt: program the next tick.
void timer_rearm();
