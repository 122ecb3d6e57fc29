/* sig_alarm_pipe: the signals the kernel sends by itself when a program asks for them or breaks a pipe.
 *   - alarm(1): SIGALRM about a second later (si_code SI_KERNEL); alarm returns the seconds left of the
 *     previous alarm; alarm(0) cancels; the default action of SIGALRM kills
 *   - setitimer(ITIMER_REAL) with an interval: SIGALRM every interval; getitimer shows the time left and the
 *     interval; setting it to zero stops it; an invalid time is EINVAL
 *   - an alarm is not inherited by fork, and survives exec
 *   - writing to a pipe nobody reads: SIGPIPE (si_code SI_USER, as Linux sends it) and EPIPE if the signal
 *     is handled or ignored; by default SIGPIPE kills the writer
 * Compared with qemu-user (faithful for these).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static volatile int alarms, last_code;
static void on_alarm(int sig, siginfo_t* si, void* uc) {
  alarms++;
  last_code = si->si_code;
}

static void alarm_calls(void) {
  CHECK(tl_handle_signal(SIGALRM, on_alarm, SA_SIGINFO) == 0);
  alarms = 0;
  double t0 = tl_now();
  CHECK(alarm(1) == 0);
  while (alarms == 0 && tl_now() - t0 < 5) pause();
  double took = tl_now() - t0;
  CHECK(alarms == 1 && last_code == SI_KERNEL);
  CHECK(took > 0.9 && took < 2.0);
  tl_say("alarm(1): SIGALRM after a second, SI_KERNEL\n");

  CHECK(alarm(5) == 0);
  unsigned left = alarm(3);
  CHECK(left == 5 || left == 4);
  CHECK(alarm(0) == 3 || alarm(0) == 2);
  tl_say("alarm returns the seconds left; alarm(0) cancels\n");
}

static void interval_timer(void) {
  CHECK(tl_handle_signal(SIGALRM, on_alarm, SA_SIGINFO) == 0);
  alarms = 0;
  struct itimerval it = {.it_interval = {0, 100000}, .it_value = {0, 100000}}, now;
  double t0 = tl_now();
  CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
  while (alarms < 5 && tl_now() - t0 < 5) pause();
  double took = tl_now() - t0;
  CHECK(alarms >= 5);
  CHECK(took > 0.45 && took < 2.0);
  CHECK(getitimer(ITIMER_REAL, &now) == 0);
  CHECK(now.it_interval.tv_sec == 0 && now.it_interval.tv_usec == 100000);
  CHECK(now.it_value.tv_sec == 0 && now.it_value.tv_usec <= 100000);
  struct itimerval off = {{0, 0}, {0, 0}}, old;
  CHECK(setitimer(ITIMER_REAL, &off, &old) == 0);
  CHECK(old.it_interval.tv_usec == 100000);
  int count = alarms;
  struct timespec pause_time = {0, 300 * 1000000L};
  nanosleep(&pause_time, NULL);
  CHECK(alarms == count);
  CHECK(getitimer(ITIMER_REAL, &now) == 0 && now.it_value.tv_sec == 0 && now.it_value.tv_usec == 0);
  tl_say("setitimer: SIGALRM every 100 ms; getitimer shows it; zero stops it\n");

  struct itimerval bad = {{0, 0}, {0, 1000000}};
  CHECK_ERRNO(setitimer(ITIMER_REAL, &bad, NULL), EINVAL);
  CHECK_ERRNO(setitimer(7, &it, NULL), EINVAL);
  tl_say("setitimer: EINVAL for an invalid time or timer\n");
}

static void inheritance(void) {
  signal(SIGALRM, SIG_DFL);
  CHECK(alarm(30) == 0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) _exit(alarm(0) == 0 ? 0 : 1);
  int status;
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  alarm(0);
  tl_say("fork: the child has no alarm\n");

  pid = fork();
  if (pid == 0) {
    alarm(1);
    char* argv2[] = {(char*)tl_self(), (char*)"wait-for-alarm", NULL};
    tl_execv(tl_self(), argv2);
    _exit(127);
  }
  CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM);
  tl_say("exec: the alarm survives and its default action kills\n");
}

static volatile int pipes;
static volatile int pipe_code, pipe_pid;
static void on_pipe(int sig, siginfo_t* si, void* uc) {
  pipes++;
  pipe_code = si->si_code;
  pipe_pid = si->si_pid;
}

static void broken_pipe(void) {
  int fds[2];
  CHECK(pipe(fds) == 0);
  close(fds[0]);
  CHECK(tl_handle_signal(SIGPIPE, on_pipe, SA_SIGINFO) == 0);
  pipes = 0;
  CHECK_ERRNO(write(fds[1], "x", 1), EPIPE);
  CHECK(pipes == 1 && pipe_code == SI_USER && pipe_pid == getpid());
  signal(SIGPIPE, SIG_IGN);
  CHECK_ERRNO(write(fds[1], "x", 1), EPIPE);
  tl_say("write to a pipe with no reader: SIGPIPE (SI_USER, our pid) and EPIPE; ignored: EPIPE\n");
  signal(SIGPIPE, SIG_DFL);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    if (write(fds[1], "x", 1) < 0) _exit(3);
    _exit(4);
  }
  int status;
  CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE);
  tl_say("by default SIGPIPE kills the writer\n");
  close(fds[1]);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc > 1 && strcmp(argv[1], "wait-for-alarm") == 0) {
    for (int i = 0; i < 50; i++) {
      struct timespec t = {0, 100 * 1000000L};
      nanosleep(&t, NULL);
    }
    return 5;
  }
  alarm_calls();
  interval_timer();
  inheritance();
  broken_pipe();
  return tl_done();
}
