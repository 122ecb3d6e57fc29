/* A static program linked to start at address 0 (-Ttext-segment=0): its ELF header and code are in the first
 * page of the address space, below vm.mmap_min_addr. It checks where it runs, says so, and exits with 42.
 * The test user/tests/exec_address_zero.c carries it inside itself and runs it. */
#include "pie.h"

void _start(void) {
  unsigned long header, here;
  /* Through asm: the compiler may assume that no object lives at address 0. */
  __asm__ volatile("lla %0, __ehdr_start" : "=r"(header));
  __asm__ volatile("auipc %0, 0" : "=r"(here));
  if (header != 0 || here >= 0x10000) {
    pie_put(1, "zero page: not where it was linked\n");
    pie_exit(1);
  }
  /* The header is at address 0: read it through a pointer the compiler cannot see is null (it would trap). */
  const volatile char* elf;
  __asm__ volatile("mv %0, %1" : "=r"(elf) : "r"(header));
  if (elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F') {
    pie_put(1, "zero page: not where it was linked\n");
    pie_exit(1);
  }
  pie_put(1, "zero page: running with its ELF header at address 0\n");
  pie_exit(42);
}
