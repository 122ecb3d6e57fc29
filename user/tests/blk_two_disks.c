/* blk_two_disks: two disks at once, /dev/vda (1 MiB) and /dev/vdb (3 MiB): each has its own size, and data
 * written to one never shows on the other, also when two processes use them at the same time.
 * The images afterwards must equal the ones the same program leaves under qemu-user.
 * TEST: disk=1M
 * TEST: disk=3M
 * TEST: args=/dev/vda /dev/vdb
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blktest.h"
#include "testlib.h"

static unsigned char buf[64 << 10];

static int fill_disk(const char* path, unsigned seed) {
  int fd = open(path, O_RDWR);
  if (fd < 0) return 0;
  off_t size = lseek(fd, 0, SEEK_END);
  for (off_t at = 0; at < size; at += (off_t)sizeof buf) {
    blk_fill(buf, sizeof buf, (uint64_t)at, seed);
    if (blk_pwrite_full(fd, buf, sizeof buf, at) != (ssize_t)sizeof buf) return 0;
  }
  int ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

static int disk_holds(const char* path, unsigned seed) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  off_t size = lseek(fd, 0, SEEK_END);
  int ok = 1;
  for (off_t at = 0; at < size && ok; at += (off_t)sizeof buf)
    ok = blk_pread_full(fd, buf, sizeof buf, at) == (ssize_t)sizeof buf && blk_matches(buf, sizeof buf, (uint64_t)at, seed);
  close(fd);
  return ok;
}

static off_t size_of(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  off_t size = lseek(fd, 0, SEEK_END);
  close(fd);
  return size;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc < 3) return 2;
  tl_say("sizes %lld %lld\n", (long long)size_of(argv[1]), (long long)size_of(argv[2]));
  CHECK(size_of(argv[1]) == 1 << 20 && size_of(argv[2]) == 3 << 20);

  /* One process per disk, at the same time. */
  pid_t a = fork();
  if (a == 0) _exit(fill_disk(argv[1], 1) ? 0 : 1);
  pid_t b = fork();
  if (b == 0) _exit(fill_disk(argv[2], 2) ? 0 : 1);
  int sa = -1, sb = -1;
  CHECK(waitpid(a, &sa, 0) == a && WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
  CHECK(waitpid(b, &sb, 0) == b && WIFEXITED(sb) && WEXITSTATUS(sb) == 0);
  CHECK(disk_holds(argv[1], 1));
  CHECK(disk_holds(argv[2], 2));
  tl_say("each disk holds its own data\n");

  /* Swap the contents through one process holding both open. */
  CHECK(fill_disk(argv[2], 3));
  CHECK(fill_disk(argv[1], 4));
  CHECK(disk_holds(argv[1], 4) && disk_holds(argv[2], 3));
  tl_say("rewritten in the other order\n");
  return tl_done();
}
