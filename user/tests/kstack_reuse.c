/* kstack_reuse: kernel stacks are given back and used again, however many threads come and go at once.
 * Each process has a kernel stack in a slot of the kernel's stack region. Three rounds: fork 1,100 children
 * that stay alive together (each blocks reading a pipe until the parent has forked them all), then let them
 * all exit at once and reap them. More than 1,024 stacks at once needs kernel page-table pages beyond the ones
 * made at boot, and more than 64 freed at once overflows the kernel's cache of mapped stacks: the slots must
 * come back (fork keeps working round after round) and so must the page-table pages (init's frame check after
 * the test fails with status 125 otherwise). Under qemu-user (the reference) 40 children a round are enough to
 * show the same output.
 * TEST: mem=256M
 * TEST: timeout=180
 */
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define ROUNDS 3

static int round_of(int count) {
  int fds[2];
  if (pipe(fds) != 0) return 0;
  int forked = 0;
  for (; forked < count; forked++) {
    pid_t pid = fork();
    if (pid < 0) break;
    if (pid == 0) {
      char c;
      close(fds[1]);
      _exit(read(fds[0], &c, 1) == 0 ? 7 : 1);
    }
  }
  close(fds[0]);
  close(fds[1]);
  int good = 0;
  for (int i = 0; i < forked; i++) {
    int status;
    if (wait(&status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 7) good++;
  }
  return forked == count && good == count;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int count = tl_is_qemu_user() ? 40 : 1100;
  for (int r = 1; r <= ROUNDS; r++) {
    CHECK(round_of(count));
    tl_say("round %d: every child forked, ran and was reaped\n", r);
  }
  return tl_done();
}
