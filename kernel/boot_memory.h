// Setting up physical memory at boot: find where the frame descriptors can live, then hand every frame of RAM
// that nothing else claims (firmware, the kernel image, the device tree, the initrd, the descriptors
// themselves) to the frame allocator.
#pragma once

#include "kernel/machine.h"

void boot_memory_init(const Machine& machine);
// Frames reserved at boot, by reason, for the boot report.
void boot_memory_report(const Machine& machine);
