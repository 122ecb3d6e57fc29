/* ext2_bigmap: a file larger than RAM through the page cache (tests/qemu/ext2_test.py, scenario bigmap).
 *   ext2_bigmap PATH SUM
 * PATH is a file the host wrote (mke2fs -d) and SUM the sum of its 64-bit little-endian words (mod 2^64), in
 * hexadecimal, computed on the host. The program maps the file (MAP_SHARED, read-only) and sums every page, twice,
 * then reads it with read() and sums it a third time. Each sum must be SUM. With the file larger than RAM, the
 * page cache must drop clean pages to make room (pgsteal_file in /proc/vmstat) and read them again on the second
 * pass: in both passes the pages read (pgpgin, KiB) are at least half the file's, with major faults (pgmajfault;
 * each reads a window of pages around it: read-around, so there are far fewer than pages).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmtest.h"
#include "testlib.h"

#define PG 4096UL

static unsigned long long sum_words(const unsigned long long* words, size_t n) {
  unsigned long long sum = 0;
  for (size_t i = 0; i < n; i++) sum += words[i];
  return sum;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc != 3) {
    tl_say("usage: ext2_bigmap PATH SUM");
    return 2;
  }
  unsigned long long want = strtoull(argv[2], NULL, 16);
  int fd = open(argv[1], O_RDONLY);
  CHECK(fd >= 0);
  struct stat st;
  CHECK(fstat(fd, &st) == 0);
  size_t size = (size_t)st.st_size;
  CHECK(size % PG == 0 && size > 0);
  unsigned long long pages = size / PG;
  const unsigned long long* map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
  CHECK(map != MAP_FAILED);
  if (map == MAP_FAILED) return tl_done();
  for (int pass = 1; pass <= 2; pass++) {
    unsigned long long major = mt_vmstat("pgmajfault"), kib_in = mt_vmstat("pgpgin");
    unsigned long long sum = sum_words(map, size / 8);
    unsigned long long faults = mt_vmstat("pgmajfault") - major, read_in = (mt_vmstat("pgpgin") - kib_in) / 4;
    tl_say("pass %d (mmap): sum %llx, %llu major faults, %llu pages read for %llu pages, pgsteal_file %llu", pass,
           sum, faults, read_in, pages, mt_vmstat("pgsteal_file"));
    CHECK(sum == want);
    CHECK(read_in >= pages / 2);  /* the second pass too: the first one's pages could not all stay */
    CHECK(faults >= pages / 64);  /* a fault reads 32 pages at most */
  }
  CHECK(mt_vmstat("pgsteal_file") > 0);
  CHECK(munmap((void*)map, size) == 0);
  /* read(): the same pages through the same cache. */
  static unsigned long long buffer[65536 / 8];
  unsigned long long sum = 0;
  size_t total = 0;
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    CHECK(n >= 0);
    if (n <= 0) break;
    CHECK(n % 8 == 0);
    sum += sum_words(buffer, (size_t)n / 8);
    total += (size_t)n;
  }
  tl_say("read(): sum %llx, %zu bytes", sum, total);
  CHECK(total == size);
  CHECK(sum == want);
  close(fd);
  return tl_done();
}
