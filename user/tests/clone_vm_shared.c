/* clone_vm_shared: clone(CLONE_VM) without CLONE_THREAD makes a new process that shares its parent's memory for
 * good (not only until an exec, as vfork): what either process stores, maps or unmaps the other sees; the
 * memory lives until the last process sharing it execs or exits.
 *   - the child is a process of its own (its pid, its parent) whose stores and new mappings the parent sees;
 *     an munmap by one removes the mapping from both
 *   - both run at once and talk through memory (200 messages, each side yielding while it waits)
 *   - CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID: the tid word is zeroed and futex-woken when the child exits,
 *     and also when it execs (the memory is still in use by its parent: Linux's exec_mm_release)
 *   - the child keeps running on the memory after its parent has exited
 *   - no alternate signal stack in the child (it would be its parent's, Linux's sas_ss_reset)
 *   - EINVAL for CLONE_SIGHAND without CLONE_VM and CLONE_THREAD without CLONE_SIGHAND
 * qemu-user 7.2 refuses CLONE_VM without the thread flags (EINVAL): kernel-only. Checked on Linux 6.1
 * (reference-linux run.sh, 1 hart).
 * TEST: kernel-only
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define STACK_SIZE (64 * 1024)
static char stacks[4][STACK_SIZE] __attribute__((aligned(16)));
static void* stack_top(int i) { return stacks[i] + STACK_SIZE; }

static volatile int counter;
static char* volatile child_page;
static _Atomic int flag, ack;
static volatile pid_t child_saw_pid, child_saw_parent;
static volatile int child_altstack_disabled = -1;
static char* argv0;

static int store_and_map(void* arg) {
  (void)arg;
  child_saw_pid = getpid();
  child_saw_parent = getppid();
  stack_t ss;
  child_altstack_disabled = sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_DISABLE) != 0;
  counter = 42;
  char* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  strcpy(p, "mapped by the child");
  child_page = p;
  return 7;
}

static int unmap_it(void* arg) { return munmap(arg, 4096) == 0 ? 0 : 1; }

static int ping_pong(void* arg) {
  (void)arg;
  for (int i = 0; i < 200; i++) {
    while (atomic_load(&flag) != 2 * i + 1) sched_yield();  /* (on one hart the other process must run) */
    atomic_store(&ack, 2 * i + 1);
  }
  return 0;
}

static int sleep_then_exit(void* arg) {
  (void)arg;
  struct timespec t = {0, 50 * 1000000L};
  nanosleep(&t, NULL);
  return 0;
}

static int exec_self(void* arg) {
  (void)arg;
  char* args[] = {argv0, "--sleep-and-exit", NULL};
  execv(argv0, args);
  return 127;
}

static void futex_wait_zero(volatile pid_t* word) {
  pid_t v;
  while ((v = *word) != 0) syscall(SYS_futex, word, FUTEX_WAIT, v, NULL, NULL, 0);
}

/* A process P clones a CLONE_VM child and exits at once; the child waits until P is gone, then reports through
 * a pipe what it reads from the memory P left it. */
static int outlive_pipe = -1;
static volatile int left_by_parent;
static int outlive(void* arg) {
  pid_t parent = (pid_t)(long)arg;
  for (int i = 0; i < 500 && getppid() == parent; i++) {
    struct timespec t = {0, 10 * 1000000L};
    nanosleep(&t, NULL);
  }
  int report[2] = {getppid() != parent, left_by_parent};
  return write(outlive_pipe, report, sizeof report) == sizeof report ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--sleep-and-exit") == 0) {
    struct timespec t = {0, 100 * 1000000L};
    nanosleep(&t, NULL);
    return 0;
  }
  tl_init(argc, argv);
  argv0 = argv[0];

  /* 1. Stores and mappings of the child are the parent's. */
  static char alt[16384];
  stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
  CHECK(sigaltstack(&ss, NULL) == 0);
  pid_t c = clone(store_and_map, stack_top(0), CLONE_VM | SIGCHLD, NULL);
  CHECK(c > 0);
  int status = 0;
  CHECK(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 7);
  CHECK(child_saw_pid == c && child_saw_pid != getpid() && child_saw_parent == getpid());
  CHECK(counter == 42);
  CHECK(child_page != NULL && strcmp(child_page, "mapped by the child") == 0);
  CHECK(child_altstack_disabled == 1);
  tl_say("CLONE_VM: the child's stores and mappings are the parent's; its own pid; no alternate stack\n");

  /* 2. An munmap by the child unmaps the parent's page. */
  c = clone(unmap_it, stack_top(1), CLONE_VM | SIGCHLD, (void*)child_page);
  CHECK(c > 0 && waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_ERRNO(msync(child_page, 4096, MS_ASYNC), ENOMEM);  /* not mapped any more */
  tl_say("an munmap by the child unmaps the page for the parent\n");

  /* 3. Both run at once and talk through memory. */
  c = clone(ping_pong, stack_top(2), CLONE_VM | SIGCHLD, NULL);
  CHECK(c > 0);
  for (int i = 0; i < 200; i++) {
    atomic_store(&flag, 2 * i + 1);
    while (atomic_load(&ack) != 2 * i + 1) sched_yield();
  }
  CHECK(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("parent and child exchange 200 messages through memory\n");

  /* 4. The tid words: set at start, zeroed and woken at exit, and at exec. */
  static volatile pid_t ctid, ptid;
  ctid = -1;
  c = clone(sleep_then_exit, stack_top(3),
            CLONE_VM | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID | SIGCHLD, NULL,
            &ptid, NULL, &ctid);
  CHECK(c > 0 && ptid == c);
  futex_wait_zero(&ctid);  /* returns once the child has exited */
  CHECK(ctid == 0);
  CHECK(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ctid = -1;
  c = clone(exec_self, stack_top(3), CLONE_VM | CLONE_CHILD_CLEARTID | SIGCHLD, NULL, NULL, NULL, &ctid);
  CHECK(c > 0);
  futex_wait_zero(&ctid);  /* returns at the exec: the new program sleeps 100 ms before it exits */
  CHECK(waitpid(c, &status, WNOHANG) == 0);
  CHECK(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(counter == 42);  /* the parent's memory is untouched by the child's exec */
  tl_say("CLONE_CHILD_CLEARTID: zeroed and woken at the child's exit, and at its exec\n");

  /* 5. The child lives on the memory after its parent has exited. */
  int report[2];
  CHECK(pipe(report) == 0);
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    close(report[0]);
    outlive_pipe = report[1];
    left_by_parent = 1234;
    pid_t child = clone(outlive, stack_top(0), CLONE_VM | SIGCHLD, (void*)(long)getpid());
    _exit(child > 0 ? 0 : 1);
  }
  close(report[1]);
  CHECK(p > 0 && waitpid(p, &status, 0) == p && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  int got[2] = {0, 0};
  CHECK(read(report[0], got, sizeof got) == sizeof got);
  CHECK(got[0] == 1 && got[1] == 1234);
  close(report[0]);
  tl_say("the child runs on after its parent exited, on the memory it shared\n");

  /* 6. Combinations Linux refuses. */
  CHECK_ERRNO(clone(sleep_then_exit, stack_top(1), CLONE_SIGHAND | SIGCHLD, NULL), EINVAL);
  CHECK_ERRNO(clone(sleep_then_exit, stack_top(1), CLONE_VM | CLONE_THREAD | SIGCHLD, NULL), EINVAL);
  tl_say("EINVAL: CLONE_SIGHAND without CLONE_VM, CLONE_THREAD without CLONE_SIGHAND\n");
  return tl_done();
}
