/* A position-independent program with no C library: built as a static PIE (ET_DYN, no interpreter), so the
 * kernel loads it at a random base address every time — load-time relocation made visible. It uses only
 * PC-relative addressing (no data relocations to apply), prints where it was loaded, and exits.
 * The test user/tests/exec_static_pie.c carries it inside itself and runs it. */
#include "pie.h"

typedef unsigned long u64;

static void put_hex(int fd, u64 v) {
  char buf[19] = "0x";
  for (int i = 0; i < 16; i++) buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
  buf[18] = 0;
  pie_put(fd, buf);
}

void _start(void) {
  u64 here;
  __asm__ volatile("auipc %0, 0" : "=r"(here));  /* where this code really is */
  pie_put(1, "static PIE: hello\n");
  pie_put(2, "static PIE: running at ");
  put_hex(2, here);
  pie_put(2, "\n");
  /* Exit status: the load address's page number modulo 251, so the caller sees the base change. */
  pie_exit((int)((here >> 12) % 251));
}
