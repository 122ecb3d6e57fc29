/* clone and rt_sigreturn for the fuzzer, where C cannot be trusted with the stack (see fuzz.h). */

/* long fz_raw_clone(flags, stack, parent_tid, tls, child_tid, fn, arg)
 *   a0..a4: clone's arguments in the riscv64 order; a5: fn; a6: arg.
 * The kernel keeps every register but a0 across ecall, so the child finds fn and arg in t0 and t1. The
 * child starts on `stack` (or on a copy of the parent's stack when stack is 0); it calls fn(arg), which must
 * not return, or exits at once if fn is NULL or the stack is shared (CLONE_VM with stack 0). */
  .text
  .globl fz_raw_clone
  .type fz_raw_clone, @function
fz_raw_clone:
  mv t0, a5
  mv t1, a6
  li t2, 0x100            /* CLONE_VM */
  and t2, a0, t2
  beqz t2, 1f
  bnez a1, 1f
  li t0, 0                /* a thread on our stack: it must not touch it */
1:
  li a7, 220              /* clone */
  ecall
  bnez a0, 2f             /* the parent (or an error) */
  beqz t0, 3f
  mv fp, zero             /* the end of the child's backtrace */
  mv a0, t1
  jalr t0
3:
  li a0, 0
  li a7, 93               /* exit: this thread only */
  ecall
  j 3b
2:
  ret
  .size fz_raw_clone, . - fz_raw_clone

/* long fz_raw_sigreturn(u64 frame): rt_sigreturn with sp = frame. If the kernel refuses, the call returns
 * here with sp restored. */
  .globl fz_raw_sigreturn
  .type fz_raw_sigreturn, @function
fz_raw_sigreturn:
  mv t0, sp
  mv sp, a0
  li a7, 139              /* rt_sigreturn */
  ecall
  mv sp, t0
  ret
  .size fz_raw_sigreturn, . - fz_raw_sigreturn

  .section .note.GNU-stack, "", @progbits
