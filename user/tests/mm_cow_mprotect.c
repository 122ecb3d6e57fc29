/* mm_cow_mprotect: mprotect never lets a process write a page it shares copy-on-write.
 *
 * fork(2): memory writes "performed by one of the processes do not affect the other"; mprotect(2) changes
 * the protection of the calling process's pages only. A kernel that implements mprotect(PROT_READ|PROT_WRITE)
 * by setting the writable bit on every present page table entry would make pages still shared with a
 * parent or child writable in place - and the write would show in the other process. It must instead keep
 * shared pages read-only in the page table and copy them at the first write.
 *
 * Checked, with private anonymous pages touched before the fork:
 *   1. read-only before the fork, the child makes them writable and writes: the parent does not see it;
 *      then the parent does the same: the (still running) child does not see it;
 *   2. writable at fork, the child toggles them read-only and back and writes: the parent does not see it;
 *   3. a child making its view PROT_NONE does not affect the parent's access, and vice versa;
 *   4. a MAP_SHARED mapping: protection changes stay per process, while the data stays shared.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "mmtest.h"

#define PAGES 4
#define BYTES (PAGES * MT_PAGE)
#define RW (PROT_READ | PROT_WRITE)

int main(int argc, char** argv) {
  tl_init(argc, argv);
  char* p = mmap(NULL, BYTES, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  if (p == MAP_FAILED) return tl_done();
  struct mt_chan to_child, to_parent;
  mt_chan_open(&to_child);
  mt_chan_open(&to_parent);

  /* 1. Read-only at fork. */
  mt_fill(p, BYTES, 1);
  CHECK(mprotect(p, BYTES, PROT_READ) == 0);
  pid_t pid = mt_fork();
  if (pid == 0) {
    int ok = mprotect(p, BYTES, RW) == 0;
    mt_fill(p, BYTES, 2);
    mt_chan_send(&to_parent, 'w');
    ok &= mt_chan_recv(&to_child) == 'g'; /* the parent has written its own values meanwhile */
    ok &= mt_check(p, BYTES, 2);
    _exit(ok ? 0 : 1);
  }
  CHECK(mt_chan_recv(&to_parent) == 'w');
  CHECK(mt_check(p, BYTES, 1));
  CHECK(mprotect(p, BYTES, RW) == 0);
  mt_fill(p, BYTES, 3);
  mt_chan_send(&to_child, 'g');
  int status = mt_wait(pid);
  CHECK(status == 0);
  CHECK(mt_check(p, BYTES, 3));
  tl_say("read-only at fork, each side made it writable and wrote: neither saw the other's writes (%s)\n",
         mt_status_str(status));

  /* 2. Writable at fork; the child toggles read-only and back, then writes. */
  mt_fill(p, BYTES, 4);
  pid = mt_fork();
  if (pid == 0) {
    int ok = mprotect(p, BYTES, PROT_READ) == 0 && mprotect(p, BYTES, RW) == 0;
    mt_fill(p, BYTES, 5);
    _exit(ok && mt_check(p, BYTES, 5) ? 0 : 1);
  }
  status = mt_wait(pid);
  CHECK(status == 0);
  CHECK(mt_check(p, BYTES, 4));
  tl_say("a child toggling read-only and back, then writing: the parent keeps its values (%s)\n",
         mt_status_str(status));
  /* And the parent does the same while the child is alive. */
  pid = mt_fork();
  if (pid == 0) {
    mt_chan_send(&to_parent, 'r');
    int ok = mt_chan_recv(&to_child) == 'g';
    _exit(ok && mt_check(p, BYTES, 4) ? 0 : 1);
  }
  CHECK(mt_chan_recv(&to_parent) == 'r');
  CHECK(mprotect(p, BYTES, PROT_READ) == 0 && mprotect(p, BYTES, RW) == 0);
  mt_fill(p, BYTES, 6);
  mt_chan_send(&to_child, 'g');
  status = mt_wait(pid);
  CHECK(status == 0);
  tl_say("the parent doing the same: the child keeps its values (%s)\n", mt_status_str(status));

  /* 3. PROT_NONE in one process only. */
  pid = mt_fork();
  if (pid == 0) {
    int ok = mprotect(p, BYTES, PROT_NONE) == 0;
    mt_chan_send(&to_parent, 'n');
    ok &= mt_chan_recv(&to_child) == 'g';
    ok &= mprotect(p, BYTES, PROT_READ) == 0 && mt_check(p, BYTES, 6);
    _exit(ok ? 0 : 1);
  }
  CHECK(mt_chan_recv(&to_parent) == 'n');
  CHECK(mt_check(p, BYTES, 6));
  mt_fill(p, BYTES, 7);
  mt_chan_send(&to_child, 'g');
  status = mt_wait(pid);
  CHECK(status == 0);
  tl_say("a child's PROT_NONE does not affect the parent, and the child still has its own values (%s)\n",
         mt_status_str(status));

  /* 4. Shared mapping: protections per process, data shared. */
  char* s = mmap(NULL, BYTES, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(s != MAP_FAILED);
  mt_fill(s, BYTES, 8);
  pid = mt_fork();
  if (pid == 0) {
    int ok = mprotect(s, BYTES, PROT_READ) == 0;
    mt_chan_send(&to_parent, 'r');
    ok &= mt_chan_recv(&to_child) == 'g';
    ok &= mt_check(s, BYTES, 9);              /* sees the parent's write */
    ok &= mt_probe_write(s) == MT_SEGV;       /* but cannot write itself */
    ok &= mprotect(s, BYTES, RW) == 0;
    mt_fill(s, BYTES, 10);
    _exit(ok ? 0 : 1);
  }
  CHECK(mt_chan_recv(&to_parent) == 'r');
  mt_fill(s, BYTES, 9); /* the parent's mapping is still writable */
  mt_chan_send(&to_child, 'g');
  status = mt_wait(pid);
  CHECK(status == 0);
  CHECK(mt_check(s, BYTES, 10));
  tl_say("shared mapping: protection per process, data shared (%s)\n", mt_status_str(status));
  mt_chan_close(&to_child);
  mt_chan_close(&to_parent);
  return tl_done();
}
