// Trap dispatch: trap.S saves the registers and calls trap_handler(), which sorts the trap out by scause
// (RISC-V privileged spec 4.1.8, table "Supervisor cause register values").
#pragma once

#include "arch/riscv/trap_frame.h"

extern "C" void trap_entry();
extern "C" void trap_return();
extern "C" void trap_handler(TrapFrame* tf);

void trap_init_hart();

// Interrupt sources handled through the PLIC register a handler here.
void register_irq_handler(u32 irq, void (*handler)());

// Hooks filled in by the process layer (kernel/): user exceptions, system calls, the return to user mode,
// and kernel-mode page faults on user addresses (copy_from_user and friends).
struct TrapHooks {
  void (*user_exception)(TrapFrame* tf) = nullptr;
  void (*syscall)(TrapFrame* tf) = nullptr;
  // Kernel-mode page fault at a user address while accessing user memory: true if resolved.
  bool (*kernel_user_fault)(TrapFrame* tf) = nullptr;
  void (*timer_tick)() = nullptr;
  void (*ipi)() = nullptr;
};
extern TrapHooks g_trap_hooks;
