/* bench_threads: instructions per operation of threads, counted with rdinstret (see bench_vm.c for how to run it:
 * tools/run --icount, or the reference Linux's run.sh --icount; the same static binary on both).
 *
 *   pthread_create_join   glibc's pthread_create of a thread that returns at once, and pthread_join of it (the
 *                         thread stack comes from glibc's cache after the warm-up, as in a real program)
 *   futex_pingpong        one round trip between two threads on one hart: each waits (FUTEX_WAIT) for its turn
 *                         and passes it on (a store and FUTEX_WAKE): two waits, two wakes, two switches
 *   munmap_remote         (with 2 harts or more) munmap of one written page while other threads of the process
 *                         run on every other hart, so the unmapping must reach their TLBs; printed with the
 *                         remote TLB flushes per munmap and the harts they reached (from /proc/kernel-stats, this
 *                         kernel only), and the same for munmap of 16 pages (one request for the whole batch).
 *                         Under --icount QEMU runs the harts in turn, so these counts are mostly the wait for
 *                         the other harts' turns (spent in the SBI firmware): compare the flushes, not these.
 * Every figure counts only the instructions of the hart that runs the measuring thread (rdinstret is per hart):
 * on one hart that is everything, on several it leaves out what the other harts do to take a flush.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mmtest.h"

static void report(const char* name, uint64_t instructions, uint64_t ops) {
  printf("bench %s: %llu instructions/op\n", name, (unsigned long long)((instructions + ops / 2) / ops));
  fflush(stdout);
}

static void* empty(void* arg) { return arg; }

static void bench_create_join(void) {
  pthread_t t;
  for (int i = 0; i < 20; i++) {
    if (pthread_create(&t, NULL, empty, NULL) != 0) exit(1);
    pthread_join(t, NULL);
  }
  const int n = 200;
  uint64_t t0 = tl_instret();
  for (int i = 0; i < n; i++) {
    pthread_create(&t, NULL, empty, NULL);
    pthread_join(t, NULL);
  }
  report("pthread_create_join", tl_instret() - t0, n);
}

static _Atomic int turn;  /* 0: the main thread's turn, 1: the other's */
static int rounds;

static void futex_wait(_Atomic int* word, int value) {
  syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
}
static void futex_wake(_Atomic int* word) { syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0); }

static void* pong(void* arg) {
  (void)arg;
  for (int i = 0; i < rounds; i++) {
    while (atomic_load(&turn) != 1) futex_wait(&turn, 0);
    atomic_store(&turn, 0);
    futex_wake(&turn);
  }
  return NULL;
}

static uint64_t pingpong(int n) {
  rounds = n;
  atomic_store(&turn, 0);
  pthread_t t;
  if (pthread_create(&t, NULL, pong, NULL) != 0) exit(1);
  uint64_t t0 = tl_instret();
  for (int i = 0; i < n; i++) {
    atomic_store(&turn, 1);
    futex_wake(&turn);
    while (atomic_load(&turn) != 0) futex_wait(&turn, 1);
  }
  uint64_t spent = tl_instret() - t0;
  pthread_join(t, NULL);
  return spent;
}

static void bench_pingpong(void) {
  /* One hart: the two threads alternate on it. */
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  sched_setaffinity(0, sizeof(one), &one);  /* the thread inherits it */
  pingpong(50);
  const int n = 500;
  report("futex_pingpong", pingpong(n), n);
  cpu_set_t all;
  CPU_ZERO(&all);
  for (int i = 0; i < 64; i++) CPU_SET(i, &all);
  sched_setaffinity(0, sizeof(all), &all);
}

/* A /proc/kernel-stats counter, or -1 (not this kernel). */
static long long kernel_stat(const char* name) {
  FILE* f = fopen("/proc/kernel-stats", "r");
  if (!f) return -1;
  char line[128];
  long long value = -1;
  size_t len = strlen(name);
  while (fgets(line, sizeof(line), f))
    if (strncmp(line, name, len) == 0 && line[len] == ' ') value = atoll(line + len + 1);
  fclose(f);
  return value;
}

static _Atomic int stop_spinners;
static char* spin_page;
static void* spinner(void* arg) {
  int cpu = (int)(long)arg;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof(set), &set);
  while (!atomic_load(&stop_spinners)) (void)*(volatile char*)spin_page;
  return NULL;
}

static void munmap_rounds(const char* name, size_t pages, int n) {
  long long flushes0 = kernel_stat("tlb_remote_flushes"), harts0 = kernel_stat("tlb_remote_flush_harts");
  uint64_t spent = 0;
  for (int i = 0; i < n; i++) {
    char* p = mmap(NULL, pages * MT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (size_t k = 0; k < pages; k++) p[k * MT_PAGE] = 1;
    uint64_t t0 = tl_instret();
    munmap(p, pages * MT_PAGE);
    spent += tl_instret() - t0;
  }
  report(name, spent, n);
  long long flushes = kernel_stat("tlb_remote_flushes"), harts = kernel_stat("tlb_remote_flush_harts");
  if (flushes >= 0)
    printf("bench %s_remote_flushes: %.2f per munmap, reaching %.2f harts\n", name, (double)(flushes - flushes0) / n,
           (double)(harts - harts0) / n);
}

static void bench_munmap_remote(void) {
  cpu_set_t online;
  if (sched_getaffinity(0, sizeof(online), &online) != 0 || CPU_COUNT(&online) < 2) return;
  spin_page = mmap(NULL, MT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  spin_page[0] = 1;
  int self = sched_getcpu();
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(self, &set);
  sched_setaffinity(0, sizeof(set), &set);
  pthread_t t[64];
  int count = 0;
  for (int cpu = 0; cpu < 64; cpu++)  /* (the online CPUs need not be numbered 0..N-1: a hart may not start) */
    if (cpu != self && CPU_ISSET(cpu, &online)) pthread_create(&t[count++], NULL, spinner, (void*)(long)cpu);
  usleep(20000);  /* every spinner on its hart, the address space live there */
  /* Few rounds: under --icount QEMU runs the harts one after another, so a munmap waits (and counts the
   * instructions of its wait) until every other hart has had its turn and taken the flush. */
  munmap_rounds("munmap_remote_1_page", 1, 5);
  munmap_rounds("munmap_remote_16_pages", 16, 5);
  atomic_store(&stop_spinners, 1);
  for (int i = 0; i < count; i++) pthread_join(t[i], NULL);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  printf("# bench_threads: retired instructions per operation (rdinstret; exact under --icount)\n");
  bench_create_join();
  bench_pingpong();
  bench_munmap_remote();
  return 0;
}
