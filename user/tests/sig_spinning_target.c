/* sig_spinning_target: signals reach a process that never enters the kernel by itself.
 * A child spins in user mode (no system calls); the parent sends it SIGUSR1 500 times, each time waiting for
 * the handler's acknowledgement (a byte written to a pipe). With several harts the child runs on another one:
 * the kernel must interrupt that hart (on Linux, and here, an IPI) rather than wait for the child to trap.
 * Then SIGTERM ends it. Compared with qemu-user.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static int ack_fd;
static volatile unsigned long handled;

static void on_usr1(int sig) {
  handled++;
  char c = 'a';
  if (write(ack_fd, &c, 1) != 1) _exit(3);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int fds[2];
  CHECK(pipe(fds) == 0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    ack_fd = fds[1];
    signal(SIGUSR1, on_usr1);
    char c = 'r';
    if (write(ack_fd, &c, 1) != 1) _exit(2);
    volatile unsigned long spins = 0;
    for (;;) spins++;
  }
  close(fds[1]);
  char c;
  CHECK(read(fds[0], &c, 1) == 1 && c == 'r');
  int acks = 0;
  for (int i = 0; i < 500; i++) {
    CHECK(kill(pid, SIGUSR1) == 0);
    if (read(fds[0], &c, 1) == 1 && c == 'a') acks++;
  }
  CHECK(acks == 500);
  tl_say("500 signals to a process spinning in user mode: 500 handler runs\n");
  CHECK(kill(pid, SIGTERM) == 0);
  int status;
  CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  tl_say("SIGTERM ends it\n");
  return tl_done();
}
