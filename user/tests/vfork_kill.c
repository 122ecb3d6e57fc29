/* vfork_kill: a parent waiting for its CLONE_VFORK child can still be killed.
 *   A process P calls clone(CLONE_VFORK | SIGCHLD) without CLONE_VM: its child has its own copy of memory and
 *   sleeps in sigsuspend for ever, so P waits in clone for an exec or exit that never comes. SIGKILL to P must
 *   end P (Linux's wait for the vfork child is killable); then the child is killed too. Before the fix the
 *   kernel's wait took no signal at all and P could not be killed (the system-call fuzzer found it).
 *   The same with CLONE_VM (vfork(2) itself) and a child that stops itself with SIGSTOP: P ends on SIGKILL. (The
 *   child lives on, stopped, with its reference to the memory it shared with P, as on Linux; the test does not
 *   look at its fate.)
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

/* P vforks (with CLONE_VM or not); its child reports its pid and then stops itself or sleeps for ever. */
static void run(unsigned long clone_vm, int stop_itself) {
  int report[2];
  CHECK(pipe(report) == 0);
  fflush(stdout);
  pid_t p = fork();
  CHECK(p >= 0);
  if (p == 0) {
    close(report[0]);
    long child = syscall(SYS_clone, clone_vm | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
    if (child == 0) {
      /* The vfork child: tell the test its pid, then stop or sleep until killed. */
      pid_t self = getpid();
      (void)!write(report[1], &self, sizeof self);
      if (stop_itself) syscall(SYS_kill, self, SIGSTOP);
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
  close(report[0]);
  struct timespec pause_time = {0, 100 * 1000 * 1000};
  nanosleep(&pause_time, NULL);
  CHECK(kill(p, SIGKILL) == 0);
  int status = 0;
  CHECK(waitpid(p, &status, 0) == p);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  tl_say("%s: the vforking parent was killed by SIGKILL\n", clone_vm ? "CLONE_VM, the child stopped" : "own memory");
  /* The child was reparented to init: make sure it is gone. */
  (void)kill(child, SIGKILL);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  run(0, 0);
  run(CLONE_VM, 1);
  return tl_done();
}
