/* mm_fork_storm: 1,000 short-lived children sharing an 8 MiB heap copy-on-write; no memory is lost.
 *
 * fork(2): the child gets a copy of the parent's memory (copy-on-write); _exit(2)/wait(2): when the child
 * has exited and been waited for, its resources are freed. So after any number of children have come and
 * gone, free memory is what it was before (proc(5): MemFree, AnonPages).
 *
 * The parent mallocs an 8 MiB buffer and fills it (every page a different pattern), then runs 1,000
 * children, 50 at a time. Child n reads 4 pages and checks them, writes 4 other pages (chosen by n, so
 * children write different pages), checks what it wrote and that a page next to it still holds the parent's
 * data, and exits. Afterwards the parent's buffer is intact, and free memory and AnonPages are back to their
 * values before the storm (on our kernel within a few pages; on Linux within 128 pages of free memory, for its
 * slab caches). Under qemu-user free memory is the host's: not checked.
 *
 * TEST: timeout=240
 * TEST: runtests-skip=free memory before and after the storm, within 4 pages
 */
#define _GNU_SOURCE
#include <sys/wait.h>
#include <unistd.h>

#include "mmtest.h"

#define HEAP_PAGES 2048 /* 8 MiB */
#define CHILDREN 1000
#define BATCH 50

static char* heap;

static char* page(long i) { return heap + (size_t)(i % HEAP_PAGES) * MT_PAGE; }

static int child(long n) {
  int ok = 1;
  for (long k = 0; k < 4; k++) {
    long r = n * 7 + k * 511 + 3; /* pages to read */
    ok &= mt_check(page(r), MT_PAGE, (unsigned)(r % HEAP_PAGES));
  }
  for (long k = 0; k < 4; k++) {
    long w = n * 2 + k * 512; /* pages to write: even pages, different for neighbouring children */
    mt_fill(page(w), MT_PAGE, 100000 + (unsigned)n);
  }
  for (long k = 0; k < 4; k++) {
    long w = n * 2 + k * 512;
    ok &= mt_check(page(w), MT_PAGE, 100000 + (unsigned)n);
    ok &= mt_check(page(w + 1), MT_PAGE, (unsigned)((w + 1) % HEAP_PAGES));
  }
  return ok ? 0 : 1;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int observe = mt_memory_observable("free memory and /proc/meminfo are the host's under qemu-user");
  heap = malloc(HEAP_PAGES * MT_PAGE);
  CHECK(heap != NULL);
  if (!heap) return tl_done();
  for (long i = 0; i < HEAP_PAGES; i++) mt_fill(page(i), MT_PAGE, (unsigned)i);

  /* Warm up (kernel caches for processes), then take the reference figures. */
  pid_t warm = mt_fork();
  if (warm == 0) _exit(child(0));
  CHECK(mt_wait(warm) == 0);
  struct mt_mem m0, m1;
  mt_mem_snapshot(&m0);

  int failed = 0, other = 0;
  for (long base = 0; base < CHILDREN; base += BATCH) {
    pid_t pids[BATCH];
    for (long j = 0; j < BATCH; j++) {
      pids[j] = mt_fork();
      if (pids[j] == 0) _exit(child(base + j));
      if (pids[j] < 0) other++;
    }
    for (long j = 0; j < BATCH; j++) {
      if (pids[j] < 0) continue;
      int status = mt_wait(pids[j]);
      if (status != 0) {
        if (failed + other < 5) fprintf(stderr, "child %ld: %s\n", base + j, mt_status_str(status));
        if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
          failed++;
        else
          other++;
      }
    }
  }
  CHECK(failed == 0 && other == 0);
  tl_say("%d children (%d at a time) read, wrote and checked pages of the shared heap: %d failed\n", CHILDREN,
         BATCH, failed + other);

  int intact = 1;
  for (long i = 0; i < HEAP_PAGES; i++) intact &= mt_check(page(i), MT_PAGE, (unsigned)i);
  CHECK(intact);
  tl_say("the parent's heap is intact\n");

  m1 = mt_mem_note("after the storm", &m0);
  if (observe) {
    int ours = tl_is_our_kernel();
    CHECK_RANGE(m0.free - m1.free, ours ? -4 : -128, ours ? 4 : 128);
    CHECK_RANGE(m1.anon - m0.anon, ours ? -2 : -8, ours ? 2 : 8);
    CHECK_RANGE(m1.pt - m0.pt, -2, 2);
  }
  tl_say("free memory and AnonPages are back to their values before the storm\n");
  free(heap);
  return tl_done();
}
