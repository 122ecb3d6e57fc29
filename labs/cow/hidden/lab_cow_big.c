/* lab_cow_big (lab cow, hidden): fork a process that holds half the machine's memory, and fork during faults.
 *
 * fork(2) with copy-on-write copies no page, so a process holding 32 MiB on a 64 MiB machine can still fork:
 * a kernel that copied every page would run out of memory. Checked: the child sees every page of the parent,
 * writes 16 of them, and the parent's pages are untouched afterwards; then 10 rounds in which a child writes
 * 8 pages and forks a grandchild that checks the child's values and writes its own, while the child keeps
 * writing: each process sees only its own writes. Memory comes back (init's leak check after the run).
 * TEST: mem=64M
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE (32ul << 20)
#define PAGE 4096ul
#define PAGES (SIZE / PAGE)

static unsigned char value(unsigned long page, int who) { return (unsigned char)(page * 7 + who * 31 + 1); }

static int check_all(unsigned char* buf, int who) {
  for (unsigned long p = 0; p < PAGES; p++)
    if (buf[p * PAGE] != value(p, who) || buf[p * PAGE + PAGE - 1] != value(p, who)) return 0;
  return 1;
}

static int wait_ok(pid_t pid) {
  int status = 0;
  return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void) {
  unsigned char* buf = malloc(SIZE);
  if (!buf) return 1;
  for (unsigned long p = 0; p < PAGES; p++) memset(buf + p * PAGE, value(p, 0), PAGE);

  pid_t child = fork();
  if (child == 0) {
    int ok = check_all(buf, 0);
    for (unsigned long p = 0; p < 16; p++) memset(buf + p * 97 * PAGE, 0xEE, PAGE);
    for (unsigned long p = 0; p < 16; p++) ok = ok && buf[p * 97 * PAGE + 9] == 0xEE;
    _exit(ok ? 0 : 1);
  }
  int ok = wait_ok(child);
  printf("child of a 32 MiB process: %s\n", ok ? "ok" : "FAILED");
  printf("parent's pages after the child's writes: %s\n", check_all(buf, 0) ? "intact" : "CHANGED");

  int rounds_ok = 0;
  for (int round = 0; round < 10; round++) {
    pid_t c = fork();
    if (c == 0) {
      for (unsigned long i = 0; i < 8; i++) buf[(round * 8 + i) * 41 * PAGE % SIZE] = 0xC0 | (unsigned char)i;
      pid_t g = fork();
      if (g == 0) {
        int good = 1;
        for (unsigned long i = 0; i < 8; i++) good = good && buf[(round * 8 + i) * 41 * PAGE % SIZE] == (0xC0 | i);
        for (unsigned long i = 0; i < 8; i++) buf[(round * 8 + i) * 41 * PAGE % SIZE] = 0x60;
        _exit(good ? 0 : 1);
      }
      for (unsigned long i = 0; i < 64; i++) buf[i * 113 * PAGE % SIZE + 1] ^= 0x55; /* faults while g runs */
      int good = wait_ok(g);
      for (unsigned long i = 0; i < 8; i++) good = good && buf[(round * 8 + i) * 41 * PAGE % SIZE] == (0xC0 | i);
      _exit(good ? 0 : 1);
    }
    rounds_ok += wait_ok(c);
  }
  printf("rounds with a grandchild forked during faults: %d of 10 ok\n", rounds_ok);
  printf("parent's pages at the end: %s\n", check_all(buf, 0) ? "intact" : "CHANGED");
  free(buf);
  return ok && rounds_ok == 10 ? 0 : 1;
}
