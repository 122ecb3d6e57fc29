/* The single trap entry for S-mode (RISC-V privileged spec 4.1.2: stvec in direct mode), the way back to the
 * interrupted context, and the kernel context switch.
 *
 * Convention (the same as Linux on riscv):
 *   - in the kernel, tp points at this hart's Cpu (arch/riscv/cpu.h) and sscratch is 0;
 *   - in user mode, tp belongs to the program and sscratch holds the Cpu pointer.
 * So `csrrw tp, sscratch, tp` at entry yields the Cpu pointer when coming from user mode and 0 when coming
 * from the kernel.
 *
 * The TrapFrame (arch/riscv/trap_frame.h; FRAME_* offsets) is pushed on the current thread's kernel stack: for a trap from
 * user mode at the very top of it (Cpu::kernel_sp), for a trap from the kernel below the interrupted frame.
 * A trap from the kernel whose frame would land in a stack guard page (a kernel stack overflow) is taken on
 * the hart's emergency stack instead, so that the report can still be printed.
 */

#include "asm_offsets.h"  /* CPU_*, THREAD_*, FRAME_*, KSTACK_*, ... (arch/riscv/asm_offsets.cpp) */

/* s0-s11: stored only on the full path (see .Lsave). */
.macro SAVE_CALLEE_SAVED
  sd s0, FRAME_S0(sp)
  sd s1, FRAME_S1(sp)
  sd s2, FRAME_S2(sp)
  sd s3, FRAME_S3(sp)
  sd s4, FRAME_S4(sp)
  sd s5, FRAME_S5(sp)
  sd s6, FRAME_S6(sp)
  sd s7, FRAME_S7(sp)
  sd s8, FRAME_S8(sp)
  sd s9, FRAME_S9(sp)
  sd s10, FRAME_S10(sp)
  sd s11, FRAME_S11(sp)
  mv a0, sp
.endm

/* Every register saved on every path but tp (handled by the caller), then sp last. */
.macro RESTORE_CALLER_SAVED
  ld ra, FRAME_RA(sp)
  ld gp, FRAME_GP(sp)
  ld t0, FRAME_T0(sp)
  ld t1, FRAME_T1(sp)
  ld t2, FRAME_T2(sp)
  ld a0, FRAME_A0(sp)
  ld a1, FRAME_A1(sp)
  ld a2, FRAME_A2(sp)
  ld a3, FRAME_A3(sp)
  ld a4, FRAME_A4(sp)
  ld a5, FRAME_A5(sp)
  ld a6, FRAME_A6(sp)
  ld a7, FRAME_A7(sp)
  ld t3, FRAME_T3(sp)
  ld t4, FRAME_T4(sp)
  ld t5, FRAME_T5(sp)
  ld t6, FRAME_T6(sp)
  ld sp, FRAME_SP(sp)
.endm

  .section .text
  .balign 4
  .globl trap_entry
trap_entry:
  csrrw tp, sscratch, tp
  bnez tp, .Lfrom_user

  /* From the kernel: sscratch now holds our tp; take it back. */
  csrr tp, sscratch
  sd t0, CPU_SCRATCH0(tp)
  sd t1, CPU_SCRATCH1(tp)
  /* Kernel stack overflow? Only kernel stacks (in their own region) have guard pages. */
  addi t0, sp, -FRAME_SIZE
  li t1, KSTACK_BASE
  sub t0, t0, t1
  li t1, KSTACK_REGION_SIZE
  bgeu t0, t1, .Lkernel_stack_ok
  li t1, KSTACK_SLOT - 1
  and t0, t0, t1
  li t1, KSTACK_GUARD
  bgeu t0, t1, .Lkernel_stack_ok
  /* Overflow: the frame would be in the guard page. Continue on the emergency stack. */
  ld t0, CPU_SCRATCH0(tp)
  ld t1, CPU_SCRATCH1(tp)
  sd sp, CPU_TRAP_PREV_SP(tp)
  ld sp, CPU_OVERFLOW_SP(tp)
  j .Lsave
.Lkernel_stack_ok:
  ld t0, CPU_SCRATCH0(tp)
  ld t1, CPU_SCRATCH1(tp)
  sd sp, CPU_TRAP_PREV_SP(tp)
  j .Lsave

.Lfrom_user:
  sd sp, CPU_TRAP_PREV_SP(tp)
  ld sp, CPU_KERNEL_SP(tp)

.Lsave:
  /* Caller-saved registers, ra, gp, sp and tp always go into the frame. The callee-saved ones (s0-s11) are
   * saved only on the full path: on the two hot paths (system calls, user page faults) the C code keeps them
   * intact by the calling convention (and switch_context saves them when the thread sleeps), so they are stored
   * only when something needs the whole user register set: fork copies it, exec replaces it, and work on the
   * way back to user mode (signals, preemption) may. gp is not like them: the kernel does not use it, but it
   * belongs to the thread and switch_context does not switch it. */
  addi sp, sp, -FRAME_SIZE
  sd ra, FRAME_RA(sp)
  sd gp, FRAME_GP(sp)
  sd t0, FRAME_T0(sp)
  sd t1, FRAME_T1(sp)
  sd t2, FRAME_T2(sp)
  sd a0, FRAME_A0(sp)
  sd a1, FRAME_A1(sp)
  sd a2, FRAME_A2(sp)
  sd a3, FRAME_A3(sp)
  sd a4, FRAME_A4(sp)
  sd a5, FRAME_A5(sp)
  sd a6, FRAME_A6(sp)
  sd a7, FRAME_A7(sp)
  sd t3, FRAME_T3(sp)
  sd t4, FRAME_T4(sp)
  sd t5, FRAME_T5(sp)
  sd t6, FRAME_T6(sp)
  ld t0, CPU_TRAP_PREV_SP(tp)
  sd t0, FRAME_SP(sp)
  csrr t0, sscratch             /* the interrupted context's tp */
  sd t0, FRAME_TP(sp)
  csrw sscratch, zero           /* we are in the kernel now */
  csrr t0, sepc
  csrr t1, sstatus
  sd t0, FRAME_EPC(sp)
  sd t1, FRAME_SSTATUS(sp)
  csrr t2, scause
  sd t2, FRAME_SCAUSE(sp)
  sd a0, FRAME_ORIG_A0(sp)
  mv a0, sp
  li t0, EXC_ECALL_U
  beq t2, t0, .Lsyscall
  csrr t0, stval
  sd t0, FRAME_STVAL(sp)
  /* A page fault from user mode (scause 12, 13 or 15, with sstatus.SPP = 0)? */
  andi t1, t1, SSTATUS_SPP
  bnez t1, .Lfull
  addi t0, t2, -EXC_INSTRUCTION_PAGE_FAULT
  li t1, EXC_STORE_PAGE_FAULT - EXC_INSTRUCTION_PAGE_FAULT
  bgtu t0, t1, .Lfull           /* also every interrupt: scause bit 63 makes it huge */
  li t1, EXC_LOAD_PAGE_FAULT + 1 - EXC_INSTRUCTION_PAGE_FAULT
  beq t0, t1, .Lfull            /* scause 14 is reserved */
  call trap_user_page_fault     /* trap_user_page_fault(TrapFrame*) in arch/riscv/trap.cpp */
  j .Lcheck_work

.Lsyscall:
  /* Dispatch through syscall_table (kernel/syscall.cpp): entry = syscall_table[a7], its handler called with a
   * pointer to a0..a5 in the frame. Numbers past the table and calls without a handler (logged), and the calls
   * that need the whole user register set (clone: the child starts from a copy of the frame; execve writes a
   * new one), go through C: syscall_entry. */
  li t0, SYSCALL_TABLE_SIZE
  bgeu a7, t0, .Lsyscall_c
  la t0, syscall_table
  slli t1, a7, SYSCALL_ENTRY_SHIFT
  add t1, t0, t1
  lbu t0, SYSCALL_ENTRY_FRAME(t1)
  bnez t0, .Lfull_syscall       /* SyscallFrame::Full */
  ld t1, SYSCALL_ENTRY_HANDLER(t1)
  beqz t1, .Lsyscall_c
  ld t0, FRAME_EPC(sp)
  addi t0, t0, 4
  sd t0, FRAME_EPC(sp)          /* return past the ecall */
  csrsi sstatus, SSTATUS_SIE    /* interrupts on while the call runs */
  addi a0, sp, FRAME_A0          /* SyscallArgs: a0..a5 in the frame */
  jalr t1
  sd a0, FRAME_A0(sp)           /* the result (or -errno) */
  csrci sstatus, SSTATUS_SIE
.Lcheck_work:
  /* Work before returning to user mode? One word per thread says (Thread::m_work, kernel/thread.h): a
   * reschedule, a signal to deliver, a kill; prepare_return_to_user does it. Interrupts are off from here on.
   * Another hart sets bits with an atomic OR (a signal it sent); one it sets after this load is seen at the
   * next trap, as it would be had it come a moment later. */
  ld t0, CPU_CURRENT(tp)
  lw t0, THREAD_WORK(t0)
  bnez t0, .Lwork
  /* fall through */

/* The short way back to user mode, after a system call or page fault that kept s0-s11 and gp in their
 * registers. Interrupts must be off. */
.Lpartial_return:
  ld t0, FRAME_SSTATUS(sp)
  ld t1, FRAME_EPC(sp)
  csrw sstatus, t0
  csrw sepc, t1
  addi t0, sp, FRAME_SIZE
  sd t0, CPU_KERNEL_SP(tp)
  csrw sscratch, tp
  ld tp, FRAME_TP(sp)
  RESTORE_CALLER_SAVED
  sret

.Lsyscall_c:
  call syscall_entry            /* syscall_entry(TrapFrame*): the whole call in C; work pending? */
  bnez a0, .Lwork
  j .Lpartial_return

.Lfull_syscall:
  SAVE_CALLEE_SAVED
  call syscall_entry
  beqz a0, trap_return
  call prepare_return_to_user
  j trap_return

.Lwork:
  /* Back in this frame the callee-saved registers hold the user's values again: store them, then do the work
   * (which may switch threads or need the registers) and return through the full path. */
  SAVE_CALLEE_SAVED
  call prepare_return_to_user
  j trap_return

.Lfull:
  SAVE_CALLEE_SAVED
  call trap_handler             /* trap_handler(TrapFrame*) in arch/riscv/trap.cpp */
  /* fall through */

/* Return to the context in the TrapFrame at sp, restoring every register. Interrupts must be off. */
  .globl trap_return
trap_return:
  ld t0, FRAME_SSTATUS(sp)
  ld t1, FRAME_EPC(sp)
  csrw sstatus, t0
  csrw sepc, t1
  andi t0, t0, SSTATUS_SPP
  bnez t0, .Lrestore_kernel
  /* Back to user mode: next trap from user mode starts at the top of this stack, and finds the Cpu in
   * sscratch. The user's tp is restored below. */
  addi t0, sp, FRAME_SIZE
  sd t0, CPU_KERNEL_SP(tp)
  csrw sscratch, tp
  ld tp, FRAME_TP(sp)
.Lrestore_kernel:
  /* Returning to the kernel keeps the current tp: the interrupted code may have moved to another hart
   * while it slept. */
  ld s0, FRAME_S0(sp)
  ld s1, FRAME_S1(sp)
  ld s2, FRAME_S2(sp)
  ld s3, FRAME_S3(sp)
  ld s4, FRAME_S4(sp)
  ld s5, FRAME_S5(sp)
  ld s6, FRAME_S6(sp)
  ld s7, FRAME_S7(sp)
  ld s8, FRAME_S8(sp)
  ld s9, FRAME_S9(sp)
  ld s10, FRAME_S10(sp)
  ld s11, FRAME_S11(sp)
  RESTORE_CALLER_SAVED
  sret

/* switch_context(SwitchContext* save, const SwitchContext* load): save the callee-saved registers of the
 * running kernel context, load another's, and return into it. tp is per hart and deliberately not switched. */
  .globl switch_context
switch_context:
  sd ra, SWITCH_RA(a0)
  sd sp, SWITCH_SP(a0)
  .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
  sd s\n, SWITCH_S0 + \n * 8(a0)
  .endr
  ld ra, SWITCH_RA(a1)
  ld sp, SWITCH_SP(a1)
  .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
  ld s\n, SWITCH_S0 + \n * 8(a1)
  .endr
  ret

/* A new thread's first switch lands here: s0 = function, s1 = its argument (kernel/thread.cpp). */
  .globl thread_trampoline
thread_trampoline:
  call thread_first_run         /* finish the switch (release the scheduler lock) */
  mv a0, s1
  jalr s0
  call thread_exit_current
  unimp

/* A forked or new user thread's first switch lands here: s0 = its TrapFrame. */
  .globl user_thread_trampoline
user_thread_trampoline:
  call thread_first_run
  mv sp, s0
  call prepare_return_to_user   /* signals, rescheduling; leaves interrupts off */
  j trap_return

/* enter_user_mode(TrapFrame* tf): leave a kernel function for user mode with the registers in tf, which must be
 * at the top of the current thread's kernel stack (init's first exec uses it). */
  .section .text
  .globl enter_user_mode
enter_user_mode:
  mv sp, a0
  call prepare_return_to_user
  j trap_return
