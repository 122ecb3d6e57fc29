/* pipes: pipe2, dup, dup3, fcntl and close-on-exec.
 *   - pipe2 flags: without and with O_CLOEXEC (FD_CLOEXEC on both ends), O_NONBLOCK (EAGAIN when empty);
 *     F_GETFL is O_RDONLY / O_WRONLY for the two ends
 *   - data from parent to child and back (the child upper-cases it)
 *   - EOF only when every writer has closed (a child holding a dup of the write end keeps the pipe open)
 *   - a 1 MiB write, much larger than the 64 KiB pipe, completes in one write() while a child reads it
 *   - writing with no reader: EPIPE when SIGPIPE is ignored; the default SIGPIPE action kills the writer
 *   - dup returns the lowest free fd and shares the pipe; dup3 with O_CLOEXEC, dup3(fd, fd) is EINVAL;
 *     F_DUPFD, F_DUPFD_CLOEXEC, F_SETFD/F_GETFD
 *   - across exec, O_CLOEXEC descriptors are closed and the others stay open
 */
#define _GNU_SOURCE /* pipe2, dup3 */
#include <ctype.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

/* Read exactly n bytes (less only at EOF); returns the count. */
static size_t read_full(int fd, void* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = read(fd, (char*)buf + done, n - done);
    if (r <= 0) break;
    done += (size_t)r;
  }
  return done;
}

static int wait_child(pid_t pid) {
  int status = -1;
  CHECK(waitpid(pid, &status, 0) == pid);
  return status;
}

static int exited_with(int status, int code) { return WIFEXITED(status) && WEXITSTATUS(status) == code; }

static void flags(void) {
  int fds[2];
  CHECK(pipe2(fds, 0) == 0);
  CHECK(fcntl(fds[0], F_GETFD) == 0 && fcntl(fds[1], F_GETFD) == 0);
  CHECK((fcntl(fds[0], F_GETFL) & O_ACCMODE) == O_RDONLY);
  CHECK((fcntl(fds[1], F_GETFL) & O_ACCMODE) == O_WRONLY);
  char c = 'x';
  CHECK_ERRNO(write(fds[0], &c, 1), EBADF); /* wrong direction */
  CHECK_ERRNO(read(fds[1], &c, 1), EBADF);
  close(fds[0]);
  close(fds[1]);

  CHECK(pipe2(fds, O_CLOEXEC) == 0);
  CHECK(fcntl(fds[0], F_GETFD) == FD_CLOEXEC && fcntl(fds[1], F_GETFD) == FD_CLOEXEC);
  close(fds[0]);
  close(fds[1]);

  CHECK(pipe2(fds, O_NONBLOCK) == 0);
  CHECK(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
  CHECK_ERRNO(read(fds[0], &c, 1), EAGAIN);
  CHECK(write(fds[1], "y", 1) == 1 && read(fds[0], &c, 1) == 1 && c == 'y');
  close(fds[0]);
  close(fds[1]);

  if (!KNOWN_QEMU_USER_DIFFERENCE("pipe2 ignores unknown flags (Linux 6.1: EINVAL)"))
    CHECK_ERRNO(pipe2(fds, 0x40000000), EINVAL); /* an unknown flag */
  tl_say("pipe2 flags: ok\n");
}

static void round_trip(void) {
  int down[2], up[2];
  CHECK(pipe(down) == 0 && pipe(up) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(down[1]);
    close(up[0]);
    char buf[64];
    ssize_t n = read(down[0], buf, sizeof buf);
    for (ssize_t i = 0; i < n; i++) buf[i] = (char)toupper((unsigned char)buf[i]);
    _exit(n > 0 && write(up[1], buf, (size_t)n) == n ? 0 : 1);
  }
  close(down[0]);
  close(up[1]);
  const char msg[] = "hello through a pipe";
  CHECK(write(down[1], msg, sizeof msg) == sizeof msg);
  char reply[64] = "";
  CHECK(read_full(up[0], reply, sizeof msg) == sizeof msg);
  tl_say("reply: %s\n", reply);
  CHECK(strcmp(reply, "HELLO THROUGH A PIPE") == 0);
  CHECK(exited_with(wait_child(pid), 0));
  close(down[1]);
  close(up[0]);
}

static void end_of_file(void) {
  int fds[2];
  CHECK(pipe(fds) == 0);
  int extra = dup(fds[1]);
  int go[2];
  CHECK(pipe(go) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    /* Holds the write end (twice) until told to go, then writes and exits. */
    close(fds[0]);
    close(go[1]);
    char c;
    read(go[0], &c, 1);
    _exit(write(extra, "late", 4) == 4 ? 0 : 1);
  }
  close(go[0]);
  close(fds[1]);
  close(extra);
  CHECK(write(go[1], "!", 1) == 1);
  char buf[16];
  CHECK(read_full(fds[0], buf, 4) == 4 && memcmp(buf, "late", 4) == 0);
  CHECK(read(fds[0], buf, sizeof buf) == 0); /* the child exited: no writer left */
  CHECK(read(fds[0], buf, sizeof buf) == 0); /* and EOF stays */
  CHECK(exited_with(wait_child(pid), 0));
  close(fds[0]);
  close(go[1]);
  tl_say("EOF after the last writer: ok\n");
}

static void big_write(void) {
  enum { SIZE = 1 << 20 };
  int fds[2];
  CHECK(pipe(fds) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    /* Read in small pieces and check the pattern; the exit status says whether it all arrived. */
    close(fds[1]);
    static unsigned char buf[1000];
    size_t total = 0;
    int ok = 1;
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) {
      for (ssize_t i = 0; i < n; i++) ok &= buf[i] == (unsigned char)((total + (size_t)i) % 251);
      total += (size_t)n;
    }
    _exit(ok && total == SIZE ? 0 : 1);
  }
  close(fds[0]);
  unsigned char* data = malloc(SIZE);
  for (size_t i = 0; i < SIZE; i++) data[i] = (unsigned char)(i % 251);
  CHECK(write(fds[1], data, SIZE) == SIZE); /* blocks while the pipe is full, returns when all is in */
  close(fds[1]);
  free(data);
  CHECK(exited_with(wait_child(pid), 0));
  tl_say("1 MiB in one write: ok\n");
}

static void no_reader(void) {
  int fds[2];
  CHECK(pipe(fds) == 0);
  close(fds[0]);
  signal(SIGPIPE, SIG_IGN);
  CHECK_ERRNO(write(fds[1], "x", 1), EPIPE);
  signal(SIGPIPE, SIG_DFL);
  pid_t pid = fork();
  if (pid == 0) {
    write(fds[1], "x", 1);
    _exit(0); /* not reached: SIGPIPE kills us */
  }
  int status = wait_child(pid);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE);
  close(fds[1]);
  tl_say("no reader: EPIPE, SIGPIPE: ok\n");
}

static void dups(void) {
  int fds[2];
  CHECK(pipe(fds) == 0);
  int low = fds[0] < fds[1] ? fds[0] : fds[1];
  close(low);
  int other = fds[0] == low ? fds[1] : fds[0];
  int d = dup(other);
  CHECK(d == low); /* the lowest free number */
  close(d);
  close(other);
  CHECK(pipe(fds) == 0);

  int w = dup(fds[1]);
  CHECK(w >= 0 && fcntl(w, F_GETFD) == 0);
  CHECK(write(w, "a", 1) == 1 && write(fds[1], "b", 1) == 1);
  char buf[2];
  CHECK(read_full(fds[0], buf, 2) == 2 && buf[0] == 'a' && buf[1] == 'b'); /* same pipe */

  CHECK(dup3(fds[1], 40, O_CLOEXEC) == 40 && fcntl(40, F_GETFD) == FD_CLOEXEC);
  CHECK(dup3(fds[1], 40, 0) == 40 && fcntl(40, F_GETFD) == 0); /* replaces fd 40 */
  CHECK_ERRNO(dup3(40, 40, 0), EINVAL);
  CHECK(dup2(40, 40) == 40);
  CHECK_ERRNO(dup2(40, -1), EBADF);
  CHECK_ERRNO(dup(1000), EBADF);
  CHECK(close(40) == 0);
  CHECK_ERRNO(close(40), EBADF);

  CHECK(fcntl(fds[1], F_DUPFD, 50) == 50 && fcntl(50, F_GETFD) == 0);
  CHECK(fcntl(fds[1], F_DUPFD, 50) == 51);
  CHECK(fcntl(fds[1], F_DUPFD_CLOEXEC, 50) == 52 && fcntl(52, F_GETFD) == FD_CLOEXEC);
  CHECK(fcntl(w, F_SETFD, FD_CLOEXEC) == 0 && fcntl(w, F_GETFD) == FD_CLOEXEC);
  CHECK(fcntl(w, F_SETFD, 0) == 0 && fcntl(w, F_GETFD) == 0);
  CHECK_ERRNO(fcntl(1000, F_GETFD), EBADF);
  close(50);
  close(51);
  close(52);
  close(w);
  close(fds[0]);
  close(fds[1]);
  tl_say("dup, dup2, dup3, fcntl: ok\n");
}

/* Run as "pipes check-fds": fd 60 (O_CLOEXEC) must be closed and fd 61 still open and writable. */
static int check_fds_after_exec(void) {
  int closed = fcntl(60, F_GETFD) == -1 && errno == EBADF;
  int open = fcntl(61, F_GETFD) == 0 && write(61, "ok", 2) == 2;
  return closed && open ? 0 : 1;
}

static void close_on_exec(void) {
  int a[2], b[2];
  CHECK(pipe2(a, O_CLOEXEC) == 0 && pipe(b) == 0);
  /* Put them at fixed numbers, away from anything that gets opened while the program starts. */
  CHECK(dup3(a[1], 60, O_CLOEXEC) == 60 && dup2(b[1], 61) == 61);
  close(a[1]);
  close(b[1]);
  int status = tl_run_self((char*[]){"check-fds", NULL});
  CHECK(exited_with(status, 0));
  close(60);
  close(61);
  char buf[2];
  CHECK(read_full(b[0], buf, 2) == 2 && memcmp(buf, "ok", 2) == 0);
  char c;
  CHECK(read(a[0], &c, 1) == 0); /* no writer left: the exec'd child did not have fd 60 */
  close(a[0]);
  close(b[0]);
  tl_say("close-on-exec: ok\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc == 2 && strcmp(argv[1], "check-fds") == 0) return check_fds_after_exec();
  flags();
  round_trip();
  end_of_file();
  big_write();
  no_reader();
  dups();
  close_on_exec();
  return tl_done();
}
