/* lab_cow_syscalls (lab cow, hidden): the kernel's own writes into copy-on-write pages (Pintos-style robustness).
 *
 * After fork, parent and child share every private page read-only. The kernel writes into user memory for many
 * system calls (read(2) into a buffer, pipe2's two descriptors, clock_gettime's timespec, wait4's status):
 * those writes must copy a shared page exactly as a store of the program does (xv6's copyout bug: writing
 * through the frame behind the mapping, into the other process's page too). And a page the program mapped
 * read-only stays read-only: copy-on-write is not a licence for the kernel to write it (EFAULT).
 *   - the child read()s a pipe into a shared page: it sees the data, the parent's page is unchanged; then the
 *     parent, now the page's only owner, read()s into it too
 *   - pipe2, clock_gettime and wait4 write their results into shared pages of the child, then of the parent:
 *     the other side's copy keeps its old bytes
 *   - read() into a PROT_READ private mapping shared by fork fails with EFAULT in the child and in the parent,
 *     and the page keeps its bytes
 *   - a read() into a shared page straddling two pages, the second one never touched since fork
 * Checked on Linux 6.1 (../shared/reference-linux).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define PAGE 4096ul

static char shared[8 * PAGE] __attribute__((aligned(4096))); /* .data: private, shared by fork */

static int wait_ok(pid_t pid) {
  int status = 0;
  return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Writes text into a new pipe and reads it into dst (len bytes). */
static ssize_t read_through_pipe(char* dst, const char* text, size_t len) {
  int p[2];
  if (pipe(p) < 0) return -1;
  ssize_t w = write(p[1], text, len);
  close(p[1]);
  ssize_t r = w == (ssize_t)len ? read(p[0], dst, len) : -1;
  int saved = errno;
  close(p[0]);
  errno = saved;
  return r;
}

static int all(const char* p, char c, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != c) return 0;
  return 1;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  memset(shared, 'o', sizeof shared); /* every page written: present and private before the fork */

  /* 1. read() into a shared page. */
  pid_t child = fork();
  if (child == 0) {
    int ok = read_through_pipe(shared + 100, "child-data", 10) == 10 && memcmp(shared + 100, "child-data", 10) == 0;
    ok = ok && all(shared, 'o', 100) && all(shared + 110, 'o', PAGE - 110);
    _exit(ok ? 0 : 1);
  }
  CHECK(wait_ok(child));
  CHECK(all(shared, 'o', PAGE));
  tl_say("the child's read() into a shared page: copied, the parent's page unchanged\n");
  CHECK(read_through_pipe(shared + 200, "parent-data", 11) == 11);
  CHECK(memcmp(shared + 200, "parent-data", 11) == 0 && all(shared, 'o', 200));
  tl_say("the parent's read() into the page it now owns alone\n");

  /* 2. Results the kernel stores: pipe2's descriptors, clock_gettime's timespec, wait4's status. */
  int* fds = (int*)(shared + PAGE);
  struct timespec* ts = (struct timespec*)(shared + 2 * PAGE);
  int* status = (int*)(shared + 3 * PAGE);
  child = fork();
  if (child == 0) {
    int ok = pipe2(fds, O_CLOEXEC) == 0 && fds[0] >= 0 && fds[1] >= 0 && fds[0] != fds[1];
    ok = ok && clock_gettime(CLOCK_MONOTONIC, ts) == 0 && ts->tv_nsec < 1000000000;
    pid_t g = fork();
    if (g == 0) _exit(7);
    ok = ok && waitpid(g, status, 0) == g && WIFEXITED(*status) && WEXITSTATUS(*status) == 7;
    _exit(ok ? 0 : 1);
  }
  CHECK(wait_ok(child));
  CHECK(all(shared + PAGE, 'o', 3 * PAGE));
  tl_say("pipe2, clock_gettime and wait4 in the child: results in its copies, the parent's pages unchanged\n");
  child = fork();
  if (child == 0) _exit(all(shared + PAGE, 'o', 3 * PAGE) ? 3 : 4);
  CHECK(waitpid(child, status, 0) == child && WIFEXITED(*status) && WEXITSTATUS(*status) == 3);
  CHECK(pipe2(fds, O_CLOEXEC) == 0 && fds[0] != fds[1]);
  CHECK(clock_gettime(CLOCK_MONOTONIC, ts) == 0);
  close(fds[0]);
  close(fds[1]);
  tl_say("the same in the parent, with a child that still saw the old bytes\n");

  /* 3. A read-only private mapping shared by fork: the kernel may not write it either. */
  char* ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(ro != MAP_FAILED);
  memset(ro, 'r', PAGE);
  CHECK(mprotect(ro, PAGE, PROT_READ) == 0);
  child = fork();
  if (child == 0) {
    ssize_t r = read_through_pipe(ro, "x", 1);
    _exit(r == -1 && errno == EFAULT && all(ro, 'r', PAGE) ? 0 : 1);
  }
  CHECK(wait_ok(child));
  errno = 0;
  CHECK(read_through_pipe(ro, "x", 1) == -1 && errno == EFAULT);
  CHECK(all(ro, 'r', PAGE));
  tl_say("read() into a PROT_READ page shared by fork: EFAULT in the child and the parent, the page unchanged\n");

  /* 4. A read() across two shared pages, the second untouched since the fork. */
  child = fork();
  if (child == 0) {
    char text[64];
    memset(text, 's', sizeof text);
    int ok = read_through_pipe(shared + 6 * PAGE - 32, text, 64) == 64 && all(shared + 6 * PAGE - 32, 's', 64);
    ok = ok && all(shared + 5 * PAGE, 'o', PAGE - 32) && all(shared + 6 * PAGE + 32, 'o', PAGE - 32);
    _exit(ok ? 0 : 1);
  }
  CHECK(wait_ok(child));
  CHECK(all(shared + 5 * PAGE, 'o', 2 * PAGE));
  tl_say("a read() across two shared pages in the child: both copied, the parent's unchanged\n");
  return tl_done();
}
