/* procs_100: 100 processes alive at the same time.
 * The parent forks 100 children; each waits until all of them exist (it blocks reading a pipe that the
 * parent closes after the last fork), does a little work of its own (sums over a private malloc'ed array),
 * and exits with a distinct status (1..100). The parent reaps all of them with wait4(-1) and checks that
 * each pid came back exactly once with its own status, then that no child is left (ECHILD).
 */
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define COUNT 100

/* The child's work: the sum 1..n computed the slow way, in memory of its own. */
static int work(int n) {
  long* values = malloc((size_t)n * 100 * sizeof *values);
  if (!values) return 0;
  for (int i = 0; i < n * 100; i++) values[i] = i + 1;
  long sum = 0;
  for (int i = 0; i < n * 100; i++) sum += values[i];
  free(values);
  long m = (long)n * 100;
  return sum == m * (m + 1) / 2;
}

static void child(int index, int start_fd) {
  char c;
  int started = read(start_fd, &c, 1) == 0; /* EOF once the parent has forked everybody */
  _exit(started && work(index + 1) ? index + 1 : 0);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int start[2];
  CHECK(pipe(start) == 0);
  pid_t pids[COUNT];
  int forked = 0;
  for (int i = 0; i < COUNT; i++) {
    pids[i] = fork();
    if (pids[i] == 0) {
      close(start[1]);
      child(i, start[0]);
    }
    CHECK(pids[i] > 0);
    if (pids[i] < 0) break;
    forked++;
  }
  tl_say("forked %d processes\n", forked);
  close(start[1]); /* go */
  close(start[0]);

  int reaped = 0, right = 0;
  int seen[COUNT] = {0};
  for (;;) {
    int status;
    pid_t pid = wait4(-1, &status, 0, NULL);
    if (pid < 0) {
      CHECK(errno == ECHILD);
      break;
    }
    reaped++;
    for (int i = 0; i < forked; i++) {
      if (pids[i] != pid) continue;
      seen[i]++;
      if (WIFEXITED(status) && WEXITSTATUS(status) == i + 1) right++;
    }
  }
  int once = 1;
  for (int i = 0; i < forked; i++) once &= seen[i] == 1;
  tl_say("reaped %d, %d with the right status\n", reaped, right);
  CHECK(reaped == COUNT && right == COUNT && once);
  return tl_done();
}
