/* A position-independent program with no C library: built as a static PIE (ET_DYN, no interpreter), so the
 * kernel loads it at a random base address every time — load-time relocation made visible. It uses only
 * PC-relative addressing (no data relocations to apply), prints where it was loaded, and exits.
 * The test user/tests/exec_static_pie.c carries it inside itself and runs it. */
typedef unsigned long u64;

static long syscall3(long n, long a, long b, long c) {
  register long a0 __asm__("a0") = a;
  register long a1 __asm__("a1") = b;
  register long a2 __asm__("a2") = c;
  register long a7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
  return a0;
}

static void put(int fd, const char* s) {
  long n = 0;
  while (s[n]) n++;
  syscall3(64 /* write */, fd, (long)s, n);
}

static void put_hex(int fd, u64 v) {
  char buf[19] = "0x";
  for (int i = 0; i < 16; i++) buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
  buf[18] = 0;
  put(fd, buf);
}

void _start(void) {
  u64 here;
  __asm__ volatile("auipc %0, 0" : "=r"(here));  /* where this code really is */
  put(1, "static PIE: hello\n");
  put(2, "static PIE: running at ");
  put_hex(2, here);
  put(2, "\n");
  /* Exit status: the load address's page number modulo 251, so the caller sees the base change. */
  syscall3(93 /* exit */, (long)((here >> 12) % 251), 0, 0);
  for (;;) {
  }
}
