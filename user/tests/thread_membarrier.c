/* thread_membarrier: membarrier(2) is a real barrier on the other harts.
 *   - the commands QUERY lists work, the others are EINVAL; the five basic ones are there (GLOBAL, GLOBAL_EXPEDITED
 *     and its registration, PRIVATE_EXPEDITED and its registration); PRIVATE_EXPEDITED before registering is
 *     EPERM; unknown commands and flags EINVAL
 *   - the store-buffering litmus test with asymmetric barriers: thread A stores x then loads y with only a
 *     compiler barrier between, thread B stores y, calls membarrier, loads x. Both loads seeing 0 is forbidden.
 *     The sides are pinned to two harts and meet at a spin barrier before each round. Without the barrier the
 *     outcome shows up under QEMU (TCG on an x86 host keeps x86's store buffer): run with the argument
 *     "no-barrier [SECONDS]" to see it happen, which proves the test can fail. PRIVATE_EXPEDITED and GLOBAL,
 *     each for at most 20,000 rounds or 0.3 s (an argument sets the seconds).
 * Compared with qemu-user (the host's membarrier); Linux 6.1's reference build has no CONFIG_MEMBARRIER (ENOSYS:
 * the test skips there).
 * TEST: smp=1,4
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

enum {
  CMD_QUERY = 0,
  CMD_GLOBAL = 1,
  CMD_GLOBAL_EXPEDITED = 2,
  CMD_REGISTER_GLOBAL_EXPEDITED = 4,
  CMD_PRIVATE_EXPEDITED = 8,
  CMD_REGISTER_PRIVATE_EXPEDITED = 16,
  CMD_PRIVATE_EXPEDITED_SYNC_CORE = 32,
  CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE = 64,
  CMD_PRIVATE_EXPEDITED_RSEQ = 128,
  CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ = 256,
};

static long membarrier(int cmd, unsigned flags, int cpu) { return syscall(SYS_membarrier, cmd, flags, cpu); }

static void commands(long mask) {
  const int basic = CMD_GLOBAL | CMD_GLOBAL_EXPEDITED | CMD_REGISTER_GLOBAL_EXPEDITED | CMD_PRIVATE_EXPEDITED |
                    CMD_REGISTER_PRIVATE_EXPEDITED;
  CHECK((mask & basic) == basic);
  CHECK_ERRNO(membarrier(-1, 0, 0), EINVAL);
  CHECK_ERRNO(membarrier(3, 0, 0), EINVAL);
  CHECK_ERRNO(membarrier(CMD_QUERY, 1, 0), EINVAL);
  CHECK_ERRNO(membarrier(CMD_PRIVATE_EXPEDITED, 1, 0), EINVAL);
  CHECK_ERRNO(membarrier(CMD_PRIVATE_EXPEDITED, 0, 0), EPERM);
  CHECK(membarrier(CMD_GLOBAL, 0, 0) == 0);
  CHECK(membarrier(CMD_GLOBAL_EXPEDITED, 0, 0) == 0);  /* allowed without registering */
  CHECK(membarrier(CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0) == 0);
  CHECK(membarrier(CMD_GLOBAL_EXPEDITED, 0, 0) == 0);
  CHECK(membarrier(CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0);
  CHECK(membarrier(CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0);
  CHECK(membarrier(CMD_PRIVATE_EXPEDITED, 0, 0) == 0);
  /* The optional commands: they work if listed, EINVAL if not. */
  static const int optional[][2] = {
      {CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, CMD_PRIVATE_EXPEDITED_SYNC_CORE},
      {CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, CMD_PRIVATE_EXPEDITED_RSEQ},
  };
  for (int i = 0; i < 2; i++) {
    if (mask & optional[i][1]) {
      CHECK_ERRNO(membarrier(optional[i][1], 0, 0), EPERM);
      CHECK(membarrier(optional[i][0], 0, 0) == 0);
      CHECK(membarrier(optional[i][1], 0, 0) == 0);
    } else {
      CHECK_ERRNO(membarrier(optional[i][0], 0, 0), EINVAL);
      CHECK_ERRNO(membarrier(optional[i][1], 0, 0), EINVAL);
    }
  }
  tl_say("membarrier commands: the listed ones work, EPERM before registering, EINVAL otherwise\n");
}

/* The litmus test. The two sides meet at a spin barrier before each round (they spin without a system call so
 * that they start a round within a few instructions of each other: with a sched_yield between, the window is
 * missed almost always and the test could not fail); side A then checks the round and clears x and y before it
 * lets the next round start. */
/* Each on a cache line of its own: the host's store buffer is what lets the forbidden outcome happen, and a store
 * waiting for a line the other side is reading drains less predictably. */
/* x and y are plain volatile words: GCC makes an _Atomic store an AMO (amoswap), which QEMU runs as a locked
 * host instruction, a full barrier that would hide the outcome. */
static _Alignas(64) volatile int x;
static _Alignas(64) volatile int y;
static _Alignas(64) _Atomic long ready[2];  /* the round each side has reached */
static _Alignas(64) _Atomic long finished;  /* the round side B has finished */
static _Alignas(64) _Atomic int stop;
static _Alignas(64) int r_a;
static _Alignas(64) int r_b;
static int barrier_cmd;  /* 0: no barrier (to see the test fail); -1: getppid() in its place */
static uint64_t cpu_a, cpu_b;  /* the harts the sides are pinned to (0: not pinned) */

/* Spin until *word >= value; after a while yield, so that one hart (or a busy machine) still makes progress. */
static void await(_Atomic long* word, long value) {
  for (int spins = 0; atomic_load_explicit(word, memory_order_acquire) < value; spins++)
    if (spins > 2000) sched_yield();
}

static void pin(uint64_t mask) {
  if (mask) sched_setaffinity(0, sizeof(mask), (cpu_set_t*)&mask);
}

/* Side B: y = 1; membarrier; load x. */
static void* side_b(void* arg) {
  (void)arg;
  pin(cpu_b);
  for (long r = 1;; r++) {
    atomic_store_explicit(&ready[1], r, memory_order_release);
    await(&ready[0], r);
    if (atomic_load_explicit(&stop, memory_order_relaxed)) break;
    y = 1;
    if (barrier_cmd > 0) {
      if (membarrier(barrier_cmd, 0, 0) != 0) tl_fail(__FILE__, __LINE__, "membarrier");
    } else if (barrier_cmd < 0) {
      getppid();  /* a system call that is no barrier ("fake-barrier") */
    } else {
      atomic_signal_fence(memory_order_seq_cst);  /* the compiler only: no fence instruction */
    }
    r_b = x;
    atomic_store_explicit(&finished, r, memory_order_release);
  }
  return NULL;
}

/* Side A (the calling thread): x = 1; load y, with no fence between. Rounds run until `limit` or `seconds`,
 * whichever comes first; returns how many saw the forbidden outcome, *count how many ran. */
static int litmus(int cmd, long limit, double seconds, long* count) {
  barrier_cmd = cmd;
  atomic_store(&stop, 0);
  atomic_store(&ready[0], 0);
  atomic_store(&ready[1], 0);
  atomic_store(&finished, 0);
  x = 0;
  y = 0;
  uint64_t old_mask = 0;
  sched_getaffinity(0, sizeof(old_mask), (cpu_set_t*)&old_mask);
  pin(cpu_a);
  pthread_t b;
  CHECK(pthread_create(&b, NULL, side_b, NULL) == 0);
  double end = tl_now() + seconds;
  int forbidden = 0;
  long r = 1;
  for (;; r++) {
    if (r > limit || ((r & 7) == 0 && tl_now() > end)) atomic_store(&stop, 1);  /* (a barrier may take ms) */
    atomic_store_explicit(&ready[0], r, memory_order_release);
    if (atomic_load(&stop)) break;
    await(&ready[1], r);
    x = 1;
    atomic_signal_fence(memory_order_seq_cst);  /* the compiler only: no fence instruction */
    r_a = y;
    await(&finished, r);
    if (r_a == 0 && r_b == 0) forbidden++;
    x = 0;
    y = 0;
  }
  pthread_join(b, NULL);
  if (old_mask) sched_setaffinity(0, sizeof(old_mask), (cpu_set_t*)&old_mask);
  *count = r - 1;
  return forbidden;
}

/* The IPIs all harts have taken (/proc/kernel-stats, our kernel only), or -1. */
static long ipis_taken(void) {
  FILE* stats = fopen("/proc/kernel-stats", "r");
  if (!stats) return -1;
  char line[128];
  long n = -1;
  while (fgets(line, sizeof line, stats))
    if (sscanf(line, "ipis_taken %ld", &n) == 1) break;
  fclose(stats);
  return n;
}

static _Atomic int spinning, spin_stop;
static void* spin_on(void* arg) {
  pin(*(uint64_t*)arg);
  atomic_store(&spinning, 1);
  while (!atomic_load_explicit(&spin_stop, memory_order_relaxed)) {
  }
  return NULL;
}

/* Under QEMU the litmus test cannot catch a membarrier that only enters the kernel and returns: the system call
 * takes so long that the host's store buffer has drained before side B loads (checked: a getppid() in its
 * place never shows the outcome either). So on our kernel, also check that the barrier reaches the other hart:
 * with a thread spinning in user mode there (no system calls, so no IPIs of its own), each PRIVATE_EXPEDITED
 * call must make that hart take an interrupt. */
static void reaches_other_hart(void) {
  if (tl_is_our_kernel() && cpu_b) {
    spinning = spin_stop = 0;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, spin_on, &cpu_b) == 0);
    uint64_t old_mask = 0;
    sched_getaffinity(0, sizeof(old_mask), (cpu_set_t*)&old_mask);
    pin(cpu_a);
    while (!atomic_load(&spinning)) sched_yield();
    long before = ipis_taken();
    double t0 = tl_now();
    for (int i = 0; i < 100; i++) CHECK(membarrier(CMD_PRIVATE_EXPEDITED, 0, 0) == 0);
    long after = ipis_taken();
    atomic_store(&spin_stop, 1);
    pthread_join(t, NULL);
    sched_setaffinity(0, sizeof(old_mask), (cpu_set_t*)&old_mask);
    fprintf(stderr, "100 PRIVATE_EXPEDITED barriers: %ld IPIs taken, %.0f us each\n", after - before,
            (tl_now() - t0) * 1e4);
    CHECK(before >= 0 && after - before >= 100);
  }
  tl_say("each PRIVATE_EXPEDITED barrier interrupts the hart that runs the other thread\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  long mask = membarrier(CMD_QUERY, 0, 0);
  if (mask < 0 && errno == ENOSYS) {
    fprintf(stderr, "membarrier is not built into this kernel (CONFIG_MEMBARRIER): skipped\n");
    return 77;
  }
  CHECK(mask > 0);
  /* Pin the sides to two different harts when there are two (the litmus needs them to run at the same time). */
  uint64_t harts = 0;
  if (sched_getaffinity(0, sizeof(harts), (cpu_set_t*)&harts) == 0 && __builtin_popcountll(harts) >= 2) {
    cpu_a = harts & -harts;
    cpu_b = (harts & ~cpu_a) & -(harts & ~cpu_a);
  }
  long count;
  int fake = argc > 1 && strcmp(argv[1], "fake-barrier") == 0;
  if (fake || (argc > 1 && strcmp(argv[1], "no-barrier") == 0)) {
    double seconds = argc > 2 ? atof(argv[2]) : 2;
    int bad = litmus(fake ? -1 : 0, 1L << 40, seconds, &count);
    printf("%s: %d of %ld rounds saw both loads 0\n", fake ? "getppid() for a barrier" : "without a barrier", bad,
           count);
    return 0;
  }
  commands(mask);
  reaches_other_hart();
  /* At most 20,000 rounds or 0.3 s for each command (a few hundred to 10,000 rounds on this QEMU, fewer on a busy host). */
  double seconds = argc > 1 ? atof(argv[1]) : 0.3;
  int bad = litmus(CMD_PRIVATE_EXPEDITED, 20000, seconds, &count);
  if (bad) fprintf(stderr, "PRIVATE_EXPEDITED: %d of %ld rounds saw both loads 0\n", bad, count);
  else fprintf(stderr, "PRIVATE_EXPEDITED: %ld rounds\n", count);
  CHECK(bad == 0);
  bad = litmus(CMD_GLOBAL, 20000, seconds, &count);
  if (bad) fprintf(stderr, "GLOBAL: %d of %ld rounds saw both loads 0\n", bad, count);
  else fprintf(stderr, "GLOBAL: %ld rounds\n", count);
  CHECK(bad == 0);
  tl_say("store buffering with membarrier on one side: never both loads 0\n");
  return tl_done();
}
