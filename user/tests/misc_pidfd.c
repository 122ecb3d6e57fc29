/* misc_pidfd: pidfd_open(2) and pidfd_send_signal(2).
 *   - pidfd_open of a pid below 1 or with flags other than PIDFD_NONBLOCK is EINVAL, of no process ESRCH;
 *     the descriptor is close-on-exec, names "anon_inode:[pidfd]", and /proc/self/fdinfo shows "Pid:"
 *   - pidfd_send_signal signals the process it names (checked with a child killed by SIGTERM); flags other
 *     than 0 are EINVAL, a descriptor that is not a pidfd EBADF, and once the process is reaped ESRCH
 *   - reading a pidfd is EINVAL
 * TEST: kernel-only
 * (qemu-user 7.2 passes pidfd_open to the host, where /proc/self is the emulator; checked on Linux 6.1.)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static int pidfd_open(pid_t pid, unsigned flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }
static int pidfd_send_signal(int fd, int sig, void* info, unsigned flags) {
  return (int)syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  CHECK_ERRNO(pidfd_open(-1, 0), EINVAL);
  CHECK_ERRNO(pidfd_open(getpid(), 1), EINVAL);
  CHECK_ERRNO(pidfd_open(99999, 0), ESRCH);
  int self = pidfd_open(getpid(), 0);
  CHECK(self >= 0 && fcntl(self, F_GETFD) == FD_CLOEXEC);
  char path[64], link[64] = {0}, line[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", self);
  CHECK(readlink(path, link, sizeof link - 1) > 0 && strcmp(link, "anon_inode:[pidfd]") == 0);
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", self);
  FILE* f = fopen(path, "r");
  int pid = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "Pid: %d", &pid) == 1) break;
  if (f) fclose(f);
  CHECK(pid == getpid());
  char byte;
  CHECK_ERRNO(read(self, &byte, 1), EINVAL);
  tl_say("pidfd_open: EINVAL, ESRCH; close-on-exec, anon_inode:[pidfd], fdinfo Pid\n");

  pid_t child = fork();
  if (child == 0) {
    for (;;) pause();
  }
  int fd = pidfd_open(child, 0);
  CHECK(fd >= 0);
  CHECK_ERRNO(pidfd_send_signal(fd, SIGTERM, NULL, 1), EINVAL);
  CHECK_ERRNO(pidfd_send_signal(0, SIGTERM, NULL, 0), EBADF);
  CHECK(pidfd_send_signal(fd, 0, NULL, 0) == 0);
  CHECK(pidfd_send_signal(fd, SIGTERM, NULL, 0) == 0);
  int status = 0;
  CHECK(waitpid(child, &status, 0) == child && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  CHECK_ERRNO(pidfd_send_signal(fd, SIGTERM, NULL, 0), ESRCH);
  tl_say("pidfd_send_signal: the child killed by SIGTERM; ESRCH once reaped\n");
  close(fd);
  close(self);
  return tl_done();
}
