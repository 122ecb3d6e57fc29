/* What the static PIE programs (user/pie, no C library) need of the system: system calls by inline ecall, and
 * writing a string. */
#ifndef PIE_H
#define PIE_H

static inline long pie_syscall3(long n, long a, long b, long c) {
  register long a0 __asm__("a0") = a;
  register long a1 __asm__("a1") = b;
  register long a2 __asm__("a2") = c;
  register long a7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
  return a0;
}

static inline void pie_put(int fd, const char* s) {
  long n = 0;
  while (s[n]) n++;
  pie_syscall3(64 /* write */, fd, (long)s, n);
}

static inline __attribute__((noreturn)) void pie_exit(int status) {
  pie_syscall3(93 /* exit */, status, 0, 0);
  for (;;) {
  }
}

#endif
