/* isolation_freed_memory: after a process exits, no byte it wrote reaches another process.
 *
 * A child fills memory of every kind with a marker and exits: anonymous memory, its heap (brk), a shared
 * anonymous mapping, a file's pages (the file is then truncated and removed), a pipe's buffer (closed unread),
 * and kernel heap objects (long file names and symlink targets, created and removed). Then this process takes
 * the same kinds of memory again, as much of it, and checks that the marker appears nowhere: fresh anonymous
 * pages, a grown heap, a new file extended by ftruncate and by writes at page offsets (its holes and the rest
 * of each page), a new pipe, and what the kernel copies out (stat, getdents64, readlink, uname, sysinfo, getcwd,
 * /proc files) into buffers that start zeroed. mm_no_data_leak checks anonymous memory, the heap and the stack
 * in more detail; this test covers the other ways a freed frame or heap object can come back.
 * TEST: mem=64M
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define PAGE 4096UL
#define MARKER "ISOLATE:"
#define ANON_BYTES (12UL << 20)
#define HEAP_BYTES (4UL << 20)
#define FILE_BYTES (4UL << 20)
#define NAMES 64

static char path_prefix[64];

static void fill(void* p, size_t bytes) {
  for (size_t i = 0; i + 8 <= bytes; i += 8) memcpy((char*)p + i, MARKER, 8);
}

/* How many times the marker's first 8 bytes occur in [p, p + bytes). */
static size_t markers_in(const void* p, size_t bytes) {
  size_t found = 0;
  const char* c = p;
  for (size_t i = 0; i + 8 <= bytes; i++)
    if (c[i] == 'I' && memcmp(c + i, MARKER, 8) == 0) found++;
  return found;
}

static void name(char* out, size_t size, const char* what, int i) {
  char long_part[200];
  for (size_t k = 0; k + 8 < sizeof long_part; k += 8) memcpy(long_part + k, MARKER, 8);
  long_part[sizeof long_part - 8] = 0;
  snprintf(out, size, "%s.%s%d.%s", path_prefix, what, i, long_part);
}

/* The child: marker everywhere, then exit without cleaning anything but names. */
static int write_everywhere(void) {
  char* anon = mmap(NULL, ANON_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char* shared = mmap(NULL, ANON_BYTES / 4, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (anon == MAP_FAILED || shared == MAP_FAILED) return 2;
  fill(anon, ANON_BYTES);
  fill(shared, ANON_BYTES / 4);
  char* heap = sbrk(HEAP_BYTES);
  if (heap == (void*)-1) return 3;
  fill(heap, HEAP_BYTES);

  char path[512];
  snprintf(path, sizeof path, "%s.file", path_prefix);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return 4;
  for (size_t off = 0; off < FILE_BYTES; off += PAGE)
    if (write(fd, anon, PAGE) != (ssize_t)PAGE) return 5;
  if (ftruncate(fd, 0) != 0 || unlink(path) != 0 || close(fd) != 0) return 6;

  int p[2];
  if (pipe2(p, O_NONBLOCK) != 0) return 7;
  while (write(p[1], anon, PAGE) > 0) {
  }
  close(p[0]);
  close(p[1]);

  for (int i = 0; i < NAMES; i++) {
    char dir[512], link[512];
    name(dir, sizeof dir, "d", i);
    name(link, sizeof link, "l", i);
    if (mkdir(dir, 0700) != 0 || symlink(dir, link) != 0) return 8;
    if (rmdir(dir) != 0 || unlink(link) != 0) return 9;
  }
  return 0;
}

static void check_anonymous(void) {
  char* p = mmap(NULL, ANON_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  for (size_t off = 0; off < ANON_BYTES; off += PAGE) p[off] = 1; /* a frame for each page */
  CHECK(markers_in(p, ANON_BYTES) == 0);
  char* s = mmap(NULL, ANON_BYTES / 4, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(s != MAP_FAILED);
  for (size_t off = 0; off < ANON_BYTES / 4; off += PAGE) s[off] = 1;
  CHECK(markers_in(s, ANON_BYTES / 4) == 0);
  char* heap = sbrk(HEAP_BYTES);
  CHECK(heap != (void*)-1);
  for (size_t off = 0; off < HEAP_BYTES; off += PAGE) heap[off] = 1;
  CHECK(markers_in(heap, HEAP_BYTES) == 0);
  munmap(p, ANON_BYTES);
  munmap(s, ANON_BYTES / 4);
  tl_say("anonymous, shared and heap memory: no marker\n");
}

static void check_files(void) {
  char path[512];
  snprintf(path, sizeof path, "%s.new", path_prefix);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  CHECK(fd >= 0);
  CHECK(ftruncate(fd, FILE_BYTES) == 0); /* a hole */
  for (size_t off = 0; off < FILE_BYTES; off += 2 * PAGE) CHECK(pwrite(fd, "x", 1, (off_t)off) == 1);
  char* buf = malloc(FILE_BYTES);
  CHECK(buf != NULL);
  CHECK(pread(fd, buf, FILE_BYTES, 0) == (ssize_t)FILE_BYTES);
  CHECK(markers_in(buf, FILE_BYTES) == 0);
  char* map = mmap(NULL, FILE_BYTES, PROT_READ, MAP_SHARED, fd, 0);
  CHECK(map != MAP_FAILED);
  CHECK(markers_in(map, FILE_BYTES) == 0);
  munmap(map, FILE_BYTES);
  free(buf);
  close(fd);
  unlink(path);

  int p[2];
  CHECK(pipe2(p, O_NONBLOCK) == 0);
  char small[PAGE];
  memset(small, 0, sizeof small);
  CHECK(write(p[1], "y", 1) == 1);
  CHECK(read(p[0], small, sizeof small) == 1 && small[0] == 'y');
  CHECK(read(p[0], small, sizeof small) == -1 && errno == EAGAIN);
  CHECK(markers_in(small, sizeof small) == 0);
  close(p[0]);
  close(p[1]);
  tl_say("file pages, holes and pipes: no marker\n");
}

/* What the kernel copies out, into zeroed buffers bigger than what it should write. */
static void check_copied_out(void) {
  static char buf[65536];
  size_t found = 0;
  struct stat st;
  memset(&st, 0, sizeof st);
  CHECK(stat("/tmp", &st) == 0);
  found += markers_in(&st, sizeof st);
  int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
  CHECK(dir >= 0);
  memset(buf, 0, sizeof buf);
  long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
  CHECK(n >= 0);
  found += markers_in(buf, sizeof buf);
  close(dir);
  memset(buf, 0, sizeof buf);
  CHECK(readlink("/proc/self/exe", buf, sizeof buf) > 0);
  found += markers_in(buf, sizeof buf);
  struct utsname u;
  memset(&u, 0, sizeof u);
  CHECK(uname(&u) == 0);
  found += markers_in(&u, sizeof u);
  struct sysinfo si;
  memset(&si, 0, sizeof si);
  CHECK(sysinfo(&si) == 0);
  found += markers_in(&si, sizeof si);
  memset(buf, 0, sizeof buf);
  CHECK(getcwd(buf, sizeof buf) != NULL);
  found += markers_in(buf, sizeof buf);
  static const char* const files[] = {"/proc/self/maps", "/proc/self/status", "/proc/meminfo", "/proc/mounts"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    int fd = open(files[i], O_RDONLY);
    if (fd < 0) continue;
    memset(buf, 0, sizeof buf);
    CHECK(read(fd, buf, sizeof buf) >= 0);
    found += markers_in(buf, sizeof buf);
    close(fd);
  }
  CHECK(found == 0);
  tl_say("what the kernel copies out: no marker\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc > 2 && strcmp(argv[1], "write") == 0) {
    snprintf(path_prefix, sizeof path_prefix, "%s", argv[2]);
    return write_everywhere();
  }
  snprintf(path_prefix, sizeof path_prefix, "/tmp/isolation.%d", getpid());
  char* child_argv[] = {"write", path_prefix, NULL};
  int status = tl_run_self(child_argv);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("a process filled memory of every kind with a marker, and exited\n");
  check_anonymous();
  check_files();
  check_copied_out();
  return tl_done();
}
