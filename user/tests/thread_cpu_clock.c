/* thread_cpu_clock: each thread has its own CPU-time clock, as on Linux.
 *   - CLOCK_THREAD_CPUTIME_ID counts the calling thread only: a thread that spins for 300 ms of its own CPU time
 *     sees about that much; the main thread, which slept meanwhile, sees little; the process clock sees both
 *   - pthread_getcpuclockid names another thread's clock: the main thread reads the spinner's from outside
 *   - a timer on the spinner's CPU clock (timer_create with its clock id, SIGEV_THREAD_ID to it) fires while
 *     that thread spins, and the main thread's own sleeping thread clock does not advance past a few ticks
 *   - clock_nanosleep on the caller's own thread clock is EINVAL; clock_getres of both CPU clocks works
 * Compared with qemu-user (Linux semantics).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static double seconds_of(clockid_t clock) {
  struct timespec ts;
  if (clock_gettime(clock, &ts) != 0) return -1;
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static atomic_int spinner_tid, spinner_ready, fired, stop;
static double spinner_own;

static void on_timer(int sig) {
  (void)sig;
  if (gettid() == atomic_load(&spinner_tid)) atomic_fetch_add(&fired, 1);
}

static void* spinner(void* arg) {
  (void)arg;
  atomic_store(&spinner_tid, gettid());
  atomic_store(&spinner_ready, 1);
  double start = seconds_of(CLOCK_THREAD_CPUTIME_ID);
  while (seconds_of(CLOCK_THREAD_CPUTIME_ID) - start < 0.3 || !atomic_load(&stop)) {
  }
  spinner_own = seconds_of(CLOCK_THREAD_CPUTIME_ID) - start;
  return NULL;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  CHECK(tl_handle_signal(SIGUSR1, on_timer, 0) == 0);

  double main_before = seconds_of(CLOCK_THREAD_CPUTIME_ID);
  double process_before = seconds_of(CLOCK_PROCESS_CPUTIME_ID);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, spinner, NULL) == 0);
  while (!atomic_load(&spinner_ready)) sched_yield();

  clockid_t spinner_clock;
  CHECK(pthread_getcpuclockid(t, &spinner_clock) == 0);
  struct sigevent ev = {0};
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = SIGUSR1;
  ev._sigev_un._tid = atomic_load(&spinner_tid);
  timer_t timer;
  CHECK(timer_create(spinner_clock, &ev, &timer) == 0);
  struct itimerspec its = {{0, 0}, {0, 100 * 1000 * 1000}};  /* once, after 100 ms of the spinner's CPU time */
  CHECK(timer_settime(timer, 0, &its, NULL) == 0);

  /* The main thread sleeps while the spinner works (wall time: the spinner needs 300 ms of its own CPU). */
  double seen_from_outside = 0;
  for (int i = 0; i < 200 && seen_from_outside < 0.3; i++) {
    tl_sleep_ms(20);
    seen_from_outside = seconds_of(spinner_clock);
  }
  atomic_store(&stop, 1);
  CHECK(pthread_join(t, NULL) == 0);
  double main_used = seconds_of(CLOCK_THREAD_CPUTIME_ID) - main_before;
  double process_used = seconds_of(CLOCK_PROCESS_CPUTIME_ID) - process_before;

  tl_say("the spinner read its own clock: %s\n", spinner_own >= 0.3 && spinner_own < 2 ? "300 ms or a little more" : "wrong");
  CHECK(spinner_own >= 0.3 && spinner_own < 2);
  tl_say("the main thread read the spinner's clock from outside: %s\n", seen_from_outside >= 0.3 ? "it advanced" : "wrong");
  CHECK(seen_from_outside >= 0.3);
  tl_say("the sleeping main thread's own clock: %s\n", main_used < 0.2 ? "little" : "too much");
  CHECK(main_used < 0.2);
  tl_say("the process clock: %s\n", process_used >= spinner_own - 0.02 ? "both threads" : "wrong");
  CHECK(process_used >= spinner_own - 0.02);
  tl_say("the timer on the spinner's CPU clock fired in the spinner: %d time(s)\n", atomic_load(&fired));
  CHECK(atomic_load(&fired) == 1);
  CHECK(timer_delete(timer) == 0);

  struct timespec ts = {0, 1000};
  int r = clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &ts, NULL);
  tl_say("clock_nanosleep on the caller's own thread clock: %s\n", r == EINVAL ? "EINVAL" : strerror(r));
  CHECK(r == EINVAL);
  struct timespec res;
  CHECK(clock_getres(CLOCK_THREAD_CPUTIME_ID, &res) == 0 && (res.tv_sec || res.tv_nsec));
  CHECK(clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res) == 0 && (res.tv_sec || res.tv_nsec));
  return tl_done();
}
