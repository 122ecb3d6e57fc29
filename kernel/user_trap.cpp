#include "kernel/user_trap.h"

#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "kernel/log.h"
#include "lib/format.h"
#include "kernel/panic.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/signal.h"
#include "mm/address_space.h"

namespace {

constexpr u64 EXC_INSTRUCTION_MISALIGNED = 0, EXC_INSTRUCTION_ACCESS = 1, EXC_ILLEGAL = 2, EXC_BREAKPOINT = 3,
              EXC_LOAD_MISALIGNED = 4, EXC_LOAD_ACCESS = 5, EXC_STORE_MISALIGNED = 6, EXC_STORE_ACCESS = 7,
              EXC_INSTRUCTION_PAGE_FAULT = 12, EXC_LOAD_PAGE_FAULT = 13, EXC_STORE_PAGE_FAULT = 15;

Access access_of(u64 scause) {
  if (scause == EXC_STORE_PAGE_FAULT || scause == EXC_STORE_ACCESS) return Access::Write;
  if (scause == EXC_INSTRUCTION_PAGE_FAULT || scause == EXC_INSTRUCTION_ACCESS) return Access::Exec;
  return Access::Read;
}

// The three page-fault causes (12, 13, 15) to an access, without branches: the user-fault fast path.
Access page_fault_access(u64 scause) {
  static constexpr Access by_cause[4] = {Access::Exec, Access::Read, Access::Read, Access::Write};
  return by_cause[(scause - EXC_INSTRUCTION_PAGE_FAULT) & 3];
}

// "the segment it hit": the region's name and permissions, as /proc/PID/maps would show it.
void describe_region(Process* p, u64 address, char* out, usize size) {
  if (!p->m_space || address >= user_layout::USER_END) {
    // Sv39: the user half ends at USER_END, the kernel half starts at 0xffffffc000000000 (bit 38 sign-extended);
    // addresses in between are not valid virtual addresses at all.
    format(out, size, address < user_layout::USER_END ? "no segment"
                      : address >= 0xffffffc000000000ull ? "no segment (kernel address)"
                                                          : "no segment (not a valid Sv39 address)");
    return;
  }
  SpinlockGuard guard(p->m_space->lock());
  const Region* r = p->m_space->find_region_locked(VirtAddr(address));
  if (!r) {
    format(out, size, "no segment");
    return;
  }
  const char* name = (r->m_flags & RegionFlag::Heap) ? "[heap]"
                     : (r->m_flags & RegionFlag::Stack) ? "[stack]"
                     : r->m_object && r->m_object->path() ? r->m_object->path()
                                                           : "anonymous";
  format(out, size, "segment %#llx-%#llx %c%c%c%c %s", static_cast<unsigned long long>(r->m_start.get()),
         static_cast<unsigned long long>(r->m_end.get()), has(r->m_prot, Prot::Read) ? 'r' : '-',
         has(r->m_prot, Prot::Write) ? 'w' : '-', has(r->m_prot, Prot::Exec) ? 'x' : '-', r->is_shared() ? 's' : 'p', name);
}

// code: the si_code a handler would see (SEGV_MAPERR, SEGV_ACCERR), named in the line; "" when none applies.
[[noreturn]] void kill_for_fault(TrapFrame* tf, unsigned sig, const char* why, const char* code = "") {
  Process* p = current_process();
  char where[160];
  describe_region(p, tf->stval, where, sizeof(where));
  LOG_INFO("pid %d (%s): %s at address %#llx, pc %#llx, %s: %s -> %s%s%s%s", p->m_pid, p->m_name,
           scause_name(tf->scause), static_cast<unsigned long long>(tf->stval),
           static_cast<unsigned long long>(tf->sepc), where, why, signal_name(sig), *code ? " (" : "", code,
           *code ? ")" : "");
  process_exit(linux::wait_status_signaled(sig));
}

}  // namespace

[[noreturn]] __attribute__((noinline)) void kill_for_failed_fault(TrapFrame* tf, FaultResult r) {
  if (r == FaultResult::BusError) kill_for_fault(tf, linux::SIGBUS, fault_result_name(r), "BUS_ADRERR");
  if (r == FaultResult::OutOfMemory) kill_for_fault(tf, linux::SIGKILL, "out of memory");
  kill_for_fault(tf, linux::SIGSEGV, fault_result_name(r),
                 r == FaultResult::AccessError ? "SEGV_ACCERR" : "SEGV_MAPERR");
}

// trap.S calls this directly for a page fault from user mode (scause 12, 13 or 15): resolve it, or kill the
// process. (trap.S then checks for work before returning to user mode.) Interrupts stay off: resolving a fault
// is short and never sleeps.
extern "C" void user_page_fault(TrapFrame* tf) {
  FaultResult r = current_process()->m_space->handle_fault(VirtAddr(tf->stval), page_fault_access(tf->scause));
  if (UNLIKELY(r != FaultResult::Resolved)) {
    enable_interrupts();
    kill_for_failed_fault(tf, r);
  }
}

void handle_user_exception(TrapFrame* tf) {
  u64 cause = tf->scause;
  Process* p = current_process();
  switch (cause) {
    case EXC_INSTRUCTION_PAGE_FAULT:
    case EXC_LOAD_PAGE_FAULT:
    case EXC_STORE_PAGE_FAULT: {
      // (trap.S sends user page faults to user_page_fault; handled here too for completeness. Interrupts are
      // still off, as handle_fault requires.)
      FaultResult r = p->m_space->handle_fault(VirtAddr(tf->stval), access_of(cause));
      if (r == FaultResult::Resolved) return;
      enable_interrupts();
      kill_for_failed_fault(tf, r);
    }
    default:
      break;
  }
  enable_interrupts();
  switch (cause) {
    case EXC_INSTRUCTION_ACCESS:
    case EXC_LOAD_ACCESS:
    case EXC_STORE_ACCESS:
      kill_for_fault(tf, linux::SIGSEGV, "access fault", "SEGV_ACCERR");
    case EXC_INSTRUCTION_MISALIGNED:
    case EXC_LOAD_MISALIGNED:
    case EXC_STORE_MISALIGNED:
      kill_for_fault(tf, linux::SIGBUS, "misaligned access", "BUS_ADRALN");
    case EXC_ILLEGAL:
      kill_for_fault(tf, linux::SIGILL, "illegal instruction", "ILL_ILLOPC");
    case EXC_BREAKPOINT:
      kill_for_fault(tf, linux::SIGTRAP, "breakpoint", "TRAP_BRKPT");
    default:
      kill_for_fault(tf, linux::SIGILL, "unexpected exception");
  }
}

bool handle_kernel_fault_on_user_address(TrapFrame* tf) {
  Process* p = current_process();
  if (!p || !p->m_space) return false;
  // The copy routines run with interrupts in whatever state the system call had; the fault path may take
  // spinlocks (which disable interrupts themselves), so nothing special is needed here.
  return p->m_space->handle_fault(VirtAddr(tf->stval), access_of(tf->scause)) == FaultResult::Resolved;
}

void timer_tick() { sched_tick(); }

extern "C" void prepare_return_to_user() {
  for (;;) {
    disable_interrupts();
    Cpu* c = this_cpu();
    Thread* t = c->current;
    if (c->need_resched) {
      c->need_resched = false;
      enable_interrupts();
      thread_yield();
      continue;
    }
    if (t->m_process && thread_has_interrupting_signal(t)) {
      // Each call takes one pending signal off (or does not return, if it kills the process).
      enable_interrupts();
      signal_deliver_pending();
      continue;
    }
    break;
  }
}
