/* mm_zero_page: reading untouched anonymous memory returns zeros and costs no memory.
 *
 * mmap(2): an anonymous mapping's "contents are initialized to zero". Linux does not allocate a page to
 * satisfy a read of an untouched private anonymous page: it maps the shared, read-only zero page
 * (do_anonymous_page), and allocates a private page only at the first write. This test reads 1000 pages of
 * a fresh mapping (all zero; free memory and AnonPages almost unchanged — only page tables are added), then
 * writes one of them (one page consumed, the others still read as zero), and checks that the zero page was
 * not modified by that write (a second fresh mapping still reads as zero), also across fork(2).
 *
 * On our kernel /proc/meminfo has a "ZeroPageHits:" counter (a plain count of read faults served with the
 * zero page); it must grow by about 1000. Linux has no such field: checked only on our kernel.
 *
 * TEST: mem=64M
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmtest.h"

#define PAGES 1000

/* ZeroPageHits is a plain count, not kB: read it directly. */
static long zero_page_hits(void) { return tl_meminfo_kb("ZeroPageHits"); }

static int sum_pages(const char* p, size_t pages) {
  int nonzero = 0;
  for (size_t i = 0; i < pages; i++)
    if (!mt_is_zero(p + i * MT_PAGE, MT_PAGE)) nonzero++;
  return nonzero;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int observe = mt_memory_observable("free memory and /proc/meminfo are the host's under qemu-user");
  int ours = tl_is_our_kernel();
  struct mt_mem m0, m1, m2;
  mt_mem_snapshot(&m0); /* warm up */

  char* p = mmap(NULL, PAGES * MT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  if (p == MAP_FAILED) return tl_done();

  long hits0 = zero_page_hits();
  mt_mem_snapshot(&m0);
  CHECK(sum_pages(p, PAGES) == 0);
  tl_say("read %d untouched pages: all zero\n", PAGES);
  m1 = mt_mem_note("after reading", &m0);
  long hits1 = zero_page_hits();
  /* 1000 pages need 2 or 3 leaf page tables and possibly one upper-level table. */
  if (observe) CHECK_USAGE(&m0, &m1, 0, 0, 4);
  tl_say("reading them used no memory beyond page tables\n");
  if (ours) {
    fprintf(stderr, "note: ZeroPageHits %ld -> %ld\n", hits0, hits1);
    CHECK(hits0 >= 0);
    CHECK_RANGE(hits1 - hits0, PAGES, PAGES + 16);
  }
  tl_say("the kernel counted them as zero-page hits (our kernel only)\n");

  /* Write one page: one page consumed; the page and its neighbours read correctly. */
  mt_mem_snapshot(&m1);
  p[500 * MT_PAGE + 7] = 42;
  m2 = mt_mem_note("after writing one page", &m1);
  if (observe) CHECK_USAGE(&m1, &m2, 1, 0, 0);
  tl_say("writing one page consumed one page\n");
  CHECK(p[500 * MT_PAGE + 7] == 42);
  p[500 * MT_PAGE + 7] = 0;
  CHECK(sum_pages(p, PAGES) == 0);
  p[500 * MT_PAGE + 7] = 42;
  tl_say("the written page holds the value; the other pages still read as zero\n");

  /* The zero page itself was not written: a fresh mapping still reads as zero. */
  char* q = mmap(NULL, 16 * MT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(q != MAP_FAILED);
  CHECK(sum_pages(q, 16) == 0);
  tl_say("a fresh mapping still reads as zero\n");

  /* Across fork: the child writes pages that the parent has mapped to the zero page, and vice versa. */
  pid_t pid = mt_fork();
  if (pid == 0) {
    for (int i = 0; i < 16; i++) q[i * MT_PAGE + 1] = 7;
    int ok = p[500 * MT_PAGE + 7] == 42 && q[5 * MT_PAGE + 1] == 7 && mt_is_zero(p + 501 * MT_PAGE, MT_PAGE);
    p[501 * MT_PAGE] = 9;
    _exit(ok ? 0 : 1);
  }
  int status = mt_wait(pid);
  tl_say("child writing zero-page-backed pages: %s\n", mt_status_str(status));
  CHECK(status == 0);
  CHECK(sum_pages(q, 16) == 0);
  CHECK(mt_is_zero(p + 501 * MT_PAGE, MT_PAGE));
  tl_say("the parent still reads zeros there\n");
  for (int i = 0; i < 16; i++) q[i * MT_PAGE] = 3;
  char* r = mmap(NULL, 16 * MT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(r != MAP_FAILED);
  CHECK(sum_pages(r, 16) == 0);
  tl_say("after the parent writes too, a fresh mapping still reads as zero\n");
  CHECK(munmap(p, PAGES * MT_PAGE) == 0 && munmap(q, 16 * MT_PAGE) == 0 && munmap(r, 16 * MT_PAGE) == 0);
  return tl_done();
}
