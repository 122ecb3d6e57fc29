/* Whole-page operations for the VM system (mm/mm_platform.h: zero_page_memory, copy_page_memory): every
 * demand-zero fault clears a page and every copy-on-write fault copies one, so these are written out by hand.
 * Without the vector or Zicboz extensions a 4 KiB page takes 512 stores to clear and 512 loads plus 512 stores
 * to copy; unrolling a kilobyte at a time keeps the loop overhead under one percent. */
  .section .text
  .balign 4

/* void zero_page_memory(void* page): a0 = page-aligned kernel address. 1 KiB (128 stores) per iteration. */
  .globl zero_page_memory
zero_page_memory:
  li t0, 4096
  add t0, a0, t0
1:
  .set off, 0
  .rept 128
  sd zero, off(a0)
  .set off, off + 8
  .endr
  addi a0, a0, 1024
  bne a0, t0, 1b
  ret

/* void copy_page_memory(void* dst, const void* src): both page-aligned kernel addresses. 1 KiB per iteration,
 * 8 words at a time through 8 registers (loads grouped before stores). */
  .globl copy_page_memory
copy_page_memory:
  li t0, 4096
  add t0, a1, t0
1:
  .set off, 0
  .rept 16
  ld a2, off+0(a1)
  ld a3, off+8(a1)
  ld a4, off+16(a1)
  ld a5, off+24(a1)
  ld a6, off+32(a1)
  ld a7, off+40(a1)
  ld t1, off+48(a1)
  ld t2, off+56(a1)
  sd a2, off+0(a0)
  sd a3, off+8(a0)
  sd a4, off+16(a0)
  sd a5, off+24(a0)
  sd a6, off+32(a0)
  sd a7, off+40(a0)
  sd t1, off+48(a0)
  sd t2, off+56(a0)
  .set off, off + 64
  .endr
  addi a1, a1, 1024
  addi a0, a0, 1024
  bne a1, t0, 1b
  ret
