// Placeholder process layer for the boot issue: replaced by kernel/proc once user processes exist.
#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "kernel/kernel.h"
#include "kernel/log.h"
#include "lib/assert.h"

void kernel_init_subsystems() {}

[[noreturn]] void kernel_hart_main() {
  enable_interrupts();
  for (;;) wait_for_interrupt();
}

[[noreturn]] void kernel_start_init() {
  enable_interrupts();
  for (;;) wait_for_interrupt();
}

extern "C" void thread_first_run() {}
extern "C" void thread_exit_current() { panic("no threads yet"); }
extern "C" void prepare_return_to_user() {}
