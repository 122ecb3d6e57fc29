/* An ELF note naming the kernel, as Linux's vDSO carries (owner "Linux", type 0, the version as
 * LINUX_VERSION_CODE): tools that ask which kernel made a core dump or a vDSO read it. The version is the one
 * uname(2) reports (kernel/sys_misc.cpp: 6.1.0). */
  .section .note.Linux, "a", @note
  .balign 4
  .long 2f - 1f     /* name size */
  .long 4f - 3f     /* descriptor size */
  .long 0           /* type */
1:.asciz "Linux"
2:.balign 4
3:.long (6 << 16) | (1 << 8) | 0
4:.balign 4
