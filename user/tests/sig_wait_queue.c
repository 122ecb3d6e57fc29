/* sig_wait_queue: taking signals synchronously (rt_sigtimedwait) and sending them with data
 * (rt_sigqueueinfo, rt_tgsigqueueinfo).
 *   - sigtimedwait returns a pending signal of the set at once, with its siginfo, and takes it off the pending
 *     set (its handler does not run); a zero timeout with nothing pending is EAGAIN; a timeout runs out with
 *     EAGAIN after about that long; a signal outside the set that has a handler ends the wait with EINTR;
 *     a signal sent by another process while waiting is returned; an invalid timeout is EINVAL
 *   - sigwaitinfo on a real-time signal queued three times returns them one by one, in order, with values
 *   - rt_sigqueueinfo: si_code SI_QUEUE and the value arrive; a positive si_code (pretending to be the kernel)
 *     or SI_TKILL sent to another process is EPERM; to ourselves it is allowed; rt_tgsigqueueinfo to our
 *     thread works; ESRCH for a process that does not exist
 * Compared with qemu-user (faithful for these).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static volatile int hits;
static void handler(int sig) { hits++; }

static void timedwait(void) {
  signal(SIGUSR1, handler);
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  CHECK(sigprocmask(SIG_BLOCK, &set, &old) == 0);
  raise(SIGUSR1);
  siginfo_t si;
  struct timespec zero = {0, 0};
  hits = 0;
  CHECK(sigtimedwait(&set, &si, &zero) == SIGUSR1);
  /* raise() is tgkill (SI_TKILL), which glibc's sigtimedwait reports as SI_USER; the kernel's own answer is
   * SI_TKILL (the raw call below). */
  CHECK(si.si_signo == SIGUSR1 && si.si_code == SI_USER && si.si_pid == getpid());
  raise(SIGUSR1);
  CHECK(tl_raw_syscall(SYS_rt_sigtimedwait, (long)&set, (long)&si, (long)&zero, 8, 0, 0) == SIGUSR1);
  CHECK(si.si_code == SI_TKILL && si.si_pid == getpid());
  CHECK_RAW_ERR(tl_raw_syscall(SYS_rt_sigtimedwait, (long)&set, (long)&si, (long)&zero, 16, 0, 0), EINVAL);
  CHECK(hits == 0);
  sigset_t pend;
  CHECK(sigpending(&pend) == 0 && !sigismember(&pend, SIGUSR1));
  tl_say("sigtimedwait: a pending signal is returned with its siginfo, its handler does not run\n");

  CHECK_ERRNO(sigtimedwait(&set, &si, &zero), EAGAIN);
  struct timespec fifth = {0, 200 * 1000000L};
  double t0 = tl_now();
  CHECK_ERRNO(sigtimedwait(&set, &si, &fifth), EAGAIN);
  double waited = tl_now() - t0;
  CHECK(waited > 0.15 && waited < 2.0);
  struct timespec bad = {0, 1000000000L};
  CHECK_ERRNO(sigtimedwait(&set, &si, &bad), EINVAL);
  tl_say("sigtimedwait: EAGAIN with a zero timeout, EAGAIN after the timeout, EINVAL for a bad one\n");

  pid_t parent = getpid();
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    tl_sleep_ms(100);
    kill(parent, SIGUSR1);
    _exit(0);
  }
  CHECK(sigwaitinfo(&set, &si) == SIGUSR1 && si.si_pid == pid && si.si_code == SI_USER);
  waitpid(pid, NULL, 0);
  tl_say("sigwaitinfo: a signal another process sends while we wait\n");

  signal(SIGUSR2, handler);
  hits = 0;
  pid = fork();
  if (pid == 0) {
    tl_sleep_ms(100);
    kill(parent, SIGUSR2);
    _exit(0);
  }
  struct timespec two = {2, 0};
  CHECK_ERRNO(sigtimedwait(&set, &si, &two), EINTR);
  CHECK(hits == 1);
  waitpid(pid, NULL, 0);
  tl_say("sigtimedwait: a handled signal outside the set ends the wait with EINTR\n");
  CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
}

static void queued(void) {
  int rt = SIGRTMIN + 3;
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, rt);
  CHECK(sigprocmask(SIG_BLOCK, &set, &old) == 0);
  for (int i = 0; i < 3; i++) {
    union sigval v = {.sival_int = 10 * (i + 1)};
    CHECK(sigqueue(getpid(), rt, v) == 0);
  }
  siginfo_t si;
  for (int i = 0; i < 3; i++) {
    CHECK(sigwaitinfo(&set, &si) == rt);
    CHECK(si.si_code == SI_QUEUE && si.si_value.sival_int == 10 * (i + 1) && si.si_pid == getpid());
  }
  tl_say("a real-time signal queued 3 times: sigwaitinfo returns each, in order, with its value\n");

  siginfo_t info;
  memset(&info, 0, sizeof info);
  info.si_signo = rt;
  info.si_code = SI_QUEUE;
  info.si_value.sival_int = 77;
  CHECK(syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), rt, &info) == 0);
  CHECK(sigwaitinfo(&set, &si) == rt && si.si_value.sival_int == 77);
  info.si_code = 1; /* a kernel code, to ourselves: allowed */
  CHECK(syscall(SYS_rt_sigqueueinfo, getpid(), rt, &info) == 0);
  CHECK(sigwaitinfo(&set, &si) == rt && si.si_code == 1);
  tl_say("rt_tgsigqueueinfo to our thread; rt_sigqueueinfo with any si_code to ourselves\n");

  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    for (;;) pause();
  }
  info.si_code = 1;
  CHECK_ERRNO(syscall(SYS_rt_sigqueueinfo, pid, SIGTERM, &info), EPERM);
  info.si_code = SI_TKILL;
  CHECK_ERRNO(syscall(SYS_rt_sigqueueinfo, pid, SIGTERM, &info), EPERM);
  info.si_code = SI_QUEUE;
  CHECK(syscall(SYS_rt_sigqueueinfo, pid, SIGTERM, &info) == 0);
  int status;
  CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  CHECK_ERRNO(syscall(SYS_rt_sigqueueinfo, pid, SIGTERM, &info), ESRCH);
  tl_say("rt_sigqueueinfo to another process: EPERM for kernel codes and SI_TKILL, SI_QUEUE delivered, ESRCH when gone\n");
  CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  timedwait();
  queued();
  return tl_done();
}
