/* mm_stack_growth: the main thread's stack grows on demand up to RLIMIT_STACK, and not into other mappings.
 *
 * getrlimit(2), RLIMIT_STACK: "This is the maximum size of the process stack, in bytes. Upon reaching this
 * limit, a SIGSEGV signal is generated." The stack mapping ([stack] in /proc/self/maps, proc(5)) starts small
 * and the kernel extends it downwards when the program touches memory below it. Linux keeps a guard gap of
 * stack_guard_gap = 256 pages (1 MiB) between the stack and the mapping below it (mm/mmap.c,
 * expand_downwards: growth fails if it would come closer than that to an accessible mapping); a fault that
 * cannot be satisfied by growing kills the process with SIGSEGV.
 *
 * The test re-executes itself with RLIMIT_STACK set to 8 MiB (the default, applied at execve(2)) and checks:
 *   - recursion with 64 KiB frames growing the stack by 6 MiB works, and [stack] grows accordingly;
 *   - growing it by 9 MiB (beyond the limit) kills the child with SIGSEGV;
 *   - with a mapping placed 3 MiB below the stack, the stack still grows by 2 MiB (up to the guard gap),
 *     but not by 2.5 MiB (into the gap), whereas without that mapping 2.5 MiB works.
 * qemu-user gives the guest a fixed, preallocated 8 MiB stack that never grows: the guard-gap cases are a
 * known difference there.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmtest.h"

#define FRAME (64 * 1024)
#define LIMIT (8UL << 20)

/* Grow the stack by at least `remaining` bytes, touching every page of each 64 KiB frame. */
static __attribute__((noinline)) int grow(long remaining) {
  char frame[FRAME];
  volatile char* v = frame;
  for (long i = FRAME - 1; i >= 0; i -= MT_PAGE) v[i] = (char)i;
  if (remaining <= FRAME) return v[0];
  int r = grow(remaining - FRAME);
  return r + v[FRAME - 1]; /* not a tail call: the frame stays live */
}

/* The [stack] line of /proc/self/maps; 0 if there is none. */
static int stack_vma(struct mt_vma* out) {
  static struct mt_vma v[512];
  int n = mt_read_maps(v, 512);
  for (int i = 0; i < n; i++)
    if (strcmp(v[i].path, "[stack]") == 0) {
      *out = v[i];
      return 1;
    }
  return 0;
}

/* Child mode "grow KIB": grow by KIB KiB, then check that [stack] covers it. */
static int grow_mode(long kib) {
  grow(kib * 1024);
  struct mt_vma s;
  CHECK(stack_vma(&s));
  CHECK(s.end - s.start >= (uintptr_t)kib * 1024);
  return tl_failures ? 1 : 0; /* the parent prints the verdict */
}

static int touch(void* addr) { return mt_probe_write(addr); }

/* Child mode "gap": a mapping below the stack stops its growth at the guard gap. */
static int gap_mode(void) {
  struct mt_vma s;
  CHECK(stack_vma(&s));
  char* blocker_end = (char*)s.start - (3UL << 20);
  char* gap_end = blocker_end + (1UL << 20); /* lowest address the stack may grow to: 256 pages above */
  int skip = KNOWN_QEMU_USER_DIFFERENCE("qemu-user's guest stack is fixed and does not grow");

  int r = touch(blocker_end + (512 << 10));
  if (!skip) CHECK(r == MT_OK);
  tl_say("without a mapping below, the stack grows by 2.5 MiB: %s\n", skip ? "ok" : mt_probe_str(r));

  void* b = mmap(blocker_end - 16 * MT_PAGE, 16 * MT_PAGE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  CHECK(b == blocker_end - 16 * MT_PAGE);
  tl_say("a mapping placed 3 MiB below the stack\n");
  r = touch(gap_end);
  if (!skip) CHECK(r == MT_OK);
  tl_say("the stack still grows to 256 pages above it: %s\n", skip ? "ok" : mt_probe_str(r));
  r = touch(gap_end - MT_PAGE);
  if (!skip) CHECK(r == MT_SEGV);
  tl_say("one page further (into the guard gap): %s\n", skip ? "SIGSEGV" : mt_probe_str(r));
  r = touch(blocker_end + (512 << 10));
  if (!skip) CHECK(r == MT_SEGV);
  tl_say("growing by 2.5 MiB now: %s\n", skip ? "SIGSEGV" : mt_probe_str(r));
  return tl_failures ? 1 : 0; /* the parent prints the verdict */
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc > 2 && strcmp(argv[1], "grow") == 0) return grow_mode(atol(argv[2]));
  if (argc > 1 && strcmp(argv[1], "gap") == 0) return gap_mode();

  /* Children get an 8 MiB stack limit at exec. */
  struct rlimit rl;
  CHECK(getrlimit(RLIMIT_STACK, &rl) == 0);
  if (rl.rlim_cur != LIMIT) {
    rl.rlim_cur = LIMIT;
    CHECK(setrlimit(RLIMIT_STACK, &rl) == 0);
  }
  tl_say("RLIMIT_STACK is 8 MiB\n");
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core); /* the child killed by SIGSEGV must not leave a core file */

  int status = tl_run_self((char* const[]){"grow", "6144", NULL});
  tl_say("growing the stack by 6 MiB: %s\n", mt_status_str(status));
  CHECK(status == 0);
  status = tl_run_self((char* const[]){"grow", "9216", NULL});
  tl_say("growing it by 9 MiB (beyond RLIMIT_STACK): %s\n", mt_status_str(status));
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
  status = tl_run_self((char* const[]){"gap", NULL});
  tl_say("guard gap below the stack: %s\n", mt_status_str(status));
  CHECK(status == 0);
  return tl_done();
}
