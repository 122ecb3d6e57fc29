/* fs_locks: advisory file locks as Linux gives them (fcntl(2) record and open-file-description locks, flock(2)).
 *   - F_SETLK/F_GETLK: another process's conflicting lock is EAGAIN, and F_GETLK describes it (type, range from
 *     SEEK_SET, length 0 for "to the end", the holder's pid); read locks share; ranges split and merge per owner;
 *     SEEK_CUR/SEEK_END and a negative length; EBADF for a lock the descriptor's mode does not allow, EINVAL for a
 *     bad type, whence or start
 *   - record locks go when their process closes any descriptor of the file, and at exit; a fork child has none
 *   - F_SETLKW waits for the holder; a signal interrupts it (EINTR); a cycle of two waiting processes is
 *     EDEADLK for exactly one of them
 *   - F_OFD_*: owned by the open file (two opens conflict even in one process, dup and fork share), l_pid -1,
 *     l_pid must be 0 (EINVAL), they conflict with record locks, close of another descriptor keeps them
 *   - flock: LOCK_SH shares, LOCK_EX excludes (EWOULDBLOCK with LOCK_NB), owned by the open file, independent of
 *     fcntl locks, a blocking LOCK_EX waits for the holder's close; EINVAL for a bad operation
 * The file lives in the directory given as the argument (default /tmp).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static char path[256];

static int set(int fd, int cmd, short type, short whence, off_t start, off_t len) {
  struct flock f = {.l_type = type, .l_whence = whence, .l_start = start, .l_len = len};
  return fcntl(fd, cmd, &f);
}

/* F_GETLK (or F_OFD_GETLK) for [start, start + len): the lock that would be in the way, or l_type F_UNLCK. */
static struct flock get(int fd, int cmd, short type, off_t start, off_t len) {
  struct flock f = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  CHECK(fcntl(fd, cmd, &f) == 0);
  return f;
}

static int open_file(int flags) {
  int fd = open(path, flags);
  CHECK(fd >= 0);
  return fd;
}

/* Runs fn in a child process; returns its exit status (fn's return value). */
static int in_child(int (*fn)(void)) {
  pid_t pid = fork();
  if (pid == 0) _exit(fn());
  int status = -1;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static pid_t parent_pid;

/* The parent holds W[0,100) and R[200, end): what the child sees. */
static int child_sees_parent_locks(void) {
  int fd = open_file(O_RDWR);
  int bad = 0;
  struct flock f = get(fd, F_GETLK, F_WRLCK, 50, 10);
  bad |= !(f.l_type == F_WRLCK && f.l_whence == SEEK_SET && f.l_start == 0 && f.l_len == 100 && f.l_pid == parent_pid);
  f = get(fd, F_GETLK, F_WRLCK, 300, 1);
  bad |= !(f.l_type == F_RDLCK && f.l_start == 200 && f.l_len == 0 && f.l_pid == parent_pid) << 1;
  f = get(fd, F_GETLK, F_RDLCK, 300, 1);  /* reading is not in a read lock's way */
  bad |= !(f.l_type == F_UNLCK) << 1;
  f = get(fd, F_GETLK, F_WRLCK, 100, 100);
  bad |= !(f.l_type == F_UNLCK);
  errno = 0;
  bad |= !(set(fd, F_SETLK, F_WRLCK, SEEK_SET, 99, 1) == -1 && (errno == EAGAIN || errno == EACCES));
  bad |= !(set(fd, F_SETLK, F_RDLCK, SEEK_SET, 250, 10) == 0);  /* read locks share */
  bad |= !(set(fd, F_SETLK, F_WRLCK, SEEK_SET, 100, 100) == 0); /* the gap is free */
  return bad;
}

/* The parent unlocked [40,60) of its W[0,100), then took R[50,55) (a split, then a lock in the hole). */
static int child_sees_split(void) {
  int fd = open_file(O_RDWR);
  int bad = 0;
  struct flock f = get(fd, F_GETLK, F_WRLCK, 45, 10);
  bad |= !(f.l_type == F_RDLCK && f.l_start == 50 && f.l_len == 5);
  f = get(fd, F_GETLK, F_WRLCK, 40, 10);  /* the hole between them */
  bad |= !(f.l_type == F_UNLCK);
  f = get(fd, F_GETLK, F_WRLCK, 30, 12);
  bad |= !(f.l_type == F_WRLCK && f.l_start == 0 && f.l_len == 40);
  f = get(fd, F_GETLK, F_WRLCK, 58, 10);
  bad |= !(f.l_type == F_WRLCK && f.l_start == 60 && f.l_len == 40);
  f = get(fd, F_GETLK, F_RDLCK, 40, 21);  /* a read lock is in the way of nothing read */
  bad |= !(f.l_type == F_WRLCK && f.l_start == 60);
  bad |= !(set(fd, F_SETLK, F_RDLCK, SEEK_SET, 50, 5) == 0);
  bad |= !(set(fd, F_SETLK, F_WRLCK, SEEK_SET, 44, 6) == 0);
  return bad;
}

/* The parent merged W[0,10) and W[10,20) then took R[5,15): W[0,5) R[5,15) W[15,20). */
static int child_sees_merge(void) {
  int fd = open_file(O_RDWR);
  int bad = 0;
  struct flock f = get(fd, F_GETLK, F_WRLCK, 0, 3);
  bad |= !(f.l_type == F_WRLCK && f.l_start == 0 && f.l_len == 5);
  f = get(fd, F_GETLK, F_WRLCK, 5, 1);
  bad |= !(f.l_type == F_RDLCK && f.l_start == 5 && f.l_len == 10);
  f = get(fd, F_GETLK, F_RDLCK, 0, 0);  /* the first write lock from 0 on */
  bad |= !(f.l_type == F_WRLCK && f.l_start == 0 && f.l_len == 5);
  f = get(fd, F_GETLK, F_RDLCK, 6, 0);
  bad |= !(f.l_type == F_WRLCK && f.l_start == 15 && f.l_len == 5);
  return bad;
}

static int child_finds_no_lock(void) {
  int fd = open_file(O_RDWR);
  struct flock f = get(fd, F_GETLK, F_WRLCK, 0, 0);
  return f.l_type != F_UNLCK;
}

static void record_locks(void) {
  parent_pid = getpid();
  int fd = open_file(O_RDWR);
  CHECK(set(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100) == 0);
  CHECK(set(fd, F_SETLK, F_RDLCK, SEEK_SET, 200, 0) == 0);
  CHECK(set(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100) == 0); /* again: nothing changes */
  CHECK(get(fd, F_GETLK, F_WRLCK, 0, 0).l_type == F_UNLCK); /* one's own locks are never in the way */
  CHECK(in_child(child_sees_parent_locks) == 0);
  tl_say("F_SETLK/F_GETLK: another process's lock is EAGAIN and described; read locks share\n");

  CHECK(set(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0) == 0);
  CHECK(set(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100) == 0);
  CHECK(set(fd, F_SETLK, F_UNLCK, SEEK_SET, 40, 20) == 0);
  CHECK(set(fd, F_SETLK, F_RDLCK, SEEK_SET, 50, 5) == 0);
  CHECK(in_child(child_sees_split) == 0);
  CHECK(set(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0) == 0);
  CHECK(set(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10) == 0);
  CHECK(set(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, 10) == 0);
  CHECK(set(fd, F_SETLK, F_RDLCK, SEEK_SET, 5, 10) == 0);
  CHECK(in_child(child_sees_merge) == 0);
  tl_say("an owner's ranges split, merge and change type\n");

  CHECK(set(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0) == 0);
  CHECK(lseek(fd, 30, SEEK_SET) == 30);
  CHECK(set(fd, F_SETLK, F_WRLCK, SEEK_CUR, -10, 5) == 0);  /* [20, 25) */
  CHECK(set(fd, F_SETLK, F_WRLCK, SEEK_SET, 40, -5) == 0);  /* [35, 40) */
  CHECK(ftruncate(fd, 1000) == 0);
  CHECK(set(fd, F_SETLK, F_WRLCK, SEEK_END, -1, 1) == 0);   /* [999, 1000) */
  int other = open_file(O_RDWR);
  pid_t pid = fork();
  if (pid == 0) {
    struct flock f = get(other, F_GETLK, F_WRLCK, 0, 0);
    int bad = !(f.l_start == 20 && f.l_len == 5);
    f = get(other, F_GETLK, F_WRLCK, 26, 0);
    bad |= !(f.l_start == 35 && f.l_len == 5);
    f = get(other, F_GETLK, F_WRLCK, 41, 0);
    bad |= !(f.l_start == 999 && f.l_len == 1);
    _exit(bad);
  }
  int status;
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("SEEK_CUR, SEEK_END and a negative length\n");

  int rd = open_file(O_RDONLY), wr = open_file(O_WRONLY);
  CHECK_ERRNO(set(rd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), EBADF);
  CHECK_ERRNO(set(wr, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), EBADF);
  CHECK(set(rd, F_SETLK, F_RDLCK, SEEK_SET, 500, 1) == 0);
  CHECK_ERRNO(set(fd, F_SETLK, 7, SEEK_SET, 0, 1), EINVAL);
  CHECK_ERRNO(set(fd, F_SETLK, F_WRLCK, 9, 0, 1), EINVAL);
  CHECK_ERRNO(set(fd, F_SETLK, F_WRLCK, SEEK_SET, -1, 1), EINVAL);
  CHECK_ERRNO(set(fd, F_SETLK, F_WRLCK, SEEK_SET, 3, -4), EINVAL);
  struct flock unl = {.l_type = F_UNLCK};
  CHECK_ERRNO(fcntl(fd, F_GETLK, &unl), EINVAL);
  CHECK_ERRNO(fcntl(fd, F_SETLK, (struct flock*)8), EFAULT);
  tl_say("EBADF for the descriptor's mode, EINVAL for a bad type, whence or start, EFAULT\n");

  /* Closing any descriptor of the file releases all of the process's record locks on it. */
  CHECK(close(wr) == 0);
  CHECK(in_child(child_finds_no_lock) == 0);
  CHECK(close(rd) == 0 && close(other) == 0 && close(fd) == 0);
  tl_say("record locks go with the process's first close of the file\n");
}

/* A child's lock on [0, 10): says so on `ready`, then exits after 150 ms, or once `release` has a byte. */
static void hold_then_exit(int fd, int ready, int release) {
  CHECK(set(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10) == 0);
  CHECK(write(ready, "x", 1) == 1);
  char c;
  if (release >= 0) CHECK(read(release, &c, 1) == 1);
  else usleep(150 * 1000);
  _exit(tl_failures != 0);
}

static volatile int alarms;
static void on_alarm(int sig) {
  (void)sig;
  alarms++;
}

static void waiting(void) {
  int fd = open_file(O_RDWR);
  int pipefd[2], release[2];
  CHECK(pipe(pipefd) == 0 && pipe(release) == 0);
  pid_t pid = fork();
  if (pid == 0) hold_then_exit(fd, pipefd[1], -1);
  char c;
  CHECK(read(pipefd[0], &c, 1) == 1);
  CHECK(set(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, 1) == -1 && (errno == EAGAIN || errno == EACCES));
  CHECK(set(fd, F_SETLKW, F_WRLCK, SEEK_SET, 5, 1) == 0);  /* waits for the holder's exit */
  CHECK(waitpid(pid, NULL, 0) == pid);
  tl_say("F_SETLKW waits until the holder exits\n");

  /* A signal with a handler (no SA_RESTART) interrupts the wait: EINTR. */
  CHECK(set(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0) == 0);
  pid = fork();
  if (pid == 0) hold_then_exit(fd, pipefd[1], release[0]);
  CHECK(read(pipefd[0], &c, 1) == 1);
  struct sigaction sa = {.sa_handler = on_alarm};
  CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
  struct itimerval t = {.it_value = {.tv_usec = 30 * 1000}};
  CHECK(setitimer(ITIMER_REAL, &t, NULL) == 0);
  CHECK_ERRNO(set(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1), EINTR);
  CHECK(alarms == 1);
  CHECK(write(release[1], "r", 1) == 1);
  int status;
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  signal(SIGALRM, SIG_DFL);
  tl_say("a signal interrupts F_SETLKW: EINTR\n");

  /* Deadlock: the parent holds [0,1), the child [1,2); each then waits for the other's byte. Whoever asks second
   * closes the cycle: EDEADLK for exactly one of them (the other gets its lock once the loser lets go). */
  CHECK(set(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1) == 0);
  pid = fork();
  if (pid == 0) {
    int r = set(fd, F_SETLK, F_WRLCK, SEEK_SET, 1, 1);
    CHECK(write(pipefd[1], "x", 1) == 1);
    r = set(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
    _exit(r == 0 ? 0 : errno == EDEADLK ? 1 : 2);  /* exit releases [1,2) */
  }
  CHECK(read(pipefd[0], &c, 1) == 1);
  usleep(20 * 1000);
  int mine = set(fd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1);
  int my_errno = errno;
  if (mine == -1) CHECK(set(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1) == 0);  /* let the child have it */
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
  int child = WEXITSTATUS(status);
  CHECK((mine == -1 && my_errno == EDEADLK && child == 0) || (mine == 0 && child == 1));
  tl_say("two processes waiting for each other: EDEADLK for one\n");
  CHECK(close(fd) == 0 && close(pipefd[0]) == 0 && close(pipefd[1]) == 0 && close(release[0]) == 0 &&
        close(release[1]) == 0);
}

static int child_blocked_by_ofd(void) {
  int fd = open_file(O_RDWR);
  struct flock f = get(fd, F_GETLK, F_WRLCK, 0, 0);
  int bad = !(f.l_type == F_WRLCK && f.l_start == 0 && f.l_len == 10 && f.l_pid == -1);
  return bad;
}

static void ofd_locks(void) {
  int a = open_file(O_RDWR), b = open_file(O_RDWR);
  CHECK(set(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10) == 0);
  CHECK(set(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1) == -1 && errno == EAGAIN);
  struct flock f = get(b, F_OFD_GETLK, F_RDLCK, 0, 0);
  CHECK(f.l_type == F_WRLCK && f.l_start == 0 && f.l_len == 10 && f.l_pid == -1);
  CHECK(set(b, F_SETLK, F_RDLCK, SEEK_SET, 9, 1) == -1 && errno == EAGAIN); /* record locks conflict with them */
  CHECK(set(b, F_SETLK, F_RDLCK, SEEK_SET, 10, 1) == 0);
  f = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_pid = 1};
  CHECK_ERRNO(fcntl(b, F_OFD_SETLK, &f), EINVAL);
  CHECK_ERRNO(fcntl(b, F_OFD_GETLK, &f), EINVAL);
  CHECK(in_child(child_blocked_by_ofd) == 0);
  int d = dup(a);
  CHECK(set(d, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10) == 0); /* the same open file: the same owner */
  CHECK(close(b) == 0);                                        /* another descriptor's close keeps them */
  CHECK(in_child(child_blocked_by_ofd) == 0);
  CHECK(close(a) == 0);
  CHECK(in_child(child_blocked_by_ofd) == 0);                  /* d still holds the open file */
  CHECK(close(d) == 0);
  CHECK(in_child(child_finds_no_lock) == 0);
  tl_say("F_OFD_*: owned by the open file, l_pid -1, conflicting with record locks\n");
}

static void flock_locks(void) {
  int a = open_file(O_RDONLY), b = open_file(O_RDONLY);
  CHECK(flock(a, LOCK_SH) == 0);
  CHECK(flock(b, LOCK_SH | LOCK_NB) == 0);
  CHECK_ERRNO(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);  /* (b's shared lock went: Linux drops it first) */
  CHECK(flock(a, LOCK_EX | LOCK_NB) == 0);                /* a converts: nobody else holds one now */
  CHECK_ERRNO(flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
  CHECK(set(b, F_SETLK, F_RDLCK, SEEK_SET, 0, 0) == 0);   /* fcntl locks are another world */
  CHECK_ERRNO(flock(a, 3), EINVAL);
  CHECK_ERRNO(flock(a, 0), EINVAL);
  CHECK_ERRNO(flock(-1, LOCK_SH), EBADF);
  pid_t pid = fork();
  if (pid == 0) {
    /* The child shares a's open file and so its lock: closing its copy of a does not release it. */
    int bad = flock(a, LOCK_EX | LOCK_NB) != 0;
    int c = open(path, O_RDONLY);
    bad |= !(flock(c, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK);
    _exit(bad);
  }
  int status;
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_ERRNO(flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
  tl_say("flock: shared and exclusive, owned by the open file, apart from fcntl locks\n");

  int pipefd[2];
  CHECK(pipe(pipefd) == 0);
  pid = fork();
  if (pid == 0) {
    CHECK(close(a) == 0);  /* the parent's a keeps the lock: the child waits for the parent */
    char c;
    CHECK(write(pipefd[1], "x", 1) == 1);
    int r = flock(b, LOCK_EX);
    _exit(r != 0 || read(pipefd[0], &c, 1) != 1 || c != 'u');
  }
  char c;
  CHECK(read(pipefd[0], &c, 1) == 1);
  usleep(50 * 1000);
  CHECK(write(pipefd[1], "u", 1) == 1);
  CHECK(close(a) == 0);  /* the last descriptor of a's open file: its lock goes, the child gets b's */
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(close(b) == 0 && close(pipefd[0]) == 0 && close(pipefd[1]) == 0);
  tl_say("a blocking LOCK_EX waits for the holder's last close\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  const char* dir = argc > 1 ? argv[1] : "/tmp";
  snprintf(path, sizeof path, "%s/fs_locks.%d", dir, getpid());
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0 && close(fd) == 0);
  record_locks();
  waiting();
  ofd_locks();
  flock_locks();
  CHECK(unlink(path) == 0);
  return tl_done();
}
