/* ext2_pagecache: write-back of a shared file mapping on ext2 (tests/qemu/ext2_test.py, scenario pagecache).
 *   - a 256-page file written with write() and fsync'ed; a MAP_SHARED mapping stores into two pages; msync(MS_SYNC)
 *     writes those pages and not the file (the sectors written, from /proc/diskstats, are far below the file's
 *     2048); a second msync with nothing new writes at most a little metadata
 *   - a store into page 100, then munmap and close with no msync and no fsync: the flusher writes it within its
 *     period (5 s). The program prints "stored without msync" and sleeps; the host kills QEMU some seconds later (a
 *     power cut) and finds every store in the image with debugfs.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testlib.h"

#define PG 4096UL
#define PAGES 256

static char text[8192];

/* Sectors written to vda so far (the 7th counter after the name in /proc/diskstats). */
static unsigned long long sectors_written(void) {
  int fd = open("/proc/diskstats", O_RDONLY);
  CHECK(fd >= 0);
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  text[n > 0 ? n : 0] = '\0';
  const char* line = strstr(text, " vda ");
  CHECK(line != NULL);
  if (!line) return 0;
  unsigned long long c[7] = {0};
  CHECK(sscanf(line + 5, "%llu %llu %llu %llu %llu %llu %llu", &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6]) == 7);
  return c[6];
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int fd = open("/mnt/pc.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  static char page[PG];
  for (int i = 0; i < PAGES; i++) {
    memset(page, 'A' + i % 26, PG);
    CHECK(write(fd, page, PG) == (ssize_t)PG);
  }
  CHECK(fsync(fd) == 0);
  char* m = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(m != MAP_FAILED);
  /* Counted from before the stores: if the flusher takes the pages first, its writes fall in the window too. */
  unsigned long long before = sectors_written();
  memcpy(m + 3 * PG + 10, "msync page 3", 12);
  memcpy(m + 200 * PG + 20, "msync page 200", 14);
  CHECK(msync(m, PAGES * PG, MS_SYNC) == 0);
  unsigned long long first = sectors_written() - before;
  fprintf(stderr, "msync with 2 dirty pages wrote %llu sectors (the file has %lu)\n", first, PAGES * PG / 512);
  CHECK(first >= 2 * PG / 512 && first <= 32 * PG / 512);
  before = sectors_written();
  CHECK(msync(m, PAGES * PG, MS_SYNC) == 0);
  unsigned long long second = sectors_written() - before;
  fprintf(stderr, "msync with nothing dirty wrote %llu sectors\n", second);
  CHECK(second < 2 * PG / 512);
  tl_say("msync writes back only the dirty pages\n");

  memcpy(m + 100 * PG + 30, "flusher page 100", 16);
  CHECK(munmap(m, PAGES * PG) == 0);
  CHECK(close(fd) == 0);
  if (tl_failures) return tl_done();
  tl_say("stored without msync\n");
  fflush(stdout);
  sleep(60);  /* the host cuts the power meanwhile */
  return tl_done();
}
