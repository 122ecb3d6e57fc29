/* vDSO functions that are system calls underneath, as on Linux riscv64: user mode cannot learn its hart
 * (getcpu), and making other harts' instruction fetches see new code takes the kernel (flush_icache). Having
 * them in the vDSO lets a later kernel make them cheaper without changing programs.
 */
#include <asm/unistd.h>

  .text

/* int __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused) */
  .globl __vdso_getcpu
  .type __vdso_getcpu, @function
  .balign 4
__vdso_getcpu:
  .cfi_startproc
  li a7, __NR_getcpu
  ecall
  ret
  .cfi_endproc
  .size __vdso_getcpu, . - __vdso_getcpu

/* int __vdso_flush_icache(void *start, void *end, unsigned long flags): glibc's __riscv_flush_icache. A local
 * fence.i is not enough on more than one hart, so this is always the riscv_flush_icache system call. */
  .globl __vdso_flush_icache
  .type __vdso_flush_icache, @function
  .balign 4
__vdso_flush_icache:
  .cfi_startproc
  li a7, __NR_riscv_flush_icache
  ecall
  ret
  .cfi_endproc
  .size __vdso_flush_icache, . - __vdso_flush_icache
