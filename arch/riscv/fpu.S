/* fp_save(FpState*) / fp_restore(const FpState*): the user's floating-point registers (F and D extensions,
 * of the unprivileged spec), called by arch/riscv/fpu.h. The kernel itself is built without floating
 * point; these run with sstatus.FS not Off (the callers make sure), or the instructions would trap. */
#include "asm_offsets.h"  /* FPSTATE_F, FPSTATE_FCSR (arch/riscv/asm_offsets.cpp) */

  .section .text
  .option push
  .option arch, +d
  .globl fp_save
fp_save:
  fsd f0, FPSTATE_F(a0)
  fsd f1, FPSTATE_F + 8(a0)
  fsd f2, FPSTATE_F + 16(a0)
  fsd f3, FPSTATE_F + 24(a0)
  fsd f4, FPSTATE_F + 32(a0)
  fsd f5, FPSTATE_F + 40(a0)
  fsd f6, FPSTATE_F + 48(a0)
  fsd f7, FPSTATE_F + 56(a0)
  fsd f8, FPSTATE_F + 64(a0)
  fsd f9, FPSTATE_F + 72(a0)
  fsd f10, FPSTATE_F + 80(a0)
  fsd f11, FPSTATE_F + 88(a0)
  fsd f12, FPSTATE_F + 96(a0)
  fsd f13, FPSTATE_F + 104(a0)
  fsd f14, FPSTATE_F + 112(a0)
  fsd f15, FPSTATE_F + 120(a0)
  fsd f16, FPSTATE_F + 128(a0)
  fsd f17, FPSTATE_F + 136(a0)
  fsd f18, FPSTATE_F + 144(a0)
  fsd f19, FPSTATE_F + 152(a0)
  fsd f20, FPSTATE_F + 160(a0)
  fsd f21, FPSTATE_F + 168(a0)
  fsd f22, FPSTATE_F + 176(a0)
  fsd f23, FPSTATE_F + 184(a0)
  fsd f24, FPSTATE_F + 192(a0)
  fsd f25, FPSTATE_F + 200(a0)
  fsd f26, FPSTATE_F + 208(a0)
  fsd f27, FPSTATE_F + 216(a0)
  fsd f28, FPSTATE_F + 224(a0)
  fsd f29, FPSTATE_F + 232(a0)
  fsd f30, FPSTATE_F + 240(a0)
  fsd f31, FPSTATE_F + 248(a0)
  frcsr t0
  sw t0, FPSTATE_FCSR(a0)
  ret

  .globl fp_restore
fp_restore:
  fld f0, FPSTATE_F(a0)
  fld f1, FPSTATE_F + 8(a0)
  fld f2, FPSTATE_F + 16(a0)
  fld f3, FPSTATE_F + 24(a0)
  fld f4, FPSTATE_F + 32(a0)
  fld f5, FPSTATE_F + 40(a0)
  fld f6, FPSTATE_F + 48(a0)
  fld f7, FPSTATE_F + 56(a0)
  fld f8, FPSTATE_F + 64(a0)
  fld f9, FPSTATE_F + 72(a0)
  fld f10, FPSTATE_F + 80(a0)
  fld f11, FPSTATE_F + 88(a0)
  fld f12, FPSTATE_F + 96(a0)
  fld f13, FPSTATE_F + 104(a0)
  fld f14, FPSTATE_F + 112(a0)
  fld f15, FPSTATE_F + 120(a0)
  fld f16, FPSTATE_F + 128(a0)
  fld f17, FPSTATE_F + 136(a0)
  fld f18, FPSTATE_F + 144(a0)
  fld f19, FPSTATE_F + 152(a0)
  fld f20, FPSTATE_F + 160(a0)
  fld f21, FPSTATE_F + 168(a0)
  fld f22, FPSTATE_F + 176(a0)
  fld f23, FPSTATE_F + 184(a0)
  fld f24, FPSTATE_F + 192(a0)
  fld f25, FPSTATE_F + 200(a0)
  fld f26, FPSTATE_F + 208(a0)
  fld f27, FPSTATE_F + 216(a0)
  fld f28, FPSTATE_F + 224(a0)
  fld f29, FPSTATE_F + 232(a0)
  fld f30, FPSTATE_F + 240(a0)
  fld f31, FPSTATE_F + 248(a0)
  lw t0, FPSTATE_FCSR(a0)
  fscsr t0
  ret
  .option pop
