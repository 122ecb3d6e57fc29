/* rlimit_exec: execve under an RLIMIT_AS too small for the new program, as Linux 6.1 does it.
 * Linux checks the file, its headers and the arguments first; then comes its point of no return (begin_new_exec:
 * the old image is gone), and only then does it map the program's segments, its stack and its vDSO. When those
 * fail (RLIMIT_AS, no memory) the process cannot go back to the old program: it is killed with SIGSEGV
 * (bprm_execve's force_fatal_sig). Checked on Linux 6.1 (run.sh -s 1) with a static program: RLIMIT_AS of 0, 4 KiB,
 * 64 KiB, 256 KiB and 512 KiB kill the process with SIGSEGV; 1 MiB and more run it. A failure before the point of
 * no return is still an errno: a missing file gives ENOENT under any limit.
 * qemu-user keeps RLIMIT_AS to itself (its host would not even start qemu under 64 KiB): the exec checks are
 * skipped there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define KiB 1024UL
#define MiB (1024 * KiB)

/* A child sets RLIMIT_AS and execs path (this program, "hello"); its wait status. It exits with 100 + errno if
 * execve returns. */
static int exec_under(unsigned long limit, const char* path) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    struct rlimit r = {limit, limit};
    if (setrlimit(RLIMIT_AS, &r) != 0) _exit(99);
    char* args[] = {(char*)path, "hello", NULL};
    tl_execv(path, args);
    _exit(100 + errno);
  }
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  return status;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc > 1 && strcmp(argv[1], "hello") == 0) return 0;
  const unsigned long too_small[] = {0, 4 * KiB, 64 * KiB, 256 * KiB};
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user ignores RLIMIT_AS (and its host cannot start qemu under it)")) {
    for (unsigned i = 0; i < sizeof too_small / sizeof too_small[0]; i++) {
      int status = exec_under(too_small[i], argv[0]);
      if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV))
        fprintf(stderr, "RLIMIT_AS %lu KiB: wait status %#x (exit %d = 100 + errno)\n", too_small[i] / KiB, status,
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
      CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
    }
    int status = exec_under(4 * KiB, "/nonexistent/program");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 100 + ENOENT);
  }
  tl_say("exec under an RLIMIT_AS too small for the program: killed with SIGSEGV; a missing file: ENOENT\n");
  int status = exec_under(64 * MiB, argv[0]);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("exec under an RLIMIT_AS of 64 MiB: the program runs\n");
  return tl_done();
}
