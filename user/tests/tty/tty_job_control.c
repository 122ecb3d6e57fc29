/* tty_job_control: the console as a controlling terminal, and the signals it sends to process groups.
 *   - a session leader takes the console as its controlling terminal (TIOCSCTTY); TIOCGSID names the session,
 *     TIOCGPGRP the foreground group (the leader's at first)
 *   - TIOCSPGRP makes another group of the session the foreground one; ESRCH for a group that does not
 *     exist; from a background group it sends SIGTTOU (which stops), unless SIGTTOU is ignored
 *   - typed ^C, ^\ and ^Z (injected with TIOCSTI) send SIGINT, SIGQUIT and SIGTSTP to the foreground group;
 *     a new window size (TIOCSWINSZ) sends it SIGWINCH;
 *     ^Z stops a job that has no handler, which its shell sees with WUNTRACED
 *   - a background group reading the terminal gets SIGTTIN (and stops); with SIGTTIN ignored, read fails EIO
 *   - a read from the terminal that a signal interrupts: EINTR after a handler without SA_RESTART; with
 *     SA_RESTART the read goes on and returns the line typed afterwards
 *   - when the session leader exits, the foreground group gets SIGHUP
 * It makes a session of its own, which takes the terminal from the session it was started in (TIOCSCTTY with
 * argument 1, as root may): afterwards the shell that started it has no job control, as on Linux. The
 * terminal is standard input, or the device named by the first argument. It needs a real terminal, which
 * neither qemu-user's standard input nor the console of tools/run running a program is (there the console
 * carries the program's output channels): tests/qemu/shell_session.py runs it from the shell on the
 * interactive console. Checked on Linux 6.1 as `tty_job_control /dev/ttyS0` (../shared/reference-linux: its
 * standard input is /dev/console, on which Linux never sends SIGTTIN).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static int report_fd;
static volatile int ints, quits, hups, winches;
static void on_winch(int sig) { winches++; }
static void on_int(int sig) { ints++; }
static void on_quit(int sig) { quits++; }
static void on_hup(int sig) { hups++; }

static void type(const char* s) {
  for (; *s; s++) CHECK(ioctl(0, TIOCSTI, s) == 0);
}

/* Report one line to the test's main process, which prints it (only it writes stdout). */
static void report(const char* fmt, int value) {
  char line[200];
  int n = snprintf(line, sizeof line, fmt, value);
  if (write(report_fd, line, n) != n) _exit(100);
}

/* Start a job in a new process group; returns its pid. */
static pid_t job(void (*fn)(void)) {
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    signal(SIGTTOU, SIG_DFL);
    signal(SIGTTIN, SIG_DFL);
    fn();
    _exit(0);
  }
  setpgid(pid, pid);
  return pid;
}

static void interrupt_me(void) {
  signal(SIGINT, on_int);
  signal(SIGQUIT, on_quit);
  signal(SIGWINCH, on_winch);
  while (tcgetpgrp(0) != getpgrp()) tl_sleep_ms(10); /* the leader makes us the foreground */
  type("\003");
  type("\034");
  struct winsize ws, bigger;
  ioctl(0, TIOCGWINSZ, &ws);
  bigger = ws;
  bigger.ws_row++;
  ioctl(0, TIOCSWINSZ, &bigger);
  ioctl(0, TIOCSWINSZ, &ws);
  _exit(ints == 1 && quits == 1 && winches == 2 ? 0 : 1);
}

static void stop_me(void) {
  while (tcgetpgrp(0) != getpgrp()) tl_sleep_ms(10);
  type("\032"); /* ^Z: SIGTSTP, no handler: we stop here */
  _exit(7);    /* after SIGCONT */
}

static void read_in_background(void) {
  char c;
  if (read(0, &c, 1) < 0) _exit(errno == EIO ? 2 : 3);
  _exit(4);
}

static void read_in_background_ignoring(void) {
  signal(SIGTTIN, SIG_IGN);
  read_in_background();
}

static void grab_terminal(void) {
  if (tcsetpgrp(0, getpgrp()) != 0) _exit(2);
  _exit(0);
}

static volatile int alarms;
static void on_alarm(int sig) {
  alarms++;
  if (alarms == 2) type("late line\n"); /* the restarted read gets this */
}

/* A foreground job reads the terminal while SIGALRM comes. */
static void interrupted_reads(void) {
  while (tcgetpgrp(0) != getpgrp()) tl_sleep_ms(10);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  char buf[64];
  alarm(1);
  errno = 0;
  ssize_t n = read(0, buf, sizeof buf);
  int first = n < 0 && errno == EINTR;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  alarm(1);
  n = read(0, buf, sizeof buf);
  int second = n == 10 && memcmp(buf, "late line\n", 10) == 0 && alarms == 2;
  _exit(first && second ? 0 : 1 + first);
}

static void wait_for_hup(void) {
  signal(SIGHUP, on_hup);
  while (!hups) pause();
  report("foreground job after the session leader exited: SIGHUP %d\n", hups);
  _exit(0);
}

static int wait_status(pid_t pid, int options) {
  int status = -1;
  while (waitpid(pid, &status, options) < 0 && errno == EINTR) {
  }
  return status;
}

static const char* terminal; /* NULL: standard input */

static void leader(void) {
  if (setsid() < 0) report("setsid failed\n", 0);
  if (terminal) {
    int t = open(terminal, O_RDWR);
    if (t < 0) report("cannot open the terminal: %d\n", errno);
    dup2(t, 0);
    close(t);
  }
  int r = ioctl(0, TIOCSCTTY, 1);
  report("TIOCSCTTY: %d\n", r);
  pid_t sid = -1;
  ioctl(0, TIOCGSID, &sid);
  report("TIOCGSID is our session: %d\n", sid == getpid());
  report("TIOCGPGRP is our group: %d\n", tcgetpgrp(0) == getpgrp());
  signal(SIGTTOU, SIG_IGN); /* as shells do: take the terminal back from the background */

  pid_t a = job(interrupt_me);
  report("TIOCSPGRP to a job: %d\n", tcsetpgrp(0, a));
  report("TIOCGPGRP is the job: %d\n", tcgetpgrp(0) == a);
  int st = wait_status(a, 0);
  report("^C, ^\\ and window size changes reached the foreground job's handlers: %d\n",
         WIFEXITED(st) && WEXITSTATUS(st) == 0);
  report("TIOCSPGRP back: %d\n", tcsetpgrp(0, getpgrp()));
  errno = 0;
  report("TIOCSPGRP to a group that does not exist: ESRCH %d\n", tcsetpgrp(0, 999999) < 0 && errno == ESRCH);

  pid_t d = job(stop_me);
  tcsetpgrp(0, d);
  st = wait_status(d, WUNTRACED);
  report("^Z stopped the foreground job: %d\n", WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP);
  tcsetpgrp(0, getpgrp());
  kill(d, SIGCONT);
  st = wait_status(d, 0);
  report("continued, it finished: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 7);

  pid_t b = job(read_in_background);
  st = wait_status(b, WUNTRACED);
  report("background read: stopped by SIGTTIN %d\n", WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTIN);
  kill(b, SIGKILL);
  wait_status(b, 0);
  b = job(read_in_background_ignoring);
  st = wait_status(b, 0);
  report("background read with SIGTTIN ignored: EIO %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 2);

  pid_t c = job(grab_terminal);
  st = wait_status(c, WUNTRACED);
  report("TIOCSPGRP from the background: stopped by SIGTTOU %d\n", WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTOU);
  kill(c, SIGKILL);
  wait_status(c, 0);

  pid_t reader = job(interrupted_reads);
  tcsetpgrp(0, reader);
  st = wait_status(reader, 0);
  tcsetpgrp(0, getpgrp());
  report("terminal read: EINTR without SA_RESTART, restarted with it %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);

  pid_t e = job(wait_for_hup);
  tcsetpgrp(0, e);
  tl_sleep_ms(100);
  _exit(0); /* the session leader exits: e, in the foreground, gets SIGHUP */
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc > 1) {
    terminal = argv[1];
    int t = open(terminal, O_RDWR);
    CHECK(t >= 0);
    dup2(t, 0);
    close(t);
  }
  CHECK(isatty(0));
  struct termios saved, quiet;
  CHECK(tcgetattr(0, &saved) == 0);
  quiet = saved;
  quiet.c_lflag &= ~(ECHO | ECHOCTL); /* the injected control characters are not echoed to stdout */
  CHECK(tcsetattr(0, TCSANOW, &quiet) == 0);

  int fds[2];
  CHECK(pipe(fds) == 0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    report_fd = fds[1];
    leader();
  }
  close(fds[1]);
  char buf[4096];
  size_t len = 0;
  ssize_t n;
  while ((n = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0) len += n;
  buf[len] = '\0';
  wait_status(pid, 0);
  tl_say("%s", buf);
  const char* want[] = {"TIOCSCTTY: 0", "TIOCGSID is our session: 1", "TIOCGPGRP is our group: 1",
                        "TIOCSPGRP to a job: 0", "TIOCGPGRP is the job: 1",
                        "^C, ^\\ and window size changes reached the foreground job's handlers: 1",
                        "TIOCSPGRP back: 0",
                        "ESRCH 1", "^Z stopped the foreground job: 1", "continued, it finished: 1",
                        "stopped by SIGTTIN 1", "SIGTTIN ignored: EIO 1", "stopped by SIGTTOU 1",
                        "restarted with it 1",
                        "exited: SIGHUP 1"};
  for (unsigned i = 0; i < sizeof want / sizeof want[0]; i++) {
    if (!strstr(buf, want[i])) {
      fprintf(stderr, "missing: %s\n", want[i]);
      CHECK(0);
    }
  }
  tcsetattr(0, TCSANOW, &saved);
  return tl_done();
}
