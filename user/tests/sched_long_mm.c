/* sched_long_mm: the long memory operations (issue 14, finding 4) neither hold a hart nor outlive SIGKILL.
 *
 * Populating memory (MAP_POPULATE, mlock): a child makes ONE such call over 96 MiB of a shared memory file
 * (memfd) while the parent sleeps 5 ms again and again. The child marks in shared memory when it enters and
 * leaves the call; the parent counts the sleeps it completes while the child is inside. On one hart the parent
 * can run only when the call gives the hart up, so three sleeps inside mean the call let others run (before:
 * none, the call held the hart for ~270 ms). Then the parent kills the child, still inside, and mincore on its
 * own mapping of the file must show that the call stopped part way (before: SIGKILL waited for all 96 MiB).
 * These checks count events, not time: a loaded host that stops QEMU cannot fail them.
 *
 * The other long operations are repeated by a child for 100 ms beside the sleeping parent, then killed:
 *   fork      fork of a process with 48 MiB written, the child exiting at once (copy and tear-down)
 *   exit      a child writes 48 MiB of its own and exits (the tear-down of its pages)
 *   sparse    a 16 GiB mapping read every 2 MiB (8192 page-table pages), then munmap of it
 * Their figures (the worst 5 ms sleep, how long SIGKILL took) go to stderr with /proc/kernel-stats'
 * sched_longest_hold; the checks there allow 1 s (a loaded host stops QEMU for longer than the kernel holds).
 * TEST: mem=256M
 * TEST: kernel-only
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define BIG (48UL << 20)
#define FILL (96UL << 20)
#define SPARSE (16UL << 30)
#define LIMIT_MS 1000
#define WINDOW_MS 100

enum op { POPULATE, MLOCK, FORK, EXIT, SPARSE_UNMAP };
static const char* const names[] = {"MAP_POPULATE of 96 MiB", "mlock of 96 MiB", "fork of 48 MiB",
                                    "exit of 48 MiB", "munmap of 16 GiB read every 2 MiB"};

/* Shared with the child: where it is. */
enum { STARTING, IN_CALL, CALL_DONE };
static volatile int* phase;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void sleep_5ms(void) {
  struct timespec five = {0, 5 * 1000 * 1000};
  nanosleep(&five, NULL);
}

static void child(enum op which, int file) {
  if (which == POPULATE || which == MLOCK) {
    int flags = MAP_SHARED | (which == POPULATE ? MAP_POPULATE : 0);
    char* p = which == POPULATE ? NULL : mmap(NULL, FILL, PROT_READ | PROT_WRITE, flags, file, 0);
    if (p == MAP_FAILED) _exit(2);
    *phase = IN_CALL;
    if (which == POPULATE)
      p = mmap(NULL, FILL, PROT_READ | PROT_WRITE, flags, file, 0);
    else if (mlock(p, FILL) != 0)
      p = MAP_FAILED;
    *phase = CALL_DONE;
    _exit(p == MAP_FAILED ? 2 : 0);
  }
  char* big = NULL;
  if (which == FORK) {
    big = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (big == MAP_FAILED) _exit(2);
    memset(big, 1, BIG);
  }
  *phase = IN_CALL;
  for (;;) {
    switch (which) {
      case FORK: {
        pid_t pid = fork();
        if (pid == 0) _exit(0);
        if (pid > 0) waitpid(pid, NULL, 0);
        break;
      }
      case EXIT: {
        pid_t pid = fork();
        if (pid == 0) {
          char* p = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
          _exit(p == MAP_FAILED ? 2 : 0);
        }
        if (pid > 0) waitpid(pid, NULL, 0);
        break;
      }
      default: {
        volatile char* p = mmap(NULL, SPARSE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) _exit(2);
        for (unsigned long off = 0; off < SPARSE; off += 2UL << 20) (void)p[off];
        munmap((void*)p, SPARSE);
        break;
      }
    }
  }
}

/* /proc/kernel-stats' sched_longest_hold_us (since boot), or -1. */
static long longest_hold_us(int print) {
  FILE* stats = fopen("/proc/kernel-stats", "r");
  if (!stats) return -1;
  char line[128];
  long us = -1;
  while (fgets(line, sizeof line, stats)) {
    if (strncmp(line, "sched_longest_hold", 18) == 0 && print) fputs(line, stderr);
    sscanf(line, "sched_longest_hold_us %ld", &us);
  }
  fclose(stats);
  return us;
}

/* Pages of the file in memory, by mincore on the parent's own mapping of it. */
static unsigned long pages_in_memory(const char* map) {
  static unsigned char vec[FILL / 4096];
  if (mincore((void*)map, FILL, vec) != 0) return ~0UL;
  unsigned long n = 0;
  for (unsigned long i = 0; i < FILL / 4096; i++) n += vec[i] & 1;
  return n;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  phase = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(phase != MAP_FAILED);
  for (enum op which = POPULATE; which <= SPARSE_UNMAP; which++) {
    long hold_before = longest_hold_us(0);
    int file = -1;
    char* map = NULL;
    if (which == POPULATE || which == MLOCK) {
      file = memfd_create("sched_long_mm", 0);
      CHECK(file >= 0 && ftruncate(file, FILL) == 0);
      map = mmap(NULL, FILL, PROT_READ, MAP_SHARED, file, 0);
      CHECK(map != MAP_FAILED);
    }
    *phase = STARTING;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) child(which, file);
    while (*phase == STARTING) sleep_5ms();
    double worst = 0, end = now_ms() + WINDOW_MS;
    int inside = 0;
    for (;;) {
      double start = now_ms();
      sleep_5ms();
      double slept = now_ms() - start;
      if (slept > worst) worst = slept;
      if (map) {
        /* Until three sleeps have completed inside the call, or it has ended, or 5 s have passed. */
        if (*phase != IN_CALL || now_ms() > end - WINDOW_MS + 5000) break;
        if (++inside == 3) break;
      } else if (now_ms() >= end) {
        break;
      }
    }
    double killed = now_ms();
    CHECK(kill(pid, SIGKILL) == 0);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    double took = now_ms() - killed;
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    long hold_after = longest_hold_us(0);
    fprintf(stderr, "%s: the longest 5 ms sleep beside it took %.0f ms, SIGKILL took %.0f ms to end it", names[which],
            worst, took);
    if (map) {
      unsigned long in_memory = pages_in_memory(map);
      fprintf(stderr, " (%d sleeps completed inside the call; %lu of %lu pages in when killed)", inside, in_memory,
              FILL / 4096);
      CHECK(inside == 3);
      CHECK(in_memory < FILL / 4096);
      munmap(map, FILL);
      close(file);
    }
    if (hold_after > hold_before) fprintf(stderr, "; the longest hold since boot rose to %ld us", hold_after);
    fprintf(stderr, "\n");
    CHECK(worst < LIMIT_MS);
    CHECK(took < LIMIT_MS);
    tl_say("%s: others run beside it, SIGKILL ends it\n", names[which]);
  }
  (void)longest_hold_us(1);
  return tl_done();
}
