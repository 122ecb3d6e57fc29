/* cowdemo: the program of the day-one gdb walkthrough (labs/README.md) and of the gdb commands' test
 * (tests/qemu/gdb_helpers.py). It prints its /proc/self/maps, writes a page of its own (a demand-zero fault),
 * forks, and the child writes the same page (a copy-on-write copy); after the child is gone the parent writes
 * it again (the last owner: reused, no copy).
 *   cowdemo
 * Only system calls and static buffers before the first write, so that nothing (no malloc) changes the regions
 * between the maps it prints and the first fault on `page`.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char page[4096] __attribute__((aligned(4096)));  /* in .bss: untouched until the first write */
static char maps[8192];

int main(void) {
  int fd = open("/proc/self/maps", O_RDONLY);
  ssize_t n = fd >= 0 ? read(fd, maps, sizeof(maps) - 1) : -1;
  if (n <= 0) return 1;
  close(fd);
  write(1, maps, (size_t)n);
  page[0] = 'p'; /* demand-zero: the first write to .bss */
  pid_t child = fork();
  if (child == 0) {
    page[0] = 'c'; /* copy-on-write: the page is shared with the parent */
    _exit(page[0] == 'c' ? 0 : 1);
  }
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child || status != 0) return 1;
  page[1] = 'P'; /* the parent is the last owner: reused in place */
  printf("cowdemo: page at %p holds \"%.2s\"; the child wrote its own copy\n", (void*)page, page);
  return 0;
}
