/* misc_limits_signals: resource limits and what signals do by default (no handlers involved).
 *   - prlimit64: RLIMIT_STACK is 8 MiB soft; lowering a soft limit and reading it back; a soft limit above
 *     the hard one is EINVAL; an unknown resource is EINVAL
 *   - kill with the default actions: SIGTERM and SIGKILL kill a child blocked in read(); SIGCHLD is ignored
 *     (the child goes on and exits normally); a process can kill itself; kill(pid, 0) probes; ESRCH for a
 *     process that is gone, EINVAL for a bad signal number
 *   - SIGKILL cannot be caught or ignored: sigaction(SIGKILL) is EINVAL, and it still kills a process that
 *     tried to ignore it and blocked every signal
 *   - process groups, as far as a process leading its own group goes (setpgid(2)): a child makes itself a
 *     group leader with setpgid(0, 0), after which setsid is EPERM and getpgid(0) is its pid; a negative
 *     pgid is EINVAL; a process that is neither the caller nor its child is ESRCH
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static void limits(void) {
  struct rlimit64 old, now, lower;
  CHECK(prlimit64(0, RLIMIT_STACK, NULL, &old) == 0);
  int eight_mib = old.rlim_cur == 8 << 20;
  if (!eight_mib && KNOWN_QEMU_USER_DIFFERENCE("RLIMIT_STACK is the host's, here not 8 MiB")) eight_mib = 1;
  CHECK(eight_mib);
  tl_say("RLIMIT_STACK soft: 8 MiB\n");
  CHECK(old.rlim_max == RLIM64_INFINITY || old.rlim_max >= old.rlim_cur);

  CHECK(prlimit64(0, RLIMIT_NOFILE, NULL, &old) == 0 && old.rlim_cur > 64);
  lower = old;
  lower.rlim_cur = 64;
  CHECK(prlimit64(getpid(), RLIMIT_NOFILE, &lower, NULL) == 0);
  CHECK(prlimit64(0, RLIMIT_NOFILE, NULL, &now) == 0 && now.rlim_cur == 64 && now.rlim_max == old.rlim_max);
  CHECK(prlimit64(0, RLIMIT_NOFILE, &old, NULL) == 0); /* back up again (the hard limit allows it) */
  if (old.rlim_max != RLIM64_INFINITY) {
    lower.rlim_cur = old.rlim_max + 1;
    CHECK_ERRNO(prlimit64(0, RLIMIT_NOFILE, &lower, NULL), EINVAL);
  }
  CHECK(tl_raw_syscall(SYS_prlimit64, 0, 1000, 0, (long)&now, 0, 0) == -EINVAL);
  tl_say("prlimit64: ok\n");
}

/* A child that blocks reading a pipe until it gets EOF, then exits 5. */
static pid_t blocked_child(int* write_end) {
  int fds[2];
  CHECK(pipe(fds) == 0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[1]);
    char c;
    while (read(fds[0], &c, 1) > 0) {
    }
    _exit(5);
  }
  close(fds[0]);
  *write_end = fds[1];
  return pid;
}

static int killed_by(int status, int sig) { return WIFSIGNALED(status) && WTERMSIG(status) == sig; }

static void default_actions(void) {
  int w, status;
  pid_t pid = blocked_child(&w);
  CHECK(kill(pid, 0) == 0); /* it exists */
  CHECK(kill(pid, SIGTERM) == 0);
  CHECK(waitpid(pid, &status, 0) == pid && killed_by(status, SIGTERM));
  close(w);
  CHECK_ERRNO(kill(pid, SIGTERM), ESRCH); /* reaped: gone */
  tl_say("SIGTERM kills\n");

  pid = blocked_child(&w);
  CHECK(kill(pid, SIGCHLD) == 0);
  CHECK(kill(pid, SIGCHLD) == 0);
  CHECK(waitpid(pid, &status, WNOHANG) == 0); /* still alive */
  close(w);                                    /* EOF: it exits by itself */
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 5);
  tl_say("SIGCHLD is ignored\n");

  pid = fork();
  if (pid == 0) {
    kill(getpid(), SIGTERM);
    _exit(0);
  }
  CHECK(waitpid(pid, &status, 0) == pid && killed_by(status, SIGTERM));
  CHECK_ERRNO(kill(getpid(), 65), EINVAL);
  CHECK_ERRNO(kill(getpid(), -1), EINVAL);
  tl_say("kill yourself, bad signal numbers: ok\n");
}

static void sigkill(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_IGN;
  CHECK_ERRNO(sigaction(SIGKILL, &sa, NULL), EINVAL);
  CHECK_ERRNO(sigaction(SIGSTOP, &sa, NULL), EINVAL);
  CHECK(sigaction(SIGKILL, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL); /* reading it is fine */

  int ready[2], hold[2];
  CHECK(pipe(ready) == 0 && pipe(hold) == 0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGKILL, SIG_IGN); /* fails */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL); /* SIGKILL is silently left out */
    close(ready[0]);
    close(hold[1]);
    write(ready[1], "r", 1);
    read(hold[0], &all, 1); /* blocks: the parent keeps the write end */
    _exit(0);
  }
  close(ready[1]);
  close(hold[0]);
  char c;
  CHECK(read(ready[0], &c, 1) == 1);
  close(ready[0]);
  CHECK(kill(pid, SIGKILL) == 0);
  int status;
  CHECK(waitpid(pid, &status, 0) == pid && killed_by(status, SIGKILL));
  close(hold[1]);
  tl_say("SIGKILL cannot be caught, ignored or blocked\n");
}

static void process_groups(void) {
  pid_t pid = fork();
  if (pid == 0) {
    int leader = setpgid(0, 0) == 0 && getpgid(0) == getpid();
    int setsid_refused = setsid() == -1 && errno == EPERM;
    _exit(leader && setsid_refused ? 0 : 1);
  }
  int status;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_ERRNO(setpgid(0, -1), EINVAL);
  CHECK_ERRNO(setpgid(getppid(), 0), ESRCH);
  tl_say("setpgid/setsid of a group leader: ok\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  limits();
  default_actions();
  sigkill();
  process_groups();
  return tl_done();
}
