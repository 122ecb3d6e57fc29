/* vdso_clock: glibc's clock functions, which go through the vDSO, agree with the system calls and advance.
 *
 * glibc calls __vdso_clock_gettime, __vdso_gettimeofday and __vdso_clock_getres when the kernel provides a
 * vDSO (time() uses clock_gettime(CLOCK_REALTIME_COARSE)); this test checks what they return against the raw
 * system calls (an inline ecall, which never takes the vDSO):
 *   - for every clock the vDSO computes (REALTIME, MONOTONIC, MONOTONIC_RAW, REALTIME_COARSE, MONOTONIC_COARSE,
 *     BOOTTIME), a system-call reading before and one after enclose glibc's reading, over many rounds; the
 *     nanoseconds are below 10^9;
 *   - gettimeofday lies between two raw gettimeofday calls (microseconds), fills the time zone with zeros,
 *     and accepts a NULL time zone; time() lies between two raw CLOCK_REALTIME_COARSE seconds;
 *   - clock_getres gives what the system call gives, for every clock, and accepts a NULL result;
 *   - the clocks move: CLOCK_MONOTONIC never goes back over a thousand calls and has advanced by at least
 *     the time slept in nanosleep; CLOCK_REALTIME minus CLOCK_MONOTONIC stays constant (to a few ms);
 *   - clocks the vDSO does not compute fall back to the system call: the CPU-time clocks work, an invalid
 *     clock id gives EINVAL, as from the system call.
 * The same checks hold under qemu-user (which has no vDSO: glibc uses the system calls) and on Linux 6.1
 * (checked with ../shared/reference-linux/run.sh, where the coarse clocks run a tick behind the others).
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static int64_t ns_of(const struct timespec* t) { return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec; }

static int64_t raw_now(clockid_t clock) {
  struct timespec t;
  long r = tl_raw_syscall(SYS_clock_gettime, clock, (long)&t, 0, 0, 0, 0);
  CHECK(r == 0);
  return ns_of(&t);
}

static const struct {
  clockid_t id;
  const char* name;
} CLOCKS[] = {
    {CLOCK_REALTIME, "CLOCK_REALTIME"},   {CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
    {CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW"}, {CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE"},
    {CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE"}, {CLOCK_BOOTTIME, "CLOCK_BOOTTIME"},
};

static void gettime_agrees(clockid_t clock, const char* name) {
  int bad = 0;
  for (int round = 0; round < 200; round++) {
    int64_t before = raw_now(clock);
    struct timespec t;
    CHECK(clock_gettime(clock, &t) == 0);
    int64_t after = raw_now(clock);
    if (t.tv_nsec < 0 || t.tv_nsec >= 1000000000 || ns_of(&t) < before || ns_of(&t) > after) {
      if (!bad)
        fprintf(stderr, "%s: system call %lld, glibc %lld.%09ld, system call %lld\n", name, (long long)before,
                (long long)t.tv_sec, t.tv_nsec, (long long)after);
      bad++;
    }
  }
  CHECK(bad == 0);
  tl_say("%s: glibc's clock_gettime agrees with the system call\n", name);
}

static void getres_agrees(clockid_t clock, const char* name) {
  struct timespec raw, mine;
  CHECK(tl_raw_syscall(SYS_clock_getres, clock, (long)&raw, 0, 0, 0, 0) == 0);
  CHECK(clock_getres(clock, &mine) == 0);
  CHECK(mine.tv_sec == raw.tv_sec && mine.tv_nsec == raw.tv_nsec);
  CHECK(clock_getres(clock, NULL) == 0);
  tl_say("%s: clock_getres agrees\n", name);
}

static void gettimeofday_agrees(void) {
  int bad = 0;
  for (int round = 0; round < 200; round++) {
    struct timeval a, b, t;
    CHECK(tl_raw_syscall(SYS_gettimeofday, (long)&a, 0, 0, 0, 0, 0) == 0);
    CHECK(gettimeofday(&t, NULL) == 0);
    CHECK(tl_raw_syscall(SYS_gettimeofday, (long)&b, 0, 0, 0, 0, 0) == 0);
    int64_t us = (int64_t)t.tv_sec * 1000000 + t.tv_usec;
    if (t.tv_usec < 0 || t.tv_usec >= 1000000 || us < (int64_t)a.tv_sec * 1000000 + a.tv_usec ||
        us > (int64_t)b.tv_sec * 1000000 + b.tv_usec)
      bad++;
  }
  CHECK(bad == 0);
  struct timezone tz = {123, 456};
  struct timeval t;
  CHECK(gettimeofday(&t, &tz) == 0);
  CHECK(tz.tz_minuteswest == 0 && tz.tz_dsttime == 0);
  CHECK(gettimeofday(&t, NULL) == 0);
  tl_say("gettimeofday agrees with the system call\n");

  bad = 0;
  for (int round = 0; round < 100; round++) {
    int64_t before = raw_now(CLOCK_REALTIME_COARSE) / 1000000000;
    time_t t_now = time(NULL);
    int64_t after = raw_now(CLOCK_REALTIME_COARSE) / 1000000000;
    if (t_now < before || t_now > after) bad++;
  }
  CHECK(bad == 0);
  tl_say("time() agrees with the system call\n");
}

static void clocks_move(void) {
  struct timespec t;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &t) == 0);
  int64_t previous = ns_of(&t);
  int backwards = 0;
  for (int i = 0; i < 1000; i++) {
    CHECK(clock_gettime(CLOCK_MONOTONIC, &t) == 0);
    backwards |= ns_of(&t) < previous;
    previous = ns_of(&t);
  }
  CHECK(!backwards);

  struct timespec real0, mono0, real1, mono1;
  CHECK(clock_gettime(CLOCK_REALTIME, &real0) == 0 && clock_gettime(CLOCK_MONOTONIC, &mono0) == 0);
  struct timespec nap = {0, 20 * 1000 * 1000};
  CHECK(nanosleep(&nap, NULL) == 0);
  CHECK(clock_gettime(CLOCK_REALTIME, &real1) == 0 && clock_gettime(CLOCK_MONOTONIC, &mono1) == 0);
  CHECK(ns_of(&mono1) - ns_of(&mono0) >= 20 * 1000 * 1000);
  int64_t drift = (ns_of(&real1) - ns_of(&mono1)) - (ns_of(&real0) - ns_of(&mono0));
  CHECK(drift > -5000000 && drift < 5000000);
  tl_say("the clocks advance together\n");
}

static void fallbacks(void) {
  struct timespec t;
  CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) == 0);
  CHECK(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) == 0);
  CHECK_ERRNO(clock_gettime(42, &t), EINVAL);
  CHECK(tl_raw_syscall(SYS_clock_gettime, 42, (long)&t, 0, 0, 0, 0) == -EINVAL);
  CHECK_ERRNO(clock_getres(42, &t), EINVAL);
  getres_agrees(CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID");
  tl_say("other clocks: the system call's answers\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  for (size_t i = 0; i < sizeof CLOCKS / sizeof CLOCKS[0]; i++) gettime_agrees(CLOCKS[i].id, CLOCKS[i].name);
  for (size_t i = 0; i < sizeof CLOCKS / sizeof CLOCKS[0]; i++) getres_agrees(CLOCKS[i].id, CLOCKS[i].name);
  gettimeofday_agrees();
  clocks_move();
  fallbacks();
  return tl_done();
}
