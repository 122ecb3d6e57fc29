/* fs_tmp_left_behind: a program that leaves files in /tmp when it exits has not leaked memory (issue 14,
 * finding 9: init's leak check used to count the file's pages as a frame leak and exit 125). The test runner's
 * init removes what a program left in /tmp and then checks that every page went back; file-system pages are
 * counted apart from the frames a process holds (/proc/kernel-stats: file pages that no file holds).
 * This program leaves a 1 MiB file, a directory with a file in it and a symbolic link; it passes if init's check
 * after it passes (exit 0).
 * Leaving files in the host's /tmp under qemu-user would be no test: kernel-only.
 * TEST: kernel-only
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

int main(int argc, char** argv) {
  tl_init(argc, argv);
  static char buffer[1 << 20];
  memset(buffer, 'L', sizeof buffer);
  int fd = open("/tmp/left_behind_file", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0 && write(fd, buffer, sizeof buffer) == (ssize_t)sizeof buffer);
  close(fd);
  CHECK(mkdir("/tmp/left_behind_dir", 0755) == 0);
  fd = open("/tmp/left_behind_dir/inner", O_WRONLY | O_CREAT, 0644);
  CHECK(fd >= 0 && write(fd, buffer, 4096) == 4096);
  close(fd);
  CHECK(symlink("/tmp/left_behind_file", "/tmp/left_behind_link") == 0);
  tl_say("left a 1 MiB file, a directory and a link in /tmp\n");
  return tl_done();
}
