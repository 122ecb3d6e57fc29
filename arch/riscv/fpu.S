/* fp_save(FpState*) / fp_restore(const FpState*): the user's floating-point registers (F and D extensions,
 * of the unprivileged spec), called by arch/riscv/fpu.h. The kernel itself is built without floating
 * point; these run with sstatus.FS not Off (the callers make sure), or the instructions would trap. */
#include "asm_offsets.h"  /* FPSTATE_F, FPSTATE_FCSR (arch/riscv/asm_offsets.cpp) */

  .section .text
  .option push
  .option arch, +d
  .globl fp_save
fp_save:
  .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  fsd f\n, FPSTATE_F + \n * 8(a0)
  .endr
  frcsr t0
  sw t0, FPSTATE_FCSR(a0)
  ret

  .globl fp_restore
fp_restore:
  .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  fld f\n, FPSTATE_F + \n * 8(a0)
  .endr
  lw t0, FPSTATE_FCSR(a0)
  fscsr t0
  ret
  .option pop
