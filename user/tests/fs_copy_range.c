/* fs_copy_range: copies the kernel makes between descriptors, sendfile(2) and copy_file_range(2), as Linux 6.1.
 *   - sendfile from a file to a file and to a pipe: with an offset pointer (moved; the file offset is not) and
 *     without (the file offset moves); the copy stops at the end of the source; the destination sees the bytes
 *     at once through read() and through a shared mapping of it
 *   - sendfile: EBADF for a source not open for reading or a destination not open for writing, EINVAL for a
 *     pipe as the source and an O_APPEND destination, EFAULT for a bad offset pointer
 *   - copy_file_range: offsets given or the files' own; stops at the source's end (0 past it); inside one file
 *     for ranges apart; EINVAL for flags, overlapping ranges in one file and a pipe; EISDIR for a directory;
 *     EBADF for the wrong access modes and O_APPEND; EXDEV between two file systems (/proc and this one)
 * The files live in the directory given as the argument (default /tmp; ext2_test.py also runs it on /mnt).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#define SIZE 40000 /* bytes: several chunks and pages, not a whole number of either */

static char dir[200], path_a[256], path_b[256];
static char data[SIZE], back[SIZE];

static int make_source(void) {
  for (int i = 0; i < SIZE; i++) data[i] = (char)('a' + (i * 7 + i / 4096) % 26);
  int fd = open(path_a, O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  CHECK(write(fd, data, SIZE) == SIZE);
  return fd;
}

static void send_file(void) {
  int in = make_source();
  int out = open(path_b, O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(out >= 0);
  /* With an offset pointer: it moves, the source's file offset does not. */
  CHECK(lseek(in, 123, SEEK_SET) == 123);
  off_t off = 1000;
  CHECK(sendfile(out, in, &off, 30000) == 30000);
  CHECK(off == 31000);
  CHECK(lseek(in, 0, SEEK_CUR) == 123);
  CHECK(lseek(out, 0, SEEK_CUR) == 30000);
  CHECK(pread(out, back, SIZE, 0) == 30000 && memcmp(back, data + 1000, 30000) == 0);
  /* Past the end of the source: what there is, then 0. */
  CHECK(sendfile(out, in, &off, 30000) == SIZE - 31000);
  CHECK(off == SIZE);
  CHECK(sendfile(out, in, &off, 100) == 0);
  tl_say("sendfile with an offset: moves it, copies up to the end, then 0\n");

  /* Without: the source's file offset moves. The destination is mapped: the mapping sees the new bytes. */
  char* m = mmap(NULL, 40960, PROT_READ, MAP_SHARED, out, 0);
  CHECK(m != MAP_FAILED);
  CHECK(lseek(out, 0, SEEK_SET) == 0);
  CHECK(sendfile(out, in, NULL, 5000) == 5000);
  CHECK(lseek(in, 0, SEEK_CUR) == 5123);
  CHECK(memcmp(m, data + 123, 5000) == 0);
  CHECK(munmap(m, 40960) == 0);
  tl_say("sendfile without an offset: the file offset moves; a mapping of the destination sees the bytes\n");

  /* To a pipe. */
  int p[2];
  CHECK(pipe(p) == 0);
  off = 7;
  CHECK(sendfile(p[1], in, &off, 3000) == 3000);
  CHECK(read(p[0], back, sizeof back) == 3000 && memcmp(back, data + 7, 3000) == 0);
  tl_say("sendfile to a pipe\n");

  /* Errors. */
  int ro = open(path_b, O_RDONLY), wo = open(path_a, O_WRONLY), ap = open(path_b, O_WRONLY | O_APPEND);
  CHECK(ro >= 0 && wo >= 0 && ap >= 0);
  CHECK_ERRNO(sendfile(out, wo, NULL, 10), EBADF);
  CHECK_ERRNO(sendfile(ro, in, NULL, 10), EBADF);
  CHECK_ERRNO(sendfile(out, 999, NULL, 10), EBADF);
  CHECK_ERRNO(sendfile(ap, in, NULL, 10), EINVAL);
  CHECK(write(p[1], "x", 1) == 1);
  CHECK_ERRNO(sendfile(out, p[0], NULL, 10), EINVAL);
  CHECK_ERRNO(sendfile(out, in, (off_t*)8, 10), EFAULT);
  off = -1;
  CHECK_ERRNO(sendfile(out, in, &off, 10), EINVAL);
  tl_say("sendfile: EBADF, EINVAL (pipe source, O_APPEND), EFAULT\n");
  close(ro);
  close(wo);
  close(ap);
  close(p[0]);
  close(p[1]);
  close(in);
  close(out);
}

static void copy_range(void) {
  int in = make_source();
  int out = open(path_b, O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(out >= 0);
  loff_t off_in = 500, off_out = 100;
  CHECK(copy_file_range(in, &off_in, out, &off_out, 20000, 0) == 20000);
  CHECK(off_in == 20500 && off_out == 20100);
  CHECK(lseek(in, 0, SEEK_CUR) == SIZE && lseek(out, 0, SEEK_CUR) == 0);
  struct stat st;
  CHECK(fstat(out, &st) == 0 && st.st_size == 20100);
  CHECK(pread(out, back, SIZE, 0) == 20100);
  int zeros = 1;
  for (int i = 0; i < 100; i++) zeros &= back[i] == 0;
  CHECK(zeros && memcmp(back + 100, data + 500, 20000) == 0);
  tl_say("copy_file_range with offsets: they move, the file offsets do not; a gap before reads as zeros\n");

  /* The files' own offsets. */
  CHECK(lseek(in, SIZE - 300, SEEK_SET) == SIZE - 300);
  CHECK(lseek(out, 0, SEEK_SET) == 0);
  CHECK(copy_file_range(in, NULL, out, NULL, 1000, 0) == 300);
  CHECK(lseek(in, 0, SEEK_CUR) == SIZE && lseek(out, 0, SEEK_CUR) == 300);
  CHECK(copy_file_range(in, NULL, out, NULL, 1000, 0) == 0);
  CHECK(pread(out, back, 300, 0) == 300 && memcmp(back, data + SIZE - 300, 300) == 0);
  tl_say("copy_file_range with the file offsets: stops at the end of the source, then 0\n");

  /* Inside one file: ranges apart are fine, overlapping ones EINVAL. */
  off_in = 0;
  off_out = SIZE;
  CHECK(copy_file_range(in, &off_in, in, &off_out, 4096, 0) == 4096);
  CHECK(pread(in, back, 4096, SIZE) == 4096 && memcmp(back, data, 4096) == 0);
  off_in = 0;
  off_out = 100;
  CHECK_ERRNO(copy_file_range(in, &off_in, in, &off_out, 4096, 0), EINVAL);
  tl_say("copy_file_range inside one file; EINVAL when the ranges overlap\n");

  /* Errors. */
  off_in = 0;
  CHECK_ERRNO(copy_file_range(in, &off_in, out, NULL, 10, 1), EINVAL);
  int ro = open(path_b, O_RDONLY), wo = open(path_a, O_WRONLY), ap = open(path_b, O_WRONLY | O_APPEND);
  CHECK(ro >= 0 && wo >= 0 && ap >= 0);
  CHECK_ERRNO(copy_file_range(wo, NULL, out, NULL, 10, 0), EBADF);
  CHECK_ERRNO(copy_file_range(in, NULL, ro, NULL, 10, 0), EBADF);
  CHECK_ERRNO(copy_file_range(in, NULL, ap, NULL, 10, 0), EBADF);
  CHECK_ERRNO(copy_file_range(in, NULL, 999, NULL, 10, 0), EBADF);
  CHECK_ERRNO(copy_file_range(in, (loff_t*)8, out, NULL, 10, 0), EFAULT);
  int d = open(dir, O_RDONLY | O_DIRECTORY);
  CHECK(d >= 0);
  CHECK_ERRNO(copy_file_range(d, NULL, out, NULL, 10, 0), EISDIR);
  int p[2];
  CHECK(pipe(p) == 0);
  CHECK_ERRNO(copy_file_range(in, NULL, p[1], NULL, 10, 0), EINVAL);
  int proc = open("/proc/self/stat", O_RDONLY);
  CHECK(proc >= 0);
  CHECK_ERRNO(copy_file_range(proc, NULL, out, NULL, 10, 0), EXDEV);
  tl_say("copy_file_range: EINVAL (flags, a pipe), EBADF, EFAULT, EISDIR, EXDEV across file systems\n");
  close(proc);
  close(p[0]);
  close(p[1]);
  close(d);
  close(ro);
  close(wo);
  close(ap);
  close(in);
  close(out);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  snprintf(dir, sizeof dir, "%s", argc > 1 ? argv[1] : "/tmp");
  snprintf(path_a, sizeof path_a, "%s/copy_a.%d", dir, getpid());
  snprintf(path_b, sizeof path_b, "%s/copy_b.%d", dir, getpid());
  send_file();
  copy_range();
  CHECK(unlink(path_a) == 0 && unlink(path_b) == 0);
  return tl_done();
}
