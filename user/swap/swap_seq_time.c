/* swap_seq_time: the wall time of the second sequential pass over twice the machine's RAM (BENCHMARKS.md, the
 * swap rows: the same binary on this kernel and on Linux 6.1 under the same QEMU, disk, RAM and swap).
 *
 *   swap_seq_time [MiB]    (default 128: twice a 64 MiB machine)
 * Pass 1 writes every page (most go to swap); pass 2 reads every page sequentially and checks it, timed with
 * CLOCK_MONOTONIC. Prints the pass-2 time in milliseconds, the pages per second, and /proc/vmstat's pswpin,
 * pswpout and pgmajfault over pass 2, and the instructions the hart retired per page in each pass (rdinstret: exact
 * under QEMU's -icount, where waiting for the disk retires almost nothing, so the figure is the CPU work of
 * paging: the fault, the read, the page-out of another page, the user loop's few dozen instructions).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mmtest.h"

#define PAGE 4096UL

static unsigned long long vmstat(const char* name) { return mt_vmstat(name); }

static uint64_t instret(void) {
  uint64_t n;
  __asm__ volatile("rdinstret %0" : "=r"(n));
  return n;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char** argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 128;
  size_t pages = mib * 256;
  char* base = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  unsigned long long out_before = vmstat("pswpout");
  uint64_t i0 = instret();
  for (size_t i = 0; i < pages; i++)
    for (size_t w = 0; w < PAGE / 8; w += 64) ((uint64_t*)(base + i * PAGE))[w] = i * 31 + w;
  uint64_t i1 = instret();
  printf("first pass: %llu instructions per page (%llu pages written to swap)\n",
         (unsigned long long)((i1 - i0) / pages), vmstat("pswpout") - out_before);
  unsigned long long in0 = vmstat("pswpin"), out0 = vmstat("pswpout"), maj0 = vmstat("pgmajfault");
  double t0 = now_ms();
  uint64_t i2 = instret();
  size_t wrong = 0;
  for (size_t i = 0; i < pages; i++)
    for (size_t w = 0; w < PAGE / 8; w += 64) wrong += ((uint64_t*)(base + i * PAGE))[w] != i * 31 + w;
  double t1 = now_ms();
  uint64_t i3 = instret();
  printf("second pass: %llu instructions per page\n", (unsigned long long)((i3 - i2) / pages));
  printf("second pass: %.0f ms for %zu pages (%.0f pages/s)\n", t1 - t0, pages, pages / ((t1 - t0) / 1e3));
  printf("pswpin %llu pswpout %llu pgmajfault %llu\n", vmstat("pswpin") - in0, vmstat("pswpout") - out0,
         vmstat("pgmajfault") - maj0);
  printf("wrong pages: %zu\n", wrong);
  return wrong != 0;
}
