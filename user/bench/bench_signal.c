/* bench_signal: instructions per signal operation, counted with rdinstret (see bench_vm.c for how to run it:
 * tools/run --icount, or the reference Linux's run.sh --icount, where rdinstret counts the kernel's
 * instructions too).
 *
 *   signal_to_self      tgkill(getpid(), gettid(), SIGUSR1) through an inline ecall, to an empty SA_SIGINFO
 *                       handler and back: the system call, the frame written on the stack, the handler, and
 *                       rt_sigreturn through the vDSO trampoline
 *   sigprocmask_pair    rt_sigprocmask(SIG_BLOCK) and rt_sigprocmask(SIG_UNBLOCK) of SIGUSR2 (nothing
 *                       pending)
 *   sigpending          rt_sigpending
 * Printed as "bench <name>: <N> instructions/op".
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

static volatile int hits;

static void handler(int sig, siginfo_t* si, void* uc) {
  (void)sig;
  (void)si;
  (void)uc;
  hits++;
}

static void report(const char* name, uint64_t instructions, uint64_t ops) {
  printf("bench %s: %llu instructions/op\n", name, (unsigned long long)((instructions + ops / 2) / ops));
  fflush(stdout);
}

static inline long raw3(long n, long a0, long a1, long a2) {
  register long r0 __asm__("a0") = a0;
  register long r1 __asm__("a1") = a1;
  register long r2 __asm__("a2") = a2;
  register long r7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r7) : "memory");
  return r0;
}

static inline long raw4(long n, long a0, long a1, long a2, long a3) {
  register long r0 __asm__("a0") = a0;
  register long r1 __asm__("a1") = a1;
  register long r2 __asm__("a2") = a2;
  register long r3 __asm__("a3") = a3;
  register long r7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r3), "r"(r7) : "memory");
  return r0;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGUSR1, &sa, NULL) != 0) return 1;
  long pid = getpid(), tid = gettid();

  const int n = 1000;
  for (int i = 0; i < 50; i++) raw3(SYS_tgkill, pid, tid, SIGUSR1);
  uint64_t t0 = tl_instret();
  for (int i = 0; i < n; i++) raw3(SYS_tgkill, pid, tid, SIGUSR1);
  uint64_t t1 = tl_instret();
  if (hits != n + 50) return 2;
  report("signal_to_self", t1 - t0, n);

  uint64_t set = 1ull << (SIGUSR2 - 1);
  for (int i = 0; i < 50; i++) {
    raw4(SYS_rt_sigprocmask, SIG_BLOCK, (long)&set, 0, 8);
    raw4(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&set, 0, 8);
  }
  t0 = tl_instret();
  for (int i = 0; i < n; i++) {
    raw4(SYS_rt_sigprocmask, SIG_BLOCK, (long)&set, 0, 8);
    raw4(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&set, 0, 8);
  }
  report("sigprocmask_pair", tl_instret() - t0, n);

  uint64_t pending;
  t0 = tl_instret();
  for (int i = 0; i < n; i++) raw3(SYS_rt_sigpending, (long)&pending, 8, 0);
  report("sigpending", tl_instret() - t0, n);
  return 0;
}
