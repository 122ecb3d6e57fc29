/* mm_shared_anon: a MAP_SHARED|MAP_ANONYMOUS mapping stays shared across fork; a private one next to it does not.
 *
 * mmap(2): MAP_SHARED "Share this mapping. Updates to the mapping are visible to other processes mapping the
 * same region"; a shared anonymous mapping is shared with the children created by fork(2) (fork(2): "the
 * child inherits ... mappings"; only MAP_PRIVATE ones are copied on write). The test places a 4-page shared
 * mapping directly below a 4-page private one and checks, with the pages both touched before the fork and
 * first touched after it (the child's or parent's first write must reach the same page):
 *   - a child's writes to the shared pages are seen by the parent, the parent's by a running child, a
 *     grandchild's by both; a child that unmaps its view does not take the pages away from the parent;
 *   - writes to the private pages stay in the process that made them.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmtest.h"

#define PAGES 4
#define BYTES (PAGES * MT_PAGE)

static char* shared;  /* pages 0..1 touched before each fork, 2..3 left untouched until after it */
static char* priv;

static int check_shared(unsigned tag) { return mt_check(shared, BYTES, tag); }

int main(int argc, char** argv) {
  tl_init(argc, argv);

  /* Reserve 8 pages, then put the shared mapping on the first 4 and the private one on the last 4. */
  char* area = mt_map_isolated(2 * PAGES, 4, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  if (!area) return tl_done();
  shared = mmap(area, BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  priv = area + BYTES;
  CHECK(shared == area);
  const char* maps = mt_area_maps(area, 2 * PAGES, 4);
  CHECK_STR(maps, "0+4 rw-s 4+4 rw-p");
  tl_say("a shared mapping (rw-s) next to a private one (rw-p)\n");

  /* Touch the first half of each before the fork; the second half is first touched after it. */
  memset(shared, 1, BYTES / 2);
  memset(priv, 1, BYTES / 2);

  /* A child writes all of both mappings: the parent sees the shared writes only. */
  pid_t pid = mt_fork();
  if (pid == 0) {
    mt_fill(shared, BYTES, 1);
    mt_fill(priv, BYTES, 2);
    _exit(0);
  }
  CHECK(mt_wait(pid) == 0);
  CHECK(check_shared(1));
  CHECK(mt_is_zero(priv + BYTES / 2, BYTES / 2));
  CHECK(priv[0] == 1 && priv[BYTES / 2 - 1] == 1);
  tl_say("the parent sees the child's shared writes, not its private ones\n");

  /* Parent writes while the child runs; the child writes back; both see each other's shared writes. */
  struct mt_chan to_child, to_parent;
  mt_chan_open(&to_child);
  mt_chan_open(&to_parent);
  pid = mt_fork();
  if (pid == 0) {
    int ok = check_shared(1);
    mt_chan_send(&to_parent, 'r');
    ok &= mt_chan_recv(&to_child) == 'w';
    ok &= check_shared(3);
    ok &= mt_is_zero(priv + BYTES / 2, BYTES / 2); /* the parent's private writes stay in the parent */
    mt_fill(shared, BYTES, 4);
    mt_fill(priv, BYTES, 5);
    mt_chan_send(&to_parent, 'd');
    _exit(ok ? 0 : 1);
  }
  CHECK(mt_chan_recv(&to_parent) == 'r');
  mt_fill(shared, BYTES, 3);
  mt_fill(priv, BYTES, 6);
  mt_chan_send(&to_child, 'w');
  CHECK(mt_chan_recv(&to_parent) == 'd');
  CHECK(check_shared(4));
  CHECK(mt_check(priv, BYTES, 6));
  int status = mt_wait(pid);
  CHECK(status == 0);
  tl_say("a running child and the parent see each other's shared writes: %s\n", mt_status_str(status));

  /* Grandchildren: the shared mapping is inherited through two forks. */
  pid = mt_fork();
  if (pid == 0) {
    pid_t g = mt_fork();
    if (g == 0) {
      int ok = check_shared(4);
      mt_fill(shared, BYTES, 7);
      mt_fill(priv, BYTES, 8);
      _exit(ok ? 0 : 1);
    }
    int ok = mt_wait(g) == 0;
    ok &= check_shared(7) && mt_check(priv, BYTES, 6);
    _exit(ok ? 0 : 1);
  }
  status = mt_wait(pid);
  tl_say("a grandchild's shared writes reach its parent and the test: %s\n", mt_status_str(status));
  CHECK(status == 0);
  CHECK(check_shared(7));
  CHECK(mt_check(priv, BYTES, 6));
  tl_say("its private writes reach nobody\n");

  /* Untouched-before-fork shared pages: a fresh shared mapping, first written by the child. */
  char* fresh = mmap(NULL, BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(fresh != MAP_FAILED);
  pid = mt_fork();
  if (pid == 0) {
    mt_fill(fresh, BYTES, 9);
    _exit(0);
  }
  CHECK(mt_wait(pid) == 0);
  CHECK(mt_check(fresh, BYTES, 9));
  tl_say("pages of a shared mapping first touched by the child are shared too\n");

  /* A child unmapping its view does not affect the parent's. */
  pid = mt_fork();
  if (pid == 0) _exit(munmap(shared, BYTES) == 0 && munmap(fresh, BYTES) == 0 ? 0 : 1);
  CHECK(mt_wait(pid) == 0);
  CHECK(check_shared(7));
  CHECK(mt_check(fresh, BYTES, 9));
  tl_say("a child unmapping them leaves the parent's intact\n");
  mt_chan_close(&to_child);
  mt_chan_close(&to_parent);
  return tl_done();
}
