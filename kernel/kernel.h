// Entry points from boot (kernel/main.cpp) into the rest of the kernel.
#pragma once

// After memory and interrupts are up on the boot hart: processes, scheduler, files.
void kernel_init_subsystems();
// Every hart but the boot hart ends up here once it is online: the scheduler loop.
[[noreturn]] void kernel_hart_main();
// The boot hart, last: start the first user program, then schedule.
[[noreturn]] void kernel_start_init();
