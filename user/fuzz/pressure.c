/* Memory pressure beside the fuzzer (--pressure MIB): a process that keeps rewriting more memory than the
 * machine has free, so that page-out runs all the time and the workers' memory (the arena they inherit, its
 * copy-on-write pages, the shared anonymous and file mappings) goes to swap and comes back while fuzzed calls
 * unmap, protect, remap, advise and fork it.
 *
 * The pressure process also checks what swap gives back: every page it writes holds a stamp (the pass and the
 * page's index, at the first and the last word), and before a page is rewritten its previous stamp must still be
 * there. A wrong stamp is memory corruption, reported through the shared page as a sentinel is (fz_shared). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

enum { PAGES_PER_PAUSE = 16 }; /* then 1 ms of sleep: the workers keep most of the harts */

static u64 stamp(u64 pass, u64 page) { return 0x5afe000000000000ULL | (pass << 24) | page; }

static void report(u64 address, u64 expected, u64 found, u64 pass) {
  fz_shared->corrupt_expected = expected;
  fz_shared->corrupt_found = found;
  fz_shared->corrupt_worker = (u64)-2; /* the master prints -2 as "the pressure process" */
  fz_shared->corrupt_calls = pass;
  fz_shared->corrupt_address = address;
  printf("fuzz: pressure: MEMORY CORRUPTION at 0x%llx (pass %llu): 0x%016llx instead of 0x%016llx\n",
         (unsigned long long)address, (unsigned long long)pass, (unsigned long long)found,
         (unsigned long long)expected);
  _exit(4);
}

static void pressure_main(u64 pages) {
  u64* memory = mmap(NULL, pages * FZ_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    perror("fuzz: pressure: mmap");
    _exit(1);
  }
  const u64 words = FZ_PAGE / 8;
  const struct timespec pause = {0, 1000000};
  for (u64 pass = 1;; pass++) {
    for (u64 page = 0; page < pages; page++) {
      u64* p = memory + page * words;
      u64 before = pass == 1 ? 0 : stamp(pass - 1, page);
      if (p[0] != before) report((u64)&p[0], before, p[0], pass);
      if (p[words - 1] != before) report((u64)&p[words - 1], before, p[words - 1], pass);
      p[0] = p[words - 1] = stamp(pass, page);
      if (page % PAGES_PER_PAUSE == PAGES_PER_PAUSE - 1) nanosleep(&pause, NULL);
    }
  }
}

int fz_pressure_start(unsigned mib) {
  fflush(stdout);
  int pid = fork();
  if (pid == 0) pressure_main((u64)mib << 20 >> 12);
  if (pid < 0) perror("fuzz: pressure: fork");
  return pid;
}

/* Pages written to swap and read back since boot (/proc/vmstat), to show the pressure reached swap. */
void fz_swap_counts(u64* out, u64* in) {
  static char text[8192];
  *out = *in = 0;
  int fd = open("/proc/vmstat", O_RDONLY);
  if (fd < 0) return;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  text[n > 0 ? n : 0] = 0;
  for (char* line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    if (!strncmp(line, "pswpout ", 8)) *out = strtoull(line + 8, NULL, 10);
    if (!strncmp(line, "pswpin ", 7)) *in = strtoull(line + 7, NULL, 10);
  }
}
