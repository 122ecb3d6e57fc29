/* Early boot: the only kernel code that runs with the MMU off.
 *
 * OpenSBI enters _start in S-mode on one hart (any hart id), with
 *   a0 = hart id, a1 = physical address of the flattened device tree,
 *   satp = 0 (no translation), interrupts disabled.
 * Only the first hart to arrive boots (boot_lottery). Another hart can arrive here later: OpenSBI 1.1's
 * hart_start (lib/sbi/sbi_hsm.c) marks the hart START_PENDING before it writes the start address and argument,
 * so a hart that wakes in between leaves with the values its firmware set at boot - this entry point and the
 * device tree. Such a hart is one the kernel is starting: it takes the secondary path.
 * The kernel is linked at its upper-half address (KERNEL_VMA in kernel.ld) but loaded at KERNEL_LMA, so until
 * paging is on only PC-relative addressing (lla) gives correct addresses.
 *
 * What this file does, in order:
 *   1. Fill boot_page_table with two 1 GiB leaves (RISC-V privileged spec, section 4.4 "Sv39"):
 *      - an identity mapping of the gigabyte holding the kernel, so that the instruction after the satp write
 *        can still be fetched at its physical address;
 *      - the same gigabyte at the kernel's link address in the upper half (global).
 *   2. Turn on Sv39 and jump to the upper-half address of the rest of this file.
 *   3. Clear .bss, set the boot stack and call kernel_main(hart_id, fdt_pa). From there C++ maps the direct map
 *      of RAM and builds the real kernel page table (arch/riscv/kernel_map.cpp); this table is kept only for
 *      harts that start later, which come through _secondary_start the same way.
 */

#define PTE_V (1 << 0)
#define PTE_R (1 << 1)
#define PTE_W (1 << 2)
#define PTE_X (1 << 3)
#define PTE_G (1 << 5)
#define PTE_A (1 << 6)
#define PTE_D (1 << 7)
#define SATP_MODE_SV39 (8 << 60)
#define BOOT_STACK_SIZE 16384

  .section .text.boot, "ax"
  .globl _start
_start:
  /* Keep a0 (hart id) and a1 (device tree) untouched until kernel_main. */
  lla t0, boot_lottery
  li t1, 1
  amoswap.w.aqrl t1, t1, (t0)
  bnez t1, _secondary_start     /* not the first: a hart the kernel is starting */
  call build_boot_page_table
  call enable_paging_and_jump_high
  /* Now at the upper-half address. */
  .option push
  .option norelax
  lla sp, boot_stack_top
  .option pop
  mv s0, a0
  mv s1, a1
  /* Clear .bss: C++ expects zero-initialised statics. */
  lla t0, _bss_start
  lla t1, _bss_end
1:
  bgeu t0, t1, 2f
  sd zero, 0(t0)
  addi t0, t0, 8
  j 1b
2:
  mv a0, s0
  mv a1, s1
  mv fp, zero
  mv ra, zero
  tail kernel_main

/* Entry for harts started by SBI HSM hart_start(hartid, start_addr, opaque): a0 = hart id. The opaque argument
 * in a1 is not used, since OpenSBI 1.1 may pass a stale one (see the top of this file): the hart finds its
 * SecondaryBoot record (arch/riscv/smp.cpp, a kernel static) by its hart id. The boot page table is already
 * built: switch it on to reach the upper half, find the record, switch to the real kernel page table it names
 * (the boot table maps neither the direct map nor the kernel stacks), then load the stack and go to C++. */
  .globl _secondary_start
_secondary_start:
  call enable_paging_and_jump_high
  lla a1, secondary_boot_records
  ld t1, secondary_boot_record_count
  addi t2, a0, 1                /* the tag of this hart's record */
1:
  beqz t1, park                 /* no record: a hart nobody started */
  ld t0, 16(a1)                 /* SecondaryBoot::hart_id_tag */
  beq t0, t2, 2f
  addi a1, a1, 40               /* sizeof(SecondaryBoot) */
  addi t1, t1, -1
  j 1b
2:
  ld t0, 8(a1)          /* SecondaryBoot::satp */
  csrw satp, t0
  sfence.vma            /* drop the boot-table translations cached above */
  ld sp, 0(a1)          /* SecondaryBoot::stack_top */
  mv fp, zero
  mv ra, zero
  tail secondary_main   /* (hart_id, SecondaryBoot*) */

/* A hart with nothing to do: stay here, interrupts off. */
park:
  wfi
  j park

/* Fill boot_page_table. Clobbers t0-t4. Called with the MMU off. */
build_boot_page_table:
  lla t0, boot_page_table
  lla t1, _start
  srli t2, t1, 30               /* gigabyte number of the kernel's physical address = identity VPN[2] */
  slli t3, t2, 28               /* leaf PTE: PPN = pa >> 12 = gigabyte << 18, placed at bit 10 */
  ori t3, t3, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
  slli t4, t2, 3
  add t4, t0, t4
  sd t3, 0(t4)                  /* identity leaf */
  ori t3, t3, PTE_G
  li t4, ((0xffffffff80200000 >> 30) & 511) * 8
  add t4, t0, t4
  sd t3, 0(t4)                  /* upper-half leaf for the kernel image */
  ret

/* Switch satp to boot_page_table and return to the caller's upper-half address. Clobbers t0-t2. */
enable_paging_and_jump_high:
  lla t0, boot_page_table
  srli t0, t0, 12
  li t1, SATP_MODE_SV39
  or t0, t0, t1
  /* No TLB entries can exist yet for this table, but another hart's earlier use of satp could have left
   * some: order the page-table writes above before the walk and drop anything stale (spec 4.2.1). */
  sfence.vma
  csrw satp, t0
  sfence.vma
  /* ra holds the caller's physical return address; move it to the upper half by the link offset. */
  lla t1, _start                /* physical */
  la t2, _start_link            /* absolute, from the literal pool: the link address of _start */
  ld t2, 0(t2)
  sub t2, t2, t1
  add ra, ra, t2
  ret

  .section .rodata
  .balign 8
_start_link:
  .dword _start

  .section .data
  .balign 4
boot_lottery:                   /* 0 until the boot hart takes it; in .data, which boot does not clear */
  .word 0

  .section .data.boot_page_table, "aw"
  .balign 4096
  .globl boot_page_table
boot_page_table:
  .zero 4096

  .section .bss.stack, "aw", @nobits
  .balign 16
  .globl boot_stack, boot_stack_top
boot_stack:
  .zero BOOT_STACK_SIZE
boot_stack_top:

/* call_on_stack(arg, fn, stack_top): continue in fn(arg) on another stack; never returns. Used by the boot hart
 * to leave the boot stack for a kernel stack with a guard page. */
  .section .text
  .globl call_on_stack
call_on_stack:
  mv sp, a2
  mv fp, zero
  mv ra, zero
  jr a1
