/* misc_clock_sleep: which clocks clock_nanosleep(2) sleeps on, as Linux 6.1 decides.
 *   - REALTIME, MONOTONIC, BOOTTIME and TAI sleep; TAI reads as REALTIME (the TAI offset is 0 until set)
 *   - MONOTONIC_RAW and the COARSE clocks cannot be slept on: ENOTSUP; THREAD_CPUTIME and unknown clocks: EINVAL
 *   - (on Linux without a real-time clock device the alarm clocks are ENOTSUP too, and unreadable: EINVAL)
 *   - sched_setaffinity with a set that holds no online CPU is EINVAL; with a CPU that exists, 0
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#ifndef CLOCK_TAI
#define CLOCK_TAI 11
#endif

static const char* sleep_result(clockid_t clock) {
  struct timespec ts = {0, 1000};
  int r = clock_nanosleep(clock, 0, &ts, NULL);
  return r == 0 ? "sleeps" : r == ENOTSUP ? "ENOTSUP" : r == EINVAL ? "EINVAL" : strerror(r);
}

static void sleeps(void) {
  static const struct {
    clockid_t clock;
    const char* name;
    const char* want;
  } clocks[] = {
      {CLOCK_REALTIME, "REALTIME", "sleeps"},          {CLOCK_MONOTONIC, "MONOTONIC", "sleeps"},
      {CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME", "EINVAL"}, {CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW", "ENOTSUP"},
      {CLOCK_REALTIME_COARSE, "REALTIME_COARSE", "ENOTSUP"}, {CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE", "ENOTSUP"},
      {CLOCK_BOOTTIME, "BOOTTIME", "sleeps"},          {10, "10 (unused)", "EINVAL"},
      {CLOCK_TAI, "TAI", "sleeps"},                    {12, "12 (none)", "EINVAL"},
  };
  for (unsigned i = 0; i < sizeof clocks / sizeof *clocks; i++) {
    const char* got = sleep_result(clocks[i].clock);
    tl_say("clock_nanosleep(%s): %s\n", clocks[i].name, got);
    CHECK(strcmp(got, clocks[i].want) == 0);
  }
  /* The alarm clocks need a real-time clock device: the host under qemu-user may have one. */
  if (!tl_is_qemu_user()) {
    struct timespec t;
    CHECK(strcmp(sleep_result(CLOCK_REALTIME_ALARM), "ENOTSUP") == 0);
    CHECK_ERRNO(clock_gettime(CLOCK_BOOTTIME_ALARM, &t), EINVAL);
  }
  struct timespec real, tai;
  CHECK(clock_gettime(CLOCK_REALTIME, &real) == 0 && clock_gettime(CLOCK_TAI, &tai) == 0);
  CHECK(tai.tv_sec - real.tv_sec <= 1 && tai.tv_sec >= real.tv_sec);
  struct timespec bad = {0, 1000000000};
  CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL) == EINVAL);
  CHECK(clock_nanosleep(CLOCK_MONOTONIC_RAW, 0, &bad, NULL) == ENOTSUP); /* the clock is checked first */
  tl_say("CLOCK_TAI reads as CLOCK_REALTIME\n");
}

static void affinity(void) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(CPU_SETSIZE - 1, &set);
  CHECK_ERRNO(sched_setaffinity(0, sizeof set, &set), EINVAL);
  CPU_ZERO(&set);
  CHECK(sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) >= 1);
  CHECK(sched_setaffinity(0, sizeof set, &set) == 0);
  CHECK_ERRNO(sched_setaffinity(99999, sizeof set, &set), ESRCH);
  tl_say("sched_setaffinity: a set of no online CPU is EINVAL\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  sleeps();
  affinity();
  return tl_done();
}
