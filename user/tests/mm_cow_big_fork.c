/* mm_cow_big_fork: a process holding most of the machine's free memory can still fork.
 *
 * fork(2): the child's memory is a copy of the parent's; with copy-on-write no page is copied until one side
 * writes it, so fork costs page tables, not memory. On a 64 MiB machine the parent fills 36 MiB, forks, and the
 * child checks every page, writes 8 of them and exits; the parent's pages are unchanged. A kernel that copied
 * every page at fork would need another 36 MiB and fail (ENOMEM from fork, or the child killed for memory).
 * Linux 6.1's heuristic overcommit accepts the fork (the request is smaller than RAM + swap).
 * TEST: mem=64M
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE (36ul << 20)
#define PAGE 4096ul

int main(void) {
  unsigned char* buf = malloc(SIZE);
  if (!buf) return 1;
  for (unsigned long p = 0; p < SIZE / PAGE; p++) memset(buf + p * PAGE, (int)(p % 251) + 1, PAGE);
  pid_t child = fork();
  if (child < 0) {
    printf("fork failed\n");
    return 1;
  }
  if (child == 0) {
    int ok = 1;
    for (unsigned long p = 0; p < SIZE / PAGE; p++) ok = ok && buf[p * PAGE + 100] == (unsigned char)(p % 251 + 1);
    for (unsigned long p = 0; p < 8; p++) buf[p * 1000 * PAGE % SIZE] = 0;
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  printf("child of a 36 MiB process: %s\n", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ok" : "FAILED");
  int intact = 1;
  for (unsigned long p = 0; p < SIZE / PAGE; p++) intact = intact && buf[p * PAGE] == (unsigned char)(p % 251 + 1);
  printf("parent's pages: %s\n", intact ? "intact" : "CHANGED");
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 && intact ? 0 : 1;
}
