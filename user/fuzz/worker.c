/* A worker: a forked process that makes fz->budget random calls and exits. Its children (from fuzzed clone
 * and execve calls) and, once the kernel has them, its threads fuzz a little too and exit. Everything here
 * uses raw system calls only (fuzz.h says why).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "fuzz.h"

/* ---- formatting without stdio ---- */
char* fz_put_str(char* p, char* end, const char* s) {
  while (*s && p < end) *p++ = *s++;
  return p;
}

char* fz_put_hex(char* p, char* end, u64 v) {
  char digits[16];
  int n = 0;
  do digits[n++] = "0123456789abcdef"[v & 15], v >>= 4;
  while (v);
  p = fz_put_str(p, end, "0x");
  while (n > 0 && p < end) *p++ = digits[--n];
  return p;
}

char* fz_put_dec(char* p, char* end, i64 v) {
  char digits[24];
  int n = 0;
  u64 u = v < 0 ? -(u64)v : (u64)v;
  do digits[n++] = (char)('0' + u % 10), u /= 10;
  while (u);
  if (v < 0 && p < end) *p++ = '-';
  while (n > 0 && p < end) *p++ = digits[--n];
  return p;
}

void fz_write_all(int fd, const char* s, size_t n) {
  while (n > 0) {
    long w = FZ_SYS3(SYS_write, fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

void fz_say(int fd, const char* s) { fz_write_all(fd, s, strlen(s)); }

/* ---- tracing (--trace): each call before it is made, its result after ---- */
void fz_trace(struct fz* fz, const u64 a[FZ_ARGS]) {
  if (!fz->trace) return;
  const struct fz_call* c = fz->current;
  char line[400];
  char* end = line + sizeof line - 2;
  char* p = fz_put_str(line, end, "fuzz-trace: w");
  p = fz_put_dec(p, end, fz->worker);
  p = fz_put_str(p, end, fz->is_thread ? " thread " : " pid ");
  p = fz_put_dec(p, end, fz->pid);
  p = fz_put_str(p, end, " #");
  p = fz_put_dec(p, end, (i64)fz->done);
  p = fz_put_str(p, end, " ");
  p = fz_put_str(p, end, c->name);
  p = fz_put_str(p, end, "(");
  for (int i = 0; i < FZ_ARGS; i++) {
    if (i) p = fz_put_str(p, end, ", ");
    p = fz_put_hex(p, end, a[i]);
    /* Path strings built in the scratch area are worth reading (the first 40 characters). */
    int is_path = c->arg[i] == A_PATH || c->arg[i] == A_SAFE_PATH;
    if (is_path && a[i] >= FZ_SCRATCH && a[i] < FZ_SCRATCH + FZ_SCRATCH_SIZE - 40) {
      char text[44];
      memcpy(text, (const char*)(uintptr_t)a[i], 40);
      text[40] = 0;
      p = fz_put_str(p, end, " \"");
      p = fz_put_str(p, end, text);
      p = fz_put_str(p, end, "\"");
    }
  }
  p = fz_put_str(p, end, ")");
  fz_write_all(FZ_TRACE_FD, line, (size_t)(p - line));
}

void fz_trace_result(struct fz* fz, long r) {
  if (!fz->trace) return;
  char line[40];
  char* p = fz_put_str(line, line + 38, " = ");
  p = fz_put_dec(p, line + 38, r);
  *p++ = '\n';
  fz_write_all(FZ_TRACE_FD, line, (size_t)(p - line));
}

/* ---- signal handlers installed by fuzzed rt_sigaction calls ----
 * Once the kernel delivers signals to handlers, this one returns through the kernel's signal frame, and now
 * and then scribbles on that frame first (the floating-point area, the signal mask, rarely the pc), so that
 * rt_sigreturn sees garbage. */
static volatile u64 g_signals;

void fz_on_signal(int sig, siginfo_t* info, void* context) {
  (void)info;
  u64 n = __atomic_add_fetch(&g_signals, 1, __ATOMIC_RELAXED);
  u64 roll = fz_mix(n, (u64)sig);
  if (!context || roll % 8 != 0) return;
  unsigned char* uc = context;
  /* riscv64 ucontext: flags, link, stack (40 bytes), sigmask (128 bytes), then the mcontext at 176: 32
   * general registers (pc first) and the floating-point state. */
  switch ((roll >> 8) % 4) {
    case 0: memset(uc + 176 + 256 + (roll >> 16) % 512, (int)(roll >> 24), 8); break; /* FP state */
    case 1: memset(uc + 40, 0xff, 8); break;                                        /* block everything */
    case 2: memset(uc + 176 + 256 + 528 - 12, 0x5a, 12); break;                    /* reserved words */
    default:
      if ((roll >> 32) % 8 == 0) memset(uc + 176, 0x41, 8); /* pc: the process dies */
  }
}

/* ---- sentinels ---- */
static u64 sentinel_word(u64 address) { return fz_mix(address, 0x5e471e15e471e1ull); }

void fz_sentinel_fill(u64 base, u64 size) {
  for (u64 a = base; a < base + size; a += 8) *(u64*)(uintptr_t)a = sentinel_word(a);
}

u64 fz_sentinel_check(struct fz* fz, u64 base, u64 size) {
  for (u64 a = base; a < base + size; a += 8) {
    u64 found = *(volatile u64*)(uintptr_t)a;
    if (found == sentinel_word(a)) continue;
    if (!fz_shared->corrupt_address) {
      fz_shared->corrupt_expected = sentinel_word(a);
      fz_shared->corrupt_found = found;
      fz_shared->corrupt_worker = fz ? fz->worker : ~0ull;
      fz_shared->corrupt_calls = fz ? fz->done : 0;
      fz_shared->corrupt_address = a;
    }
    return a;
  }
  return 0;
}

static void check_sentinels(struct fz* fz) {
  if (fz_sentinel_check(fz, FZ_SENTINEL, FZ_SENTINEL_SIZE) ||
      (fz->depth == 0 && fz_sentinel_check(fz, FZ_SENTINEL_OWN, FZ_SENTINEL_SIZE)))
    FZ_SYS1(SYS_exit_group, 0); /* the master reports it */
}

/* ---- calls ---- */
static void generate(struct fz* fz, const struct fz_call* c, u64 a[FZ_ARGS]) {
  for (int i = 0; i < FZ_ARGS; i++) a[i] = fz_arg(fz, (enum fz_arg)c->arg[i]);
  /* A name relative to the sandbox directory, now and then, for the calls that make or remove names. */
  for (int i = 0; i + 1 < FZ_ARGS; i++) {
    if (c->arg[i] == A_SAFE_DIRFD && c->arg[i + 1] == A_SAFE_PATH && fz_chance(&fz->rng, 30)) {
      static const char* const names[] = {"f0", "f1", "d0", "d0/f", "new", "l0", "lloop", ""};
      a[i] = fz_sandbox_dirfd(fz);
      a[i + 1] = (u64)(uintptr_t)names[fz_below(&fz->rng, sizeof names / sizeof names[0])];
    }
  }
}

void fz_run_calls(struct fz* fz) {
  for (; fz->done < fz->budget; fz->done++) {
    if (fz->done % 256 == 0 && !fz->is_thread) check_sentinels(fz);
    const struct fz_call* c = fz_pick_call(fz);
    u64 a[FZ_ARGS] = {0};
    __atomic_add_fetch(&fz_shared->total_calls, 1, __ATOMIC_RELAXED);
    if (fz->slot) {
      fz->slot->calls++;
      fz->slot->nr = (u64)c->nr;
    }
    long r;
    fz->current = c;
    u64 start = fz_rdtime();
    if (c->special) {
      r = c->special(fz, a);
    } else {
      generate(fz, c, a);
      fz_trace(fz, a);
      r = fz_syscall(c->nr, (long)a[0], (long)a[1], (long)a[2], (long)a[3], (long)a[4], (long)a[5]);
      if (c->flags & FZ_RET_FD) fz_note_fd(fz, r);
      if (c->nr == SYS_close && r == 0) {
        for (int i = 0; i < fz->nfds; i++)
          if (fz->fds[i] == (int)a[0]) fz->fds[i] = fz->fds[--fz->nfds];
      }
    }
    u64 ticks = fz_rdtime() - start;
    struct fz_profile* prof = &fz_shared->profile[c - fz_calls];
    __atomic_add_fetch(&prof->calls, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&prof->ticks, ticks, __ATOMIC_RELAXED);
    if (ticks > prof->max_ticks) prof->max_ticks = ticks; /* racy, close enough */
    fz_trace_result(fz, r);
  }
}

/* ---- children and threads ---- */
static struct fz g_thread_state[FZ_STACK_COUNT]; /* a CLONE_VM child's state (it shares our memory) */
static unsigned g_next_thread_state;

void fz_child_main(void* arg) {
  struct fz* fz = arg;
  fz->depth++;
  fz->pid = (int)FZ_SYS0(SYS_getpid);
  fz->seed = fz_mix(fz->seed, fz->done + 1000003ull * fz->depth);
  fz_seed(&fz->rng, fz->seed);
  fz->budget = fz->done + 10 + fz_below(&fz->rng, 100);
  fz->nkids = 0;
  fz_run_calls(fz);
  /* A thread ends itself only; a process ends its whole group. */
  FZ_SYS1(fz->is_thread ? SYS_exit : SYS_exit_group, 0);
  for (;;) {
  }
}

long fz_spawn_child(struct fz* fz, u64 flags, u64 stack, u64 ptid, u64 tls, u64 ctid) {
  if (fz->depth >= 2 || fz->nkids >= FZ_MAX_KIDS) {
    /* Enough processes: make the call fail the way Linux fails it (CLONE_SIGHAND needs CLONE_VM). */
    flags = (flags & ~(u64)CLONE_VM) | CLONE_SIGHAND;
  }
  struct fz* child = fz; /* a forked child has its own copy of *fz */
  if (flags & CLONE_VM) {
    child = &g_thread_state[g_next_thread_state++ % FZ_STACK_COUNT];
    *child = *fz;
    child->is_thread = 1;
  }
  long r = fz_raw_clone(flags, stack, ptid, tls, ctid, fz_child_main, child);
  if (r > 0 && fz->nkids < FZ_MAX_KIDS) fz->kids[fz->nkids++] = (int)r;
  return r;
}

/* ---- the worker's sandbox: a directory of its own under /tmp, with files, links and a subdirectory ---- */
static void make_sandbox(struct fz* fz) {
  char* end = fz->sandbox + sizeof fz->sandbox - 1;
  char* p = fz_put_str(fz->sandbox, end, "/tmp/fz");
  *fz_put_dec(p, end, fz->pid) = 0;
  FZ_SYS3(SYS_mkdirat, -100, fz->sandbox, 0755);
  fz->sandbox_fd = (int)FZ_SYS4(SYS_openat, -100, fz->sandbox, O_RDONLY | O_DIRECTORY, 0);
  struct stat st;
  fz->sandbox_ino = FZ_SYS2(SYS_fstat, fz->sandbox_fd, &st) == 0 ? st.st_ino : 0;
  int d = fz->sandbox_fd;
  FZ_SYS3(SYS_mkdirat, d, "d0", 0755);
  FZ_SYS3(SYS_mkdirat, d, "d0/d1", 0755);
  static const char* const files[] = {"f0", "f1", "d0/f", "d0/d1/f"};
  for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++) {
    long f = FZ_SYS4(SYS_openat, d, files[i], O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (f >= 0 && i == 0) FZ_SYS3(SYS_write, f, (void*)FZ_RW, 3 * FZ_PAGE + 100);
    if (f >= 0) FZ_SYS1(SYS_close, f);
  }
  FZ_SYS3(SYS_symlinkat, "f0", d, "l0");
  FZ_SYS3(SYS_symlinkat, "lloop", d, "lloop");
  FZ_SYS3(SYS_symlinkat, "d0", d, "ldir");
  FZ_SYS3(SYS_symlinkat, "missing", d, "ldangling");
  FZ_SYS1(SYS_chdir, fz->sandbox);
}

/* Descriptors of every kind for A_FD to pick from. */
static void open_descriptors(struct fz* fz) {
  static const struct {
    const char* path;
    int flags;
  } opens[] = {
      {"f0", O_RDWR}, {"d0/f", O_RDONLY | O_APPEND}, {"/etc/motd", O_RDONLY}, {"/dev/null", O_RDWR},
      {"/dev/zero", O_RDONLY}, {"/", O_RDONLY | O_DIRECTORY}, {"/proc/self/maps", O_RDONLY},
      {"/proc/meminfo", O_RDONLY}, {"/proc", O_RDONLY | O_DIRECTORY}, {"d0", O_RDONLY | O_DIRECTORY},
  };
  for (unsigned i = 0; i < sizeof opens / sizeof opens[0]; i++)
    fz_note_fd(fz, FZ_SYS4(SYS_openat, fz->sandbox_fd, opens[i].path, opens[i].flags, 0));
  int p[2];
  for (int i = 0; i < 2; i++) {
    if (FZ_SYS2(SYS_pipe2, p, O_NONBLOCK) == 0) fz_note_fd(fz, p[0]), fz_note_fd(fz, p[1]);
  }
  fz_note_fd(fz, fz->sandbox_fd);
}

void fz_worker_main(struct fz* fz) {
  fz->pid = (int)FZ_SYS0(SYS_getpid);
  /* Our own process group (Linux's kill(0, ...) then stays among fuzzing processes). */
  FZ_SYS2(SYS_setpgid, 0, 0);
  /* Standard input and output go nowhere: fuzzed writes must not flood the console. */
  long null_fd = FZ_SYS4(SYS_openat, -100, "/dev/null", O_RDWR, 0);
  for (int i = 0; i < 3; i++) FZ_SYS3(SYS_dup3, null_fd, i, 0);
  if (null_fd > 2) FZ_SYS1(SYS_close, null_fd);
  /* Writes to a pipe nobody reads then fail with EPIPE instead of ending the worker (a fuzzed rt_sigaction
   * may restore the default). */
  u64 ignore[3] = {1 /* SIG_IGN */, 0, 0};
  FZ_SYS4(SYS_rt_sigaction, SIGPIPE, ignore, 0, 8);
  make_sandbox(fz);
  open_descriptors(fz);
  if (fz_syscall(SYS_mmap, FZ_SENTINEL_OWN, FZ_SENTINEL_SIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == (long)FZ_SENTINEL_OWN)
    fz_sentinel_fill(FZ_SENTINEL_OWN, FZ_SENTINEL_SIZE);
  fz_run_calls(fz);
  check_sentinels(fz);
  FZ_SYS1(SYS_exit_group, 0);
}
