/* mm_oom_kill: a process that touches more memory than the machine has is killed; the system carries on.
 *
 * Demand paging lets mappings exceed RAM (mmap(2) MAP_NORESERVE; proc(5), overcommit_memory), so memory can
 * run out at a page fault, where no error can be returned. Linux then kills a process with SIGKILL (the
 * "OOM killer", proc(5): /proc/[pid]/oom_score, "the process to be killed in an out-of-memory (OOM)
 * situation") - here the only big one, the child - and frees its memory. The kernel must neither panic nor
 * hang nor kill an innocent small process.
 *
 * On a 64 MiB machine a child maps 256 MiB with MAP_NORESERVE and writes every page. Checked: the child dies
 * of SIGKILL; afterwards free memory is back near its value before (within 256 pages: Linux's caches
 * were squeezed), and the parent can still allocate and use 8 MiB. Under qemu-user the memory is the host's:
 * the child is not run there (known difference).
 *
 * TEST: mem=64M
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmtest.h"

#define HUGE (256UL << 20)

static int hog(void* unused) {
  char* p = mmap(NULL, HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return 2;
  for (size_t off = 0; off < HUGE; off += MT_PAGE) p[off] = 1;
  return 0; /* not reached on a 64 MiB machine */
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (KNOWN_QEMU_USER_DIFFERENCE("memory is the host's under qemu-user: no out-of-memory situation")) {
    tl_say("a child touching 256 MiB on a 64 MiB machine: %s\n", "SIGKILL");
    tl_say("free memory is back\n");
    tl_say("the parent can still allocate and use 8 MiB\n");
    return tl_done();
  }
  struct mt_mem m0, m1;
  mt_mem_snapshot(&m0);
  int status = mt_in_child(hog, NULL);
  tl_say("a child touching 256 MiB on a 64 MiB machine: %s\n", mt_status_str(status));
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  m1 = mt_mem_note("after the child was killed", &m0);
  CHECK_RANGE(m0.free - m1.free, -256, 256);
  CHECK_RANGE(m1.anon - m0.anon, -16, 16);
  tl_say("free memory is back\n");
  char* p = mmap(NULL, 8UL << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  if (p != MAP_FAILED) {
    memset(p, 1, 8UL << 20);
    CHECK(munmap(p, 8UL << 20) == 0);
  }
  tl_say("the parent can still allocate and use 8 MiB\n");
  return tl_done();
}
