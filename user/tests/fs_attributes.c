/* fs_attributes: the calls that change a file's attributes, named pipes, and the random devices.
 *   - utimensat: explicit times, UTIME_NOW, UTIME_OMIT, NULL times, futimens (a NULL path on a descriptor),
 *     AT_SYMLINK_NOFOLLOW on a link; EINVAL for a bad tv_nsec or flag
 *   - fchmod / fchmodat; fchown / fchownat / lchown record the owner; chown clears set-user-ID
 *   - mknodat: a FIFO (named-pipe semantics: O_NONBLOCK opens, ENXIO for a writer without reader, a blocking
 *     reader waits for a writer, bytes flow, EOF when the writer goes), a character device that works,
 *     EPERM for S_IFDIR, EINVAL for a bad type, EEXIST
 *   - /dev/urandom and /dev/random give bytes that differ from read to read
 * Everything happens in /tmp/fs_attributes.PID, removed at the end.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static char dir[64], path[128];

static const char* at(const char* name) {
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return path;
}

static void make_file(const char* name) {
  int fd = open(at(name), O_WRONLY | O_CREAT | O_EXCL, 0644);
  CHECK(fd >= 0);
  CHECK(write(fd, "data", 4) == 4);
  CHECK(close(fd) == 0);
}

static void times(void) {
  make_file("t");
  struct timespec ts[2] = {{1000000000, 123456789}, {1100000000, 5}};
  CHECK(utimensat(AT_FDCWD, at("t"), ts, 0) == 0);
  struct stat st;
  CHECK(stat(at("t"), &st) == 0);
  CHECK(st.st_atim.tv_sec == 1000000000 && st.st_mtim.tv_sec == 1100000000);
  /* Only the access time changes; then the modification time becomes now. */
  struct timespec omit[2] = {{5, 0}, {0, UTIME_OMIT}};
  CHECK(utimensat(AT_FDCWD, at("t"), omit, 0) == 0);
  CHECK(stat(at("t"), &st) == 0);
  CHECK(st.st_atim.tv_sec == 5 && st.st_mtim.tv_sec == 1100000000);
  struct timespec now[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
  CHECK(utimensat(AT_FDCWD, at("t"), now, 0) == 0);
  CHECK(stat(at("t"), &st) == 0);
  CHECK(st.st_atim.tv_sec == 5 && st.st_mtim.tv_sec >= time(NULL) - 5);
  CHECK(utimensat(AT_FDCWD, at("t"), NULL, 0) == 0);
  CHECK(stat(at("t"), &st) == 0);
  CHECK(st.st_atim.tv_sec >= time(NULL) - 5 && st.st_atim.tv_sec != 5);
  /* futimens: glibc passes a NULL path. */
  int fd = open(at("t"), O_RDONLY);
  CHECK(fd >= 0);
  CHECK(futimens(fd, ts) == 0);
  CHECK(fstat(fd, &st) == 0 && st.st_mtim.tv_sec == 1100000000);
  CHECK(close(fd) == 0);
  /* Errors. */
  struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
  CHECK_ERRNO(utimensat(AT_FDCWD, at("t"), bad, 0), EINVAL);
  CHECK_ERRNO(utimensat(AT_FDCWD, at("t"), ts, 0x8000), EINVAL);
  CHECK_ERRNO(utimensat(AT_FDCWD, at("missing"), ts, 0), ENOENT);
  /* A symbolic link's own times. */
  CHECK(symlink("t", at("link")) == 0);
  CHECK(utimensat(AT_FDCWD, at("link"), omit, AT_SYMLINK_NOFOLLOW) == 0);
  CHECK(lstat(at("link"), &st) == 0 && st.st_atim.tv_sec == 5);
  CHECK(stat(at("t"), &st) == 0 && st.st_atim.tv_sec == 1000000000);
  tl_say("utimensat: times, UTIME_NOW, UTIME_OMIT, futimens, links, errors\n");
}

static void modes_and_owners(void) {
  make_file("m");
  CHECK(chmod(at("m"), 04755) == 0);
  struct stat st;
  CHECK(stat(at("m"), &st) == 0 && (st.st_mode & 07777) == 04755);
  int fd = open(at("m"), O_RDONLY);
  CHECK(fd >= 0);
  CHECK(fchmod(fd, 0600) == 0);
  CHECK(fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0600);
  CHECK(fchmodat(AT_FDCWD, at("m"), 06751, 0) == 0);
  /* chown by root still clears set-user-ID, and set-group-ID when group execution is on. */
  CHECK(fchown(fd, 1234, 5678) == 0);
  CHECK(fstat(fd, &st) == 0 && st.st_uid == 1234 && st.st_gid == 5678 && (st.st_mode & 07777) == 0751);
  CHECK(chown(at("m"), -1, 42) == 0);
  CHECK(stat(at("m"), &st) == 0 && st.st_uid == 1234 && st.st_gid == 42);
  CHECK(close(fd) == 0);
  CHECK(fchownat(AT_FDCWD, at("link"), 7, 8, AT_SYMLINK_NOFOLLOW) == 0);
  CHECK(lstat(at("link"), &st) == 0 && st.st_uid == 7 && st.st_gid == 8);
  CHECK(stat(at("link"), &st) == 0 && st.st_uid != 7);
  CHECK_ERRNO(fchownat(AT_FDCWD, at("m"), 1, 1, 0x4000), EINVAL);
  CHECK(chown(at("m"), 0, 0) == 0);
  CHECK(chown(at("link"), 0, 0) == 0);
  tl_say("chmod, fchmod, fchmodat, chown, fchown, fchownat\n");
}

static void fifos(void) {
  CHECK(mkfifo(at("fifo"), 0640) == 0);
  struct stat st;
  CHECK(stat(at("fifo"), &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0640);
  CHECK_ERRNO(mkfifo(at("fifo"), 0640), EEXIST);
  /* Without a reader, a non-blocking writer cannot open. */
  CHECK_ERRNO(open(at("fifo"), O_WRONLY | O_NONBLOCK), ENXIO);
  int r = open(at("fifo"), O_RDONLY | O_NONBLOCK);
  CHECK(r >= 0);
  char buf[64];
  CHECK(read(r, buf, sizeof buf) == 0); /* no writer yet: end of file */
  int w = open(at("fifo"), O_WRONLY | O_NONBLOCK);
  CHECK(w >= 0);
  CHECK_ERRNO(read(r, buf, sizeof buf), EAGAIN);
  CHECK(write(w, "through", 7) == 7);
  CHECK(read(r, buf, sizeof buf) == 7 && memcmp(buf, "through", 7) == 0);
  CHECK(fstat(w, &st) == 0 && S_ISFIFO(st.st_mode));
  CHECK(close(w) == 0);
  CHECK(read(r, buf, sizeof buf) == 0);
  CHECK(close(r) == 0);
  tl_say("fifo: non-blocking opens, ENXIO, bytes through, end of file\n");

  /* A blocking reader waits for the writer a child opens later. */
  pid_t child = fork();
  if (child == 0) {
    usleep(100000);
    int cw = open(at("fifo"), O_WRONLY);
    if (cw < 0) _exit(1);
    if (write(cw, "from the child", 14) != 14) _exit(2);
    _exit(close(cw) == 0 ? 0 : 3);
  }
  r = open(at("fifo"), O_RDONLY);
  CHECK(r >= 0);
  ssize_t got = 0, n;
  while ((n = read(r, buf + got, sizeof buf - got)) > 0) got += n;
  CHECK(got == 14 && memcmp(buf, "from the child", 14) == 0);
  CHECK(close(r) == 0);
  int status;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  /* O_RDWR opens at once. */
  int rw = open(at("fifo"), O_RDWR);
  CHECK(rw >= 0);
  CHECK(write(rw, "x", 1) == 1 && read(rw, buf, 1) == 1 && buf[0] == 'x');
  CHECK(close(rw) == 0);
  CHECK(unlink(at("fifo")) == 0);
  tl_say("fifo: a blocking reader waits for its writer; O_RDWR\n");
}

static void nodes(void) {
  CHECK(mknod(at("null"), S_IFCHR | 0666, makedev(1, 3)) == 0);
  struct stat st;
  CHECK(stat(at("null"), &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3);
  int fd = open(at("null"), O_WRONLY);
  CHECK(fd >= 0 && write(fd, "gone", 4) == 4 && close(fd) == 0);
  CHECK(mknod(at("plain"), 0644, 0) == 0);
  CHECK(stat(at("plain"), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
  CHECK_ERRNO(mknod(at("d"), S_IFDIR | 0755, 0), EPERM);
  CHECK_ERRNO(mknod(at("bad"), 0170000 | 0644, 0), EINVAL);
  CHECK_ERRNO(mknod(at("plain"), S_IFIFO | 0644, 0), EEXIST);
  CHECK(unlink(at("null")) == 0 && unlink(at("plain")) == 0);
  tl_say("mknod: a device node that works, a regular file; EPERM, EINVAL, EEXIST\n");
}

static void random_devices(void) {
  const char* names[] = {"/dev/urandom", "/dev/random"};
  for (int i = 0; i < 2; i++) {
    unsigned char a[64], b[64], zero[64] = {0};
    int fd = open(names[i], O_RDONLY);
    CHECK(fd >= 0);
    CHECK(read(fd, a, sizeof a) == sizeof a && read(fd, b, sizeof b) == sizeof b);
    CHECK(memcmp(a, b, sizeof a) != 0 && memcmp(a, zero, sizeof a) != 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == (unsigned)(9 - i));
    CHECK(close(fd) == 0);
  }
  int fd = open("/dev/urandom", O_WRONLY);
  CHECK(fd >= 0 && write(fd, "entropy", 7) == 7 && close(fd) == 0);
  tl_say("/dev/urandom and /dev/random\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  snprintf(dir, sizeof dir, "/tmp/fs_attributes.%d", getpid());
  CHECK(mkdir(dir, 0755) == 0);
  times();
  modes_and_owners();
  fifos();
  nodes();
  random_devices();
  unlink(at("t"));
  unlink(at("link"));
  unlink(at("m"));
  CHECK(rmdir(dir) == 0);
  return tl_done();
}
