/* fs_file_nr: /proc/sys/fs/file-nr and file-max count the open file descriptions of the whole system, as Linux
 * 6.1 (nr_files, files_stat.max_files): file-nr is "allocated 0 maximum", the maximum is file-max (a tenth of the
 * memory free at boot, one file per KiB, at least 8192). Opening a file adds one, dup and fork add none (they
 * share the description), closing the last descriptor takes it away. Linux holds only processes without
 * CAP_SYS_ADMIN to file-max (ENFILE): every process here is root, so nothing is refused at it.
 * Linux counts per CPU and reports the sum of what has been folded in (up to 32 per CPU behind): the checks
 * allow 100. Checked on Linux 6.1 (run.sh -s 1). qemu-user shows its host's counts, which other host processes
 * change: the counts are not checked there.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define FILES 600

static long file_max(void) {
  FILE* f = fopen("/proc/sys/fs/file-max", "r");
  CHECK(f != NULL);
  long n = -1;
  if (f) {
    CHECK(fscanf(f, "%ld", &n) == 1);
    fclose(f);
  }
  return n;
}

/* file-nr's first field (checking the other two). */
static long files_open(void) {
  FILE* f = fopen("/proc/sys/fs/file-nr", "r");
  CHECK(f != NULL);
  long allocated = -1, free_ = -1, max = -1;
  if (f) {
    CHECK(fscanf(f, "%ld %ld %ld", &allocated, &free_, &max) == 3);
    fclose(f);
  }
  CHECK(free_ == 0 && max == file_max());
  return allocated;
}

static int near(long got, long want) {
  if (got < want - 100 || got > want + 100) fprintf(stderr, "file-nr: %ld, expected about %ld\n", got, want);
  return got >= want - 100 && got <= want + 100;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  CHECK(file_max() >= 8192);
  tl_say("file-max is at least 8192; file-nr is allocated, 0, file-max\n");
  int skip = KNOWN_QEMU_USER_DIFFERENCE("qemu-user shows the host's open files");
  static int fds[FILES], dups[FILES / 2];
  long before = files_open();
  for (int i = 0; i < FILES; i++) fds[i] = open("/dev/null", O_RDONLY);
  CHECK(fds[FILES - 1] >= 0);
  long opened = files_open();
  if (!skip) CHECK(near(opened, before + FILES));
  for (int i = 0; i < FILES / 2; i++) dups[i] = dup(fds[i]);
  CHECK(dups[FILES / 2 - 1] >= 0);
  if (!skip) CHECK(near(files_open(), opened));
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) _exit(near(files_open(), opened) ? 0 : 1);
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  if (!skip) CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("open adds one per file; dup and fork share it\n");
  for (int i = 0; i < FILES; i++) close(fds[i]);
  if (!skip) CHECK(near(files_open(), before + FILES / 2));  /* the dups still hold half of them */
  for (int i = 0; i < FILES / 2; i++) close(dups[i]);
  if (!skip) CHECK(near(files_open(), before));
  tl_say("closing the last descriptor of a file takes it away\n");
  return tl_done();
}
