#include "arch/riscv/trap.h"

#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/plic.h"
#include "arch/riscv/timer.h"
#include "arch/riscv/usercopy.h"
#include "kernel/panic.h"
#include "kernel/process.h"
#include "kernel/user_trap.h"

namespace {

constexpr u64 IRQ_SOFTWARE = 1;
constexpr u64 IRQ_TIMER = 5;
constexpr u64 IRQ_EXTERNAL = 9;

constexpr u64 EXC_ECALL_U = 8;
constexpr u64 EXC_INSTRUCTION_PAGE_FAULT = 12;
constexpr u64 EXC_LOAD_PAGE_FAULT = 13;
constexpr u64 EXC_STORE_PAGE_FAULT = 15;
constexpr u64 EXC_LOAD_ACCESS = 5;
constexpr u64 EXC_STORE_ACCESS = 7;

constexpr u32 MAX_IRQ = 128;
struct IrqHandler {
  void (*function)(void*);
  void* context;  // the device the handler serves (each virtio-blk disk has its own interrupt)
};
IrqHandler g_irq_handlers[MAX_IRQ] = {};

void handle_external() {
  u32 context = this_cpu()->info ? this_cpu()->info->plic_context : ~0u;
  if (context == ~0u) return;
  for (;;) {
    u32 irq = plic_claim(context);
    if (irq == 0) break;
    if (irq < MAX_IRQ && g_irq_handlers[irq].function) g_irq_handlers[irq].function(g_irq_handlers[irq].context);
    plic_complete(context, irq);
  }
}

void handle_interrupt(TrapFrame* tf) {
  switch (tf->scause & ~csr::Scause::INTERRUPT) {
    case IRQ_TIMER:
      timer_rearm();
      timer_tick();
      break;
    case IRQ_EXTERNAL:
      handle_external();
      break;
    case IRQ_SOFTWARE:
      // An IPI: another hart made a thread runnable (we only needed waking from wfi), or it panicked.
      csr::Sip::clear(csr::Sip::SSIP);
      if (this_cpu()->in_panic) {
        for (;;) wait_for_interrupt();
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
  // A fault inside the user-copy routines: let the VM system resolve it (demand paging, copy-on-write); if it
  // cannot, make the routine return failure (the system call then returns -EFAULT).
  if (usercopy_contains(tf->sepc) &&
      (is_page_fault(tf->scause) || tf->scause == EXC_LOAD_ACCESS || tf->scause == EXC_STORE_ACCESS)) {
    if (is_page_fault(tf->scause) && tf->stval < usercopy_user_limit() && handle_kernel_fault_on_user_address(tf))
      return;
    usercopy_fixup(tf);
    return;
  }
  kernel_trap_fatal(*tf);
}

}  // namespace

bool register_irq_handler(u32 irq, void (*handler)(void*), void* context) {
  if (irq == 0 || irq >= MAX_IRQ) return false;
  g_irq_handlers[irq] = {handler, context};
  return true;
}

void trap_init_hart() {
  csr::Sscratch::write(0);
  csr::Stvec::write(reinterpret_cast<u64>(&trap_entry));
  csr::Sie::set(csr::Sie::SEIE | csr::Sie::SSIE);
}

extern "C" void trap_handler(TrapFrame* tf) {
  bool from_user = tf->from_user();
  if (tf->scause & csr::Scause::INTERRUPT) {
    handle_interrupt(tf);
  } else if (!from_user) {
    handle_kernel_exception(tf);
    return;
  } else if (tf->scause == EXC_ECALL_U) {
    handle_syscall(tf);  // (trap.S sends system calls to syscall_entry; this path is not normally taken)
  } else {
    handle_user_exception(tf);
  }
  if (from_user) {
    disable_interrupts();
    Cpu* c = this_cpu();
    if (c->need_resched || thread_has_interrupting_signal(c->current)) prepare_return_to_user();
  }
}
