/* sig_eintr_restart: a signal that arrives while a system call sleeps, with and without SA_RESTART.
 *   - read from an empty pipe: EINTR after a handler without SA_RESTART; with SA_RESTART the read goes on
 *     and returns the bytes written later
 *   - wait4 for a child that has not exited: EINTR, or (SA_RESTART) the child's pid once it exits
 *   - nanosleep: EINTR even with SA_RESTART, and the time left is written to *rem (it is about what was
 *     asked minus the time slept); clock_nanosleep with TIMER_ABSTIME: EINTR, nothing written
 *   - rt_sigsuspend: always EINTR, with the old mask back afterwards
 *   - a signal whose action is to do nothing (SIGCHLD's default, SIGCONT after SIGSTOP) does not interrupt
 *     anything: the call finishes as if no signal had come (read gets its bytes, nanosleep sleeps its time)
 * The signals come from a child that sleeps a little and then sends them. Compared with qemu-user (faithful
 * for these).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static volatile int hits;
static void handler(int sig) { hits++; }

/* A child that waits `ms`, sends `sig` to the parent, then (if fd >= 0) waits `ms` again and writes a byte
 * to fd. Returns its pid. */
static pid_t sender(long ms, int sig, int fd) {
  pid_t parent = getpid();
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    tl_sleep_ms(ms);
    kill(parent, sig);
    if (fd >= 0) {
      tl_sleep_ms(ms);
      if (write(fd, "z", 1) != 1) _exit(2);
    }
    _exit(0);
  }
  return pid;
}

static void reap(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

static void pipe_read(void) {
  int fds[2];
  char c;
  CHECK(pipe(fds) == 0);
  CHECK(tl_handle_signal(SIGUSR1, handler, 0) == 0);
  hits = 0;
  pid_t pid = sender(100, SIGUSR1, -1);
  CHECK_ERRNO(read(fds[0], &c, 1), EINTR);
  CHECK(hits == 1);
  reap(pid);
  tl_say("pipe read: EINTR without SA_RESTART\n");

  CHECK(tl_handle_signal(SIGUSR1, handler, SA_RESTART) == 0);
  hits = 0;
  pid = sender(100, SIGUSR1, fds[1]);
  CHECK(read(fds[0], &c, 1) == 1 && c == 'z');
  CHECK(hits == 1);
  reap(pid);
  tl_say("pipe read: restarted with SA_RESTART, gets the byte written after the signal\n");

  signal(SIGCHLD, SIG_DFL);
  pid = sender(100, SIGCHLD, fds[1]);
  CHECK(read(fds[0], &c, 1) == 1 && c == 'z');
  reap(pid);
  tl_say("pipe read: a SIGCHLD with the default action does not interrupt it\n");
  close(fds[0]);
  close(fds[1]);
}

static void wait_calls(void) {
  CHECK(tl_handle_signal(SIGUSR1, handler, 0) == 0);
  /* The child waited for exits only when the second sender writes to `go`, after its signal: however slow the
   * machine, the signal comes while the parent still waits. */
  int go[2];
  CHECK(pipe(go) == 0);
  fflush(stdout);
  pid_t sleeper = fork();
  if (sleeper == 0) {
    char c;
    close(go[1]);
    _exit(read(go[0], &c, 1) == 1 ? 7 : 3);
  }
  close(go[0]);
  hits = 0;
  pid_t pid = sender(100, SIGUSR1, -1);
  int status;
  CHECK_ERRNO(waitpid(sleeper, &status, 0), EINTR);
  CHECK(hits == 1);
  reap(pid);
  tl_say("wait4: EINTR without SA_RESTART\n");

  CHECK(tl_handle_signal(SIGUSR1, handler, SA_RESTART) == 0);
  hits = 0;
  pid = sender(100, SIGUSR1, go[1]);
  close(go[1]);
  CHECK(waitpid(sleeper, &status, 0) == sleeper && WIFEXITED(status) && WEXITSTATUS(status) == 7);
  CHECK(hits == 1);
  reap(pid);
  tl_say("wait4: restarted with SA_RESTART, returns the child\n");
}

static void sleeps(void) {
  CHECK(tl_handle_signal(SIGUSR1, handler, SA_RESTART) == 0);
  hits = 0;
  pid_t pid = sender(200, SIGUSR1, -1);
  struct timespec want = {2, 0}, rem = {-1, -1};
  double t0 = tl_now();
  CHECK_ERRNO(nanosleep(&want, &rem), EINTR);
  double slept = tl_now() - t0;
  double left = rem.tv_sec + rem.tv_nsec / 1e9;
  CHECK(hits == 1);
  CHECK(slept > 0.1 && slept < 1.5);
  CHECK(left > 2.0 - slept - 0.2 && left < 2.0 - slept + 0.2);
  if (!(left > 2.0 - slept - 0.2 && left < 2.0 - slept + 0.2)) fprintf(stderr, "slept %.3f, left %.3f\n", slept, left);
  reap(pid);
  tl_say("nanosleep: EINTR even with SA_RESTART, *rem = what was left\n");

  struct timespec abs;
  clock_gettime(CLOCK_MONOTONIC, &abs);
  abs.tv_sec += 2;
  rem.tv_sec = 99;
  pid = sender(100, SIGUSR1, -1);
  CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, &rem) == EINTR);
  CHECK(rem.tv_sec == 99);
  reap(pid);
  tl_say("clock_nanosleep TIMER_ABSTIME: EINTR, rem untouched\n");

  /* SIGSTOP then SIGCONT while sleeping: no handler runs, the sleep is not cut short. */
  signal(SIGCONT, SIG_DFL);
  pid_t parent = getpid();
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    tl_sleep_ms(100);
    kill(parent, SIGSTOP);
    tl_sleep_ms(100);
    kill(parent, SIGCONT);
    _exit(0);
  }
  want.tv_sec = 0;
  want.tv_nsec = 500 * 1000000L;
  t0 = tl_now();
  CHECK(nanosleep(&want, NULL) == 0);
  slept = tl_now() - t0;
  CHECK(slept >= 0.5);
  reap(pid);
  tl_say("nanosleep: SIGSTOP and SIGCONT do not cut it short\n");
}

static void suspend(void) {
  CHECK(tl_handle_signal(SIGUSR1, handler, SA_RESTART) == 0);
  sigset_t block, old, during;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigaddset(&block, SIGUSR2);
  CHECK(sigprocmask(SIG_BLOCK, &block, &old) == 0);
  hits = 0;
  pid_t pid = sender(100, SIGUSR1, -1);
  sigemptyset(&during);
  sigaddset(&during, SIGUSR2);
  CHECK_ERRNO(sigsuspend(&during), EINTR);
  CHECK(hits == 1);
  sigset_t now;
  CHECK(sigprocmask(SIG_SETMASK, &old, &now) == 0);
  CHECK(sigismember(&now, SIGUSR1) && sigismember(&now, SIGUSR2));
  reap(pid);
  tl_say("rt_sigsuspend: EINTR even with SA_RESTART; the mask before it is back afterwards\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  pipe_read();
  wait_calls();
  sleeps();
  suspend();
  return tl_done();
}
