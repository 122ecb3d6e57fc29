/* bench_pagecache: the page cache of a disk file system (issue 11's performance rows). Run on an ext2 disk mounted
 * at /mnt: tools/run --disk IMG [--icount] build/riscv/user/bench/bench_pagecache [MODE] [DIR], and the same binary
 * on Linux 6.1: ../shared/reference-linux/run.sh --disk IMG [--icount] ... (IMG: an empty ext2 image of 160 MiB or
 * more, say mke2fs -t ext2 -b 4096 IMG 160M).
 *
 *   bench_pagecache icount [DIR]   instructions (rdinstret; run with --icount), per page or per call, of
 *     read_fault_cached        the first read of each page of a MAP_SHARED, PROT_READ mapping of a file whose
 *                              pages are all in the page cache (read before): the fault maps the cached page
 *                              (Linux maps up to 16 cached neighbours at once: fault-around; per page touched)
 *     shared_write_fault       the first write to each page of a MAP_SHARED, read-write mapping of a cached file:
 *                              the fault maps the page writable and the page becomes dirty
 *     read_cached_4k           pread() of 4 KiB at a page-aligned offset of a cached file, into a buffer already
 *                              touched
 *   bench_pagecache wall [DIR] [MIB]   wall time (CLOCK_MONOTONIC) of
 *     write_fsync              write()s of 64 KiB making a fresh MIB-MiB file (64 by default), then fsync
 *     read_cold                the file read back with read()s of 64 KiB after it left the page cache (close,
 *                              sync, and /proc/sys/vm/drop_caches where it exists), and the disk requests it took
 * Lines: "bench NAME: N instructions/op" and "bench NAME: N ms (R requests)".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define PG 4096UL

static char text[16384];

static void report(const char* name, uint64_t instructions, uint64_t ops) {
  printf("bench %s: %llu instructions/op\n", name, (unsigned long long)((instructions + ops / 2) / ops));
  fflush(stdout);
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* vda's completed read requests (/proc/diskstats). */
static unsigned long long disk_reads(void) {
  int fd = open("/proc/diskstats", O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  text[n > 0 ? n : 0] = '\0';
  const char* line = strstr(text, " vda ");
  unsigned long long reads = 0;
  if (line) sscanf(line + 5, "%llu", &reads);
  return reads;
}

static char* path(const char* dir, const char* name) {
  static char buf[512];
  snprintf(buf, sizeof buf, "%s/%s", dir, name);
  return buf;
}

/* A file of `pages` pages, written and read once: every page is in the page cache. */
static int cached_file(const char* dir, const char* name, size_t pages) {
  int fd = open(path(dir, name), O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  static char page[PG];
  for (size_t i = 0; i < pages; i++) {
    memset(page, (int)('a' + i % 26), PG);
    CHECK(write(fd, page, PG) == (ssize_t)PG);
  }
  CHECK(fsync(fd) == 0);
  for (size_t i = 0; i < pages; i++) CHECK(pread(fd, page, PG, (off_t)(i * PG)) == (ssize_t)PG);
  return fd;
}

static void bench_icount(const char* dir) {
  const size_t pages = 256;
  int fd = cached_file(dir, "bench_cached.bin", pages);

  /* Read faults on cached pages. */
  uint64_t total = 0;
  for (int round = 0; round < 5; round++) {
    volatile char* m = mmap(NULL, pages * PG, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    uint64_t t0 = tl_instret();
    for (size_t i = 0; i < pages; i++) (void)m[i * PG];
    uint64_t t = tl_instret() - t0;
    if (round) total += t;  /* round 0 warms up */
    munmap((void*)m, pages * PG);
  }
  report("read_fault_cached", total, pages * 4);

  /* Write faults on shared mappings of cached pages (each round's munmap keeps the pages dirty; fsync cleans
   * them, so that every round starts from clean, read-only-mapped pages as Linux's write-protect after
   * write-back does). */
  total = 0;
  for (int round = 0; round < 5; round++) {
    CHECK(fsync(fd) == 0);
    volatile char* m = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    uint64_t t0 = tl_instret();
    for (size_t i = 0; i < pages; i++) m[i * PG] = (char)round;
    uint64_t t = tl_instret() - t0;
    if (round) total += t;
    munmap((void*)m, pages * PG);
  }
  report("shared_write_fault", total, pages * 4);

  /* pread of a cached 4 KiB block. */
  static char buf[PG];
  memset(buf, 1, sizeof buf);
  const int n = 1000;
  for (int i = 0; i < 100; i++) CHECK(pread(fd, buf, PG, (off_t)((i % pages) * PG)) == (ssize_t)PG);
  uint64_t t0 = tl_instret();
  for (int i = 0; i < n; i++) (void)pread(fd, buf, PG, (off_t)((i % pages) * PG));
  report("read_cached_4k", tl_instret() - t0, n);
  CHECK(close(fd) == 0);
  CHECK(unlink(path(dir, "bench_cached.bin")) == 0);
}

static void drop_caches(void) {
  sync();
  int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
  if (fd >= 0) {
    CHECK(write(fd, "3", 1) == 1);
    close(fd);
  }
}

static void bench_wall(const char* dir, size_t mib) {
  const size_t chunk = 64 * 1024;
  char* buf = malloc(chunk);
  CHECK(buf != NULL);
  for (size_t i = 0; i < chunk; i++) buf[i] = (char)(i * 7 + 1);
  const char* file = path(dir, "bench_big.bin");
  drop_caches();
  int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  double start = now_ms();
  for (size_t done = 0; done < mib << 20; done += chunk) CHECK(write(fd, buf, chunk) == (ssize_t)chunk);
  CHECK(fsync(fd) == 0);
  double written = now_ms() - start;
  CHECK(close(fd) == 0);
  printf("bench write_fsync_%zumib: %.0f ms\n", mib, written);
  fflush(stdout);

  drop_caches();
  fd = open(file, O_RDONLY);
  CHECK(fd >= 0);
  unsigned long long reads = disk_reads();
  start = now_ms();
  size_t total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, chunk);
    CHECK(n >= 0);
    if (n <= 0) break;
    total += (size_t)n;
  }
  double read_ms = now_ms() - start;
  reads = disk_reads() - reads;
  CHECK(total == mib << 20);
  CHECK(buf[1] == (char)8);
  printf("bench read_cold_%zumib: %.0f ms (%llu requests)\n", mib, read_ms, reads);
  CHECK(close(fd) == 0);
  CHECK(unlink(file) == 0);
  free(buf);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  const char* mode = argc > 1 ? argv[1] : "icount";
  const char* dir = argc > 2 ? argv[2] : "/mnt";
  if (!strcmp(mode, "icount")) bench_icount(dir);
  else if (!strcmp(mode, "wall")) bench_wall(dir, argc > 3 ? (size_t)atoi(argv[3]) : 64);
  else {
    fprintf(stderr, "usage: bench_pagecache icount|wall [DIR] [MIB]\n");
    return 2;
  }
  return tl_done();
}
