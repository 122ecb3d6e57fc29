/* misc_itimer: setitimer(2)/getitimer(2) with all three timers, and alarm(2).
 *   - getitimer reads what is left (never 0 while armed) and the interval; setitimer returns the old value;
 *     a value of 0 disarms; an unknown timer or microseconds >= 1000000 are EINVAL; alarm() returns the
 *     seconds left
 *   - ITIMER_REAL sends SIGALRM when its time passes, ITIMER_VIRTUAL SIGVTALRM after user CPU time,
 *     ITIMER_PROF SIGPROF after CPU time (their default action ends the process, which is what is checked,
 *     in children); ITIMER_VIRTUAL does not run while the process sleeps
 *   - fork: the child has no timers
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static long us(const struct timeval* t) { return t->tv_sec * 1000000L + t->tv_usec; }

static void spin_seconds(double seconds) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    for (volatile int i = 0; i < 10000; i++) {
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
}

/* A child arms `which` for `ms` milliseconds, then spins (or sleeps) for `seconds`; returns its wait status. */
static int child_status(int which, long ms, double seconds, int sleeps) {
  pid_t pid = fork();
  if (pid == 0) {
    struct itimerval v = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
    if (setitimer(which, &v, NULL) != 0) _exit(2);
    if (sleeps) {
      struct timespec t = {(time_t)seconds, (long)((seconds - (long)seconds) * 1e9)};
      nanosleep(&t, NULL);
    } else {
      spin_seconds(seconds);
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

static const char* how(int status) {
  static char text[32];
  if (WIFSIGNALED(status)) return strsignal(WTERMSIG(status));
  snprintf(text, sizeof text, "exit %d", WEXITSTATUS(status));
  return text;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  struct itimerval v, old;
  CHECK(getitimer(ITIMER_REAL, &v) == 0 && us(&v.it_value) == 0 && us(&v.it_interval) == 0);
  struct itimerval ten = {{1, 500000}, {10, 0}};
  CHECK(setitimer(ITIMER_REAL, &ten, NULL) == 0);
  CHECK(getitimer(ITIMER_REAL, &v) == 0 && us(&v.it_value) > 9000000 && us(&v.it_value) <= 10000000);
  CHECK(us(&v.it_interval) == 1500000);
  struct itimerval zero = {{0, 0}, {0, 0}};
  CHECK(setitimer(ITIMER_REAL, &zero, &old) == 0 && us(&old.it_value) > 9000000);
  CHECK(getitimer(ITIMER_REAL, &v) == 0 && us(&v.it_value) == 0);
  CHECK(setitimer(ITIMER_PROF, &ten, NULL) == 0 && getitimer(ITIMER_PROF, &v) == 0 && us(&v.it_value) > 9000000);
  CHECK(setitimer(ITIMER_PROF, &zero, NULL) == 0);
  CHECK_ERRNO(setitimer(3, &ten, NULL), EINVAL);
  struct itimerval bad = {{0, 0}, {0, 1000000}};
  CHECK_ERRNO(setitimer(ITIMER_VIRTUAL, &bad, NULL), EINVAL);
  CHECK(alarm(5) == 0);
  unsigned left = alarm(0);
  CHECK(left >= 4 && left <= 5);
  tl_say("getitimer/setitimer/alarm: values, old values, EINVAL as Linux\n");

  pid_t pid = fork();
  if (pid == 0) {
    struct itimerval mine;
    _exit(getitimer(ITIMER_REAL, &mine) == 0 && us(&mine.it_value) == 0 ? 0 : 1);
  }
  int status = 0;
  CHECK(setitimer(ITIMER_REAL, &ten, NULL) == 0);
  waitpid(pid, &status, 0);
  CHECK(setitimer(ITIMER_REAL, &zero, NULL) == 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("fork: the child starts with no timer\n");

  status = child_status(ITIMER_REAL, 100, 5, 1);
  tl_say("ITIMER_REAL 100 ms, sleeping: %s\n", how(status));
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM);
  status = child_status(ITIMER_VIRTUAL, 200, 10, 0);
  tl_say("ITIMER_VIRTUAL 200 ms, spinning: %s\n", how(status));
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGVTALRM);
  status = child_status(ITIMER_PROF, 200, 10, 0);
  tl_say("ITIMER_PROF 200 ms, spinning: %s\n", how(status));
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGPROF);
  status = child_status(ITIMER_VIRTUAL, 100, 0.5, 1);
  tl_say("ITIMER_VIRTUAL 100 ms, sleeping 0.5 s: %s\n", how(status));
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return tl_done();
}
