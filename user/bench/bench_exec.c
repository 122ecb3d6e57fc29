/* bench_exec: what starting a program costs, in instructions (rdinstret; run with tools/run --icount, or the
 * reference Linux's run.sh --icount). Built twice from this source: statically (user/bench/bench_exec) and
 * dynamically linked (user/bench-dyn/bench_exec). Each runs itself:
 *   fork_exec_exit_wait   fork, the child execs this same program, which returns from main at once (glibc's
 *                         start-up and exit run, and for the dynamic build ld.so: mapping libc, relocating, RELRO),
 *                         the parent waits
 *   fork_exit_wait        fork, the child _exits at once, the parent waits (the part that is not exec)
 * so the cost of exec and start-up is the difference. Counted on one hart, where the child runs on the
 * measuring hart: the count includes the child's instructions, user and kernel.
 *   bench_exec [ROUNDS]
 */
#include <sys/wait.h>

#include <unistd.h>

#include "testlib.h"

static uint64_t measure(int rounds, int exec_child) {
  uint64_t start = tl_instret();
  for (int i = 0; i < rounds; i++) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      if (exec_child) {
        char* args[] = {(char*)tl_self(), "child", NULL};
        execv(tl_self(), args);
      }
      _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  return (tl_instret() - start) / (uint64_t)rounds;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "child") == 0) return 0;
  tl_init(argc, argv);
  int rounds = argc > 1 ? atoi(argv[1]) : 20;
  measure(2, 1); /* warm up: every page of the program and the libraries read once */
  uint64_t with_exec = measure(rounds, 1);
  uint64_t without = measure(rounds, 0);
  printf("bench fork_exec_exit_wait: %llu instructions/op\n", (unsigned long long)with_exec);
  printf("bench fork_exit_wait: %llu instructions/op\n", (unsigned long long)without);
  printf("bench exec_and_startup: %llu instructions/op\n", (unsigned long long)(with_exec - without));
  return tl_done();
}
