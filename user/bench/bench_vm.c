/* bench_vm: instructions per operation of the virtual-memory paths, counted with rdinstret.
 *
 * Run it with tools/run --icount (or the reference Linux's run.sh --icount): under -icount shift=0 QEMU
 * retires exactly one instruction per cycle and rdinstret counts every instruction the hart retires - the
 * program's, the kernel's (system calls, page faults, timer interrupts) and those of any other process that
 * runs meanwhile (a forked child) - so "instructions per operation" is the full cost of the operation on a
 * one-hart machine. Each figure is measured after a warm-up, over enough iterations (hundreds) that timer
 * interrupts and loop overhead are amortised, and printed as
 *   bench <name>: <N> instructions/op
 * with nothing else on stdout but the header line.
 *
 * Figures (Linux 6.1 on this QEMU, as quoted in the VM issue): null_syscall 171, demand_zero_fault 1,902,
 * zero_page_read_fault 665, cow_fault_child 2,692, reuse_fault_parent 783, sbrk_touch 4,003,
 * fork_exit_wait 85,797, fork_exit_wait_per_touched_page ~250, mmap_touch_munmap 12,225,
 * mprotect_1_page 1,746, mprotect_100_pages 5,500.
 *
 * What each one measures:
 *   null_syscall          getppid through an inline ecall: system call entry and exit
 *   demand_zero_fault     first write to a page of a fresh private anonymous mapping (allocate, zero, map)
 *   zero_page_read_fault  first read of such a page (map the shared zero page)
 *   cow_fault_child       a child's first write to a page its parent populated before fork (copy)
 *   reuse_fault_parent    the parent's first write to such a page after the child exited (no copy needed)
 *   sbrk_touch            sbrk(4096) and a write to the new page
 *   fork_exit_wait        fork, the child _exits at once, the parent waits for it
 *   fork_exit_wait_per_touched_page  the extra cost of fork_exit_wait per populated page of the parent
 *                         (measured with 0 and 256 more populated pages; the difference divided by 256)
 *   mmap_touch_munmap     mmap of one anonymous page, a write to it, munmap
 *   mprotect_1_page       mprotect(PROT_READ) of a populated, written, read-write one-page mapping
 *   mprotect_100_pages    the same on a populated 100-page mapping
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmtest.h"

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static void report(const char* name, uint64_t instructions, uint64_t ops) {
  printf("bench %s: %llu instructions/op\n", name, (unsigned long long)((instructions + ops / 2) / ops));
  fflush(stdout);
}

static char* map(size_t pages) {
  char* p = mmap(NULL, pages * MT_PAGE, RW, ANON, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    exit(1);
  }
  return p;
}

static void populate(char* p, size_t pages) {
  for (size_t i = 0; i < pages; i++) p[i * MT_PAGE] = 1;
}

/* getppid with an inline ecall: no function call around it. */
static inline long raw_getppid(void) {
  register long a0 __asm__("a0");
  register long a7 __asm__("a7") = SYS_getppid;
  __asm__ volatile("ecall" : "=r"(a0) : "r"(a7) : "memory");
  return a0;
}

static void bench_null_syscall(void) {
  for (int i = 0; i < 100; i++) raw_getppid();
  const int n = 2000;
  uint64_t t0 = tl_instret();
  for (int i = 0; i < n; i++) raw_getppid();
  report("null_syscall", tl_instret() - t0, n);
}

/* Write (or read) the first byte of each page of fresh mappings: `rounds` mappings of `pages` pages. */
static uint64_t fault_fresh_pages(size_t pages, int rounds, int write) {
  uint64_t total = 0;
  for (int r = 0; r < rounds; r++) {
    char* p = map(pages);
    uint64_t t0 = tl_instret();
    if (write)
      for (size_t i = 0; i < pages; i++) p[i * MT_PAGE] = 1;
    else
      for (size_t i = 0; i < pages; i++) (void)*(volatile char*)(p + i * MT_PAGE);
    total += tl_instret() - t0;
    munmap(p, pages * MT_PAGE);
  }
  return total;
}

static void bench_demand_zero(void) {
  fault_fresh_pages(64, 1, 1);
  report("demand_zero_fault", fault_fresh_pages(256, 4, 1), 256 * 4);
}

static void bench_zero_page_read(void) {
  fault_fresh_pages(64, 1, 0);
  report("zero_page_read_fault", fault_fresh_pages(256, 4, 0), 256 * 4);
}

/* The child writes every page the parent populated; it prints its own figure. */
static void bench_cow_child(int warm) {
  const size_t pages = 256;
  char* p = map(pages);
  populate(p, pages);
  pid_t pid = mt_fork();
  if (pid == 0) {
    uint64_t t0 = tl_instret();
    for (size_t i = 0; i < pages; i++) p[i * MT_PAGE] = 2;
    uint64_t t = tl_instret() - t0;
    if (!warm) report("cow_fault_child", t, pages);
    _exit(0);
  }
  mt_wait(pid);
  munmap(p, pages * MT_PAGE);
}

static void bench_reuse_parent(int warm) {
  const size_t pages = 256;
  char* p = map(pages);
  populate(p, pages);
  pid_t pid = mt_fork();
  if (pid == 0) _exit(0);
  mt_wait(pid);
  uint64_t t0 = tl_instret();
  for (size_t i = 0; i < pages; i++) p[i * MT_PAGE] = 2;
  uint64_t t = tl_instret() - t0;
  if (!warm) report("reuse_fault_parent", t, pages);
  munmap(p, pages * MT_PAGE);
}

static void bench_sbrk_touch(void) {
  const int n = 512;
  for (int warm = 1; warm >= 0; warm--) {
    uint64_t t0 = tl_instret();
    for (int i = 0; i < n; i++) {
      char* p = sbrk(MT_PAGE);
      *p = 1;
    }
    uint64_t t = tl_instret() - t0;
    sbrk(-(long)n * (long)MT_PAGE);
    if (!warm) report("sbrk_touch", t, n);
  }
}

static uint64_t fork_exit_wait(int n) {
  uint64_t t0 = tl_instret();
  for (int i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    int status;
    waitpid(pid, &status, 0);
  }
  return tl_instret() - t0;
}

static void bench_fork(void) {
  const int n = 200;
  const size_t pages = 256;
  fflush(stdout);
  fork_exit_wait(20);
  uint64_t base = fork_exit_wait(n);
  report("fork_exit_wait", base, n);
  char* p = map(pages);
  populate(p, pages);
  fork_exit_wait(20);
  uint64_t more = fork_exit_wait(n);
  long per_page = ((long)more - (long)base) / n;
  printf("bench fork_exit_wait_per_touched_page: %ld instructions/op\n", (per_page + (long)pages / 2) / (long)pages);
  fflush(stdout);
  munmap(p, pages * MT_PAGE);
}

static void bench_mmap_touch_munmap(void) {
  const int n = 500;
  for (int warm = 1; warm >= 0; warm--) {
    uint64_t t0 = tl_instret();
    for (int i = 0; i < (warm ? 50 : n); i++) {
      char* p = mmap(NULL, MT_PAGE, RW, ANON, -1, 0);
      *p = 1;
      munmap(p, MT_PAGE);
    }
    if (!warm) report("mmap_touch_munmap", tl_instret() - t0, n);
  }
}

/* mprotect(PROT_READ) of a populated read-write mapping (made read-write again between the measured calls,
 * the pages written again so that they are writable in the page table). The mapping has unmapped pages
 * around it, so mprotect never splits or merges mappings. */
static void bench_mprotect(const char* name, size_t pages) {
  char* p = mt_map_isolated(pages, 4, RW, MAP_PRIVATE);
  if (!p) exit(1);
  const int n = 500;
  uint64_t total = 0;
  for (int i = -50; i < n; i++) {
    mprotect(p, pages * MT_PAGE, RW);
    populate(p, pages);
    uint64_t t0 = tl_instret();
    mprotect(p, pages * MT_PAGE, PROT_READ);
    uint64_t t = tl_instret() - t0;
    if (i >= 0) total += t;
  }
  report(name, total, n);
  munmap(p, pages * MT_PAGE);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  printf("# bench_vm: retired instructions per operation (rdinstret; exact under --icount)\n");
  bench_null_syscall();
  bench_fork();
  bench_demand_zero();
  bench_zero_page_read();
  bench_cow_child(1);
  bench_cow_child(0);
  bench_reuse_parent(1);
  bench_reuse_parent(0);
  bench_sbrk_touch();
  bench_mmap_touch_munmap();
  bench_mprotect("mprotect_1_page", 1);
  bench_mprotect("mprotect_100_pages", 100);
  return 0;
}
