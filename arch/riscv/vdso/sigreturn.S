/* The signal trampoline. riscv64 glibc passes no SA_RESTORER, so when the kernel builds a signal frame it sets
 * the handler's return address (ra) to this code (vdso_sigreturn_address in arch/riscv/vdso.h): returning from
 * the handler runs rt_sigreturn, which restores the interrupted context from the frame at sp.
 *
 * Debuggers and unwinders recognise a signal frame by these two instructions (gdb's riscv-linux-tdep, libgcc's
 * linux-unwind.h) and by the CFI's signal-frame mark, so they must stay exactly "li a7, 139; ecall".
 */
#include <asm/unistd.h>

  .text
  .globl __vdso_rt_sigreturn
  .type __vdso_rt_sigreturn, @function
  .balign 4
__vdso_rt_sigreturn:
  .cfi_startproc
  .cfi_signal_frame
  li a7, __NR_rt_sigreturn
  ecall
  .cfi_endproc
  /* rt_sigreturn does not return: it resumes the interrupted code or kills the process. Should it ever come
   * back, stop here (SIGILL) rather than run into whatever code follows. */
  unimp
  .size __vdso_rt_sigreturn, . - __vdso_rt_sigreturn
