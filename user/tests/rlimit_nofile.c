/* rlimit_nofile: RLIMIT_NOFILE bounds every call that makes a descriptor, as on Linux:
 *   open, pipe, dup and fcntl(F_DUPFD) fail with EMFILE once every descriptor below the limit is taken;
 *   fcntl(F_DUPFD, n) with n at or past the limit is EINVAL, dup2/dup3 to such an n is EBADF;
 *   raising the soft limit (up to the hard one) makes room again; lowering it below descriptors already open
 *   leaves them open and usable.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "testlib.h"

#define LIMIT 16

int main(int argc, char** argv) {
  tl_init(argc, argv);
  struct rlimit original;
  CHECK(getrlimit(RLIMIT_NOFILE, &original) == 0);
  for (int fd = 3; fd < 64; fd++) close(fd);
  struct rlimit small = {LIMIT, original.rlim_max};
  CHECK(setrlimit(RLIMIT_NOFILE, &small) == 0);

  /* Fill every descriptor below the limit. */
  int opened = 0;
  for (;;) {
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0) {
      CHECK(errno == EMFILE);
      break;
    }
    CHECK(fd < LIMIT);
    opened++;
  }
  CHECK(opened == LIMIT - 3);
  tl_say("open: EMFILE after %d descriptors (limit %d)\n", opened + 3, LIMIT);
  int fds[2];
  CHECK_ERRNO(pipe(fds), EMFILE);
  CHECK_ERRNO(dup(0), EMFILE);
  CHECK_ERRNO(fcntl(0, F_DUPFD, 5), EMFILE);
  CHECK_ERRNO(fcntl(0, F_DUPFD, LIMIT), EINVAL);
  CHECK_ERRNO(fcntl(0, F_DUPFD_CLOEXEC, LIMIT + 100), EINVAL);
  CHECK_ERRNO(dup2(0, LIMIT), EBADF);
  CHECK_ERRNO(dup3(0, LIMIT + 1, 0), EBADF);
  CHECK(dup2(0, LIMIT - 1) == LIMIT - 1); /* replacing one below the limit is fine */
  tl_say("pipe, dup, F_DUPFD: EMFILE; F_DUPFD past the limit: EINVAL; dup2 past it: EBADF\n");

  /* One free slot: pipe needs two. */
  close(LIMIT - 1);
  CHECK_ERRNO(pipe(fds), EMFILE);
  CHECK(open("/dev/null", O_RDONLY) == LIMIT - 1);
  tl_say("a pipe needs two free descriptors\n");

  /* Raise the soft limit: room again. */
  struct rlimit bigger = {LIMIT + 4, original.rlim_max};
  CHECK(setrlimit(RLIMIT_NOFILE, &bigger) == 0);
  CHECK(pipe(fds) == 0);
  CHECK(fds[0] == LIMIT && fds[1] == LIMIT + 1);
  CHECK(fcntl(0, F_DUPFD, LIMIT + 3) == LIMIT + 3);
  tl_say("after raising the limit: pipe gives %d and %d\n", fds[0], fds[1]);

  /* Lower it below open descriptors: they stay usable, new ones fail. */
  struct rlimit lower = {8, original.rlim_max};
  CHECK(setrlimit(RLIMIT_NOFILE, &lower) == 0);
  CHECK(write(fds[1], "x", 1) == 1);
  char c = 0;
  CHECK(read(fds[0], &c, 1) == 1 && c == 'x');
  CHECK_ERRNO(open("/dev/null", O_RDONLY), EMFILE);
  tl_say("below open descriptors: they still work, open gives EMFILE\n");
  return tl_done();
}
