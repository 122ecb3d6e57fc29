// The platform-level interrupt controller (RISC-V PLIC specification v1.0.0): priorities per source, an
// enable bit per source per context, a threshold per context, and claim/complete.
#pragma once

#include "kernel/machine.h"

void plic_init(const Machine& m);
// Route source irq to this hart's S-mode context (called by each hart for the sources it takes).
void plic_init_hart(u32 context);
void plic_enable(u32 irq, u32 context);
// Claim the highest-priority pending source for this context (0 if none) and complete it when handled.
u32 plic_claim(u32 context);
void plic_complete(u32 context, u32 irq);
