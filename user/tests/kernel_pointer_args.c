/* kernel_pointer_args: a system call given a kernel address where it takes a pointer fails, and does nothing.
 *
 * Every pointer argument of every system call the kernel implements gets, in turn, four kernel addresses: the
 * start of the kernel's direct map of RAM, the kernel image seen through the direct map, the kernel's text, and
 * a kernel stack. The other arguments are valid, so the pointer is what the call must refuse. Each call must
 * fail (EFAULT mostly; Linux checks some other arguments first), except where Linux never dereferences the
 * pointer and succeeds too: an mmap hint, the word set_tid_address and set_robust_list only record, the range of
 * riscv_flush_icache, brk's new end (it just does not move), nanosleep's remaining time when not interrupted.
 * Afterwards the process is intact (its pipe still holds its bytes), and on our kernel /proc/kernel-stats says
 * the kernel's code and read-only data are unchanged. bad_pointers checks user-half bad pointers in detail.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static const long kernel_addresses[] = {
    (long)0xffffffc000000000UL, /* the direct map: physical address 0 */
    (long)0xffffffc080200000UL, /* the kernel image, through the direct map */
    (long)0xffffffff80200000UL, /* kernel text */
    (long)0xffffffd000004000UL, /* the kernel stacks */
};
#define P (-1L) /* the argument under test */

struct call {
  const char* name;
  long nr;
  long args[6];
  int may_succeed; /* Linux does not dereference this pointer */
  const char* qemu_user_difference; /* qemu-user succeeds where Linux fails */
};

static int pipe_r, pipe_w, file_fd, dir_fd;
static long buffer, zero_ts, one_iov, true_argv;

/* The calls, with P where the kernel address goes. Built at run time: some arguments are our own objects. */
static int build(struct call* c) {
  int n = 0;
#define ADD(nm, ok, a0, a1, a2, a3, a4, a5) \
  c[n++] = (struct call){#nm, SYS_##nm, {(long)(a0), (long)(a1), (long)(a2), (long)(a3), (long)(a4), (long)(a5)}, ok, NULL}
  ADD(read, 0, pipe_r, P, 4, 0, 0, 0);
  ADD(write, 0, pipe_w, P, 4, 0, 0, 0);
  ADD(readv, 0, pipe_r, P, 1, 0, 0, 0);
  ADD(writev, 0, pipe_w, P, 1, 0, 0, 0);
  ADD(pread64, 0, file_fd, P, 4, 0, 0, 0);
  ADD(pwrite64, 0, file_fd, P, 4, 0, 0, 0);
  ADD(getcwd, 0, P, 64, 0, 0, 0, 0);
  ADD(openat, 0, AT_FDCWD, P, O_RDONLY, 0, 0, 0);
  ADD(mkdirat, 0, AT_FDCWD, P, 0755, 0, 0, 0);
  ADD(unlinkat, 0, AT_FDCWD, P, 0, 0, 0, 0);
  ADD(symlinkat, 0, P, AT_FDCWD, "/tmp/kpa.link", 0, 0, 0);
  ADD(symlinkat, 0, "/tmp/kpa.target", AT_FDCWD, P, 0, 0, 0);
  ADD(linkat, 0, AT_FDCWD, P, AT_FDCWD, "/tmp/kpa.hard", 0, 0);
  ADD(linkat, 0, AT_FDCWD, "/tmp/kpa.file", AT_FDCWD, P, 0, 0);
  ADD(renameat2, 0, AT_FDCWD, P, AT_FDCWD, "/tmp/kpa.renamed", 0, 0);
  ADD(renameat2, 0, AT_FDCWD, "/tmp/kpa.file", AT_FDCWD, P, 0, 0);
  ADD(faccessat, 0, AT_FDCWD, P, F_OK, 0, 0, 0);
  ADD(faccessat2, 0, AT_FDCWD, P, F_OK, 0, 0, 0);
  ADD(chdir, 0, P, 0, 0, 0, 0, 0);
  ADD(fchmodat, 0, AT_FDCWD, P, 0644, 0, 0, 0);
  ADD(readlinkat, 0, AT_FDCWD, P, buffer, 64, 0, 0);
  ADD(readlinkat, 0, AT_FDCWD, "/proc/self/exe", P, 64, 0, 0);
  ADD(newfstatat, 0, AT_FDCWD, P, buffer, 0, 0, 0);
  ADD(newfstatat, 0, AT_FDCWD, "/", P, 0, 0, 0);
  ADD(fstat, 0, file_fd, P, 0, 0, 0, 0);
  ADD(statfs, 0, P, buffer, 0, 0, 0, 0);
  ADD(statfs, 0, "/", P, 0, 0, 0, 0);
  ADD(fstatfs, 0, file_fd, P, 0, 0, 0, 0);
  ADD(getdents64, 0, dir_fd, P, 1024, 0, 0, 0);
  ADD(pipe2, 0, P, 0, 0, 0, 0, 0);
  ADD(execve, 0, P, true_argv, 0, 0, 0, 0);
  ADD(execve, 0, "/bin/true", P, 0, 0, 0, 0);
  ADD(execve, 0, "/bin/true", true_argv, P, 0, 0, 0);
  ADD(clock_gettime, 0, CLOCK_MONOTONIC, P, 0, 0, 0, 0);
  ADD(clock_getres, 0, CLOCK_MONOTONIC, P, 0, 0, 0, 0);
  c[n - 1].qemu_user_difference = "clock_getres does not check its pointer under qemu-user";
  ADD(nanosleep, 0, P, 0, 0, 0, 0, 0);
  ADD(nanosleep, 1, zero_ts, P, 0, 0, 0, 0);
  ADD(clock_nanosleep, 0, CLOCK_MONOTONIC, 0, P, 0, 0, 0);
  ADD(gettimeofday, 0, P, 0, 0, 0, 0, 0);
  ADD(times, 0, P, 0, 0, 0, 0, 0);
  ADD(uname, 0, P, 0, 0, 0, 0, 0);
  ADD(sysinfo, 0, P, 0, 0, 0, 0, 0);
  ADD(getrusage, 0, RUSAGE_SELF, P, 0, 0, 0, 0);
  ADD(rt_sigaction, 0, SIGUSR1, P, 0, 8, 0, 0);
  ADD(rt_sigaction, 0, SIGUSR1, 0, P, 8, 0, 0);
  ADD(rt_sigprocmask, 0, SIG_BLOCK, P, 0, 8, 0, 0);
  ADD(rt_sigprocmask, 0, SIG_BLOCK, 0, P, 8, 0, 0);
  ADD(prlimit64, 0, 0, RLIMIT_NOFILE, P, 0, 0, 0);
  ADD(prlimit64, 0, 0, RLIMIT_NOFILE, 0, P, 0, 0);
  ADD(sched_getaffinity, 0, 0, 8, P, 0, 0, 0);
  ADD(sched_setaffinity, 0, 0, 8, P, 0, 0, 0);
  ADD(getrandom, 0, P, 16, 0, 0, 0, 0);
  ADD(mount, 0, P, "/tmp", "tmpfs", 0, 0, 0);
  ADD(mount, 0, "none", P, "tmpfs", 0, 0, 0);
  ADD(mount, 0, "none", "/tmp/kpa.dir", P, 0, 0, 0);
  ADD(mount, 0, "none", "/tmp/kpa.dir", "tmpfs", 0, P, 0);
  ADD(umount2, 0, P, 0, 0, 0, 0, 0);
  ADD(prctl, 0, PR_SET_NAME, P, 0, 0, 0, 0);
  ADD(prctl, 0, PR_GET_NAME, P, 0, 0, 0, 0);
  ADD(futex, 0, P, FUTEX_WAIT, 0, 0, 0, 0);
  ADD(munmap, 0, P, 4096, 0, 0, 0, 0);
  ADD(mprotect, 0, P, 4096, PROT_READ, 0, 0, 0);
  ADD(madvise, 0, P, 4096, MADV_DONTNEED, 0, 0, 0);
  c[n - 1].qemu_user_difference = "qemu-user accepts madvise of any range";
  ADD(msync, 0, P, 4096, MS_SYNC, 0, 0, 0);
  ADD(mlock, 0, P, 4096, 0, 0, 0, 0);
  ADD(munlock, 0, P, 4096, 0, 0, 0, 0);
  ADD(mmap, 0, P, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  ADD(mmap, 1, P, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* a hint */
  ADD(brk, 1, P, 0, 0, 0, 0, 0);
  ADD(set_tid_address, 1, P, 0, 0, 0, 0, 0);
  ADD(set_robust_list, 1, P, 24, 0, 0, 0, 0);
  ADD(riscv_flush_icache, 1, P, P + 4096, 0, 0, 0, 0);
  return n;
#undef ADD
}

/* For a call that may succeed: undo it (an mmap hint gives a mapping). */
static void undo(const struct call* c, long ret) {
  if (c->nr == SYS_mmap && ret > 0 && ret != -1) munmap((void*)ret, 4096);
}

static int run_one(struct call* c, int which, long address) {
  long a[6];
  for (int i = 0; i < 6; i++) a[i] = c->args[i] == P ? address : c->args[i];
  /* riscv_flush_icache's second argument is P + 4096 */
  if (c->nr == SYS_riscv_flush_icache) a[1] = address + 4096;
  long ret = tl_raw_syscall(c->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  (void)which;
  if (ret >= 0 && !c->may_succeed && c->qemu_user_difference && KNOWN_QEMU_USER_DIFFERENCE(c->qemu_user_difference))
    return 1;
  if (ret >= 0 && !c->may_succeed) {
    fprintf(stderr, "CHECK FAILED: %s with %#lx as a pointer returned %ld instead of failing\n", c->name,
            (unsigned long)address, ret);
    tl_failures++;
    return 0;
  }
  if (ret >= 0) undo(c, ret);
  return 1;
}

/* The kernel image's hash from /proc/kernel-stats (0 where there is none, as under qemu-user). */
static unsigned long long image_hash(void) {
  FILE* f = fopen("/proc/kernel-stats", "r");
  if (!f) return 0;
  char line[128];
  unsigned long long hash = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "kernel_image_hash %llu", &hash) == 1) break;
  fclose(f);
  return hash;
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  int fds[2];
  CHECK(pipe2(fds, O_NONBLOCK) == 0);
  pipe_r = fds[0];
  pipe_w = fds[1];
  CHECK(write(pipe_w, "0123456789abcdef", 16) == 16);
  file_fd = open("/tmp/kpa.file", O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(file_fd >= 0);
  CHECK(write(file_fd, "file contents", 13) == 13);
  CHECK(mkdir("/tmp/kpa.dir", 0755) == 0);
  dir_fd = open("/", O_RDONLY | O_DIRECTORY);
  static char buf[256];
  static struct timespec ts;
  static char* argv_true[] = {"true", NULL};
  buffer = (long)buf;
  zero_ts = (long)&ts;
  true_argv = (long)argv_true;
  (void)one_iov;
  unsigned long long hash_before = image_hash();

  static struct call calls[128];
  int n = build(calls), refused = 0;
  for (int i = 0; i < n; i++)
    for (size_t k = 0; k < sizeof kernel_addresses / sizeof kernel_addresses[0]; k++)
      refused += run_one(&calls[i], i, kernel_addresses[k]);
  tl_say("%d calls with a kernel address for a pointer: each failed or, where Linux ignores it, did nothing\n",
         n * (int)(sizeof kernel_addresses / sizeof kernel_addresses[0]));
  CHECK(refused == n * (int)(sizeof kernel_addresses / sizeof kernel_addresses[0]));

  char back[17] = {0};
  CHECK(read(pipe_r, back, 16) == 16 && memcmp(back, "0123456789abcdef", 16) == 0);
  CHECK(pread(file_fd, back, 13, 0) == 13 && memcmp(back, "file contents", 13) == 0);
  tl_say("the process's pipe and file are as they were\n");
  CHECK(image_hash() == hash_before);
  tl_say("the kernel's code and read-only data are unchanged\n");
  close(file_fd);
  unlink("/tmp/kpa.file");
  rmdir("/tmp/kpa.dir");
  return tl_done();
}
