/* exec_arg_limits: execve's limits on the argument and environment strings, as Linux 6.1's (fs/exec.c
 * bprm_stack_limits and valid_arg_len; execve(2), "Limits on size of arguments and environment"):
 *   - one string of MAX_ARG_STRLEN (32 pages) bytes with its NUL is E2BIG; one byte less runs;
 *   - all the strings and the program's path, with 8 bytes for each argv and envp pointer, may take a quarter of
 *     RLIMIT_STACK, at most 6 MiB (3/4 of _STK_LIM) and at least 128 KiB (ARG_MAX): exactly that runs, a byte
 *     more is E2BIG;
 * at RLIMIT_STACK 256 KiB, 1 MiB, 8 MiB, 40 MiB and unlimited, with and without an environment. The program
 * execs itself through /proc/self/exe; the new program checks every string it got.
 * Before: one 256 KiB kernel buffer for all the strings, whatever RLIMIT_STACK said.
 * TEST: kernel-only
 * TEST: mem=256M
 * TEST: timeout=120
 * (kernel-only: under qemu-user, execve runs qemu again, whose own strings count. Checked on Linux 6.1 with
 * /work/shared/reference-linux/run.sh.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define SELF "/proc/self/exe"
#define MAX_ARG_STRLEN (32 * 4096)
#define FILLER 'x'

/* The new program: argv = SELF, "check", TOTAL (the bytes of every string with its NUL, argv and envp),
 * fillers made of 'x'. */
static int check(int argc, char** argv, char** envp) {
  unsigned long total = 0, want = strtoul(argv[2], NULL, 10);
  for (int i = 0; i < argc; i++) {
    total += strlen(argv[i]) + 1;
    if (i >= 3)
      for (const char* c = argv[i]; *c; c++)
        if (*c != FILLER) return 11;
  }
  for (char** e = envp; *e; e++) total += strlen(*e) + 1;
  return total == want ? 0 : 12;
}

static char* filler(unsigned long length) {
  char* s = malloc(length + 1);
  memset(s, FILLER, length);
  s[length] = 0;
  return s;
}

/* Exec ourselves with argv made to take `bytes` of strings (NULs and the path included) and `nenv` environment
 * strings of 100 bytes, in a child with RLIMIT_STACK `stack`. Returns 0 if the new program ran and found its
 * strings right, E2BIG (or another errno) if execve failed. */
static int try_exec(rlim_t stack, unsigned long bytes, int nenv, unsigned long max_string) {
  pid_t pid = fork();
  if (pid == 0) {
    struct rlimit rl = {stack, RLIM_INFINITY};
    if (setrlimit(RLIMIT_STACK, &rl) != 0) _exit(100);
    static char* env[16];
    unsigned long env_bytes = 0;
    for (int i = 0; i < nenv; i++) {
      env[i] = filler(99);
      memcpy(env[i], "E=", 2);
      env_bytes += 100;
    }
    env[nenv] = NULL;
    /* The path, SELF, "check" and the total take path_bytes; the rest is fillers of at most max_string bytes
     * with their NULs, as few as can hold it; argv and envp pointers take 8 bytes each. */
    unsigned long path_bytes = 2 * sizeof(SELF) + sizeof("check") + 11;
    unsigned long rest = 0;
    int n = 0;
    for (n = 1; n < 100000; n++) {
      long r = (long)bytes - (long)path_bytes - (long)env_bytes - 8L * (3 + n + nenv);
      if (r < n) _exit(101);
      if ((unsigned long)r <= n * max_string) {
        rest = r;
        break;
      }
    }
    char** argv = calloc(4 + n, sizeof(char*));
    char total[16];
    snprintf(total, sizeof total, "%010lu", rest + path_bytes - sizeof(SELF) + env_bytes);
    argv[0] = SELF;
    argv[1] = "check";
    argv[2] = total;
    for (int i = 0; i < n; i++) {
      unsigned long share = rest / n + ((unsigned long)i < rest % n ? 1 : 0);
      argv[3 + i] = filler(share - 1);
    }
    argv[3 + n] = NULL;
    execve(SELF, argv, env);
    _exit(errno);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  if (WIFSIGNALED(status)) return 1000 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

static const char* outcome(int r) {
  static char other[32];
  if (r == 0) return "runs";
  if (r == E2BIG) return "E2BIG";
  snprintf(other, sizeof other, "status %d", r);
  return other;
}

int main(int argc, char** argv, char** envp) {
  if (argc >= 3 && strcmp(argv[1], "check") == 0) return check(argc, argv, envp);
  tl_init(argc, argv);

  /* One string: MAX_ARG_STRLEN bytes with its NUL is the longest (the limit on all is 2 MiB here). */
  unsigned long small = 2 * sizeof(SELF) + sizeof("check") + 11 + 8 * 4;
  int r = try_exec(8 << 20, small + MAX_ARG_STRLEN, 0, MAX_ARG_STRLEN);
  tl_say("one string of %d characters: %s\n", MAX_ARG_STRLEN - 1, outcome(r));
  CHECK(r == 0);
  r = try_exec(8 << 20, small + MAX_ARG_STRLEN + 1, 0, MAX_ARG_STRLEN + 1);
  tl_say("one string of %d characters: %s\n", MAX_ARG_STRLEN, outcome(r));
  CHECK(r == E2BIG);

  static const struct {
    rlim_t stack;
    unsigned long limit;
  } cases[] = {
      {256 << 10, 128 << 10},        /* a quarter is 64 KiB: ARG_MAX's 128 KiB still */
      {1 << 20, 256 << 10},          /* a quarter */
      {8 << 20, 2 << 20},            /* the default: 2 MiB */
      {40 << 20, 6 << 20},           /* a quarter is 10 MiB: 6 MiB at most */
      {RLIM_INFINITY, 6 << 20},
  };
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char name[32];
    if (cases[i].stack == RLIM_INFINITY) snprintf(name, sizeof name, "unlimited");
    else snprintf(name, sizeof name, "%lu KiB", (unsigned long)cases[i].stack >> 10);
    for (int nenv = 0; nenv <= 3; nenv += 3) {
      int fits = try_exec(cases[i].stack, cases[i].limit, nenv, MAX_ARG_STRLEN);
      int over = try_exec(cases[i].stack, cases[i].limit + 1, nenv, MAX_ARG_STRLEN);
      tl_say("RLIMIT_STACK %s, %d environment strings: %lu bytes %s, one more %s\n", name, nenv, cases[i].limit,
             outcome(fits), outcome(over));
      CHECK(fits == 0);
      CHECK(over == E2BIG);
    }
  }
  return tl_done();
}
