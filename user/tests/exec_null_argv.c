/* exec_null_argv: execve with a NULL (or empty) argv, as Linux 5.18 and later: the new program gets argc 1 and
 * argv[0] "" (argv[1] NULL), and its environment where it belongs.
 * TEST: kernel-only
 * (qemu-user starts riscv64 programs itself and does not do this; checked on the reference Linux 6.1.)
 */
#define _GNU_SOURCE
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

extern char** environ;

static int run(char* const* argv, char* const* envp) {
  pid_t pid = fork();
  if (pid == 0) {
    execve("/proc/self/exe", argv, envp);
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char** argv, char** envp) {
  if (argc == 1 && argv[0][0] == '\0') {
    /* The child: argc 1, argv[0] empty, argv[1] NULL, and the environment (if any) after it. */
    if (argv[1] != NULL) return 2;
    if (envp != &argv[2]) return 3;
    if (envp[0] && strcmp(envp[0], "MARK=1") != 0) return 4;
    return envp[0] ? 10 : 11;
  }
  tl_init(argc, argv);
  char* empty[] = {NULL};
  char* env[] = {(char*)"MARK=1", NULL};
  int r = run(NULL, NULL);
  tl_say("execve(path, NULL, NULL): child status %d\n", r);
  CHECK(r == 11);
  r = run(NULL, env);
  tl_say("execve(path, NULL, {MARK=1}): child status %d\n", r);
  CHECK(r == 10);
  r = run(empty, env);
  tl_say("execve(path, {NULL}, {MARK=1}): child status %d\n", r);
  CHECK(r == 10);
  return tl_done();
}
