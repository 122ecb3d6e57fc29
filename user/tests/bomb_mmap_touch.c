/* bomb_mmap_touch: an mmap+touch memory bomb ends with the bombs killed, never with the kernel or another process
 * failing (issue 14). Three bombs each map 16 MiB after 16 MiB (MAP_NORESERVE) and write every page, for ever;
 * there is no swap. RAM runs out again and again: each time the out-of-memory killer takes the process using the
 * most (a bomb: the test process holds 2 MiB), with one kernel log line. Checked: every bomb dies of SIGKILL, the
 * test process keeps every word of its own memory and can fork, the killer's counter (/proc/vmstat oom_kill)
 * went up at least once per bomb, and free memory is back once they are reaped (init's leak check then finds
 * every frame back).
 * The same happens on Linux 6.1 (run.sh -m 64M). Under qemu-user the memory would be the host's: kernel-only.
 * TEST: kernel-only
 * TEST: mem=64M
 * TEST: kernel-log=Out of memory: killed process \d+ \(bomb_mmap_touch\)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmtest.h"

#define CHUNK (16UL << 20)
#define OWN (2UL << 20)
#define BOMBS 3

static void bomb(void) {
  for (unsigned failures = 0;;) {
    char* p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      if (++failures > 1000) _exit(2); /* the address space is 256 GiB: not reached */
      continue;
    }
    for (unsigned long off = 0; off < CHUNK; off += 4096) p[off] = 1;
  }
}

static int forks(void* arg) {
  (void)arg;
  return 0;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  char* own = mmap(NULL, OWN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(own != MAP_FAILED);
  mt_fill(own, OWN, 3);
  struct mt_mem before, after;
  mt_mem_snapshot(&before);
  unsigned long long kills = mt_vmstat("oom_kill");
  pid_t pids[BOMBS];
  for (int i = 0; i < BOMBS; i++) {
    pids[i] = mt_fork();
    if (pids[i] == 0) bomb();
  }
  int killed = 0;
  for (int i = 0; i < BOMBS; i++) {
    int status = mt_wait(pids[i]);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      killed++;
    else
      fprintf(stderr, "bomb %d: %s\n", i, mt_status_str(status));
  }
  CHECK(killed == BOMBS);
  CHECK(mt_vmstat("oom_kill") >= kills + BOMBS);
  tl_say("every bomb was killed when memory ran out\n");
  CHECK(mt_check(own, OWN, 3));
  int status = mt_in_child(forks, NULL);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  mt_mem_snapshot(&after);
  CHECK_RANGE(after.free - before.free, -256, 4096);
  tl_say("the test process's memory is intact, it can fork, and the bombs' memory is free again\n");
  return tl_done();
}
