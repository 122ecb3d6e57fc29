/* fs_fallocate: fallocate(2) as Linux 6.1 gives it on tmpfs and memfd (shmem_fallocate):
 *   - mode 0 grows the file to cover the range, which reads as zeros, and gives it storage (st_blocks);
 *     FALLOC_FL_KEEP_SIZE leaves the size alone
 *   - FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE: the range reads as zeros, partial pages keep their other
 *     bytes, whole pages are freed (st_blocks falls), the size stays; a shared mapping sees the zeros, a private
 *     mapping keeps the copy it wrote
 *   - memfd seals: F_SEAL_WRITE forbids punching, F_SEAL_GROW any range past the end, KEEP_SIZE too (EPERM)
 *   - errors in vfs_fallocate's order: EINVAL (negative offset, zero length), EOPNOTSUPP (unknown or
 *     unsupported modes, PUNCH_HOLE without KEEP_SIZE), EBADF (not open for writing), ESPIPE (a pipe),
 *     EISDIR (a directory), EFBIG (past the largest file)
 * Runs where /tmp is a tmpfs (Linux 6.1's rootfs is one; the qemu-user reference run gets a private tmpfs).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#define PAGE 4096

static long blocks_of(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? (long)st.st_blocks : -1;
}
static long size_of(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? (long)st.st_size : -1;
}
static int all_bytes(int fd, off_t at, size_t n, int value) {
  char buf[PAGE];
  while (n) {
    size_t chunk = n < sizeof buf ? n : sizeof buf;
    if (pread(fd, buf, chunk, at) != (ssize_t)chunk) return 0;
    for (size_t i = 0; i < chunk; i++)
      if (buf[i] != (char)value) return 0;
    at += chunk;
    n -= chunk;
  }
  return 1;
}
static int fill(int fd, off_t at, size_t n, int value) {
  char buf[PAGE];
  memset(buf, value, sizeof buf);
  while (n) {
    size_t chunk = n < sizeof buf ? n : sizeof buf;
    if (pwrite(fd, buf, chunk, at) != (ssize_t)chunk) return 0;
    at += chunk;
    n -= chunk;
  }
  return 1;
}

static void check_file(int fd, const char* what) {
  /* mode 0 and KEEP_SIZE */
  CHECK(size_of(fd) == 0 && blocks_of(fd) == 0);
  CHECK(fallocate(fd, 0, PAGE, 3 * PAGE) == 0);
  CHECK(size_of(fd) == 4 * PAGE);
  CHECK(blocks_of(fd) == 3 * PAGE / 512);
  CHECK(all_bytes(fd, 0, 4 * PAGE, 0));
  CHECK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, PAGE) == 0);
  CHECK(size_of(fd) == 4 * PAGE && blocks_of(fd) == 4 * PAGE / 512);
  CHECK(fallocate(fd, 0, 100, 10) == 0 && size_of(fd) == 4 * PAGE);  /* inside: nothing changes */
  tl_say("%s: mode 0 grows and allocates, KEEP_SIZE keeps the size\n", what);

  /* PUNCH_HOLE */
  CHECK(fill(fd, 0, 4 * PAGE, 'x'));
  char* shared = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  char* private = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  CHECK(shared != MAP_FAILED && private != MAP_FAILED);
  CHECK(shared[PAGE] == 'x' && private[2 * PAGE] == 'x');
  private[PAGE + 5] = 'p';  /* a private copy of page 1 */
  CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, PAGE / 2, 2 * PAGE + PAGE / 4) == 0);
  CHECK(size_of(fd) == 4 * PAGE);
  CHECK(all_bytes(fd, 0, PAGE / 2, 'x'));
  CHECK(all_bytes(fd, PAGE / 2, 2 * PAGE + PAGE / 4, 0));
  CHECK(all_bytes(fd, 2 * PAGE + 3 * PAGE / 4, PAGE + PAGE / 4, 'x'));
  CHECK(blocks_of(fd) == 3 * PAGE / 512);  /* page 1 freed; pages 0 and 2 partly zeroed; page 3 kept */
  CHECK(shared[PAGE] == 0 && shared[PAGE / 2] == 0 && shared[PAGE / 2 - 1] == 'x' && shared[3 * PAGE] == 'x');
  CHECK(private[PAGE + 5] == 'p' && private[PAGE] == 'x');  /* its own copy stays */
  CHECK(private[2 * PAGE] == 0);                             /* the file's page, zeroed */
  shared[PAGE] = 's';                                        /* the hole fills again through the mapping */
  CHECK(all_bytes(fd, PAGE, 1, 's'));
  CHECK(munmap(shared, 4 * PAGE) == 0 && munmap(private, 4 * PAGE) == 0);
  CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 100 * PAGE) == 0);
  CHECK(size_of(fd) == 4 * PAGE && blocks_of(fd) == 0 && all_bytes(fd, 0, 4 * PAGE, 0));
  tl_say("%s: PUNCH_HOLE zeroes the range, frees its pages, keeps the size and private copies\n", what);

  /* Errors */
  CHECK_ERRNO(fallocate(fd, 0, -1, PAGE), EINVAL);
  CHECK_ERRNO(fallocate(fd, 0, 0, 0), EINVAL);
  CHECK_ERRNO(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, PAGE), EOPNOTSUPP);
  CHECK_ERRNO(fallocate(fd, 0x100, 0, PAGE), EOPNOTSUPP);
  CHECK_ERRNO(fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, PAGE), EOPNOTSUPP);
  /* (Linux 6.1 checks COLLAPSE_RANGE's combinations before the file system: EINVAL; later kernels, as the host
   * qemu-user passes the call to, say EOPNOTSUPP.) */
  if (!KNOWN_QEMU_USER_DIFFERENCE("the host kernel is newer than 6.1: COLLAPSE_RANGE | KEEP_SIZE is EOPNOTSUPP"))
    CHECK_ERRNO(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, PAGE), EINVAL);
  CHECK_ERRNO(fallocate(fd, 0, 0x7fffffffffff0000L, 0x10000), EFBIG);
  tl_say("%s: EINVAL, EOPNOTSUPP, EFBIG as Linux\n", what);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  char path[64];
  snprintf(path, sizeof path, "/tmp/fs_fallocate.%d", getpid());
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  CHECK(fd >= 0);
  check_file(fd, "tmpfs file");
  int ro = open(path, O_RDONLY);
  CHECK_ERRNO(fallocate(ro, 0, 0, PAGE), EBADF);
  close(ro);
  close(fd);
  unlink(path);

  int memfd = memfd_create("fallocate", MFD_ALLOW_SEALING);
  CHECK(memfd >= 0);
  check_file(memfd, "memfd");
  CHECK(fallocate(memfd, 0, 0, 2 * PAGE) == 0);
  CHECK(fcntl(memfd, F_ADD_SEALS, F_SEAL_GROW) == 0);
  CHECK_ERRNO(fallocate(memfd, 0, 0, 8 * PAGE), EPERM);
  CHECK_ERRNO(fallocate(memfd, FALLOC_FL_KEEP_SIZE, 0, 8 * PAGE), EPERM);
  CHECK(fallocate(memfd, 0, 0, PAGE) == 0);
  CHECK(fcntl(memfd, F_ADD_SEALS, F_SEAL_WRITE) == 0);
  CHECK_ERRNO(fallocate(memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PAGE), EPERM);
  close(memfd);
  tl_say("memfd seals: F_SEAL_GROW and F_SEAL_WRITE give EPERM\n");

  int p[2];
  CHECK(pipe(p) == 0);
  CHECK_ERRNO(fallocate(p[1], 0, 0, PAGE), ESPIPE);
  int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
  CHECK(dir >= 0);
  CHECK_ERRNO(fallocate(dir, 0, 0, PAGE), EBADF);  /* a directory cannot be open for writing */
  tl_say("not a file: EBADF, ESPIPE\n");
  return tl_done();
}
