/* sig_chld_stop: SIGCHLD, stopped and continued children, and wait4's WUNTRACED and WCONTINUED.
 *   - a child's exit sends SIGCHLD with CLD_EXITED, si_pid, si_status = the exit code; a child killed by a
 *     signal: CLD_KILLED, si_status = the signal
 *   - SIGSTOP stops a child: wait4(WUNTRACED) reports WIFSTOPPED with WSTOPSIG = SIGSTOP (once), SIGCHLD comes
 *     with CLD_STOPPED; a stopped child does not run (its pipe stays silent)
 *   - SIGCONT continues it: wait4(WCONTINUED) reports WIFCONTINUED (once), SIGCHLD with CLD_CONTINUED
 *   - SA_NOCLDSTOP: no SIGCHLD for stops and continues, still for the exit
 *   - SIGTSTP, SIGTTIN and SIGTTOU stop by default; with a handler, SIGTSTP runs it instead; in an orphaned
 *     process group (a new session) they are discarded, while SIGSTOP still stops
 *   - a stopped child dies of SIGKILL; SIGTERM to a stopped child waits until it is continued
 *   - SIGCONT discards a pending stop signal, and a stop signal a pending SIGCONT; a SIGCONT handler runs when
 *     the child is continued
 *   - SIGCHLD ignored (SIG_IGN) or SA_NOCLDWAIT: children are reaped at exit; wait4 then fails with ECHILD
 *     (after waiting for the last child)
 * Compared with qemu-user, faithful but for SA_NOCLDSTOP and SA_NOCLDWAIT (checked on Linux 6.1 with
 * ../shared/reference-linux).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static volatile int chld_count, chld_code, chld_status, chld_pid;

static void chld_handler(int sig, siginfo_t* si, void* uc) {
  chld_count++;
  chld_code = si->si_code;
  chld_status = si->si_status;
  chld_pid = si->si_pid;
}

static void install_chld(int flags) {
  CHECK(tl_handle_signal(SIGCHLD, chld_handler, SA_SIGINFO | SA_RESTART | flags) == 0);
}

/* Wait until a SIGCHLD has been counted (the handler ran), up to 5 s. */
static int await_chld(int count) {
  for (int i = 0; i < 500 && chld_count < count; i++) tl_sleep_ms(10);
  return chld_count >= count;
}

/* A child that writes a byte to fd every 20 ms, forever. It leads a process group of its own, which is not
 * orphaned (its parent, this program, is in another group of the same session): SIGTSTP, SIGTTIN and SIGTTOU
 * stop it. (In an orphaned group they would be discarded: see orphaned() below.) */
static pid_t ticker(int fd) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    signal(SIGCHLD, SIG_DFL);
    for (;;) {
      if (write(fd, "t", 1) != 1) _exit(1);
      tl_sleep_ms(20);
    }
  }
  setpgid(pid, pid); /* as shells do: both sides, so the group exists whichever runs first */
  return pid;
}

static int drain(int fd) {
  char buf[256];
  int n = 0;
  ssize_t r;
  while ((r = read(fd, buf, sizeof buf)) > 0) n += r;
  return n;
}

static void exits(void) {
  install_chld(0);
  chld_count = 0;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) _exit(42);
  CHECK(await_chld(1));
  CHECK(chld_code == CLD_EXITED && chld_status == 42 && chld_pid == pid);
  int status;
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 42);
  tl_say("exit: SIGCHLD CLD_EXITED with the code and pid\n");

  pid = fork();
  if (pid == 0) {
    for (;;) pause();
  }
  kill(pid, SIGTERM);
  CHECK(await_chld(2));
  CHECK(chld_code == CLD_KILLED && chld_status == SIGTERM && chld_pid == pid);
  CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  tl_say("killed: SIGCHLD CLD_KILLED with the signal\n");
}

static void stop_and_continue(void) {
  int fds[2];
  CHECK(pipe2(fds, O_NONBLOCK) == 0);
  install_chld(0);
  chld_count = 0;
  pid_t pid = ticker(fds[1]);
  tl_sleep_ms(100);
  CHECK(kill(pid, SIGSTOP) == 0);
  int status;
  CHECK(waitpid(pid, &status, WUNTRACED) == pid);
  CHECK(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
  CHECK(await_chld(1) && chld_code == CLD_STOPPED && chld_status == SIGSTOP);
  CHECK(waitpid(pid, &status, WUNTRACED | WNOHANG) == 0); /* reported once */
  drain(fds[0]);
  tl_sleep_ms(150);
  CHECK(drain(fds[0]) == 0);
  tl_say("SIGSTOP: WIFSTOPPED once, SIGCHLD CLD_STOPPED, the child does not run\n");

  CHECK(kill(pid, SIGCONT) == 0);
  CHECK(waitpid(pid, &status, WCONTINUED) == pid && WIFCONTINUED(status));
  CHECK(await_chld(2) && chld_code == CLD_CONTINUED && chld_status == SIGCONT);
  CHECK(waitpid(pid, &status, WCONTINUED | WNOHANG) == 0);
  tl_sleep_ms(150);
  CHECK(drain(fds[0]) > 0);
  tl_say("SIGCONT: WIFCONTINUED once, SIGCHLD CLD_CONTINUED, the child runs again\n");

  CHECK(kill(pid, SIGTSTP) == 0);
  CHECK(waitpid(pid, &status, WUNTRACED) == pid && WIFSTOPPED(status) && WSTOPSIG(status) == SIGTSTP);
  CHECK(kill(pid, SIGTERM) == 0); /* waits while stopped... */
  tl_sleep_ms(100);
  CHECK(waitpid(pid, &status, WNOHANG) == 0);
  CHECK(kill(pid, SIGCONT) == 0); /* ...and kills it once continued */
  CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  tl_say("SIGTSTP stops; SIGTERM to a stopped child acts when it is continued\n");

  int stoppers[] = {SIGTTIN, SIGTTOU};
  for (int i = 0; i < 2; i++) {
    pid = ticker(fds[1]);
    CHECK(kill(pid, stoppers[i]) == 0);
    CHECK(waitpid(pid, &status, WUNTRACED) == pid && WIFSTOPPED(status) && WSTOPSIG(status) == stoppers[i]);
    CHECK(kill(pid, SIGKILL) == 0);
    CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  }
  tl_say("SIGTTIN and SIGTTOU stop; SIGKILL kills a stopped child\n");
  drain(fds[0]);
  close(fds[0]);
  close(fds[1]);
}

/* A process in a new session leads a group whose members have no parent in the session: an orphaned group.
 * The terminal's stop signals are discarded there (nobody could continue it); SIGSTOP still stops. */
static void orphaned(void) {
  signal(SIGCHLD, SIG_DFL);
  int fds[2];
  CHECK(pipe2(fds, O_NONBLOCK) == 0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    setsid();
    for (;;) {
      if (write(fds[1], "t", 1) != 1) _exit(1);
      tl_sleep_ms(20);
    }
  }
  tl_sleep_ms(100);
  int status;
  CHECK(kill(pid, SIGTSTP) == 0);
  tl_sleep_ms(100);
  CHECK(waitpid(pid, &status, WUNTRACED | WNOHANG) == 0);
  drain(fds[0]);
  tl_sleep_ms(100);
  CHECK(drain(fds[0]) > 0);
  CHECK(kill(pid, SIGSTOP) == 0);
  CHECK(waitpid(pid, &status, WUNTRACED) == pid && WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
  CHECK(kill(pid, SIGKILL) == 0);
  CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status));
  tl_say("orphaned process group: SIGTSTP discarded, SIGSTOP stops\n");
  close(fds[0]);
  close(fds[1]);
}

static void nocldstop(void) {
  install_chld(SA_NOCLDSTOP);
  chld_count = 0;
  int fds[2];
  CHECK(pipe2(fds, O_NONBLOCK) == 0);
  pid_t pid = ticker(fds[1]);
  int status;
  CHECK(kill(pid, SIGSTOP) == 0);
  CHECK(waitpid(pid, &status, WUNTRACED) == pid && WIFSTOPPED(status));
  CHECK(kill(pid, SIGCONT) == 0);
  CHECK(waitpid(pid, &status, WCONTINUED) == pid && WIFCONTINUED(status));
  tl_sleep_ms(100);
  int skip = KNOWN_QEMU_USER_DIFFERENCE("SA_NOCLDSTOP is not passed on: SIGCHLD comes for stops too");
  CHECK(chld_count == 0 || skip);
  int before = chld_count;
  CHECK(kill(pid, SIGKILL) == 0);
  CHECK(await_chld(before + 1) && chld_code == CLD_KILLED);
  CHECK(waitpid(pid, &status, 0) == pid);
  tl_say("SA_NOCLDSTOP: no SIGCHLD for stop and continue, one for the death\n");
  close(fds[0]);
  close(fds[1]);
}

static volatile int tstp_handled, cont_handled;
static void tstp_handler(int sig) { tstp_handled++; }
static void cont_handler(int sig) { cont_handled++; }

static void handlers_and_discards(void) {
  signal(SIGCHLD, SIG_DFL);
  int fds[2];
  CHECK(pipe(fds) == 0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    signal(SIGTSTP, tstp_handler);
    signal(SIGCONT, cont_handler);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTSTP);
    sigaddset(&block, SIGCONT);
    sigprocmask(SIG_BLOCK, &block, NULL);
    char c = 'r';
    if (write(fds[1], &c, 1) != 1) _exit(1);
    /* The parent sends SIGTSTP; then SIGCONT discards it while both are blocked. */
    tl_sleep_ms(200);
    sigset_t pend;
    sigpending(&pend);
    int result = sigismember(&pend, SIGTSTP) ? 10 : 0;
    result += sigismember(&pend, SIGCONT) ? 0 : 20;
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    result += tstp_handled == 0 && cont_handled == 1 ? 0 : 40;
    _exit(result);
  }
  setpgid(pid, pid);
  char c;
  CHECK(read(fds[0], &c, 1) == 1);
  CHECK(kill(pid, SIGTSTP) == 0);
  CHECK(kill(pid, SIGCONT) == 0);
  int status;
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  if (WIFEXITED(status) && WEXITSTATUS(status)) fprintf(stderr, "discard: %d\n", WEXITSTATUS(status));
  tl_say("SIGCONT discards a pending SIGTSTP; its handler runs\n");

  pid = fork();
  if (pid == 0) {
    signal(SIGTSTP, tstp_handler);
    char c2 = 'r';
    if (write(fds[1], &c2, 1) != 1) _exit(1);
    while (!tstp_handled) pause();
    _exit(9);
  }
  setpgid(pid, pid);
  CHECK(read(fds[0], &c, 1) == 1);
  CHECK(kill(pid, SIGTSTP) == 0);
  CHECK(waitpid(pid, &status, WUNTRACED) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 9);
  tl_say("SIGTSTP with a handler: the handler runs, no stop\n");
  close(fds[0]);
  close(fds[1]);
}

static void autoreap(int how) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = how ? SIG_DFL : SIG_IGN;
  sa.sa_flags = how ? SA_NOCLDWAIT : 0;
  CHECK(sigaction(SIGCHLD, &sa, NULL) == 0);
  fflush(stdout);
  pid_t a = fork();
  if (a == 0) _exit(1);
  pid_t b = fork();
  if (b == 0) {
    tl_sleep_ms(100);
    _exit(2);
  }
  int status;
  if (how && KNOWN_QEMU_USER_DIFFERENCE("SA_NOCLDWAIT is not passed on: children become zombies")) {
    while (waitpid(-1, &status, 0) > 0) {
    }
  } else {
    CHECK_ERRNO(waitpid(-1, &status, 0), ECHILD); /* returns when the last child is gone */
    CHECK_ERRNO(kill(a, 0), ESRCH);
    CHECK_ERRNO(kill(b, 0), ESRCH);
  }
  tl_say("%s: children reaped at exit, wait4 gives ECHILD\n", how ? "SA_NOCLDWAIT" : "SIGCHLD ignored");
  signal(SIGCHLD, SIG_DFL);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  exits();
  stop_and_continue();
  orphaned();
  nocldstop();
  handlers_and_discards();
  autoreap(0);
  autoreap(1);
  return tl_done();
}
