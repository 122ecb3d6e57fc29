/* ext2_corrupt: a volume damaged on purpose (tests/qemu/ext2_test.py, scenario "corrupt": /bad-dir's ".." record
 * has rec_len 7, /bad-block's third block pointer lies past the end of the disk). Each damage gives EIO to the
 * program; the kernel says what it found and remounts the volume read-only; nothing crashes.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "testlib.h"

static int mount_options_start_with(const char* prefix) {
  FILE* f = fopen("/proc/mounts", "r");
  char line[256], source[64], point[64], type[16], options[64];
  int found = 0;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "%63s %63s %15s %63s", source, point, type, options) == 4 && strcmp(point, "/mnt") == 0)
      found = strncmp(options, prefix, strlen(prefix)) == 0;
  if (f) fclose(f);
  return found;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  long block_size = argc > 1 ? atol(argv[1]) : 1024;
  CHECK(mount_options_start_with("rw"));
  static char buf[16384];
  int fd = open("/mnt/bad-block", O_RDONLY);
  CHECK(fd >= 0);
  CHECK(pread(fd, buf, 2 * block_size, 0) == 2 * block_size);
  CHECK_ERRNO(pread(fd, buf, block_size, 2 * block_size), EIO);
  /* The block after the bad one reads fine, in the same page with 1 KiB blocks too (as on Linux 6.1). */
  CHECK(pread(fd, buf, 100, 3 * block_size + 10) == 100);
  CHECK(close(fd) == 0);
  tl_say("a block number past the end: EIO\n");
  CHECK_ERRNO(open("/mnt/bad-dir/inside", O_RDONLY), EIO);
  tl_say("a bad directory record: EIO\n");
  struct statvfs sv;
  CHECK(statvfs("/mnt", &sv) == 0 && (sv.f_flag & ST_RDONLY));
  CHECK(mount_options_start_with("ro"));
  CHECK_ERRNO(open("/mnt/new-file", O_WRONLY | O_CREAT, 0644), EROFS);
  CHECK(open("/mnt/bad-block", O_RDONLY) >= 0);
  tl_say("remounted read-only: EROFS for changes, reads still work\n");
  return tl_done();
}
