/* poll_select: poll/ppoll, select/pselect and pause (riscv64 has only ppoll and pselect6; glibc builds the
 * others on them).
 *   - a pipe's ends: nothing ready on an empty read end (timeout 0 returns 0 at once), POLLOUT on the write
 *     end, POLLIN once a byte is in, POLLHUP once the writer is gone, POLLERR on a write end without reader;
 *     POLLNVAL for a closed descriptor, a negative fd ignored; stdout is writable
 *   - timeouts: an empty pipe polled for 50 ms returns 0 after at least 50 ms; ppoll writes back the time left
 *   - a sleeping poll is woken by a thread writing to the pipe, and by a child process closing its end
 *   - ppoll's mask: SIGUSR1 blocked, ppoll with a mask that lets it in is interrupted (EINTR, the handler ran)
 *     and the old mask is back afterwards; a ppoll that returns normally restores the mask too
 *   - pause() returns EINTR after a handled signal sent by another thread
 *   - select: read and write sets on a pipe, EBADF for a closed descriptor, the timeout
 *   - errors: EINVAL for nfds beyond RLIMIT_NOFILE and for a bad timespec, EFAULT for a bad array
 * Compared with qemu-user (Linux semantics).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static int poll_one(int fd, short events, int timeout_ms) {
  struct pollfd p = {fd, events, 0};
  int r = poll(&p, 1, timeout_ms);
  CHECK(r >= 0);
  return r == 0 ? 0 : p.revents;
}

static void pipe_states(void) {
  int fds[2];
  CHECK(pipe(fds) == 0);
  CHECK(poll_one(fds[0], POLLIN, 0) == 0);
  CHECK(poll_one(fds[1], POLLOUT, 0) == POLLOUT);
  CHECK(poll_one(fds[1], POLLIN, 0) == 0);  /* only what was asked for (and errors) */
  CHECK(write(fds[1], "x", 1) == 1);
  CHECK(poll_one(fds[0], POLLIN | POLLOUT, 0) == POLLIN);
  CHECK(poll_one(fds[0], POLLRDNORM, 0) == POLLRDNORM);
  CHECK(close(fds[1]) == 0);
  CHECK(poll_one(fds[0], POLLIN, 0) == (POLLIN | POLLHUP));
  char c;
  CHECK(read(fds[0], &c, 1) == 1);
  CHECK(poll_one(fds[0], POLLIN, 0) == POLLHUP);
  CHECK(poll_one(fds[0], 0, 0) == POLLHUP);  /* reported even if not asked for */
  CHECK(close(fds[0]) == 0);
  CHECK(poll_one(fds[0], POLLIN, 0) == POLLNVAL);
  CHECK(pipe(fds) == 0);
  CHECK(close(fds[0]) == 0);
  CHECK(poll_one(fds[1], POLLOUT, 0) == (POLLOUT | POLLERR));
  CHECK(close(fds[1]) == 0);
  struct pollfd two[2] = {{-1, POLLIN, 77}, {1, POLLOUT, 0}};
  CHECK(poll(two, 2, 0) == 1);
  CHECK(two[0].revents == 0);
  CHECK(two[1].revents == POLLOUT);
  tl_say("pipe: POLLIN, POLLOUT, POLLHUP, POLLERR, POLLNVAL; negative fd ignored; stdout writable\n");
}

static double now(void) { return tl_now(); }

static void timeouts(void) {
  int fds[2];
  CHECK(pipe(fds) == 0);
  double start = now();
  CHECK(poll_one(fds[0], POLLIN, 50) == 0);
  double took = now() - start;
  CHECK(took >= 0.050);
  CHECK(took < 2.0);
  struct pollfd p = {fds[0], POLLIN, 0};
  struct timespec ts = {0, 30 * 1000 * 1000};
  /* The system call writes the time left back (glibc's ppoll hides that behind a copy). */
  CHECK(tl_raw_syscall(SYS_ppoll, (long)&p, 1, (long)&ts, 0, 8, 0) == 0);
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 does not write the time left back")) CHECK(ts.tv_sec == 0 && ts.tv_nsec == 0);
  ts.tv_nsec = 30 * 1000 * 1000;
  CHECK(ppoll(&p, 1, &ts, NULL) == 0);
  CHECK(ts.tv_nsec == 30 * 1000 * 1000);
  struct timespec bad = {0, 1000000000};
  CHECK_ERRNO(ppoll(&p, 1, &bad, NULL), EINVAL);
  CHECK_RAW_ERR(tl_raw_syscall(SYS_ppoll, 8, 1, (long)&(struct timespec){0, 0}, 0, 8, 0), EFAULT);
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 checks the array before nfds (EFAULT)"))
    CHECK_RAW_ERR(tl_raw_syscall(SYS_ppoll, (long)&p, 1 << 20, (long)&(struct timespec){0, 0}, 0, 8, 0), EINVAL);
  CHECK(close(fds[0]) == 0 && close(fds[1]) == 0);
  tl_say("timeouts: 50 ms waited, time left written back; EINVAL, EFAULT\n");
}

static int wake_fds[2];
static void* write_later(void* arg) {
  tl_sleep_ms(30);
  CHECK(write(wake_fds[1], "y", 1) == 1);
  return NULL;
}

static void wakeups(void) {
  CHECK(pipe(wake_fds) == 0);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, write_later, NULL) == 0);
  CHECK(poll_one(wake_fds[0], POLLIN, 5000) == POLLIN);
  CHECK(pthread_join(t, NULL) == 0);
  CHECK(close(wake_fds[0]) == 0 && close(wake_fds[1]) == 0);
  int fds[2];
  CHECK(pipe(fds) == 0);
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    tl_sleep_ms(30);
    _exit(0);  /* the last write end closes */
  }
  CHECK(close(fds[1]) == 0);
  CHECK(poll_one(fds[0], POLLIN, 5000) == POLLHUP);
  int status;
  CHECK(waitpid(child, &status, 0) == child);
  CHECK(close(fds[0]) == 0);
  tl_say("a sleeping poll wakes for a thread's write and for a child's exit\n");
}

static volatile int usr1_hits;
static void on_usr1(int sig) { usr1_hits++; }
static pthread_t main_thread;
static void* signal_later(void* arg) {
  tl_sleep_ms(30);
  CHECK(pthread_kill(main_thread, SIGUSR1) == 0);
  return NULL;
}

static void masks(void) {
  CHECK(tl_handle_signal(SIGUSR1, on_usr1, 0) == 0);
  sigset_t block, old, now_mask, open;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  CHECK(sigprocmask(SIG_BLOCK, &block, &old) == 0);
  sigemptyset(&open);
  int fds[2];
  CHECK(pipe(fds) == 0);
  struct pollfd p = {fds[0], POLLIN, 0};
  main_thread = pthread_self();
  pthread_t t;
  CHECK(pthread_create(&t, NULL, signal_later, NULL) == 0);
  CHECK_ERRNO(ppoll(&p, 1, NULL, &open), EINTR);
  CHECK(usr1_hits == 1);
  CHECK(pthread_join(t, NULL) == 0);
  CHECK(sigprocmask(SIG_SETMASK, NULL, &now_mask) == 0);
  CHECK(sigismember(&now_mask, SIGUSR1));
  struct timespec zero = {0, 0};
  CHECK(ppoll(&p, 1, &zero, &open) == 0);
  CHECK(sigprocmask(SIG_SETMASK, NULL, &now_mask) == 0);
  CHECK(sigismember(&now_mask, SIGUSR1));
  CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
  CHECK(pthread_create(&t, NULL, signal_later, NULL) == 0);
  CHECK_ERRNO(pause(), EINTR);
  CHECK(usr1_hits == 2);
  CHECK(pthread_join(t, NULL) == 0);
  CHECK(close(fds[0]) == 0 && close(fds[1]) == 0);
  tl_say("ppoll's mask: interrupted with EINTR, the old mask back after; pause returns EINTR\n");
}

static void selects(void) {
  int fds[2];
  CHECK(pipe(fds) == 0);
  fd_set r, w;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_SET(fds[0], &r);
  FD_SET(fds[1], &w);
  struct timeval tv = {0, 0};
  CHECK(select(fds[1] + 1, &r, &w, NULL, &tv) == 1);
  CHECK(!FD_ISSET(fds[0], &r) && FD_ISSET(fds[1], &w));
  CHECK(write(fds[1], "z", 1) == 1);
  FD_SET(fds[0], &r);
  FD_SET(fds[1], &w);
  tv.tv_usec = 0;
  CHECK(select(fds[1] + 1, &r, &w, NULL, &tv) == 2);
  CHECK(FD_ISSET(fds[0], &r) && FD_ISSET(fds[1], &w));
  char c;
  CHECK(read(fds[0], &c, 1) == 1);
  FD_ZERO(&r);
  FD_SET(fds[0], &r);
  double start = now();
  tv.tv_sec = 0;
  tv.tv_usec = 40000;
  CHECK(select(fds[0] + 1, &r, NULL, NULL, &tv) == 0);
  CHECK(now() - start >= 0.040);
  CHECK(!FD_ISSET(fds[0], &r));
  CHECK(close(fds[1]) == 0);
  FD_SET(fds[1], &r);
  CHECK_ERRNO(select(fds[1] + 1, &r, NULL, NULL, &tv), EBADF);
  CHECK(close(fds[0]) == 0);
  tl_say("select: read and write sets, the timeout, EBADF\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  pipe_states();
  timeouts();
  wakeups();
  masks();
  selects();
  return tl_done();
}
