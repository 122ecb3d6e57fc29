/* fork_wait_tree: fork, exec and wait.
 *   - a tree of processes (depth 3, fan-out 3: 40 processes); each node's exit status is the size of its
 *     subtree, collected with wait4 on each child's pid
 *   - exit statuses through wait4: WIFEXITED/WEXITSTATUS for 0, 1, 42, 127, 255, 256 (= 0), -1 (= 255),
 *     and for a status returned from main after exec
 *   - fork returns the child's pid in the parent and 0 in the child; getpid/getppid agree with it
 *   - wait4(-1) collects any child; WNOHANG returns 0 while the child runs; ECHILD without children
 *   - exec of this program with arguments (argv and the environment arrive intact, the pid stays the same)
 *   - orphans: when a process exits, its children are reparented to init (pid 1)
 */
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

/* In a node of the tree: fork `fanout` children that each build a tree of depth-1, wait for them (in reverse
 * order: the others are zombies meanwhile) and return the number of processes in this subtree (0 if
 * something was wrong, so that the sum at the root is off). */
static int tree(int depth, int fanout) {
  if (depth == 0) return 1;
  pid_t kids[8];
  for (int i = 0; i < fanout; i++) {
    kids[i] = fork();
    if (kids[i] == 0) _exit(tree(depth - 1, fanout));
    if (kids[i] < 0) return 0;
  }
  int total = 1;
  for (int i = fanout - 1; i >= 0; i--) {
    int status;
    if (wait4(kids[i], &status, 0, NULL) != kids[i] || !WIFEXITED(status)) return 0;
    total += WEXITSTATUS(status);
  }
  return total;
}

static void process_tree(void) {
  int total = tree(3, 3);
  tl_say("tree: %d processes\n", total);
  CHECK(total == 1 + 3 + 9 + 27);
}

static int exit_status_of(int code) {
  pid_t pid = fork();
  if (pid == 0) _exit(code);
  int status = -1;
  CHECK(wait4(pid, &status, 0, NULL) == pid);
  CHECK(WIFEXITED(status) && !WIFSIGNALED(status));
  return WEXITSTATUS(status);
}

static void exit_statuses(void) {
  CHECK(exit_status_of(0) == 0);
  CHECK(exit_status_of(1) == 1);
  CHECK(exit_status_of(42) == 42);
  CHECK(exit_status_of(127) == 127);
  CHECK(exit_status_of(255) == 255);
  CHECK(exit_status_of(256) == 0); /* only the low 8 bits */
  CHECK(exit_status_of(-1) == 255);
  tl_say("exit statuses: ok\n");
}

static void pids(void) {
  pid_t me = getpid();
  int fds[2];
  CHECK(pipe(fds) == 0);
  pid_t child = fork();
  if (child == 0) {
    pid_t mine = getpid();
    write(fds[1], &mine, sizeof mine);
    _exit(getppid() == me && mine != me ? 0 : 1);
  }
  pid_t reported = 0;
  CHECK(read(fds[0], &reported, sizeof reported) == sizeof reported);
  CHECK(reported == child);
  int status;
  CHECK(wait4(child, &status, 0, NULL) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(fds[0]);
  close(fds[1]);
  CHECK(child > 0 && child != me);
  tl_say("getpid/getppid: ok\n");
}

static void wait_any_and_nohang(void) {
  /* wait4(-1) returns each child once, in whatever order they finish. */
  pid_t kids[3];
  for (int i = 0; i < 3; i++)
    if ((kids[i] = fork()) == 0) _exit(10 + i);
  int seen = 0;
  for (int n = 0; n < 3; n++) {
    int status;
    pid_t pid = wait4(-1, &status, 0, NULL);
    for (int i = 0; i < 3; i++)
      if (pid == kids[i] && WIFEXITED(status) && WEXITSTATUS(status) == 10 + i) seen |= 1 << i;
  }
  CHECK(seen == 7);
  CHECK_ERRNO(wait4(-1, NULL, 0, NULL), ECHILD);
  CHECK_ERRNO(wait4(getppid(), NULL, 0, NULL), ECHILD); /* not our child */

  /* WNOHANG: 0 while the child is blocked reading a pipe; the child's status once we close the pipe. */
  int fds[2];
  CHECK(pipe(fds) == 0);
  pid_t child = fork();
  if (child == 0) {
    char c;
    close(fds[1]);
    _exit(read(fds[0], &c, 1) == 0 ? 3 : 4);
  }
  close(fds[0]);
  int status = 0;
  CHECK(wait4(child, &status, WNOHANG, NULL) == 0);
  CHECK(wait4(-1, &status, WNOHANG, NULL) == 0);
  close(fds[1]);
  CHECK(wait4(child, &status, 0, NULL) == child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
  CHECK_ERRNO(wait4(-1, &status, WNOHANG, NULL), ECHILD);
  tl_say("wait4 any, WNOHANG, ECHILD: ok\n");
}

/* Run as "fork_wait_tree args one 'two words' ''": check the arguments and the environment. */
static int exec_child_args(int argc, char** argv) {
  int ok = argc == 5 && strcmp(argv[2], "one") == 0 && strcmp(argv[3], "two words") == 0 && argv[4][0] == '\0' &&
           argv[5] == NULL;
  const char* var = getenv("FORK_WAIT_TREE_VAR");
  ok = ok && var && strcmp(var, "from the parent") == 0;
  tl_say("exec'd child: %d arguments, %s\n", argc - 1, ok ? "as sent" : "WRONG");
  return ok ? 42 : 1; /* returned from main: the exit status */
}

/* Run as "fork_wait_tree pid PID PPID": the pid survived the exec. */
static int exec_child_pid(char** argv) {
  return getpid() == atoi(argv[2]) && getppid() == atoi(argv[3]) ? 0 : 1;
}

static void exec_self(void) {
  setenv("FORK_WAIT_TREE_VAR", "from the parent", 1);
  int status = tl_run_self((char*[]){"args", "one", "two words", "", NULL});
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42);
  unsetenv("FORK_WAIT_TREE_VAR");

  pid_t child = fork();
  if (child == 0) {
    char pid[16], ppid[16];
    snprintf(pid, sizeof pid, "%d", getpid());
    snprintf(ppid, sizeof ppid, "%d", getppid());
    tl_execv(tl_self(), (char*[]){(char*)tl_self(), "pid", pid, ppid, NULL});
    _exit(127);
  }
  CHECK(wait4(child, &status, 0, NULL) == child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("exec: arguments, environment and pid ok\n");
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

/* A child forks a grandchild and exits; the grandchild waits until its parent is gone and reports, through
 * a pipe, whether its new parent is init ('1'), someone else ('o'), or still the old one ('n'). */
static void orphans(void) {
  int fds[2];
  CHECK(pipe(fds) == 0);
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    pid_t me = getpid();
    pid_t grandchild = fork();
    if (grandchild == 0) {
      for (int i = 0; i < 5000 && getppid() == me; i++) sleep_ms(1);
      pid_t parent = getppid();
      char verdict = parent == 1 ? '1' : parent == me ? 'n' : 'o';
      write(fds[1], &verdict, 1);
      _exit(0);
    }
    _exit(grandchild > 0 ? 0 : 1);
  }
  close(fds[1]);
  int status;
  CHECK(wait4(child, &status, 0, NULL) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  char verdict = 0;
  CHECK(read(fds[0], &verdict, 1) == 1);
  CHECK(verdict != 'n');
  if (!KNOWN_QEMU_USER_DIFFERENCE("orphans go to the host's init or a subreaper, whose pid need not be 1"))
    CHECK(verdict == '1');
  char c;
  CHECK(read(fds[0], &c, 1) == 0); /* EOF: the grandchild has exited (init reaps it) */
  close(fds[0]);
  tl_say("orphan: reparented to init\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "args") == 0) return exec_child_args(argc, argv);
  if (argc == 4 && strcmp(argv[1], "pid") == 0) return exec_child_pid(argv);
  process_tree();
  exit_statuses();
  pids();
  wait_any_and_nohang();
  exec_self();
  orphans();
  return tl_done();
}
