/* mm_brk: the program break: query, lazy growth, shrinking releases memory, no overlap with other mappings.
 *
 * brk(2): "brk() sets the end of the data segment to the value specified by addr, when that value is
 * reasonable, the system has enough memory, and the process does not exceed its maximum data size."
 * C library/kernel differences: "the Linux system call returns the new program break on success. On
 * failure, the system call returns the current break." — so the raw system call brk(0) returns the current
 * break, and a refused request returns the unchanged break. Linux refuses a break below its start and one
 * that would reach another mapping (mm/mmap.c: the new break must stay at least a page below the next
 * mapping), and unmaps the pages above a lowered break.
 *
 * Checked: brk(0) matches sbrk(0); growing by 16 MiB uses no memory until touched; touching 256 pages uses
 * 256 pages; lowering the break releases them, and pages above the lowered break fault; regrown pages are
 * zero again; a break below the start is refused; with a MAP_FIXED mapping placed 64 pages above the break,
 * growing to 2 pages below it works, growing across it (or jumping over it) is refused and leaves the
 * mapping's contents alone.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mmtest.h"

static uintptr_t raw_brk(uintptr_t addr) { return (uintptr_t)tl_raw_syscall(SYS_brk, (long)addr, 0, 0, 0, 0, 0); }

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int observe = mt_memory_observable("free memory and /proc/meminfo are the host's under qemu-user");
  free(malloc(1000));
  struct mt_mem m0, m1, m2;
  mt_mem_snapshot(&m0);

  uintptr_t cur = raw_brk(0);
  CHECK(cur == (uintptr_t)sbrk(0));
  CHECK(raw_brk(0) == cur);
  tl_say("brk(0) returns the current break\n");

  /* Refused requests return the unchanged break. Work from a page-aligned break. */
  uintptr_t start = MT_PAGE_ALIGN(cur);
  CHECK(raw_brk(start) == start);
  CHECK(raw_brk(MT_PAGE) == start);
  CHECK(raw_brk(1) == start);
  tl_say("a break below the start is refused\n");

  uintptr_t fixed = start + 64 * MT_PAGE;
  char* m = mmap((void*)fixed, 4 * MT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                 -1, 0);
  CHECK(m == (char*)fixed);
  mt_fill(m, 4 * MT_PAGE, 7);
  CHECK(raw_brk(fixed + 2 * MT_PAGE) == start);
  CHECK(raw_brk(fixed + 4 * MT_PAGE) == start);
  CHECK(raw_brk(fixed + (1UL << 20)) == start);
  CHECK(mt_check(m, 4 * MT_PAGE, 7));
  tl_say("growing the break across a mapping is refused; the mapping is intact\n");
  CHECK(raw_brk(fixed - 2 * MT_PAGE) == fixed - 2 * MT_PAGE);
  CHECK(mt_is_zero((void*)start, 62 * MT_PAGE));
  memset((void*)start, 3, 62 * MT_PAGE);
  CHECK(mt_check(m, 4 * MT_PAGE, 7));
  tl_say("growing it to two pages below the mapping works\n");
  CHECK(raw_brk(fixed + 8 * MT_PAGE) == fixed - 2 * MT_PAGE);
  CHECK(mt_check(m, 4 * MT_PAGE, 7));
  tl_say("and from there, growing across it is refused\n");

  CHECK(raw_brk(start) == start);
  CHECK(munmap(m, 4 * MT_PAGE) == 0);

  /* Lazy growth. */
  mt_mem_snapshot(&m0);
  uintptr_t end = start + (16UL << 20);
  CHECK(raw_brk(end) == end);
  m1 = mt_mem_note("after growing by 16 MiB", &m0);
  if (observe) CHECK_USAGE(&m0, &m1, 0, 0, 0);
  tl_say("growing the break by 16 MiB used no memory\n");
  char* heap = (char*)start;
  CHECK(mt_is_zero(heap, 4 * MT_PAGE));
  mt_mem_snapshot(&m1);
  for (int i = 0; i < 256; i++) heap[(size_t)i * 16 * MT_PAGE / 4 + 5] = 1; /* 256 pages, 4 pages apart */
  m2 = mt_mem_note("after touching 256 pages", &m1);
  if (observe) CHECK_USAGE(&m1, &m2, 256, 0, 10);
  tl_say("touching 256 pages used 256 pages\n");

  /* Lowering the break releases them; the pages above fault; regrown pages are zero. */
  mt_mem_snapshot(&m1);
  CHECK(raw_brk(start) == start);
  m2 = mt_mem_note("after lowering the break", &m1);
  if (observe) CHECK_USAGE(&m1, &m2, -256, -10, 0);
  tl_say("lowering the break released them\n");
  int r = mt_probe_read(heap + 5);
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user keeps memory accessible after the break shrinks below it"))
    CHECK(r == MT_SEGV);
  tl_say("a page above the lowered break: SIGSEGV\n");
  CHECK(raw_brk(end) == end);
  CHECK(mt_is_zero(heap, 16 * MT_PAGE));
  CHECK(heap[(size_t)100 * 16 * MT_PAGE / 4 + 5] == 0);
  tl_say("pages regrown after lowering the break are zero\n");
  CHECK(raw_brk(start) == start);

  CHECK(raw_brk(cur) == cur);
  return tl_done();
}
