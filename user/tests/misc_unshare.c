/* misc_unshare: unshare(2) of what a single-threaded process shares with nobody (its file table, fs context,
 * SysV semaphore undo list, address space, signal actions) succeeds and changes nothing: the files stay open.
 * New namespaces, which this kernel does not have, are EINVAL, as on a Linux built without them; other flags
 * (CSIGNAL bits) are EINVAL. (CLONE_NEWNS is left out: Linux always has mount namespaces, this kernel does not.)
 * TEST: kernel-only
 * (Under qemu-user unshare reaches the host, which has namespaces; checked on the reference Linux 6.1.)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "testlib.h"

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int fd = open("/dev/null", O_RDONLY);
  CHECK(fd >= 0);
  CHECK(unshare(CLONE_FILES | CLONE_FS | CLONE_SYSVSEM) == 0);
  CHECK(unshare(CLONE_VM | CLONE_SIGHAND | CLONE_THREAD) == 0);
  CHECK(fcntl(fd, F_GETFD) == 0);
  tl_say("unshare of the file table and the rest: 0, files still open\n");
  CHECK_ERRNO(unshare(CLONE_NEWUTS), EINVAL);
  CHECK_ERRNO(unshare(CLONE_NEWPID), EINVAL);
  CHECK_ERRNO(unshare(CLONE_NEWUSER), EINVAL);
  CHECK_ERRNO(unshare(CLONE_NEWIPC), EINVAL);
  CHECK_ERRNO(unshare(CLONE_NEWNET), EINVAL);
  CHECK_ERRNO(unshare(0x80), EINVAL);
  tl_say("new namespaces: EINVAL\n");
  return tl_done();
}
