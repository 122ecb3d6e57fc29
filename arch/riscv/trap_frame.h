// The registers of an interrupted context, saved by trap.S on the kernel stack. The layout matches Linux's
// struct pt_regs on riscv (pc in slot 0, then x1..x31), so a signal frame can be built from it as Linux builds one.
#pragma once

#include "arch/riscv/csr.h"
#include "lib/types.h"

struct TrapFrame {
  u64 sepc;      // pc of the interrupted instruction (slot of x0)
  u64 ra;        // x1
  u64 sp;        // x2
  u64 gp;        // x3
  u64 tp;        // x4
  u64 t0, t1, t2;  // x5-x7
  u64 s0, s1;      // x8-x9
  u64 a0, a1, a2, a3, a4, a5, a6, a7;  // x10-x17
  u64 s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;  // x18-x27
  u64 t3, t4, t5, t6;  // x28-x31
  u64 sstatus;
  u64 stval;
  u64 scause;
  u64 orig_a0;   // a0 at system call entry (a0 is overwritten by the return value)

  u64& reg(unsigned i) { return (&sepc)[i]; }  // x1..x31 by number (0 is sepc)
  bool from_user() const { return !(sstatus & csr::Sstatus::SPP); }

  // The frame that starts a new program at pc with stack pointer sp, every other register zero: user mode
  // (SPP = 0) with interrupts on there (SPIE) and 64-bit registers (UXL). Floating point: fpu_start_program.
  static TrapFrame for_new_program(u64 pc, u64 sp) {
    TrapFrame tf{};
    tf.sepc = pc;
    tf.sp = sp;
    tf.sstatus = csr::Sstatus::SPIE | csr::Sstatus::UXL_64;
    return tf;
  }
};

constexpr usize TRAP_FRAME_SIZE = sizeof(TrapFrame);

// Callee-saved registers of a kernel context, saved by switch_context (trap.S).
struct SwitchContext {
  u64 ra;
  u64 sp;
  u64 s[12];
};
