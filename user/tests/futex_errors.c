/* futex_errors: futex(2) from one thread, every answer Linux 6.1 gives without a second party:
 *   FUTEX_WAIT: EAGAIN when the word differs, EINVAL for a misaligned word, EFAULT for NULL, a kernel address or
 *   an unreadable page, ETIMEDOUT after a relative timeout (not before it), EINVAL for a bad timespec, EFAULT for
 *   a bad timeout pointer, ENOSYS with FUTEX_CLOCK_REALTIME;
 *   FUTEX_WAIT_BITSET: EINVAL for bitset 0, absolute deadlines on CLOCK_MONOTONIC and CLOCK_REALTIME (past and
 *   future);
 *   FUTEX_WAKE and FUTEX_WAKE_BITSET: 0 with no waiter, EINVAL for bitset 0;
 *   shared futexes (no FUTEX_PRIVATE_FLAG) need a mapping: EFAULT on PROT_NONE memory and on read-only private
 *   anonymous memory, where the private variants work;
 *   FUTEX_CMP_REQUEUE: EAGAIN when the word differs, EINVAL for negative counts;
 *   FUTEX_WAKE_OP: each operation (SET, ADD, OR, ANDN, XOR, with and without FUTEX_OP_OPARG_SHIFT) done
 *   atomically on the second word, ENOSYS for an unknown operation (word untouched) or comparison (word changed),
 *   EFAULT for a read-only second word;
 *   unknown commands: ENOSYS; set_robust_list with a wrong length: EINVAL; get_robust_list;
 *   a signal during a timed wait: EINTR with a handler (SA_RESTART or not); resumed after SIGSTOP/SIGCONT.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <stdint.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static long futex(volatile void* addr, int op, uint32_t val, const void* timeout, volatile void* addr2, uint32_t val3) {
  return tl_raw_syscall(SYS_futex, (long)addr, op, val, (long)timeout, (long)addr2, val3);
}

static long futex_val2(volatile void* addr, int op, uint32_t val, long val2, volatile void* addr2, uint32_t val3) {
  return tl_raw_syscall(SYS_futex, (long)addr, op, val, val2, (long)addr2, val3);
}

static uint64_t now_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct timespec ts_of(uint64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
  return ts;
}

static void wait_errors(void) {
  static uint32_t word[2] __attribute__((aligned(8))) = {1, 1};
  CHECK_RAW_ERR(futex(word, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0), EAGAIN);
  CHECK_RAW_ERR(futex(word, FUTEX_WAIT, 2, NULL, NULL, 0), EAGAIN);
  CHECK_RAW_ERR(futex((char*)word + 2, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0), EINVAL);
  CHECK_RAW_ERR(futex((char*)word + 1, FUTEX_WAKE, 1, NULL, NULL, 0), EINVAL);
  CHECK_RAW_ERR(futex(NULL, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EFAULT);
  CHECK_RAW_ERR(futex(NULL, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT);
  CHECK_RAW_ERR(futex((void*)0xffffffff80200000ul, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EFAULT);
  CHECK_RAW_ERR(futex((void*)0xffffffc000001000ul, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);
  tl_say("FUTEX_WAIT: EAGAIN, EINVAL (misaligned), EFAULT (NULL, kernel)\n");

  struct timespec bad = {0, 1000000000};
  CHECK_RAW_ERR(futex(word, FUTEX_WAIT_PRIVATE, 1, &bad, NULL, 0), EINVAL);
  struct timespec negative = {-1, 0};
  CHECK_RAW_ERR(futex(word, FUTEX_WAIT_PRIVATE, 1, &negative, NULL, 0), EINVAL);
  CHECK_RAW_ERR(futex(word, FUTEX_WAIT_PRIVATE, 1, (void*)8, NULL, 0), EFAULT);
  /* The timeout is read before the realtime flag is refused. */
  CHECK_RAW_ERR(futex(word, FUTEX_WAIT_PRIVATE | FUTEX_CLOCK_REALTIME, 1, (void*)8, NULL, 0), EFAULT);
  struct timespec short_wait = {0, 20 * 1000 * 1000};
  CHECK_RAW_ERR(futex(word, FUTEX_WAIT_PRIVATE | FUTEX_CLOCK_REALTIME, 1, &short_wait, NULL, 0), ENOSYS);
  CHECK_RAW_ERR(futex(word, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0), ENOSYS);
  tl_say("timeouts: EINVAL (bad timespec), EFAULT (bad pointer), ENOSYS (FUTEX_WAIT with CLOCK_REALTIME)\n");

  uint64_t start = now_ns(CLOCK_MONOTONIC);
  CHECK_RAW_ERR(futex(word, FUTEX_WAIT_PRIVATE, 1, &short_wait, NULL, 0), ETIMEDOUT);
  uint64_t took = now_ns(CLOCK_MONOTONIC) - start;
  CHECK(took >= 20 * 1000 * 1000);
  CHECK(took < 2000ull * 1000 * 1000);
  struct timespec zero = {0, 0};
  CHECK_RAW_ERR(futex(word, FUTEX_WAIT_PRIVATE, 1, &zero, NULL, 0), ETIMEDOUT);
  CHECK_RAW_ERR(futex(word, FUTEX_WAIT_PRIVATE, 2, &zero, NULL, 0), EAGAIN);  /* the word is checked first */
  tl_say("FUTEX_WAIT relative timeout: ETIMEDOUT after it, not before\n");
}

static void bitset_deadlines(void) {
  static uint32_t word = 7;
  struct timespec past = ts_of(now_ns(CLOCK_MONOTONIC) / 2);
  CHECK_RAW_ERR(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 7, &past, NULL, 0), EINVAL);  /* bitset 0 */
  CHECK_RAW_ERR(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 7, &past, NULL, 1), ETIMEDOUT);
  CHECK_RAW_ERR(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 8, &past, NULL, 1), EAGAIN);
  uint64_t start = now_ns(CLOCK_MONOTONIC);
  struct timespec soon = ts_of(start + 30 * 1000 * 1000);
  CHECK_RAW_ERR(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 7, &soon, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
  CHECK(now_ns(CLOCK_MONOTONIC) >= start + 30 * 1000 * 1000);
  uint64_t real_start = now_ns(CLOCK_REALTIME);
  struct timespec real_soon = ts_of(real_start + 30 * 1000 * 1000);
  CHECK_RAW_ERR(futex(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 7, &real_soon, NULL, 0x10), ETIMEDOUT);
  CHECK(now_ns(CLOCK_REALTIME) >= real_start + 30 * 1000 * 1000);
  struct timespec real_past = {1, 0};
  CHECK_RAW_ERR(futex(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 7, &real_past, NULL, 0x10), ETIMEDOUT);
  tl_say("FUTEX_WAIT_BITSET: EINVAL (bitset 0), absolute deadlines on CLOCK_MONOTONIC and CLOCK_REALTIME\n");

  CHECK(futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == 0);
  CHECK(futex(&word, FUTEX_WAKE, 0, NULL, NULL, 0) == 0);
  CHECK(futex(&word, FUTEX_WAKE, -1, NULL, NULL, 0) == 0);
  CHECK_RAW_ERR(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0), EINVAL);
  CHECK(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 3) == 0);
  tl_say("FUTEX_WAKE with no waiter: 0; FUTEX_WAKE_BITSET: EINVAL for bitset 0\n");
}

static void mappings(void) {
  uint32_t* none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(none != MAP_FAILED);
  CHECK_RAW_ERR(futex(none, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EFAULT);
  CHECK_RAW_ERR(futex(none, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT);
  CHECK(futex(none, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == 0);  /* a private wake reads nothing */
  CHECK_RAW_ERR(futex(none, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);
  munmap(none, 4096);
  CHECK_RAW_ERR(futex(none, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);
  CHECK(futex(none, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == 0);
  tl_say("PROT_NONE and unmapped words: EFAULT, except for a private wake\n");

  /* Read-only private anonymous memory (the zero page): no shared key, but a private wait reads the word. */
  uint32_t* ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(ro != MAP_FAILED);
  CHECK_RAW_ERR(futex(ro, FUTEX_WAIT, 0, &(struct timespec){0, 0}, NULL, 0), EFAULT);
  CHECK_RAW_ERR(futex(ro, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);
  CHECK_RAW_ERR(futex(ro, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0), EAGAIN);
  CHECK_RAW_ERR(futex(ro, FUTEX_WAIT_PRIVATE, 0, &(struct timespec){0, 0}, NULL, 0), ETIMEDOUT);
  munmap(ro, 4096);
  /* Shared anonymous memory, even read-only, has a shared key. */
  uint32_t* shared_ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(shared_ro != MAP_FAILED);
  CHECK_RAW_ERR(futex(shared_ro, FUTEX_WAIT, 0, &(struct timespec){0, 0}, NULL, 0), ETIMEDOUT);
  CHECK(futex(shared_ro, FUTEX_WAKE, 1, NULL, NULL, 0) == 0);
  munmap(shared_ro, 4096);
  tl_say("read-only private memory: EFAULT for shared futexes, private ones work; shared memory works\n");
}

static void requeue_errors(void) {
  static uint32_t a = 5, b = 6;
  CHECK_RAW_ERR(futex_val2(&a, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &b, 4), EAGAIN);
  CHECK(futex_val2(&a, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &b, 5) == 0);
  CHECK_RAW_ERR(futex_val2(&a, FUTEX_CMP_REQUEUE_PRIVATE, -1, 1, &b, 5), EINVAL);
  CHECK_RAW_ERR(futex_val2(&a, FUTEX_REQUEUE_PRIVATE, 1, -1, &b, 0), EINVAL);
  CHECK(futex_val2(&a, FUTEX_REQUEUE_PRIVATE, 1, 1, &b, 0) == 0);
  CHECK_RAW_ERR(futex_val2(&a, FUTEX_CMP_REQUEUE, 1, 1, NULL, 5), EFAULT);
  CHECK_RAW_ERR(futex_val2(&a, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, (char*)&b + 1, 5), EINVAL);
  tl_say("FUTEX_CMP_REQUEUE: EAGAIN (word differs), EINVAL (negative counts, misaligned), EFAULT\n");
}

#define OP(op, oparg, cmp, cmparg) FUTEX_OP(op, oparg, cmp, cmparg)

static void wake_op(void) {
  static uint32_t a = 0, b = 0;
  struct {
    int op, oparg, cmp, cmparg;
    uint32_t before, after;
  } cases[] = {
      {FUTEX_OP_SET, 9, FUTEX_OP_CMP_EQ, 0, 3, 9},
      {FUTEX_OP_ADD, 5, FUTEX_OP_CMP_NE, 0, 3, 8},
      {FUTEX_OP_ADD, -1, FUTEX_OP_CMP_LT, 0, 3, 2},
      {FUTEX_OP_OR, 0x30, FUTEX_OP_CMP_LE, 0, 3, 0x33},
      {FUTEX_OP_ANDN, 1, FUTEX_OP_CMP_GT, 0, 3, 2},
      {FUTEX_OP_XOR, 0x7ff, FUTEX_OP_CMP_GE, 0, 3, 0x7fc},
      {FUTEX_OP_OPARG_SHIFT | FUTEX_OP_SET, 4, FUTEX_OP_CMP_EQ, 3, 3, 16},
      {FUTEX_OP_OPARG_SHIFT | FUTEX_OP_OR, 31, FUTEX_OP_CMP_EQ, 3, 3, 0x80000003u},
  };
  for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    b = cases[i].before;
    long r = futex_val2(&a, FUTEX_WAKE_OP_PRIVATE, 1, 1, &b,
                        OP(cases[i].op, cases[i].oparg & 0xfff, cases[i].cmp, cases[i].cmparg));
    CHECK(r == 0);
    if (b != cases[i].after) tl_say("case %u: %#x, want %#x\n", i, b, cases[i].after);
    CHECK(b == cases[i].after);
  }
  tl_say("FUTEX_WAKE_OP: SET, ADD, OR, ANDN, XOR and OPARG_SHIFT change the second word\n");
  b = 3;
  CHECK_RAW_ERR(futex_val2(&a, FUTEX_WAKE_OP_PRIVATE, 1, 1, &b, OP(7, 1, FUTEX_OP_CMP_EQ, 0)), ENOSYS);
  CHECK(b == 3);
  CHECK_RAW_ERR(futex_val2(&a, FUTEX_WAKE_OP_PRIVATE, 1, 1, &b, OP(FUTEX_OP_ADD, 1, 9, 0)), ENOSYS);
  CHECK(b == 4);
  uint32_t* ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(ro != MAP_FAILED);
  CHECK_RAW_ERR(futex_val2(&a, FUTEX_WAKE_OP_PRIVATE, 1, 1, ro, OP(FUTEX_OP_ADD, 1, 0, 0)), EFAULT);
  CHECK_RAW_ERR(futex_val2(&a, FUTEX_WAKE_OP, 1, 1, ro, OP(FUTEX_OP_ADD, 1, 0, 0)), EFAULT);
  CHECK(ro[0] == 0);
  munmap(ro, 4096);
  /* A copy-on-write page (after fork it is shared with the child) is copied, not refused. */
  uint32_t* cow = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(cow != MAP_FAILED);
  CHECK(futex_val2(&a, FUTEX_WAKE_OP_PRIVATE, 1, 1, cow, OP(FUTEX_OP_ADD, 2, 0, 0)) == 0);
  CHECK(cow[0] == 2);
  munmap(cow, 4096);
  tl_say("FUTEX_WAKE_OP: ENOSYS (unknown op: word kept; unknown cmp: word changed), EFAULT (read-only)\n");
}

static void other_calls(void) {
  static uint32_t word = 0;
  CHECK_RAW_ERR(futex(&word, 99, 0, NULL, NULL, 0), ENOSYS);
  CHECK_RAW_ERR(futex(&word, 2 /* FUTEX_FD, gone since 2.6.26 */, 0, NULL, NULL, 0), ENOSYS);
  tl_say("unknown commands: ENOSYS\n");
  if (KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 has no set_robust_list/get_robust_list (ENOSYS)")) {
    tl_say("robust list: EINVAL for a wrong length, get_robust_list\n");
    return;
  }
  void* head = NULL;
  size_t len = 0;
  CHECK(tl_raw_syscall(SYS_get_robust_list, 0, (long)&head, (long)&len, 0, 0, 0) == 0);
  CHECK(len == 24);
  CHECK(head != NULL);  /* glibc registers one for the main thread */
  CHECK_RAW_ERR(tl_raw_syscall(SYS_set_robust_list, (long)head, 23, 0, 0, 0, 0), EINVAL);
  CHECK(tl_raw_syscall(SYS_set_robust_list, (long)head, 24, 0, 0, 0, 0) == 0);
  CHECK_RAW_ERR(tl_raw_syscall(SYS_get_robust_list, 0, 8, (long)&len, 0, 0, 0), EFAULT);
  CHECK_RAW_ERR(tl_raw_syscall(SYS_get_robust_list, 999999, (long)&head, (long)&len, 0, 0, 0), ESRCH);
  tl_say("robust list: EINVAL for a wrong length, get_robust_list\n");
}

static volatile int alarms;
static void on_alarm(int sig) { alarms++; }

/* A signal during a timed wait: a handler makes it EINTR, even with SA_RESTART (Linux's futex_wait returns
 * ERESTART_RESTARTBLOCK); a stop and continue without a handler resumes it, to the same deadline. */
static void interrupted(void) {
  static uint32_t word = 3;
  struct itimerval soon = {{0, 0}, {0, 20000}};
  struct timespec wait = {0, 120 * 1000 * 1000};
  CHECK(tl_handle_signal(SIGALRM, on_alarm, SA_RESTART) == 0);
  CHECK(setitimer(ITIMER_REAL, &soon, NULL) == 0);
  CHECK_RAW_ERR(futex(&word, FUTEX_WAIT_PRIVATE, 3, &wait, NULL, 0), EINTR);
  CHECK(alarms == 1);
  pid_t parent = getpid();
  pid_t child = fork();
  if (child == 0) {
    tl_sleep_ms(20);
    kill(parent, SIGSTOP);
    tl_sleep_ms(20);
    kill(parent, SIGCONT);
    _exit(0);
  }
  uint64_t start = now_ns(CLOCK_MONOTONIC);
  CHECK_RAW_ERR(futex(&word, FUTEX_WAIT_PRIVATE, 3, &wait, NULL, 0), ETIMEDOUT);
  CHECK(now_ns(CLOCK_MONOTONIC) - start >= 120ull * 1000 * 1000);
  int status;
  CHECK(waitpid(child, &status, 0) == child);
  tl_say("a signal in a timed FUTEX_WAIT: EINTR with a handler; resumed after a stop, to the same deadline\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  wait_errors();
  bitset_deadlines();
  mappings();
  requeue_errors();
  wake_op();
  other_calls();
  interrupted();
  return tl_done();
}
