/* bad_pointers: every system call that takes a pointer fails with EFAULT when the pointer is bad, and the
 * process carries on as if nothing happened.
 *
 * Bad pointers: NULL, an unmapped user address, a PROT_NONE page, 0xffffffc000000000 (the kernel's direct
 * map), 0xffffffff80200000 (kernel text); for pointers the kernel writes through, also a read-only page and
 * this program's own code. Lengths: a range that wraps around the end of the address space, a huge length,
 * and a string that runs off the end of mapped memory.
 * Calls (raw system calls, so that glibc does not look at the pointers first): read, write, readv, writev,
 * openat, newfstatat, fstat, getdents64, ioctl TCGETS/TIOCGWINSZ (if fd 0 is a terminal), pipe2, wait4,
 * execve, clock_gettime, nanosleep, clock_nanosleep, getcwd, chdir, mkdirat, unlinkat, readlinkat, uname,
 * getrandom, sysinfo, rt_sigaction, rt_sigprocmask, prlimit64. set_tid_address and set_robust_list only store
 * the pointer: they succeed (set_robust_list checks the length: EINVAL).
 * Linux semantics worth knowing: NULL is a valid "not wanted" value for some arguments (wait4's status,
 * rt_sigaction's old action...); wait4 reaps the child even when it cannot store the status; nanosleep
 * writes the remaining time only when interrupted, so a bad pointer there goes unnoticed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define KERNEL_DIRECT_MAP 0xffffffc000000000L
#define KERNEL_TEXT ((long)0xffffffff80200000UL)

/* Raw system call with up to 6 arguments (missing ones are 0); returns -errno on failure. */
#define SYS(n, ...) sys6((n), __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define sys6(n, a, b, c, d, e, f, ...) \
  tl_raw_syscall(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* Bad addresses the kernel would read from ("in") and write to ("out": the same plus read-only memory). */
static long bad_in[8], bad_out[10];
static int n_in, n_out;

/* A pipe holding 16 bytes (that must still be there at the end: failed calls change nothing), a directory. */
static int pipe_r, pipe_w, dir_fd;
static long off_the_end; /* a string without its NUL, running into an unmapped page */
static const char pipe_data[] = "0123456789abcdef";

static void expect(int line, const char* call, long addr, long ret, long want) {
  if (ret == want) return;
  fprintf(stderr, "CHECK FAILED bad_pointers.c:%d: %s with address %#lx returned %ld, expected %ld\n", line, call,
          (unsigned long)addr, ret, want);
  tl_failures++;
}
/* Check that a call (using the variable `bad`) fails with EFAULT. */
#define EXPECT_EFAULT(call) expect(__LINE__, #call, bad, (call), -EFAULT)
/* Run the statement after it once for each address in list[0..n), as `long bad` (`continue` skips one). */
#define FOR_EACH(list, n) for (int i_ = 0; i_ < n; i_++) for (long bad = list[i_], once_ = 1; once_; once_ = 0)

static long page_with(int prot, long hint) {
  void* p = mmap((void*)hint, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  memset(p, 0, 4096);
  CHECK(mprotect(p, 4096, prot) == 0);
  return (long)p;
}

/* Memory ending in an unmapped page; returns a string of `len` 'a's without a NUL that runs into it. */
static long string_off_the_end(size_t len) {
  char* p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(p != MAP_FAILED);
  CHECK(munmap(p + 4096, 4096) == 0);
  memset(p + 4096 - len, 'a', len);
  return (long)(p + 4096 - len);
}

static void setup(void) {
  long none = page_with(PROT_NONE, 0);
  long readonly = page_with(PROT_READ, 0);
  off_the_end = string_off_the_end(100);
  /* A page that was mapped and is no more: asked for far from where mmap puts things, and the last mmap of
   * the test, so that nothing gets mapped there again. */
  long unmapped = page_with(PROT_READ, 0x2000000000L);
  CHECK(munmap((void*)unmapped, 4096) == 0);
  long in[] = {0, unmapped, none, KERNEL_DIRECT_MAP, KERNEL_TEXT};
  for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) bad_in[n_in++] = bad_out[n_out++] = in[i];
  bad_out[n_out++] = readonly;
  bad_out[n_out++] = (long)&setup; /* our own code: mapped read+execute, not writable */

  int fds[2];
  CHECK(pipe2(fds, O_NONBLOCK) == 0); /* non-blocking: a wrongly emptied pipe fails instead of hanging */
  pipe_r = fds[0];
  pipe_w = fds[1];
  CHECK(write(pipe_w, pipe_data, 16) == 16);
  dir_fd = open("/", O_RDONLY | O_DIRECTORY);
  CHECK(dir_fd >= 0);
}

static void read_write(void) {
  char local[16];
  FOR_EACH(bad_out, n_out) EXPECT_EFAULT(SYS(SYS_read, pipe_r, bad, 4));
  FOR_EACH(bad_in, n_in) EXPECT_EFAULT(SYS(SYS_write, pipe_w, bad, 4));
  long bad = (long)local; /* valid start, but the range wraps around the end of the address space */
  EXPECT_EFAULT(SYS(SYS_read, pipe_r, bad, -bad + 4096));
  EXPECT_EFAULT(SYS(SYS_write, pipe_w, bad, -bad + 4096));
  EXPECT_EFAULT(SYS(SYS_read, pipe_r, bad, 1L << 62)); /* huge length */
  EXPECT_EFAULT(SYS(SYS_write, pipe_w, bad, 1L << 62));
  tl_say("read, write: EFAULT\n");
}

static void readv_writev(void) {
  FOR_EACH(bad_in, n_in) {
    EXPECT_EFAULT(SYS(SYS_readv, pipe_r, bad, 1)); /* the iovec array itself */
    EXPECT_EFAULT(SYS(SYS_writev, pipe_w, bad, 1));
  }
  FOR_EACH(bad_out, n_out) {
    struct iovec iov = {(void*)bad, 4};
    EXPECT_EFAULT(SYS(SYS_readv, pipe_r, &iov, 1));
  }
  FOR_EACH(bad_in, n_in) {
    struct iovec iov = {(void*)bad, 4};
    EXPECT_EFAULT(SYS(SYS_writev, pipe_w, &iov, 1));
  }
  tl_say("readv, writev: EFAULT\n");
}

static void paths(void) {
  struct stat st;
  char buf[64];
  FOR_EACH(bad_in, n_in) {
    EXPECT_EFAULT(SYS(SYS_openat, AT_FDCWD, bad, O_RDONLY));
    EXPECT_EFAULT(SYS(SYS_newfstatat, AT_FDCWD, bad, &st, 0));
    EXPECT_EFAULT(SYS(SYS_chdir, bad));
    EXPECT_EFAULT(SYS(SYS_mkdirat, AT_FDCWD, bad, 0755));
    EXPECT_EFAULT(SYS(SYS_unlinkat, AT_FDCWD, bad, 0));
    EXPECT_EFAULT(SYS(SYS_unlinkat, AT_FDCWD, bad, AT_REMOVEDIR));
    EXPECT_EFAULT(SYS(SYS_readlinkat, AT_FDCWD, bad, buf, sizeof buf));
  }
  long bad = off_the_end;
  EXPECT_EFAULT(SYS(SYS_openat, AT_FDCWD, bad, O_RDONLY));
  EXPECT_EFAULT(SYS(SYS_newfstatat, AT_FDCWD, bad, &st, 0));
  EXPECT_EFAULT(SYS(SYS_mkdirat, AT_FDCWD, bad, 0755));
  tl_say("path arguments: EFAULT\n");

  FOR_EACH(bad_out, n_out) {
    EXPECT_EFAULT(SYS(SYS_newfstatat, AT_FDCWD, "/", bad, 0));
    EXPECT_EFAULT(SYS(SYS_fstat, dir_fd, bad));
    EXPECT_EFAULT(SYS(SYS_getdents64, dir_fd, bad, 4096));
    EXPECT_EFAULT(SYS(SYS_getcwd, bad, 4096));
  }
  /* readlinkat's buffer, if there is a link to read (/proc/self/exe may not exist). */
  if (SYS(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", buf, sizeof buf) > 0)
    FOR_EACH(bad_out, n_out) EXPECT_EFAULT(SYS(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", bad, 64));
  tl_say("stat, getdents64, getcwd, readlinkat buffers: EFAULT\n");
}

static void terminal(void) {
  if (isatty(0)) {
    FOR_EACH(bad_out, n_out) {
      EXPECT_EFAULT(SYS(SYS_ioctl, 0, TCGETS, bad));
      EXPECT_EFAULT(SYS(SYS_ioctl, 0, TIOCGWINSZ, bad));
    }
  } else {
    fprintf(stderr, "note: fd 0 is not a terminal: ioctl checks skipped\n");
  }
  tl_say("ioctl TCGETS, TIOCGWINSZ: EFAULT (if fd 0 is a terminal)\n");
}

/* The lowest free file descriptor. */
static int next_fd(void) {
  int fd = dup(0);
  close(fd);
  return fd;
}

static void pipe2_fds(void) {
  int before = next_fd();
  FOR_EACH(bad_out, n_out) EXPECT_EFAULT(SYS(SYS_pipe2, bad, 0));
  /* Linux closes the two new descriptors again when it can't store them. */
  if (!KNOWN_QEMU_USER_DIFFERENCE("pipe2 leaves the descriptors open when it can't store them"))
    CHECK(next_fd() == before);
  tl_say("pipe2: EFAULT\n");
}

static pid_t zombie(void) {
  pid_t pid = fork();
  if (pid == 0) _exit(7);
  return pid;
}

/* After wait4 failed with EFAULT: Linux has reaped the child all the same (its status is lost); our kernel
 * checks the pointers first and leaves the zombie for a later wait (the issue asks for no state change the
 * caller cannot see). Either way the child is gone after one more waitpid. */
static void check_reaped_or_waitable(pid_t pid) {
  if (tl_is_our_kernel()) {
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 7);
  } else {
    CHECK_ERRNO(waitpid(pid, NULL, 0), ECHILD);
  }
}

static void wait4_status(void) {
  /* NULL means "don't want the status": not an error. Each bad pointer gets a child of its own. */
  FOR_EACH(bad_out, n_out) {
    if (bad == 0) continue;
    pid_t pid = zombie();
    EXPECT_EFAULT(SYS(SYS_wait4, pid, bad, 0, 0));
    check_reaped_or_waitable(pid);
    pid = zombie();
    EXPECT_EFAULT(SYS(SYS_wait4, pid, 0, 0, bad)); /* struct rusage */
    check_reaped_or_waitable(pid);
  }
  tl_say("wait4: EFAULT\n");
}

/* In a child (an execve that wrongly succeeds must not replace the test): each execve must fail with EFAULT.
 * If one does run the program, it exits 99 ("exec-ran"). */
static void execve_args(void) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    const char* self = tl_self();
    char* good_argv[] = {(char*)self, "exec-ran", NULL};
    char* good_envp[] = {"A=1", NULL};
    FOR_EACH(bad_in, n_in) {
      EXPECT_EFAULT(SYS(SYS_execve, bad, good_argv, good_envp));
      char* argv_with_bad[] = {(char*)self, (char*)bad, NULL};
      char* envp_with_bad[] = {"A=1", (char*)bad, NULL};
      if (bad == 0) continue; /* a NULL argv or envp is allowed (empty), and NULL ends the lists */
      EXPECT_EFAULT(SYS(SYS_execve, self, bad, good_envp));
      EXPECT_EFAULT(SYS(SYS_execve, self, good_argv, bad));
      EXPECT_EFAULT(SYS(SYS_execve, self, argv_with_bad, good_envp));
      EXPECT_EFAULT(SYS(SYS_execve, self, good_argv, envp_with_bad));
    }
    long bad = off_the_end;
    EXPECT_EFAULT(SYS(SYS_execve, bad, good_argv, good_envp));
    char* argv_off_the_end[] = {(char*)self, (char*)bad, NULL};
    EXPECT_EFAULT(SYS(SYS_execve, self, argv_off_the_end, good_envp));
    _exit(tl_failures ? 1 : 0);
  }
  int status;
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("execve: EFAULT\n");
}

static void time_calls(void) {
  struct timespec short_time = {0, 1000};
  FOR_EACH(bad_out, n_out) EXPECT_EFAULT(SYS(SYS_clock_gettime, CLOCK_MONOTONIC, bad));
  int nanosleep_efault = !KNOWN_QEMU_USER_DIFFERENCE("nanosleep with a bad request pointer: EINVAL, not EFAULT");
  FOR_EACH(bad_in, n_in) {
    if (nanosleep_efault) EXPECT_EFAULT(SYS(SYS_nanosleep, bad, 0));
    EXPECT_EFAULT(SYS(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, bad, 0));
  }
  /* The remaining time is written only when a signal interrupts the sleep: a bad pointer there is fine. */
  FOR_EACH(bad_out, n_out) CHECK(SYS(SYS_nanosleep, &short_time, bad) == 0);
  tl_say("clock_gettime, nanosleep, clock_nanosleep: EFAULT\n");
}

static void info_calls(void) {
  FOR_EACH(bad_out, n_out) {
    EXPECT_EFAULT(SYS(SYS_uname, bad));
    EXPECT_EFAULT(SYS(SYS_getrandom, bad, 16, 0));
    if (bad != 0 || !KNOWN_QEMU_USER_DIFFERENCE("sysinfo(NULL) succeeds")) EXPECT_EFAULT(SYS(SYS_sysinfo, bad));
  }
  tl_say("uname, getrandom, sysinfo: EFAULT\n");
}

static void signal_calls(void) {
  FOR_EACH(bad_in, n_in) {
    if (bad == 0) continue; /* NULL: no new action / no new mask */
    EXPECT_EFAULT(SYS(SYS_rt_sigaction, SIGUSR1, bad, 0, 8));
    EXPECT_EFAULT(SYS(SYS_rt_sigprocmask, SIG_BLOCK, bad, 0, 8));
  }
  FOR_EACH(bad_out, n_out) {
    if (bad == 0) continue; /* NULL: the old one is not wanted */
    EXPECT_EFAULT(SYS(SYS_rt_sigaction, SIGUSR1, 0, bad, 8));
    EXPECT_EFAULT(SYS(SYS_rt_sigprocmask, SIG_BLOCK, 0, bad, 8));
  }
  tl_say("rt_sigaction, rt_sigprocmask: EFAULT\n");
}

static void limits(void) {
  FOR_EACH(bad_in, n_in) {
    if (bad == 0) continue;
    EXPECT_EFAULT(SYS(SYS_prlimit64, 0, RLIMIT_NOFILE, bad, 0));
  }
  FOR_EACH(bad_out, n_out) {
    if (bad == 0) continue;
    EXPECT_EFAULT(SYS(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, bad));
  }
  tl_say("prlimit64: EFAULT\n");
}

/* set_tid_address and set_robust_list store the pointer for later (thread exit); done in a child, since
 * glibc registered pointers of its own and the child's exit is when the kernel uses them. */
static void stored_pointers(void) {
  int robust = !KNOWN_QEMU_USER_DIFFERENCE("set_robust_list is not implemented (ENOSYS)");
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int ok = SYS(SYS_set_tid_address, KERNEL_DIRECT_MAP) == getpid(); /* returns the thread id */
    if (robust) {
      ok &= SYS(SYS_set_robust_list, KERNEL_DIRECT_MAP, 24) == 0;
      ok &= SYS(SYS_set_robust_list, KERNEL_DIRECT_MAP, 1) == -EINVAL; /* only the length is checked */
    }
    _exit(ok ? 0 : 1); /* the kernel must not mind the bad clear_child_tid pointer on the way out */
  }
  int status;
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  tl_say("set_tid_address, set_robust_list: stored, no fault\n");
}

static void still_fine(void) {
  char buf[17] = "";
  CHECK(read(pipe_r, buf, 16) == 16 && memcmp(buf, pipe_data, 16) == 0); /* nothing consumed, nothing added */
  CHECK_ERRNO(read(pipe_r, buf, 1), EAGAIN);
  char* p = malloc(100000);
  CHECK(p != NULL);
  memset(p, 1, 100000);
  free(p);
  close(pipe_r);
  close(pipe_w);
  close(dir_fd);
  tl_say("the pipe still holds the same 16 bytes; malloc works\n");
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc == 2 && strcmp(argv[1], "exec-ran") == 0) return 99;
  setup();
  read_write();
  readv_writev();
  paths();
  terminal();
  pipe2_fds();
  wait4_status();
  execve_args();
  time_calls();
  info_calls();
  signal_calls();
  limits();
  stored_pointers();
  still_fine();
  return tl_done();
}
