/* mm_file_mmap: private and read-only mappings of a file (this program's own executable).
 *
 * mmap(2): "The contents of a file mapping ... are initialized using length bytes starting at offset offset
 * in the file"; MAP_PRIVATE "Create a private copy-on-write mapping. Updates to the mapping are not visible
 * to other processes mapping the same file, and are not carried through to the underlying file"; "After the
 * mmap() call has returned, the file descriptor, fd, can be closed immediately without invalidating the
 * mapping". mprotect(2), EACCES: a MAP_SHARED mapping of a file opened read-only cannot be made writable
 * (a MAP_PRIVATE one can: its writes go to private copies).
 *
 * Checked: a private mapping shows the file's bytes (compared with read()); writing to it changes the
 * mapping only (read() and another mapping, made before or after the write, still show the file); the
 * written pages are copied again on fork (the child's writes stay in the child); a page-aligned offset maps
 * the right bytes; a PROT_READ mapping faults on write (SIGSEGV); mprotect(PROT_WRITE) on a read-only
 * MAP_SHARED mapping of an O_RDONLY file fails with EACCES; closing the descriptor keeps the mappings.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmtest.h"

#define PAGES 4
#define BYTES (PAGES * MT_PAGE)

static unsigned char orig[BYTES];

/* Read the file's first BYTES bytes with read() (not through a mapping). */
static int read_file(int fd, unsigned char* buf) {
  if (lseek(fd, 0, SEEK_SET) != 0) return 0;
  size_t got = 0;
  while (got < BYTES) {
    ssize_t r = read(fd, buf + got, BYTES - got);
    if (r <= 0) return 0;
    got += (size_t)r;
  }
  return 1;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int fd = open(tl_self(), O_RDONLY);
  CHECK(fd >= 0);
  struct stat st;
  CHECK(fstat(fd, &st) == 0 && st.st_size > (off_t)(2 * BYTES));
  CHECK(read_file(fd, orig));

  unsigned char* before = mmap(NULL, BYTES, PROT_READ, MAP_PRIVATE, fd, 0);
  unsigned char* m = mmap(NULL, BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  CHECK(before != MAP_FAILED && m != MAP_FAILED);
  if (before == MAP_FAILED || m == MAP_FAILED) return tl_done();
  CHECK(memcmp(m, orig, BYTES) == 0);
  CHECK(memcmp(before, orig, BYTES) == 0);
  CHECK(memcmp(m, "\177ELF", 4) == 0);
  tl_say("a private mapping of the file shows its bytes\n");

  /* Write pages 0 and 2 of the private mapping. */
  memset(m + 16, 0xAA, 100);
  memset(m + 2 * MT_PAGE, 0x55, MT_PAGE);
  CHECK(m[16] == 0xAA && m[115] == 0xAA && m[116] == orig[116] && m[2 * MT_PAGE + 4095] == 0x55);
  CHECK(memcmp(m + MT_PAGE, orig + MT_PAGE, MT_PAGE) == 0);
  CHECK(memcmp(m + 3 * MT_PAGE, orig + 3 * MT_PAGE, MT_PAGE) == 0);
  unsigned char now[BYTES];
  CHECK(read_file(fd, now) && memcmp(now, orig, BYTES) == 0);
  CHECK(memcmp(before, orig, BYTES) == 0);
  unsigned char* after = mmap(NULL, BYTES, PROT_READ, MAP_PRIVATE, fd, 0);
  CHECK(after != MAP_FAILED && memcmp(after, orig, BYTES) == 0);
  tl_say("writes to it stay private: read() and other mappings still show the file\n");

  /* fork: the child sees the private writes; its own writes stay in the child. */
  pid_t pid = mt_fork();
  if (pid == 0) {
    int ok = m[16] == 0xAA && m[2 * MT_PAGE] == 0x55 && memcmp(m + MT_PAGE, orig + MT_PAGE, MT_PAGE) == 0;
    memset(m, 1, BYTES);
    ok &= m[3 * MT_PAGE] == 1;
    _exit(ok ? 0 : 1);
  }
  int status = mt_wait(pid);
  tl_say("a child sees them and writes its own: %s\n", mt_status_str(status));
  CHECK(status == 0);
  CHECK(m[16] == 0xAA && m[2 * MT_PAGE] == 0x55 && memcmp(m + MT_PAGE, orig + MT_PAGE, MT_PAGE) == 0 &&
        memcmp(m + 3 * MT_PAGE, orig + 3 * MT_PAGE, MT_PAGE) == 0);
  CHECK(read_file(fd, now) && memcmp(now, orig, BYTES) == 0);
  tl_say("the parent's mapping and the file are unchanged by the child\n");

  /* A page-aligned offset. */
  unsigned char* off = mmap(NULL, 2 * MT_PAGE, PROT_READ, MAP_PRIVATE, fd, 2 * MT_PAGE);
  CHECK(off != MAP_FAILED && memcmp(off, orig + 2 * MT_PAGE, 2 * MT_PAGE) == 0);
  tl_say("a mapping at offset 2 pages shows the file's bytes from there\n");

  /* Read-only mappings. */
  int r = mt_probe_write(before);
  CHECK(r == MT_SEGV);
  tl_say("writing a PROT_READ private mapping: %s\n", mt_probe_str(r));
  unsigned char* shared = mmap(NULL, BYTES, PROT_READ, MAP_SHARED, fd, 0);
  CHECK(shared != MAP_FAILED && memcmp(shared, orig, BYTES) == 0);
  r = mt_probe_write(shared);
  CHECK(r == MT_SEGV);
  tl_say("writing a PROT_READ shared mapping: %s\n", mt_probe_str(r));
  CHECK_ERRNO(mprotect(shared, BYTES, PROT_READ | PROT_WRITE), EACCES);
  tl_say("mprotect(PROT_WRITE) on a shared mapping of an O_RDONLY file: EACCES\n");
  CHECK(mprotect(before, BYTES, PROT_READ | PROT_WRITE) == 0);
  before[0] = 0x42;
  CHECK(read_file(fd, now) && memcmp(now, orig, BYTES) == 0);
  tl_say("on a private one it works, and writes stay private\n");

  /* Closing the descriptor keeps the mappings. */
  CHECK(close(fd) == 0);
  CHECK(memcmp(after, orig, BYTES) == 0 && memcmp(off, orig + 2 * MT_PAGE, 2 * MT_PAGE) == 0);
  CHECK(m[16] == 0xAA && before[0] == 0x42 && memcmp(shared, orig, BYTES) == 0);
  tl_say("closing the file keeps the mappings\n");
  CHECK(munmap(m, BYTES) == 0 && munmap(before, BYTES) == 0 && munmap(after, BYTES) == 0);
  CHECK(munmap(off, 2 * MT_PAGE) == 0 && munmap(shared, BYTES) == 0);
  return tl_done();
}
