// Faults from user mode that become signals (the kernel's entry for them, user_fault, is inline in
// kernel/user_trap.h), page faults of the user-copy routines, and the work on the way back to user mode.
#include "kernel/user_trap.h"

#include "arch/riscv/cpu.h"
#include "arch/riscv/memlayout.h"
#include "kernel/cpu_time.h"
#include "kernel/log.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/signal/signal.h"
#include "lib/format.h"
#include "mm/address_space.h"

namespace {

// "the segment it hit": the region's name and permissions, as /proc/PID/maps would show it.
void describe_region(Process* p, VirtAddr address, char* out, usize size) {
  if (!memlayout::is_user_address(address.get())) {
    format(out, size, "no segment (%s)", memlayout::non_user_address_kind(address.get()));
    return;
  }
  if (!p->m_space) {
    format(out, size, "no segment");
    return;
  }
  SpinlockGuard guard(p->m_space->lock());
  const Region* r = p->m_space->find_region_locked(address);
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

// The usual cause of a fault that kills, in words, for someone reading the log after their first crash (the
// region the address is in, or the one above it, tells): a NULL pointer, a stack overflow, a store into the
// program's read-only text and constants, a jump into data. False if none of these fits.
bool describe_cause(Process* p, const FaultRecord& fault, char* out, usize size) {
  if (fault.kind != FaultKind::Page) return false;
  u64 address = fault.address.get();
  if (address < user_layout::MMAP_MIN) {
    format(out, size, "%s (nothing is ever mapped below %#llx)",
           fault.access == Access::Exec ? "a call through a NULL function pointer" : "a NULL pointer dereference",
           static_cast<unsigned long long>(user_layout::MMAP_MIN));
    return true;
  }
  if (!memlayout::is_user_address(address) || !p->m_space) return false;
  // The region at the address, or the first one above it (copied: the space's lock is held only inside).
  struct {
    bool found = false;
    VirtAddr start, end;
    u32 flags = 0;
    Prot prot = Prot::None;
    bool has_object = false;
    char path[64] = "the program";
  } r;
  p->m_space->for_each_region([&](const Region& region) {
    if (r.found || region.m_end.get() <= address) return;
    r.found = true;
    r.start = region.m_start;
    r.end = region.m_end;
    r.flags = region.m_flags;
    r.prot = region.m_prot;
    r.has_object = region.m_object != nullptr;
    if (r.has_object && region.m_object->path()) format(r.path, sizeof(r.path), "%s", region.m_object->path());
  });
  if (!r.found) return false;
  if (r.start.get() > address) {  // in a hole: just below the stack?
    u64 below = r.start.get() - address;
    if (!(r.flags & RegionFlag::Stack) || below > user_layout::STACK_GUARD_GAP) return false;
    u64 stack_limit = mm_space_limits().stack;
    char limit[32] = "unlimited";
    if (stack_limit != SpaceLimits::NONE)
      format(limit, sizeof(limit), "%llu KiB", static_cast<unsigned long long>(stack_limit / 1024));
    format(out, size,
           "a stack overflow: %llu bytes below the stack, which has %llu KiB and may grow to %s (RLIMIT_STACK): "
           "endless recursion, or a large local array?",
           static_cast<unsigned long long>(below), static_cast<unsigned long long>((r.end - r.start) / 1024), limit);
    return true;
  }
  if (r.prot == Prot::None) {
    format(out, size, "an access to memory mapped PROT_NONE (a guard page?)");
  } else if (fault.access == Access::Write && !has(r.prot, Prot::Write)) {
    if (r.has_object && has(r.prot, Prot::Exec))
      format(out, size, "a store into the read-only code and constants of %s: a string literal or const data?",
             r.path);
    else
      format(out, size, "a store into read-only memory (mapped or mprotect'ed without PROT_WRITE)");
  } else if (fault.access == Access::Exec && !has(r.prot, Prot::Exec)) {
    format(out, size, "a jump into data: a corrupted function pointer or return address?");
  } else {
    return false;
  }
  return true;
}

// The signal for a fault the kernel does not resolve: sent to the thread, and a log line if it will kill the
// process. si_addr is the faulting address for a page fault, and the pc for the other exceptions (as on Linux,
// whose riscv trap handlers report epc). Called with interrupts off; they stay off.
void signal_fault(const FaultRecord& fault, unsigned sig, i32 code, const char* why, const char* code_name) {
  // LAB signals: BEGIN SOLUTION
  u64 address = fault.kind == FaultKind::Page ? fault.address.get() : fault.pc.get();
  // LAB signals: STUDENT
  // // TODO(lab signals, exercise 1): si_addr. What does a handler need to know: where the page fault was
  // // (fault.address, from stval), or where the instruction was (fault.pc, from sepc)? Which for an illegal
  // // instruction or an ebreak? (Linux's riscv trap handlers; user/tests/sig_fault_codes.c.)
  // u64 address = 0;
  // LAB signals: END
  if (!signal_force_fault(sig, code, address)) return;  // a handler will run
  Process* p = current_process();
  char where[160];
  describe_region(p, fault.address, where, sizeof(where));
  // Warn: loglevel=warn keeps the line that says why a program died (tools/run adds the function at pc).
  klog_from_user(LogLevel::Warn, "pid %d (%s): %s at address %#llx, pc %#llx, %s: %s -> %s (%s)", p->m_pid,
                 p->m_name, fault_name(fault), static_cast<unsigned long long>(fault.address.get()),
                 static_cast<unsigned long long>(fault.pc.get()), where, why, signal_name(sig), code_name);
  char cause[200];
  if (describe_cause(p, fault, cause, sizeof(cause)))
    klog_from_user(LogLevel::Warn, "pid %d (%s): likely cause: %s", p->m_pid, p->m_name, cause);
}

}  // namespace

void signal_page_fault(const FaultRecord& fault, FaultResult r) {
  using namespace linux;
  if (r == FaultResult::BusError) return signal_fault(fault, SIGBUS, BUS_ADRERR, fault_result_name(r), "BUS_ADRERR");
  if (r == FaultResult::OutOfMemory) {
    Process* p = current_process();
    LOG_INFO("pid %d (%s): %s at address %#llx, pc %#llx: out of memory -> SIGKILL", p->m_pid, p->m_name,
             fault_name(fault), static_cast<unsigned long long>(fault.address.get()),
             static_cast<unsigned long long>(fault.pc.get()));
    return signal_kill_process(p, SIGKILL);
  }
  // LAB signals: BEGIN SOLUTION
  if (r == FaultResult::AccessError)
    return signal_fault(fault, SIGSEGV, SEGV_ACCERR, fault_result_name(r), "SEGV_ACCERR");
  signal_fault(fault, SIGSEGV, SEGV_MAPERR, fault_result_name(r), "SEGV_MAPERR");
  // LAB signals: STUDENT
  // // TODO(lab signals, exercise 1): si_code. A page fault the VM system did not resolve is SEGV_MAPERR (no
  // // region there) or SEGV_ACCERR (a region, but it does not allow this access): which FaultResult is which?
  // signal_fault(fault, SIGSEGV, SI_KERNEL, fault_result_name(r), "SI_KERNEL");
  // LAB signals: END
}

void signal_exception(const FaultRecord& fault) {
  using namespace linux;
  switch (fault.kind) {
    case FaultKind::Access:
      return signal_fault(fault, SIGSEGV, SEGV_ACCERR, "access fault", "SEGV_ACCERR");
    case FaultKind::Misaligned:
      return signal_fault(fault, SIGBUS, BUS_ADRALN, "misaligned access", "BUS_ADRALN");
    case FaultKind::IllegalInstruction:
      return signal_fault(fault, SIGILL, ILL_ILLOPC, "illegal instruction", "ILL_ILLOPC");
    case FaultKind::Breakpoint:
      return signal_fault(fault, SIGTRAP, TRAP_BRKPT, "breakpoint", "TRAP_BRKPT");
    case FaultKind::Page:  // (user_fault sends page faults to the VM system)
    case FaultKind::Unknown:
      break;
  }
  signal_fault(fault, SIGILL, ILL_ILLTRP, "unexpected exception", "ILL_ILLTRP");
}

bool kernel_fault_on_user_address(const FaultRecord& fault) {
  Process* p = current_process();
  if (!p || !p->m_space) return false;
  // The copy routines run with interrupts in whatever state the system call had; the fault path may take
  // spinlocks (which disable interrupts themselves), so nothing special is needed here.
  return p->m_space->handle_fault(fault.address, fault.access) == FaultResult::Resolved;
}

void timer_tick(bool from_user) {
  cpu_time_tick(from_user);
  sched_tick();
}

extern "C" void prepare_return_to_user() {
  for (;;) {
    disable_interrupts();
    Thread* t = current_thread();
    u32 work = t->m_work.load(MemoryOrder::Acquire);
    if (work & WORK_RESCHEDULE) {
      t->clear_work(WORK_RESCHEDULE);
      sched_note_resched_taken(t);
      enable_interrupts();
      thread_yield();
      continue;
    }
    if (work & (WORK_SIGNAL | WORK_KILL)) {
      // Each call takes one pending signal off and recalculates WORK_SIGNAL (or does not return, if it kills
      // the process).
      enable_interrupts();
      signal_deliver_pending();
      continue;
    }
    break;
  }
}
