// Trap dispatch for RISC-V: the one place that reads scause (privileged spec 4.1.9, table 4.2). trap.S takes
// system calls and user page faults on short paths (kernel/syscall.cpp's table, trap_user_page_fault below) and
// everything else to trap_handler. Interrupts go to their drivers; a fault is decoded into a machine-independent
// FaultRecord (mm/fault_record.h) and handed to the kernel: user_fault for user mode, kernel_fault_on_user_address
// for the user-copy routines; any other kernel-mode trap is fatal, reported here with the machine's registers.
#include "arch/riscv/trap.h"

#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/plic.h"
#include "arch/riscv/timer.h"
#include "arch/riscv/usercopy.h"
#include "kernel/ksyms.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/user_trap.h"

using csr::Scause;

namespace {

// ---- Decoding ----

struct ExceptionInfo {
  FaultKind kind;
  Access access;
};

// Exception codes 0..15 (table 4.2); the environment calls (8, 9) never come here as faults.
constexpr ExceptionInfo EXCEPTIONS[16] = {
    {FaultKind::Misaligned, Access::Exec},          // 0 instruction address misaligned
    {FaultKind::Access, Access::Exec},              // 1 instruction access fault
    {FaultKind::IllegalInstruction, Access::Exec},  // 2
    {FaultKind::Breakpoint, Access::Exec},          // 3
    {FaultKind::Misaligned, Access::Read},          // 4 load address misaligned
    {FaultKind::Access, Access::Read},              // 5 load access fault
    {FaultKind::Misaligned, Access::Write},         // 6 store/AMO address misaligned
    {FaultKind::Access, Access::Write},             // 7 store/AMO access fault
    {FaultKind::Unknown, Access::Read},             // 8 environment call from U-mode
    {FaultKind::Unknown, Access::Read},             // 9 environment call from S-mode
    {FaultKind::Unknown, Access::Read},             // 10 reserved
    {FaultKind::Unknown, Access::Read},             // 11 environment call from M-mode
    {FaultKind::Page, Access::Exec},                // 12 instruction page fault
    {FaultKind::Page, Access::Read},                // 13 load page fault
    {FaultKind::Unknown, Access::Read},             // 14 reserved
    {FaultKind::Page, Access::Write},               // 15 store/AMO page fault
};

ExceptionInfo exception_info(u64 scause) {
  return scause < 16 ? EXCEPTIONS[scause] : ExceptionInfo{FaultKind::Unknown, Access::Read};
}

// An exception (not an interrupt) as a FaultRecord: stval holds the faulting address for the memory faults, the
// instruction bits (or 0) for an illegal instruction.
FaultRecord decode_exception(const TrapFrame& tf) {
  ExceptionInfo info = exception_info(tf.scause);
  return FaultRecord{VirtAddr(tf.stval), VirtAddr(tf.sepc), info.access, info.kind};
}

// A page fault (scause 12, 13 or 15, which trap.S has checked) without a branch: the user fault fast path.
FaultRecord decode_page_fault(const TrapFrame& tf) {
  static constexpr Access by_cause[4] = {Access::Exec, Access::Read, Access::Read, Access::Write};
  return FaultRecord{VirtAddr(tf.stval), VirtAddr(tf.sepc), by_cause[(tf.scause - Scause::INSTRUCTION_PAGE_FAULT) & 3],
                     FaultKind::Page};
}

// ---- Interrupts ----

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

[[noreturn]] void kernel_trap_fatal(const TrapFrame& tf);

void handle_interrupt(TrapFrame* tf) {
  switch (tf->scause & ~Scause::INTERRUPT) {
    case Scause::IRQ_TIMER:
      timer_rearm();
      timer_tick(tf->from_user());
      break;
    case Scause::IRQ_EXTERNAL:
      handle_external();
      break;
    case Scause::IRQ_SOFTWARE:
      // An IPI: another hart made a thread runnable (we only needed waking from wfi), wants a memory barrier here
      // (membarrier), or it panicked. Cleared before the count moves: an IPI sent after this point traps again.
      csr::Sip::clear(csr::Sip::SSIP);
      {
        // Everything this hart did before the trap (its user program's loads and stores) is ordered before the
        // count's new value, and everything after the return after it (kernel/membarrier.cpp).
        asm volatile("fence rw, rw" ::: "memory");
        Cpu* c = this_cpu();
        c->ipis_taken.fetch_add(1, MemoryOrder::SeqCst);
        asm volatile("fence rw, rw" ::: "memory");
      }
      if (this_cpu()->in_panic) {
        for (;;) wait_for_interrupt();
      }
      break;
    default:
      kernel_trap_fatal(*tf);
  }
}

// ---- Exceptions in kernel mode ----

void handle_kernel_exception(TrapFrame* tf) {
  // A fault inside the user-copy routines: let the VM system resolve it (demand paging, copy-on-write); if it
  // cannot, make the routine return failure (the system call then returns -EFAULT).
  FaultRecord fault = decode_exception(*tf);
  if (usercopy_contains(tf->sepc) && (fault.kind == FaultKind::Page || fault.kind == FaultKind::Access)) {
    if (fault.kind == FaultKind::Page && memlayout::is_user_address(fault.address.get()) &&
        !usercopy_nofault_contains(tf->sepc) && kernel_fault_on_user_address(fault))
      return;
    usercopy_fixup(tf);
    return;
  }
  kernel_trap_fatal(*tf);
}

// ---- The report of a fatal kernel trap ----

// The cause by name, as the privileged spec names it.
const char* cause_name(u64 scause) {
  if (scause & Scause::INTERRUPT) {
    switch (scause & ~Scause::INTERRUPT) {
      case Scause::IRQ_SOFTWARE: return "supervisor software interrupt";
      case Scause::IRQ_TIMER: return "supervisor timer interrupt";
      case Scause::IRQ_EXTERNAL: return "supervisor external interrupt";
      default: return "unknown interrupt";
    }
  }
  if (scause == Scause::ECALL_U) return "environment call from U-mode";
  if (scause == Scause::ECALL_S) return "environment call from S-mode";
  ExceptionInfo info = exception_info(scause);
  return fault_name(FaultRecord{VirtAddr(), VirtAddr(), info.access, info.kind});
}

void print_registers(const TrapFrame& tf) {
  static const char* const names[32] = {"pc", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
                                        "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
                                        "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
  TrapFrame copy = tf;
  for (unsigned i = 0; i < 32; i += 4) {
    kprintf("  %-3s %016llx  %-3s %016llx  %-3s %016llx  %-3s %016llx\n", names[i],
            static_cast<unsigned long long>(copy.reg(i)), names[i + 1],
            static_cast<unsigned long long>(copy.reg(i + 1)), names[i + 2],
            static_cast<unsigned long long>(copy.reg(i + 2)), names[i + 3],
            static_cast<unsigned long long>(copy.reg(i + 3)));
  }
  kprintf("  sstatus %016llx  scause %016llx  stval %016llx\n", static_cast<unsigned long long>(tf.sstatus),
          static_cast<unsigned long long>(tf.scause), static_cast<unsigned long long>(tf.stval));
}

// A trap in kernel mode that nothing could handle: what, where, the registers and a backtrace; then stop.
[[noreturn]] void kernel_trap_fatal(const TrapFrame& tf) {
  if (!panic_begin()) machine_power_off(EXIT_KERNEL_PANIC);
  Cpu* c = this_cpu();
  SymbolInfo at = ksym_lookup(tf.sepc);
  kprintf("\n======== KERNEL PANIC on hart %u: kernel fault ========\n", c ? c->hart_id : 0);
  kprintf("cause:   %s (scause %llu)\n", cause_name(tf.scause), static_cast<unsigned long long>(tf.scause));
  kprintf("pc:      0x%016llx %s+0x%llx\n", static_cast<unsigned long long>(tf.sepc), at.name ? at.name : "??",
          static_cast<unsigned long long>(at.offset));
  if (!(tf.scause & Scause::INTERRUPT)) {
    FaultRecord fault = decode_exception(tf);
    if (fault.is_memory_fault()) {
      char where[160];
      describe_kernel_address(tf.stval, where, sizeof(where));
      kprintf("address: 0x%016llx, in %s\n", static_cast<unsigned long long>(tf.stval), where);
    } else if (fault.kind == FaultKind::IllegalInstruction) {
      kprintf("instruction bits: 0x%08llx\n", static_cast<unsigned long long>(tf.stval));
    }
  }
  if (memlayout::is_kernel_stack_guard(tf.stval) || memlayout::is_kernel_stack_guard(tf.sp)) {
    kprintf("The kernel stack overflowed (sp = 0x%016llx is at or below the stack's guard page): look for deep\n"
            "or unbounded recursion, or large local arrays, in the backtrace below.\n",
            static_cast<unsigned long long>(tf.sp));
  }
  kputs("Registers:\n");
  print_registers(tf);
  print_backtrace(tf.sepc, tf.s0);
  panic_stop();
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

// trap.S calls this for a page fault from user mode (scause 12, 13 or 15, sstatus.SPP = 0), with interrupts off,
// then checks for work before returning to user mode.
extern "C" void trap_user_page_fault(TrapFrame* tf) { user_fault(decode_page_fault(*tf)); }

// Every other trap: interrupts, exceptions in kernel mode, user exceptions other than page faults. (System calls
// never come here: trap.S dispatches them.)
extern "C" void trap_handler(TrapFrame* tf) {
  bool from_user = tf->from_user();
  if (tf->scause & Scause::INTERRUPT) {
    handle_interrupt(tf);
  } else if (!from_user) {
    handle_kernel_exception(tf);
    return;
  } else {
    user_fault(decode_exception(*tf));
  }
  if (from_user) {
    disable_interrupts();
    if (current_thread()->m_work.load(MemoryOrder::Relaxed)) prepare_return_to_user();
  }
}
