// What happens when user mode traps into the kernel for anything but a system call (kernel/syscall.h): a fault,
// which arch/ decodes into a FaultRecord (mm/fault_record.h) and hands to user_fault, and, on every way back to
// user mode, the work the thread has pending (a reschedule, signals: Thread::m_work).
#pragma once

#include "kernel/process.h"
#include "mm/address_space.h"
#include "mm/fault_record.h"

// The end of a user fault the kernel does not resolve: one log line saying why, then the process dies of the
// signal Linux would send (SIGSEGV with SEGV_MAPERR or SEGV_ACCERR, SIGBUS, SIGILL, SIGTRAP; SIGKILL when out
// of memory). For a page fault, `result` is why the VM system could not resolve it.
[[noreturn]] void kill_for_page_fault(const FaultRecord& fault, FaultResult result);
[[noreturn]] void kill_for_exception(const FaultRecord& fault);

// The kernel's one entry for a fault from user mode, called by arch/ with interrupts off. A page fault goes to the
// VM system; resolved, the thread returns to user mode and the instruction runs again. It is inline because
// arch's page-fault fast path calls it on every page fault, where a call more would be measured (BENCHMARKS.md).
inline void user_fault(const FaultRecord& fault) {
  if (UNLIKELY(fault.kind != FaultKind::Page)) kill_for_exception(fault);
  FaultResult result = current_thread()->m_process->m_space->handle_fault(fault.address, fault.access);
  if (UNLIKELY(result != FaultResult::Resolved)) kill_for_page_fault(fault, result);
}

// A page fault in the kernel's user-copy routines at a user address (arch/ decoded it): resolved by the VM system?
// If not, arch/ makes the copy fail, and the system call returns EFAULT.
bool kernel_fault_on_user_address(const FaultRecord& fault);

// Before returning to user mode: do the thread's pending work (yield if a tick asked for it, act on signals).
// Leaves interrupts disabled.
extern "C" void prepare_return_to_user();
void timer_tick();
