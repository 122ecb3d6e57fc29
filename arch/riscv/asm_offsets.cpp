// The numbers trap.S needs from C++: structure offsets and sizes, and the constants it shares with the C++
// code, computed by the compiler from the one definition of each (Linux's asm-offsets, arch/*/kernel/
// asm-offsets.c). The build compiles this file to assembly only (kernel/CMakeLists.txt), and
// tools/gen-asm-offsets.py turns each "->NAME value" line in it into `#define NAME value` in asm_offsets.h, a
// header in the build directory that the assembly files include. Nothing here is linked into the kernel.
#include <cstddef>

#include "arch/riscv/cpu.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/fpu.h"
#include "arch/riscv/memlayout.h"
#include "arch/riscv/trap_frame.h"
#include "kernel/syscall.h"
#include "kernel/thread.h"

#define DEFINE(name, value) asm volatile("\n.ascii \"->" #name " %0\"" ::"i"(static_cast<i64>(value)))
#define OFFSET(name, type, member) DEFINE(name, offsetof(type, member))

namespace {
// n for a size of 2^n bytes.
constexpr u32 size_shift(usize size) {
  u32 shift = 0;
  while ((usize{1} << shift) < size) shift++;
  return shift;
}
}  // namespace

void asm_offsets() {
  // Per-hart state (arch/riscv/cpu.h).
  OFFSET(CPU_TRAP_PREV_SP, Cpu, trap_prev_sp);
  OFFSET(CPU_KERNEL_SP, Cpu, kernel_sp);
  OFFSET(CPU_SCRATCH0, Cpu, trap_scratch0);
  OFFSET(CPU_SCRATCH1, Cpu, trap_scratch1);
  OFFSET(CPU_OVERFLOW_SP, Cpu, overflow_sp);
  OFFSET(CPU_CURRENT, Cpu, current);
  OFFSET(THREAD_WORK, Thread, m_work);

  // The trap frame (arch/riscv/trap_frame.h): the interrupted pc, then the registers by ABI name.
  DEFINE(FRAME_SIZE, sizeof(TrapFrame));
  OFFSET(FRAME_EPC, TrapFrame, sepc);
  OFFSET(FRAME_RA, TrapFrame, ra);
  OFFSET(FRAME_SP, TrapFrame, sp);
  OFFSET(FRAME_GP, TrapFrame, gp);
  OFFSET(FRAME_TP, TrapFrame, tp);
  OFFSET(FRAME_T0, TrapFrame, t0);
  OFFSET(FRAME_T1, TrapFrame, t1);
  OFFSET(FRAME_T2, TrapFrame, t2);
  OFFSET(FRAME_S0, TrapFrame, s0);
  OFFSET(FRAME_S1, TrapFrame, s1);
  OFFSET(FRAME_A0, TrapFrame, a0);
  OFFSET(FRAME_A1, TrapFrame, a1);
  OFFSET(FRAME_A2, TrapFrame, a2);
  OFFSET(FRAME_A3, TrapFrame, a3);
  OFFSET(FRAME_A4, TrapFrame, a4);
  OFFSET(FRAME_A5, TrapFrame, a5);
  OFFSET(FRAME_A6, TrapFrame, a6);
  OFFSET(FRAME_A7, TrapFrame, a7);
  OFFSET(FRAME_S2, TrapFrame, s2);
  OFFSET(FRAME_S3, TrapFrame, s3);
  OFFSET(FRAME_S4, TrapFrame, s4);
  OFFSET(FRAME_S5, TrapFrame, s5);
  OFFSET(FRAME_S6, TrapFrame, s6);
  OFFSET(FRAME_S7, TrapFrame, s7);
  OFFSET(FRAME_S8, TrapFrame, s8);
  OFFSET(FRAME_S9, TrapFrame, s9);
  OFFSET(FRAME_S10, TrapFrame, s10);
  OFFSET(FRAME_S11, TrapFrame, s11);
  OFFSET(FRAME_T3, TrapFrame, t3);
  OFFSET(FRAME_T4, TrapFrame, t4);
  OFFSET(FRAME_T5, TrapFrame, t5);
  OFFSET(FRAME_T6, TrapFrame, t6);
  OFFSET(FRAME_SSTATUS, TrapFrame, sstatus);
  OFFSET(FRAME_STVAL, TrapFrame, stval);
  OFFSET(FRAME_SCAUSE, TrapFrame, scause);
  OFFSET(FRAME_ORIG_A0, TrapFrame, orig_a0);

  // A kernel context saved by switch_context (arch/riscv/trap_frame.h).
  OFFSET(SWITCH_RA, SwitchContext, ra);
  OFFSET(SWITCH_SP, SwitchContext, sp);
  OFFSET(SWITCH_S0, SwitchContext, s);  // s0..s11, eight bytes apart
  // The user's floating-point registers (arch/riscv/fpu.h): f0..f31 from FPSTATE_F, eight bytes apart; fcsr.
  OFFSET(FPSTATE_F, FpState, f);
  OFFSET(FPSTATE_FCSR, FpState, fcsr);

  // Kernel stacks and their guard pages (arch/riscv/memlayout.h), for the overflow check at trap entry.
  DEFINE(KSTACK_BASE, memlayout::KSTACK_BASE);
  DEFINE(KSTACK_REGION_SIZE, memlayout::KSTACK_REGION_SIZE);
  DEFINE(KSTACK_SLOT, memlayout::KSTACK_SLOT);
  DEFINE(KSTACK_GUARD, memlayout::KSTACK_GUARD);

  // CSR bits and trap causes (arch/riscv/csr.h).
  DEFINE(SSTATUS_SIE, csr::Sstatus::SIE);
  DEFINE(SSTATUS_SPP, csr::Sstatus::SPP);
  DEFINE(EXC_ECALL_U, csr::Scause::ECALL_U);
  DEFINE(EXC_INSTRUCTION_PAGE_FAULT, csr::Scause::INSTRUCTION_PAGE_FAULT);
  DEFINE(EXC_LOAD_PAGE_FAULT, csr::Scause::LOAD_PAGE_FAULT);
  DEFINE(EXC_STORE_PAGE_FAULT, csr::Scause::STORE_PAGE_FAULT);

  // The system-call table (kernel/syscall.h): entry number a7 is at (a7 << SYSCALL_ENTRY_SHIFT).
  DEFINE(SYSCALL_TABLE_SIZE, SYSCALL_TABLE_SIZE);
  DEFINE(SYSCALL_ENTRY_SHIFT, size_shift(sizeof(SyscallEntry)));
  OFFSET(SYSCALL_ENTRY_HANDLER, SyscallEntry, handler);
  OFFSET(SYSCALL_ENTRY_FRAME, SyscallEntry, frame);
}

// What the assembly assumes beyond the numbers above.
static_assert(sizeof(SyscallEntry) == usize{1} << size_shift(sizeof(SyscallEntry)), "entries indexed by a shift");
static_assert(static_cast<u8>(SyscallFrame::Partial) == 0, "trap.S: a non-zero frame byte means Full");
static_assert(sizeof(SyscallEntry::frame) == 1, "trap.S reads the frame need with lbu");
static_assert(offsetof(TrapFrame, t6) == 31 * 8, "TrapFrame: x1..x31 in slots 1..31, by register number");
static_assert(sizeof(TrapFrame) % 16 == 0, "the stack pointer stays 16-byte aligned (psABI)");
static_assert(sizeof(SwitchContext::s) == 12 * 8, "s0..s11");
static_assert(sizeof(FpState::f) == 32 * 8 && sizeof(FpState::fcsr) == 4, "f0..f31 by fsd, fcsr by sw");
static_assert(sizeof(Thread::m_work) == 4, "trap.S reads the work word with lw");
