/* thread_sched: the sched_* calls as Linux 6.1 answers them.
 *   - sched_getscheduler/getparam: SCHED_OTHER, priority 0; sched_setscheduler FIFO/RR with priorities 1..99,
 *     OTHER/BATCH/IDLE with 0, SCHED_RESET_ON_FORK reported and applied at fork (the child is SCHED_OTHER, 0);
 *     sched_setparam keeps the policy; a thread's policy is its own (pid = its tid)
 *   - sched_get_priority_max/min: 99/1 for FIFO and RR, 0 for the others, EINVAL for no policy
 *   - sched_rr_get_interval: 0 for FIFO, 100 ms for RR, a slice of more than 0 and at most 100 ms otherwise
 *   - errors: EINVAL (pid < 0, NULL param, bad policy, priority out of range or not matching the policy,
 *     SCHED_DEADLINE through sched_setscheduler), ESRCH, EFAULT
 *   - affinity: all online harts at first; a thread pinned to one hart runs only there (sched_getcpu, many
 *     times, also across yields), and one pinned by another thread moves there; EINVAL for lengths and for a
 *     mask of no online hart, ESRCH, EFAULT
 * Compared with qemu-user (the host's scheduler); checked on Linux 6.1 (1 and 2 harts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

static long sys(long nr, long a, long b, long c) { return syscall(nr, a, b, c); }

static int policy_of(pid_t pid) { return sched_getscheduler(pid); }
static int priority_of(pid_t pid) {
  struct sched_param sp = {-1};
  CHECK(sched_getparam(pid, &sp) == 0);
  return sp.sched_priority;
}
static long interval_ns(pid_t pid) {
  struct timespec ts;
  CHECK(sched_rr_get_interval(pid, &ts) == 0);
  return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static _Atomic int thread_tid, thread_stop, thread_cpu;
static void* spinner(void* arg) {
  (void)arg;
  thread_tid = gettid();
  while (!thread_stop) {
    thread_cpu = sched_getcpu();
    for (volatile int i = 0; i < 1000; i++) {
    }
  }
  return NULL;
}

static void policies(void) {
  CHECK(policy_of(0) == SCHED_OTHER);
  CHECK(priority_of(0) == 0);
  long slice = interval_ns(0);
  if (!(slice > 0 && slice <= 100000000L))
    CHECK(KNOWN_QEMU_USER_DIFFERENCE("the host's fair-class slice (0 on an idle run queue)"));
  struct sched_param sp = {0};
  CHECK(sched_setscheduler(0, SCHED_BATCH, &sp) == 0);
  CHECK(policy_of(0) == SCHED_BATCH);
  CHECK(sched_setscheduler(0, SCHED_IDLE, &sp) == 0);
  CHECK(policy_of(0) == SCHED_IDLE);
  sp.sched_priority = 50;
  int rt = sched_setscheduler(0, SCHED_FIFO, &sp) == 0;
  if (!rt) CHECK(KNOWN_QEMU_USER_DIFFERENCE("real-time policies need CAP_SYS_NICE on the host"));
  if (rt) {
    CHECK(policy_of(0) == SCHED_FIFO);
    CHECK(priority_of(0) == 50);
    CHECK(interval_ns(0) == 0);
    sp.sched_priority = 9;
    CHECK(sched_setparam(0, &sp) == 0);
    CHECK(policy_of(0) == SCHED_FIFO && priority_of(0) == 9);
    sp.sched_priority = 7;
    CHECK(sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &sp) == 0);
    CHECK(policy_of(0) == (SCHED_RR | SCHED_RESET_ON_FORK));
    CHECK(interval_ns(0) == 100000000L);
    pid_t child = fork();
    if (child == 0) _exit(policy_of(0) == SCHED_OTHER && priority_of(0) == 0 ? 0 : 1);
    int status;
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* A thread's policy is its own. */
    pthread_t t;
    thread_stop = 0;
    CHECK(pthread_create(&t, NULL, spinner, NULL) == 0);
    while (!thread_tid) sched_yield();
    sp.sched_priority = 0;
    CHECK(sched_setscheduler(thread_tid, SCHED_BATCH, &sp) == 0);
    CHECK(policy_of(thread_tid) == SCHED_BATCH);
    CHECK(policy_of(0) == (SCHED_RR | SCHED_RESET_ON_FORK));
    thread_stop = 1;
    pthread_join(t, NULL);
    thread_tid = 0;
  }
  sp.sched_priority = 0;
  CHECK(sched_setscheduler(0, SCHED_OTHER, &sp) == 0);
  CHECK(policy_of(0) == SCHED_OTHER && priority_of(0) == 0);
  tl_say("policies and priorities kept per thread; SCHED_RESET_ON_FORK applied at fork; intervals\n");
}

static void ranges_and_errors(void) {
  CHECK(sched_get_priority_max(SCHED_FIFO) == 99 && sched_get_priority_min(SCHED_FIFO) == 1);
  CHECK(sched_get_priority_max(SCHED_RR) == 99 && sched_get_priority_min(SCHED_RR) == 1);
  CHECK(sched_get_priority_max(SCHED_OTHER) == 0 && sched_get_priority_min(SCHED_OTHER) == 0);
  CHECK(sched_get_priority_max(SCHED_BATCH) == 0 && sched_get_priority_min(SCHED_IDLE) == 0);
  CHECK(sched_get_priority_max(6 /* DEADLINE */) == 0);
  CHECK_ERRNO(sched_get_priority_max(4), EINVAL);
  CHECK_ERRNO(sched_get_priority_min(-1), EINVAL);
  struct sched_param sp = {0};
  CHECK_ERRNO(sched_getscheduler(-1), EINVAL);
  CHECK_ERRNO(sched_getscheduler(999999), ESRCH);
  CHECK_ERRNO(sys(SYS_sched_getparam, 0, 0, 0), EINVAL);
  CHECK_ERRNO(sys(SYS_sched_getparam, 0, 8, 0), EFAULT);
  CHECK_ERRNO(sys(SYS_sched_setparam, 0, 0, 0), EINVAL);
  CHECK_ERRNO(sys(SYS_sched_setscheduler, 0, SCHED_OTHER, 8), EFAULT);
  CHECK_ERRNO(sys(SYS_sched_setscheduler, -1, SCHED_OTHER, (long)&sp), EINVAL);
  CHECK_ERRNO(sched_setscheduler(0, -1, &sp), EINVAL);
  CHECK_ERRNO(sched_setscheduler(0, 4, &sp), EINVAL);
  CHECK_ERRNO(sched_setscheduler(0, 6 /* DEADLINE */, &sp), EINVAL);
  CHECK_ERRNO(sched_setscheduler(0, SCHED_FIFO, &sp), EINVAL);  /* priority 0 */
  sp.sched_priority = 100;
  CHECK_ERRNO(sched_setscheduler(0, SCHED_FIFO, &sp), EINVAL);
  sp.sched_priority = 5;
  CHECK_ERRNO(sched_setscheduler(0, SCHED_OTHER, &sp), EINVAL);
  CHECK_ERRNO(sched_setparam(0, &sp), EINVAL);  /* SCHED_OTHER takes no priority */
  CHECK_ERRNO(sched_setscheduler(999999, SCHED_OTHER, &sp), ESRCH);
  struct timespec ts;
  CHECK_ERRNO(sched_rr_get_interval(-1, &ts), EINVAL);
  CHECK_ERRNO(sched_rr_get_interval(999999, &ts), ESRCH);
  CHECK_ERRNO(sys(SYS_sched_rr_get_interval, 0, 8, 0), EFAULT);
  tl_say("priority ranges; EINVAL, ESRCH, EFAULT as Linux\n");
}

static int online_cpus(uint64_t mask) { return __builtin_popcountll(mask); }

static void affinity(void) {
  uint64_t mask = 0, all, wide[2] = {0, 0};
  /* The size of Linux's CPU set (NR_CPUS bits: 64 on riscv), however long the buffer. */
  long size = sys(SYS_sched_getaffinity, 0, sizeof wide, (long)wide);
  if (size != 8) CHECK(KNOWN_QEMU_USER_DIFFERENCE("the host's CPU set size") && size > 0);
  CHECK(sys(SYS_sched_getaffinity, 0, 8, (long)&mask) == 8 && mask == wide[0]);
  all = mask;
  CHECK(online_cpus(all) == sysconf(_SC_NPROCESSORS_ONLN));
  int last = 63 - __builtin_clzll(all);
  /* Pinned to one hart: runs only there. */
  for (int cpu = 0; cpu <= last; cpu += last ? last : 1) {
    uint64_t one = 1ULL << cpu;
    CHECK(sys(SYS_sched_setaffinity, 0, 8, (long)&one) == 0);
    int elsewhere = 0;
    for (int i = 0; i < 300; i++) {
      if (sched_getcpu() != cpu) elsewhere++;
      if (i % 10 == 0) sched_yield();
      for (volatile int k = 0; k < 2000; k++) {
      }
    }
    CHECK(elsewhere == 0);
    CHECK(sys(SYS_sched_getaffinity, 0, 8, (long)&mask) == 8 && mask == one);
    if (!last) break;
  }
  /* Another thread, moved by us. */
  pthread_t t;
  thread_stop = 0;
  thread_cpu = -1;
  CHECK(pthread_create(&t, NULL, spinner, NULL) == 0);
  while (!thread_tid) sched_yield();
  uint64_t first = all & -all;
  CHECK(sys(SYS_sched_setaffinity, 0, 8, (long)&all) == 0);
  CHECK(sys(SYS_sched_setaffinity, thread_tid, 8, (long)&first) == 0);
  CHECK(sys(SYS_sched_getaffinity, thread_tid, 8, (long)&mask) == 8 && mask == first);
  int moved = 0;
  for (int i = 0; i < 2000 && !moved; i++) {
    struct timespec nap = {0, 1000000};
    nanosleep(&nap, NULL);
    moved = thread_cpu == __builtin_ctzll(first);
  }
  CHECK(moved);
  thread_stop = 1;
  pthread_join(t, NULL);
  /* Errors. */
  uint64_t none = 1ULL << 63, one = 1;
  CHECK_ERRNO(sys(SYS_sched_setaffinity, 0, 8, (long)&none), EINVAL);
  CHECK_ERRNO(sys(SYS_sched_setaffinity, 0, 0, (long)&one), EINVAL);  /* an empty set */
  if (sys(SYS_sched_setaffinity, 0, 4, (long)&all) != 0)               /* zero-extended */
    CHECK(KNOWN_QEMU_USER_DIFFERENCE("qemu-user refuses a CPU set shorter than 8 bytes"));
  CHECK_ERRNO(sys(SYS_sched_setaffinity, 0, 8, 8), EFAULT);
  CHECK_ERRNO(sys(SYS_sched_setaffinity, 999999, 8, (long)&one), ESRCH);
  CHECK_ERRNO(sys(SYS_sched_setaffinity, -1, 8, (long)&one), ESRCH);
  CHECK_ERRNO(sys(SYS_sched_getaffinity, 0, 4, (long)&mask), EINVAL);
  CHECK_ERRNO(sys(SYS_sched_getaffinity, 0, 12, (long)&mask), EINVAL);
  CHECK_ERRNO(sys(SYS_sched_getaffinity, 999999, 8, (long)&mask), ESRCH);
  CHECK_ERRNO(sys(SYS_sched_getaffinity, 0, 8, 8), EFAULT);
  CHECK(sys(SYS_sched_setaffinity, 0, 8, (long)&all) == 0);
  tl_say("affinity: pinned threads run only on their harts; EINVAL, ESRCH, EFAULT\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  policies();
  ranges_and_errors();
  affinity();
  return tl_done();
}
