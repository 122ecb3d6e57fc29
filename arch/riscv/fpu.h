// The user's floating-point registers (the F and D extensions), switched lazily. The kernel uses no floating
// point, so a trap leaves the registers alone; sstatus.FS, saved in the thread's trap frame, says whether the
// program changed them since they were last saved (privileged spec 3.1.6.6: Off, Initial, Clean, Dirty). They
// are saved only when a thread that dirtied them loses the hart (or forks), and loaded only when a thread that
// has saved ones gets it.
#pragma once

#include "arch/riscv/csr.h"
#include "arch/riscv/trap_frame.h"

// The floating-point registers as fp_save stores them.
struct FpState {
  u64 f[32];
  u32 fcsr;
  u32 pad;
};

extern "C" void fp_save(FpState* state);  // arch/riscv/fpu.S
extern "C" void fp_restore(const FpState* state);

// A thread's floating-point registers while the machine does not hold them.
struct FpuContext {
  FpState m_regs{};
  bool m_is_saved = false;  // m_regs holds the program's registers (else it has none worth loading yet)
};

namespace fpu_detail {
inline bool is_dirty(const TrapFrame& frame) { return (frame.sstatus & csr::Sstatus::FS_MASK) == csr::Sstatus::FS_DIRTY; }
inline void set_fs(TrapFrame& frame, u64 fs) { frame.sstatus = (frame.sstatus & ~csr::Sstatus::FS_MASK) | fs; }
}  // namespace fpu_detail

// Save the live registers into `context` if the program of `frame` dirtied them; they are Clean after.
inline void fpu_save_if_dirty(FpuContext& context, TrapFrame& frame) {
  if (!fpu_detail::is_dirty(frame)) return;
  // The live FS field is still the user's (traps leave it alone), so the FP instructions work.
  fp_save(&context.m_regs);
  context.m_is_saved = true;
  fpu_detail::set_fs(frame, csr::Sstatus::FS_CLEAN);
}

// Load the saved registers of `context`, if it has any, for the program of `frame`.
inline void fpu_load(const FpuContext& context, TrapFrame& frame) {
  if (!context.m_is_saved) return;
  csr::Sstatus::set(csr::Sstatus::FS_CLEAN);  // FS != Off, so fld/fscsr are legal
  fp_restore(&context.m_regs);
  fpu_detail::set_fs(frame, csr::Sstatus::FS_CLEAN);
}

// A context switch between two threads; a frame is nullptr for a kernel thread, which has no user registers.
inline void fpu_switch(FpuContext& prev, TrapFrame* prev_frame, const FpuContext& next, TrapFrame* next_frame) {
  if (prev_frame) fpu_save_if_dirty(prev, *prev_frame);
  if (next_frame) fpu_load(next, *next_frame);
}

// fork: the child starts with the parent's registers as they are now. child_frame is a copy of parent_frame.
inline void fpu_fork(FpuContext& child, TrapFrame& child_frame, FpuContext& parent, TrapFrame& parent_frame) {
  if (fpu_detail::is_dirty(parent_frame)) {
    fpu_save_if_dirty(parent, parent_frame);
    fpu_detail::set_fs(child_frame, csr::Sstatus::FS_CLEAN);
  }
  child.m_regs = parent.m_regs;
  child.m_is_saved = parent.m_is_saved;
}

// exec: a new program starts with every floating-point register zero (FS = Initial promises that), loaded now.
inline void fpu_start_program(FpuContext& context, TrapFrame& frame) {
  context = FpuContext{};
  context.m_is_saved = true;
  fpu_detail::set_fs(frame, csr::Sstatus::FS_INITIAL);
  csr::Sstatus::set(csr::Sstatus::FS_CLEAN);
  fp_restore(&context.m_regs);
}
