/* misc_posix_timer: POSIX timers (timer_create, timer_settime, timer_gettime, timer_getoverrun, timer_delete).
 *   - the first timer of a process is 0; timer_gettime shows the time left counting down and the interval; a
 *     deleted or unknown timer is EINVAL; nanoseconds >= 1e9 are EINVAL
 *   - clocks: MONOTONIC, REALTIME, BOOTTIME, TAI and the CPU-time clocks have timers; MONOTONIC_RAW and the
 *     COARSE clocks do not (ENOTSUP), unknown clocks are EINVAL
 *   - expiry sends the signal asked for (SIGEV_SIGNAL; SIGEV_THREAD_ID to the calling thread; nothing for
 *     SIGEV_NONE; SIGALRM without a sigevent), at a relative or an absolute (TIMER_ABSTIME) time, on the
 *     wall clock or after CPU time: the default actions are checked, in children
 *   - the signal's siginfo says SI_TIMER and carries sigev_value; a periodic timer whose signal stays blocked
 *     sends it once, and counts the other expiries as overruns (si_overrun, timer_getoverrun)
 *   - fork: the child does not have its parent's timers
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static long long ns_of(const struct timespec* t) { return t->tv_sec * 1000000000LL + t->tv_nsec; }

static void spin_seconds(double seconds) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    for (volatile int i = 0; i < 10000; i++) {
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
}

enum how { SIGNAL, THREAD_ID, NONE, DEFAULT };

/* In a child: a timer on `clock` firing after 100 ms (absolute if asked), then spin or sleep 3 s. */
static int child_status(clockid_t clock, enum how how, int signo, int absolute, int spin) {
  pid_t pid = fork();
  if (pid == 0) {
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = how == SIGNAL ? SIGEV_SIGNAL : how == THREAD_ID ? SIGEV_THREAD_ID : SIGEV_NONE;
    ev.sigev_signo = signo;
    ev._sigev_un._tid = (int)syscall(SYS_gettid);
    timer_t id;
    if (timer_create(clock, how == DEFAULT ? NULL : &ev, &id) != 0) _exit(2);
    struct itimerspec v = {{0, 0}, {0, 100 * 1000 * 1000}};
    if (absolute) {
      struct timespec now;
      clock_gettime(clock, &now);
      v.it_value.tv_sec = now.tv_sec + (now.tv_nsec + 100000000) / 1000000000;
      v.it_value.tv_nsec = (now.tv_nsec + 100000000) % 1000000000;
    }
    if (timer_settime(id, absolute ? TIMER_ABSTIME : 0, &v, NULL) != 0) _exit(3);
    if (spin) {
      spin_seconds(3);
    } else {
      struct timespec t = {3, 0};
      nanosleep(&t, NULL);
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

static const char* result(int status) {
  static char text[32];
  if (WIFSIGNALED(status)) return strsignal(WTERMSIG(status));
  snprintf(text, sizeof text, "exit %d", WEXITSTATUS(status));
  return text;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  struct sigevent none;
  memset(&none, 0, sizeof none);
  none.sigev_notify = SIGEV_NONE;
  /* SIGEV_SIGNAL, with the signal ignored: Linux 6.1 shows a disarmed SIGEV_NONE timer's old time left. */
  struct sigevent ignored;
  memset(&ignored, 0, sizeof ignored);
  ignored.sigev_notify = SIGEV_SIGNAL;
  ignored.sigev_signo = SIGUSR1;
  signal(SIGUSR1, SIG_IGN);
  timer_t id;
  CHECK(timer_create(CLOCK_MONOTONIC, &ignored, &id) == 0);
  struct itimerspec v = {{0, 250000000}, {2, 0}}, now, old;
  CHECK(timer_settime(id, 0, &v, NULL) == 0);
  CHECK(timer_gettime(id, &now) == 0 && ns_of(&now.it_value) > 1000000000LL && ns_of(&now.it_value) <= 2000000000LL);
  CHECK(ns_of(&now.it_interval) == 250000000);
  struct timespec pause = {0, 300000000};
  nanosleep(&pause, NULL);
  struct itimerspec later;
  CHECK(timer_gettime(id, &later) == 0 && ns_of(&later.it_value) < ns_of(&now.it_value));
  CHECK(timer_getoverrun(id) == 0);
  struct itimerspec zero = {{0, 0}, {0, 0}};
  CHECK(timer_settime(id, 0, &zero, &old) == 0 && ns_of(&old.it_value) > 0);
  CHECK(timer_gettime(id, &now) == 0 && ns_of(&now.it_value) == 0);
  struct itimerspec bad = {{0, 0}, {0, 1000000000}};
  CHECK_ERRNO(timer_settime(id, 0, &bad, NULL), EINVAL);
  pid_t pid = fork();
  if (pid == 0) _exit(timer_gettime(id, &now) == -1 && errno == EINVAL ? 0 : 1);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(timer_delete(id) == 0);
  CHECK_ERRNO(timer_gettime(id, &now), EINVAL);
  CHECK_ERRNO(timer_delete(id), EINVAL);
  signal(SIGUSR1, SIG_DFL);
  tl_say("settime/gettime count down; the child has no timers; delete; EINVAL as Linux\n");

  const clockid_t with[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI, CLOCK_PROCESS_CPUTIME_ID};
  for (unsigned i = 0; i < sizeof with / sizeof *with; i++) {
    timer_t t;
    CHECK(timer_create(with[i], &none, &t) == 0);
    CHECK(timer_delete(t) == 0);
  }
  CHECK_ERRNO(timer_create(CLOCK_MONOTONIC_RAW, &none, &id), ENOTSUP);
  CHECK_ERRNO(timer_create(CLOCK_REALTIME_COARSE, &none, &id), ENOTSUP);
  CHECK_ERRNO(timer_create(12, &none, &id), EINVAL);
  struct sigevent bad_signal;
  memset(&bad_signal, 0, sizeof bad_signal);
  bad_signal.sigev_notify = SIGEV_SIGNAL;
  bad_signal.sigev_signo = 65;
  CHECK_ERRNO(timer_create(CLOCK_MONOTONIC, &bad_signal, &id), EINVAL);
  tl_say("clocks with timers and without, as Linux\n");

  struct sigevent rt;
  memset(&rt, 0, sizeof rt);
  rt.sigev_notify = SIGEV_SIGNAL;
  rt.sigev_signo = SIGRTMIN;
  rt.sigev_value.sival_int = 42;
  timer_t periodic;
  CHECK(timer_create(CLOCK_MONOTONIC, &rt, &periodic) == 0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGRTMIN);
  CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
  struct itimerspec every = {{0, 20000000}, {0, 20000000}};
  CHECK(timer_settime(periodic, 0, &every, NULL) == 0);
  struct timespec blocked_for = {0, 300000000};
  nanosleep(&blocked_for, NULL);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  CHECK(sigwaitinfo(&set, &si) == SIGRTMIN);
  CHECK(si.si_code == SI_TIMER && si.si_value.sival_int == 42);
  CHECK(si.si_overrun >= 5 && timer_getoverrun(periodic) == si.si_overrun);
  CHECK(timer_delete(periodic) == 0);
  struct timespec no_wait = {0, 0};
  /* One more expiry may have come between sigwaitinfo and timer_delete (a busy host can hold a hart longer than
   * the 20 ms period; Linux leaves it pending too); never more than one: one signal queued per timer. */
  int late = sigtimedwait(&set, &si, &no_wait);
  if (late != -1) CHECK(late == SIGRTMIN);
  CHECK_ERRNO(sigtimedwait(&set, &si, &no_wait), EAGAIN);
  CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0);
  tl_say("20 ms period, blocked for 300 ms: one SIGRTMIN, SI_TIMER, sigev_value 42, the rest overruns\n");

  status = child_status(CLOCK_MONOTONIC, SIGNAL, SIGUSR1, 0, 0);
  tl_say("CLOCK_MONOTONIC, SIGEV_SIGNAL SIGUSR1: %s\n", result(status));
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1);
  status = child_status(CLOCK_REALTIME, DEFAULT, 0, 1, 0);
  tl_say("CLOCK_REALTIME absolute, no sigevent: %s\n", result(status));
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM);
  status = child_status(CLOCK_MONOTONIC, THREAD_ID, SIGUSR2, 1, 0);
  tl_say("CLOCK_MONOTONIC absolute, SIGEV_THREAD_ID SIGUSR2: %s\n", result(status));
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR2);
  status = child_status(CLOCK_MONOTONIC, NONE, 0, 0, 0);
  tl_say("SIGEV_NONE: %s\n", result(status));
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  status = child_status(CLOCK_PROCESS_CPUTIME_ID, SIGNAL, SIGTERM, 0, 1);
  tl_say("CLOCK_PROCESS_CPUTIME_ID, spinning, SIGTERM: %s\n", result(status));
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  return tl_done();
}
