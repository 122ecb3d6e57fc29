/* mm_shared_file: one page cache for read/write and mappings of a file (mmap(2), msync(2), mincore(2)).
 *   - a store through a MAP_SHARED mapping is seen by read() at once, and a write() through existing mappings
 *   - two processes mapping the file see each other's stores
 *   - MAP_SHARED with PROT_WRITE needs a descriptor open for writing (EACCES), and mprotect cannot add it later;
 *     MAP_PRIVATE may write anyway, and its stores never reach the file
 *   - ftruncate under a mapping: the pages past the new end give SIGBUS (BUS_ADRERR, si_addr) in every
 *     mapping, private copies of them (MAP_PRIVATE stores) too, the tail of the last page reads as zeros, and
 *     growing the file again makes them zero pages
 *   - msync: EINVAL for unknown flags, MS_ASYNC|MS_SYNC and an unaligned address, ENOMEM for an unmapped range,
 *     0 for MS_SYNC, MS_ASYNC and MS_INVALIDATE on the mapping
 *   - madvise(MADV_DONTNEED) on a shared mapping drops the mapping, not the data
 *   - mincore: the file's pages are in memory, an anonymous mapping's touched pages only; EINVAL unaligned,
 *     ENOMEM unmapped
 * The file lives in the directory given as the argument (default /tmp: ramfs; ext2_test.py runs it on /mnt).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmtest.h"

#define PAGES 8
#define PG ((size_t)MT_PAGE)

static char path[256];
static sigjmp_buf jump;
static volatile int got_sig, got_code;
static volatile uintptr_t got_addr;

static void on_bus(int sig, siginfo_t* si, void* uc) {
  (void)uc;
  got_sig = sig;
  got_code = si->si_code;
  got_addr = (uintptr_t)si->si_addr;
  siglongjmp(jump, 1);
}

/* Reads one byte at p; returns the signal it raised (0 if none). */
static int touch(volatile char* p, char* value) {
  got_sig = 0;
  if (sigsetjmp(jump, 1) == 0) *value = *p;
  return got_sig;
}

static int make_file(size_t size) {
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  char page[PG];
  for (size_t done = 0; done < size; done += PG) {
    memset(page, 'a' + (int)(done / PG), PG);
    size_t n = size - done < PG ? size - done : PG;
    CHECK(write(fd, page, n) == (ssize_t)n);
  }
  return fd;
}

static void read_write_and_mappings(void) {
  int fd = make_file(PAGES * PG);
  char* m = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(m != MAP_FAILED);
  CHECK(m[0] == 'a' && m[3 * PG + 5] == 'd');
  memcpy(m + 2 * PG + 100, "through the mapping", 19);
  char buf[32] = {0};
  CHECK(pread(fd, buf, 19, 2 * PG + 100) == 19 && memcmp(buf, "through the mapping", 19) == 0);
  CHECK(pwrite(fd, "by pwrite", 9, 5 * PG + 7) == 9);
  CHECK(memcmp(m + 5 * PG + 7, "by pwrite", 9) == 0);
  tl_say("a store through MAP_SHARED is seen by read(), a write() by the mapping\n");

  /* A second process maps the file on its own. */
  pid_t child = mt_fork();
  if (child == 0) {
    int cfd = open(path, O_RDWR);
    char* c = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
    int ok = c != MAP_FAILED && memcmp(c + 2 * PG + 100, "through the mapping", 19) == 0;
    if (ok) memcpy(c + 7 * PG, "from the child", 14);
    _exit(ok ? 0 : 1);
  }
  CHECK(mt_wait(child) == 0);
  CHECK(memcmp(m + 7 * PG, "from the child", 14) == 0);
  tl_say("two processes share the file's pages\n");

  /* MAP_PRIVATE copies on write: the file and the shared mapping keep their bytes. */
  char* p = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  CHECK(p != MAP_FAILED);
  p[PG] = 'P';
  CHECK(m[PG] == 'b');
  CHECK(pread(fd, buf, 1, PG) == 1 && buf[0] == 'b');
  m[PG + 1] = 'S';
  CHECK(p[PG + 1] == 'b');  /* the private copy was made before the store: it keeps the old byte */
  CHECK(p[4 * PG] == 'e');
  tl_say("MAP_PRIVATE stores stay private\n");
  CHECK(munmap(p, PAGES * PG) == 0);

  /* msync */
  CHECK(msync(m, PAGES * PG, MS_SYNC) == 0);
  CHECK(msync(m, PAGES * PG, MS_ASYNC) == 0);
  CHECK(msync(m, PAGES * PG, MS_INVALIDATE) == 0);
  CHECK(msync(m + PG, PG, MS_SYNC | MS_INVALIDATE) == 0);
  CHECK(msync(m, 0, MS_SYNC) == 0);
  CHECK_ERRNO(msync(m, PG, MS_SYNC | MS_ASYNC), EINVAL);
  CHECK_ERRNO(msync(m, PG, 8), EINVAL);
  CHECK_ERRNO(msync(m + 1, PG, MS_SYNC), EINVAL);
  CHECK(pread(fd, buf, 14, 7 * PG) == 14 && memcmp(buf, "from the child", 14) == 0);
  tl_say("msync: MS_SYNC, MS_ASYNC, MS_INVALIDATE; EINVAL for bad flags and addresses\n");

  /* MADV_DONTNEED drops the mapping; the data is the file's. */
  CHECK(madvise(m, PAGES * PG, MADV_DONTNEED) == 0);
  CHECK(memcmp(m + 2 * PG + 100, "through the mapping", 19) == 0 && m[PG + 1] == 'S');
  tl_say("MADV_DONTNEED on a shared mapping keeps the data\n");

  /* mincore: every page of the file is in memory (it was just written). */
  unsigned char vec[PAGES];
  memset(vec, 9, sizeof vec);
  CHECK(mincore(m, PAGES * PG, vec) == 0);
  int resident = 0;
  for (int i = 0; i < PAGES; i++) resident += vec[i] & 1;
  CHECK(resident == PAGES);
  CHECK_ERRNO(mincore(m + 1, PG, vec), EINVAL);
  CHECK(munmap(m, PAGES * PG) == 0);
  CHECK_ERRNO(mincore(m, PG, vec), ENOMEM);
  CHECK_ERRNO(msync(m, PG, MS_SYNC), ENOMEM);
  char* anon = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(anon != MAP_FAILED);
  anon[0] = 1;
  anon[2 * PG] = 1;
  CHECK(mincore(anon, 4 * PG, vec) == 0);
  CHECK(vec[0] == 1 && vec[1] == 0 && vec[2] == 1 && vec[3] == 0);
  CHECK(munmap(anon, 4 * PG) == 0);
  tl_say("mincore: file pages and touched anonymous pages are resident; EINVAL, ENOMEM\n");
  CHECK(close(fd) == 0);
}

static void access_rights(void) {
  int fd = make_file(2 * PG);
  CHECK(close(fd) == 0);
  fd = open(path, O_RDONLY);
  CHECK(fd >= 0);
  CHECK_ERRNO(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
  char* r = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
  CHECK(r != MAP_FAILED);
  CHECK_ERRNO(mprotect(r, PG, PROT_READ | PROT_WRITE), EACCES);
  char* w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  CHECK(w != MAP_FAILED);
  w[0] = 'W';
  CHECK(r[0] == 'a');
  CHECK(munmap(r, PG) == 0 && munmap(w, PG) == 0);
  CHECK(close(fd) == 0);
  fd = open(path, O_WRONLY);
  CHECK_ERRNO(mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0), EACCES);
  CHECK(close(fd) == 0);
  tl_say("MAP_SHARED writable needs O_RDWR: EACCES otherwise, also for mprotect; mapping needs read access\n");
}

static void truncation(void) {
  int fd = make_file(4 * PG);
  char* m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  char* r = mmap(NULL, 4 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
  char* w = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  CHECK(m != MAP_FAILED && r != MAP_FAILED && w != MAP_FAILED);
  CHECK(m[3 * PG] == 'd' && r[3 * PG] == 'd' && r[PG] == 'b');
  w[PG + 8] = 'P';  /* private copies: of the page that will be the last, and of two past the new end */
  w[2 * PG] = 'Q';
  w[3 * PG + 9] = 'R';
  CHECK(tl_handle_signal(SIGBUS, on_bus, SA_SIGINFO) == 0);
  CHECK(ftruncate(fd, PG + 100) == 0);
  char c = 0;
  CHECK(touch(m + PG + 50, &c) == 0 && c == 'b');
  CHECK(touch(m + PG + 100, &c) == 0 && c == 0);  /* the tail of the last page reads as zero */
  CHECK(touch(m + 2 * PG + 8, &c) == SIGBUS && got_code == BUS_ADRERR && got_addr == (uintptr_t)(m + 2 * PG + 8));
  CHECK(touch(m + 3 * PG, &c) == SIGBUS);
  CHECK(touch(r + 3 * PG + 1, &c) == SIGBUS && got_addr == (uintptr_t)(r + 3 * PG + 1));
  /* A private copy past the new end goes too (Linux drops COW pages with the file's); the last page's stays. */
  CHECK(touch(w + 2 * PG, &c) == SIGBUS && got_code == BUS_ADRERR && got_addr == (uintptr_t)(w + 2 * PG));
  CHECK(touch(w + 3 * PG + 9, &c) == SIGBUS);
  CHECK(touch(w + PG + 8, &c) == 0 && c == 'P');
  tl_say("ftruncate under mappings: SIGBUS (BUS_ADRERR) past the new end, private copies too, zeros in the last "
         "page\n");
  CHECK(ftruncate(fd, 4 * PG) == 0);
  CHECK(touch(m + 3 * PG + 5, &c) == 0 && c == 0);
  CHECK(touch(r + 2 * PG, &c) == 0 && c == 0);
  CHECK(touch(w + 2 * PG, &c) == 0 && c == 0);  /* the file's new zero page, not the old copy */
  m[3 * PG] = 'z';
  CHECK(pread(fd, &c, 1, 3 * PG) == 1 && c == 'z');
  CHECK(write(fd, "x", 0) == 0);
  CHECK(pwrite(fd, "grown", 5, 4 * PG) == 5);  /* past the mapping: the file grows */
  char* g = mmap(NULL, 5 * PG, PROT_READ, MAP_SHARED, fd, 0);
  CHECK(g != MAP_FAILED && memcmp(g + 4 * PG, "grown", 5) == 0);
  tl_say("growing the file again gives zero pages; a new mapping sees the new data\n");
  CHECK(munmap(m, 4 * PG) == 0 && munmap(r, 4 * PG) == 0 && munmap(w, 4 * PG) == 0 && munmap(g, 5 * PG) == 0);
  CHECK(close(fd) == 0);
  signal(SIGBUS, SIG_DFL);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  const char* dir = argc > 1 ? argv[1] : "/tmp";
  snprintf(path, sizeof path, "%s/mm_shared_file.%d", dir, getpid());
  read_write_and_mappings();
  access_rights();
  truncation();
  CHECK(unlink(path) == 0);
  return tl_done();
}
