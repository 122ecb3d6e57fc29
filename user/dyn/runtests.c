/* runtests: run the kernel's behaviour tests from the shell.
 *
 *   runtests [-v] [-d DIR] [NAME...]   run every test in /tests that this machine can run, or those named
 *                                      (shell patterns: runtests 'mm_*'); a line each, then a summary
 *   runtests -l [-d DIR] [NAME...]     list the tests and what each needs
 *
 * `make qemu` mounts the tests disk (build/riscv/tests.img, made by tools/mktestsdisk from user/tests) read-only
 * at /tests: one program per test and /tests/tests.list, which says for each its time limit, expected exit
 * status, the machine it wants (memory, harts), what it needs that the shell cannot give (a disk, a swap area,
 * kernel arguments: skipped), its standard input and arguments (the TEST: markers of its source).
 *
 * Each test runs in its own process group (the terminal's foreground one while it runs: ^C ends the test and the
 * run) with its arguments and standard input, its output (standard output and error) kept in /tmp/runtests.out,
 * shown after a failure (its last lines) or always with -v. A test passes when it exits with the expected status
 * before its time limit. (make test also compares the output with Linux's; here only the status counts.)
 * Exit status: 0 if every test run passed, 1 if one failed, 2 usage.
 *
 * Dynamically linked (user/dyn: 49 KiB instead of 500): a static runtests made the initramfs overlap the device
 * tree QEMU puts in a 32 MiB machine (the swap tests' machines).
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_TESTS 512
#define OUTPUT "/tmp/runtests.out"

struct test {
  char* name;
  int timeout;     /* seconds */
  int status;      /* the expected exit status */
  char* mem;       /* "64M": the machine size it was written for, or "-" */
  char* smp;       /* "1,4": the hart counts it runs on, or "-" */
  char* needs;     /* what the shell cannot give, or "-" */
  char* input;     /* standard input (C escapes \n and \t), or "-" */
  char* args;      /* arguments, separated by spaces */
};

static struct test tests[MAX_TESTS];
static int ntests;
static const char* dir = "/tests";
static volatile sig_atomic_t timed_out;
static volatile pid_t running; /* the test running now: its process group goes with runtests (^C) */
static int terminal = -1;      /* the terminal runtests holds (stdin, in the foreground): each test gets it */

/* Reads DIR/tests.list (tools/mktestsdisk: tab-separated fields). Returns 0, or -1 after a message. */
static int load(void) {
  char path[256];
  snprintf(path, sizeof path, "%s/tests.list", dir);
  FILE* f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "runtests: %s: %s (make qemu mounts the tests disk at /tests)\n", path, strerror(errno));
    return -1;
  }
  char* line = NULL;
  size_t size = 0;
  while (getline(&line, &size, f) > 0 && ntests < MAX_TESTS) {
    if (line[0] == '#' || line[0] == '\n') continue;
    line[strcspn(line, "\n")] = '\0';
    char* field[8] = {0};
    char* p = strdup(line);
    for (int i = 0; i < 8; i++) field[i] = strsep(&p, "\t");
    if (!field[7]) {
      fprintf(stderr, "runtests: %s: a line with fewer than 8 fields: %s\n", path, line);
      continue;
    }
    struct test* t = &tests[ntests++];
    *t = (struct test){field[0], atoi(field[1]), atoi(field[2]), field[3], field[4], field[5], field[6], field[7]};
  }
  free(line);
  fclose(f);
  return 0;
}

/* MiB of memory the kernel manages (MemTotal), or 0. */
static long mem_total_mib(void) {
  FILE* f = fopen("/proc/meminfo", "r");
  long kib = 0;
  char line[128];
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "MemTotal: %ld kB", &kib) == 1) break;
  if (f) fclose(f);
  return kib / 1024;
}

/* Why this machine cannot run t ("" if it can), in buf. */
static const char* cannot_run(const struct test* t, char* buf, size_t size) {
  buf[0] = '\0';
  if (strcmp(t->needs, "-") != 0) {
    snprintf(buf, size, "needs %s (make test runs it)", t->needs);
    return buf;
  }
  if (strcmp(t->mem, "-") != 0) {
    /* Written for a smaller machine (it exhausts memory): run on one at most that size; for a bigger one: at
     * least about that size (MemTotal is the RAM less the firmware and the kernel). */
    long want = atol(t->mem) * (strchr(t->mem, 'G') ? 1024 : 1), have = mem_total_mib();
    if ((want < 128 && have > want) || (want > 128 && have < want * 9 / 10)) {
      snprintf(buf, size, "written for %s of RAM (make qemu MEM=%s)", t->mem, t->mem);
      return buf;
    }
  }
  if (strcmp(t->smp, "-") != 0) {
    long harts = sysconf(_SC_NPROCESSORS_ONLN);
    char list[32];
    snprintf(list, sizeof list, ",%s,", t->smp);
    char mine[16];
    snprintf(mine, sizeof mine, ",%ld,", harts);
    if (!strstr(list, mine)) {
      snprintf(buf, size, "runs on %s hart(s) (make qemu SMP=N)", t->smp);
      return buf;
    }
  }
  return buf;
}

static void on_alarm(int sig) { timed_out = 1; }

/* ^C or ^\ (the terminal signals runtests' process group, not the test's): the test's group goes too. */
static void on_interrupt(int sig) {
  if (running) kill(-running, SIGKILL);
  signal(sig, SIG_DFL);
  raise(sig);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The standard input text with its C escapes made bytes, in buf; returns its length. */
static size_t unescape(const char* s, char* buf, size_t size) {
  size_t n = 0;
  for (; *s && n < size; s++) {
    if (s[0] == '\\' && (s[1] == 'n' || s[1] == 't')) {
      buf[n++] = s[1] == 'n' ? '\n' : '\t';
      s++;
    } else {
      buf[n++] = *s;
    }
  }
  return n;
}

/* Prints the last `lines` lines of the test's output, indented. */
static void show_output(int lines) {
  FILE* f = fopen(OUTPUT, "r");
  if (!f) return;
  static char keep[64][256];
  int n = 0;
  char line[256];
  while (fgets(line, sizeof line, f)) snprintf(keep[n++ % 64], sizeof keep[0], "%s", line);
  fclose(f);
  if (lines > 64) lines = 64;
  for (int i = n > lines ? n - lines : 0; i < n; i++) printf("    %s", keep[i % 64]);
  fflush(stdout);
}

/* Runs one test; returns 1 if it passed. */
static int run(const struct test* t, int verbose, int* interrupted) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, t->name);
  char* argv[34] = {path};
  int argc = 1;
  char* args = strdup(t->args);
  for (char* a = strtok(args, " "); a && argc < 33; a = strtok(NULL, " ")) argv[argc++] = a;
  argv[argc] = NULL;
  int in[2];
  if (pipe(in) < 0) {
    perror("runtests: pipe");
    exit(1);
  }
  fflush(stdout);
  double start = now();
  pid_t pid = fork();
  if (pid < 0) {
    perror("runtests: fork");
    exit(1);
  }
  if (pid == 0) {
    setpgid(0, 0);
    if (terminal >= 0) tcsetpgrp(terminal, getpid());
    signal(SIGTTOU, SIG_DFL);
    int out = open(OUTPUT, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(in[0], 0);
    if (out >= 0) {
      dup2(out, 1);
      dup2(out, 2);
      close(out);
    }
    close(in[0]);
    close(in[1]);
    signal(SIGPIPE, SIG_DFL);
    if (chdir("/") < 0) _exit(126);
    execv(path, argv);
    fprintf(stderr, "runtests: %s: %s\n", path, strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid);
  if (terminal >= 0) tcsetpgrp(terminal, pid); /* (the child does it too: whichever runs first) */
  running = pid;
  free(args);
  close(in[0]);
  if (strcmp(t->input, "-") != 0) {
    char text[4096];
    size_t n = unescape(t->input, text, sizeof text);
    if (write(in[1], text, n) < 0) { /* the test did not read it: its business */
    }
  }
  close(in[1]);
  timed_out = 0;
  alarm(t->timeout > 0 ? t->timeout : 60);
  int wstatus = 0;
  pid_t got;
  while ((got = waitpid(pid, &wstatus, 0)) < 0 && errno == EINTR && !timed_out) {
  }
  alarm(0);
  if (got < 0) { /* the time limit: the test and its process group go */
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, &wstatus, 0);
  }
  kill(-pid, SIGKILL); /* whatever it left running in its group */
  running = 0;
  if (terminal >= 0) tcsetpgrp(terminal, getpgrp());
  double took = now() - start;
  *interrupted = got > 0 && WIFSIGNALED(wstatus) && (WTERMSIG(wstatus) == SIGINT || WTERMSIG(wstatus) == SIGQUIT);
  int passed = got > 0 && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == t->status;
  if (passed) {
    printf("%s: OK (%.1fs)\n", t->name, took);
  } else if (got < 0) {
    printf("%s: FAIL (no exit within its %d s)\n", t->name, t->timeout);
  } else if (WIFSIGNALED(wstatus)) {
    printf("%s: FAIL (killed by signal %d, %s, %.1fs)\n", t->name, WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)),
           took);
  } else {
    printf("%s: FAIL (exit status %d, expected %d, %.1fs)\n", t->name, WEXITSTATUS(wstatus), t->status, took);
  }
  fflush(stdout);
  if (verbose)
    show_output(64);
  else if (!passed)
    show_output(8);
  return passed;
}

static int chosen(const struct test* t, int argc, char** argv, int first) {
  if (first >= argc) return 1;
  for (int i = first; i < argc; i++)
    if (fnmatch(argv[i], t->name, 0) == 0) return 1;
  return 0;
}

int main(int argc, char** argv) {
  int list = 0, verbose = 0, opt;
  while ((opt = getopt(argc, argv, "lvd:h")) != -1) {
    switch (opt) {
    case 'l': list = 1; break;
    case 'v': verbose = 1; break;
    case 'd': dir = optarg; break;
    default:
      fprintf(stderr, "usage: runtests [-v] [-d DIR] [NAME...]   run the tests in /tests (shell patterns allowed)\n"
                      "       runtests -l [NAME...]              list them and what each needs\n");
      return 2;
    }
  }
  if (load() < 0) return 1;
  struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART: the alarm interrupts waitpid */
  sigaction(SIGALRM, &sa, NULL);
  signal(SIGINT, on_interrupt);
  signal(SIGQUIT, on_interrupt);
  /* On a terminal, as a shell does: each test is the foreground process group while it runs (a test of the
   * terminal may change its modes; ^C goes to the test, and ends the run), and runtests takes the terminal back. */
  if (isatty(0) && tcgetpgrp(0) == getpgrp()) {
    terminal = 0;
    signal(SIGTTOU, SIG_IGN);
  }
  signal(SIGPIPE, SIG_IGN);
  int passed = 0, failed = 0, skipped = 0, matched = 0;
  char why[160];
  for (int i = 0; i < ntests; i++) {
    struct test* t = &tests[i];
    if (!chosen(t, argc, argv, optind)) continue;
    matched++;
    cannot_run(t, why, sizeof why);
    if (list) {
      printf("%-28s %s\n", t->name, why[0] ? why : "runs here");
      continue;
    }
    if (why[0]) {
      printf("%s: skipped: %s\n", t->name, why);
      skipped++;
      continue;
    }
    int interrupted = 0;
    if (run(t, verbose, &interrupted))
      passed++;
    else
      failed++;
    if (interrupted) {
      printf("runtests: interrupted\n");
      break;
    }
  }
  if (optind < argc && matched == 0) {
    fprintf(stderr, "runtests: no test named %s (runtests -l lists them)\n", argv[optind]);
    return 1;
  }
  if (!list) printf("runtests: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed ? 1 : 0;
}
