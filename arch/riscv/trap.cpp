#include "arch/riscv/trap.h"

#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/plic.h"
#include "arch/riscv/timer.h"
#include "arch/riscv/usercopy.h"
#include "kernel/panic.h"

TrapHooks g_trap_hooks;

namespace {

constexpr u64 IRQ_SOFTWARE = 1;
constexpr u64 IRQ_TIMER = 5;
constexpr u64 IRQ_EXTERNAL = 9;

constexpr u64 EXC_ECALL_U = 8;
constexpr u64 EXC_INSTRUCTION_PAGE_FAULT = 12;
constexpr u64 EXC_LOAD_PAGE_FAULT = 13;
constexpr u64 EXC_STORE_PAGE_FAULT = 15;

constexpr u32 MAX_IRQ = 128;
void (*g_irq_handlers[MAX_IRQ])() = {};

void handle_external() {
  u32 context = this_cpu()->info ? this_cpu()->info->plic_context : ~0u;
  if (context == ~0u) return;
  for (;;) {
    u32 irq = plic_claim(context);
    if (irq == 0) break;
    if (irq < MAX_IRQ && g_irq_handlers[irq]) g_irq_handlers[irq]();
    plic_complete(context, irq);
  }
}

void handle_interrupt(TrapFrame* tf) {
  switch (tf->scause & ~csr::Scause::INTERRUPT) {
    case IRQ_TIMER:
      timer_rearm();
      if (g_trap_hooks.timer_tick) g_trap_hooks.timer_tick();
      break;
    case IRQ_EXTERNAL:
      handle_external();
      break;
    case IRQ_SOFTWARE:
      csr::Sip::clear(csr::Sip::SSIP);
      if (this_cpu()->in_panic || g_trap_hooks.ipi == nullptr) {
        // Another hart panicked (or asked us to stop before the process layer exists): stay here.
        if (g_trap_hooks.ipi) g_trap_hooks.ipi();
      } else {
        g_trap_hooks.ipi();
      }
      break;
    default:
      kernel_trap_fatal(*tf);
  }
}

bool is_page_fault(u64 cause) {
  return cause == EXC_LOAD_PAGE_FAULT || cause == EXC_STORE_PAGE_FAULT || cause == EXC_INSTRUCTION_PAGE_FAULT;
}

void handle_kernel_exception(TrapFrame* tf) {
  // A page fault inside the user-copy routines: let the VM system resolve it (demand paging, copy-on-write);
  // if it cannot, make the routine return failure (the system call then returns -EFAULT).
  if (usercopy_contains(tf->sepc) && (is_page_fault(tf->scause) || tf->scause == 5 || tf->scause == 7)) {
    if (is_page_fault(tf->scause) && tf->stval < usercopy_user_limit() && g_trap_hooks.kernel_user_fault &&
        g_trap_hooks.kernel_user_fault(tf))
      return;
    usercopy_fixup(tf);
    return;
  }
  kernel_trap_fatal(*tf);
}

}  // namespace

void register_irq_handler(u32 irq, void (*handler)()) {
  if (irq < MAX_IRQ) g_irq_handlers[irq] = handler;
}

void trap_init_hart() {
  csr::Sscratch::write(0);
  csr::Stvec::write(reinterpret_cast<u64>(&trap_entry));
  csr::Sie::set(csr::Sie::SEIE | csr::Sie::SSIE);
}

extern "C" void trap_handler(TrapFrame* tf) {
  if (tf->scause & csr::Scause::INTERRUPT) {
    handle_interrupt(tf);
    if (tf->from_user() && g_trap_hooks.user_exception) {
      // Returning to user mode: the process layer may switch threads (preemption) or deliver a kill.
      g_trap_hooks.user_exception(nullptr);
    }
    return;
  }
  if (!tf->from_user()) {
    handle_kernel_exception(tf);
    return;
  }
  if (tf->scause == EXC_ECALL_U && g_trap_hooks.syscall) {
    g_trap_hooks.syscall(tf);
    return;
  }
  if (g_trap_hooks.user_exception) {
    g_trap_hooks.user_exception(tf);
    return;
  }
  kernel_trap_fatal(*tf);
}
