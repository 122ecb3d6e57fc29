/* blk_diskstats: /proc/partitions lists the disks and /proc/diskstats counts what reached them, in Linux's
 * formats (so tests and tools can count the writes a workload caused).
 *   - /proc/partitions: "major minor  #blocks  name", then " 254        0       4096 vda"
 *   - /proc/diskstats: the vda line has major 254, minor 0 and at least 17 counters; after a 64 KiB write and
 *     fsync, sectors written grew by at least 128, writes by at least 1, flushes by at least 1; after a 4 KiB
 *     read of sectors never touched, sectors read grew by at least 8
 * Kernel-only: under qemu-user /proc is the host's. Checked on Linux 6.1 (reference-linux/run.sh --disk).
 * TEST: kernel-only
 * TEST: disk=4M
 * TEST: args=/dev/vda
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

#include "testlib.h"

static char text[8192];

static const char* slurp(const char* path) {
  int fd = open(path, O_RDONLY);
  CHECK(fd >= 0);
  ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
  text[n > 0 ? n : 0] = '\0';
  if (fd >= 0) close(fd);
  return text;
}

/* The counters of the vda line of /proc/diskstats; returns how many there are. */
static int vda_counters(unsigned long long c[20]) {
  const char* line = strstr(slurp("/proc/diskstats"), " vda ");
  CHECK(line != NULL);
  if (!line) return 0;
  /* Back to the start of the line, for major and minor. */
  const char* start = line;
  while (start > text && start[-1] != '\n') start--;
  unsigned major = 0, minor = 0;
  CHECK(sscanf(start, "%u %u", &major, &minor) == 2 && major == 254 && minor == 0);
  int n = 0;
  const char* p = line + 5;
  while (n < 20) {
    char* end;
    unsigned long long v = strtoull(p, &end, 10);
    if (end == p) break;
    c[n++] = v;
    p = end;
    if (*p == '\n' || *p == '\0') break;
  }
  return n;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc < 2) return 2;
  const char* partitions = slurp("/proc/partitions");
  CHECK(strncmp(partitions, "major minor  #blocks  name\n\n", 28) == 0);
  CHECK(strstr(partitions, " 254        0       4096 vda\n") != NULL);
  tl_say("/proc/partitions lists vda\n");

  unsigned long long before[20] = {0}, after[20] = {0};
  CHECK(vda_counters(before) >= 17);
  int fd = open(argv[1], O_RDWR);
  CHECK(fd >= 0);
  static unsigned char buf[65536];
  memset(buf, 0x5a, sizeof buf);
  CHECK(pwrite(fd, buf, sizeof buf, 0) == (ssize_t)sizeof buf);
  CHECK(fsync(fd) == 0);
  CHECK(vda_counters(after) >= 17);
  CHECK(after[6] >= before[6] + 128); /* sectors written */
  CHECK(after[4] >= before[4] + 1);   /* writes completed */
  CHECK(after[15] >= before[15] + 1); /* flushes completed */
  tl_say("a write and fsync are counted\n");
  memcpy(before, after, sizeof before);
  CHECK(pread(fd, buf, 4096, 2 << 20) == 4096);
  CHECK(vda_counters(after) >= 17);
  CHECK(after[2] >= before[2] + 8); /* sectors read */
  CHECK(after[0] >= before[0] + 1); /* reads completed */
  tl_say("a read is counted\n");
  close(fd);
  return tl_done();
}
