/* misc_uname_time: small system calls about the system, time and identity.
 *   - uname: sysname "Linux" (glibc and programs expect it), machine "riscv64", the other fields filled in
 *   - clock_gettime: CLOCK_MONOTONIC never goes back and moves on; CLOCK_REALTIME is after 2020;
 *     nanoseconds below 1e9; an unknown clock is EINVAL
 *   - nanosleep and clock_nanosleep (relative and TIMER_ABSTIME) sleep at least as long as asked;
 *     a negative or too large tv_nsec is EINVAL
 *   - getrandom: 32 bytes, not all zero, different from the next 32; GRND_NONBLOCK works; bad flags EINVAL
 *   - sched_yield returns 0; gettid == getpid in a single-threaded process
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static void names(void) {
  struct utsname u;
  CHECK(uname(&u) == 0);
  tl_say("sysname: %s, machine: %s\n", u.sysname, u.machine);
  CHECK(strcmp(u.sysname, "Linux") == 0);
  CHECK(strcmp(u.machine, "riscv64") == 0);
  CHECK(u.nodename[0] != '\0' && u.release[0] != '\0' && u.version[0] != '\0');
  /* Every field is NUL-terminated inside its 65 bytes. */
  CHECK(memchr(u.release, '\0', sizeof u.release) && memchr(u.version, '\0', sizeof u.version));
}

static int64_t ns(const struct timespec* t) { return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec; }

static int64_t now(clockid_t clock) {
  struct timespec t;
  CHECK(clock_gettime(clock, &t) == 0);
  CHECK(t.tv_nsec >= 0 && t.tv_nsec < 1000000000);
  return ns(&t);
}

static void clocks(void) {
  int64_t previous = now(CLOCK_MONOTONIC);
  int backwards = 0;
  for (int i = 0; i < 1000; i++) {
    int64_t t = now(CLOCK_MONOTONIC);
    backwards |= t < previous;
    previous = t;
  }
  CHECK(!backwards);
  int64_t start = now(CLOCK_MONOTONIC);
  volatile unsigned long spin = 0;
  for (int i = 0; i < 2000000; i++) spin += (unsigned long)i;
  CHECK(now(CLOCK_MONOTONIC) > start);

  int64_t real = now(CLOCK_REALTIME) / 1000000000;
  CHECK(real > 1577836800); /* 2020-01-01 */
  if (real <= 1577836800) fprintf(stderr, "CLOCK_REALTIME is %lld s\n", (long long)real);

  struct timespec t;
  CHECK(tl_raw_syscall(SYS_clock_gettime, 12345, (long)&t, 0, 0, 0, 0) == -EINVAL);
  tl_say("clock_gettime: monotonic, realtime after 2020\n");
}

static void sleeps(void) {
  const int64_t asked = 30 * 1000000; /* 30 ms */
  struct timespec t = {0, asked};

  int64_t start = now(CLOCK_MONOTONIC);
  CHECK(nanosleep(&t, NULL) == 0);
  int64_t slept = now(CLOCK_MONOTONIC) - start;
  CHECK(slept >= asked);
  fprintf(stderr, "nanosleep(30 ms) took %lld us\n", (long long)(slept / 1000));

  start = now(CLOCK_MONOTONIC);
  CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &t, NULL) == 0);
  CHECK(now(CLOCK_MONOTONIC) - start >= asked);

  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  int64_t deadline = ns(&until) + asked;
  until.tv_sec = deadline / 1000000000;
  until.tv_nsec = deadline % 1000000000;
  CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == 0);
  CHECK(now(CLOCK_MONOTONIC) >= deadline);

  struct timespec zero = {0, 0};
  CHECK(nanosleep(&zero, NULL) == 0);
  struct timespec bad = {0, 1000000000};
  CHECK_ERRNO(nanosleep(&bad, NULL), EINVAL);
  bad.tv_nsec = -1;
  CHECK_ERRNO(nanosleep(&bad, NULL), EINVAL);
  tl_say("nanosleep, clock_nanosleep: slept long enough\n");
}

static void randomness(void) {
  unsigned char a[32], b[32], zero[32] = {0};
  CHECK(getrandom(a, sizeof a, 0) == sizeof a);
  CHECK(getrandom(b, sizeof b, GRND_NONBLOCK) == sizeof b);
  CHECK(memcmp(a, zero, sizeof a) != 0);
  CHECK(memcmp(a, b, sizeof a) != 0);
  CHECK(getrandom(a, 0, 0) == 0);
  CHECK_ERRNO(getrandom(a, sizeof a, 0x100), EINVAL);
  tl_say("getrandom: random enough\n");
}

static void identity(void) {
  CHECK(sched_yield() == 0);
  CHECK(gettid() == getpid());
  CHECK(getpid() > 0 && getppid() >= 0);
  tl_say("sched_yield, gettid: ok\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  names();
  clocks();
  sleeps();
  randomness();
  identity();
  return tl_done();
}
