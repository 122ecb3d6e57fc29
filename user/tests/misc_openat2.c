/* misc_openat2: openat2(2) checks struct open_how strictly and walks with the RESOLVE_* restrictions.
 *   - a struct smaller than 24 bytes is EINVAL; a larger one is fine if the rest is zero, else E2BIG; unknown
 *     flag or resolve bits, a mode without O_CREAT, BENEATH with IN_ROOT are EINVAL; CACHED with O_CREAT EAGAIN
 *   - RESOLVE_BENEATH: no absolute path, no ".." out of the start, no absolute symlink (EXDEV)
 *   - RESOLVE_IN_ROOT: the start is the root for "/", ".." and absolute symlinks
 *   - RESOLVE_NO_SYMLINKS: ELOOP on any link; RESOLVE_NO_MAGICLINKS: ELOOP on /proc/self/fd/N
 *   - RESOLVE_NO_XDEV: EXDEV when the walk crosses into another mount (/proc)
 *   - O_TMPFILE (through open too): an unnamed file in /tmp, written and read back, with no links; read-only
 *     or with O_CREAT it is EINVAL
 * TEST: kernel-only
 * (qemu-user 7.2 has no openat2; checked on the reference Linux 6.1.)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

struct how {
  uint64_t flags, mode, resolve;
  uint64_t extra;
};
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#define RESOLVE_CACHED 0x20

static int openat2(int dirfd, const char* path, uint64_t flags, uint64_t mode, uint64_t resolve, size_t size,
                   uint64_t extra) {
  struct how h = {flags, mode, resolve, extra};
  int fd = (int)syscall(SYS_openat2, dirfd, path, &h, size);
  if (fd >= 0) close(fd);
  return fd >= 0 ? 0 : -errno;
}
static int open_how(int dirfd, const char* path, uint64_t resolve) {
  return openat2(dirfd, path, O_RDONLY, 0, resolve, 24, 0);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  mkdir("/tmp/oa2", 0755);
  mkdir("/tmp/oa2/a", 0755);
  int f = open("/tmp/oa2/a/file", O_CREAT | O_WRONLY, 0644);
  CHECK(f >= 0);
  close(f);
  unlink("/tmp/oa2/abs");
  unlink("/tmp/oa2/rel");
  CHECK(symlink("/tmp/oa2/a/file", "/tmp/oa2/abs") == 0 && symlink("a/file", "/tmp/oa2/rel") == 0);
  int dir = open("/tmp/oa2", O_RDONLY | O_DIRECTORY);
  CHECK(dir >= 0);

  CHECK(openat2(dir, "a/file", O_RDONLY, 0, 0, 16, 0) == -EINVAL);
  CHECK(openat2(dir, "a/file", O_RDONLY, 0, 0, 32, 0) == 0);
  CHECK(openat2(dir, "a/file", O_RDONLY, 0, 0, 32, 1) == -E2BIG);
  CHECK(openat2(dir, "a/file", O_RDONLY | (1ull << 40), 0, 0, 24, 0) == -EINVAL);
  CHECK(openat2(dir, "a/file", O_RDONLY, 0, 0x1337, 24, 0) == -EINVAL);
  CHECK(openat2(dir, "a/file", O_RDONLY, 0600, 0, 24, 0) == -EINVAL);
  CHECK(openat2(dir, "a/new", O_CREAT | O_WRONLY, 0xffff, 0, 24, 0) == -EINVAL);
  CHECK(openat2(dir, "a/file", O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT, 24, 0) == -EINVAL);
  CHECK(openat2(dir, "a/new", O_CREAT | O_WRONLY, 0600, RESOLVE_CACHED, 24, 0) == -EAGAIN);
  tl_say("struct open_how and its flags checked as Linux\n");

  CHECK(open_how(dir, "a/file", RESOLVE_BENEATH) == 0);
  CHECK(open_how(dir, "rel", RESOLVE_BENEATH) == 0);
  CHECK(open_how(dir, "../oa2/a/file", RESOLVE_BENEATH) == -EXDEV);
  CHECK(open_how(dir, "/tmp/oa2/a/file", RESOLVE_BENEATH) == -EXDEV);
  CHECK(open_how(dir, "abs", RESOLVE_BENEATH) == -EXDEV);
  tl_say("RESOLVE_BENEATH: EXDEV for every way out\n");
  CHECK(open_how(dir, "/a/file", RESOLVE_IN_ROOT) == 0);
  CHECK(open_how(dir, "../../a/file", RESOLVE_IN_ROOT) == 0);
  CHECK(open_how(dir, "abs", RESOLVE_IN_ROOT) == -ENOENT); /* /tmp/oa2/a/file under the new root */
  tl_say("RESOLVE_IN_ROOT: \"/\" and \"..\" stop at the start\n");
  CHECK(open_how(dir, "rel", RESOLVE_NO_SYMLINKS) == -ELOOP);
  CHECK(open_how(dir, "a/file", RESOLVE_NO_SYMLINKS) == 0);
  char magic[32];
  snprintf(magic, sizeof magic, "/proc/self/fd/%d", dir);
  CHECK(open_how(AT_FDCWD, magic, RESOLVE_NO_MAGICLINKS) == -ELOOP);
  CHECK(open_how(AT_FDCWD, magic, 0) == 0);
  tl_say("RESOLVE_NO_SYMLINKS and RESOLVE_NO_MAGICLINKS: ELOOP\n");
  int root = open("/", O_RDONLY | O_DIRECTORY);
  CHECK(open_how(root, "proc/self/status", RESOLVE_NO_XDEV) == -EXDEV);
  CHECK(open_how(dir, "a/file", RESOLVE_NO_XDEV) == 0);
  tl_say("RESOLVE_NO_XDEV: EXDEV into /proc\n");
  close(root);

  int tmp = open("/tmp/oa2", O_TMPFILE | O_RDWR, 0600);
  CHECK(tmp >= 0);
  struct stat st;
  CHECK(fstat(tmp, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600 && st.st_nlink == 0);
  CHECK((fcntl(tmp, F_GETFL) & (O_TMPFILE | O_ACCMODE)) == (O_TMPFILE | O_RDWR));
  char text[8] = {0};
  CHECK(write(tmp, "unnamed", 7) == 7 && pread(tmp, text, 7, 0) == 7 && strcmp(text, "unnamed") == 0);
  close(tmp);
  CHECK_ERRNO(open("/tmp/oa2", O_TMPFILE | O_RDONLY, 0600), EINVAL);
  CHECK_ERRNO(open("/tmp/oa2", O_TMPFILE | O_CREAT | O_RDWR, 0600), EINVAL);
  CHECK_ERRNO(open("/tmp/oa2/a/file", O_TMPFILE | O_RDWR, 0600), ENOTDIR);
  tl_say("O_TMPFILE: an unnamed file with no links; EINVAL read-only or with O_CREAT\n");
  close(dir);
  unlink("/tmp/oa2/abs");
  unlink("/tmp/oa2/rel");
  unlink("/tmp/oa2/a/file");
  rmdir("/tmp/oa2/a");
  rmdir("/tmp/oa2");
  return tl_done();
}
