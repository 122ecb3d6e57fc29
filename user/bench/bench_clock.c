/* bench_clock: instructions per call of the clock functions, through the vDSO and through the system call,
 * counted with rdinstret (run with tools/run --icount, or the reference Linux's run.sh --icount; see
 * bench_vm.c for what the counts include). Printed as
 *   bench <name>: <N> instructions/op
 *
 * What each one measures (each call from C, so glibc's wrapper is included, and the loop's few instructions):
 *   clock_gettime_monotonic   glibc's clock_gettime(CLOCK_MONOTONIC): glibc calls __vdso_clock_gettime
 *   clock_gettime_realtime    the same for CLOCK_REALTIME
 *   gettimeofday              glibc's gettimeofday
 *   time                      glibc's time() (CLOCK_REALTIME_COARSE through the vDSO)
 *   clock_gettime_syscall     clock_gettime(CLOCK_MONOTONIC) as a system call (inline ecall): what a call costs
 *                             without the vDSO
 * Linux 6.1 on this QEMU (the same binary, ../shared/reference-linux/run.sh --icount): see BENCHMARKS.md.
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include "testlib.h"

#define ROUNDS 1000

static void report(const char* name, uint64_t instructions) {
  printf("bench %s: %llu instructions/op\n", name, (unsigned long long)((instructions + ROUNDS / 2) / ROUNDS));
  fflush(stdout);
}

static long raw_clock_gettime(long clock, struct timespec* ts) {
  register long a0 __asm__("a0") = clock;
  register long a1 __asm__("a1") = (long)ts;
  register long a7 __asm__("a7") = SYS_clock_gettime;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a7) : "memory");
  return a0;
}

/* Run `body` ROUNDS times after a warm-up, and report instructions per round. */
#define MEASURE(name, body)                          \
  do {                                               \
    for (int i = 0; i < ROUNDS / 10; i++) { body; }  \
    uint64_t start = tl_instret();                   \
    for (int i = 0; i < ROUNDS; i++) { body; }       \
    report(name, tl_instret() - start);              \
  } while (0)

int main(void) {
  struct timespec ts;
  struct timeval tv;
  printf("bench_clock: instructions per call (rdinstret)\n");
  MEASURE("clock_gettime_monotonic", clock_gettime(CLOCK_MONOTONIC, &ts));
  MEASURE("clock_gettime_realtime", clock_gettime(CLOCK_REALTIME, &ts));
  MEASURE("gettimeofday", gettimeofday(&tv, NULL));
  MEASURE("time", (void)time(NULL));
  MEASURE("clock_gettime_syscall", raw_clock_gettime(CLOCK_MONOTONIC, &ts));
  return 0;
}
