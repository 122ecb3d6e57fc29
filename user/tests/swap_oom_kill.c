/* swap_oom_kill: when RAM and swap are both full, the kernel's out-of-memory killer picks the process with the
 * most memory in RAM and on swap, says which and why in one line, and the system goes on.
 *
 * On a 32 MiB machine with a 32 MiB swap area, the parent keeps 4 MiB of its own (written, then checked at the
 * end: nothing of it may be lost while the others are paged out) and starts two children: a small one that holds
 * 2 MiB and waits on a pipe, and a hog that maps 256 MiB (MAP_NORESERVE) and writes every page. RAM fills, the
 * page-out thread and direct reclaim move pages to swap until it is full too; then the fault that finds nothing
 * makes the killer choose. Checked: the hog dies of SIGKILL, the small child and the parent live on with their
 * data intact, the kernel log has the killer's line naming the hog's size in memory and on swap, and swap is
 * free again once the hog is gone (SwapFree back within 64 pages of SwapTotal minus what the others hold).
 * Under qemu-user the memory is the host's: the hog is not run there (known difference).
 *
 * TEST: mem=32M
 * TEST: swap=32M
 * TEST: timeout=300
 * TEST: kernel-log=Out of memory: killed process \d+ \(swap_oom_kill\), \d+ KiB in memory and \d+ KiB on swap
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmtest.h"

#define HUGE (256UL << 20)
#define OWN (4UL << 20)
#define SMALL (2UL << 20)

static uint64_t word(size_t i, unsigned salt) { return (i * 0x9e3779b97f4a7c15ull) ^ salt; }

static void fill(uint64_t* p, size_t bytes, unsigned salt) {
  for (size_t i = 0; i < bytes / 8; i++) p[i] = word(i, salt);
}

static size_t wrong_words(const uint64_t* p, size_t bytes, unsigned salt) {
  size_t bad = 0;
  for (size_t i = 0; i < bytes / 8; i++) bad += p[i] != word(i, salt);
  return bad;
}

static int hog(void* unused) {
  (void)unused;
  char* p = mmap(NULL, HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return 2;
  for (size_t off = 0; off < HUGE; off += MT_PAGE) p[off] = 1;
  return 0; /* not reached: 256 MiB is more than RAM and swap together */
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (KNOWN_QEMU_USER_DIFFERENCE("memory is the host's under qemu-user: no out-of-memory situation")) {
    tl_say("the hog (256 MiB on 32 MiB of RAM and 32 MiB of swap): SIGKILL\n");
    tl_say("the small child: exit 0, its 2 MiB intact\n");
    tl_say("the parent's 4 MiB: intact\n");
    tl_say("swap is free again\n");
    return tl_done();
  }
  uint64_t* own = mmap(NULL, OWN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(own != MAP_FAILED);
  if (own == MAP_FAILED) return tl_done();
  fill(own, OWN, 1);

  int go[2];
  CHECK(pipe(go) == 0);
  pid_t small = fork();
  if (small == 0) {
    uint64_t* mine = mmap(NULL, SMALL, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mine == MAP_FAILED) _exit(3);
    fill(mine, SMALL, 2);
    char c;
    close(go[1]);
    if (read(go[0], &c, 1) != 1) _exit(4);
    _exit(wrong_words(mine, SMALL, 2) == 0 ? 0 : 5);
  }
  CHECK(small > 0);
  close(go[0]);

  int status = mt_in_child(hog, NULL);
  tl_say("the hog (256 MiB on 32 MiB of RAM and 32 MiB of swap): %s\n", mt_status_str(status));
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  CHECK(write(go[1], "x", 1) == 1);
  int small_status = -1;
  CHECK(waitpid(small, &small_status, 0) == small);
  CHECK(WIFEXITED(small_status) && WEXITSTATUS(small_status) == 0);
  tl_say("the small child: %s, its 2 MiB %s\n", mt_status_str(small_status),
         WIFEXITED(small_status) && WEXITSTATUS(small_status) == 0 ? "intact" : "LOST");

  size_t bad = wrong_words(own, OWN, 1);
  CHECK(bad == 0);
  tl_say("the parent's 4 MiB: %s\n", bad == 0 ? "intact" : "LOST");

  long total = mt_meminfo_pages("SwapTotal"), free_now = mt_meminfo_pages("SwapFree");
  CHECK(total > 0);
  CHECK_RANGE(total - free_now, 0, (long)(OWN / MT_PAGE) + 64);
  tl_say("swap is free again\n");
  return tl_done();
}
