/* sig_pgrp_session: process groups and sessions (setpgid, getpgid, setsid, getsid) and signals sent to a
 * whole group (kill with 0 or -pgid).
 *   - a child starts in its parent's group and session
 *   - setpgid(0, 0) makes a new group; the parent can move its child with setpgid(child, pgid) into another
 *     group of the same session, or into a new one (pgid = child's pid); racing both ways is harmless
 *   - errors as Linux: EINVAL for a negative pgid, ESRCH for a process that is neither us nor our child,
 *     EPERM for a pgid with no group in our session and for a session leader, EACCES once the child has
 *     exec'd, EPERM for a child in another session
 *   - setsid: EPERM for a group leader; a child gets a new session and group whose ids are its pid (getsid,
 *     getpgid show them, to itself and to its parent)
 *   - getpgid/getsid of a process that does not exist: ESRCH
 *   - kill(0, sig) signals every process of the caller's group; kill(-pgid, sig) every process of that
 *     group and nobody else; ESRCH when no process has that group
 *   - a process group that its last outside parent's exit orphans, with a stopped member, gets SIGHUP and
 *     SIGCONT (POSIX: nobody is left to continue it)
 * Compared with qemu-user (it passes these calls to the host kernel: faithful).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

/* A child that waits for a byte on fd (or dies of a signal), then exits 0. */
static pid_t waiter(int fd, int own_group) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    if (own_group) setpgid(0, 0);
    char c;
    while (read(fd, &c, 1) < 0 && errno == EINTR) {
    }
    _exit(0);
  }
  return pid;
}

static int status_of(pid_t pid) {
  int status = -1;
  CHECK(waitpid(pid, &status, 0) == pid);
  return status;
}

static void groups(void) {
  int fds[2];
  CHECK(pipe(fds) == 0);
  pid_t me = getpid(), my_group = getpgid(0), my_session = getsid(0);
  CHECK(getpgrp() == my_group);

  pid_t a = waiter(fds[0], 0);
  CHECK(getpgid(a) == my_group && getsid(a) == my_session);
  tl_say("a child starts in its parent's group and session\n");

  CHECK(setpgid(a, a) == 0);
  CHECK(setpgid(a, a) == 0); /* again: harmless */
  CHECK(getpgid(a) == a);
  pid_t b = waiter(fds[0], 0);
  CHECK(setpgid(b, a) == 0);
  CHECK(getpgid(b) == a);
  tl_say("setpgid: the parent puts a child in a new group, and a second child into that group\n");

  CHECK_ERRNO(setpgid(a, -1), EINVAL);
  CHECK_ERRNO(setpgid(1, 1), ESRCH);
  CHECK_ERRNO(setpgid(b, 999999), EPERM);
  CHECK_ERRNO(getpgid(999999), ESRCH);
  CHECK_ERRNO(getsid(999999), ESRCH);
  tl_say("setpgid: EINVAL, ESRCH, EPERM; getpgid/getsid: ESRCH\n");

  /* kill(-pgid): a and b die, c (another group) does not. */
  pid_t c = waiter(fds[0], 1);
  setpgid(c, c);
  CHECK(kill(-a, SIGTERM) == 0);
  int sa = status_of(a), sb = status_of(b);
  CHECK(WIFSIGNALED(sa) && WTERMSIG(sa) == SIGTERM && WIFSIGNALED(sb) && WTERMSIG(sb) == SIGTERM);
  CHECK(waitpid(c, NULL, WNOHANG) == 0);
  CHECK_ERRNO(kill(-a, SIGTERM), ESRCH);
  tl_say("kill(-pgid): every process of the group, nobody else; ESRCH once the group is gone\n");

  /* kill(0) from inside c's group: c and its own child die, we do not. */
  fflush(stdout);
  pid_t d = fork();
  if (d == 0) {
    setpgid(0, c);
    pid_t e = fork();
    if (e == 0) {
      for (;;) pause();
    }
    tl_sleep_ms(50);
    kill(0, SIGUSR1);
    _exit(3);
  }
  setpgid(d, c);
  int sc = status_of(c), sd = status_of(d);
  CHECK(WIFSIGNALED(sc) && WTERMSIG(sc) == SIGUSR1);
  CHECK(WIFSIGNALED(sd) && WTERMSIG(sd) == SIGUSR1);
  CHECK(getpid() == me);
  tl_say("kill(0): the caller's whole group (the caller too), not its parent\n");
  close(fds[0]);
  close(fds[1]);
}

static void sessions(void) {
  int fds[2], back[2];
  CHECK(pipe(fds) == 0 && pipe(back) == 0);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    int bad = 0;
    if (setpgid(0, 0) != 0) bad |= 1;
    if (setsid() != -1 || errno != EPERM) bad |= 2; /* a group leader */
    pid_t g = fork();
    if (g == 0) {
      pid_t sid = setsid();
      int r = sid == getpid() && getsid(0) == getpid() && getpgid(0) == getpid() ? 0 : 1;
      if (setpgid(0, 0) != -1 || errno != EPERM) r |= 2; /* a session leader cannot move */
      if (write(back[1], &r, sizeof r) != sizeof r) _exit(9);
      char c;
      while (read(fds[0], &c, 1) < 0 && errno == EINTR) {
      }
      _exit(0);
    }
    int r;
    if (read(back[0], &r, sizeof r) != sizeof r) bad |= 4;
    bad |= r << 4;
    if (getsid(g) != g || getpgid(g) != g) bad |= 64;
    if (setpgid(g, getpgid(0)) != -1 || errno != EPERM) bad |= 128; /* another session */
    kill(g, SIGKILL);
    waitpid(g, NULL, 0);
    _exit(bad);
  }
  int st = status_of(child);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  if (WIFEXITED(st) && WEXITSTATUS(st)) fprintf(stderr, "sessions: %#x\n", WEXITSTATUS(st));
  tl_say("setsid: EPERM for a group leader; a new session and group named by the pid; its leader cannot move\n");

  child = fork();
  if (child == 0) {
    char* argv2[] = {(char*)tl_self(), (char*)"wait", NULL};
    tl_execv(tl_self(), argv2);
    _exit(127);
  }
  tl_sleep_ms(300);
  CHECK_ERRNO(setpgid(child, child), EACCES);
  kill(child, SIGKILL);
  status_of(child);
  tl_say("setpgid on a child that has exec'd: EACCES\n");
  close(fds[0]);
  close(fds[1]);
}

static int hup_fd;
static void on_hup(int sig) {
  if (write(hup_fd, "h", 1) != 1) _exit(3);
}

/* We fork A; A forks G into a group of its own (A's group is ours: G's group is not orphaned while A lives),
 * and G stops itself. A exits: G's group loses its last parent outside it in the session (its new parent is
 * init, which does not count) and has a stopped member, so it gets SIGHUP and SIGCONT. */
static void orphaned_stopped(void) {
  int fds[2];
  CHECK(pipe(fds) == 0);
  fflush(stdout);
  pid_t a = fork();
  if (a == 0) {
    pid_t g = fork();
    if (g == 0) {
      setpgid(0, 0);
      hup_fd = fds[1];
      signal(SIGHUP, on_hup);
      raise(SIGSTOP); /* continued by the SIGCONT; the SIGHUP's handler runs before raise returns */
      _exit(0);
    }
    setpgid(g, g);
    int status;
    waitpid(g, &status, WUNTRACED); /* G is stopped */
    _exit(WIFSTOPPED(status) ? 0 : 1);
  }
  close(fds[1]);
  int status;
  CHECK(waitpid(a, &status, 0) == a && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  char c = 0;
  CHECK(read(fds[0], &c, 1) == 1 && c == 'h');
  close(fds[0]);
  tl_say("an orphaned process group with a stopped member: SIGHUP and SIGCONT\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc > 1 && strcmp(argv[1], "wait") == 0) {
    for (;;) pause();
  }
  groups();
  sessions();
  orphaned_stopped();
  return tl_done();
}
