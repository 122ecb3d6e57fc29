/* ext2_readahead DIR: read-ahead of the page cache (tests/qemu/ext2_test.py, scenario readahead), counted with the
 * disk's requests in /proc/diskstats. DIR holds seq.bin, map.bin and rand.bin, 8 MiB each, made by the host: the
 * 8-byte word at byte offset o holds (o / 8) * K + seed (K below, seed 1, 2, 3), so every byte read is checked.
 *   - seq.bin read cold with 4 KiB read()s, as cat does: read-ahead reads windows growing to 128 KiB, so far fewer
 *     requests than the 2048 pages (one request a page without read-ahead); read again warm: no request at all
 *   - map.bin mapped and scanned a word per page: faults read around and then a window ahead (major faults and
 *     requests far below the pages)
 *   - rand.bin: 64 pread()s of 4 KiB at scattered pages: no read-ahead for random reads (the sectors read are
 *     the 64 pages' and the file's block-map blocks, not windows)
 *   - BLKRAGET on /dev/vda says 256 sectors (128 KiB, Linux's default); with BLKRASET 0 (blockdev --setra 0)
 *     off.bin is read a page per request, as before read-ahead existed. The wall times of the two cold reads are
 *     printed.
 * It runs on Linux 6.1 too (run.sh --disk), which reads ahead as well.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#define PG 4096UL
#define FILE_BYTES (8UL << 20)
#define PAGES (FILE_BYTES / PG)
#define K 0x9E3779B97F4A7C15ull

static char text[16384];

struct disk_counts {
  unsigned long long reads, sectors;
};

/* vda's completed reads and sectors read (the 1st and 3rd counters after the name in /proc/diskstats). */
static struct disk_counts disk_counts(void) {
  struct disk_counts c = {0, 0};
  int fd = open("/proc/diskstats", O_RDONLY);
  CHECK(fd >= 0);
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  text[n > 0 ? n : 0] = '\0';
  const char* line = strstr(text, " vda ");
  CHECK(line != NULL);
  if (!line) return c;
  unsigned long long merged;
  CHECK(sscanf(line + 5, "%llu %llu %llu", &c.reads, &merged, &c.sectors) == 3);
  return c;
}

static unsigned long long vmstat(const char* name) {
  int fd = open("/proc/vmstat", O_RDONLY);
  CHECK(fd >= 0);
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  text[n > 0 ? n : 0] = '\0';
  size_t len = strlen(name);
  for (char* p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
    if (!strncmp(p, name, len) && p[len] == ' ') return strtoull(p + len + 1, NULL, 10);
  CHECK(!"vmstat line missing");
  return 0;
}

/* Bad words in n bytes at byte offset `at` of a file with `seed`. */
static unsigned long bad_words(const uint64_t* words, size_t n, uint64_t at, uint64_t seed) {
  unsigned long bad = 0;
  for (size_t i = 0; i < n / 8; i++)
    if (words[i] != (at / 8 + i) * K + seed) bad++;
  return bad;
}

static char* path(const char* dir, const char* name) {
  static char buf[512];
  snprintf(buf, sizeof buf, "%s/%s", dir, name);
  return buf;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static unsigned long long read_whole(int fd, unsigned long* bad, uint64_t seed) {
  static uint64_t page[PG / 8];
  unsigned long long total = 0;
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  for (;;) {
    ssize_t n = read(fd, page, PG);
    CHECK(n >= 0);
    if (n <= 0) break;
    *bad += bad_words(page, (size_t)n, total, seed);
    total += (unsigned long long)n;
  }
  return total;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  const char* dir = argc > 1 ? argv[1] : "/mnt";
  /* Each block of block numbers (an indirect block: 256 KiB of a file with 1 KiB blocks, 4 MiB with 4 KiB ones)
   * is one request of its own and splits the file's run of data blocks in two: two requests more. */
  struct stat st;
  CHECK(stat(path(dir, "seq.bin"), &st) == 0);
  unsigned long block = st.st_blksize ? (unsigned long)st.st_blksize : 1024;
  unsigned long map_blocks = FILE_BYTES / (block / 4 * block) + 1;
  unsigned long most = PAGES / 32 + 2 * map_blocks + 8;  /* 32-page windows, the block map, the ramp up */
  printf("%lu-byte blocks: at most %lu requests expected for %lu pages\n", block, most, PAGES);

  /* Sequential read(), cold then warm. */
  int fd = open(path(dir, "seq.bin"), O_RDONLY);
  CHECK(fd >= 0);
  struct disk_counts before = disk_counts();
  unsigned long bad = 0;
  double start = now_ms();
  unsigned long long total = read_whole(fd, &bad, 1);
  double seq_ms = now_ms() - start;
  struct disk_counts after = disk_counts();
  unsigned long long requests = after.reads - before.reads, sectors = after.sectors - before.sectors;
  CHECK(total == FILE_BYTES);
  CHECK(bad == 0);
  printf("sequential read of %lu pages: %llu requests, %llu sectors\n", PAGES, requests, sectors);
  CHECK(requests <= most);
  CHECK(sectors >= FILE_BYTES / 512 && sectors <= FILE_BYTES / 512 + 1024);
  tl_say("a sequential read() reads ahead\n");
  before = disk_counts();
  total = read_whole(fd, &bad, 1);
  after = disk_counts();
  CHECK(total == FILE_BYTES && bad == 0);
  printf("again, cached: %llu requests\n", after.reads - before.reads);
  CHECK(after.reads == before.reads);
  CHECK(close(fd) == 0);

  /* A scan through a mapping. */
  fd = open(path(dir, "map.bin"), O_RDONLY);
  CHECK(fd >= 0);
  uint64_t* m = mmap(NULL, FILE_BYTES, PROT_READ, MAP_SHARED, fd, 0);
  CHECK(m != MAP_FAILED);
  unsigned long long majors = vmstat("pgmajfault");
  before = disk_counts();
  bad = 0;
  for (unsigned long p = 0; p < PAGES; p++) {
    uint64_t at = p * PG + (p % 512) * 8;
    if (m[at / 8] != (at / 8) * K + 2) bad++;
  }
  after = disk_counts();
  majors = vmstat("pgmajfault") - majors;
  requests = after.reads - before.reads;
  CHECK(bad == 0);
  printf("scan of a %lu-page mapping: %llu major faults, %llu requests\n", PAGES, majors, requests);
  CHECK(majors >= 1 && majors <= PAGES / 16);
  CHECK(requests <= most);
  CHECK(munmap(m, FILE_BYTES) == 0);
  CHECK(close(fd) == 0);
  tl_say("a scan through a mapping reads around and ahead\n");

  /* Random pread()s: no window. */
  fd = open(path(dir, "rand.bin"), O_RDONLY);
  CHECK(fd >= 0);
  before = disk_counts();
  bad = 0;
  static uint64_t page[PG / 8];
  for (unsigned long i = 0; i < 64; i++) {
    unsigned long p = (i * 797 + 13) % PAGES;  /* 64 pages far apart */
    CHECK(pread(fd, page, PG, (off_t)(p * PG)) == (ssize_t)PG);
    bad += bad_words(page, PG, p * PG, 3);
  }
  after = disk_counts();
  sectors = after.sectors - before.sectors;
  CHECK(bad == 0);
  printf("64 random preads: %llu requests, %llu sectors\n", after.reads - before.reads, sectors);
  /* The pages (8 sectors each) and the block-map blocks on their way (1 KiB blocks: an indirect block per 256 KiB). */
  CHECK(sectors >= 64 * 8 && sectors <= 64 * 8 + 160);
  CHECK(close(fd) == 0);
  tl_say("random reads read what they ask for\n");

  /* The disk's read-ahead setting, and read-ahead off. */
  int disk = open("/dev/vda", O_RDONLY);
  CHECK(disk >= 0);
  long ra = -1;
  CHECK(ioctl(disk, BLKRAGET, &ra) == 0);
  CHECK(ra == 256);
  CHECK(ioctl(disk, BLKRASET, 0UL) == 0);
  CHECK(ioctl(disk, BLKRAGET, &ra) == 0 && ra == 0);
  fd = open(path(dir, "off.bin"), O_RDONLY);
  CHECK(fd >= 0);
  before = disk_counts();
  bad = 0;
  start = now_ms();
  total = read_whole(fd, &bad, 4);
  double off_ms = now_ms() - start;
  after = disk_counts();
  CHECK(total == FILE_BYTES && bad == 0);
  requests = after.reads - before.reads;
  printf("read-ahead off: %llu requests for %lu pages\n", requests, PAGES);
  CHECK(requests >= PAGES);
  printf("cold sequential read of 8 MiB: %.0f ms with read-ahead, %.0f ms without\n", seq_ms, off_ms);
  CHECK(close(fd) == 0);
  CHECK(ioctl(disk, BLKRASET, 256UL) == 0);
  CHECK(ioctl(disk, BLKRAGET, &ra) == 0 && ra == 256);
  CHECK(close(disk) == 0);
  tl_say("BLKRASET 0 turns read-ahead off\n");
  return tl_done();
}
