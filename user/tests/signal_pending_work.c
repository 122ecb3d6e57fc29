/* signal_pending_work: the work a process has waiting on its way back to user mode is done exactly when it should
 * be — a signal as soon as it is pending and not blocked, a reschedule when a timer tick asks:
 *   - a child spinning in user mode (no system call) dies of SIGTERM sent by its parent (from another hart
 *     when there are several): the signal is acted on at the child's next trap;
 *   - a blocked signal stays pending through system calls and is delivered when sigprocmask unblocks it;
 *   - ignoring a pending blocked signal (sigaction SIG_IGN) discards it: unblocking it later does nothing;
 *   - two processes spinning in user mode share one hart: the parent spins until its child, which can only
 *     run if the parent is preempted, writes to shared memory.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static void block(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_BLOCK, &set, NULL);
}

static void unblock(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static int wait_status(pid_t pid) {
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  return status;
}

static void spinning_child_is_killed(void) {
  int ready[2];
  CHECK(pipe(ready) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(ready[0]);
    CHECK(write(ready[1], "r", 1) == 1);
    for (volatile unsigned long i = 0;; i++) {
    }
  }
  close(ready[1]);
  char c;
  CHECK(read(ready[0], &c, 1) == 1);
  CHECK(kill(pid, SIGTERM) == 0);
  int status = wait_status(pid);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  close(ready[0]);
  tl_say("a child spinning in user mode dies of SIGTERM\n");
}

/* The child blocks sig, says so, waits for the parent to have sent sig, makes system calls with it pending,
 * then (after `action`, if any) unblocks it; it reports each step on the pipe. */
static void pending_then_unblocked(int sig, int ignore_first, const char* expect_steps, int expect_signal) {
  int to_parent[2], to_child[2];
  CHECK(pipe(to_parent) == 0 && pipe(to_child) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(to_parent[0]);
    close(to_child[1]);
    block(sig);
    CHECK(write(to_parent[1], "b", 1) == 1); /* blocked */
    char c;
    CHECK(read(to_child[0], &c, 1) == 1); /* the signal is pending now */
    for (int i = 0; i < 100; i++) (void)getppid();
    CHECK(write(to_parent[1], "p", 1) == 1); /* survived system calls with it pending */
    if (ignore_first) signal(sig, SIG_IGN);
    unblock(sig);
    CHECK(write(to_parent[1], "u", 1) == 1); /* survived the unblocking */
    _exit(0);
  }
  close(to_parent[1]);
  close(to_child[0]);
  char c;
  CHECK(read(to_parent[0], &c, 1) == 1 && c == 'b');
  CHECK(kill(pid, sig) == 0);
  CHECK(write(to_child[1], "g", 1) == 1);
  char steps[8] = {0};
  size_t n = 0;
  while (n < sizeof steps - 1 && read(to_parent[0], &steps[n], 1) == 1) n++;
  CHECK(strcmp(steps, expect_steps) == 0);
  int status = wait_status(pid);
  if (expect_signal)
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == expect_signal);
  else
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(to_parent[0]);
  close(to_child[1]);
}

static void preempted_spinners(void) {
  volatile int* flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(flag != MAP_FAILED);
  *flag = 0;
  pid_t pid = fork();
  if (pid == 0) {
    *flag = 1;
    _exit(0);
  }
  while (*flag == 0) {
  }
  int status = wait_status(pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  munmap((void*)flag, 4096);
  tl_say("two processes spinning in user mode both run\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  spinning_child_is_killed();
  pending_then_unblocked(SIGUSR1, 0, "p", SIGUSR1);
  tl_say("a blocked signal waits through system calls and kills when unblocked\n");
  pending_then_unblocked(SIGUSR2, 1, "pu", 0);
  tl_say("ignoring a pending blocked signal discards it\n");
  preempted_spinners();
  return tl_done();
}
