/* init: the first user program (/sbin/init, PID 1), started by the kernel.
 *
 * Runner mode (when /etc/run.argv exists; tools/run puts it there):
 *   /etc/run.argv holds a NUL-separated argv, e.g. "/bin/hello\0world\0". init runs that program, reaps it and
 *   every orphan that was reparented to init, then checks that all the memory the program used came back: free
 *   memory (sysinfo) must be at least what it was before the program started, or init reports a frame leak and
 *   exits 125. Otherwise init exits with the program's status (128+N if a signal N killed it). When init
 *   exits, the kernel powers the machine off with init's exit status.
 *
 * Interactive mode (otherwise):
 *   print /etc/motd, then run /bin/sh again and again: when a shell exits, start a new one. Each shell leads a
 *   session of its own whose controlling terminal is the console (as getty arranges for a login shell), so
 *   that it has job control: ^C, ^Z, fg and bg.
 *
 * fds 0, 1 and 2 are already the console when the kernel starts init.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef RUN_ARGV_PATH
#define RUN_ARGV_PATH "/etc/run.argv" /* overridable (-DRUN_ARGV_PATH=...) to try init outside the kernel */
#endif
#define MAX_ARGS 64

static char* const environment[] = {"PATH=/bin:/sbin", "HOME=/", NULL};

/* Write a message to stderr without stdio (no buffers allocated behind our back). */
static void say(int fd, const char* msg) {
  size_t len = strlen(msg);
  while (len > 0) {
    ssize_t n = write(fd, msg, len);
    if (n <= 0) return;
    msg += n;
    len -= (size_t)n;
  }
}

/* A wait status as one number: the exit status, or 128+N for death by signal N. */
static int status_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

static unsigned long long free_memory(void) {
  struct sysinfo si;
  if (sysinfo(&si) != 0) return 0;
  return (unsigned long long)si.freeram * si.mem_unit;
}

/* Read all of a file into a malloc'ed, NUL-terminated buffer; *size gets its length. NULL if it can't. */
static char* read_file(const char* path, size_t* size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 256, len = 0;
  char* buf = malloc(cap);
  for (;;) {
    if (len + 1 >= cap) buf = realloc(buf, cap *= 2);
    ssize_t n = read(fd, buf + len, cap - len - 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += (size_t)n;
  }
  close(fd);
  buf[len] = '\0';
  *size = len;
  return buf;
}

static int give_terminal; /* interactive mode: the program gets a session with the console as its terminal */

/* Start argv[0] (argv NULL: a child that just exits, to warm up). Returns the child's pid, or -1. */
static pid_t start(char* const argv[]) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  if (argv == NULL) _exit(0);
  if (give_terminal && setsid() >= 0) ioctl(0, TIOCSCTTY, 1); /* 1: take it from the last shell's session */
  execve(argv[0], argv, environment);
  say(2, "init: cannot execute ");
  say(2, argv[0]);
  say(2, ": ");
  say(2, strerror(errno));
  say(2, "\n");
  _exit(127);
}

/* Reap children (orphans are ours too) until `main_pid` has exited, and then, if `all`, until none is left.
 * Returns the wait status of `main_pid`. */
static int reap(pid_t main_pid, int all) {
  int main_status = 0, main_done = 0;
  while (all || !main_done) {
    int status;
    pid_t pid = wait4(-1, &status, 0, NULL);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break; /* ECHILD: nobody left */
    }
    if (pid == main_pid) {
      main_status = status;
      main_done = 1;
    }
  }
  return main_status;
}

/* Start a program and wait for it (and, if `all`, for every other child too). Runner mode uses it for the
 * warm-up too, so that the same code, stack and heap pages are touched before the baseline is taken. */
static int run_once(char* const argv[], int all) {
  pid_t pid = start(argv);
  if (pid < 0) {
    say(2, "init: fork failed\n");
    return 127 << 8; /* as if the program had exited 127 */
  }
  return reap(pid, all);
}

static void touch_stack(void) {
  volatile char page[16384];
  for (size_t i = 0; i < sizeof page; i += 512) page[i] = 0;
}

static int runner_mode(char* file, size_t size) {
  char* argv[MAX_ARGS + 1];
  int argc = 0;
  for (size_t i = 0; i < size && argc < MAX_ARGS; i += strlen(file + i) + 1) argv[argc++] = file + i;
  argv[argc] = NULL;
  if (argc == 0) {
    say(2, "init: " RUN_ARGV_PATH " is empty\n");
    return 127;
  }

  /* Warm-up: fork once and touch the stack, so init's own page tables and stack do not grow later. */
  touch_stack();
  run_once(NULL, 1);
  unsigned long long before = free_memory();

  int status = run_once(argv, 1);

  unsigned long long after = free_memory();
  if (after < before) {
    char msg[256];
    snprintf(msg, sizeof msg, "init: frame leak: %llu KiB not returned after running %s\n", (before - after) / 1024,
             argv[0]);
    say(2, msg);
    return 125;
  }
  return status_code(status);
}

static void print_motd(void) {
  size_t size;
  char* motd = read_file("/etc/motd", &size);
  if (!motd) return;
  say(1, motd);
  free(motd);
}

static void interactive_mode(void) {
  char* sh_argv[] = {"/bin/sh", NULL};
  print_motd();
  give_terminal = 1;
  for (;;) {
    int status = run_once(sh_argv, 0); /* orphaned background jobs may live on: don't wait for them */
    char msg[128];
    snprintf(msg, sizeof msg, "init: shell exited (status %d); starting a new one\n", status_code(status));
    say(1, msg);
    if (status_code(status) == 127) sleep(1); /* no /bin/sh? don't spin */
  }
}

int main(void) {
  size_t size;
  char* file = read_file(RUN_ARGV_PATH, &size);
  if (file) return runner_mode(file, size);
  interactive_mode();
  return 0;
}
