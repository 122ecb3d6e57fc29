/* bomb_fork: a fork bomb ends with an errno, not with the kernel or another process failing.
 *   - a flat bomb: one process forks children that wait, until fork fails. It fails with EAGAIN, at Linux's
 *     max_threads (RAM / 128 KiB: a 16 KiB kernel stack may use an eighth of RAM), before memory runs out;
 *     the default RLIMIT_NPROC is half of that, as on Linux (root is not held to it)
 *   - a real bomb: every process forks for ever, for a second, in a process group of its own; then the group
 *     is killed. Meanwhile and afterwards the test process itself still works, and once the bomb is reaped fork
 *     works again (init's leak check then finds every frame, stack and heap object back)
 * A fork bomb on the host is no test: kernel-only (on Linux 6.1 as root the same happens: EAGAIN at
 * threads-max).
 * On 64 MiB (max_threads about 500) it costs half the CPU of the default 128 MiB. The test process sleeps a
 * second beside the bomb; woken, it must not wait behind the bomb's hundreds of runnable processes (a thread that
 * slept a time slice or more goes to the front of the run queue: kernel/sched.cpp).
 * TEST: kernel-only
 * TEST: mem=64M
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static unsigned long max_threads(void) {
  struct sysinfo si;
  CHECK(sysinfo(&si) == 0);
  unsigned long threads = (unsigned long)((unsigned long long)si.totalram * si.mem_unit / (8 * 16 * 1024));
  return threads < 20 ? 20 : threads;
}

static void flat_bomb(void) {
  int gate[2];
  CHECK(pipe(gate) == 0);
  unsigned long children = 0;
  int error = 0;
  for (;;) {
    pid_t pid = fork();
    if (pid == 0) {
      char c;
      close(gate[1]);
      (void)read(gate[0], &c, 1); /* until the parent closes its end */
      _exit(0);
    }
    if (pid < 0) {
      error = errno;
      break;
    }
    children++;
  }
  CHECK(error == EAGAIN);
  CHECK(children + 8 >= max_threads() / 2 && children < max_threads());
  close(gate[1]);
  close(gate[0]);
  unsigned long reaped = 0;
  while (wait(NULL) > 0) reaped++;
  CHECK(reaped == children);
  tl_say("flat bomb: fork fails with EAGAIN near max_threads; every child reaped\n");

  struct rlimit nproc;
  CHECK(getrlimit(RLIMIT_NPROC, &nproc) == 0);
  CHECK(nproc.rlim_cur == max_threads() / 2 && nproc.rlim_max == max_threads() / 2);
  tl_say("RLIMIT_NPROC is half of max_threads\n");
}

static void real_bomb(void) {
  pid_t leader = fork();
  if (leader == 0) {
    setpgid(0, 0);
    for (;;) (void)fork();
  }
  CHECK(leader > 0);
  setpgid(leader, leader);
  struct timespec second = {1, 0}, before, after;
  clock_gettime(CLOCK_MONOTONIC, &before);
  nanosleep(&second, NULL);
  clock_gettime(CLOCK_MONOTONIC, &after);
  /* Woken, the test process runs before the bomb's runnable processes (it slept): it is not kept waiting for
   * their turns (before: about 5 s more on one hart). The bound leaves room for a loaded host. */
  double slept = (after.tv_sec - before.tv_sec) + (after.tv_nsec - before.tv_nsec) / 1e9;
  fprintf(stderr, "nanosleep(1 s) beside the bomb took %.3f s\n", slept);
  CHECK(slept < 2.5);
  /* The test process still runs, and its system calls work. */
  CHECK(getpid() > 0);
  CHECK(kill(-leader, SIGKILL) == 0);
  /* Members forked after the kill may still appear for a moment: kill the group until nobody is left. */
  for (int round = 0; round < 100 && kill(-leader, SIGKILL) == 0; round++) {
    struct timespec pause = {0, 10 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  int status = 0;
  CHECK(waitpid(leader, &status, 0) == leader && WIFSIGNALED(status));
  /* The rest of the bomb was the leader's descendants: init reaps them. Wait until fork works again. */
  pid_t pid = -1;
  for (int tries = 0; tries < 500 && pid < 0; tries++) {
    pid = fork();
    if (pid == 0) _exit(5);
    if (pid < 0) {
      struct timespec pause = {0, 10 * 1000 * 1000};
      nanosleep(&pause, NULL);
    }
  }
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 5);
  tl_say("real bomb: killed with its group; the test process carried on and forks again\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  flat_bomb();
  real_bomb();
  return tl_done();
}
