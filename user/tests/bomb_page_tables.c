/* bomb_page_tables: a page-table bomb ends with the bomb killed, never with the kernel or another process
 * failing (issue 14). The bomb maps 128 GiB (MAP_NORESERVE) and touches one byte every 2 MiB: a read maps the
 * shared zero page, so each costs the kernel one page-table page and the bomb no page of its own; a write costs a
 * page and a table page.
 *   - page tables are accounted: after 2048 reads the bomb's VmPTE and the machine's PageTables have grown by
 *     at least 2048 pages (8 MiB)
 *   - RLIMIT_AS stops it at once: under a 1 GiB limit the 128 GiB mmap fails with ENOMEM
 *   - left to run, it fills RAM: the out-of-memory killer takes it (SIGKILL; its page tables make it the
 *     biggest process: Linux's oom_badness counts them too), the test process keeps every word of its own
 *     memory, and PageTables and free memory come back once the bomb is reaped (init's leak check then finds
 *     every frame back). Reads first, then writes.
 * The same happens on Linux 6.1 (run.sh -m 64M). Under qemu-user the memory would be the host's: kernel-only.
 * TEST: kernel-only
 * TEST: mem=64M
 * TEST: kernel-log=Out of memory: killed process \d+ \(bomb_page_table\)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmtest.h"

#define HUGE (128UL << 30)
#define STRIDE (2UL << 20)
#define FIRST 2048UL /* touches before the bomb reports */
#define OWN (2UL << 20)

/* VmPTE of a process, in pages (-1 if not found). */
static long vm_pte_pages(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE* f = fopen(path, "r");
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmPTE: %ld kB", &kb) == 1) break;
  if (f) fclose(f);
  return kb < 0 ? -1 : kb / 4;
}

static void touch(volatile char* p, int write) {
  if (write)
    *p = 1;
  else
    (void)*p;
}

static void bomb(struct mt_chan* report, struct mt_chan* go, int write) {
  volatile char* p = mmap(NULL, HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) _exit(2);
  unsigned long i = 0;
  for (; i < FIRST; i++) touch(p + i * STRIDE, write);
  mt_chan_send(report, 'r');
  mt_chan_recv(go);
  for (; i < HUGE / STRIDE; i++) touch(p + i * STRIDE, write);
  _exit(3); /* 64 Ki page-table pages (256 MiB) on a 64 MiB machine: not reached */
}

static void run_bomb(int write, const char* what) {
  struct mt_mem before, during, after;
  mt_mem_snapshot(&before);
  struct mt_chan report, go;
  mt_chan_open(&report);
  mt_chan_open(&go);
  pid_t pid = mt_fork();
  if (pid == 0) bomb(&report, &go, write);
  CHECK(mt_chan_recv(&report) == 'r');
  mt_mem_snapshot(&during);
  long pte = vm_pte_pages(pid);
  CHECK_RANGE(pte, (long)FIRST, (long)FIRST + 64);
  CHECK_RANGE(during.pt - before.pt, (long)FIRST, (long)FIRST + 64);
  mt_chan_send(&go, 'g');
  int status = mt_wait(pid);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) fprintf(stderr, "bomb: %s\n", mt_status_str(status));
  mt_chan_close(&report);
  mt_chan_close(&go);
  mt_mem_snapshot(&after);
  CHECK_RANGE(after.pt - before.pt, -16, 16);
  CHECK_RANGE(after.free - before.free, -256, 4096);
  tl_say("%s every 2 MiB: page tables accounted, the bomb killed, its memory back\n", what);
}

static int limited(void* arg) {
  (void)arg;
  struct rlimit r = {1UL << 30, RLIM_INFINITY};
  if (setrlimit(RLIMIT_AS, &r) != 0) return 2;
  void* p = mmap(NULL, HUGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED && errno == ENOMEM ? 0 : 3;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  char* own = mmap(NULL, OWN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(own != MAP_FAILED);
  mt_fill(own, OWN, 7);
  unsigned long long kills = mt_vmstat("oom_kill");
  int status = mt_in_child(limited, NULL);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("RLIMIT_AS: the huge mapping fails with ENOMEM\n");
  run_bomb(0, "one read");
  run_bomb(1, "one write");
  CHECK(mt_vmstat("oom_kill") >= kills + 2);
  CHECK(mt_check(own, OWN, 7));
  status = mt_in_child(limited, NULL); /* fork works again */
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("the test process's own memory is intact and it can fork\n");
  return tl_done();
}
