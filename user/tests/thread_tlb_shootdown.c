/* thread_tlb_shootdown: one thread takes memory away from another that is using it on another hart, and the
 * other sees it go at once.
 *   Thread A reads (or writes) a page in a tight loop on one hart; thread B, on another, munmaps it (or
 *   write-protects it with mprotect). After B's call has returned, A's next access must fault (SIGSEGV in A,
 *   si_addr the page) and never reach the page through a stale TLB entry: no access may succeed once A has
 *   seen that B's call returned, and no read may see another iteration's data. Each way is repeated
 *   ITERATIONS times (argument 1, default 300; tools/soak runs more), with a 1-page mapping and with a 40-page one (more pages than
 *   the kernel flushes one by one). Then 4 threads fault the same fresh pages at once (atomic increments):
 *   every page ends with every increment (one frame per page, no lost update).
 * TEST: smp=4
 * TEST: timeout=240
 * The Linux reference runs it too (qemu-user: same results).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testlib.h"

enum Mode { UNMAP_READ, PROTECT_WRITE };

static char* volatile page;     /* the memory under test (its first page is accessed) */
static volatile size_t pages;   /* its length in pages */
static volatile enum Mode mode;
static atomic_int seq;          /* the iteration B has set up (-1: stop) */
static atomic_int removing;     /* the iteration whose munmap/mprotect is about to be called */
static atomic_int removed;      /* the iteration whose munmap/mprotect has returned */
static atomic_int a_ready;      /* the iteration in which A has accessed the page */
static atomic_int a_done;       /* the iteration in which A faulted (or gave up) */
static atomic_long stale, early, wrong_address, wrong_data;
static sigjmp_buf a_jump;
static void* volatile fault_address;

static void on_segv(int sig, siginfo_t* si, void* uc) {
  fault_address = si->si_addr;
  siglongjmp(a_jump, 1);
}

static void* thread_a(void* arg) {
  int last = 0;
  for (;;) {
    int i = atomic_load(&seq);
    if (i < 0) return NULL;
    if (i == last) continue;
    if (sigsetjmp(a_jump, 1)) {
      if (fault_address != page) atomic_fetch_add(&wrong_address, 1);
      if (atomic_load(&removing) != i) atomic_fetch_add(&early, 1);  /* a fault before B's call */
      last = i;
      atomic_store(&a_done, i);
      continue;
    }
    char want = (char)(i & 0x7f);
    for (;;) {
      int gone = atomic_load(&removed) == i;
      if (mode == PROTECT_WRITE) {
        page[0] = want;
      } else if (page[0] != want) {
        atomic_fetch_add(&wrong_data, 1);
      }
      if (gone) {
        /* The access after B's call returned went through: a stale translation. */
        atomic_fetch_add(&stale, 1);
        last = i;
        atomic_store(&a_done, i);
        break;
      }
      atomic_store_explicit(&a_ready, i, memory_order_relaxed);
    }
  }
}

static void run(enum Mode m, size_t npages, int iterations, pthread_t a) {
  mode = m;
  pages = npages;
  size_t length = npages * 4096;
  for (int i = 1; i <= iterations; i++) {
    char* p = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    /* Every iteration of every run has its own number (A tells them apart by it) and data. */
    int step = iterations * (m == UNMAP_READ ? 0 : 1) + i + (npages > 1 ? 4 * iterations : 0);
    for (size_t k = 0; k < npages; k++) p[k * 4096] = (char)(step & 0x7f);
    page = p;
    atomic_store(&seq, step);
    while (atomic_load(&a_ready) != step) {
    }
    atomic_store(&removing, step);
    if (m == UNMAP_READ) {
      CHECK(munmap(p, length) == 0);
    } else {
      CHECK(mprotect(p, length, PROT_READ) == 0);
    }
    atomic_store(&removed, step);
    while (atomic_load(&a_done) != step) {
    }
    if (m == PROTECT_WRITE) CHECK(munmap(p, length) == 0);
  }
}

enum { RACE_THREADS = 4, RACE_PAGES = 64 };
static atomic_int race_go;
static atomic_int* volatile race_memory;

static void* racer(void* arg) {
  while (!atomic_load(&race_go)) {
  }
  atomic_int* m = race_memory;
  for (int k = 0; k < RACE_PAGES; k++) atomic_fetch_add(&m[k * 1024 + (int)(intptr_t)arg], 1);
  for (int k = 0; k < RACE_PAGES; k++) atomic_fetch_add(&m[k * 1024 + 512], 1);
  return NULL;
}

static void fault_race(void) {
  for (int round = 0; round < 20; round++) {
    atomic_int* m = mmap(NULL, RACE_PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    race_memory = m;
    atomic_store(&race_go, 0);
    pthread_t t[RACE_THREADS];
    for (int i = 0; i < RACE_THREADS; i++) CHECK(pthread_create(&t[i], NULL, racer, (void*)(intptr_t)(i * 4)) == 0);
    atomic_store(&race_go, 1);
    for (int i = 0; i < RACE_THREADS; i++) CHECK(pthread_join(t[i], NULL) == 0);
    for (int k = 0; k < RACE_PAGES; k++) {
      CHECK(atomic_load(&m[k * 1024 + 512]) == RACE_THREADS);
      for (int i = 0; i < RACE_THREADS; i++) CHECK(atomic_load(&m[k * 1024 + i * 4]) == 1);
    }
    CHECK(munmap(m, RACE_PAGES * 4096) == 0);
  }
  tl_say("%d threads faulting the same %d fresh pages at once: no update lost (20 rounds)\n", RACE_THREADS,
         RACE_PAGES);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int iterations = argc > 1 ? atoi(argv[1]) : 300;
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
  pthread_t a;
  CHECK(pthread_create(&a, NULL, thread_a, NULL) == 0);
  run(UNMAP_READ, 1, iterations, a);
  run(PROTECT_WRITE, 1, iterations, a);
  run(UNMAP_READ, 40, iterations / 4, a);
  run(PROTECT_WRITE, 40, iterations / 4, a);
  atomic_store(&seq, -1);
  CHECK(pthread_join(a, NULL) == 0);
  long s = atomic_load(&stale), e = atomic_load(&early), w = atomic_load(&wrong_address), d = atomic_load(&wrong_data);
  if (s || e || w || d) tl_say("stale accesses %ld, early faults %ld, wrong si_addr %ld, wrong data %ld\n", s, e, w, d);
  CHECK(s == 0 && e == 0 && w == 0 && d == 0);
  tl_say("munmap and mprotect under a thread using the memory on another hart: it faults at once, every time\n");
  fault_race();
  return tl_done();
}
