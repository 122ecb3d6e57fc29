/* misc_files_dirs: directories, files and offsets.
 *   - getcwd, chdir (and a child inherits the working directory), mkdirat, unlinkat, rmdir
 *   - errors: EEXIST, ENOENT, ENOTDIR, EISDIR, ENOTEMPTY, O_CREAT|O_EXCL on an existing file
 *   - getdents64 lists ".", "..", the files and a subdirectory we made, with the right d_type
 *   - fstat / newfstatat: st_mode (type and permission bits) and st_size
 *   - lseek: SEEK_SET, SEEK_CUR, SEEK_END, past the end (a hole reads as zeros), EINVAL for a negative
 *     offset, ESPIPE on a pipe
 *   - readlinkat("/proc/self/exe"): our own path, or ENOENT where there is no /proc
 * Everything happens in /tmp/misc_files_dirs.PID, removed at the end.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static char dir[64];

static void make_file(const char* name, size_t size) {
  int fd = openat(AT_FDCWD, name, O_WRONLY | O_CREAT | O_EXCL, 0600);
  CHECK(fd >= 0);
  char buf[300];
  memset(buf, 'x', sizeof buf);
  CHECK(size <= sizeof buf && write(fd, buf, size) == (ssize_t)size);
  CHECK(close(fd) == 0);
}

static void directories(void) {
  char cwd[PATH_MAX];
  CHECK(getcwd(cwd, sizeof cwd) != NULL && cwd[0] == '/');
  snprintf(dir, sizeof dir, "/tmp/misc_files_dirs.%d", getpid());
  CHECK(mkdirat(AT_FDCWD, dir, 0700) == 0);
  CHECK_ERRNO(mkdirat(AT_FDCWD, dir, 0700), EEXIST);
  CHECK(chdir(dir) == 0);
  CHECK(getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, dir) == 0);
  errno = 0;
  CHECK(getcwd(cwd, 5) == NULL && errno == ERANGE); /* too small */

  pid_t pid = fork();
  if (pid == 0) {
    char child_cwd[PATH_MAX];
    _exit(getcwd(child_cwd, sizeof child_cwd) && strcmp(child_cwd, dir) == 0 ? 0 : 1);
  }
  int status;
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);

  make_file("a", 10);
  make_file("b", 200);
  make_file("c", 0);
  CHECK(mkdirat(AT_FDCWD, "sub", 0700) == 0);
  CHECK(chdir("sub") == 0 && chdir("..") == 0);
  CHECK(getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, dir) == 0);
  CHECK_ERRNO(chdir("missing"), ENOENT);
  CHECK_ERRNO(chdir("a"), ENOTDIR);
  CHECK_ERRNO(open("a/x", O_RDONLY), ENOTDIR);
  CHECK_ERRNO(open("missing", O_RDONLY), ENOENT);
  CHECK_ERRNO(open("a", O_WRONLY | O_CREAT | O_EXCL, 0600), EEXIST);
  CHECK_ERRNO(open("a", O_RDONLY | O_DIRECTORY), ENOTDIR);
  CHECK_ERRNO(open("sub", O_WRONLY), EISDIR);
  tl_say("getcwd, chdir, mkdirat: ok\n");
}

static int compare_strings(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

/* List "." with the raw getdents64 records; prints "name:type" sorted. */
static void listing(void) {
  int fd = open(".", O_RDONLY | O_DIRECTORY);
  CHECK(fd >= 0);
  char buf[1024];
  char* names[16];
  int count = 0;
  long n;
  while ((n = tl_raw_syscall(SYS_getdents64, fd, (long)buf, sizeof buf, 0, 0, 0)) > 0) {
    for (long off = 0; off < n;) {
      struct dirent64* d = (struct dirent64*)(buf + off);
      char type = d->d_type == DT_DIR ? 'd' : d->d_type == DT_REG ? 'f' : '?';
      if (count < 16 && asprintf(&names[count], "%s:%c", d->d_name, type) > 0) count++;
      CHECK(d->d_reclen > 0 && d->d_reclen % 8 == 0);
      off += d->d_reclen;
    }
  }
  CHECK(n == 0);
  CHECK(tl_raw_syscall(SYS_getdents64, fd, (long)buf, sizeof buf, 0, 0, 0) == 0); /* still at the end */
  close(fd);
  qsort(names, (size_t)count, sizeof names[0], compare_strings);
  char line[256] = "";
  for (int i = 0; i < count; i++) {
    strcat(line, " ");
    strcat(line, names[i]);
    free(names[i]);
  }
  tl_say("getdents64:%s\n", line);
  CHECK(strcmp(line, " ..:d .:d a:f b:f c:f sub:d") == 0);

  /* A buffer too small for even one record is EINVAL. */
  fd = open(".", O_RDONLY | O_DIRECTORY);
  CHECK(tl_raw_syscall(SYS_getdents64, fd, (long)buf, 10, 0, 0, 0) == -EINVAL);
  close(fd);
  int file = open("a", O_RDONLY);
  CHECK(tl_raw_syscall(SYS_getdents64, file, (long)buf, sizeof buf, 0, 0, 0) == -ENOTDIR);
  close(file);
}

static void stats(void) {
  struct stat st;
  int fd = open("b", O_RDONLY);
  CHECK(fd >= 0 && fstat(fd, &st) == 0);
  CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600 && st.st_size == 200);
  close(fd);
  CHECK(fstatat(AT_FDCWD, "sub", &st, 0) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700);
  CHECK(fstatat(AT_FDCWD, "c", &st, 0) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
  CHECK_ERRNO(fstatat(AT_FDCWD, "missing", &st, 0), ENOENT);
  int dfd = open(".", O_RDONLY | O_DIRECTORY);
  CHECK(fstatat(dfd, "a", &st, 0) == 0 && st.st_size == 10); /* relative to a directory fd */
  close(dfd);
  tl_say("fstat, newfstatat: ok\n");
}

static void offsets(void) {
  int fd = open("a", O_RDWR | O_TRUNC);
  CHECK(fd >= 0);
  CHECK(write(fd, "0123456789", 10) == 10);
  char buf[16] = "";
  CHECK(lseek(fd, 3, SEEK_SET) == 3 && read(fd, buf, 3) == 3 && memcmp(buf, "345", 3) == 0);
  CHECK(lseek(fd, 0, SEEK_CUR) == 6);
  CHECK(lseek(fd, 1, SEEK_CUR) == 7);
  CHECK(lseek(fd, -2, SEEK_END) == 8 && read(fd, buf, 16) == 2 && memcmp(buf, "89", 2) == 0);
  CHECK(read(fd, buf, 16) == 0); /* at the end */
  CHECK_ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
  CHECK_ERRNO(lseek(fd, 0, 12345), EINVAL);
  /* Past the end: a write there leaves a hole that reads as zeros. */
  CHECK(lseek(fd, 20, SEEK_SET) == 20 && write(fd, "!", 1) == 1);
  struct stat st;
  CHECK(fstat(fd, &st) == 0 && st.st_size == 21);
  CHECK(lseek(fd, 10, SEEK_SET) == 10 && read(fd, buf, 16) == 11);
  CHECK(memcmp(buf, "\0\0\0\0\0\0\0\0\0\0!", 11) == 0);
  close(fd);
  int fds[2];
  CHECK(pipe(fds) == 0);
  CHECK_ERRNO(lseek(fds[0], 0, SEEK_CUR), ESPIPE);
  close(fds[0]);
  close(fds[1]);
  tl_say("lseek: ok\n");
}

static void own_path(void) {
  char buf[PATH_MAX];
  ssize_t n = readlinkat(AT_FDCWD, "/proc/self/exe", buf, sizeof buf - 1);
  if (n < 0) {
    CHECK(errno == ENOENT);
  } else {
    buf[n] = '\0';
    const char* base = strrchr(buf, '/');
    CHECK(buf[0] == '/' && base && strcmp(base, "/misc_files_dirs") == 0);
  }
  tl_say("readlinkat /proc/self/exe: our path, or ENOENT\n");
}

static void removal(void) {
  CHECK_ERRNO(unlinkat(AT_FDCWD, "sub", 0), EISDIR);
  CHECK_ERRNO(unlinkat(AT_FDCWD, "a", AT_REMOVEDIR), ENOTDIR);
  CHECK_ERRNO(rmdir(dir), ENOTEMPTY);
  CHECK_ERRNO(unlinkat(AT_FDCWD, "missing", 0), ENOENT);
  CHECK(unlinkat(AT_FDCWD, "a", 0) == 0 && unlinkat(AT_FDCWD, "b", 0) == 0 && unlink("c") == 0);
  CHECK(unlinkat(AT_FDCWD, "sub", AT_REMOVEDIR) == 0);
  CHECK_ERRNO(open("a", O_RDONLY), ENOENT);
  CHECK(chdir("/") == 0);
  CHECK(rmdir(dir) == 0);
  CHECK_ERRNO(rmdir(dir), ENOENT);
  tl_say("unlinkat, rmdir: ok\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  directories();
  listing();
  stats();
  offsets();
  own_path();
  removal();
  return tl_done();
}
