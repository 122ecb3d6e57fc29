/* mm_mmap_layout: where mmap puts memory follows RLIMIT_STACK at exec, as Linux 6.1's arch_pick_mmap_layout:
 *   - the mmap base leaves the stack its whole limit and the 1 MiB guard gap below the top (at least 128 MiB):
 *     with RLIMIT_STACK 512 MiB a mapping goes below the top - 513 MiB, and the stack can then grow 200 MiB
 *     (before: the mapping went 128 MiB below the top, in the stack's way, and the stack's growth met it: SIGSEGV)
 *   - the default 8 MiB: top-down from 128 MiB below the top, each mapping below the last
 *   - an unlimited RLIMIT_STACK: the legacy layout, bottom-up from a third of the user half
 * The user half ends at 256 GiB (Sv39). Linux randomizes the base (up to 1 GiB lower, and 1 GiB more for the
 * stack's randomization when a limit is set); the checks take ranges that hold with and without it. Checked on
 * Linux 6.1 (run.sh -s 1, 256 MiB: Linux's overcommit heuristic refuses a stack growth larger than RAM).
 * qemu-user places mappings itself: the checks are skipped there.
 * TEST: mem=256M
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define MiB (1024UL * 1024)
#define GiB (1024 * MiB)
#define USER_END (256 * GiB)

static char* map(unsigned long length) {
  char* p = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  return p;
}

/* After exec under RLIMIT_STACK 512 MiB. */
static int big_stack(void) {
  unsigned long a = (unsigned long)map(64 * MiB);
  if (a + 64 * MiB > USER_END - 513 * MiB) fprintf(stderr, "a 64 MiB mapping at %#lx\n", a);
  CHECK(a + 64 * MiB <= USER_END - 513 * MiB);
  CHECK(a >= USER_END - 513 * MiB - 2 * GiB - 64 * MiB);
  /* The stack grows 200 MiB (one byte written there: the region takes the whole span, one page is used). */
  volatile char here = 0;
  volatile char* deep = (volatile char*)(((unsigned long)&here - 200 * MiB) & ~4095UL);
  *deep = 1;
  CHECK(*deep == 1 && here == 0);
  return tl_failures ? 1 : 0;
}

static int default_stack(void) {
  unsigned long a = (unsigned long)map(MiB), b = (unsigned long)map(MiB);
  CHECK(a + MiB <= USER_END - 128 * MiB && a >= USER_END - 128 * MiB - 3 * GiB);
  CHECK(b < a);
  return tl_failures ? 1 : 0;
}

static int unlimited_stack(void) {
  unsigned long a = (unsigned long)map(MiB), b = (unsigned long)map(MiB);
  if (!(a >= USER_END / 3 && a < USER_END / 3 + 2 * GiB)) fprintf(stderr, "a 1 MiB mapping at %#lx\n", a);
  CHECK(a >= USER_END / 3 && a < USER_END / 3 + 2 * GiB);
  CHECK(b > a);
  return tl_failures ? 1 : 0;
}

/* Run this program again ("layout", name) in a child under RLIMIT_STACK `limit`; its wait status. */
static int run_under(unsigned long limit, char* name) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    struct rlimit r = {limit, limit};
    if (setrlimit(RLIMIT_STACK, &r) != 0) _exit(99);
    char* args[] = {"layout", name, NULL};
    int status = tl_run_self(args);
    if (status != 0) fprintf(stderr, "%s: wait status %#x\n", name, status);
    _exit(status == 0 ? 0 : 1);
  }
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  return status;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc > 2 && strcmp(argv[1], "layout") == 0) {
    if (strcmp(argv[2], "big") == 0) return big_stack();
    if (strcmp(argv[2], "default") == 0) return default_stack();
    return unlimited_stack();
  }
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user places mappings and the stack itself")) {
    CHECK(run_under(512 * MiB, "big") == 0);
    CHECK(run_under(8 * MiB, "default") == 0);
    CHECK(run_under(RLIM_INFINITY, "unlimited") == 0);
  }
  tl_say("mmap's base follows RLIMIT_STACK: the stack keeps its room; unlimited: bottom-up\n");
  return tl_done();
}
