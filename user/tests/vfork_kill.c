/* vfork_kill: a parent waiting for its CLONE_VFORK child can still be killed.
 *   A process P calls clone(CLONE_VFORK | SIGCHLD) without CLONE_VM: its child has its own copy of memory and
 *   sleeps in sigsuspend for ever, so P waits in clone for an exec or exit that never comes. SIGKILL to P must
 *   end P (Linux's wait for the vfork child is killable); then the child is killed too. Before the fix the
 *   kernel's wait took no signal at all and P could not be killed (the system-call fuzzer found it).
 * qemu-user runs CLONE_VFORK as a fork, so P does not wait there: the output is the same.
 * Checked on Linux 6.1 (reference-linux).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int report[2];
  CHECK(pipe(report) == 0);
  pid_t p = fork();
  CHECK(p >= 0);
  if (p == 0) {
    close(report[0]);
    long child = syscall(SYS_clone, CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
    if (child == 0) {
      /* The vfork child: tell the test its pid, then sleep until killed. */
      pid_t self = getpid();
      (void)!write(report[1], &self, sizeof self);
      sigset_t none;
      sigemptyset(&none);
      for (;;) sigsuspend(&none);
    }
    /* Only where CLONE_VFORK does not make the parent wait (qemu-user): wait to be killed here. */
    for (;;) pause();
  }
  close(report[1]);
  pid_t child = 0;
  CHECK(read(report[0], &child, sizeof child) == sizeof child);
  struct timespec pause_time = {0, 100 * 1000 * 1000};
  nanosleep(&pause_time, NULL);
  CHECK(kill(p, SIGKILL) == 0);
  int status = 0;
  CHECK(waitpid(p, &status, 0) == p);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  tl_say("the vforking parent was killed by SIGKILL\n");
  /* The child was reparented to init; it still sleeps until killed. */
  CHECK(kill(child, SIGKILL) == 0);
  tl_say("its child is killed in turn\n");
  return tl_done();
}
