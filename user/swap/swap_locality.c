/* swap_locality: a workload with locality (80% of the touches on 20% of the pages), for comparing replacement
 * policies by their major faults (tests/qemu/swap_test.py --scenario policy runs it under replacement=fifo and
 * replacement=clock).
 *
 *   swap_locality [PAGES [TOUCHES]]    (default 20480 pages = 80 MiB, 60000 touches)
 * It writes every page once (the first 20% are the hot set), then makes TOUCHES reads: with probability 0.8 a
 * random hot page, otherwise a random cold page, each checked (a page that came back wrong fails the run). It
 * prints the major faults the touches took (/proc/vmstat's pgmajfault before and after: the program runs
 * alone) and exits 0 if every page read was right.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mmtest.h"

#define PAGE 4096UL

static unsigned long long major_faults(void) { return mt_vmstat("pgmajfault"); }

static uint64_t rng = 88172645463325252ull;
static uint64_t next_random(void) {  /* xorshift64 */
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

int main(int argc, char** argv) {
  size_t pages = argc > 1 ? strtoul(argv[1], NULL, 0) : 20480;
  size_t touches = argc > 2 ? strtoul(argv[2], NULL, 0) : 60000;
  size_t hot = pages / 5;
  char* base = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  for (size_t i = 0; i < pages; i++) *(uint64_t*)(base + i * PAGE) = i * 2654435761u + 1;
  unsigned long long before = major_faults();
  size_t wrong = 0, hot_touches = 0;
  for (size_t t = 0; t < touches; t++) {
    uint64_t r = next_random();
    size_t page;
    if (r % 10 < 8) {
      page = (r >> 8) % hot;
      hot_touches++;
    } else {
      page = hot + (r >> 8) % (pages - hot);
    }
    if (*(volatile uint64_t*)(base + page * PAGE) != page * 2654435761u + 1) wrong++;
  }
  unsigned long long after = major_faults();
  printf("pages %zu hot %zu touches %zu (hot %zu)\n", pages, hot, touches, hot_touches);
  printf("major faults: %llu\n", after - before);
  printf("wrong pages: %zu\n", wrong);
  return wrong == 0 ? 0 : 1;
}
