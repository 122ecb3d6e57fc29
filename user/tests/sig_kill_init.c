/* sig_kill_init: init (pid 1) gets only the signals it has handlers for. Any process may send init a
 * signal (everyone is root here), but one whose action in init is the default one is dropped, SIGKILL and
 * SIGSTOP included (Linux's SIGNAL_UNKILLABLE): so kill(1, SIGTERM) succeeds and nothing happens, and the
 * machine stays up. kill(-1, sig) ("every process we may signal") spares init and the caller.
 * kernel-only: under qemu-user pid 1 would be the host's init. Checked on Linux 6.1
 * (../shared/reference-linux, whose init has no handlers either).
 * TEST: kernel-only
 * TEST: runtests-skip=kill(-1, sig) reaches every process but init, the shell and runtests too
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGSEGV, SIGKILL, SIGSTOP, SIGCONT};
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) CHECK(kill(1, sigs[i]) == 0);
  struct timespec t = {0, 200 * 1000000L};
  nanosleep(&t, NULL);
  CHECK(kill(1, 0) == 0);
  tl_say("kill(1, SIGTERM/SIGINT/SIGHUP/SIGUSR1/SIGSEGV/SIGKILL/SIGSTOP/SIGCONT): 0, and init is still there\n");

  /* kill(-1): a child of ours dies, we and init do not. */
  signal(SIGUSR2, SIG_IGN);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGUSR2, SIG_DFL);
    for (;;) pause();
  }
  nanosleep(&t, NULL);
  CHECK(kill(-1, SIGUSR2) == 0);
  int status;
  CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR2);
  tl_say("kill(-1, SIGUSR2): our child died, we and init did not\n");
  return tl_done();
}
