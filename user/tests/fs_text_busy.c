/* fs_text_busy: a running program's file cannot be written (ETXTBSY), as on Linux:
 *   while a process runs a copy of this program, open(O_WRONLY), open(O_RDWR) and open(O_RDONLY|O_TRUNC) of the
 *   file fail with ETXTBSY, open(O_RDONLY) works; a child that forked from it (without exec) keeps the file
 *   busy after the exec'd process has exited; once every process running it is gone, writing works again;
 *   and execve of a file someone holds open for writing fails with ETXTBSY, a script's too (a script is kept
 *   from writing only while exec reads it: the running interpreter does not hold it).
 * qemu-user runs programs as data of its own executable, so its host kernel never sees them as busy: there the
 * ETXTBSY checks are skipped (checked on Linux 6.1).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define COPY "/tmp/fs_text_busy_copy"
#define SCRIPT "/tmp/fs_text_busy_script"

/* The copy, run as "COPY hold FD_IN FD_OUT": forks a child that stays after it, writes one byte per process
 * ready, then both wait for a byte each (the child) or exit (the parent). */
static int hold(int in, int out) {
  pid_t child = fork();
  if (child < 0) return 2;
  char c = 'r';
  if (write(out, &c, 1) != 1) return 2;
  if (child == 0) {
    if (read(in, &c, 1) != 1) return 2;
    return 0;
  }
  return 0; /* the exec'd process leaves; its forked child still runs the file */
}

static int copy_self(void) {
  int from = open(tl_self(), O_RDONLY);
  int to = open(COPY, O_WRONLY | O_CREAT | O_TRUNC, 0755);
  if (from < 0 || to < 0) return -1;
  char buffer[4096];
  ssize_t n;
  while ((n = read(from, buffer, sizeof buffer)) > 0)
    if (write(to, buffer, n) != n) return -1;
  close(from);
  close(to);
  return n == 0 ? 0 : -1;
}

static void check_busy(const char* when, int busy) {
  int skip = busy && KNOWN_QEMU_USER_DIFFERENCE("qemu-user's host kernel does not see the program as running");
  if (!skip && busy) {
    CHECK_ERRNO(open(COPY, O_WRONLY), ETXTBSY);
    CHECK_ERRNO(open(COPY, O_RDWR), ETXTBSY);
    CHECK_ERRNO(open(COPY, O_RDONLY | O_TRUNC), ETXTBSY);
    CHECK_ERRNO(truncate(COPY, 0), ETXTBSY);
  } else if (!busy) {
    int fd = open(COPY, O_RDWR);
    CHECK(fd >= 0);
    close(fd);
  }
  int fd = open(COPY, O_RDONLY);
  CHECK(fd >= 0);
  close(fd);
  tl_say("%s: %s\n", when, busy ? "open for writing fails with ETXTBSY, for reading works" : "open for writing works");
}

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "hold") == 0) return hold(atoi(argv[2]), atoi(argv[3]));
  if (argc == 2 && strcmp(argv[1], "ran") == 0) return 3; /* an exec that should have failed */
  if (argc == 3 && strcmp(argv[1], "script") == 0) {      /* run as the script's interpreter */
    int fd = open(argv[2], O_WRONLY | O_APPEND);
    if (fd < 0) return 4;
    close(fd);
    return 0;
  }
  tl_init(argc, argv);
  CHECK(copy_self() == 0);
  check_busy("before it runs", 0);

  int to_child[2], from_child[2];
  CHECK(pipe(to_child) == 0 && pipe(from_child) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    char in[16], out[16];
    snprintf(in, sizeof in, "%d", to_child[0]);
    snprintf(out, sizeof out, "%d", from_child[1]);
    char* args[] = {COPY, "hold", in, out, NULL};
    tl_execv(COPY, args);
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  char c;
  CHECK(read(from_child[0], &c, 1) == 1 && read(from_child[0], &c, 1) == 1);
  check_busy("while it runs", 1);

  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  check_busy("after the exec'd process exited, its forked child still runs it", 1);

  CHECK(write(to_child[1], "x", 1) == 1);
  CHECK(read(from_child[0], &c, 1) == 0); /* the child exited: the pipe's last writer is gone */
  /* The child is init's now; wait until it has gone (its end of the pipe closes as it exits). */
  for (int i = 0; i < 200; i++) {
    int fd = open(COPY, O_WRONLY);
    if (fd >= 0) {
      close(fd);
      break;
    }
    usleep(10000);
  }
  check_busy("after every process running it has gone", 0);

  /* execve of a file open for writing. */
  int writer = open(COPY, O_WRONLY);
  CHECK(writer >= 0);
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user's host kernel does not see the program as running")) {
    char* args[] = {COPY, "ran", NULL};
    pid = fork();
    if (pid == 0) {
      execv(COPY, args);
      _exit(errno == ETXTBSY ? 0 : errno ? errno : 126);
    }
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  close(writer);
  tl_say("execve of a file open for writing: ETXTBSY\n");

  /* qemu-user cannot run a riscv64 script (it has no binfmt_misc here). */
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user cannot exec scripts")) {
    /* A script: ETXTBSY while open for writing; once it runs, it can be written (its interpreter is the program). */
    int script = open(SCRIPT, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    CHECK(script >= 0);
    char text[256];
    int length = snprintf(text, sizeof text, "#!%s script\n", COPY);
    CHECK(write(script, text, length) == length);
    pid = fork();
    if (pid == 0) {
      char* args[] = {SCRIPT, NULL};
      execv(SCRIPT, args);
      _exit(errno == ETXTBSY ? 0 : errno ? errno : 126);
    }
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(script);
    pid = fork();
    if (pid == 0) {
      char* args[] = {SCRIPT, NULL};
      tl_execv(SCRIPT, args);
      /* The reference Linux here is built without BINFMT_SCRIPT (ENOEXEC): Linux's exec_binprm lets the script
       * be written again once its interpreter is found (allow_write_access). Our kernel must run it. */
      _exit(errno == ENOEXEC && !tl_is_our_kernel() ? 0 : 127);
    }
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  tl_say("a script: ETXTBSY while open for writing; while it runs, it can be written\n");
  unlink(SCRIPT);
  unlink(COPY);
  return tl_done();
}
