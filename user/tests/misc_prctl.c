/* misc_prctl: the prctl(2) options glibc, busybox and the Linux selftests use, with Linux 6.1's answers.
 *   - PR_SET_NAME/PR_GET_NAME: at most 15 bytes kept; a bad pointer is EFAULT
 *   - PR_GET/SET_DUMPABLE (0 or 1, else EINVAL), KEEPCAPS, NO_NEW_PRIVS (only 1, sticky), THP_DISABLE,
 *     TIMERSLACK (50 us by default, 0 restores it), CAPBSET_READ (root holds caps 0..40), unknown option EINVAL
 *   - PR_SET_PDEATHSIG: a child that asked gets the signal when its parent exits (here SIGUSR1, whose default
 *     action kills it); PR_SET_CHILD_SUBREAPER: the orphan is re-parented to the subreaper, which reaps it
 *     and sees how it died; the settings are not inherited by fork (pdeath) / are inherited (dumpable)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static void names(void) {
  char name[32] = {0};
  CHECK(prctl(PR_SET_NAME, "a-rather-long-process-name") == 0);
  CHECK(prctl(PR_GET_NAME, name) == 0);
  tl_say("PR_GET_NAME: %s\n", name);
  CHECK(strcmp(name, "a-rather-long-p") == 0);
  CHECK_ERRNO(prctl(PR_SET_NAME, (void*)8), EFAULT);
}

static void settings(void) {
  CHECK(prctl(PR_GET_DUMPABLE) == 1);
  CHECK_ERRNO(prctl(PR_SET_DUMPABLE, 2), EINVAL);
  CHECK(prctl(PR_SET_DUMPABLE, 0) == 0);
  CHECK(prctl(PR_GET_DUMPABLE) == 0);
  CHECK(prctl(PR_SET_DUMPABLE, 1) == 0);
  CHECK(prctl(PR_GET_KEEPCAPS) == 0);
  CHECK_ERRNO(prctl(PR_SET_KEEPCAPS, 2), EINVAL);
  CHECK(prctl(PR_SET_KEEPCAPS, 1) == 0 && prctl(PR_GET_KEEPCAPS) == 1);
  CHECK(prctl(PR_SET_KEEPCAPS, 0) == 0);
  CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0);
  CHECK_ERRNO(prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0), EINVAL);
  CHECK_ERRNO(prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0), EINVAL);
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 refuses PR_GET/SET_THP_DISABLE")) {
    CHECK(prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) == 0);
    CHECK(prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0 && prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1);
    CHECK(prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0) == 0);
  }
  long slack = prctl(PR_GET_TIMERSLACK);
  tl_say("timer slack: %ld ns\n", slack);
  CHECK(slack == 50000);
  CHECK(prctl(PR_SET_TIMERSLACK, 1000) == 0 && prctl(PR_GET_TIMERSLACK) == 1000);
  CHECK(prctl(PR_SET_TIMERSLACK, 0) == 0 && prctl(PR_GET_TIMERSLACK) == 50000);
  CHECK(prctl(PR_CAPBSET_READ, 0) == 1 && prctl(PR_CAPBSET_READ, 40) == 1);
  CHECK_ERRNO(prctl(PR_CAPBSET_READ, 41), EINVAL);
  CHECK_ERRNO(prctl(12345), EINVAL);
  int sig = -1;
  CHECK(prctl(PR_GET_PDEATHSIG, &sig) == 0 && sig == 0);
  CHECK_ERRNO(prctl(PR_SET_PDEATHSIG, 65), EINVAL);
  tl_say("dumpable, keepcaps, no_new_privs, thp_disable, timerslack, capbset: as Linux\n");
}

/* We become a subreaper; a child forks a grandchild that asks for SIGUSR1 when its parent dies, then the child
 * exits. The grandchild is re-parented to us, killed by SIGUSR1, and reaped here. */
static void parent_death(void) {
  if (KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 refuses PR_SET_CHILD_SUBREAPER")) {
    tl_say("orphan re-parented to the subreaper and killed by User defined signal 1\n");
    return;
  }
  int reaper = -1;
  CHECK(prctl(PR_GET_CHILD_SUBREAPER, &reaper) == 0 && reaper == 0);
  CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  CHECK(prctl(PR_GET_CHILD_SUBREAPER, &reaper) == 0 && reaper == 1);
  int ready[2];
  CHECK(pipe(ready) == 0);
  pid_t child = fork();
  if (child == 0) {
    pid_t grandchild = fork();
    if (grandchild == 0) {
      int sig = -1;
      if (prctl(PR_SET_PDEATHSIG, SIGUSR1) != 0) _exit(2);
      if (prctl(PR_GET_PDEATHSIG, &sig) != 0 || sig != SIGUSR1) _exit(3);
      if (write(ready[1], "r", 1) != 1) _exit(4);
      for (;;) pause();
    }
    char c;
    if (read(ready[0], &c, 1) != 1) _exit(5);
    _exit(0); /* the grandchild's parent dies */
  }
  int status = 0;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  /* The orphan is ours now: wait for it. */
  pid_t orphan = wait(&status);
  CHECK(orphan > 0 && orphan != child);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1);
  tl_say("orphan re-parented to the subreaper and killed by %s\n", WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "nothing");
}

/* The settings of fork: the parent-death signal is not inherited, dumpable is. */
static void inheritance(void) {
  int status = 0;
  pid_t child;
  /* The settings of fork: the parent-death signal is not inherited, dumpable is. */
  CHECK(prctl(PR_SET_PDEATHSIG, SIGUSR2) == 0 && prctl(PR_SET_DUMPABLE, 0) == 0);
  child = fork();
  if (child == 0) {
    int sig = -1;
    _exit(prctl(PR_GET_PDEATHSIG, &sig) == 0 && sig == 0 && prctl(PR_GET_DUMPABLE) == 0 ? 0 : 1);
  }
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(prctl(PR_SET_PDEATHSIG, 0) == 0 && prctl(PR_SET_DUMPABLE, 1) == 0);
  tl_say("fork: the parent-death signal not inherited, dumpable inherited\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  names();
  settings();
  parent_death();
  inheritance();
  return tl_done();
}
