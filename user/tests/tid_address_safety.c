/* tid_address_safety: the words a program names to clone(2) (CLONE_CHILD_SETTID, CLONE_CHILD_CLEARTID) and to
 * set_tid_address(2) are stored to by the kernel on the program's behalf, and only where the program itself
 * could store (Linux's put_user from the child's own context; a failure is silently ignored):
 *   - a kernel address is never written (once, a zero went through the direct map into kernel text);
 *   - a read-only or PROT_NONE page keeps its contents, and so does the program's own text;
 *   - a writable page gets the child's tid.
 * And, as on Linux (mm_release), the CLEARTID word of a process whose memory nobody else shares is left
 * as it is when the process exits.
 * The kernel-side rule is checked by tools/check_user_access.sh too.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define KERNEL_TEXT 0xffffffff80200000UL
#define KERNEL_DIRECT_MAP 0xffffffc000000000UL
#define MARK 0x55aa55aau

/* fork through the raw clone call (riscv64: flags, newsp, parent_tid, tls, child_tid), with the given tid
 * words; returns the child's pid in the parent and 0 in the child. */
static long raw_fork(unsigned long flags, unsigned long child_tid) {
  return syscall(SYS_clone, flags | SIGCHLD, 0UL, 0UL, 0UL, child_tid);
}

static int wait_exit_code(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  if (!WIFEXITED(status)) return 1000 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return WEXITSTATUS(status);
}

static volatile uint32_t* shared_word(void) {
  void* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  volatile uint32_t* w = (volatile uint32_t*)p;
  *w = MARK;
  return w;
}

/* A child that asks for its tid at `address` and exits 0 if it survives (and, when check_text, if its own text
 * is unchanged). */
static void settid_case(const char* what, unsigned long address, int check_text) {
  uint32_t before = check_text ? *(volatile uint32_t*)address : 0;
  long pid = raw_fork(CLONE_CHILD_SETTID, address);
  if (pid == 0) {
    if (check_text && *(volatile uint32_t*)address != before) _exit(2);
    _exit(0);
  }
  CHECK(pid > 0);
  CHECK(wait_exit_code((pid_t)pid) == 0);
  tl_say("CLONE_CHILD_SETTID at %s: child ran, nothing written\n", what);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);

  /* set_tid_address accepts any value (it is only recorded) and returns the caller's tid. */
  pid_t child = fork();
  if (child == 0) {
    long tid = syscall(SYS_set_tid_address, KERNEL_TEXT);
    _exit(tid == syscall(SYS_gettid) ? 0 : 3);
  }
  CHECK(wait_exit_code(child) == 0);
  child = fork();
  if (child == 0) {
    syscall(SYS_set_tid_address, KERNEL_DIRECT_MAP + 0x1000);
    _exit(0);
  }
  CHECK(wait_exit_code(child) == 0);
  tl_say("set_tid_address with kernel addresses: the children exited normally\n");

  /* A single-threaded process's CLEARTID word is not touched at exit (Linux mm_release: mm_users == 1). */
  volatile uint32_t* w = shared_word();
  child = fork();
  if (child == 0) {
    syscall(SYS_set_tid_address, (unsigned long)w);
    _exit(0);
  }
  CHECK(wait_exit_code(child) == 0);
  CHECK(*w == MARK);
  tl_say("set_tid_address word of a single-threaded process: left as it was at exit\n");

  /* A writable word gets the child's tid (the parent sees it: the page is shared). */
  w = shared_word();
  long pid = raw_fork(CLONE_CHILD_SETTID, (unsigned long)w);
  if (pid == 0) _exit(*w == (uint32_t)syscall(SYS_gettid) ? 0 : 4);
  CHECK(pid > 0);
  CHECK(wait_exit_code((pid_t)pid) == 0);
  CHECK(*w == (uint32_t)pid);
  tl_say("CLONE_CHILD_SETTID at a writable word: the child's tid is there\n");

  /* Read-only and PROT_NONE pages keep their contents. */
  w = shared_word();
  CHECK(mprotect((void*)w, 4096, PROT_READ) == 0);
  settid_case("a read-only page", (unsigned long)w, 0);
  CHECK(*w == MARK);
  w = shared_word();
  CHECK(mprotect((void*)w, 4096, PROT_NONE) == 0);
  settid_case("a PROT_NONE page", (unsigned long)w, 0);
  CHECK(mprotect((void*)w, 4096, PROT_READ) == 0);
  CHECK(*w == MARK);

  /* The program's own text. */
  settid_case("the program's text", (unsigned long)&settid_case, 1);

  /* Kernel addresses, for both words. */
  settid_case("kernel text", KERNEL_TEXT, 0);
  settid_case("the kernel's direct map", KERNEL_DIRECT_MAP, 0);
  pid = raw_fork(CLONE_CHILD_CLEARTID, KERNEL_TEXT);
  if (pid == 0) _exit(0);
  CHECK(pid > 0);
  CHECK(wait_exit_code((pid_t)pid) == 0);
  tl_say("CLONE_CHILD_CLEARTID at kernel text: the child exited normally\n");

  /* The system still works: a few more forks. */
  for (int i = 0; i < 8; i++) {
    child = fork();
    if (child == 0) _exit(i);
    CHECK(wait_exit_code(child) == i);
  }
  tl_say("eight more forks exited normally\n");
  return tl_done();
}
