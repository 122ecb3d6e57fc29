/* clone_share: what clone(2) shares besides memory, and unshare(2) and exec taking it back, as Linux 6.1:
 *   - CLONE_FILES: a process sharing the caller's descriptor table; a descriptor the child opens or closes is
 *     opened or closed for the parent; without it, the child's close leaves the parent's open
 *   - exec in a process that shares its table closes its close-on-exec descriptors in a copy of its own: the
 *     parent's stay open (Linux's unshare_files)
 *   - CLONE_FS: a shared working directory and umask (chdir and umask in the child are the parent's); without
 *     it the child's chdir is its own
 *   - umask(2) returns the old mask; created files and directories get mode & ~umask; /proc/self/status shows it
 *   - CLONE_SIGHAND (with CLONE_VM) without CLONE_THREAD: a handler the child installs is the parent's; the
 *     child's exec resets its own handlers only, and afterwards the two tables are separate
 *   - CLONE_PARENT: the child is the caller's sibling (getppid is the caller's parent, which reaps it)
 *   - unshare(CLONE_FILES) and unshare(CLONE_FS) in a thread (the table and context are each thread's):
 *     the thread's close and chdir no longer reach the other threads
 *   - a thread cloned with CLONE_THREAD but without CLONE_FILES gets a copy of the table
 *   - unshare(CLONE_SIGHAND) EINVAL while another process shares the actions; unshare(CLONE_VM) EINVAL while
 *     another process shares the memory and in a process with several threads
 * qemu-user 7.2 refuses CLONE_VM without the thread flags (EINVAL): kernel-only. Checked on Linux 6.1
 * (reference-linux run.sh, 1 hart).
 * TEST: kernel-only
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define STACK_SIZE (64 * 1024)
static char stacks[2][STACK_SIZE] __attribute__((aligned(16)));
static void* stack_top(int i) { return stacks[i] + STACK_SIZE; }
static char* argv0;

static int is_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

static volatile int opened_fd = -1;
static int open_and_close(void* arg) {
  int to_close = (int)(long)arg;
  opened_fd = open("/dev/null", O_RDONLY);
  return close(to_close) == 0 && opened_fd >= 0 ? 0 : 1;
}

static int chdir_and_umask(void* arg) {
  (void)arg;
  if (chdir("/tmp") != 0) return 1;
  umask(077);
  return 0;
}

static int exec_self(void* arg) {
  char* args[] = {argv0, (char*)arg, NULL};
  execv(argv0, args);
  return 127;
}

static volatile int handled;
static void on_usr1(int sig) { (void)sig; handled++; }
static int install_handler(void* arg) {
  (void)arg;
  struct sigaction sa = {0};
  sa.sa_handler = on_usr1;
  return sigaction(SIGUSR1, &sa, NULL) == 0 ? 0 : 1;
}
static int ignore_usr2(void* arg) {
  (void)arg;
  return signal(SIGUSR2, SIG_IGN) == SIG_ERR ? 1 : 0;
}

static void* handler_of(int sig) {
  struct sigaction sa;
  return sigaction(sig, NULL, &sa) == 0 ? (void*)sa.sa_handler : (void*)-1;
}

static int report_parent(void* arg) {
  int fd = (int)(long)arg;
  pid_t pp = getppid();
  return write(fd, &pp, sizeof pp) == sizeof pp ? 9 : 1;
}

struct thread_job {
  int fd;
  int closed;
  int chdir_ok;
};
static void* unsharing_thread(void* arg) {
  struct thread_job* job = arg;
  if (unshare(CLONE_FILES | CLONE_FS) != 0) return (void*)1;
  job->closed = close(job->fd) == 0;
  job->chdir_ok = chdir("/tmp") == 0;
  return NULL;
}

static volatile int thread_closed = -1;
static int close_in_thread(void* arg) {
  thread_closed = close((int)(long)arg);
  syscall(SYS_exit, 0);  /* the thread alone */
  return 0;
}

static int wait_gate(void* arg) {
  char c;
  return read((int)(long)arg, &c, 1) == 1 ? 0 : 1;
}

static volatile int parked;
static void* park(void* arg) {
  (void)arg;
  while (!parked) sched_yield();
  return NULL;
}

static int read_umask_line(char* out, size_t size) {
  int fd = open("/proc/self/status", O_RDONLY);
  if (fd < 0) return -1;
  char text[2048];
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return -1;
  text[n] = '\0';
  char* line = strstr(text, "Umask:\t");
  if (!line) return -1;
  size_t i = 0;
  for (line += 7; *line && *line != '\n' && i + 1 < size; line++) out[i++] = *line;
  out[i] = '\0';
  return 0;
}

static int threads_now(void) {
  int fd = open("/proc/self/status", O_RDONLY);
  if (fd < 0) return -1;
  char text[2048];
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return -1;
  text[n] = '\0';
  char* line = strstr(text, "Threads:\t");
  return line ? atoi(line + 9) : -1;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--exit") == 0) return 0;
  if (argc > 1 && strcmp(argv[1], "--check-fd") == 0) return is_open(100) ? 3 : 0;  /* closed on exec */
  tl_init(argc, argv);
  argv0 = argv[0];
  int status;

  /* 1. CLONE_FILES: the child's open and close are the parent's. */
  int fd = open("/dev/null", O_RDONLY);
  CHECK(fd >= 0);
  pid_t c = clone(open_and_close, stack_top(0), CLONE_VM | CLONE_FILES | SIGCHLD, (void*)(long)fd);
  CHECK(c > 0 && waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(!is_open(fd));  /* (the child opened before it closed: another number) */
  CHECK(opened_fd >= 0 && opened_fd != fd && is_open(opened_fd));
  close(opened_fd);
  fd = open("/dev/null", O_RDONLY);
  opened_fd = -1;
  c = clone(open_and_close, stack_top(0), CLONE_VM | SIGCHLD, (void*)(long)fd);
  CHECK(c > 0 && waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(is_open(fd));
  CHECK(opened_fd != fd || is_open(opened_fd));
  tl_say("CLONE_FILES: the child's open and close are the parent's; without it, not\n");

  /* 2. exec in a process sharing the table closes its close-on-exec descriptors in a copy of its own. */
  CHECK(dup3(fd, 100, O_CLOEXEC) == 100);
  c = clone(exec_self, stack_top(0), CLONE_VM | CLONE_FILES | CLONE_VFORK | SIGCHLD, "--check-fd");
  CHECK(c > 0 && waitpid(c, &status, 0) == c && WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  /* the new program does not have it */
  CHECK(is_open(100));             /* the parent still does */
  close(100);
  close(fd);
  tl_say("exec with a shared table: its close-on-exec descriptors close, the parent's stay\n");

  /* 3. CLONE_FS: working directory and umask shared. */
  CHECK(chdir("/") == 0);
  mode_t old = umask(022);
  c = clone(chdir_and_umask, stack_top(0), CLONE_VM | CLONE_FS | SIGCHLD, NULL);
  CHECK(c > 0 && waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  char cwd[256];
  CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/tmp") == 0);
  CHECK(umask(022) == 077);
  CHECK(chdir("/") == 0);
  c = clone(chdir_and_umask, stack_top(0), CLONE_VM | SIGCHLD, NULL);
  CHECK(c > 0 && waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0);
  CHECK(umask(022) == 022);
  tl_say("CLONE_FS: the child's chdir and umask are the parent's; without it, not\n");

  /* 4. umask: the old value back, created modes masked, /proc/self/status. */
  CHECK(old == 022);
  CHECK(umask(027) == 022);
  char line[16];
  CHECK(read_umask_line(line, sizeof line) == 0 && strcmp(line, "0027") == 0);
  unlink("/tmp/clone_share_f");
  rmdir("/tmp/clone_share_d");
  int f = open("/tmp/clone_share_f", O_CREAT | O_WRONLY | O_EXCL, 0666);
  CHECK(f >= 0);
  close(f);
  CHECK(mkdir("/tmp/clone_share_d", 0777) == 0);
  struct stat st;
  CHECK(stat("/tmp/clone_share_f", &st) == 0 && (st.st_mode & 07777) == 0640);
  CHECK(stat("/tmp/clone_share_d", &st) == 0 && (st.st_mode & 07777) == 0750);
  CHECK(unlink("/tmp/clone_share_f") == 0 && rmdir("/tmp/clone_share_d") == 0);
  CHECK(umask(0) == 027);
  f = open("/tmp/clone_share_f", O_CREAT | O_WRONLY | O_EXCL, 0666);
  CHECK(f >= 0 && fstat(f, &st) == 0 && (st.st_mode & 07777) == 0666);
  close(f);
  unlink("/tmp/clone_share_f");
  CHECK(umask(022) == 0);
  tl_say("umask: returns the old mask, masks created files and directories, /proc/self/status Umask\n");

  /* 5. CLONE_SIGHAND: the child's sigaction is the parent's, until the child execs. */
  CHECK(handler_of(SIGUSR1) == (void*)SIG_DFL);
  c = clone(install_handler, stack_top(0), CLONE_VM | CLONE_SIGHAND | SIGCHLD, NULL);
  CHECK(c > 0 && waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(handler_of(SIGUSR1) == (void*)on_usr1);
  CHECK(kill(getpid(), SIGUSR1) == 0 && handled == 1);
  c = clone(exec_self, stack_top(0), CLONE_VM | CLONE_SIGHAND | CLONE_VFORK | SIGCHLD, "--exit");
  CHECK(c > 0 && waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(handler_of(SIGUSR1) == (void*)on_usr1);  /* the child's exec reset its own copy */
  signal(SIGUSR1, SIG_DFL);
  c = clone(ignore_usr2, stack_top(0), CLONE_VM | SIGCHLD, NULL);
  CHECK(c > 0 && waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(handler_of(SIGUSR2) == (void*)SIG_DFL);
  tl_say("CLONE_SIGHAND: the child's handler is the parent's; its exec resets only its own; without it, not\n");

  /* 6. CLONE_PARENT: a sibling, reaped by the caller's parent. */
  int report[2], parent_report[2];
  CHECK(pipe(report) == 0 && pipe(parent_report) == 0);
  fflush(stdout);
  pid_t middle = fork();
  if (middle == 0) {
    close(report[0]);
    close(parent_report[0]);
    pid_t s = clone(report_parent, stack_top(0), CLONE_PARENT | SIGCHLD, (void*)(long)parent_report[1]);
    if (s <= 0) _exit(1);
    if (write(report[1], &s, sizeof s) != sizeof s) _exit(1);
    _exit(waitpid(s, NULL, WNOHANG) == -1 && errno == ECHILD ? 0 : 2);
  }
  close(report[1]);
  close(parent_report[1]);
  CHECK(middle > 0 && waitpid(middle, &status, 0) == middle && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  pid_t sibling = 0, its_parent = 0;
  CHECK(read(report[0], &sibling, sizeof sibling) == sizeof sibling);
  CHECK(read(parent_report[0], &its_parent, sizeof its_parent) == sizeof its_parent);
  close(report[0]);
  close(parent_report[0]);
  CHECK(its_parent == getpid());
  CHECK(waitpid(sibling, &status, 0) == sibling && WIFEXITED(status) && WEXITSTATUS(status) == 9);
  tl_say("CLONE_PARENT: the child's parent is the caller's, which reaps it\n");

  /* 7. unshare in a thread: its close and chdir stay its own. */
  CHECK(chdir("/") == 0);
  struct thread_job job = {.fd = open("/dev/null", O_RDONLY)};
  CHECK(job.fd >= 0);
  pthread_t th;
  CHECK(pthread_create(&th, NULL, unsharing_thread, &job) == 0);
  void* ret;
  CHECK(pthread_join(th, &ret) == 0 && ret == NULL);
  CHECK(job.closed && job.chdir_ok);
  CHECK(is_open(job.fd));
  CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0);
  tl_say("unshare(CLONE_FILES | CLONE_FS) in a thread: its close and chdir are its own\n");

  /* 8. A thread without CLONE_FILES gets a copy of the table. */
  static volatile pid_t ctid = -1;
  c = clone(close_in_thread, stack_top(1),
            CLONE_VM | CLONE_FS | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_CHILD_CLEARTID, (void*)(long)job.fd,
            NULL, NULL, &ctid);
  CHECK(c > 0);
  while (ctid != 0) syscall(SYS_futex, &ctid, 0 /* FUTEX_WAIT */, ctid, NULL, NULL, 0);
  CHECK(thread_closed == 0);
  CHECK(is_open(job.fd));
  close(job.fd);
  tl_say("CLONE_THREAD without CLONE_FILES: the thread closes its own copy\n");

  /* 9. What cannot be unshared while shared: EINVAL. (A thread's CLEARTID word is cleared before the thread
   * has quite left its group: wait until /proc says it has.) */
  for (int i = 0; i < 200 && threads_now() != 1; i++) tl_sleep_ms(10);
  CHECK(threads_now() == 1);
  CHECK(unshare(CLONE_SIGHAND) == 0);  /* nobody shares them now */
  CHECK(unshare(CLONE_VM) == 0);
  int gate[2];
  CHECK(pipe(gate) == 0);
  c = clone(wait_gate, stack_top(0), CLONE_VM | CLONE_SIGHAND | SIGCHLD, (void*)(long)gate[0]);
  CHECK(c > 0);
  CHECK_ERRNO(unshare(CLONE_SIGHAND), EINVAL);
  CHECK_ERRNO(unshare(CLONE_VM), EINVAL);
  CHECK(write(gate[1], "x", 1) == 1);
  CHECK(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(gate[0]);
  close(gate[1]);
  CHECK(unshare(CLONE_SIGHAND) == 0);
  CHECK(unshare(CLONE_VM) == 0);
  parked = 0;
  CHECK(pthread_create(&th, NULL, park, NULL) == 0);
  CHECK(threads_now() == 2);  /* (/proc/self/status Threads) */
  CHECK_ERRNO(unshare(CLONE_VM), EINVAL);
  CHECK_ERRNO(unshare(CLONE_SIGHAND), EINVAL);
  CHECK_ERRNO(unshare(CLONE_THREAD), EINVAL);
  CHECK(unshare(CLONE_FILES | CLONE_FS) == 0);
  parked = 1;
  CHECK(pthread_join(th, NULL) == 0);
  tl_say("unshare: CLONE_VM and CLONE_SIGHAND EINVAL while another process shares them or with another thread\n");
  return tl_done();
}
