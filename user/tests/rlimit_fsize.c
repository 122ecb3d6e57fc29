/* rlimit_fsize: RLIMIT_FSIZE bounds the size a process may give a file, as on Linux
 * (generic_write_check_limits, inode_newsize_ok):
 *   - a write that would cross the limit is cut short at it; one that starts at or past it fails with EFBIG and
 *     sends SIGXFSZ (caught here: the handler runs once per such write); a write of 0 bytes is no write
 *   - pwrite and O_APPEND writes the same; ftruncate and truncate past the limit: EFBIG and SIGXFSZ;
 *     shrinking, or growing up to the limit, works
 *   - with SIGXFSZ's default action the process dies of it (a core-dump signal)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define PATH "/tmp/rlimit_fsize_file"
#define LIMIT 10000

static volatile int g_xfsz;

static void on_xfsz(int sig) {
  (void)sig;
  g_xfsz++;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  static char buffer[3 * LIMIT];
  memset(buffer, 'f', sizeof buffer);
  signal(SIGXFSZ, on_xfsz);
  struct rlimit original, limit;
  CHECK(getrlimit(RLIMIT_FSIZE, &original) == 0);
  limit.rlim_cur = LIMIT;
  limit.rlim_max = original.rlim_max;
  int fd = open(PATH, O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  CHECK(setrlimit(RLIMIT_FSIZE, &limit) == 0);

  CHECK(write(fd, buffer, 2 * LIMIT) == LIMIT);
  CHECK(g_xfsz == 0);
  CHECK_ERRNO(write(fd, buffer, 1), EFBIG);
  CHECK(g_xfsz == 1);
  CHECK(write(fd, buffer, 0) == 0 && g_xfsz == 1);
  tl_say("write: cut short at the limit, then EFBIG and SIGXFSZ; a write of 0 bytes is fine\n");

  CHECK(pwrite(fd, buffer, 10, LIMIT - 4) == 4);
  CHECK_ERRNO(pwrite(fd, buffer, 10, LIMIT + 100), EFBIG);
  CHECK(g_xfsz == 2);
  int append = open(PATH, O_WRONLY | O_APPEND);
  CHECK(append >= 0);
  CHECK_ERRNO(write(append, buffer, 1), EFBIG);
  CHECK(g_xfsz == 3);
  close(append);
  tl_say("pwrite and O_APPEND: the same\n");

  CHECK_ERRNO(ftruncate(fd, LIMIT + 1), EFBIG);
  CHECK(g_xfsz == 4);
  CHECK_ERRNO(truncate(PATH, 2 * LIMIT), EFBIG);
  CHECK(g_xfsz == 5);
  CHECK(ftruncate(fd, 100) == 0 && ftruncate(fd, LIMIT) == 0 && truncate(PATH, 50) == 0);
  struct stat st;
  CHECK(fstat(fd, &st) == 0 && st.st_size == 50);
  CHECK(g_xfsz == 5);
  tl_say("ftruncate and truncate past the limit: EFBIG and SIGXFSZ; up to it: fine\n");

  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGXFSZ, SIG_DFL);
    (void)pwrite(fd, buffer, 1, LIMIT);
    _exit(0);
  }
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ);
  tl_say("with the default action: killed by SIGXFSZ\n");

  CHECK(setrlimit(RLIMIT_FSIZE, &original) == 0);
  close(fd);
  unlink(PATH);
  return tl_done();
}
