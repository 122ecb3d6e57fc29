/* ext2_files: files on the ext2 disk the kernel mounts at /mnt, across two boots (tests/qemu/ext2_test.py).
 *
 *   ext2_files write BLOCK_SIZE    (first boot) reads what mke2fs put on the disk, then creates, writes,
 *                                  truncates, renames, links, maps and changes files of every kind
 *   ext2_files verify BLOCK_SIZE   (second boot, same image) finds all of it as the first boot left it, then
 *                                  removes most of it and checks the space comes back
 *
 * Between the boots the driver runs e2fsck -fn (the image must be clean) and reads files with debugfs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define EXT2_MAGIC 0xef53
#define MANY 1000
#define DENSE_SIZE (2 * 1024 * 1024 + 333)

static long block_size;

static unsigned char pattern_byte(long i, int seed) { return (unsigned char)((i * 131 + seed * 7 + (i >> 10)) & 0xff); }

static int has_pattern(const unsigned char* p, long n, long offset, int seed) {
  for (long i = 0; i < n; i++)
    if (p[i] != pattern_byte(offset + i, seed)) return 0;
  return 1;
}

static void write_all(int fd, const void* data, size_t n) {
  const char* p = data;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    CHECK(w > 0);
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

static void put(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  write_all(fd, text, strlen(text));
  CHECK(close(fd) == 0);
}

static int contents_are(const char* path, const char* expected) {
  char buf[4096];
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  return n == (ssize_t)strlen(expected) && memcmp(buf, expected, (size_t)n) == 0;
}

static int count_entries(const char* path) {
  DIR* d = opendir(path);
  if (!d) return -1;
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d))) n++;
  closedir(d);
  return n;
}

/* The sparse file's pieces: in the direct blocks, the indirect tree, and past the doubly indirect limit. */
static long sparse_offset(int piece) {
  long pointers = block_size / 4;
  switch (piece) {
    case 0: return 100;
    case 1: return (12 + 5) * block_size + 17;
    default: return (12 + pointers + pointers * pointers) * block_size + 4321;
  }
}

static void host_files(void) {
  CHECK(contents_are("/mnt/host.txt", "made on the host\n"));
  int fd = open("/mnt/dir/sub/data.bin", O_RDONLY);
  CHECK(fd >= 0);
  static unsigned char buf[300 * 1024];
  ssize_t n = read(fd, buf, sizeof buf);
  CHECK(n == 200 * 1024 + 7 && has_pattern(buf, n, 0, 1));
  CHECK(close(fd) == 0);
  char target[64];
  ssize_t len = readlink("/mnt/link-to-host", target, sizeof target);
  CHECK(len == 8 && memcmp(target, "host.txt", 8) == 0);
  CHECK(contents_are("/mnt/link-to-host", "made on the host\n"));
  tl_say("the host's files read back\n");
}

static void write_phase(void) {
  host_files();
  struct statfs sf;
  CHECK(statfs("/mnt", &sf) == 0 && sf.f_type == EXT2_MAGIC && sf.f_bsize == block_size);
  struct stat st, root;
  CHECK(stat("/mnt", &st) == 0 && stat("/", &root) == 0 && st.st_dev != root.st_dev && st.st_ino == 2);
  FILE* mounts = fopen("/proc/mounts", "r");
  char line[256];
  int found = 0;
  while (mounts && fgets(line, sizeof line, mounts)) found |= strncmp(line, "/dev/vda /mnt ext2 rw", 21) == 0;
  if (mounts) fclose(mounts);
  CHECK(found);
  tl_say("statfs: ext2; /proc/mounts lists /dev/vda on /mnt\n");

  /* Plain writes: create, overwrite part, append. */
  put("/mnt/written.txt", "first line\n");
  int fd = open("/mnt/written.txt", O_WRONLY | O_APPEND);
  CHECK(fd >= 0);
  write_all(fd, "second line\n", 12);
  CHECK(pwrite(fd, "FIRST", 5, 0) == 5);  /* O_APPEND: pwrite appends too (Linux) */
  CHECK(close(fd) == 0);
  fd = open("/mnt/written.txt", O_WRONLY);
  CHECK(fd >= 0 && pwrite(fd, "FIRST", 5, 0) == 5 && close(fd) == 0);
  CHECK(contents_are("/mnt/written.txt", "FIRST line\nsecond line\nFIRST"));

  /* A dense file of several megabytes, fsync'ed. */
  static unsigned char chunk[64 * 1024 + 1];
  fd = open("/mnt/dense.bin", O_RDWR | O_CREAT | O_EXCL, 0600);
  CHECK(fd >= 0);
  for (long at = 0; at < DENSE_SIZE;) {
    long n = DENSE_SIZE - at < (long)sizeof chunk ? DENSE_SIZE - at : (long)sizeof chunk;
    for (long i = 0; i < n; i++) chunk[i] = pattern_byte(at + i, 2);
    write_all(fd, chunk, (size_t)n);
    at += n;
  }
  CHECK(fsync(fd) == 0);
  CHECK(fstat(fd, &st) == 0 && st.st_size == DENSE_SIZE && st.st_blocks >= DENSE_SIZE / 512);
  CHECK(pread(fd, chunk, 5000, 1000000) == 5000 && has_pattern(chunk, 5000, 1000000, 2));
  CHECK(close(fd) == 0);
  tl_say("written: appended, overwritten, a dense file fsync'ed\n");

  /* A sparse file reaching past the doubly indirect blocks. */
  fd = open("/mnt/sparse", O_RDWR | O_CREAT, 0644);
  CHECK(fd >= 0);
  for (int piece = 0; piece < 3; piece++) {
    for (long i = 0; i < 3000; i++) chunk[i] = pattern_byte(i, 10 + piece);
    CHECK(pwrite(fd, chunk, 3000, sparse_offset(piece)) == 3000);
  }
  CHECK(fstat(fd, &st) == 0 && st.st_size == sparse_offset(2) + 3000);
  CHECK(st.st_blocks < 64 * (block_size / 512));
  memset(chunk, 0x55, 4096);
  CHECK(pread(fd, chunk, 4096, sparse_offset(1) + 100000) == 4096);
  int zeros = 1;
  for (int i = 0; i < 4096; i++) zeros &= chunk[i] == 0;
  CHECK(zeros);
  CHECK(close(fd) == 0);
  tl_say("a sparse file past the doubly indirect limit: holes read as zeros\n");

  /* Truncation: down (blocks freed), then up (zeros, not the old bytes). */
  fd = open("/mnt/truncated", O_RDWR | O_CREAT, 0644);
  CHECK(fd >= 0);
  for (long i = 0; i < 20000; i++) chunk[i] = 'T';
  write_all(fd, chunk, 20000);
  CHECK(ftruncate(fd, 1000) == 0);
  CHECK(fstat(fd, &st) == 0 && st.st_size == 1000);
  CHECK(ftruncate(fd, 5000) == 0);
  CHECK(pread(fd, chunk, 5000, 0) == 5000 && chunk[999] == 'T' && chunk[1000] == 0 && chunk[4999] == 0);
  CHECK(close(fd) == 0);
  CHECK(truncate("/mnt/truncated", 3000) == 0);

  /* Directories: a tree, moved; thousands... a thousand entries, a third removed. */
  CHECK(mkdir("/mnt/a", 0755) == 0 && mkdir("/mnt/a/b", 0700) == 0 && mkdir("/mnt/a/b/c", 0755) == 0);
  put("/mnt/a/b/c/deep.txt", "deep\n");
  CHECK(rename("/mnt/a/b", "/mnt/moved") == 0);
  CHECK(stat("/mnt/a", &st) == 0 && st.st_nlink == 2);
  CHECK(stat("/mnt/moved", &st) == 0 && st.st_nlink == 3 && (st.st_mode & 0777) == 0700);
  CHECK(chdir("/mnt/moved/c") == 0);
  char cwd[128];
  CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/mnt/moved/c") == 0);
  CHECK(contents_are("../c/deep.txt", "deep\n"));
  CHECK(chdir("/") == 0);
  CHECK_ERRNO(rename("/mnt/moved", "/mnt/moved/c/inside"), EINVAL);
  CHECK_ERRNO(rmdir("/mnt/moved"), ENOTEMPTY);
  CHECK_ERRNO(rename("/mnt/written.txt", "/tmp/x"), EXDEV);
  CHECK_ERRNO(link("/mnt/written.txt", "/tmp/x"), EXDEV);
  CHECK(mkdir("/mnt/many", 0755) == 0);
  for (int i = 0; i < MANY; i++) {
    char name[64];
    snprintf(name, sizeof name, "/mnt/many/file-with-a-longish-name-%04d", i);
    int f = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK(f >= 0);
    if (i % 100 == 0) write_all(f, name, strlen(name));
    CHECK(close(f) == 0);
  }
  for (int i = 0; i < MANY; i += 3) {
    char name[64];
    snprintf(name, sizeof name, "/mnt/many/file-with-a-longish-name-%04d", i);
    CHECK(unlink(name) == 0);
  }
  CHECK(count_entries("/mnt/many") == MANY - (MANY + 2) / 3 + 2);
  tl_say("directories: a tree moved, a thousand entries, EXDEV to /tmp\n");

  /* Links: hard, symbolic (fast and slow), and rename over an existing name. */
  CHECK(link("/mnt/written.txt", "/mnt/a/hard") == 0);
  CHECK(stat("/mnt/written.txt", &st) == 0 && st.st_nlink == 2);
  CHECK(symlink("written.txt", "/mnt/fast-link") == 0);
  char long_target[200];
  memset(long_target, 'L', sizeof long_target - 1);
  long_target[sizeof long_target - 1] = 0;
  CHECK(symlink(long_target, "/mnt/slow-link") == 0);
  put("/mnt/replaced", "old\n");
  put("/mnt/replacement", "new\n");
  CHECK(rename("/mnt/replacement", "/mnt/replaced") == 0);
  CHECK(contents_are("/mnt/replaced", "new\n"));

  /* Attributes, a named pipe, a device node. */
  put("/mnt/owned", "attributes\n");
  CHECK(chmod("/mnt/owned", 0640) == 0 && chown("/mnt/owned", 1234, 5678) == 0);
  struct timespec times[2] = {{1000000000, 0}, {1200000000, 0}};
  CHECK(utimensat(AT_FDCWD, "/mnt/owned", times, 0) == 0);
  CHECK(mkfifo("/mnt/fifo", 0600) == 0);
  CHECK(mknod("/mnt/null", S_IFCHR | 0666, makedev(1, 3)) == 0);
  fd = open("/mnt/null", O_WRONLY);
  CHECK(fd >= 0 && write(fd, "x", 1) == 1 && close(fd) == 0);

  /* A shared mapping: a store is seen by read() at once and reaches the disk at fsync. */
  put("/mnt/mapped", "................................");
  fd = open("/mnt/mapped", O_RDWR);
  CHECK(fd >= 0);
  char* map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(map != MAP_FAILED);
  if (map != MAP_FAILED) {
    memcpy(map, "stored through a mapping", 24);
    char buf[32];
    CHECK(pread(fd, buf, 24, 0) == 24 && memcmp(buf, "stored through a mapping", 24) == 0);
    CHECK(pwrite(fd, "W", 1, 0) == 1 && map[0] == 'W');
    CHECK(fsync(fd) == 0);
    CHECK(munmap(map, 4096) == 0);
  }
  CHECK(close(fd) == 0);
  tl_say("links, attributes, a FIFO, a device node, a shared mapping\n");

  /* A program on the disk runs. */
  int in = open("/bin/true", O_RDONLY), out = open("/mnt/true", O_WRONLY | O_CREAT, 0755);
  CHECK(in >= 0 && out >= 0);
  ssize_t n;
  while ((n = read(in, chunk, sizeof chunk)) > 0) write_all(out, chunk, (size_t)n);
  CHECK(close(in) == 0 && close(out) == 0);
  pid_t child = fork();
  if (child == 0) {
    char* argv[] = {"/mnt/true", NULL};
    execv(argv[0], argv);
    _exit(99);
  }
  int status;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("a program copied to the disk runs from there\n");
}

static void verify_phase(void) {
  host_files();
  CHECK(contents_are("/mnt/written.txt", "FIRST line\nsecond line\nFIRST"));
  CHECK(contents_are("/mnt/a/hard", "FIRST line\nsecond line\nFIRST"));
  struct stat st;
  CHECK(stat("/mnt/written.txt", &st) == 0 && st.st_nlink == 2);
  static unsigned char chunk[64 * 1024];
  int fd = open("/mnt/dense.bin", O_RDONLY);
  CHECK(fd >= 0);
  long total = 0, n, bad = 0;
  while ((n = read(fd, chunk, sizeof chunk)) > 0) {
    if (!has_pattern(chunk, n, total, 2)) bad++;
    total += n;
  }
  CHECK(total == DENSE_SIZE && bad == 0);
  CHECK(close(fd) == 0);
  fd = open("/mnt/sparse", O_RDONLY);
  CHECK(fd >= 0);
  for (int piece = 0; piece < 3; piece++) CHECK(pread(fd, chunk, 3000, sparse_offset(piece)) == 3000 && has_pattern(chunk, 3000, 0, 10 + piece));
  CHECK(close(fd) == 0);
  CHECK(stat("/mnt/truncated", &st) == 0 && st.st_size == 3000);
  tl_say("second boot: the data is all there\n");

  CHECK(contents_are("/mnt/moved/c/deep.txt", "deep\n"));
  CHECK(count_entries("/mnt/many") == MANY - (MANY + 2) / 3 + 2);
  CHECK(contents_are("/mnt/many/file-with-a-longish-name-0100", "/mnt/many/file-with-a-longish-name-0100"));
  char target[256];
  ssize_t len = readlink("/mnt/slow-link", target, sizeof target);
  CHECK(len == 199 && target[0] == 'L' && target[198] == 'L');
  CHECK(contents_are("/mnt/fast-link", "FIRST line\nsecond line\nFIRST"));
  CHECK(contents_are("/mnt/replaced", "new\n"));
  CHECK(stat("/mnt/owned", &st) == 0 && (st.st_mode & 07777) == 0640 && st.st_uid == 1234 && st.st_gid == 5678 &&
        st.st_mtime == 1200000000 && st.st_atime == 1000000000);
  CHECK(stat("/mnt/fifo", &st) == 0 && S_ISFIFO(st.st_mode));
  CHECK(stat("/mnt/null", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
  CHECK(contents_are("/mnt/mapped", "Wtored through a mapping........"));
  tl_say("second boot: names, links, attributes and the mapped store are there\n");

  /* Clean up most of it: the space comes back. */
  struct statfs before, after;
  CHECK(statfs("/mnt", &before) == 0);
  for (int i = 0; i < MANY; i++) {
    char name[64];
    snprintf(name, sizeof name, "/mnt/many/file-with-a-longish-name-%04d", i);
    unlink(name);
  }
  CHECK(rmdir("/mnt/many") == 0);
  CHECK(unlink("/mnt/dense.bin") == 0 && unlink("/mnt/sparse") == 0);
  CHECK(unlink("/mnt/moved/c/deep.txt") == 0 && rmdir("/mnt/moved/c") == 0 && rmdir("/mnt/moved") == 0);
  CHECK(statfs("/mnt", &after) == 0);
  CHECK(after.f_bfree > before.f_bfree + DENSE_SIZE / block_size);
  CHECK(after.f_ffree > before.f_ffree + 600);
  tl_say("removed: space and inodes come back\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc != 3) {
    fprintf(stderr, "usage: ext2_files write|verify BLOCK_SIZE\n");
    return 2;
  }
  block_size = atol(argv[2]);
  if (strcmp(argv[1], "write") == 0)
    write_phase();
  else
    verify_phase();
  return tl_done();
}
