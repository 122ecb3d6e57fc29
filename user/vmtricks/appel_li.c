/* appel_li: the virtual-memory primitives of Appel and Li ("Virtual Memory Primitives for User Programs",
 * ASPLOS 1991, table 2), measured in instructions with rdinstret.
 *
 *   appel_li [DIR]       measure, with a scratch file in DIR (default /tmp) for MAP2
 *
 * Run it under tools/run --icount (or the reference Linux's run.sh --icount): there rdinstret counts every
 * instruction the hart retires, the kernel's included, so each figure is the whole cost of the primitive.
 * Elsewhere the numbers are only indicative, but every primitive is still checked to work.
 *
 *   TRAP    a store to a write-protected page: the fault, the SIGSEGV handler (which makes the page writable
 *           with mprotect), the return from the handler (rt_sigreturn) and the store, retried
 *   PROT1   mprotect of one page, read-write to read-only
 *   PROTN   mprotect of 100 pages, read-write to read-only
 *   UNPROT  mprotect of one page, read-only to read-write
 *   DIRTY   finding which pages of a 100-page region were written: protect the region, then 10 stores
 *           (10 TRAPs, each handler run recording its page); per call, i.e. per region and 10 dirty pages
 *   MAP2    mapping a page that is already mapped read-write at a second address, read-only (mmap of the
 *           same MAP_SHARED file page) and reading it there; a store through the read-only alias faults
 *
 * Each line reads "appel_li NAME: N instructions/op"; a last line says whether every check passed.
 *
 * Tested by running it (tests/qemu/CMakeLists.txt), compared with qemu-user (the counts are not compared:
 * instructions differ by kernel; every primitive is checked).
 * TEST: args=/tmp
 * TEST: nondeterministic-output
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define PAGE 4096
#define REGION 100
#define RW (PROT_READ | PROT_WRITE)

static inline uint64_t instret(void) {
  uint64_t v;
  __asm__ volatile("rdinstret %0" : "=r"(v));
  return v;
}

static int all_ok = 1;
static void check(int cond, const char* what) {
  if (!cond) {
    fprintf(stderr, "appel_li: check failed: %s\n", what);
    all_ok = 0;
  }
}

static void report(const char* name, uint64_t instructions, uint64_t ops) {
  printf("appel_li %s: %llu instructions/op\n", name, (unsigned long long)((instructions + ops / 2) / ops));
  fflush(stdout);
}

static char* map_populated(size_t pages) {
  char* p = mmap(NULL, pages * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    exit(1);
  }
  for (size_t i = 0; i < pages; i++) p[i * PAGE] = 1;
  return p;
}

/* The handler of TRAP and DIRTY: record the page, make it writable. An address outside `region` is a real
 * fault: the handler then skips the store (used by the MAP2 check) and counts it. */
static char* region;
static size_t region_pages;
static volatile int dirty_count, stray_faults;
static volatile size_t dirty_pages[REGION];

static void on_segv(int sig, siginfo_t* si, void* ucv) {
  (void)sig;
  char* a = si->si_addr;
  if (a >= region && a < region + region_pages * PAGE) {
    char* page = region + (a - region) / PAGE * PAGE;
    mprotect(page, PAGE, RW);
    dirty_pages[dirty_count++ % REGION] = (size_t)(page - region) / PAGE;
    return;
  }
  ucontext_t* uc = ucv;
  uint16_t low = *(uint16_t*)uc->uc_mcontext.__gregs[REG_PC];
  uc->uc_mcontext.__gregs[REG_PC] += (low & 3) == 3 ? 4 : 2;
  stray_faults++;
}

static void trap(void) {
  region = map_populated(1);
  region_pages = 1;
  const int warm = 20, n = 500;
  uint64_t total = 0;
  for (int i = 0; i < warm + n; i++) {
    mprotect(region, PAGE, PROT_READ);
    uint64_t t0 = instret();
    *(volatile char*)region = (char)i;
    uint64_t t1 = instret();
    if (i >= warm) total += t1 - t0;
  }
  check(dirty_count == warm + n && *(volatile char*)region == (char)(warm + n - 1), "TRAP: every store retried");
  report("TRAP", total, n);
  munmap(region, PAGE);
}

static void prot(void) {
  char* one = map_populated(1);
  char* many = map_populated(REGION);
  const int n = 300;
  uint64_t prot1 = 0, unprot = 0, protn = 0;
  for (int i = 0; i < n + 10; i++) {
    uint64_t t0 = instret();
    mprotect(one, PAGE, PROT_READ);
    uint64_t t1 = instret();
    mprotect(one, PAGE, RW);
    uint64_t t2 = instret();
    if (i >= 10) {
      prot1 += t1 - t0;
      unprot += t2 - t1;
    }
    one[0] = 1; /* written again: the page stays dirty, as in TRAP */
  }
  for (int i = 0; i < n / 3 + 5; i++) {
    uint64_t t0 = instret();
    mprotect(many, REGION * PAGE, PROT_READ);
    uint64_t t1 = instret();
    if (i >= 5) protn += t1 - t0;
    mprotect(many, REGION * PAGE, RW);
  }
  report("PROT1", prot1, n);
  report("PROTN", protn, n / 3);
  report("UNPROT", unprot, n);
  munmap(one, PAGE);
  munmap(many, REGION * PAGE);
}

static void dirty(void) {
  region = map_populated(REGION);
  region_pages = REGION;
  const int warm = 3, n = 30;
  uint64_t total = 0;
  int found_right = 1;
  for (int i = 0; i < warm + n; i++) {
    dirty_count = 0;
    uint64_t t0 = instret();
    mprotect(region, REGION * PAGE, PROT_READ);
    for (int k = 0; k < 10; k++) region[(k * 7 + i) % REGION * PAGE + 8] = (char)k;
    uint64_t t1 = instret();
    if (i >= warm) total += t1 - t0;
    if (dirty_count != 10) found_right = 0;
    for (int k = 0; k < 10 && k < dirty_count; k++)
      if (dirty_pages[k] != (size_t)((k * 7 + i) % REGION)) found_right = 0;
  }
  check(found_right, "DIRTY: exactly the pages written, in order");
  report("DIRTY", total, n);
  munmap(region, REGION * PAGE);
  region = NULL;
  region_pages = 0;
}

static void map2(const char* dir) {
  char path[256];
  snprintf(path, sizeof path, "%s/appel_li.%d", dir, getpid());
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ftruncate(fd, PAGE) != 0) {
    fprintf(stderr, "appel_li: %s: %s\n", path, strerror(errno));
    exit(1);
  }
  unlink(path);
  char* rw = mmap(NULL, PAGE, RW, MAP_SHARED, fd, 0);
  check(rw != MAP_FAILED, "MAP2: the read-write mapping");
  rw[0] = 1;
  const int warm = 10, n = 200;
  uint64_t total = 0;
  int aliased = 1;
  for (int i = 0; i < warm + n; i++) {
    rw[64] = (char)i;
    uint64_t t0 = instret();
    volatile char* ro = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
    char seen = ro[64];
    uint64_t t1 = instret();
    if (i >= warm) total += t1 - t0;
    if (seen != (char)i) aliased = 0;
    munmap((void*)ro, PAGE);
  }
  check(aliased, "MAP2: the second mapping shows the first one's stores");
  char* ro = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
  stray_faults = 0;
  *(volatile char*)ro = 5; /* faults: the handler skips the store */
  check(stray_faults == 1 && rw[0] == 1, "MAP2: the read-only alias refuses stores");
  report("MAP2", total, n);
  munmap(ro, PAGE);
  munmap(rw, PAGE);
  close(fd);
}

int main(int argc, char** argv) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSEGV, &sa, NULL) != 0) {
    perror("sigaction");
    return 1;
  }
  printf("appel_li: instructions per primitive (exact under tools/run --icount)\n");
  trap();
  prot();
  dirty();
  map2(argc > 1 ? argv[1] : "/tmp");
  printf("appel_li: %s\n", all_ok ? "every primitive works" : "FAILED");
  return all_ok ? 0 : 1;
}
