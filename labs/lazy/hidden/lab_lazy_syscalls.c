/* lab_lazy_syscalls (lab lazy, hidden): system calls given memory that was never touched (Pintos-style
 * robustness; xv6's lazy lab has the same test, "sbrkarg").
 *
 * The kernel reads and writes user memory through the program's own page table: an untouched page of a lazy
 * break or mapping must fault in for the kernel as it does for the program (the zero page for a read, a page
 * of its own for a write), and an address no region covers must give EFAULT, not a page, not a panic.
 *   - write(2) to a pipe from 8 untouched pages of a grown break: zeros come out
 *   - read(2) from a pipe into untouched pages of the break, across a page boundary: the data lands, the rest of
 *     both pages reads zero
 *   - a 256 MiB anonymous mapping on a 64 MiB machine: write(2) from 64 untouched pages spread over it and a
 *     read(2) into its last page; on this kernel less than 1 MiB of memory is used for it (the zero page)
 *   - open(2) with its path in untouched memory: the path is "" (ENOENT)
 *   - read(2) into the page past the page-aligned break, and into a hole munmap left: EFAULT, and the break is
 *     where it was
 * Checked on Linux 6.1 (../shared/reference-linux, -m 64M).
 * TEST: mem=64M
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testlib.h"

#define PAGE 4096ul
#define BIG (256ul << 20)

static int all(const char* p, char c, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != c) return 0;
  return 1;
}

/* write(2) len bytes from src into a pipe and read them back into a buffer of ours: 1 if they are all zero. */
static int written_zeros(const char* src, size_t len) {
  int p[2];
  if (pipe(p) < 0) return 0;
  int ok = 1;
  static char back[PAGE];
  for (size_t done = 0; done < len && ok; done += PAGE) {
    ok = write(p[1], src + done, PAGE) == (ssize_t)PAGE && read(p[0], back, PAGE) == (ssize_t)PAGE &&
         all(back, 0, PAGE);
  }
  close(p[0]);
  close(p[1]);
  return ok;
}

/* read(2) from a pipe holding text into dst: what read returned (errno kept). */
static ssize_t read_into(char* dst, const char* text, size_t len) {
  int p[2];
  if (pipe(p) < 0) return -2;
  if (write(p[1], text, len) != (ssize_t)len) return -2;
  close(p[1]);
  ssize_t r = read(p[0], dst, len);
  int saved = errno;
  close(p[0]);
  errno = saved;
  return r;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);

  /* 1, 2: the break. */
  char* heap = sbrk(16 * PAGE);
  CHECK(heap != (char*)-1);
  heap = (char*)(((uintptr_t)heap + PAGE - 1) & ~(PAGE - 1)); /* whole pages of the new break */
  CHECK(written_zeros(heap, 8 * PAGE));
  tl_say("write() from 8 untouched pages of the break: zeros\n");
  CHECK(read_into(heap + 10 * PAGE - 5, "0123456789", 10) == 10);
  CHECK(memcmp(heap + 10 * PAGE - 5, "0123456789", 10) == 0);
  CHECK(all(heap + 9 * PAGE, 0, PAGE - 5) && all(heap + 10 * PAGE + 5, 0, PAGE - 5));
  tl_say("read() into untouched pages of the break, across a page boundary: the data, zeros around it\n");

  /* 3: a big lazy mapping. */
  uint64_t free_before = tl_free_memory();
  char* big = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  CHECK(big != MAP_FAILED);
  int zeros = 1;
  for (unsigned long i = 0; i < 64; i++) zeros &= written_zeros(big + i * (BIG / 64) + 3 * PAGE, PAGE);
  CHECK(zeros);
  CHECK(read_into(big + BIG - 4, "tail", 4) == 4 && memcmp(big + BIG - 4, "tail", 4) == 0);
  if (!KNOWN_QEMU_USER_DIFFERENCE("free memory is the host's under qemu-user")) {
    uint64_t free_after = tl_free_memory();
    CHECK(free_before < free_after + (1ul << 20));
  }
  tl_say("a 256 MiB mapping: write() from 64 untouched pages, read() into its last page, memory hardly used\n");
  CHECK(munmap(big, BIG) == 0);

  /* 4: a path in untouched memory. */
  char* blank = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(blank != MAP_FAILED);
  errno = 0;
  CHECK(open(blank, O_RDONLY) == -1 && errno == ENOENT);
  tl_say("open() with its path in untouched memory: ENOENT (an empty path)\n");

  /* 5: addresses no region covers. */
  char* end = sbrk(0);
  char* past = (char*)(((uintptr_t)end + PAGE - 1) & ~(PAGE - 1)) + PAGE;
  errno = 0;
  CHECK(read_into(past, "x", 1) == -1 && errno == EFAULT);
  CHECK(sbrk(0) == end);
  char* hole = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(hole != MAP_FAILED && munmap(hole + PAGE, PAGE) == 0);
  errno = 0;
  CHECK(read_into(hole + PAGE, "y", 1) == -1 && errno == EFAULT);
  CHECK(all(hole, 0, PAGE) && all(hole + 2 * PAGE, 0, PAGE));
  tl_say("read() past the break and into a hole munmap left: EFAULT, the break where it was\n");
  return tl_done();
}
