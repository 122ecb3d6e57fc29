/* ext2_ioerror: the disk fails reads of one block of /mnt/data (QEMU blkdebug; tests/qemu/ext2_test.py, scenario
 * "ioerror"). A read reaching that block's page is short, then EIO; the rest of the file and the volume keep
 * working.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

#include "testlib.h"

int main(int argc, char** argv) {
  tl_init(argc, argv);
  long bs = argc > 1 ? atol(argv[1]) : 1024;
  static char buf[8 * 4096];
  int fd = open("/mnt/data", O_RDONLY);
  CHECK(fd >= 0);
  /* A short read up to the page of the bad block, or EIO if it is the first page: the page cache reads a page
   * at a time, and Linux 6.1 gives the same with 1 KiB blocks (run.sh --disk with this blkdebug rule). */
  long good = 3 * bs / 4096 * 4096;
  if (good)
    CHECK(pread(fd, buf, 8 * bs, 0) == good);
  else
    CHECK_ERRNO(pread(fd, buf, 8 * bs, 0), EIO);
  CHECK_ERRNO(pread(fd, buf, 100, 3 * bs + 10), EIO);
  CHECK(pread(fd, buf, 4 * bs, 4 * bs) == 4 * bs);
  CHECK(close(fd) == 0);
  tl_say("reads: short, EIO at the bad block, fine past it\n");
  fd = open("/mnt/new", O_WRONLY | O_CREAT, 0644);
  CHECK(fd >= 0 && write(fd, "still writable", 14) == 14 && fsync(fd) == 0 && close(fd) == 0);
  tl_say("the volume keeps working\n");
  return tl_done();
}
