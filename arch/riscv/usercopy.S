/* The only kernel code that touches user memory. Each routine sets sstatus.SUM (privileged spec 4.1.1.2:
 * S-mode may access U pages only while SUM = 1) for the duration of the copy and clears it before returning.
 *
 * If an access faults, trap.cpp first asks the VM system to resolve it (the page may simply not be there yet:
 * demand paging, copy-on-write). If it cannot, usercopy_fixup() makes the routine return -EFAULT to its caller
 * (sepc = ra, a0 = -14, SUM off): these are leaf functions, so ra and sp are still the caller's.
 *
 * They are called only through arch/riscv/usercopy.h, which checks that the whole range is in the user half.
 */
#define SSTATUS_SUM (1 << 18)

  .section .text
  .globl usercopy_start, usercopy_end
  .balign 4
usercopy_start:

/* long user_copy_raw(void* dst, const void* src, size_t n): 0 or -EFAULT */
  .globl user_copy_raw
user_copy_raw:
  li t6, SSTATUS_SUM
  csrs sstatus, t6
  or t0, a0, a1
  andi t0, t0, 7
  bnez t0, 2f
  li t1, 64
  bltu a2, t1, 1f
4:                      /* both aligned: 64 bytes at a time (signal frames, read and write buffers) */
  ld t2, 0(a1)
  ld t3, 8(a1)
  ld t4, 16(a1)
  ld t5, 24(a1)
  sd t2, 0(a0)
  sd t3, 8(a0)
  sd t4, 16(a0)
  sd t5, 24(a0)
  ld t2, 32(a1)
  ld t3, 40(a1)
  ld t4, 48(a1)
  ld t5, 56(a1)
  sd t2, 32(a0)
  sd t3, 40(a0)
  sd t4, 48(a0)
  sd t5, 56(a0)
  addi a0, a0, 64
  addi a1, a1, 64
  addi a2, a2, -64
  bgeu a2, t1, 4b
1:                      /* words */
  li t1, 8
  bltu a2, t1, 2f
  ld t2, 0(a1)
  sd t2, 0(a0)
  addi a0, a0, 8
  addi a1, a1, 8
  addi a2, a2, -8
  j 1b
2:                      /* bytes */
  beqz a2, 3f
  lbu t2, 0(a1)
  sb t2, 0(a0)
  addi a0, a0, 1
  addi a1, a1, 1
  addi a2, a2, -1
  j 2b
3:
  csrc sstatus, t6
  li a0, 0
  ret

/* long user_strncpy_raw(char* dst, const char* user_src, size_t max): the string length (without NUL) if a
 * NUL was found within max bytes, max if not (dst then holds max bytes, unterminated), or -EFAULT. */
  .globl user_strncpy_raw
user_strncpy_raw:
  li t6, SSTATUS_SUM
  csrs sstatus, t6
  li t0, 0
1:
  beq t0, a2, 2f
  add t1, a1, t0
  lbu t2, 0(t1)
  add t1, a0, t0
  sb t2, 0(t1)
  beqz t2, 2f
  addi t0, t0, 1
  j 1b
2:
  csrc sstatus, t6
  mv a0, t0
  ret

/* long user_memset_raw(void* user_dst, int c, size_t n): 0 or -EFAULT */
  .globl user_memset_raw
user_memset_raw:
  li t6, SSTATUS_SUM
  csrs sstatus, t6
1:
  beqz a2, 2f
  sb a1, 0(a0)
  addi a0, a0, 1
  addi a2, a2, -1
  j 1b
2:
  csrc sstatus, t6
  li a0, 0
  ret

/* The body of the two cmpxchg routines below (one whose faults are resolved, one whose faults are not). */
.macro CMPXCHG_U32_BODY
  li t6, SSTATUS_SUM
  csrs sstatus, t6
1:
  lr.w.aqrl t0, (a0)
  bne t0, a1, 2f
  sc.w.aqrl t1, a2, (a0)
  bnez t1, 1b
2:
  csrc sstatus, t6
  sw t0, 0(a3)
  li a0, 0
  ret
.endm

/* long user_cmpxchg_u32_raw(u32* user, u32 expected, u32 desired, u32* old): 0 or -EFAULT; *old = the value
 * found (the word was changed only if it equals expected). An LR/SC loop (unprivileged spec, "A" extension
 * 8.2): a fault on the LR or SC is resolved and the loop runs again from the LR (a trap clears the reservation).
 * The address is 4-byte aligned (the caller checks). Sequentially consistent (.aqrl), as Linux's futex
 * cmpxchg. */
  .globl user_cmpxchg_u32_raw
user_cmpxchg_u32_raw:
  CMPXCHG_U32_BODY

/* long user_fault_in_writeable_raw(u32* user): 0 or -EFAULT. Adds 0 to the word with an AMO: a store access
 * (what Linux's fault_in_user_writeable does) that changes nothing, so a copy-on-write page is broken and a
 * read-only one fails. */
  .globl user_fault_in_writeable_raw
user_fault_in_writeable_raw:
  li t6, SSTATUS_SUM
  csrs sstatus, t6
  amoadd.w zero, zero, (a0)
  csrc sstatus, t6
  li a0, 0
  ret

usercopy_end:

/* The no-fault routines: a page fault inside them is never resolved (trap.cpp checks usercopy_nofault_contains
 * first): the routine returns -EFAULT at once. The futex code calls them holding a hash-bucket spinlock, where
 * resolving a fault (which may sleep, and takes the address-space lock) is not allowed; on -EFAULT it drops
 * its locks, faults the page in with a routine above, and tries again (Linux's pagefault_disable()). */
  .globl usercopy_nofault_start, usercopy_nofault_end
usercopy_nofault_start:

/* long user_load_u32_nofault_raw(const u32* user, u32* out): 0 or -EFAULT */
  .globl user_load_u32_nofault_raw
user_load_u32_nofault_raw:
  li t6, SSTATUS_SUM
  csrs sstatus, t6
  lw t0, 0(a0)
  csrc sstatus, t6
  sw t0, 0(a1)
  li a0, 0
  ret

/* long user_cmpxchg_u32_nofault_raw(u32* user, u32 expected, u32 desired, u32* old): as user_cmpxchg_u32_raw */
  .globl user_cmpxchg_u32_nofault_raw
user_cmpxchg_u32_nofault_raw:
  CMPXCHG_U32_BODY

/* long user_atomic_op_u32_nofault_raw(u32* user, u32 op, u32 operand, u32* old): 0, -EFAULT, or -ENOSYS for an
 * unknown op. One AMO (sequentially consistent) does the operation: op is Linux's FUTEX_OP_SET (0), ADD (1),
 * OR (2), ANDN (3: the word AND NOT operand) or XOR (4); *old = the value before. */
  .globl user_atomic_op_u32_nofault_raw
user_atomic_op_u32_nofault_raw:
  li t6, SSTATUS_SUM
  li t1, 4
  bgtu a1, t1, 9f
  csrs sstatus, t6
  beqz a1, 10f
  addi a1, a1, -1
  beqz a1, 11f
  addi a1, a1, -1
  beqz a1, 12f
  addi a1, a1, -1
  beqz a1, 13f
  amoxor.w.aqrl t0, a2, (a0)
  j 20f
10:
  amoswap.w.aqrl t0, a2, (a0)
  j 20f
11:
  amoadd.w.aqrl t0, a2, (a0)
  j 20f
12:
  amoor.w.aqrl t0, a2, (a0)
  j 20f
13:
  not a2, a2
  amoand.w.aqrl t0, a2, (a0)
20:
  csrc sstatus, t6
  sw t0, 0(a3)
  li a0, 0
  ret
9:
  li a0, -38          /* -ENOSYS */
  ret

usercopy_nofault_end:
