/* The vDSO image (built from the other files of this directory, see kernel/CMakeLists.txt), embedded in the
 * kernel's read-only data. Its pages are mapped into user address spaces as they are (arch/riscv/vdso.cpp), so
 * the image starts on a page boundary and is padded to a whole page: no other kernel data may share its pages.
 * This file is compiled with the kernel, not into the vDSO. */
  .section .rodata.vdso, "a"
  .balign 4096
  .globl vdso_image_start, vdso_image_end
vdso_image_start:
  .incbin VDSO_IMAGE
  .balign 4096
vdso_image_end:
