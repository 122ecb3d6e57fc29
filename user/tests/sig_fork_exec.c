/* sig_fork_exec: what signal state a child and a new program inherit.
 *   - fork: the child has the parent's actions (handlers, SIG_IGN, flags and sa_mask) and blocked mask, but
 *     none of its pending signals
 *   - exec: caught signals go back to SIG_DFL (flags cleared), ignored ones stay SIG_IGN, the blocked mask
 *     stays, and signals pending at exec are still pending in the new program
 * Compared with qemu-user (faithful for these).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static void handler(int sig) {}

static int check_after_exec(void) {
  int bad = 0;
  struct sigaction sa;
  sigaction(SIGUSR1, NULL, &sa);
  if (sa.sa_handler != SIG_DFL || (sa.sa_flags & SA_RESTART)) bad |= 1;
  sigaction(SIGUSR2, NULL, &sa);
  if (sa.sa_handler != SIG_IGN) bad |= 2;
  sigset_t mask, pend;
  sigprocmask(SIG_BLOCK, NULL, &mask);
  if (!sigismember(&mask, SIGHUP) || !sigismember(&mask, SIGTERM)) bad |= 4;
  sigpending(&pend);
  if (!sigismember(&pend, SIGTERM)) bad |= 8;
  return bad;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc > 1 && strcmp(argv[1], "after-exec") == 0) return check_after_exec();

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGINT);
  CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
  signal(SIGUSR2, SIG_IGN);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGHUP);
  sigaddset(&block, SIGTERM);
  CHECK(sigprocmask(SIG_BLOCK, &block, NULL) == 0);
  CHECK(raise(SIGTERM) == 0); /* blocked: pending */

  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int bad = 0;
    struct sigaction now;
    sigaction(SIGUSR1, NULL, &now);
    if (now.sa_handler != handler || !(now.sa_flags & SA_RESTART) || !sigismember(&now.sa_mask, SIGINT)) bad |= 1;
    sigaction(SIGUSR2, NULL, &now);
    if (now.sa_handler != SIG_IGN) bad |= 2;
    sigset_t mask, pend;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    if (!sigismember(&mask, SIGHUP) || !sigismember(&mask, SIGTERM)) bad |= 4;
    sigpending(&pend);
    if (sigismember(&pend, SIGTERM)) bad |= 8;
    _exit(bad);
  }
  int status;
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  if (WIFEXITED(status) && WEXITSTATUS(status)) fprintf(stderr, "fork: bad %#x\n", WEXITSTATUS(status));
  tl_say("fork: actions and mask inherited, pending signals not\n");

  /* A child execs with SIGTERM pending (and blocked). Under qemu-user the new program is a fresh qemu process
   * started by exec, so the pending signal survives there too. */
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    raise(SIGTERM); /* pending in the child, which now execs */
    char* argv2[] = {(char*)tl_self(), (char*)"after-exec", NULL};
    tl_execv(tl_self(), argv2);
    _exit(127);
  }
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  if (WIFEXITED(status) && WEXITSTATUS(status)) fprintf(stderr, "exec: bad %#x\n", WEXITSTATUS(status));
  tl_say("exec: handlers reset to SIG_DFL, SIG_IGN kept, mask kept, pending signals kept\n");
  return tl_done();
}
