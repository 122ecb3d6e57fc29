// What happens when user mode traps into the kernel for anything but a system call (kernel/syscall.h): a fault,
// which arch/ decodes into a FaultRecord (mm/fault_record.h) and hands to user_fault, and, on every way back to
// user mode, the work the thread has pending (a reschedule, signals: Thread::m_work).
#pragma once

#include "kernel/process.h"
#include "mm/address_space.h"
#include "mm/fault_record.h"

// A user fault the kernel does not resolve becomes the signal Linux sends: SIGSEGV with SEGV_MAPERR or
// SEGV_ACCERR, SIGBUS, SIGILL, SIGTRAP, each with the siginfo a handler expects (kernel/signal/signal.h); the
// signal is delivered before the thread runs again. If it will kill the process (no handler, or the signal is
// blocked or ignored), one log line says why. Running out of memory kills with SIGKILL. For a page fault,
// `result` is why the VM system could not resolve it.
void signal_page_fault(const FaultRecord& fault, FaultResult result);
void signal_exception(const FaultRecord& fault);

// The kernel's one entry for a fault from user mode, called by arch/ with interrupts off. A page fault goes to the
// VM system; resolved, the thread returns to user mode and the instruction runs again. It is inline because
// arch's page-fault fast path calls it on every page fault, where a call more would be measured (BENCHMARKS.md).
inline void user_fault(const FaultRecord& fault) {
  if (UNLIKELY(fault.kind != FaultKind::Page)) return signal_exception(fault);
  FaultResult result = current_thread()->m_process->m_space->handle_fault(fault.address, fault.access);
  // (Interrupted: the process is being killed while the fault waited; it dies on the way back to user mode.)
  if (UNLIKELY(result != FaultResult::Resolved) && result != FaultResult::Interrupted) signal_page_fault(fault, result);
}

// A page fault in the kernel's user-copy routines at a user address (arch/ decoded it): resolved by the VM system?
// If not, arch/ makes the copy fail, and the system call returns EFAULT.
bool kernel_fault_on_user_address(const FaultRecord& fault);

// Before returning to user mode: do the thread's pending work (yield if a tick asked for it, act on signals).
// Leaves interrupts disabled.
extern "C" void prepare_return_to_user();
void timer_tick(bool from_user);
