/* swap_locality: workloads with locality, for comparing replacement policies by their major faults
 * (tests/qemu/swap_test.py --scenario policy runs one under replacement=fifo and replacement=clock; lab 6's
 * grader, tools/grade swap, runs each under the student's policy and both yardsticks).
 *
 *   swap_locality [WORKLOAD] [PAGES [TOUCHES]]    (default hot, 20480 pages = 80 MiB, 60000 touches)
 * It writes every page once, then makes TOUCHES reads, each checked (a page that came back wrong fails the run).
 * The workloads (a fifth of the pages, the first ones, are the "hot" set where there is one):
 *   hot     with probability 0.8 a random hot page, otherwise a random cold page
 *   hot10   the same with 90% of the touches on a tenth of the pages
 *   moving  a working set of a fifth of the pages that moves across the area in 4 steps: 80% of the touches
 *           in the current set, the rest anywhere
 *   scan    three random hot pages, then the next cold page of a sequential scan (wrapping round), again and
 *           again: a hot set beside a stream of pages used once
 * It prints the major faults the touches took (/proc/vmstat's pgmajfault before and after: the program runs
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

static size_t hot_touch(size_t pages, size_t t, size_t touches) {
  (void)t, (void)touches;
  uint64_t r = next_random();
  size_t hot = pages / 5;
  return r % 10 < 8 ? (r >> 8) % hot : hot + (r >> 8) % (pages - hot);
}

static size_t hot10_touch(size_t pages, size_t t, size_t touches) {
  (void)t, (void)touches;
  uint64_t r = next_random();
  size_t hot = pages / 10;
  return r % 10 < 9 ? (r >> 8) % hot : hot + (r >> 8) % (pages - hot);
}

static size_t moving_touch(size_t pages, size_t t, size_t touches) {
  uint64_t r = next_random();
  size_t set = pages / 5, steps = 4;
  size_t step = t * steps / touches;
  size_t start = step * (pages - set) / (steps - 1);
  return r % 10 < 8 ? start + (r >> 8) % set : (r >> 8) % pages;
}

static size_t scan_next;
static size_t scan_touch(size_t pages, size_t t, size_t touches) {
  (void)touches;
  size_t hot = pages / 5;
  if (t % 4 != 3) return next_random() % hot;
  size_t page = hot + scan_next;
  scan_next = (scan_next + 1) % (pages - hot);
  return page;
}

static const struct {
  const char* name;
  size_t (*touch)(size_t pages, size_t t, size_t touches);
} workloads[] = {{"hot", hot_touch}, {"hot10", hot10_touch}, {"moving", moving_touch}, {"scan", scan_touch}};

int main(int argc, char** argv) {
  int arg = 1;
  size_t w = 0;
  if (argc > 1 && (argv[1][0] < '0' || argv[1][0] > '9')) {
    for (w = 0; w < sizeof workloads / sizeof workloads[0] && strcmp(workloads[w].name, argv[1]); w++) {}
    if (w == sizeof workloads / sizeof workloads[0]) {
      fprintf(stderr, "swap_locality: no workload %s (hot, hot10, moving, scan)\n", argv[1]);
      return 2;
    }
    arg++;
  }
  size_t pages = argc > arg ? strtoul(argv[arg], NULL, 0) : 20480;
  size_t touches = argc > arg + 1 ? strtoul(argv[arg + 1], NULL, 0) : 60000;
  if (pages < 10 || touches < 1) {
    fprintf(stderr, "swap_locality: at least 10 pages and 1 touch\n");
    return 2;
  }
  char* base = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  for (size_t i = 0; i < pages; i++) *(uint64_t*)(base + i * PAGE) = i * 2654435761u + 1;
  unsigned long long before = major_faults();
  size_t wrong = 0;
  for (size_t t = 0; t < touches; t++) {
    size_t page = workloads[w].touch(pages, t, touches);
    if (*(volatile uint64_t*)(base + page * PAGE) != page * 2654435761u + 1) wrong++;
  }
  unsigned long long after = major_faults();
  printf("workload %s pages %zu touches %zu\n", workloads[w].name, pages, touches);
  printf("major faults: %llu\n", after - before);
  printf("wrong pages: %zu\n", wrong);
  return wrong == 0 ? 0 : 1;
}
