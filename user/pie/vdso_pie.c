/* A position-independent program with no C library that uses the vDSO: built as a static PIE (ET_DYN, no
 * interpreter), so it runs at a random base. It finds AT_SYSINFO_EHDR in the auxiliary vector on its initial
 * stack, looks __vdso_clock_gettime up with user/lib/vdso_lookup.h (no C library needed), calls it, and checks
 * the result against the clock_gettime system call read before and after.
 * Exit status: 0 if it agrees, 10 + a step number if a step failed, 77 if there is no vDSO at all.
 * The test user/tests/vdso_static_pie.c carries it inside itself and runs it. */
#include "pie.h"
#include "vdso_lookup.h"

#define AT_SYSINFO_EHDR_TAG 33
#define SYS_CLOCK_GETTIME 113
#define CLOCK_MONOTONIC_ID 1

struct ts {
  long sec, nsec;
};

static long ns_of(const struct ts* t) { return t->sec * 1000000000L + t->nsec; }

/* The entry point: sp points at argc, then argv[], NULL, envp[], NULL, then the auxiliary vector. */
__asm__(".text\n.globl _start\n_start:\n\tmv a0, sp\n\tj pie_main\n");

__attribute__((used)) void pie_main(unsigned long* sp) {
  unsigned long argc = sp[0];
  unsigned long* p = sp + 1 + argc + 1;  /* envp */
  while (*p) p++;
  unsigned long ehdr = 0;
  for (p++; p[0] != 0; p += 2)
    if (p[0] == AT_SYSINFO_EHDR_TAG) ehdr = p[1];
  if (!ehdr) pie_exit(77);

  struct vdso_image v;
  if (vdso_open(&v, ehdr)) pie_exit(11);
  int (*gettime)(int, struct ts*) = (int (*)(int, struct ts*))vdso_function(&v, "__vdso_clock_gettime", "LINUX_4.15");
  if (!gettime) pie_exit(12);
  struct ts before, now, after;
  if (pie_syscall3(SYS_CLOCK_GETTIME, CLOCK_MONOTONIC_ID, (long)&before, 0) != 0) pie_exit(13);
  if (gettime(CLOCK_MONOTONIC_ID, &now) != 0) pie_exit(14);
  if (pie_syscall3(SYS_CLOCK_GETTIME, CLOCK_MONOTONIC_ID, (long)&after, 0) != 0) pie_exit(15);
  if (ns_of(&now) < ns_of(&before) || ns_of(&now) > ns_of(&after)) pie_exit(16);
  pie_put(1, "static PIE: __vdso_clock_gettime agrees with the system call\n");
  pie_exit(0);
}
