/* Whole-page operations for the VM system (mm/mm_platform.h: zero_page_memory, copy_page_memory): every
 * demand-zero fault clears a page and every copy-on-write fault copies one, so these are written out by hand.
 * Without the vector or Zicboz extensions a 4 KiB page takes 512 stores to clear and 512 loads plus 512 stores
 * to copy; unrolling keeps the loop overhead to a few percent. */
  .section .text
  .balign 4

/* void zero_page_memory(void* page): a0 = page-aligned kernel address */
  .globl zero_page_memory
zero_page_memory:
  li t0, 4096
  add t0, a0, t0
1:
  sd zero, 0(a0)
  sd zero, 8(a0)
  sd zero, 16(a0)
  sd zero, 24(a0)
  sd zero, 32(a0)
  sd zero, 40(a0)
  sd zero, 48(a0)
  sd zero, 56(a0)
  sd zero, 64(a0)
  sd zero, 72(a0)
  sd zero, 80(a0)
  sd zero, 88(a0)
  sd zero, 96(a0)
  sd zero, 104(a0)
  sd zero, 112(a0)
  sd zero, 120(a0)
  addi a0, a0, 128
  bne a0, t0, 1b
  ret

/* void copy_page_memory(void* dst, const void* src): both page-aligned kernel addresses */
  .globl copy_page_memory
copy_page_memory:
  li t0, 4096
  add t0, a1, t0
1:
  ld a2, 0(a1)
  ld a3, 8(a1)
  ld a4, 16(a1)
  ld a5, 24(a1)
  ld a6, 32(a1)
  ld a7, 40(a1)
  ld t1, 48(a1)
  ld t2, 56(a1)
  ld t3, 64(a1)
  ld t4, 72(a1)
  ld t5, 80(a1)
  ld t6, 88(a1)
  sd a2, 0(a0)
  sd a3, 8(a0)
  sd a4, 16(a0)
  sd a5, 24(a0)
  sd a6, 32(a0)
  sd a7, 40(a0)
  sd t1, 48(a0)
  sd t2, 56(a0)
  sd t3, 64(a0)
  sd t4, 72(a0)
  sd t5, 80(a0)
  sd t6, 88(a0)
  ld a2, 96(a1)
  ld a3, 104(a1)
  ld a4, 112(a1)
  ld a5, 120(a1)
  sd a2, 96(a0)
  sd a3, 104(a0)
  sd a4, 112(a0)
  sd a5, 120(a0)
  addi a1, a1, 128
  addi a0, a0, 128
  bne a1, t0, 1b
  ret
